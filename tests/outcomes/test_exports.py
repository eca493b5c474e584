"""``export_outcomes``: the CSV column contract, formula neutralising, numbers as numbers,
suppressed cells empty, and clear errors (non-zero exit) for bad filters."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from outcomes import services
from outcomes.exports import COLUMNS, neutralise
from tests.factories import SchoolFactory
from tests.outcomes.helpers import authority, closed_class, export_rows, outcome_version, populate, programme_page

pytestmark = pytest.mark.django_db

# The list, in its order: the first columns of every export.
_CONTRACT_AS_WRITTEN = (
    "programme, scope, scope_name, scale, scale_name, higher_is_better, subgroup, n_schools, n_baseline, n_post, "
    "n_matched, match_rate, baseline_mean, baseline_sd, post_mean, post_sd, mean_change, ci_low, ci_high, t, df, "
    "p_value, p_holm, wilcoxon_p, wilcoxon_method, d_z, g_av, r_pre_post, welch_p, fragile, small_sample, "
    "matched_vs_lost_g, icc, design_effect, n_effective, suppressed, rules_version"
)
CONTRACT = _CONTRACT_AS_WRITTEN.split(", ")
FIGURES = CONTRACT[7:35]


@pytest.fixture
def exported(tmp_path):
    version, programme = outcome_version(), programme_page()
    schools = [
        SchoolFactory(name='=HYPERLINK("http://evil.example")', local_authority=authority("coventry")),
        SchoolFactory(name="Ysgol Gymraeg Bro Ŵyr", local_authority=authority("coventry")),
        SchoolFactory(name="@SUM(1+1)", local_authority=authority("coventry")),
    ]
    for school, n in zip(schools, (12, 14, 4), strict=True):
        _g, baseline, post = closed_class(programme=programme, version=version, school=school)
        populate(baseline, post, n, shift=-1)
    services.class_pairs_refresh(keys=services.all_pair_keys())
    path = tmp_path / "outcomes.csv"
    err = io.StringIO()
    call_command("export_outcomes", "--programme", programme.slug, "--output", str(path), stderr=err)
    return programme, path, err.getvalue()


def test_the_file_is_utf8_with_one_header_line_and_the_contract_columns_first(exported):
    _programme, path, message = exported
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    lines = text.splitlines()
    header = next(csv.reader([lines[0]]))
    assert header[: len(CONTRACT)] == CONTRACT
    assert tuple(header) == COLUMNS and header[-1] == "caveat"
    assert not any(line.startswith("#") for line in lines)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(lines) - 1 and "Wrote" in message
    assert "Ysgol Gymraeg Bro Ŵyr" in {r["scope_name"] for r in rows}
    assert all("monitoring, not proof of impact" in r["caveat"] for r in rows)


def test_cells_that_could_start_a_formula_are_neutralised_and_numbers_stay_numbers(exported):
    _programme, path, _message = exported
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    names = {r["scope_name"] for r in rows if r["scope"] == "school"}
    assert '\'=HYPERLINK("http://evil.example")' in names and "'@SUM(1+1)" in names
    for row in rows:
        for column in COLUMNS:
            assert not row[column].startswith(("=", "+", "@", "\t", "\r")), (column, row[column])
    shown = [r for r in rows if r["suppressed"] == "" and r["scale"] == "safety"]
    assert shown and all(float(r["mean_change"]) < 0 for r in shown)  # "-0.9", a number, not "'-0.9"
    assert all(r["higher_is_better"] in ("true", "false") and r["fragile"] in ("true", "false", "") for r in rows)
    assert all(int(r["n_matched"]) >= 10 for r in shown)
    assert [neutralise(text) for text in ("-1", "\u22121", "+x", "\tx", "\rx", "plain")] == [
        "'-1",
        "'\u22121",
        "'+x",
        "'\tx",
        "'\rx",
        "plain",
    ]


def test_suppressed_rows_keep_their_labels_and_leave_every_figure_empty(exported):
    _programme, path, _message = exported
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    suppressed = [r for r in rows if r["suppressed"]]
    assert {r["suppressed"] for r in suppressed} >= {"fewer than 10"}
    for row in suppressed:
        assert row["scope"] and row["scale"] and row["subgroup"] and row["rules_version"]
        assert all(row[column] == "" for column in FIGURES), row


def test_stdout_and_the_filters(exported):
    programme, _path, _message = exported
    rows = export_rows(
        "--programme", programme.slug, "--academic-year", "2026", "--year-group", "8", "--scope", "region"
    )
    assert [r["scope"] for r in rows] == ["region", "region"]
    assert {r["academic_year"] for r in rows} == {"2026"} and {r["compare"] for r in rows} == {"post"}
    assert export_rows("--programme", programme.slug, "--academic-year", "2025") == []
    follow_up = export_rows("--programme", programme.slug, "--compare", "follow_up")
    assert follow_up == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--programme", "no-such-programme"], "No programme has the slug 'no-such-programme'"),
        (["--academic-year", "20x6"], "'20x6' is not a valid academic year"),
        (["--academic-year", "1999"], "'1999' is not a valid academic year"),
        (["--year-group", "14"], "'14' is not a valid year group"),
        (["--local-authority", "atlantis"], "No local authority has the slug 'atlantis'"),
        (["--school", "12345"], "'12345' is not a school URN"),
        (["--school", "999999"], "No school has the URN 999999"),
        (["--scope", "planet"], "'planet' is not a scope"),
    ],
)
def test_bad_filters_are_refused_with_a_clear_error(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_outcomes", *args, stdout=io.StringIO())


def test_a_school_outside_the_chosen_authority_is_refused():
    school = SchoolFactory(local_authority=authority("dudley"))
    authority("coventry")
    with pytest.raises(CommandError, match="is not in Coventry"):
        call_command("export_outcomes", "--local-authority", "coventry", "--school", school.urn, stdout=io.StringIO())


def test_an_unwritable_output_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Could not write"):
        call_command("export_outcomes", "--output", str(tmp_path / "missing" / "x.csv"), stdout=io.StringIO())


def test_the_command_exits_non_zero_with_the_message_on_stderr():
    """A real process, as a script would run it (bad input is refused before any query)."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    for args, expected in (
        (["--academic-year", "next"], "'next' is not a valid academic year"),
        (["--breakdown", "postcode"], "invalid choice: 'postcode'"),
    ):
        done = subprocess.run(
            [sys.executable, "manage.py", "export_outcomes", *args],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0
        assert expected in done.stderr and done.stdout == ""


def test_help_says_that_change_is_monitoring_not_proof_of_impact():
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "manage.py", "export_outcomes", "--help"],
        cwd=root,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0
    assert "monitoring, not proof of impact" in " ".join(done.stdout.split())
