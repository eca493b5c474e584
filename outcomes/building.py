"""From one class's completed responses to its rollup rows: scoring, matching, sums.

No database access here: ``services`` reads the per-response scale sums with ORM aggregates
and hands them over as plain records, so the same code builds one class on a window close
and 3,500 classes in a rebuild, and the property tests can check it against the raw maths.

Rules (docs/outcomes-engine.md, "Scoring" and "Matching"):

- A response is scored on a scale when at least ``min_answered(k)`` of the scale's k items
  carry a value; missing codes ("Don't know", "Prefer not to say", skipped) are not values.
  Reverse-keying (``lo + hi - raw``) is applied in the aggregate query, from each item's
  response scale (``surveys.response_scales``). The score is stored as ``score x unit``, an integer,
  with ``unit = lcm(grid_unit(k_baseline), grid_unit(k_later))``.
- Pupils are matched within the class: cards (and identical self-generated codes) by the
  participant; self-generated codes with ``surveys.sgic.match_codes`` (exact first, then one
  differing element when the candidate is unique both ways).
- A matched pupil takes the subgroup answers of the baseline response, or of the later one
  where the baseline left them blank: baseline is the wave every figure of the pupil rests on
  (matched, lost and all-baseline), so each pupil sits in exactly one category and the
  categories of a scope always add up to its total.
- Per scale, a matched pupil counts as matched only when both waves are scored on that scale;
  otherwise the baseline score (if any) counts as lost and the later score (if any) as
  unmatched. So all-baseline = matched baseline + lost and all-later = matched later +
  unmatched, exactly.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from surveys import sgic

from .figures import SUMS
from .models import ALL_CATEGORY, NOT_RECORDED, Dimension
from .stats.scoring import grid_unit, min_answered

INT64_MAX = 2**63 - 1
EXACT = "exact"
FUZZY = "fuzzy"


class RollupOverflow(ArithmeticError):
    """A sum would not fit the 64-bit rollup columns (a very long scale in a huge class)."""


@dataclass(frozen=True)
class ScaleSpec:
    """A scale of one instrument version: its code, label, direction and number of items."""

    instrument_id: int
    code: str
    name: str
    order: int
    higher_is_better: bool
    n_items: int


@dataclass(frozen=True)
class ResponseRecord:
    """A completed response, without its answers: only per-scale (answered, keyed sum)."""

    id: int
    participant_id: int | None
    sgic_hashes: tuple[str, ...]
    participant_year_group: int | None
    gender: str
    ethnic_group: str
    scores: Mapping[str, tuple[int, int]]  # scale code -> (items answered, keyed sum)


@dataclass
class RowSums:
    """One rollup cell of one class: a scale and a subgroup category."""

    instrument_id: int
    scale_code: str
    scale_name: str
    scale_order: int
    higher_is_better: bool
    unit: int
    dimension: str
    category: str
    n_matched: int = 0
    sum_x: int = 0
    sum_y: int = 0
    sum_xx: int = 0
    sum_yy: int = 0
    sum_xy: int = 0
    n_exact: int = 0
    n_fuzzy: int = 0
    n_lost: int = 0
    sum_lost: int = 0
    sumsq_lost: int = 0
    n_unmatched: int = 0
    sum_unmatched: int = 0
    sumsq_unmatched: int = 0
    histogram: dict[int, int] = field(default_factory=dict)

    SUM_FIELDS = SUMS  # the rollup's sufficient statistics, named once in figures.SUMS

    @property
    def key(self) -> tuple:
        return (self.instrument_id, self.scale_code, self.dimension, self.category)

    def add_pair(self, x: int, y: int, method: str) -> None:
        self.n_matched += 1
        self.sum_x += x
        self.sum_y += y
        self.sum_xx += x * x
        self.sum_yy += y * y
        self.sum_xy += x * y
        if method == EXACT:
            self.n_exact += 1
        else:
            self.n_fuzzy += 1
        self.histogram[y - x] = self.histogram.get(y - x, 0) + 1

    def add_lost(self, x: int) -> None:
        self.n_lost += 1
        self.sum_lost += x
        self.sumsq_lost += x * x

    def add_unmatched(self, y: int) -> None:
        self.n_unmatched += 1
        self.sum_unmatched += y
        self.sumsq_unmatched += y * y

    def check_bounds(self) -> None:
        for name in self.SUM_FIELDS:
            if abs(getattr(self, name)) > INT64_MAX:
                raise RollupOverflow(
                    f"Scale '{self.scale_code}' (unit {self.unit}) overflows the rollup's 64-bit sums; "
                    "shorten the scale or split the class."
                )

    def fields(self) -> dict:
        values = {name: getattr(self, name) for name in self.SUM_FIELDS}
        values["histogram"] = {str(k): v for k, v in sorted(self.histogram.items())}
        return values


@dataclass
class PairBuild:
    """Everything a refresh writes for one class pair."""

    n_baseline_responses: int = 0
    n_later_responses: int = 0
    n_linked: int = 0
    n_exact: int = 0
    n_fuzzy: int = 0
    n_ambiguous: int = 0
    rows: list[RowSums] = field(default_factory=list)

    def digest(self, extra: Sequence = ()) -> str:
        """A stable hash of the counts and every row, to tell whether anything changed."""
        payload = [
            self.n_baseline_responses,
            self.n_later_responses,
            self.n_linked,
            self.n_exact,
            self.n_fuzzy,
            self.n_ambiguous,
            list(extra),
            sorted(
                [
                    list(row.key),
                    row.scale_name,
                    row.scale_order,
                    row.higher_is_better,
                    row.unit,
                    row.fields(),
                ]
                for row in self.rows
            ),
        ]
        return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def scale_units(spec_baseline: ScaleSpec, spec_later: ScaleSpec | None) -> int:
    """The grid unit both waves' scores are exact in (the lcm of each version's unit)."""
    unit = grid_unit(spec_baseline.n_items)
    if spec_later is not None:
        unit = math.lcm(unit, grid_unit(spec_later.n_items))
    return unit


def score_units(answered_and_sum: tuple[int, int] | None, *, n_items: int, unit: int) -> int | None:
    """``score x unit`` for (items answered, keyed sum), or None under the 80 % rule."""
    if answered_and_sum is None:
        return None
    answered, keyed = answered_and_sum
    if answered < min_answered(n_items) or answered > n_items:
        return None
    scaled, remainder = divmod(keyed * unit, answered)
    if remainder:  # pragma: no cover - unit is a multiple of every possible divisor
        raise ValueError(f"unit {unit} does not make a mean of {answered} answers exact")
    return scaled


def match_responses(
    baseline: Sequence[ResponseRecord], later: Sequence[ResponseRecord], *, school_id: int, year_group: int
) -> tuple[list[tuple[ResponseRecord, ResponseRecord, str]], int]:
    """Pairs (baseline, later, "exact" | "fuzzy") within one class, and how many later
    responses had several possible partners (left unmatched)."""
    pairs: list[tuple[ResponseRecord, ResponseRecord, str]] = []
    by_participant = {r.participant_id: r for r in baseline if r.participant_id is not None and not r.sgic_hashes}
    for record in later:
        if record.participant_id is not None and not record.sgic_hashes and record.participant_id in by_participant:
            pairs.append((by_participant[record.participant_id], record, EXACT))

    def candidates(records: Iterable[ResponseRecord]) -> list[sgic.Candidate]:
        return [
            sgic.Candidate(
                id=r.id,
                block=(school_id, r.participant_year_group or year_group),
                element_hashes=r.sgic_hashes,
                gender=r.gender,
            )
            for r in records
            if r.sgic_hashes
        ]

    own_code_base = candidates(baseline)
    own_code_later = candidates(later)
    ambiguous = 0
    if own_code_base and own_code_later:
        result = sgic.match_codes(own_code_base, own_code_later)
        base_by_id: dict[object, ResponseRecord] = {r.id: r for r in baseline}
        later_by_id: dict[object, ResponseRecord] = {r.id: r for r in later}
        pairs.extend((base_by_id[b], later_by_id[p], EXACT) for b, p in result.exact)
        pairs.extend((base_by_id[b], later_by_id[p], FUZZY) for b, p in result.fuzzy)
        ambiguous = len(set(result.ambiguous_post))
    return pairs, ambiguous


def _categories(gender: str, ethnic_group: str) -> list[tuple[str, str]]:
    return [
        (Dimension.ALL, ALL_CATEGORY),
        (Dimension.GENDER, gender or NOT_RECORDED),
        (Dimension.ETHNICITY, ethnic_group or NOT_RECORDED),
    ]


def build_pair(
    *,
    baseline: Sequence[ResponseRecord],
    later: Sequence[ResponseRecord],
    baseline_scales: Sequence[ScaleSpec],
    later_scales: Sequence[ScaleSpec],
    school_id: int,
    year_group: int,
) -> PairBuild:
    """Score, match and sum one class pair. ``later_scales`` of another instrument than
    the baseline's are not comparable and give no later scores."""
    build = PairBuild(n_baseline_responses=len(baseline), n_later_responses=len(later))
    pairs, build.n_ambiguous = match_responses(baseline, later, school_id=school_id, year_group=year_group)
    build.n_linked = len(pairs)
    build.n_exact = sum(1 for *_, method in pairs if method == EXACT)
    build.n_fuzzy = build.n_linked - build.n_exact
    later_by_code = {
        s.code: s for s in later_scales if baseline_scales and s.instrument_id == baseline_scales[0].instrument_id
    }

    rows: dict[tuple, RowSums] = {}

    def row(spec: ScaleSpec, unit: int, dimension: str, category: str) -> RowSums:
        key = (spec.instrument_id, spec.code, dimension, category)
        found = rows.get(key)
        if found is None:
            found = rows[key] = RowSums(
                instrument_id=spec.instrument_id,
                scale_code=spec.code,
                scale_name=spec.name,
                scale_order=spec.order,
                higher_is_better=spec.higher_is_better,
                unit=unit,
                dimension=dimension,
                category=category,
            )
        return found

    paired_base = {b.id: (later_record, method) for b, later_record, method in pairs}
    paired_later = {later_record.id: b for b, later_record, _ in pairs}
    for spec in baseline_scales:
        later_spec = later_by_code.get(spec.code)
        unit = scale_units(spec, later_spec)

        def base_score(record: ResponseRecord, spec: ScaleSpec = spec, unit: int = unit) -> int | None:
            return score_units(record.scores.get(spec.code), n_items=spec.n_items, unit=unit)

        def later_score(record: ResponseRecord, later_spec=later_spec, unit: int = unit) -> int | None:
            if later_spec is None:
                return None
            return score_units(record.scores.get(later_spec.code), n_items=later_spec.n_items, unit=unit)

        for record in baseline:
            x = base_score(record)
            partner = paired_base.get(record.id)
            y = later_score(partner[0]) if partner else None
            if partner:
                gender = record.gender or partner[0].gender
                ethnic = record.ethnic_group or partner[0].ethnic_group
            else:
                gender, ethnic = record.gender, record.ethnic_group
            for dimension, category in _categories(gender, ethnic):
                if x is not None and y is not None and partner is not None:
                    row(spec, unit, dimension, category).add_pair(x, y, partner[1])
                elif x is not None:
                    row(spec, unit, dimension, category).add_lost(x)
                elif y is not None:
                    row(spec, unit, dimension, category).add_unmatched(y)
        for record in later:
            if record.id in paired_later:
                continue  # counted with its baseline partner above
            y = later_score(record)
            if y is None:
                continue
            for dimension, category in _categories(record.gender, record.ethnic_group):
                row(spec, unit, dimension, category).add_unmatched(y)

    build.rows = list(rows.values())
    for built in build.rows:
        built.check_bounds()
    return build


def scales_by_version(
    items: Iterable[Mapping], scales: Iterable[Mapping], instrument_by_version: Mapping[int, int]
) -> dict[int, list[ScaleSpec]]:
    """Version id -> its scored scales, from item rows (version_id, scale_code) and scale
    rows (version_id, code, name, sort_order, higher_is_better). A scale without items, or
    an item whose scale code names no scale, is never scored."""
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for item in items:
        counts[(item["version_id"], item["scale_code"])] += 1
    result: dict[int, list[ScaleSpec]] = defaultdict(list)
    for scale in sorted(scales, key=lambda s: (s["version_id"], s["sort_order"], s["code"])):
        n_items = counts.get((scale["version_id"], scale["code"]), 0)
        if n_items:
            result[scale["version_id"]].append(
                ScaleSpec(
                    instrument_id=instrument_by_version[scale["version_id"]],
                    code=scale["code"],
                    name=scale["name"],
                    order=scale["sort_order"],
                    higher_is_better=scale["higher_is_better"],
                    n_items=n_items,
                )
            )
    return dict(result)
