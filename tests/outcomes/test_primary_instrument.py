"""The shipped primary survey scores correctly in the outcomes engine: faces score 1 to 3,
reverse-keyed faces as 4 - answer, five items a scale so one "Don't know" still leaves a
score and two do not, and the direction of each scale travels with its rollup."""

from __future__ import annotations

import pytest

from outcomes.models import ClassRollup, Dimension
from outcomes.services import outcomes_rebuild
from outcomes.stats.scoring import grid_unit
from surveys import demo
from tests.outcomes.helpers import answer, closed_class, make_pupil, programme_page

pytestmark = pytest.mark.django_db

FIGHTING_FORWARD = ("PFI_01", "PFI_02", "PFI_03")
FIGHTING_REVERSED = ("PFI_04", "PFI_05")
HELPING = ("PHE_01", "PHE_02", "PHE_03", "PHE_04", "PHE_05")


def test_a_year_5_class_on_the_primary_survey_gets_exact_scale_scores():
    version = demo.seed_primary_instrument()
    group, baseline, post = closed_class(
        programme=programme_page(year_from=5, year_to=6), version=version, year_group=5
    )
    for pupil_no in range(11):
        pupil = make_pupil(baseline)
        # Baseline: "Yes" to fighting being OK and "No" to talking it over: keyed 3 on all five.
        before = {**dict.fromkeys(FIGHTING_FORWARD, 3), **dict.fromkeys(FIGHTING_REVERSED, 1)}
        # Post: the other way round, keyed 1 on all five.
        after = {**dict.fromkeys(FIGHTING_FORWARD, 1), **dict.fromkeys(FIGHTING_REVERSED, 3)}
        if pupil_no == 0:
            after["PFI_01"] = "dk"  # one "Don't know" of five: still scored, from four
        if pupil_no == 10:
            before["PFI_01"], before["PFI_04"] = "dk", "pns"  # two missing: no baseline score
        helping = dict.fromkeys(HELPING, 2)  # "In between" throughout, reversed or not
        answer(baseline, pupil, {**before, **helping})
        answer(post, pupil, {**after, **helping})

    outcomes_rebuild()
    unit = grid_unit(5)
    assert unit == 20
    rows = {row.scale_code: row for row in ClassRollup.objects.filter(pair__group=group, dimension=Dimension.ALL)}
    assert set(rows) == {"fighting_ok", "helping_others"}  # getting_help was not answered
    fighting = rows["fighting_ok"]
    assert fighting.higher_is_better is False and fighting.unit == unit
    assert fighting.n_matched == 10  # the pupil with two missing answers has no baseline score
    assert (fighting.sum_x, fighting.sum_y) == (10 * 3 * unit, 10 * 1 * unit)
    assert fighting.n_unmatched == 1  # ...but a post score
    helping = rows["helping_others"]
    assert helping.higher_is_better is True
    assert (helping.n_matched, helping.sum_x, helping.sum_y) == (11, 11 * 2 * unit, 11 * 2 * unit)
