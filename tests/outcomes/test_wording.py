"""outcomes.wording: one published row in plain words, with its numbers. Rows are built
through the real engine (rollups and ``outcome_table``) so the words rest on the same
figures the pages show; the direction rules are also checked on hand-made rows."""

from __future__ import annotations

import dataclasses

import pytest

from outcomes import services
from outcomes.filters import OutcomeFilter
from outcomes.selectors import outcome_table
from outcomes.wording import FEWER_THAN_10, MONITORING, pupils_subject, scale_ranges, statement, statements
from tests.outcomes.helpers import closed_class, outcome_version, populate, programme_page

pytestmark = pytest.mark.django_db


def _class_rows(n: int, *, shift: int = 1, lost: int = 0):
    version, programme = outcome_version(), programme_page()
    group, baseline, post = closed_class(programme=programme, version=version)
    populate(baseline, post, n, shift=shift, lost=lost)
    services.class_pairs_refresh(keys=services.all_pair_keys())
    table = outcome_table(OutcomeFilter.parse(school=group.school.urn, scopes=("school", "class")).resolve())
    return [r for r in table.rows if r.scope == "class" and r.subgroup == "all"]


def _with(row, *, change, low, high, higher_is_better=True):
    summary = dataclasses.replace(row.figures.summary, mean_change=change, ci_low=low, ci_high=high)
    figures = dataclasses.replace(row.figures, summary=summary)
    return dataclasses.replace(
        row, figures=figures, higher_is_better=higher_is_better, scale_name="Approval of violence"
    )


def test_a_clear_rise_reads_went_up_by_the_mean_change_on_the_scales_range_with_the_numbers():
    rows = _class_rows(20, shift=1)
    safety = next(r for r in rows if r.scale == "safety")
    said = statements(rows)[0]
    summary = safety.figures.summary
    assert summary.ci_low > 0  # a clear rise
    amount = f"{round(summary.mean_change, 2):.2f}".rstrip("0").rstrip(".")
    assert said.sentence == (
        f"Pupils' feeling safe went up by {amount} point{'' if amount == '1' else 's'} on a 1 to 5 scale: "
        "the change the programme hopes for."
    )
    assert (said.direction, said.hoped_for, said.shown) == ("up", True, True)
    assert said.baseline_display == f"{summary.baseline_mean:.2f}" and said.later_display == f"{summary.post_mean:.2f}"
    assert said.change_display == f"{summary.mean_change:+.2f}"
    assert said.interval_display == f"{summary.ci_low:+.2f} to {summary.ci_high:+.2f}"
    assert (said.pupils, said.match_rate_display) == ("20", "100%")


def test_fewer_than_10_matched_pupils_show_fewer_than_10_and_no_number():
    rows = _class_rows(9)
    for said in statements(rows):
        assert not said.shown and said.pupils == FEWER_THAN_10
        assert said.sentence.endswith("fewer than 10 pupils answered both surveys, so the result is not shown.")
        assert said.baseline_mean is None and said.change is None and said.n_matched is None
        assert not any(ch.isdigit() for ch in said.sentence.replace("10", ""))


def test_an_interval_that_includes_zero_reads_stayed_about_the_same_with_the_size_beside_it():
    row = next(r for r in _class_rows(12) if r.scale == "safety")
    said = statement(_with(row, change=0.12, low=-0.05, high=0.29), scale_range=(1, 5))
    assert said.direction == "same" and said.hoped_for is None
    assert said.sentence == (
        "Pupils' approval of violence stayed about the same: the average went up by 0.12 points on a 1 to 5 "
        "scale, which is within what chance alone could give for this many pupils."
    )
    exactly = statement(_with(row, change=0.0, low=-0.1, high=0.1), scale_range=(1, 5))
    assert (
        exactly.sentence
        == "Pupils' approval of violence stayed the same: the average score after the programme was the same as before."
    )


def test_direction_follows_higher_is_better():
    row = next(r for r in _class_rows(12) if r.scale == "safety")
    down_good = statement(_with(row, change=-0.35, low=-0.5, high=-0.2, higher_is_better=False), scale_range=(1, 5))
    assert down_good.sentence == (
        "Pupils' approval of violence went down by 0.35 points on a 1 to 5 scale: on this scale lower is better, "
        "so this is the change the programme hopes for."
    )
    assert down_good.hoped_for is True
    up_bad = statement(_with(row, change=0.4, low=0.1, high=0.7, higher_is_better=False), scale_range=(1, 5))
    assert up_bad.hoped_for is False and up_bad.sentence.endswith("the opposite of the change the programme hopes for.")
    down_bad = statement(_with(row, change=-1.0, low=-1.2, high=-0.8), scale_range=(1, 5))
    assert "went down by 1 point on a 1 to 5 scale: on this scale higher is better" in down_bad.sentence
    tiny = statement(_with(row, change=0.003, low=0.001, high=0.005), scale_range=(1, 5))
    assert "went up by less than 0.01 points" in tiny.sentence


def test_a_scale_mixing_response_ranges_has_no_single_range_and_says_so():
    rows = _class_rows(15)
    ranges = scale_ranges(rows)
    assert ranges[(rows[0].instrument, "safety")] == (1, 5)
    assert (rows[0].instrument, "violence") not in ranges  # agree5 and faces3 items together
    violence = next(s for s in statements(rows) if s.scale == "violence")
    assert "on this scale's score" in violence.sentence


def test_subject_lowers_the_first_letter_but_keeps_abbreviations():
    assert pupils_subject("Confidence to help as a bystander") == "Pupils' confidence to help as a bystander"
    assert pupils_subject("PSHE confidence") == "Pupils' PSHE confidence"


def test_the_monitoring_caveat_says_it_is_not_proof_of_impact():
    assert "monitoring, not proof of impact" in MONITORING and "comparison group" in MONITORING


def test_one_small_sample_note_per_group_of_fewer_than_30():
    from outcomes.templatetags.outcome_wording import any_small_sample

    said = statements(_class_rows(12))
    assert all(s.small_sample for s in said) and any_small_sample(said)
    assert not any_small_sample([s for s in said if not s.shown])
