"""Writes of the outcomes engine: refreshing class pairs, rebuilding everything, freezing
purged pairs. Reads of published figures live in ``selectors``.

A refresh is keyed by (class, wave pair) and idempotent: it recomputes the pair from the
completed responses of the class's two windows and replaces its rows, so running it twice,
or concurrently, gives the same rows (pairs are locked ``select_for_update``; area rows are
recomputed under a per-area lock after the class rows are written). A pair contributes
figures only once both its windows have closed.

Lesson counts: a class's dose band (``dose_band``, copied onto every class row, and the
``dose`` rows of its area) follows from its pair's lessons planned and delivered. A change
to the delivery log or to a programme's live lessons runs ``pairs_dose_refresh``, which
recounts only the lessons; the pair's digest leaves the counts out (they are compared as
they are), so a refresh after it finds nothing to change.

Streaming: classes are processed in batches (``BATCH_SIZE``), each batch one transaction
reading per-response scale sums (an ORM aggregate over ``Answer``) for its windows only, so
memory is bounded by the batch, never by the number of answers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, Count, F, IntegerField, Q, Sum, Value, When
from django.utils import timezone

from lessons.models import LessonDelivery, LessonPage, ProgrammePage, TeachingGroup
from surveys import response_scales
from surveys.models import (
    Answer,
    InstrumentVersion,
    Item,
    Response,
    Scale,
    SurveyWindow,
    WindowState,
    window_ended_at,
    window_state,
)

from .building import PairBuild, ResponseRecord, build_pair, scales_by_version
from .figures import SUMS
from .models import NOT_RECORDED, AreaRollup, ClassPair, ClassRollup, Compare, DataVersion, Dimension

BATCH_SIZE = 200
#: ``AreaRollup.year_group`` of an authority's rows summed over all its year groups.
ALL_YEAR_GROUPS = 0
Wave = SurveyWindow.Wave
LATER_WAVE: dict[str, str] = {Compare.POST: Wave.POST, Compare.FOLLOW_UP: Wave.FOLLOW_UP}
COMPARE_FOR_WAVE: dict[str, str] = {Wave.POST: Compare.POST, Wave.FOLLOW_UP: Compare.FOLLOW_UP}
SCORED_SCALES = tuple(response_scales.PRESETS)
_AREA_LOCK = 4020  # first key of PostgreSQL's two-key advisory locks: "an area rollup"

PairKey = tuple[int, str]

# Dose bands: the share of the programme's planned lessons the class had logged as delivered
# between its two windows. (lower bound inclusive as a fraction, code, label)
DOSE_BANDS = [
    (0, "under_half", "Fewer than half the lessons"),
    (1, "half_or_more", "Half or more of the lessons"),
    (2, "all", "All the lessons"),
]


DOSE_CODES: dict[int | None, str] = {band: code for band, code, _ in DOSE_BANDS}


def dose_band(delivered: int | None, planned: int | None) -> int | None:
    """0: under half the planned lessons, 1: half or more, 2: all; None without a plan."""
    if delivered is None or not planned:
        return None
    if delivered >= planned:
        return 2
    return 1 if 2 * delivered >= planned else 0


def dose_code(band: int | None) -> str:
    """The category of a dose band on area rollups (and in the published breakdown):
    ``DOSE_BANDS``' code, or ``NOT_RECORDED`` for a class without a lesson plan."""
    return DOSE_CODES.get(band, NOT_RECORDED)


def window_closed_at(window: Mapping[str, Any]) -> dt.datetime:
    """When a window (a dict of its values) stopped taking answers (surveys' rule)."""
    ended: dt.datetime = window_ended_at(closes_at=window["closes_at"], closed_at=window.get("closed_at"))
    return ended


def window_is_closed(window: Mapping[str, Any], now: dt.datetime) -> bool:
    """Whether the window (a dict of its values) has closed, by surveys' one rule."""
    state = window_state(
        opens_at=window["opens_at"], closes_at=window["closes_at"], closed_at=window.get("closed_at"), at=now
    )
    return state == WindowState.CLOSED


def keyed_value_expression() -> Case:
    """The answer after reverse-keying, as SQL: ``lo + hi - value`` for reverse-keyed items,
    with lo and hi of each item's response scale read from ``surveys.response_scales``."""
    whens = []
    for response_scale in SCORED_SCALES:
        lo, hi = response_scales.value_range(response_scale)
        whens.append(
            When(item__reverse_keyed=True, item__response_scale=response_scale, then=Value(lo + hi) - F("value"))
        )
    return Case(*whens, default=F("value"), output_field=IntegerField())


@dataclass
class RefreshResult:
    refreshed: int = 0
    changed: int = 0
    frozen_skipped: int = 0
    programmes: set[int] = field(default_factory=set)

    def __iadd__(self, other: RefreshResult) -> RefreshResult:
        self.refreshed += other.refreshed
        self.changed += other.changed
        self.frozen_skipped += other.frozen_skipped
        self.programmes |= other.programmes
        return self


# --- Reading one batch ------------------------------------------------------------------


@dataclass
class _Lessons:
    """What the fidelity numbers of a set of classes are counted from: each programme's plan
    (its live lessons) and each class's delivery log."""

    planned: dict[int, int]
    deliveries: dict[int, list[tuple[dt.date, str]]]
    programme_paths: dict[int, tuple[str, int]]


@dataclass
class _Batch:
    groups: dict[int, dict]
    windows: dict[tuple[int, str], dict]
    scales: dict[int, list]
    responses: dict[int, list[ResponseRecord]]
    lessons: _Lessons


def _read_lessons(group_ids: Iterable[int], programme_ids: Iterable[int]) -> _Lessons:
    programme_paths = {
        row["id"]: (row["path"], row["depth"])
        for row in ProgrammePage.objects.filter(pk__in=set(programme_ids)).values("id", "path", "depth")
    }
    planned = {
        pid: LessonPage.objects.live().filter(path__startswith=path, depth=depth + 1).count()
        for pid, (path, depth) in programme_paths.items()
    }
    deliveries: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    for delivery in LessonDelivery.objects.filter(group_id__in=list(group_ids)).values(
        "group_id", "delivered_on", "lesson__path"
    ):
        deliveries[delivery["group_id"]].append((delivery["delivered_on"], delivery["lesson__path"]))
    return _Lessons(planned, deliveries, programme_paths)


def _read_batch(group_ids: Sequence[int], now: dt.datetime) -> _Batch:
    groups: dict[int, dict[str, Any]] = {
        row["id"]: dict(row)
        for row in TeachingGroup.objects.filter(pk__in=group_ids).values(
            "id", "school_id", "school__local_authority_id", "programme_id", "academic_year", "year_group"
        )
    }
    windows: dict[tuple[int, str], dict[str, Any]] = {}
    for window in SurveyWindow.objects.filter(group_id__in=groups).values(
        "id", "group_id", "wave", "instrument_version_id", "opens_at", "closes_at", "closed_at"
    ):
        windows[(window["group_id"], window["wave"])] = dict(window)
    closed_ids = [w["id"] for w in windows.values() if window_is_closed(w, now)]
    version_ids = {w["instrument_version_id"] for w in windows.values()}
    instrument_by_version = dict(
        InstrumentVersion.objects.filter(pk__in=version_ids).values_list("id", "instrument_id")
    )
    items = (
        Item.objects.filter(version_id__in=version_ids, response_scale__in=SCORED_SCALES)
        .exclude(scale_code="")
        .values("version_id", "scale_code")
    )
    scale_rows = Scale.objects.filter(version_id__in=version_ids).values(
        "version_id", "code", "name", "sort_order", "higher_is_better"
    )
    scales = scales_by_version(items, scale_rows, instrument_by_version)

    scores: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    sums = (
        Answer.objects.filter(
            response__window_id__in=closed_ids,
            response__status=Response.Status.COMPLETED,
            value__isnull=False,
            item__response_scale__in=SCORED_SCALES,
        )
        .exclude(item__scale_code="")
        .values("response_id", "item__scale_code")
        .annotate(answered=Count("id"), keyed=Sum(keyed_value_expression()))
        .order_by()
    )
    for summed in sums.iterator(chunk_size=5000):
        scores[summed["response_id"]][summed["item__scale_code"]] = (summed["answered"], summed["keyed"])

    responses: dict[int, list[ResponseRecord]] = defaultdict(list)
    for response in (
        Response.objects.filter(window_id__in=closed_ids, status=Response.Status.COMPLETED)
        .values(
            "id",
            "window_id",
            "participant_id",
            "participant__sgic_element_hashes",
            "participant__year_group",
            "gender",
            "ethnic_group",
        )
        .order_by("pk")
        .iterator(chunk_size=5000)
    ):
        responses[response["window_id"]].append(
            ResponseRecord(
                id=response["id"],
                participant_id=response["participant_id"],
                sgic_hashes=tuple(response["participant__sgic_element_hashes"] or ()),
                participant_year_group=response["participant__year_group"],
                gender=response["gender"],
                ethnic_group=response["ethnic_group"],
                scores=scores.pop(response["id"], {}),
            )
        )

    lessons = _read_lessons(groups, {g["programme_id"] for g in groups.values()})
    return _Batch(dict(groups), windows, scales, responses, lessons)


def _lessons_delivered(lessons: _Lessons, group: dict, baseline: dict, later: dict) -> int:
    """The programme's lessons logged for the class between the baseline window opening and
    the later window closing (local dates, both ends included)."""
    path, depth = lessons.programme_paths.get(group["programme_id"], ("", 0))
    start = timezone.localtime(baseline["opens_at"]).date()
    end = timezone.localtime(window_closed_at(later)).date()
    return sum(
        1
        for day, lesson_path in lessons.deliveries.get(group["id"], ())
        if start <= day <= end and path and lesson_path.startswith(path) and len(lesson_path) == len(path) + 4
    )


def _build(batch: _Batch, key: PairKey, now: dt.datetime) -> tuple[PairBuild, dict]:
    group_id, compare = key
    group = batch.groups[group_id]
    baseline = batch.windows.get((group_id, Wave.BASELINE))
    later = batch.windows.get((group_id, LATER_WAVE[compare]))
    extra = {
        "baseline_window_id": baseline["id"] if baseline else None,
        "later_window_id": later["id"] if later else None,
        "lessons_planned": None,
        "lessons_delivered": None,
    }
    if not (baseline and later and window_is_closed(baseline, now) and window_is_closed(later, now)):
        return PairBuild(), extra
    extra["lessons_planned"] = batch.lessons.planned.get(group["programme_id"])
    extra["lessons_delivered"] = _lessons_delivered(batch.lessons, group, baseline, later)
    build = build_pair(
        baseline=batch.responses.get(baseline["id"], []),
        later=batch.responses.get(later["id"], []),
        baseline_scales=batch.scales.get(baseline["instrument_version_id"], []),
        later_scales=batch.scales.get(later["instrument_version_id"], []),
        school_id=group["school_id"],
        year_group=group["year_group"],
    )
    return build, extra


# --- Writing ----------------------------------------------------------------------------


def _denormalised(group: dict, compare: str) -> dict:
    return {
        "programme_id": group["programme_id"],
        "school_id": group["school_id"],
        "local_authority_id": group["school__local_authority_id"],
        "academic_year": group["academic_year"],
        "year_group": group["year_group"],
    }


def _area_key(pair: ClassPair) -> tuple:
    return (pair.programme_id, pair.academic_year, pair.local_authority_id, pair.year_group, pair.compare)


def _lock_pairs(keys: Sequence[PairKey], groups: dict[int, dict]) -> dict[PairKey, ClassPair]:
    """The pairs' rows, created where missing, locked in id order (two refreshes of one
    pair take turns; batches never deadlock)."""
    group_ids = sorted({g for g, _ in keys})
    ClassPair.objects.bulk_create(
        [ClassPair(group_id=g, compare=c, **_denormalised(groups[g], c)) for g, c in keys],
        ignore_conflicts=True,
    )
    locked = ClassPair.objects.select_for_update().filter(group_id__in=group_ids).order_by("pk")
    return {(p.group_id, p.compare): p for p in locked if (p.group_id, p.compare) in set(keys)}


def _refresh_batch(
    keys: Sequence[PairKey], *, now: dt.datetime, force: bool = False, create_missing: bool = False
) -> tuple[RefreshResult, set[tuple]]:
    """Refresh ``keys`` in the caller's transaction. Returns the result and the area keys
    whose rows must be recomputed."""
    result = RefreshResult()
    batch = _read_batch(sorted({g for g, _ in keys}), now)
    keys = [key for key in keys if key[0] in batch.groups]
    if not create_missing:
        # Only pairs whose later window exists get a row; others have nothing to show.
        keys = [key for key in keys if (key[0], LATER_WAVE[key[1]]) in batch.windows]
    pairs = _lock_pairs(keys, batch.groups)
    areas: set[tuple] = set()
    new_rows: list[ClassRollup] = []
    rewrite: list[int] = []
    updated: list[ClassPair] = []
    for key in keys:
        pair = pairs.get(key)
        if pair is None:  # pragma: no cover - created above
            continue
        if pair.is_frozen:
            result.frozen_skipped += 1
            continue
        build, extra = _build(batch, key, now)
        group = batch.groups[key[0]]
        denormalised = _denormalised(group, key[1])
        # The digest covers the rows and what they are keyed by; the fidelity numbers are
        # compared as they are, so ``pairs_dose_refresh`` can change them (and the dose band)
        # without recounting the responses, and a later refresh still sees nothing new.
        windows = {name: value for name, value in extra.items() if name.endswith("_window_id")}
        digest = build.digest(extra=[sorted(windows.items()), sorted(denormalised.items())])
        lessons = (extra["lessons_planned"], extra["lessons_delivered"])
        changed = digest != pair.digest or lessons != (pair.lessons_planned, pair.lessons_delivered)
        old_area = _area_key(pair)
        result.refreshed += 1
        pair.refreshed_at = now
        if changed or force:
            result.changed += changed
            result.programmes |= {pair.programme_id, denormalised["programme_id"]}
            for name, value in {**denormalised, **extra}.items():
                setattr(pair, name, value)
            for name in ("n_baseline_responses", "n_later_responses", "n_linked", "n_exact", "n_fuzzy", "n_ambiguous"):
                setattr(pair, name, getattr(build, name))
            pair.digest = digest
            rewrite.append(pair.pk)
            areas |= {old_area, _area_key(pair)}
            band = dose_band(pair.lessons_delivered, pair.lessons_planned)
            for row in build.rows:
                new_rows.append(
                    ClassRollup(
                        pair=pair,
                        group_id=key[0],
                        compare=key[1],
                        **denormalised,
                        instrument_id=row.instrument_id,
                        scale_code=row.scale_code,
                        scale_name=row.scale_name,
                        scale_order=row.scale_order,
                        higher_is_better=row.higher_is_better,
                        unit=row.unit,
                        dimension=row.dimension,
                        category=row.category,
                        dose_band=band,
                        **row.fields(),
                    )
                )
        updated.append(pair)
    if rewrite:
        ClassRollup.objects.filter(pair_id__in=rewrite).delete()
        ClassRollup.objects.bulk_create(new_rows, batch_size=2000)
    if updated:
        ClassPair.objects.bulk_update(
            updated,
            [
                "programme_id",
                "school_id",
                "local_authority_id",
                "academic_year",
                "year_group",
                "baseline_window_id",
                "later_window_id",
                "n_baseline_responses",
                "n_later_responses",
                "n_linked",
                "n_exact",
                "n_fuzzy",
                "n_ambiguous",
                "lessons_planned",
                "lessons_delivered",
                "digest",
                "refreshed_at",
            ],
            batch_size=500,
        )
    return result, areas


def _lock_area(key: tuple) -> None:
    if connection.vendor == "postgresql":
        digest = hashlib.sha256(repr(key).encode()).digest()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)", [_AREA_LOCK, int.from_bytes(digest[:4], "big", signed=True)]
            )


AREA_FIELDS = (
    "instrument_id",
    "scale_code",
    "scale_name",
    "scale_order",
    "higher_is_better",
    "unit",
    "dimension",
    "category",
    "school_id",
    "dose_band",
    *SUMS,
    "histogram",
)
_SUMMED = SUMS


def _area_cell(scope: dict[str, Any], row: dict[str, Any], dimension: str, category: str) -> AreaRollup:
    return AreaRollup(
        **scope,
        instrument_id=row["instrument_id"],
        scale_code=row["scale_code"],
        scale_name=row["scale_name"],
        scale_order=row["scale_order"],
        higher_is_better=row["higher_is_better"],
        unit=row["unit"],
        dimension=dimension,
        category=category,
        school_n={},
        school_change={},
        histogram={},
    )


def _area_categories(row: dict[str, Any], *, from_areas: bool) -> list[tuple[str, str]]:
    """The area cells a row adds into: its own dimension and category, and for a class's
    "all pupils" row also the dose category of the class's band (area rows already carry
    their dose rows)."""
    own = (row["dimension"], row["category"])
    if from_areas or row["dimension"] != Dimension.ALL:
        return [own]
    return [own, (Dimension.DOSE, dose_code(row["dose_band"]))]


def _add_counts(into: dict[str, int], key: str, value: int) -> None:
    into[key] = into.get(key, 0) + value


def _replace_area(scope: dict[str, Any], rows: Iterable[dict[str, Any]], *, from_areas: bool) -> None:
    """Replace the area rows of ``scope`` by the exact sum of ``rows`` (class rows, or the
    authority's per-year-group area rows for its all-year-groups rows)."""
    cells: dict[tuple, AreaRollup] = {}
    for row in rows:
        for dimension, category in _area_categories(row, from_areas=from_areas):
            _add_to_area(cells, scope, row, dimension, category, from_areas=from_areas)
    for cell in cells.values():
        cell.histogram = {k: v for k, v in sorted(cell.histogram.items(), key=lambda kv: int(kv[0])) if v}
    AreaRollup.objects.filter(**scope).delete()
    AreaRollup.objects.bulk_create(cells.values(), batch_size=2000)


def _add_to_area(
    cells: dict[tuple, AreaRollup],
    scope: dict[str, Any],
    row: dict[str, Any],
    dimension: str,
    category: str,
    *,
    from_areas: bool,
) -> None:
    cell_key = (row["instrument_id"], row["scale_code"], row["unit"], dimension, category)
    cell = cells.get(cell_key)
    if cell is None:
        cell = cells[cell_key] = _area_cell(scope, row, dimension, category)
    for name in _SUMMED:
        setattr(cell, name, getattr(cell, name) + row[name])
    if from_areas:
        cell.n_classes += row["n_classes"]
        cell.sum_class_n2 += row["sum_class_n2"]
        cell.class_between += row["class_between"]
        for school, n in row["school_n"].items():
            _add_counts(cell.school_n, school, n)
        for school, change in row["school_change"].items():
            _add_counts(cell.school_change, school, change)
    elif row["n_matched"]:
        n = row["n_matched"]
        change = row["sum_y"] - row["sum_x"]
        cell.n_classes += 1
        cell.sum_class_n2 += n * n
        cell.class_between += change * change / n
        _add_counts(cell.school_n, str(row["school_id"]), n)
        _add_counts(cell.school_change, str(row["school_id"]), change)
    for bin_, count in row["histogram"].items():
        _add_counts(cell.histogram, bin_, count)


def _areas_recompute(area_keys: Iterable[tuple]) -> None:
    """Replace the area rows of each (programme, year, authority, year group, compare) key by
    the exact sum of its class rows, then the authority's all-year-groups rows
    (``ALL_YEAR_GROUPS``) by the exact sum of its per-year-group rows. Locks are taken in
    one order (per-year-group keys, then authority keys, each sorted), so batches never
    deadlock, and each recompute sees what committed before its lock was granted."""
    keys = sorted({key for key in area_keys if key[3] != ALL_YEAR_GROUPS}, key=repr)
    for key in keys:
        _lock_area(key)
        scope = dict(
            zip(("programme_id", "academic_year", "local_authority_id", "year_group", "compare"), key, strict=True)
        )
        rows = ClassRollup.objects.filter(**scope).values(*AREA_FIELDS).iterator(chunk_size=5000)
        _replace_area(scope, rows, from_areas=False)
    for programme_id, academic_year, local_authority_id, compare in sorted(
        {(k[0], k[1], k[2], k[4]) for k in keys}, key=repr
    ):
        scope = {
            "programme_id": programme_id,
            "academic_year": academic_year,
            "local_authority_id": local_authority_id,
            "year_group": ALL_YEAR_GROUPS,
            "compare": compare,
        }
        _lock_area(tuple(scope.values()))
        parts = AreaRollup.objects.filter(
            programme_id=programme_id,
            academic_year=academic_year,
            local_authority_id=local_authority_id,
            compare=compare,
            year_group__gt=ALL_YEAR_GROUPS,
        )
        fields = [f for f in AREA_FIELDS if f not in ("school_id", "dose_band")]
        fields += ["n_classes", "sum_class_n2", "class_between", "school_n", "school_change"]
        _replace_area(scope, parts.values(*fields), from_areas=True)


def _bump_versions(programme_ids: Iterable[int], now: dt.datetime) -> None:
    ids = sorted(set(programme_ids))
    if not ids:
        return
    DataVersion.objects.bulk_create([DataVersion(programme_id=pid) for pid in ids], ignore_conflicts=True)
    DataVersion.objects.filter(programme_id__in=ids).update(version=F("version") + 1, changed_at=now)


# --- Public services --------------------------------------------------------------------


def class_pairs_refresh(
    *, keys: Iterable[PairKey], now: dt.datetime | None = None, force: bool = False, create_missing: bool = False
) -> RefreshResult:
    """Recompute these class pairs from their raw responses, in batches, each batch one
    transaction. Frozen pairs are left as they are. Pairs whose later window does not exist
    are skipped unless ``create_missing`` (the purge hook uses it to freeze them)."""
    now = now or timezone.now()
    keys = sorted(set(keys))
    total = RefreshResult()
    for start in range(0, len(keys), BATCH_SIZE):
        with transaction.atomic():
            result, areas = _refresh_batch(
                keys[start : start + BATCH_SIZE], now=now, force=force, create_missing=create_missing
            )
            _areas_recompute(areas)
            _bump_versions(result.programmes, now)
        total += result
    return total


def pairs_for_windows(window_ids: Iterable[int]) -> set[PairKey]:
    """The class pairs a change to these windows affects: a baseline window belongs to both
    pairs of its class, a post or follow-up window to its own."""
    keys: set[PairKey] = set()
    for group_id, wave in SurveyWindow.objects.filter(pk__in=list(window_ids)).values_list("group_id", "wave"):
        if wave == Wave.BASELINE:
            keys |= {(group_id, Compare.POST), (group_id, Compare.FOLLOW_UP)}
        else:
            keys.add((group_id, COMPARE_FOR_WAVE[wave]))
    return keys


def windows_refresh(*, window_ids: Iterable[int], now: dt.datetime | None = None) -> RefreshResult:
    """Refresh every class pair these windows belong to (a window closed, an import
    committed, a pupil withdrew)."""
    return class_pairs_refresh(keys=pairs_for_windows(window_ids), now=now)


def pairs_dose_refresh(
    *,
    group_ids: Iterable[int] | None = None,
    programme_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
) -> RefreshResult:
    """Bring the fidelity numbers and dose bands of these classes' pairs (or of every class
    of these programmes) up to date with the delivery log and the programmes' plans: after a
    lesson is logged, corrected or undone, or a lesson is published, unpublished, moved or
    deleted. One transaction: a pair whose numbers moved gets them rewritten; if its dose
    band moved too, so does every one of its rows' ``dose_band``, and its area rows
    (whose ``dose`` dimension sums classes by band) are recomputed. No response is recounted:
    the sums do not depend on the lessons. Pairs that give no figures yet (a window still
    open) wait for the refresh that follows their closing; frozen pairs are kept as they
    are. A pair whose class changed school, programme, year or windows since its last
    refresh is refreshed in full (``class_pairs_refresh``)."""
    if group_ids is None and programme_ids is None:
        raise ValueError("Name the classes (group_ids) or the programmes (programme_ids) to refresh.")
    now = now or timezone.now()
    condition = Q(pk__in=[])
    if group_ids is not None:
        condition |= Q(group_id__in=sorted(set(group_ids)))
    if programme_ids is not None:
        condition |= Q(programme_id__in=sorted(set(programme_ids)))
    result = RefreshResult()
    with transaction.atomic():
        pairs = list(
            ClassPair.objects.select_for_update()
            .filter(condition, frozen_at__isnull=True, lessons_delivered__isnull=False)
            .order_by("pk")
        )
        if not pairs:
            return result
        ids = {pair.group_id for pair in pairs}
        groups: dict[int, dict[str, Any]] = {
            row["id"]: dict(row)
            for row in TeachingGroup.objects.filter(pk__in=ids).values(
                "id", "school_id", "school__local_authority_id", "programme_id", "academic_year", "year_group"
            )
        }
        windows: dict[tuple[int, str], dict[str, Any]] = {
            (w["group_id"], w["wave"]): dict(w)
            for w in SurveyWindow.objects.filter(group_id__in=ids).values(
                "id", "group_id", "wave", "opens_at", "closes_at", "closed_at"
            )
        }
        lessons = _read_lessons(ids, {g["programme_id"] for g in groups.values()})
        in_full: list[PairKey] = []
        changed: list[ClassPair] = []
        bands: dict[int | None, list[int]] = defaultdict(list)
        areas: set[tuple] = set()
        for pair in pairs:
            key = (pair.group_id, pair.compare)
            group = groups.get(pair.group_id)
            baseline = windows.get((pair.group_id, Wave.BASELINE))
            later = windows.get((pair.group_id, LATER_WAVE[pair.compare]))
            if (
                group is None
                or baseline is None
                or later is None
                or (baseline["id"], later["id"]) != (pair.baseline_window_id, pair.later_window_id)
                or not (window_is_closed(baseline, now) and window_is_closed(later, now))
                or any(getattr(pair, name) != value for name, value in _denormalised(group, pair.compare).items())
            ):
                in_full.append(key)
                continue
            result.refreshed += 1
            planned = lessons.planned.get(group["programme_id"])
            delivered = _lessons_delivered(lessons, group, baseline, later)
            if (planned, delivered) == (pair.lessons_planned, pair.lessons_delivered):
                continue
            band = dose_band(delivered, planned)
            if band != dose_band(pair.lessons_delivered, pair.lessons_planned):
                bands[band].append(pair.pk)
                areas.add(_area_key(pair))
            pair.lessons_planned, pair.lessons_delivered = planned, delivered
            changed.append(pair)
        if changed:
            ClassPair.objects.bulk_update(changed, ["lessons_planned", "lessons_delivered"], batch_size=500)
            for band, pair_ids in bands.items():
                for start in range(0, len(pair_ids), 1000):
                    ClassRollup.objects.filter(pair_id__in=pair_ids[start : start + 1000]).update(dose_band=band)
            _areas_recompute(areas)
            result.changed += len(changed)
            result.programmes |= {pair.programme_id for pair in changed}
            _bump_versions(result.programmes, now)
        if in_full:
            result += class_pairs_refresh(keys=in_full, now=now)
    return result


def all_pair_keys() -> list[PairKey]:
    """Every class pair that has a later window, ordered so that batches follow areas
    (programme, year, local authority, year group), which keeps area recomputes few."""
    rows = (
        SurveyWindow.objects.filter(wave__in=list(COMPARE_FOR_WAVE))
        .values_list(
            "group__programme_id",
            "group__academic_year",
            "group__school__local_authority_id",
            "group__year_group",
            "group_id",
            "wave",
        )
        .order_by()
    )
    return [(group_id, COMPARE_FOR_WAVE[wave]) for *_, group_id, wave in sorted(rows)]


def pairs_due(*, now: dt.datetime | None = None, lookback: dt.timedelta = dt.timedelta(days=2)) -> list[PairKey]:
    """Pairs with a window that has closed (by time or by hand) since the pair was last
    refreshed, looking back ``lookback`` (the nightly refresh covers anything older)."""
    now = now or timezone.now()
    since = now - lookback
    recent = SurveyWindow.objects.filter(
        Q(closes_at__gt=since, closes_at__lte=now) | Q(closed_at__gt=since, closed_at__lte=now)
    ).values("id", "group_id", "wave", "closes_at", "closed_at")
    windows = list(recent)
    keys = {key for window in windows for key in _keys_of(window)}
    # Only pairs whose later window exists have anything to refresh.
    later = set(
        SurveyWindow.objects.filter(group_id__in={g for g, _ in keys}, wave__in=list(COMPARE_FOR_WAVE)).values_list(
            "group_id", "wave"
        )
    )
    keys = {(g, c) for g, c in keys if (g, LATER_WAVE[c]) in later}
    refreshed = {
        (p["group_id"], p["compare"]): (p["refreshed_at"], p["frozen_at"])
        for p in ClassPair.objects.filter(group_id__in={g for g, _ in keys}).values(
            "group_id", "compare", "refreshed_at", "frozen_at"
        )
    }
    due: set[PairKey] = set()
    for window in windows:
        closed = window_closed_at(window)
        for key in _keys_of(window) & keys:
            refreshed_at, frozen_at = refreshed.get(key, (None, None))
            if frozen_at is None and (refreshed_at is None or refreshed_at < closed):
                due.add(key)
    return sorted(due)


def _keys_of(window: Mapping[str, Any]) -> set[PairKey]:
    if window["wave"] == Wave.BASELINE:
        return {(window["group_id"], Compare.POST), (window["group_id"], Compare.FOLLOW_UP)}
    return {(window["group_id"], COMPARE_FOR_WAVE[window["wave"]])}


@dataclass
class RebuildResult:
    pairs: int = 0
    changed: int = 0
    frozen_kept: int = 0
    areas: int = 0


def outcomes_rebuild(
    *,
    force: bool = False,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    now: dt.datetime | None = None,
) -> RebuildResult:
    """Rebuild every class pair from raw responses (frozen pairs are kept as they are), then
    every area row from the class rows, dropping rows nothing feeds any more. ``force``
    rewrites class rows even when their content did not change. Streams: one batch of
    classes per transaction, then one area per transaction. ``progress(done, total)`` is
    called after each step, counting classes pairs and areas together."""
    now = now or timezone.now()
    keys = all_pair_keys()
    result = RebuildResult(pairs=len(keys))
    live = set(keys)
    with transaction.atomic():
        # Pairs whose later window is gone have nothing left to show.
        stale = [
            p.pk
            for p in ClassPair.objects.filter(frozen_at__isnull=True).only("pk", "group_id", "compare")
            if (p.group_id, p.compare) not in live
        ]
        if stale:
            programmes = set(ClassPair.objects.filter(pk__in=stale).values_list("programme_id", flat=True))
            ClassRollup.objects.filter(pair_id__in=stale).delete()
            ClassPair.objects.filter(pk__in=stale).update(digest="", refreshed_at=now)
            _bump_versions(programmes, now)
    area_keys = set(
        AreaRollup.objects.values_list(
            "programme_id", "academic_year", "local_authority_id", "year_group", "compare"
        ).distinct()
    )
    batches = range(0, len(keys), batch_size)
    steps = len(batches)
    if progress:
        progress(0, steps)
    for done, start in enumerate(batches, start=1):
        with transaction.atomic():
            refreshed, areas = _refresh_batch(keys[start : start + batch_size], now=now, force=force)
            _bump_versions(refreshed.programmes, now)
        area_keys |= areas
        result.changed += refreshed.changed
        result.frozen_kept += refreshed.frozen_skipped
        if progress:
            progress(done, steps)
    area_keys |= set(
        ClassRollup.objects.values_list(
            "programme_id", "academic_year", "local_authority_id", "year_group", "compare"
        ).distinct()
    )
    for key in sorted(area_keys, key=repr):
        with transaction.atomic():
            _areas_recompute([key])
    result.areas = len(area_keys)
    return result


def pairs_freeze(*, window_ids: Iterable[int], reason: str, now: dt.datetime | None = None) -> int:
    """Before raw responses or linkage of these windows are purged: bring their class pairs
    up to date one last time, then freeze them so no refresh or rebuild ever recomputes
    them from what is left (which would empty them). Runs in the purge's transaction."""
    now = now or timezone.now()
    keys = pairs_for_windows(window_ids)
    if not keys:
        return 0
    class_pairs_refresh(keys=keys, now=now, create_missing=True)
    condition = Q(pk__in=[])
    for group_id, compare in keys:
        condition |= Q(group_id=group_id, compare=compare)
    return ClassPair.objects.filter(condition, frozen_at__isnull=True).update(frozen_at=now, frozen_reason=reason[:200])
