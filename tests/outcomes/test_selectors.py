"""The published table (outcomes.selectors.outcome_table): scopes, disclosure over the whole
table (fewer than 10, fewer than 3 schools, secondary, breakdowns, filter complements),
multiplicity, dose and direction."""

from __future__ import annotations

import dataclasses

import pytest

from outcomes import services
from outcomes.filters import OutcomeFilter
from outcomes.selectors import outcome_table
from outcomes.stats.disclosure import RULES_VERSION
from surveys.models import SurveyWindow
from tests.lessons.factories import LessonDeliveryFactory, LessonPageFactory
from tests.outcomes.helpers import closed_class, outcome_version, populate, programme_page

pytestmark = pytest.mark.django_db


def _table(programme, **filters):
    services.class_pairs_refresh(keys=services.all_pair_keys())
    return outcome_table(OutcomeFilter.parse(programme=programme.slug, **filters).resolve())


def _rows(table, scope=None, scale="safety", subgroup="all"):
    return [
        r
        for r in table.rows
        if (scope is None or r.scope == scope) and r.scale == scale and (subgroup is None or r.subgroup == subgroup)
    ]


def _one(table, scope, scale="safety", subgroup="all", scope_name=None):
    rows = [r for r in _rows(table, scope, scale, subgroup) if scope_name is None or r.scope_name == scope_name]
    assert len(rows) == 1, rows
    return rows[0]


@pytest.fixture
def region():
    """Three schools in Coventry (12, 15 and 20 matched girls), one in Dudley (11) and one in
    Walsall (13). Returns the version, the programme and Coventry's (baseline, post) pairs."""
    version, programme = outcome_version(), programme_page()
    coventry = []
    for slug, n in (("coventry", 12), ("coventry", 15), ("coventry", 20), ("dudley", 11), ("walsall", 13)):
        _group, baseline, post = closed_class(programme=programme, version=version, authority_slug=slug)
        populate(baseline, post, n, lost=2)
        if slug == "coventry":
            coventry.append((baseline, post))
    return version, programme, coventry


def test_region_and_authorities_need_three_schools_and_ten_pupils(region):
    _version, programme, _coventry = region
    table = _table(programme)

    top = _one(table, "region")
    assert (top.suppressed, top.figures.n_matched, top.figures.n_schools) == ("", 71, 5)
    assert top.figures.n_baseline == 71 + 10 and top.figures.match_rate == pytest.approx(71 / 81)
    assert _one(table, "local_authority", scope_name="Coventry").figures.n_matched == 47
    assert _one(table, "local_authority", scope_name="Dudley").suppressed == "fewer than 3 schools"
    assert _one(table, "local_authority", scope_name="Walsall").suppressed == "fewer than 3 schools"
    # Dudley's and Walsall's only school would give their hidden authority away: hidden too,
    # and so are their classes; Coventry's schools and classes show.
    hidden_schools = sorted(r.suppressed for r in _rows(table, "school") if r.figures is None)
    assert hidden_schools == ["secondary", "secondary"]
    assert sum(1 for r in _rows(table, "class") if r.figures is not None) == 3
    assert table.rules_version == RULES_VERSION
    assert all(r.higher_is_better for r in _rows(table, None, "safety", None))
    assert not any(r.higher_is_better for r in _rows(table, None, "violence", None))


def test_a_class_under_ten_is_hidden(region):
    version, programme, _coventry = region
    _group, baseline, post = closed_class(programme=programme, version=version, authority_slug="walsall")
    populate(baseline, post, 7)
    table = _table(programme)

    small = [r for r in _rows(table, "class") if r.suppressed == "fewer than 10"]
    assert len(small) == 1 and small[0].figures is None
    # Region = the sum of authorities, two of them hidden: the region itself stays shown.
    assert _one(table, "region").suppressed == ""
    hidden_authorities = {r.scope_name: r.suppressed for r in _rows(table, "local_authority") if r.suppressed}
    assert hidden_authorities == {"Dudley": "fewer than 3 schools", "Walsall": "fewer than 3 schools"}


def test_region_figures_are_the_same_from_area_rollups_and_from_class_rollups(region):
    _version, programme, _coventry = region
    from_classes = _one(_table(programme), "region")
    from_areas = _one(_table(programme, scopes="region,local_authority"), "region")
    # Every figure but those resting on the between-class sum of squares (the one float,
    # added up in the order the rows come back) is exactly the same; those agree to 1e-12.
    floats = ("icc", "design_effect", "n_effective")
    blank = dict.fromkeys(floats)
    assert dataclasses.replace(from_areas.figures, **blank) == dataclasses.replace(from_classes.figures, **blank)
    for name in floats:
        assert getattr(from_areas.figures, name) == pytest.approx(getattr(from_classes.figures, name), rel=1e-12)


def test_small_gender_groups_are_merged_and_a_breakdown_with_a_small_core_group_is_withheld(region):
    _version, programme, coventry = region
    for (baseline, post), (gender, n) in zip(coventry, (("other", 4), ("pns", 4), ("other", 3)), strict=True):
        populate(baseline, post, n, gender=gender, seed=1)
    table = _table(programme, breakdown="gender")

    region_subgroups = {r.subgroup: r for r in _rows(table, "region", subgroup=None)}
    assert set(region_subgroups) == {"all", "gender:girl", "gender:other+pns+not_recorded"}
    merged = region_subgroups["gender:other+pns+not_recorded"]
    assert merged.suppressed == "" and merged.figures.n_matched == 11
    assert merged.subgroup_name == "In another way / Prefer not to say / Not recorded"
    assert region_subgroups["gender:girl"].figures.n_matched == 71
    coventry_rows = {
        r.subgroup: r.suppressed for r in _rows(table, "local_authority", subgroup=None) if r.scope_name == "Coventry"
    }
    assert coventry_rows == {"all": "", "gender:girl": "", "gender:other+pns+not_recorded": ""}
    # In each class the merged group is under 10: those breakdowns are withheld.
    class_rows = [r for r in _rows(table, "class", subgroup=None) if r.subgroup == "gender:girl"]
    assert {r.suppressed for r in class_rows} >= {"breakdown withheld"}

    # Four boys cannot be merged into anything: the region's breakdown is withheld; its
    # "all" row stays.
    populate(*coventry[0], 4, gender="boy", seed=3)
    table = _table(programme, breakdown="gender")
    top = {r.subgroup: r.suppressed for r in _rows(table, "region", subgroup=None)}
    assert top["all"] == ""
    assert top["gender:boy"] == "fewer than 10"
    assert top["gender:girl"] == "breakdown withheld"


def test_a_filter_whose_complement_is_small_is_suppressed():
    """Year 8 has 40 matched pupils, year 9 has 6: the year-8 table would give year 9 away
    as "all years less year 8", so its cells are hidden as secondary."""
    version, programme = outcome_version(), programme_page()
    for slug in ("coventry", "dudley", "walsall"):
        _g, baseline, post = closed_class(programme=programme, version=version, authority_slug=slug, year_group=8)
        populate(baseline, post, 14)
    _g, baseline, post = closed_class(programme=programme, version=version, authority_slug="walsall", year_group=9)
    populate(baseline, post, 6)

    everyone = _table(programme, scopes="region")
    assert _one(everyone, "region").figures.n_matched == 48
    year_8 = _table(programme, scopes="region", year_group="8")
    assert _one(year_8, "region").suppressed == "secondary"

    # A complement of 16 pupils from 2 schools would still show two schools' sum: hidden.
    _g, baseline, post = closed_class(programme=programme, version=version, authority_slug="dudley", year_group=9)
    populate(baseline, post, 10)
    assert _one(_table(programme, scopes="region", year_group="8"), "region").suppressed == "secondary"

    # With a complement from 3 schools the filtered figure shows.
    _g, baseline, post = closed_class(programme=programme, version=version, authority_slug="coventry", year_group=9)
    populate(baseline, post, 10)
    year_8 = _table(programme, scopes="region", year_group="8")
    assert _one(year_8, "region").suppressed == "" and _one(year_8, "region").figures.n_matched == 42


def test_holm_across_scales_and_benjamini_hochberg_across_categories_keep_the_raw_p(region):
    _version, programme, coventry = region
    for baseline, post in coventry:
        populate(baseline, post, 10, gender="boy", seed=4)
    table = _table(programme, breakdown="gender", scopes="region")

    rows = {(r.scale, r.subgroup): r for r in table.rows}
    raw = sorted((rows[(s, "all")].figures.summary.p_value, s) for s in ("safety", "violence"))
    assert rows[(raw[0][1], "all")].p_holm == pytest.approx(min(1.0, 2 * raw[0][0]))
    assert rows[(raw[1][1], "all")].p_holm == pytest.approx(max(min(1.0, 2 * raw[0][0]), raw[1][0]))
    girls, boys = rows[("safety", "gender:girl")], rows[("safety", "gender:boy")]
    ps = sorted([girls.figures.summary.p_value, boys.figures.summary.p_value])
    assert sorted([girls.p_bh, boys.p_bh]) == pytest.approx([min(2 * ps[0], ps[1]), ps[1]])
    assert rows[("safety", "all")].p_bh is None


def test_place_filters_choose_the_scopes_shown(region):
    _version, programme, _coventry = region
    coventry = _table(programme, local_authority="coventry")
    assert {r.scope for r in coventry.rows} == {"local_authority", "school", "class"}
    assert {r.scope_name for r in coventry.rows if r.scope == "local_authority"} == {"Coventry"}
    assert len({r.scope_id for r in coventry.rows if r.scope == "school"}) == 3

    school = next(r for r in coventry.rows if r.scope == "school")
    one = _table(programme, school=school.scope_id)
    assert {r.scope for r in one.rows} == {"school", "class"}
    assert {r.scope_id for r in one.rows if r.scope == "school"} == {school.scope_id}


def test_follow_up_compares_baseline_with_the_follow_up_window():
    version, programme = outcome_version(), programme_page()
    for slug in ("coventry", "dudley", "walsall"):
        _g, baseline, follow_up = closed_class(
            programme=programme, version=version, authority_slug=slug, later_wave=SurveyWindow.Wave.FOLLOW_UP
        )
        populate(baseline, follow_up, 10)
    assert _table(programme).rows == []
    follow = _table(programme, compare="follow_up", scopes="region")
    assert _one(follow, "region").figures.n_matched == 30


def test_dose_breakdown_groups_classes_by_lessons_delivered():
    version, programme = outcome_version(), programme_page()
    lessons = [LessonPageFactory(parent=programme, title=f"Lesson {i}") for i in range(2)]
    for slug, taught in (
        ("coventry", 2),
        ("dudley", 2),
        ("walsall", 2),
        ("solihull", 0),
        ("sandwell", 0),
        ("dudley", 0),
    ):
        group, baseline, post = closed_class(programme=programme, version=version, authority_slug=slug)
        populate(baseline, post, 12)
        for lesson in lessons[:taught]:
            LessonDeliveryFactory(group=group, lesson=lesson, delivered_on=baseline.closes_at.date())
    table = _table(programme, breakdown="dose", scopes="region")

    subgroups = {r.subgroup: r for r in table.rows if r.scale == "safety"}
    assert subgroups["dose:all"].figures.n_matched == 36
    assert subgroups["dose:under_half"].figures.n_matched == 36
    assert subgroups["dose:all"].subgroup_name == "All the lessons"


def test_year_group_breakdown_splits_by_the_classes_year_group():
    version, programme = outcome_version(), programme_page()
    for slug, year in (("coventry", 7), ("dudley", 7), ("walsall", 8), ("sandwell", 8)):
        _g, baseline, post = closed_class(programme=programme, version=version, authority_slug=slug, year_group=year)
        populate(baseline, post, 11)
    table = _table(programme, breakdown="year_group", scopes="region")
    subgroups = {r.subgroup: r.suppressed for r in table.rows if r.scale == "safety"}
    # Each year group comes from only 2 schools: withheld, the whole region shown.
    assert subgroups == {"all": "", "year_group:7": "fewer than 3 schools", "year_group:8": "fewer than 3 schools"}
