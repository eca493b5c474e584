"""Independent-groups comparisons: the Welch sensitivity analysis and matched-vs-lost.

The Welch comparison of *all* baseline against *all* post scores is descriptive: the two
samples overlap (matched pupils are in both), so its p is approximate. It exists to catch a
paired result that hangs on who could be matched: when the two disagree in sign, or their
intervals do not overlap, the result is flagged "fragile".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import special

from outcomes.stats.effect_sizes import hedges_j
from outcomes.stats.paired import PairedSummary
from outcomes.stats.sufficient import Moments

#: |g| of matched vs lost baseline scores above which a view says "matched pupils differ
#: from those lost to follow-up".
LOST_G_FLAG = 0.25


@dataclass(frozen=True)
class WelchResult:
    """Welch's unequal-variances t test, post minus baseline."""

    t: float
    df: float
    p_value: float
    mean_diff: float
    ci_low: float
    ci_high: float


def welch(baseline: Moments, post: Moments, *, confidence: float = 0.95) -> WelchResult | None:
    """Welch t test of post against baseline (mean_diff = post - baseline), with the
    Welch-Satterthwaite df and the t distribution's CDF from SciPy (``scipy.special.stdtr``,
    what ``scipy.stats.ttest_ind(equal_var=False)`` uses); None below two values a side or
    with no variance at all."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie strictly between 0 and 1")
    if baseline.n < 2 or post.n < 2:
        return None
    mean_b, mean_p, var_b, var_p = baseline.mean, post.mean, baseline.var, post.var
    assert mean_b is not None and mean_p is not None and var_b is not None and var_p is not None
    vb, vp = var_b / baseline.n, var_p / post.n
    se_sq = vb + vp
    if se_sq <= 0:
        return None
    df = se_sq**2 / (vb**2 / (baseline.n - 1) + vp**2 / (post.n - 1))
    se = math.sqrt(se_sq)
    diff = mean_p - mean_b
    t = diff / se
    q = float(special.stdtrit(df, (1 + confidence) / 2))
    return WelchResult(
        t=t,
        df=df,
        p_value=float(2 * special.stdtr(df, -abs(t))),
        mean_diff=diff,
        ci_low=diff - q * se,
        ci_high=diff + q * se,
    )


def hedges_g(a: Moments, b: Moments) -> float | None:
    """Hedges' g of a against b: (mean a - mean b) / pooled SD x J, J = 1 - 3/(4(na + nb) - 9).

    Used as ``hedges_g(matched_baseline, lost_baseline)``; compare with ``LOST_G_FLAG``."""
    if a.n < 2 or b.n < 2:
        return None
    var_a, var_b, mean_a, mean_b = a.var, b.var, a.mean, b.mean
    assert var_a is not None and var_b is not None and mean_a is not None and mean_b is not None
    pooled = ((a.n - 1) * var_a + (b.n - 1) * var_b) / (a.n + b.n - 2)
    if pooled <= 0:
        return None
    return (mean_a - mean_b) / math.sqrt(pooled) * hedges_j(a.n, b.n)


def differs_from_lost(g: float | None) -> bool | None:
    """True when matched and lost pupils' baseline scores differ by more than LOST_G_FLAG."""
    return None if g is None else abs(g) > LOST_G_FLAG


def fragile(paired: PairedSummary, welch: WelchResult | None) -> bool | None:
    """A paired result is fragile when the Welch comparison disagrees in sign or the two 95 %
    intervals do not overlap. None when either analysis is missing its estimate or interval."""
    if welch is None:
        return None
    mean, lo, hi = paired.mean_change, paired.ci_low, paired.ci_high
    if mean is None or lo is None or hi is None:
        return None
    opposite_sign = mean * welch.mean_diff < 0
    disjoint = hi < welch.ci_low or welch.ci_high < lo
    return opposite_sign or disjoint
