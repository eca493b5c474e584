"""One disclosure decision for every area table an officer or the public can obtain.

Why: each published table used to be disclosure-checked on its own. The region and
local-authority tables can be asked for with any academic year, year group, local
authority and breakdown, and a person can combine them. The cross-table audit
(``tests/outcomes/test_differencing.py``, docs/outcomes-statistics.md#cross-table-differencing)
found that they leaked: a local authority's row in the authority-filtered table was shown
although the unfiltered table hid it to protect an authority with fewer than 3 schools
(region less the others gave that authority away); the year-group filter showed each year
group of an authority, and the unfiltered table its total, so a small year group was the
total less the others, although the year-group breakdown withheld it.

The fix: every table whose scopes are the region and local authorities (the dashboard, its
CSV, the regional PDF, the public evidence block) takes its hidden cells from one
``disclose`` over the *cube* of every cell any of those tables can name, per programme,
comparison and scale:

    scope (the region, each local authority)
    x subgroup (all pupils, each gender, ethnic-group and dose category)
    x academic year (all, each year) x year group (all, each year group)

with every relation between them: region = sum of authorities, a scope = sum of a
breakdown's categories, all years = sum of the years, all year groups = sum of the year
groups (the year-group breakdown's categories are the year-group slices, so the filter and
the breakdown are the same cells). Breakdowns that are withheld together: a scope's gender,
ethnic-group or dose categories (in each slice), and its year groups (rule 3: the year-group
filter shows one category of the year-group breakdown). Gender and ethnic categories are
merged once, from the region's counts over all years and year groups, so every table names
the same categories. Any table is then a set of cells of one disclosed table, so whatever a
person combines is covered by ``disclose``'s exact check. Rule 3 (withholding) is applied
after it: hiding more is always safe, and a withheld category passes rules 1 and 2 itself.

Only counts (n and the number of schools) decide disclosure, so the cube is counted from the
area rollups' n and schools alone: no figure is computed here. The result is cached under the
programme's data version and the rules version, read in the same snapshot as the table.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.core.cache import cache

from .models import NOT_RECORDED, AreaRollup, Dimension
from .services import ALL_YEAR_GROUPS
from .stats.disclosure import RULES_VERSION, Cell, Reason, Relation, Table, disclose, merge_breakdown

ALL = "all"
AREA_LEVELS = frozenset({"region", "local_authority"})
CACHE_PREFIX = "outcomes-cube-v1"
CACHE_SECONDS = 3600

# (scope, subgroup, academic year or None, year group or None); scope is ("region", "") or
# ("local_authority", id); subgroup is "all", "gender:<label>", "ethnicity:<label>",
# "dose:<code>".
CubeKey = tuple[tuple[str, object], str, int | None, int | None]
ScaleKey = tuple[int, str]


@dataclass
class Cube:
    """The hidden cells of every area table, per scale, and the merged categories."""

    hidden: dict[ScaleKey, dict[CubeKey, Reason]] = field(default_factory=dict)
    n: dict[ScaleKey, dict[CubeKey, int]] = field(default_factory=dict)
    plans: dict[str, dict[str, str]] = field(default_factory=dict)  # dimension -> category -> label

    def reason(self, scale: ScaleKey, key: CubeKey, n: int) -> Reason | None:
        """Why the cell is hidden, or None. A cell the cube does not hold with this n (it
        cannot happen when both are read from one snapshot) is hidden, never guessed."""
        if self.n.get(scale, {}).get(key) != n:
            return Reason.SECONDARY
        return self.hidden.get(scale, {}).get(key)


def cube_key(scope: tuple[str, object], sub: str, *, academic_year: int | None, year_group: int | None) -> CubeKey:
    """The cube cell of an area table's row: a year-group category is the year-group slice."""
    if sub.startswith("year_group:"):
        return (scope, ALL, academic_year, int(sub.split(":", 1)[1]))
    return (scope, sub, academic_year, year_group)


def _cache_key(programme_id: int, compare: str, version: int) -> str:
    return f"{CACHE_PREFIX}:{programme_id}:{compare}:{version}:{RULES_VERSION}"


def cached_cube(*, programme_id: int, compare: str, version: int) -> Cube | None:
    """The cube cached for this data version, or None. Call it outside the selectors'
    read-only snapshot: the database cache may delete expired rows on a read."""
    found = cache.get(_cache_key(programme_id, compare, version))
    return found if isinstance(found, Cube) else None


def store_cube(*, programme_id: int, compare: str, version: int, cube: Cube) -> None:
    """Cache a cube built inside the snapshot (after leaving it: this writes)."""
    cache.set(_cache_key(programme_id, compare, version), cube, CACHE_SECONDS)


def _plans(counts: dict[str, dict[str, dict[ScaleKey, int]]]) -> dict[str, dict[str, str]]:
    from surveys.models import Response

    mergeable = (Response.Gender.OTHER, Response.Gender.PNS, NOT_RECORDED)
    orders: dict[str, list[str]] = {
        Dimension.GENDER: [*Response.Gender.values, NOT_RECORDED],
        Dimension.ETHNICITY: [*Response.EthnicGroup.values, NOT_RECORDED],
    }
    plans: dict[str, dict[str, str]] = {}
    for dimension, by_category in counts.items():
        order = orders[dimension]
        smallest = {c: min(per_scale.values()) for c, per_scale in by_category.items()}
        ordered = {c: smallest[c] for c in sorted(smallest, key=lambda c: order.index(c) if c in order else len(order))}
        plan = merge_breakdown(
            {c: n for c, n in ordered.items() if n > 0}, mergeable=mergeable, merged_label="+".join(mergeable)
        )
        plans[dimension] = (
            {}
            if plan is None
            else {member: label for label, members in plan.items() for member in members if len(members) > 1}
        )
    return plans


def build_cube(*, programme_id: int, compare: str) -> Cube:
    """Count every cube cell from the area rollups and disclose them together.

    The area rollups hold every count the cube needs, per local authority, academic year
    and year group (``year_group = 0`` rows sum an authority's year groups) and per
    subgroup category (gender, ethnic group, dose band), with the schools behind each: a
    few hundred rows for a whole region, where the class rollups are hundreds of
    thousands."""
    rows = list(
        AreaRollup.objects.filter(programme_id=programme_id, compare=compare, n_matched__gt=0).values_list(
            "instrument_id",
            "scale_code",
            "dimension",
            "category",
            "local_authority_id",
            "academic_year",
            "year_group",
            "n_matched",
            "school_n",
        )
    )
    # Category counts at the region over everything, per scale (the merge plan).
    totals: dict[str, dict[str, dict[ScaleKey, int]]] = {Dimension.GENDER: {}, Dimension.ETHNICITY: {}}
    for instrument, scale_code, dimension, category, _authority, _year, year_group, matched, _schools in rows:
        if dimension in totals and year_group == ALL_YEAR_GROUPS:
            per_scale = totals[dimension].setdefault(category, {})
            per_scale[(instrument, scale_code)] = per_scale.get((instrument, scale_code), 0) + matched
    plans = _plans(totals)
    cube = Cube(plans=plans)
    n: dict[ScaleKey, dict[CubeKey, int]] = defaultdict(lambda: defaultdict(int))
    schools: dict[ScaleKey, dict[CubeKey, set[str]]] = defaultdict(lambda: defaultdict(set))
    for instrument, scale_code, dimension, category, authority, year, year_group, matched, school_n in rows:
        scale = (instrument, scale_code)
        if dimension == Dimension.ALL:
            sub = ALL
        elif dimension == Dimension.DOSE:
            sub = f"dose:{category}"
        else:
            sub = f"{dimension}:{plans[dimension].get(category, category)}"
        group = None if year_group == ALL_YEAR_GROUPS else year_group
        present = {school for school, count in school_n.items() if count}
        for scope in (("region", ""), ("local_authority", authority)):
            for y in (None, year):
                key = (scope, sub, y, group)
                n[scale][key] += matched
                schools[scale][key] |= present
    for scale, counts in n.items():
        hidden, _order = _disclose(dict(counts), schools[scale])
        cube.n[scale] = dict(counts)
        cube.hidden[scale] = hidden
    return cube


def _rank(key: CubeKey) -> tuple:
    scope, sub, year, year_group = key
    return (
        scope[0] != "region",
        str(scope[1]),
        year is not None,
        year or 0,
        year_group is not None,
        year_group or 0,
        sub != ALL,
        sub,
    )


def _disclose(counts: dict[CubeKey, int], schools: dict[CubeKey, set[str]]) -> tuple[dict[CubeKey, Reason], list]:
    keys = sorted(counts, key=_rank)
    cells = [Cell(k, counts[k], len(schools[k])) for k in keys]
    groups: dict[tuple, list[CubeKey]] = defaultdict(list)
    for key in keys:
        scope, sub, year, year_group = key
        if scope[0] == "local_authority":
            groups[("region", (("region", ""), sub, year, year_group))].append(key)
        if sub != ALL:
            dimension = sub.split(":", 1)[0]
            groups[(dimension, (scope, ALL, year, year_group))].append(key)
        if year is not None:
            groups[("year", (scope, sub, None, year_group))].append(key)
        if year_group is not None:
            groups[("year_group", (scope, sub, year, None))].append(key)
    relations = []
    breakdowns: list[tuple[CubeKey, ...]] = []
    for (kind, total), parts in groups.items():
        if total in counts:
            relations.append(Relation(total, tuple(parts)))
        if kind in (Dimension.GENDER, Dimension.ETHNICITY, "dose") or (kind == "year_group" and total[1] == ALL):
            breakdowns.append(tuple(parts))
    # Rules 1, 2, 4 and 5 over the whole cube, then rule 3 on top: withholding the rest of a
    # breakdown only hides more, which can never let a hidden cell be worked out. (Inside
    # ``disclose`` the exact check would also protect the withheld categories themselves,
    # which rest on 10 or more pupils and 3 or more schools; across the cube that hides
    # totals, such as the region, that give no small group away.)
    result = disclose(Table(cells=cells, relations=relations))
    hidden: dict[CubeKey, Reason] = {key: result.hidden[key] for key in keys if key in result.hidden}
    for members in breakdowns:
        if any(member in hidden for member in members):
            for member in members:
                hidden.setdefault(member, Reason.BREAKDOWN_WITHHELD)
    return hidden, keys
