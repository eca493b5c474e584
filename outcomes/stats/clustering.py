"""Clustering of pupils in classes and schools: ICC, design effect, effective n.

Pupils in one class share a teacher and a room, so their changes are correlated and n pupils
carry less information than n independent ones. For paired data the ICC that matters is the
ICC of the *change* score; the rollups keep per-class sums of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import reduce
from math import lcm

from outcomes.stats.sufficient import Moments


@dataclass(frozen=True)
class OneWayAnova:
    """Mean squares of a one-way ANOVA over clusters, in scale points squared."""

    k: int
    n_total: int
    n0: float
    ms_between: float
    ms_within: float
    icc: float | None


def oneway_anova(clusters: Sequence[Moments]) -> OneWayAnova | None:
    """One-way ANOVA over clusters from per-cluster n, sums and sums of squares, exactly.

    SSB = sum(s_i^2 / n_i) - S^2 / N, SSW = sum(ss_i) - sum(s_i^2 / n_i),
    MSB = SSB / (k - 1), MSW = SSW / (N - k), and with unequal cluster sizes the adjusted mean
    cluster size n0 = (N - sum(n_i^2) / N) / (k - 1). The ICC estimator is
    (MSB - MSW) / (MSB + (n0 - 1) MSW), truncated at 0 (a negative estimate means no
    detectable clustering). Empty clusters are ignored. None with fewer than two clusters or
    no within-cluster degrees of freedom."""
    used = [c for c in clusters if c.n > 0]
    if not used:
        return None
    unit = reduce(lcm, (c.unit for c in used), 1)
    used = [c.rescaled(unit) for c in used]
    return oneway_anova_from_sums(
        unit=unit,
        k=len(used),
        n=sum(c.n for c in used),
        s=sum(c.s for c in used),
        ss=sum(c.ss for c in used),
        sum_s2_over_n=sum((Fraction(c.s * c.s, c.n) for c in used), Fraction(0)),
        sum_n2=sum(c.n * c.n for c in used),
    )


def oneway_anova_from_sums(
    *, unit: int, k: int, n: int, s: int, ss: int, sum_s2_over_n: Fraction | float | int, sum_n2: int
) -> OneWayAnova | None:
    """The same ANOVA from sums that add across areas, so a region's between-class ICC needs
    no per-class rows: k non-empty clusters, N = sum(n_i), S = sum(s_i), SS = sum(ss_i) (in
    ``unit``), sum(s_i^2 / n_i) in unit^2 (a Fraction keeps it exact; a float is accepted) and
    sum(n_i^2)."""
    if unit < 1 or k < 0 or n < k:
        raise ValueError("inconsistent cluster sums")
    if k < 2 or n - k < 1:
        return None
    between_part = Fraction(sum_s2_over_n)
    ssb = between_part - Fraction(s * s, n)
    ssw = ss - between_part
    scale = unit * unit
    msb = ssb / (k - 1) / scale
    msw = ssw / (n - k) / scale
    n0 = (n - Fraction(sum_n2, n)) / (k - 1)
    denominator = msb + (n0 - 1) * msw
    icc: float | None = None
    if denominator > 0:
        icc = float(max(Fraction(0), (msb - msw) / denominator))
    return OneWayAnova(k=k, n_total=n, n0=float(n0), ms_between=float(msb), ms_within=float(msw), icc=icc)


def icc_oneway_from_sums(
    *, unit: int, k: int, n: int, s: int, ss: int, sum_s2_over_n: Fraction | float | int, sum_n2: int
) -> float | None:
    """``icc_oneway`` from additive cluster sums (see ``oneway_anova_from_sums``)."""
    anova = oneway_anova_from_sums(unit=unit, k=k, n=n, s=s, ss=ss, sum_s2_over_n=sum_s2_over_n, sum_n2=sum_n2)
    return anova.icc if anova is not None else None


def icc_oneway(clusters: Sequence[Moments]) -> float | None:
    """The one-way ANOVA ICC of the values held in ``clusters`` (see ``oneway_anova``)."""
    anova = oneway_anova(clusters)
    return anova.icc if anova is not None else None


def mean_cluster_size(sizes: Sequence[int]) -> float | None:
    """Average size m of the non-empty clusters, for the design effect."""
    used = [s for s in sizes if s > 0]
    return sum(used) / len(used) if used else None


def design_effect(mean_cluster_size: float, icc: float) -> float:
    """DEFF = 1 + (m - 1) x ICC (Kish): the factor by which clustering inflates the variance."""
    if mean_cluster_size < 1:
        raise ValueError("a mean cluster size is at least 1")
    if not 0 <= icc <= 1:
        raise ValueError("an ICC used for the design effect lies in [0, 1]")
    return 1 + (mean_cluster_size - 1) * icc


def effective_n(n: int, deff: float) -> float:
    """n / DEFF: how many independent pupils the clustered sample is worth."""
    if deff <= 0:
        raise ValueError("a design effect is positive")
    return n / deff
