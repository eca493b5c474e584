"""Change by lessons delivered (the dose breakdown) from area rollups.

Region and local-authority tables by dose band read the area rollups' ``dose`` rows; these
must be, cell for cell, what adding up the class rollups by each class's ``dose_band`` gives
(the old way, which the tests run by making the selectors read class rollups), with the
same disclosure. Logging, undoing or planning lessons moves a class's pupils between the
categories through the outbox, ``rebuild_outcomes`` gives the same rows, and the regional
PDF report carries the section with ``export_outcomes --breakdown dose``'s figures."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from collections import defaultdict

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from lessons.services import lesson_delivery_record, lesson_delivery_undo
from outcomes import dashboard, selectors, services
from outcomes.filters import OutcomeFilter
from outcomes.models import NOT_RECORDED, AreaRollup, ClassPair, ClassRollup, Dimension
from outcomes.reports import content
from outcomes.reports.content import dose_filters, export_arguments
from surveys.services.outbox import outbox_relay
from tests.factories import SchoolFactory
from tests.lessons.factories import LessonDeliveryFactory, LessonPageFactory
from tests.outcomes.helpers import authority, closed_class, export_rows, outcome_version, populate, programme_page

pytestmark = pytest.mark.django_db

DURING = dt.timedelta(days=20)  # between the baseline window opening and the post window closing
BANDS = {0: "under_half", 1: "half_or_more", 2: "all"}


# --- Worlds -------------------------------------------------------------------------------


def random_region(seed: int) -> dict:
    """Two programmes (one with 4 lessons, one with no plan at all), 10 schools in 4
    authorities, 1 or 2 classes each of 4 to 16 matched pupils (and some lost), year 7 or
    8, academic year 2025 or 2026, each class logging 0 to 4 lessons."""
    rng = random.Random(seed)
    version = outcome_version()
    planned, unplanned = programme_page(), programme_page()
    lessons = [LessonPageFactory(parent=planned, title=f"Lesson {i}") for i in range(4)]
    places = ["coventry", "dudley", "walsall", "sandwell"]
    for index in range(10):
        school = SchoolFactory(local_authority=authority(places[index % 4] if index < 8 else rng.choice(places)))
        for _ in range(rng.randint(1, 2)):
            programme = planned if rng.random() < 0.75 else unplanned
            group, baseline, post = closed_class(
                programme=programme,
                version=version,
                school=school,
                year_group=rng.choice((7, 8)),
                academic_year=rng.choice((2025, 2026, 2026)),
            )
            populate(
                baseline,
                post,
                rng.randint(4, 16),
                lost=rng.randint(0, 3),
                gender=rng.choice(("girl", "boy")),
                seed=seed,
            )
            if programme is planned:
                for lesson in rng.sample(lessons, rng.randint(0, 4)):
                    LessonDeliveryFactory(group=group, lesson=lesson, delivered_on=timezone.localdate() - DURING)
    services.class_pairs_refresh(keys=services.all_pair_keys())
    return {"programmes": [planned, unplanned]}


@pytest.fixture
def coventry():
    """Two lessons; four classes at four Coventry schools (12, 11, 13 and 14 matched pupils,
    year 8), the first having logged no lesson yet, the others both."""
    version, programme = outcome_version(), programme_page()
    lessons = [LessonPageFactory(parent=programme, title=f"Lesson {i}") for i in range(2)]
    groups = []
    for index, n in enumerate((12, 11, 13, 14)):
        group, baseline, post = closed_class(programme=programme, version=version, authority_slug="coventry")
        populate(baseline, post, n, lost=1, seed=index)
        if index:
            for lesson in lessons:
                LessonDeliveryFactory(group=group, lesson=lesson, delivered_on=timezone.localdate() - DURING)
        groups.append(group)
    services.class_pairs_refresh(keys=services.all_pair_keys())
    outbox_relay()  # the lessons' and deliveries' own messages: nothing left to change
    return {"programme": programme, "lessons": lessons, "groups": groups}


# --- Helpers ------------------------------------------------------------------------------


def _resolved(**filters):
    return OutcomeFilter.parse(**filters).resolve()


def _the_old_way(monkeypatch, resolved):
    """The table as it was built before area rollups had dose rows: every dose cell added up
    from the class rollups by each class's dose band."""
    with monkeypatch.context() as patch:
        patch.setattr(selectors, "_reads_class_rollups", lambda levels, breakdown: True)
        table = selectors.outcome_table(resolved)
        cells = {
            (programme.id, without): selectors._collect(programme.id, resolved, without=without)
            for programme in resolved.programmes
            for without in (None, *resolved.data_filters)
        }
    return table, cells


def _same_number(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12) or (math.isnan(a) and math.isnan(b))
    return a == b


def _same(a, b) -> bool:
    """Equal figures: integers and flags exactly, floats to 1e-9 (the between-class sum of
    squares is a float added up in another order)."""
    if dataclasses.is_dataclass(a) and dataclasses.is_dataclass(b):
        return type(a) is type(b) and _same(dataclasses.asdict(a), dataclasses.asdict(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return _same_number(a, b)


def _assert_same_cells(new: selectors._Collected, old: selectors._Collected) -> None:
    assert new.cells.keys() == old.cells.keys()
    for scale, cells in new.cells.items():
        assert cells.keys() == old.cells[scale].keys(), scale
        for key, sums in cells.items():
            theirs = old.cells[scale][key]
            assert sums.by_unit.keys() == theirs.by_unit.keys(), key
            for unit, mine in sums.by_unit.items():
                other = theirs.by_unit[unit]
                assert mine.sums == other.sums, key
                assert mine.histogram == other.histogram, key
                assert (mine.classes, mine.class_n2) == (other.classes, other.class_n2), key
                assert {k: v for k, v in mine.school_n.items() if v} == {
                    k: v for k, v in other.school_n.items() if v
                }, key
                assert {k: v for k, v in mine.school_change.items() if v} == {
                    k: v for k, v in other.school_change.items() if v
                }, key
                assert mine.class_between == pytest.approx(other.class_between, rel=1e-12), key


def _by_key(table) -> dict:
    return {(r.programme, r.scope, r.scope_id, r.scale, r.subgroup): r for r in table.rows}


def _dose_area(programme, *, local_authority: str = "coventry", year_group: int = 8, scale: str = "safety") -> dict:
    """Dose category -> matched pupils in the authority's area rollup of that year group."""
    rows = AreaRollup.objects.filter(
        programme_id=programme.pk,
        local_authority__slug=local_authority,
        year_group=year_group,
        dimension=Dimension.DOSE,
        scale_code=scale,
    )
    return {row.category: row.n_matched for row in rows if row.n_matched}


def _dose_from_classes() -> dict:
    """Every dose area cell, added up here from the class rollups' "all pupils" rows by the
    class's band: (programme, year, authority, year group, compare, instrument, scale, unit,
    category) -> (n matched, sum x, sum y, n lost, classes with matched pupils, school -> n)."""
    found: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0, 0, defaultdict(int)])
    for row in ClassRollup.objects.filter(dimension=Dimension.ALL).values():
        category = BANDS.get(row["dose_band"], NOT_RECORDED)
        for year_group in (row["year_group"], services.ALL_YEAR_GROUPS):
            key = (
                row["programme_id"],
                row["academic_year"],
                row["local_authority_id"],
                year_group,
                row["compare"],
                row["instrument_id"],
                row["scale_code"],
                row["unit"],
                category,
            )
            cell = found[key]
            cell[0] += row["n_matched"]
            cell[1] += row["sum_x"]
            cell[2] += row["sum_y"]
            cell[3] += row["n_lost"]
            cell[4] += 1 if row["n_matched"] else 0
            if row["n_matched"]:
                cell[5][str(row["school_id"])] += row["n_matched"]
    return {key: (*cell[:5], dict(cell[5])) for key, cell in found.items()}


def _dose_areas() -> dict:
    return {
        (
            row.programme_id,
            row.academic_year,
            row.local_authority_id,
            row.year_group,
            row.compare,
            row.instrument_id,
            row.scale_code,
            row.unit,
            row.category,
        ): (row.n_matched, row.sum_x, row.sum_y, row.n_lost, row.n_classes, dict(row.school_n))
        for row in AreaRollup.objects.filter(dimension=Dimension.DOSE)
    }


def _area_snapshot() -> dict:
    """Every area row's values, keyed by its cell."""
    snapshot = {}
    for row in AreaRollup.objects.values():
        row.pop("id")
        between = row.pop("class_between")
        key = tuple(
            row[name]
            for name in (
                "programme_id",
                "academic_year",
                "local_authority_id",
                "year_group",
                "compare",
                "instrument_id",
                "scale_code",
                "unit",
                "dimension",
                "category",
            )
        )
        snapshot[key] = (row, round(between, 6))
    return snapshot


# --- Region and local-authority breakdowns from area rollups -----------------------------------


@pytest.mark.parametrize("seed", [3, 11])
def test_region_and_authority_dose_breakdowns_from_area_rollups_equal_the_class_rollups_sums(seed, monkeypatch):
    world = random_region(seed)
    shown = hidden = 0
    for filters in (
        {"scopes": "region,local_authority"},
        {"scopes": "region"},
        {"scopes": "region,local_authority", "academic_year": 2026},
        {"scopes": "region,local_authority", "year_group": 8},
        {"scopes": "region,local_authority", "academic_year": 2026, "year_group": 7},
        {"scopes": "region,local_authority", "local_authority": "coventry"},
    ):
        resolved = _resolved(breakdown="dose", **filters)
        with CaptureQueriesContext(connection) as queries:
            table = selectors.outcome_table(resolved)
        assert not [q for q in queries.captured_queries if "outcomes_classrollup" in q["sql"]], filters
        old_table, old_cells = _the_old_way(monkeypatch, resolved)

        for (programme_id, without), old in old_cells.items():
            _assert_same_cells(selectors._collect(programme_id, resolved, without=without), old)
        new_rows, old_rows = _by_key(table), _by_key(old_table)
        assert new_rows.keys() == old_rows.keys(), filters
        for key, row in new_rows.items():
            before = old_rows[key]
            assert row.suppressed == before.suppressed, (filters, key)
            assert _same(row.figures, before.figures), (filters, key)
            assert _same(row.p_holm, before.p_holm) and _same(row.p_bh, before.p_bh), (filters, key)
        dose_rows = [r for r in table.rows if r.subgroup.startswith("dose:")]
        shown += sum(1 for r in dose_rows if not r.suppressed)
        hidden += sum(1 for r in dose_rows if r.suppressed)
        assert {r.subgroup for r in dose_rows} <= {f"dose:{code}" for code in (*BANDS.values(), NOT_RECORDED)}
    # The random region has both, so the comparison covered disclosure as well as figures.
    assert shown and hidden, (shown, hidden)
    # Both programmes' classes are in the area rollups' dose rows, the unplanned ones as "not recorded".
    unplanned = world["programmes"][1]
    if ClassRollup.objects.filter(programme_id=unplanned.pk).exists():
        categories = set(
            AreaRollup.objects.filter(programme_id=unplanned.pk, dimension=Dimension.DOSE).values_list(
                "category", flat=True
            )
        )
        assert categories == {NOT_RECORDED}
    assert _dose_areas() == _dose_from_classes()


def test_the_dashboards_table_by_lessons_delivered_reads_no_class_rollup(coventry):
    resolved = dashboard.parse({"programme": coventry["programme"].slug})
    with CaptureQueriesContext(connection) as queries:
        board = dashboard.build(resolved, use_cache=False)
    assert not [q for q in queries.captured_queries if "outcomes_classrollup" in q["sql"]]
    region = {r.subgroup: r for r in board.dose_table.rows if r.scope == "region" and r.scale == "safety"}
    # 12 pupils at one school under half the plan (fewer than 3 schools): the region's 50 less
    # the 38 at three schools with all of it would give the 12, so the 38 are hidden too (the
    # area cube's exact check, ``canonical``, hides it as secondary before rule 3 would
    # withhold the breakdown).
    assert region["all"].figures.n_matched == 50
    assert region["dose:under_half"].suppressed == "fewer than 3 schools"
    assert region["dose:all"].suppressed == "secondary"
    assert region["dose:all"].figures is None


# --- Keeping the bands exact -------------------------------------------------------------------


def test_logging_a_lesson_moves_the_class_to_its_new_band_and_undoing_it_moves_it_back(coventry):
    programme, lessons, groups = coventry["programme"], coventry["lessons"], coventry["groups"]
    first = groups[0]
    assert _dose_area(programme) == {"under_half": 12, "all": 38}
    assert _dose_area(programme, year_group=services.ALL_YEAR_GROUPS) == {"under_half": 12, "all": 38}

    delivery = lesson_delivery_record(
        group=first,
        lesson=lessons[0],
        delivered_on=timezone.localdate() - DURING,
        minutes=45,
        logged_by=first.teacher,
    )
    assert _dose_area(programme) == {"under_half": 12, "all": 38}  # not yet: the outbox has it
    assert outbox_relay().sent == 1
    assert _dose_area(programme) == {"half_or_more": 12, "all": 38}
    assert _dose_area(programme, year_group=services.ALL_YEAR_GROUPS) == {"half_or_more": 12, "all": 38}
    pair = ClassPair.objects.get(group=first)
    assert (pair.lessons_planned, pair.lessons_delivered) == (2, 1)
    assert set(ClassRollup.objects.filter(group_id=first.pk).values_list("dose_band", flat=True)) == {1}
    assert _dose_areas() == _dose_from_classes()
    # A full refresh finds nothing left to change: the bands are what it would write.
    assert services.class_pairs_refresh(keys=services.all_pair_keys()).changed == 0

    lesson_delivery_undo(delivery=delivery)
    outbox_relay()
    assert _dose_area(programme) == {"under_half": 12, "all": 38}
    assert ClassPair.objects.get(group=first).lessons_delivered == 0
    assert _dose_areas() == _dose_from_classes()


def test_a_lesson_published_or_unpublished_changes_the_plan_and_moves_the_classes(coventry):
    programme = coventry["programme"]
    extra = LessonPageFactory(parent=programme, title="Lesson 3")  # published: the plan is now 3 lessons
    outbox_relay()
    # The classes that taught 2 of 3 now have half or more; the first still fewer than half.
    assert _dose_area(programme) == {"under_half": 12, "half_or_more": 38}
    assert set(ClassPair.objects.values_list("lessons_planned", flat=True)) == {3}
    assert _dose_areas() == _dose_from_classes()

    extra.unpublish()
    outbox_relay()
    assert _dose_area(programme) == {"under_half": 12, "all": 38}
    assert set(ClassPair.objects.values_list("lessons_planned", flat=True)) == {2}
    assert _dose_areas() == _dose_from_classes()


def test_a_delivery_dated_outside_the_windows_changes_nothing(coventry):
    programme, lessons, first = coventry["programme"], coventry["lessons"], coventry["groups"][0]
    version_before = selectors.data_versions([programme.pk])
    lesson_delivery_record(
        group=first,
        lesson=lessons[1],
        delivered_on=timezone.localdate() - dt.timedelta(days=120),
        minutes=45,
        logged_by=first.teacher,
    )
    outbox_relay()
    assert _dose_area(programme) == {"under_half": 12, "all": 38}
    assert selectors.data_versions([programme.pk]) == version_before


def test_rebuild_gives_the_rows_the_refreshes_kept_and_is_idempotent(coventry):
    programme, lessons, first = coventry["programme"], coventry["lessons"], coventry["groups"][0]
    lesson_delivery_record(
        group=first, lesson=lessons[0], delivered_on=timezone.localdate() - DURING, minutes=45, logged_by=first.teacher
    )
    LessonPageFactory(parent=programme, title="Lesson 3")
    outbox_relay()
    kept = _area_snapshot()
    assert any(key[8] == Dimension.DOSE for key in kept)

    result = services.outcomes_rebuild()
    assert result.changed == 0
    assert _area_snapshot() == kept
    assert services.outcomes_rebuild(force=True).pairs == len(services.all_pair_keys())
    assert _area_snapshot() == kept
    assert _dose_areas() == _dose_from_classes()


# --- The regional report ------------------------------------------------------------------


def test_the_regional_report_has_the_change_by_lessons_delivered_of_export_outcomes(
    settings, tmp_path, reference_data, django_capture_on_commit_callbacks
):
    from outcomes.reports import services as report_services
    from tests.outcomes.reports_world import report_world
    from tests.outcomes.test_reports import _f2, pdf_text

    settings.MEDIA_ROOT = tmp_path / "media"
    world = report_world()
    programme = world["programme"]
    lessons = [LessonPageFactory(parent=programme, title=f"Lesson {i}") for i in range(2)]
    during = timezone.localdate() - DURING
    for group in [*world["groups"], world["small"]]:  # three schools: all of the plan
        for lesson in lessons:
            LessonDeliveryFactory(group=group, lesson=lesson, delivered_on=during)
    version = outcome_version()
    for index, slug in enumerate(("coventry", "dudley", "walsall")):  # three more: half of it
        group, baseline, post = closed_class(programme=programme, version=version, authority_slug=slug)
        populate(baseline, post, 10 + index, seed=7)
        LessonDeliveryFactory(group=group, lesson=lessons[0], delivered_on=during)
    services.class_pairs_refresh(keys=services.all_pair_keys())
    outbox_relay()

    with django_capture_on_commit_callbacks(execute=True):
        report, _queued = report_services.report_request(
            kind="regional", programme=programme, academic_year=world["year"], user=world["leads"][0]
        )
    report.refresh_from_db()
    assert report.status == "ready", report.last_error
    context = content.build(report)
    filters = dose_filters(dict(report.filters), top="region")
    expected = {(r["scope"], r["scale"], r["subgroup"]): r for r in export_rows(*export_arguments(filters))}
    printed = {(v.scope, v.scale, v.row.subgroup): v for v in context["dose"].rows}
    assert printed.keys() == expected.keys()
    for key, view in printed.items():
        row = expected[key]
        assert view.row.suppressed == row["suppressed"], key
        if not row["suppressed"]:
            assert view.cells["n_matched"] == row["n_matched"]
            assert view.cells["mean_change"] == _f2(row["mean_change"])
            assert view.cells["ci"] == f"{_f2(row['ci_low'])} to {_f2(row['ci_high'])}"
    shown = [r for k, r in expected.items() if k[2].startswith("dose:") and not r["suppressed"]]
    assert {r["subgroup"] for r in shown} >= {"dose:all", "dose:half_or_more"}

    text, _reader = pdf_text(report)
    tokens = text.split()
    assert "Change by lessons delivered" in text
    assert "is not in this report" not in text and "export_outcomes --breakdown dose" not in " ".join(tokens)
    for row in shown:
        run = [row["n_matched"], _f2(row["mean_change"]), _f2(row["ci_low"]), "to", _f2(row["ci_high"])]
        assert any(tokens[i : i + len(run)] == run for i in range(len(tokens))), row
