"""Paper survey import: all or nothing, every problem by row and column, idempotent."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surveys.models import Answer, OutboxMessage, Response
from surveys.services import cards as card_services
from surveys.services.importing import UNREADABLE, ImportRefused, responses_import
from tests.surveys.factories import SurveyWindowFactory

pytestmark = pytest.mark.django_db

HEADER = "school_urn,group,year_group,wave,participant_code,gender,ethnicity,SAF_01,SAF_02,VIO_01,VIO_02"


@pytest.fixture
def setup():
    window = SurveyWindowFactory()
    group = window.group
    _batch, card_codes = card_services.card_batch_create(actor=group.teacher, group=group, count=3)
    return window, card_codes


def _csv(window, rows):
    group = window.group
    lines = [HEADER]
    for code, gender, ethnicity, answers in rows:
        lines.append(
            f"{group.school.urn},{group.name},{group.year_group},baseline,{code},{gender},{ethnicity},{answers}"
        )
    return "\n".join(lines) + "\n"


def _good_rows(card_codes):
    return [
        (card_codes[0], "girl", "white", "4,2,1,3"),
        (card_codes[1][:3] + "-" + card_codes[1][3:6] + "-" + card_codes[1][6], "Boy", "pns", "DK,,2,PNS"),
        (card_codes[2], "", "", "5,5,5,1"),
    ]


def test_a_file_with_one_bad_row_is_refused_and_nothing_is_written(setup):
    window, card_codes = setup
    rows = _good_rows(card_codes)
    rows[1] = (rows[1][0], "boy", "white", "4,9,1,3")
    with pytest.raises(ImportRefused) as refused:
        responses_import(text=_csv(window, rows))
    problems = refused.value.problems
    assert [(p.row, p.column) for p in problems] == [(3, "SAF_02")]
    assert "'9' is not an answer: use 1 to 5" in problems[0].reason
    assert not Response.objects.exists() and not Answer.objects.exists()


def test_every_problem_is_reported_by_row_and_column(setup):
    window, card_codes = setup
    group = window.group
    text = "\n".join(
        [
            HEADER + ",NOPE_01",
            f"{group.school.urn},{group.name},{group.year_group},baseline,{card_codes[0]},girl,white,4,2,1,3,1",
            f"999999,{group.name},{group.year_group},baseline,{card_codes[1]},girl,white,4,2,1,3,1",
            f"{group.school.urn},{group.name},5,baseline,ABCDEFG,robot,martian,x,2,1,4,",
        ]
    )
    with pytest.raises(ImportRefused) as refused:
        responses_import(text=text)
    found = {(p.row, p.column) for p in refused.value.problems}
    assert (2, "NOPE_01") in found
    assert (3, "school_urn") in found
    assert {(4, "year_group"), (4, "participant_code"), (4, "gender"), (4, "ethnicity"), (4, "SAF_01")} <= found
    assert (4, "VIO_02") in found  # faces3 goes 1-3
    assert not Response.objects.exists()


def test_the_corrected_file_imports_and_importing_it_again_changes_nothing(setup):
    window, card_codes = setup
    text = _csv(window, _good_rows(card_codes))
    result = responses_import(text=text.replace(",baseline,", ",Baseline,", 1))
    assert result.created == 3 and result.unchanged == 0
    responses = Response.objects.filter(window=window)
    assert responses.count() == 3
    assert set(responses.values_list("source", flat=True)) == {"paper"}
    assert set(responses.values_list("status", flat=True)) == {"completed"}
    assert Answer.objects.count() == 12
    second = Answer.objects.filter(response__gender="boy").order_by("item__sort_order")
    assert [(a.value, a.missing) for a in second] == [(None, "dk"), (None, "skip"), (2, ""), (None, "pns")]

    # Outcomes recount the window's class (outcomes.receivers); nothing else follows.
    assert OutboxMessage.objects.get().kind == "responses_imported"
    assert OutboxMessage.objects.get().payload == {"window_ids": [window.pk]}

    again = responses_import(text=text)
    assert again.created == 0 and again.unchanged == 3
    assert Response.objects.count() == 3 and Answer.objects.count() == 12
    assert OutboxMessage.objects.count() == 1  # nothing new to recount


def test_the_same_pupil_twice_in_one_file_is_refused(setup):
    window, card_codes = setup
    rows = [(card_codes[0], "girl", "white", "4,2,1,3"), (card_codes[0], "girl", "white", "4,2,1,3")]
    with pytest.raises(ImportRefused) as refused:
        responses_import(text=_csv(window, rows))
    assert [(p.row, p.column) for p in refused.value.problems] == [(3, "participant_code")]


def test_a_class_without_a_window_for_the_wave_is_reported(setup):
    window, card_codes = setup
    text = _csv(window, _good_rows(card_codes)).replace(",baseline,", ",Post,")
    with pytest.raises(ImportRefused) as refused:
        responses_import(text=text)
    assert "no post survey window" in refused.value.problems[0].reason


def test_missing_header_columns_are_reported_on_row_1():
    with pytest.raises(ImportRefused) as refused:
        responses_import(text="school_urn,group\n1,2\n")
    assert {p.column for p in refused.value.problems} >= {"year_group", "wave", "participant_code"}
    assert {p.row for p in refused.value.problems} == {1}


def test_management_command_imports_and_refuses(setup, tmp_path):
    window, card_codes = setup
    good = tmp_path / "good.csv"
    good.write_text(_csv(window, _good_rows(card_codes)), encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text(_csv(window, [(card_codes[0], "girl", "white", "4,2,1,7")]), encoding="utf-8")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_responses", str(bad))
    assert not Response.objects.exists()
    call_command("import_responses", str(good))
    call_command("import_responses", str(good))
    assert Response.objects.count() == 3


@given(cells=st.lists(st.lists(st.text(max_size=12), min_size=0, max_size=14), min_size=1, max_size=6))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_hostile_files_never_crash_and_a_refused_file_writes_nothing(setup, cells):
    import csv
    import io

    window, _codes = setup
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER.split(","))
    group = window.group
    for row in cells:
        writer.writerow([group.school.urn, group.name, str(group.year_group), "baseline", *row])
    before = Response.objects.count()
    try:
        responses_import(text=buffer.getvalue())
    except ImportRefused as refused:
        assert refused.problems and all(problem.row >= 1 for problem in refused.problems)
        assert Response.objects.count() == before  # all or nothing
    else:  # blank and in-range cells make a valid file, which is fine
        assert Response.objects.count() >= before


def test_a_value_over_the_csv_field_limit_is_a_problem_on_its_row_not_a_server_error(setup):
    """The csv module refuses a value over 131,072 characters; that used to be a 500."""
    window, card_codes = setup
    cell = "x" * 131_073
    rows = _good_rows(card_codes)
    text = (
        _csv(window, rows[:1])
        + f"{window.group.school.urn},{window.group.name},{window.group.year_group},baseline,,,,{cell},1,1,1\n"
    )
    with pytest.raises(ImportRefused) as refused:
        responses_import(text=text)
    assert [(p.row, p.reason) for p in refused.value.problems] == [(3, UNREADABLE)]
    assert not Response.objects.exists() and not OutboxMessage.objects.exists()
