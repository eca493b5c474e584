"""The one way to read an outcome figure: rollups, then scope, then disclosure.

``outcome_table(resolved_filter)`` builds a published table: for each programme, one row per
scope (region, local authority, school, class) and scale, and per subgroup category when a
breakdown is asked for. Its steps, in order:

1. **Rollups.** Region and local-authority rows add up area rollups (a few hundred rows for a
   whole region), with every breakdown: the dose breakdown reads their ``dose`` rows (the
   classes' figures summed by dose band). School and class rows add up class rollups (the
   dose of a class is its ``dose_band``). When a table needs class rollups anyway, every
   level is added up from them in the same statement, so region = sum of local authorities
   = sum of schools = sum of classes holds exactly. No figure ever reads an answer.
2. **Scope.** Place filters choose which scopes are shown (``filters``).
3. **Disclosure.** ``outcomes.stats.disclosure.disclose`` runs once per programme and scale
   over every cell of the table with the hierarchy relations, the breakdown relations (scope
   = sum of its categories) and the complements of the data filters (this year group = all
   year groups less the others), so no hidden figure can be worked out by subtraction.
   Gender and ethnic-group categories too small to show are merged ("other", "prefer not to
   say", "not recorded") where that makes every category reach the threshold. Area tables
   (scopes region and local authority only) instead take their hidden cells and merged
   categories from ``canonical``: one disclosure over every area cell any filter can name,
   because a person can combine differently filtered tables (the cross-table audit,
   ``tests/outcomes/test_differencing.py``).
4. **Figures** are computed only for shown cells, then Holm-adjusted across the programme's
   scales (per scope and subgroup) and Benjamini-Hochberg-adjusted across the categories of
   a breakdown (per scope and scale).

A matched pupil is counted in exactly one category of each breakdown (``building``), and the
cell n that disclosure protects is the number of matched pupils the row's figures rest on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet

from accounts.models import LocalAuthority, School
from lessons.models import TeachingGroup
from surveys.models import Instrument, Response

from . import canonical
from .figures import SUMS, CellSums, Combined, Figures, cell_figures
from .filters import ResolvedFilter
from .models import NOT_RECORDED, AreaRollup, ClassPair, ClassRollup, DataVersion, Dimension
from .services import ALL_YEAR_GROUPS, DOSE_BANDS, dose_code
from .stats.disclosure import RULES_VERSION, Cell, Reason, Relation, Table, disclose, merge_breakdown
from .stats.multiplicity import benjamini_hochberg, holm

LEVELS = ("region", "local_authority", "school", "class")
ALL = "all"
MERGEABLE = (Response.Gender.OTHER, Response.Gender.PNS, NOT_RECORDED)
CATEGORY_LABELS = {
    "gender": {**dict(Response.Gender.choices), NOT_RECORDED: "Not recorded"},
    "ethnicity": {**dict(Response.EthnicGroup.choices), NOT_RECORDED: "Not recorded"},
    "dose": {**{code: label for _, code, label in DOSE_BANDS}, NOT_RECORDED: "No lesson plan recorded"},
}
CAVEAT = (
    "Pre/post change without a comparison group is monitoring, not proof of impact: other things "
    "also change pupils' answers over time."
)

ScopeKey = tuple[str, object]
ScaleKey = tuple[int, str]
CellKey = tuple[ScopeKey, str]

_SUM_FIELDS = ("unit", *SUMS, "histogram")
_ROW_FIELDS = (
    "instrument_id",
    "scale_code",
    "scale_name",
    "scale_order",
    "higher_is_better",
    "dimension",
    "category",
    "local_authority_id",
    "year_group",
    *_SUM_FIELDS,
)


@dataclass
class FigureRow:
    """One published row. ``suppressed`` is empty or the reason every figure is withheld."""

    programme: str
    programme_title: str
    scope: str
    scope_id: str
    scope_name: str
    scale: str
    scale_name: str
    instrument: str
    higher_is_better: bool
    subgroup: str
    subgroup_name: str
    suppressed: str = ""
    figures: Figures | None = None
    p_holm: float | None = None
    p_bh: float | None = None


@dataclass
class PublishedTable:
    filter: ResolvedFilter
    rows: list[FigureRow] = field(default_factory=list)
    rules_version: str = RULES_VERSION
    data_versions: dict[str, int] = field(default_factory=dict)
    caveat: str = CAVEAT

    @property
    def hidden(self) -> dict[tuple, str]:
        """(programme, scope, scope id, scale, subgroup) -> why it is withheld."""
        return {
            (r.programme, r.scope, r.scope_id, r.scale, r.subgroup): r.suppressed for r in self.rows if r.suppressed
        }


def data_versions(programme_ids: Iterable[int]) -> dict[int, int]:
    """Programme id -> its data version (0 before any figure was built)."""
    ids = list(programme_ids)
    found = dict(DataVersion.objects.filter(programme_id__in=ids).values_list("programme_id", "version"))
    return {pid: found.get(pid, 0) for pid in ids}


@contextmanager
def _snapshot() -> Iterator[None]:
    """Read every rollup of a table from one snapshot (PostgreSQL REPEATABLE READ), so a
    refresh committing half-way through cannot make a total disagree with its parts."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield
    else:
        yield


# --- 1. Rollups into cells ---------------------------------------------------------------


@dataclass
class _Collected:
    cells: dict[ScaleKey, dict[CellKey, CellSums]]
    scales: dict[ScaleKey, tuple[str, int, bool]]
    parents: dict[ScopeKey, ScopeKey]


def _subgroups(row: dict, breakdown: str | None, *, class_row: bool) -> list[str]:
    """The published cells a rollup row adds into. An area row of a breakdown's dimension is
    its category; a class's "all pupils" row is also its class's dose category (class rows
    carry the band, area rows have ``dose`` rows of their own)."""
    if row["dimension"] != Dimension.ALL:
        return [f"{row['dimension']}:{row['category']}"]
    subs = [ALL]
    if breakdown == "year_group":
        subs.append(f"year_group:{row['year_group']}")
    elif breakdown == "dose" and class_row:
        subs.append(f"dose:{dose_code(row['dose_band'])}")
    return subs


def _dimensions(breakdown: str | None, *, class_rows: bool) -> list[str]:
    if breakdown in (Dimension.GENDER, Dimension.ETHNICITY) or (breakdown == Dimension.DOSE and not class_rows):
        return [Dimension.ALL, breakdown]
    return [Dimension.ALL]


def _reads_class_rollups(levels: tuple[str, ...], breakdown: str | None) -> bool:
    """Whether a table is added up from class rollups: only when it shows schools or classes
    (and then every level comes from the same rows). Region and local-authority tables read
    area rollups with every breakdown, the dose included (its ``dose`` rows)."""
    return bool({"school", "class"} & set(levels))


def _collect(programme_id: int, resolved: ResolvedFilter, *, without: str | None = None) -> _Collected:
    levels = resolved.scopes
    breakdown = resolved.filter.breakdown
    from_classes = _reads_class_rollups(levels, breakdown)
    lookups = {
        "programme_id": programme_id,
        "dimension__in": _dimensions(breakdown, class_rows=from_classes),
        **resolved.rollup_filter(without=without),
    }
    if resolved.school is not None:
        lookups["school_id"] = resolved.school.pk
    elif resolved.local_authority is not None:
        lookups["local_authority_id"] = resolved.local_authority.pk
    collected = _Collected(cells=defaultdict(dict), scales={}, parents={})

    def cell(scale: ScaleKey, key: CellKey) -> CellSums:
        cells = collected.cells[scale]
        found = cells.get(key)
        if found is None:
            found = cells[key] = CellSums()
        return found

    def remember_scale(row: dict) -> ScaleKey:
        scale = (row["instrument_id"], row["scale_code"])
        collected.scales.setdefault(scale, (row["scale_name"], row["scale_order"], row["higher_is_better"]))
        return scale

    if from_classes:
        rows = ClassRollup.objects.filter(**lookups)
        for row in rows.values(*_ROW_FIELDS, "group_id", "school_id", "dose_band").iterator(chunk_size=5000):
            scale = remember_scale(row)
            scope = ("class", row["group_id"])
            collected.parents[scope] = ("school", row["school_id"])
            collected.parents[("school", row["school_id"])] = ("local_authority", row["local_authority_id"])
            for sub in _subgroups(row, breakdown, class_row=True):
                cell(scale, (scope, sub)).add_class_row(row)
        _roll_up(collected, ["class", "school", "local_authority"])
    else:
        area_lookups = {k: v for k, v in lookups.items() if k != "school_id"}
        if "year_group" not in area_lookups:
            # Each authority's rows summed over its year groups, unless year groups are asked for.
            if breakdown == "year_group":
                area_lookups["year_group__gt"] = ALL_YEAR_GROUPS
            else:
                area_lookups["year_group"] = ALL_YEAR_GROUPS
        area_rows = AreaRollup.objects.filter(**area_lookups)
        for row in area_rows.values(
            *_ROW_FIELDS, "n_classes", "sum_class_n2", "class_between", "school_n", "school_change"
        ):
            scale = remember_scale(row)
            scope = ("local_authority", row["local_authority_id"])
            for sub in _subgroups(row, breakdown, class_row=False):
                cell(scale, (scope, sub)).add_area_row(row)
        _roll_up(collected, ["local_authority"])
    # Keep only the levels shown.
    for scale, cells in collected.cells.items():
        collected.cells[scale] = {key: sums for key, sums in cells.items() if key[0][0] in levels}
    return collected


def _roll_up(collected: _Collected, levels: list[str]) -> None:
    """Add each level's cells into its parent's (class -> school -> LA -> region)."""
    for level in levels:
        for cells in collected.cells.values():
            for (scope, sub), sums in list(cells.items()):
                if scope[0] != level:
                    continue
                parent = collected.parents.get(scope) or ("region", "")
                if level == "local_authority":
                    parent = ("region", "")
                collected.parents[scope] = parent
                target = cells.get((parent, sub))
                if target is None:
                    target = cells[(parent, sub)] = CellSums()
                target.add(sums)


# --- 2 and 3. Merging categories and disclosure -----------------------------------------------


def _merge_plan(collected: _Collected, breakdown: str | None, top: str) -> dict[str, str]:
    """Category -> published label for gender and ethnic group: merge the small "other",
    "prefer not to say" and "not recorded" groups when that lets every category show. The
    same categories are used in every scope and scale (counted at the top scope, the
    smallest over the scales), so the scopes' categories add up across the hierarchy."""
    if breakdown not in (Dimension.GENDER, Dimension.ETHNICITY):
        return {}
    counts: dict[str, int] = {}
    for cells in collected.cells.values():
        per_scale: dict[str, int] = defaultdict(int)
        for (scope, sub), sums in cells.items():
            if scope[0] == top and sub != ALL:
                per_scale[sub.split(":", 1)[1]] += sums.n_matched
        for category, n in per_scale.items():
            counts[category] = min(counts.get(category, n), n)
    order = list(CATEGORY_LABELS[breakdown])
    counts = {c: counts[c] for c in sorted(counts, key=lambda c: order.index(c) if c in order else len(order))}
    plan = merge_breakdown(
        {c: n for c, n in counts.items() if n > 0}, mergeable=MERGEABLE, merged_label="+".join(MERGEABLE)
    )
    if plan is None:
        return {}
    return {member: label for label, members in plan.items() for member in members if len(members) > 1}


def _apply_plan(cells: dict[CellKey, CellSums], breakdown: str, plan: dict[str, str]) -> dict[CellKey, CellSums]:
    if not plan:
        return cells
    merged: dict[CellKey, CellSums] = {}
    for (scope, sub), sums in cells.items():
        if sub != ALL:
            category = sub.split(":", 1)[1]
            sub = f"{breakdown}:{plan.get(category, category)}"
        target = merged.get((scope, sub))
        if target is None:
            target = merged[(scope, sub)] = CellSums()
        target.add(sums)
    return merged


def _relations(
    cells: dict[CellKey, Combined], parents: dict[ScopeKey, ScopeKey], levels: tuple[str, ...]
) -> tuple[list[Relation], list[tuple]]:
    """Hierarchy and breakdown relations among the non-empty cells."""
    present = {key for key, c in cells.items() if c.paired.n > 0}
    relations: list[Relation] = []
    children: dict[CellKey, list[CellKey]] = defaultdict(list)
    for key in present:
        scope, sub = key
        ancestor = parents.get(scope)
        while ancestor is not None and ancestor[0] not in levels:
            ancestor = parents.get(ancestor)
        if ancestor is not None and (ancestor, sub) in present:
            children[(ancestor, sub)].append(key)
    for total, parts in children.items():
        relations.append(Relation(total, tuple(sorted(parts, key=repr))))
    breakdowns: list[tuple] = []
    by_scope: dict[ScopeKey, list[CellKey]] = defaultdict(list)
    for key in present:
        if key[1] != ALL:
            by_scope[key[0]].append(key)
    for scope, parts in by_scope.items():
        parts = sorted(parts, key=repr)
        breakdowns.append(tuple(parts))
        if (scope, ALL) in present:
            relations.append(Relation((scope, ALL), tuple(parts)))
    return relations, breakdowns


def _n_schools(scope: ScopeKey, combined: Combined) -> int | None:
    return combined.n_schools if scope[0] in ("region", "local_authority") else None


def _complements(
    scale: ScaleKey,
    cells: dict[CellKey, Combined],
    unfiltered: dict[str, dict[CellKey, Combined]],
) -> tuple[list[Cell], list[Relation]]:
    """For each data filter: the cell without that filter (published elsewhere) = this cell
    + its complement."""
    extra_cells: list[Cell] = []
    relations: list[Relation] = []
    for name, other in unfiltered.items():
        for key, combined in cells.items():
            n = combined.paired.n
            whole = other.get(key)
            if not n or whole is None or whole.paired.n <= n:
                continue
            scope = key[0]
            rest_schools = None
            if scope[0] in ("region", "local_authority"):
                rest_schools = sum(1 for school, m in whole.school_n.items() if m > combined.school_n.get(school, 0))
            u_key, c_key = ("unfiltered", name, key), ("complement", name, key)
            extra_cells.append(Cell(u_key, whole.paired.n, _n_schools(scope, whole)))
            extra_cells.append(Cell(c_key, whole.paired.n - n, rest_schools))
            relations.append(Relation(u_key, (key, c_key)))
    return extra_cells, relations


# --- 4. Figures ------------------------------------------------------------------------


def outcome_table(resolved: ResolvedFilter) -> PublishedTable:
    """The published table for these filters (see the module docstring)."""
    table = PublishedTable(filter=resolved)
    versions = data_versions(p.id for p in resolved.programmes)
    levels = resolved.scopes
    breakdown = resolved.filter.breakdown
    top = levels[0] if levels else "region"
    # Area tables (the dashboard, its CSV, the regional PDF, the evidence block) take their
    # hidden cells from one disclosure over every area cell any of them can name, so no
    # combination of filters gives a hidden cell away (``canonical``).
    area = bool(levels) and set(levels) <= canonical.AREA_LEVELS and resolved.school is None
    cubes: dict[int, canonical.Cube] = {}
    cached = {
        p.id: canonical.cached_cube(programme_id=p.id, compare=resolved.filter.compare, version=versions[p.id])
        for p in (resolved.programmes if area else ())
    }
    built: list[tuple[int, int]] = []
    with _snapshot():
        collected_by_programme = {}
        for programme in resolved.programmes:
            collected = _collect(programme.id, resolved)
            if not collected.cells:
                continue
            if area:
                # The cube must count the same snapshot as the table: a cached one only if no
                # refresh has moved the data version since it was read.
                version = data_versions([programme.id])[programme.id]
                cube = cached.get(programme.id)
                if cube is None or version != versions[programme.id]:
                    cube = canonical.build_cube(programme_id=programme.id, compare=resolved.filter.compare)
                    built.append((programme.id, version))
                cubes[programme.id] = cube
                unfiltered = {}
            else:
                unfiltered = {name: _collect(programme.id, resolved, without=name) for name in resolved.data_filters}
            collected_by_programme[programme.id] = (programme, collected, unfiltered)
    for programme_id, version in built:
        canonical.store_cube(
            programme_id=programme_id, compare=resolved.filter.compare, version=version, cube=cubes[programme_id]
        )
    names = _scope_names(collected_by_programme.values())
    instruments = dict(Instrument.objects.values_list("id", "slug"))
    for programme, collected, unfiltered in collected_by_programme.values():
        table.data_versions[programme.slug] = versions.get(programme.id, 0)
        cube = cubes.get(programme.id)
        plan = cube.plans.get(breakdown or "", {}) if cube is not None else _merge_plan(collected, breakdown, top)
        rows: list[FigureRow] = []
        for scale, raw_cells in sorted(
            collected.cells.items(), key=lambda item: collected.scales[item[0]][1:2] + (item[0][1],)
        ):
            scale_name, _scale_order, higher_is_better = collected.scales[scale]
            cells = {k: c for k, c in _combined(_apply_plan(raw_cells, breakdown or "", plan)).items() if c}
            others = {
                name: {
                    k: c for k, c in _combined(_apply_plan(u.cells.get(scale, {}), breakdown or "", plan)).items() if c
                }
                for name, u in unfiltered.items()
            }
            relations, breakdowns = _relations(cells, collected.parents, levels)
            disclosure_cells = [
                Cell(key, combined.paired.n, _n_schools(key[0], combined))
                for key, combined in sorted(cells.items(), key=lambda item: _order(item[0]))
                if combined.paired.n > 0
            ]
            if cube is not None:
                hidden = {
                    key: cube.reason(
                        scale,
                        canonical.cube_key(
                            key[0],
                            key[1],
                            academic_year=resolved.filter.academic_year,
                            year_group=resolved.filter.year_group,
                        ),
                        combined.paired.n,
                    )
                    for key, combined in cells.items()
                    if combined.paired.n > 0
                }
            else:
                extra_cells, extra_relations = _complements(scale, cells, others)
                result = disclose(
                    Table(
                        cells=disclosure_cells + extra_cells,
                        relations=relations + extra_relations,
                        breakdowns=breakdowns,
                    )
                )
                hidden = {key: result.hidden.get(key) for key in cells}
            for key, combined in sorted(cells.items(), key=lambda item: _order(item[0])):
                scope, sub = key
                reason = Reason.FEWER_THAN_10 if combined.paired.n == 0 else hidden.get(key)
                scope_id, scope_name = names[scope]
                row = FigureRow(
                    programme=programme.slug,
                    programme_title=programme.title,
                    scope=scope[0],
                    scope_id=scope_id,
                    scope_name=scope_name,
                    scale=scale[1],
                    scale_name=scale_name,
                    instrument=instruments.get(scale[0], ""),
                    higher_is_better=higher_is_better,
                    subgroup=sub,
                    subgroup_name=_subgroup_name(sub),
                    suppressed=str(reason) if reason else "",
                )
                if not reason:
                    row.figures = cell_figures(combined, clustered=scope[0] != "class")
                rows.append(row)
        _adjust(rows)
        rows.sort(
            key=lambda r: (
                LEVELS.index(r.scope),
                r.scope_name,
                r.scope_id,
                _scale_rank(collected, r),
                _sub_rank(r.subgroup),
            )
        )
        table.rows.extend(rows)
    return table


def _combined(cells: dict[CellKey, CellSums]) -> dict[CellKey, Combined | None]:
    return {key: sums.combined() for key, sums in cells.items()}


def _order(key: CellKey) -> tuple:
    scope, sub = key
    return (LEVELS.index(scope[0]), str(scope[1]), _sub_rank(sub))


def _sub_rank(sub: str) -> tuple:
    if sub == ALL:
        return (0, "")
    dimension, category = sub.split(":", 1)
    labels = list(CATEGORY_LABELS.get(dimension, {}))
    position = labels.index(category) if category in labels else len(labels)
    return (1, f"{position:03d}" if dimension != "year_group" else f"{int(category):03d}", category)


def _scale_rank(collected: _Collected, row: FigureRow) -> tuple:
    for (_instrument, code), (_name, order, _hib) in collected.scales.items():
        if code == row.scale:
            return (order, code)
    return (0, row.scale)  # pragma: no cover


def _subgroup_name(sub: str) -> str:
    if sub == ALL:
        return "All pupils"
    dimension, category = sub.split(":", 1)
    if dimension == "year_group":
        return f"Year {category}"
    labels = CATEGORY_LABELS.get(dimension, {})
    return " / ".join(labels.get(part, part) for part in category.split("+"))


def _adjust(rows: list[FigureRow]) -> None:
    """Holm across the programme's scales for each scope and subgroup; Benjamini-Hochberg
    across a breakdown's categories for each scope and scale (both statsmodels', through
    ``stats.multiplicity``). Only shown p-values count."""
    families: dict[tuple, list[FigureRow]] = defaultdict(list)
    cuts: dict[tuple, list[FigureRow]] = defaultdict(list)
    for row in rows:
        if row.figures is None or row.figures.summary.p_value is None:
            continue
        families[(row.scope, row.scope_id, row.subgroup)].append(row)
        if row.subgroup != ALL:
            cuts[(row.scope, row.scope_id, row.scale)].append(row)
    for members in families.values():
        pvalues = [r.figures.summary.p_value for r in members if r.figures is not None]
        adjusted = holm(pvalues)
        for row, p in zip(members, adjusted, strict=True):
            row.p_holm = p
    for members in cuts.values():
        cut = [r.figures.summary.p_value for r in members if r.figures is not None]
        for row, p in zip(members, benjamini_hochberg(cut), strict=True):
            row.p_bh = p


def _scope_names(collections: Iterable[tuple[object, _Collected, object]]) -> dict[ScopeKey, tuple[str, str]]:
    """Scope key -> (id as exported, name)."""
    wanted: dict[str, set] = defaultdict(set)
    for _programme, collected, _unfiltered in collections:
        for cells in collected.cells.values():
            for scope, _sub in cells:
                wanted[scope[0]].add(scope[1])
    names: dict[ScopeKey, tuple[str, str]] = {("region", ""): ("region", str(settings.UPSTREAM_REGION_NAME))}
    for pk, slug, name in LocalAuthority.objects.filter(pk__in=wanted["local_authority"]).values_list(
        "pk", "slug", "name"
    ):
        names[("local_authority", pk)] = (slug, name)
    for pk, urn, name in School.objects.filter(pk__in=wanted["school"]).values_list("pk", "urn", "name"):
        names[("school", pk)] = (urn, name)
    for pk, name, school in TeachingGroup.objects.filter(pk__in=wanted["class"]).values_list(
        "pk", "name", "school__name"
    ):
        names[("class", pk)] = (str(pk), f"{name}, {school}")
    for level, ids in wanted.items():
        for pk in ids:
            names.setdefault((level, pk), (str(pk), "(removed)"))
    return names


# --- Context shown beside the figures: fidelity and instruments ----------------------------


@dataclass
class Fidelity:
    """Lessons delivered per class against the programme's plan, over the classes whose
    baseline and later windows have both closed (those that can contribute figures). Counts
    of classes and lessons, not of pupils: no disclosure rule applies."""

    programme: str
    classes: int = 0
    schools: int = 0
    planned: int | None = None  # the programme's plan (live lessons); the most common if it changed
    delivered_median: float | None = None
    delivered_min: int | None = None
    delivered_max: int | None = None
    bands: dict[str, int] = field(default_factory=dict)  # dose band code -> classes (DOSE_BANDS, NOT_RECORDED)


def _pairs(resolved: ResolvedFilter) -> QuerySet[ClassPair]:
    pairs = ClassPair.objects.filter(
        programme_id__in=[p.id for p in resolved.programmes],
        lessons_delivered__isnull=False,
        **resolved.rollup_filter(),
    )
    if resolved.school is not None:
        pairs = pairs.filter(school_id=resolved.school.pk)
    elif resolved.local_authority is not None:
        pairs = pairs.filter(local_authority_id=resolved.local_authority.pk)
    return pairs


def fidelity(resolved: ResolvedFilter) -> dict[str, Fidelity]:
    """Programme slug -> its ``Fidelity`` for the filters' classes (programmes without such a
    class are left out)."""
    from statistics import median

    from .services import dose_band

    slugs = {p.id: p.slug for p in resolved.programmes}
    found: dict[str, Fidelity] = {}
    rows = _pairs(resolved).values_list("programme_id", "school_id", "lessons_planned", "lessons_delivered")
    grouped: dict[int, list[tuple]] = defaultdict(list)
    for programme_id, school_id, planned, delivered in rows:
        grouped[programme_id].append((school_id, planned, delivered))
    for programme_id, items in grouped.items():
        logged: list[int] = [d for _s, _p, d in items]
        plans = [p for _s, p, _d in items if p]
        bands = {code: 0 for _band, code, _label in DOSE_BANDS} | {NOT_RECORDED: 0}
        for _school, planned, done in items:
            bands[dose_code(dose_band(done, planned))] += 1
        found[slugs[programme_id]] = Fidelity(
            programme=slugs[programme_id],
            classes=len(items),
            schools=len({s for s, _p, _d in items}),
            planned=max(set(plans), key=plans.count) if plans else None,
            delivered_median=float(median(logged)),
            delivered_min=min(logged),
            delivered_max=max(logged),
            bands=bands,
        )
    return found


def instrument_versions(resolved: ResolvedFilter) -> dict[str, list[str]]:
    """Programme slug -> the instrument versions its filtered classes were surveyed with
    (e.g. "Upstream attitudes v2"), for the methods statement."""
    slugs = {p.id: p.slug for p in resolved.programmes}
    found: dict[str, set[str]] = defaultdict(set)
    for programme_id, name, number in (
        _pairs(resolved)
        .values_list(
            "programme_id",
            "baseline_window__instrument_version__instrument__name",
            "baseline_window__instrument_version__number",
        )
        .distinct()
    ):
        if name:
            found[slugs[programme_id]].add(f"{name} v{number}")
    return {slug: sorted(names) for slug, names in found.items()}
