"""Combining rollup rows into one cell's sufficient statistics, and a cell's figures.

No database here: ``selectors`` reads rollup rows (class or area rows, as dicts) and adds
them into a ``CellSums`` per published cell; ``cell_figures`` turns the sums into the
numbers of one output row with the ``outcomes.stats`` functions. Rows in different grid
units (two versions of an instrument with different numbers of items) are kept apart per
unit and rescaled to their least common multiple at the end, so the result stays exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import reduce

from .stats import clustering, independent, paired
from .stats.sufficient import ChangeHistogram, Moments, PairedMoments

# The sufficient statistics a rollup row carries and cells add up: named here once and used
# by building (class pairs), services (area rollups) and selectors (reading rows).
SUMS = (
    "n_matched",
    "sum_x",
    "sum_y",
    "sum_xx",
    "sum_yy",
    "sum_xy",
    "n_exact",
    "n_fuzzy",
    "n_lost",
    "sum_lost",
    "sumsq_lost",
    "n_unmatched",
    "sum_unmatched",
    "sumsq_unmatched",
)
_LINEAR = {"sum_x", "sum_y", "sum_lost", "sum_unmatched"}
_SQUARED = {"sum_xx", "sum_yy", "sum_xy", "sumsq_lost", "sumsq_unmatched"}
SMALL_SAMPLE = 30


class _UnitSums:
    __slots__ = ("class_between", "class_n2", "classes", "histogram", "school_change", "school_n", "sums")

    def __init__(self) -> None:
        self.sums = dict.fromkeys(SUMS, 0)
        # Keys stay strings (as stored in JSON) until ``combined``: cheaper to add up.
        self.histogram: dict[str, int] = {}
        self.school_n: dict[str, int] = {}
        self.school_change: dict[str, int] = {}
        self.classes = 0
        self.class_n2 = 0
        self.class_between = 0.0


@dataclass
class Combined:
    """A cell's sums in one unit."""

    unit: int
    paired: PairedMoments
    lost: Moments
    unmatched: Moments
    histogram: ChangeHistogram
    n_exact: int
    n_fuzzy: int
    classes: int
    class_n2: int
    class_between: float
    school_n: dict[str, int] = field(default_factory=dict)  # school id -> matched pupils
    school_change: dict[str, int] = field(default_factory=dict)  # school id -> sum of change (units)

    @property
    def n_schools(self) -> int:
        return sum(1 for n in self.school_n.values() if n > 0)


class CellSums:
    """Everything one published cell (a scope, a scale, a subgroup) adds up."""

    __slots__ = ("by_unit",)

    def __init__(self) -> None:
        self.by_unit: dict[int, _UnitSums] = {}

    def _unit(self, unit: int) -> _UnitSums:
        found = self.by_unit.get(unit)
        if found is None:
            found = self.by_unit[unit] = _UnitSums()
        return found

    @property
    def n_matched(self) -> int:
        return sum(u.sums["n_matched"] for u in self.by_unit.values())

    def add_area_row(self, row: dict) -> None:
        """An ``AreaRollup`` row: sums plus its classes' ICC parts and per-school sums."""
        target = self._unit(row["unit"])
        sums = target.sums
        for name in SUMS:
            sums[name] += row[name]
        _merge(target.histogram, row["histogram"])
        target.classes += row["n_classes"]
        target.class_n2 += row["sum_class_n2"]
        target.class_between += row["class_between"]
        _merge(target.school_n, row["school_n"])
        _merge(target.school_change, row["school_change"])

    def add_class_row(self, row: dict) -> None:
        """A ``ClassRollup`` row: one class's sums (the ICC parts follow from them)."""
        target = self._unit(row["unit"])
        sums = target.sums
        for name in SUMS:
            sums[name] += row[name]
        _merge(target.histogram, row["histogram"])
        n = row["n_matched"]
        if n:
            change = row["sum_y"] - row["sum_x"]
            target.classes += 1
            target.class_n2 += n * n
            target.class_between += change * change / n
            school = str(row["school_id"])
            target.school_n[school] = target.school_n.get(school, 0) + n
            target.school_change[school] = target.school_change.get(school, 0) + change

    def add(self, other: CellSums) -> None:
        for unit, theirs in other.by_unit.items():
            mine = self._unit(unit)
            for name in SUMS:
                mine.sums[name] += theirs.sums[name]
            _merge(mine.histogram, theirs.histogram)
            mine.classes += theirs.classes
            mine.class_n2 += theirs.class_n2
            mine.class_between += theirs.class_between
            _merge(mine.school_n, theirs.school_n)
            _merge(mine.school_change, theirs.school_change)

    def combined(self) -> Combined | None:
        """The cell's sums in one unit. The result may share this object's dicts: add
        nothing to it afterwards."""
        if not self.by_unit:
            return None
        unit = reduce(math.lcm, self.by_unit, 1)
        if len(self.by_unit) == 1:
            # The usual case: one instrument version, nothing to rescale or copy.
            only = self.by_unit[unit]
            return _combined(
                unit,
                only.sums,
                {int(k): v for k, v in only.histogram.items()},
                only.school_n,
                only.school_change,
                only.classes,
                only.class_n2,
                only.class_between,
            )
        totals = dict.fromkeys(SUMS, 0)
        histogram: dict[int, int] = {}
        school_n: dict[str, int] = {}
        school_change: dict[str, int] = {}
        classes = class_n2 = 0
        class_between = 0.0
        for own_unit, part in self.by_unit.items():
            f = unit // own_unit
            for name, value in part.sums.items():
                totals[name] += value * (f * f if name in _SQUARED else f if name in _LINEAR else 1)
            for bin_, count in part.histogram.items():
                key = int(bin_) * f
                histogram[key] = histogram.get(key, 0) + count
            for school, n in part.school_n.items():
                school_n[school] = school_n.get(school, 0) + n
            for school, s in part.school_change.items():
                school_change[school] = school_change.get(school, 0) + s * f
            classes += part.classes
            class_n2 += part.class_n2
            class_between += part.class_between * f * f
        return _combined(unit, totals, histogram, school_n, school_change, classes, class_n2, class_between)


def _combined(
    unit: int,
    t: dict[str, int],
    histogram: dict[int, int],
    school_n: dict[str, int],
    school_change: dict[str, int],
    classes: int,
    class_n2: int,
    class_between: float,
) -> Combined:
    return Combined(
        unit=unit,
        paired=PairedMoments(unit, t["n_matched"], t["sum_x"], t["sum_y"], t["sum_xx"], t["sum_yy"], t["sum_xy"]),
        lost=Moments(unit, t["n_lost"], t["sum_lost"], t["sumsq_lost"]),
        unmatched=Moments(unit, t["n_unmatched"], t["sum_unmatched"], t["sumsq_unmatched"]),
        histogram=ChangeHistogram(unit, histogram),
        n_exact=t["n_exact"],
        n_fuzzy=t["n_fuzzy"],
        classes=classes,
        class_n2=class_n2,
        class_between=class_between,
        school_n=school_n,
        school_change=school_change,
    )


def _merge(into: dict[str, int], data: dict[str, int]) -> None:
    """Add ``data``'s counts or sums into ``into``, key by key."""
    if not into:
        into.update(data)
        return
    get = into.get
    for key, value in data.items():
        into[key] = get(key, 0) + value


def icc_from_sums(
    *, unit: int, k: int, n: int, s: int, ss: int, sum_s2_over_n: float | Fraction, sum_n2: int
) -> float | None:
    """One-way ANOVA ICC of the change from additive per-cluster sums (``outcomes.stats``)."""
    return clustering.icc_oneway_from_sums(unit=unit, k=k, n=n, s=s, ss=ss, sum_s2_over_n=sum_s2_over_n, sum_n2=sum_n2)


@dataclass
class Figures:
    """One output row's numbers (before suppression and multiplicity)."""

    n_schools: int
    n_baseline: int
    n_post: int
    n_matched: int
    n_exact: int
    n_fuzzy: int
    match_rate: float | None
    summary: paired.PairedSummary
    welch: independent.WelchResult | None
    fragile: bool | None
    small_sample: bool
    matched_vs_lost_g: float | None
    lost_differ: bool | None
    icc: float | None
    icc_school: float | None
    design_effect: float | None
    n_effective: float | None
    # Classes with matched pupils behind the figures (shown beside them on the dashboard).
    n_classes: int = 0


def cell_figures(combined: Combined, *, clustered: bool) -> Figures:
    """All figures of a cell. ``clustered``: the scope holds several classes (school and
    above), so the ICC of the change between classes (and between schools) is reported."""
    pm = combined.paired
    all_baseline = pm.baseline + combined.lost
    all_post = pm.post + combined.unmatched
    summary = _paired_summary(pm, combined.histogram)
    welch = independent.welch(all_baseline, all_post)
    g_lost = independent.hedges_g(pm.baseline, combined.lost) if combined.lost.n >= 2 else None
    icc = icc_school = deff = n_eff = None
    if clustered and pm.n:
        change = pm.change
        icc = icc_from_sums(
            unit=combined.unit,
            k=combined.classes,
            n=pm.n,
            s=change.s,
            ss=change.ss,
            sum_s2_over_n=combined.class_between,
            sum_n2=combined.class_n2,
        )
        used = [(n, combined.school_change.get(school, 0)) for school, n in combined.school_n.items() if n > 0]
        if len(used) >= 2:
            icc_school = icc_from_sums(
                unit=combined.unit,
                k=len(used),
                n=pm.n,
                s=change.s,
                ss=change.ss,
                # A float sum, like the between-class one: exact ratios cost more than the
                # whole table, and the ICC is reported to a few digits.
                sum_s2_over_n=math.fsum(s * s / n for n, s in used),
                sum_n2=sum(n * n for n, _ in used),
            )
        if icc is not None and combined.classes:
            deff = clustering.design_effect(max(1.0, pm.n / combined.classes), icc)
            n_eff = clustering.effective_n(pm.n, deff)
    return Figures(
        n_schools=combined.n_schools,
        n_baseline=all_baseline.n,
        n_post=all_post.n,
        n_matched=pm.n,
        n_exact=combined.n_exact,
        n_fuzzy=combined.n_fuzzy,
        match_rate=pm.n / all_baseline.n if all_baseline.n else None,
        summary=summary,
        welch=welch,
        fragile=independent.fragile(summary, welch),
        small_sample=pm.n < SMALL_SAMPLE,
        matched_vs_lost_g=g_lost,
        lost_differ=independent.differs_from_lost(g_lost),
        icc=icc,
        icc_school=icc_school,
        design_effect=deff,
        n_effective=n_eff,
        n_classes=combined.classes if pm.n else 0,
    )


def _paired_summary(pm: PairedMoments, histogram: ChangeHistogram) -> paired.PairedSummary:
    """The paired summary without the d_z interval: the export does not carry it, and its
    root-finding would be most of a regional table's time."""
    return paired.paired_summary(pm, histogram, d_z_interval=False)
