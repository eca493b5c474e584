"""The matched-pairs summary: everything a per-scale outcome row needs, from rollups alone.

Sign convention: change = post - baseline, in scale points. Distributions come from SciPy
(the t distribution through ``scipy.special.stdtr``/``stdtrit``, the same functions
``scipy.stats.t`` calls, without its per-call overhead; ``scipy.stats.wilcoxon`` for the exact
signed-rank distribution; the normal CDF ``scipy.special.ndtr``; ``scipy.stats.nct``); no
p-value is computed by hand. No suppression or minimum-n policy is applied here: a selector
decides what may be shown (no p or interval below 10 matched pupils, a caution below 30).

Wilcoxon signed-rank follows R's ``wilcox.test(x, y, paired = TRUE)`` defaults exactly:
zero differences are dropped (``zero_method = "wilcox"``), ranks of |d| are averaged over
ties, V is the sum of the ranks of the positive differences, and the p-value is

- exact (the signed-rank null distribution, two-sided ``min(1, 2 * tail)``) only when fewer
  than 50 non-zero differences remain and there are neither ties nor zeros: SciPy's
  ``wilcoxon(method="exact")``, whose two-sided rule is R's;
- otherwise the normal approximation with continuity correction and the tie-corrected
  variance: ``z = (V - n(n+1)/4 - sign * 0.5) / sqrt(n(n+1)(2n+1)/24 - sum(t^3 - t)/48)``,
  ``p = 2 * Phi(-|z|)``, which is R's code and SciPy's ``method="asymptotic"`` line for line.
  It is computed from the histogram's bins (O(bins), not O(pupils)), so a regional figure
  over 70,000 pupils costs microseconds.

SciPy's own ``method="auto"`` differs from R (it counts zeros towards its size limit of 50
and switches to a permutation test for small samples with ties), so the method is chosen
here. The reference tests check both branches against R's published output, against a
transcription of R's algorithm, and against ``scipy.stats.wilcoxon`` on the expanded values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from outcomes.stats import effect_sizes
from outcomes.stats.sufficient import ChangeHistogram, PairedMoments, to_units

EXACT = "exact"
NORMAL_APPROXIMATION = "normal approximation with continuity correction"
#: R's wilcox.test uses the exact distribution only below this many non-zero differences.
EXACT_LIMIT = 50


@dataclass(frozen=True)
class WilcoxonResult:
    """Wilcoxon signed-rank, two-sided. ``v`` is R's V: the sum of the ranks of the positive
    changes (post above baseline)."""

    v: float
    p: float
    method: str
    n_nonzero: int
    rank_biserial: float


@dataclass(frozen=True)
class PairedSummary:
    """The paired analysis of one scale. A field is None when it cannot be computed (fewer
    than two pupils, no variance, no histogram for the rank statistics)."""

    n: int
    baseline_mean: float | None
    baseline_sd: float | None
    post_mean: float | None
    post_sd: float | None
    r_pre_post: float | None
    mean_change: float | None
    sd_change: float | None
    ci_low: float | None
    ci_high: float | None
    t: float | None
    df: int | None
    p_value: float | None
    wilcoxon: WilcoxonResult | None
    d_z: float | None
    d_z_ci_low: float | None
    d_z_ci_high: float | None
    d_av: float | None
    g_av: float | None
    d_rm: float | None
    median_change: float | None


def wilcoxon_signed_rank(histogram: ChangeHistogram) -> WilcoxonResult | None:
    """R's default paired Wilcoxon test from the change histogram (None when every change is 0)."""
    nonzero = {k: c for k, c in histogram.counts.items() if k != 0}
    n_nonzero = sum(nonzero.values())
    if n_nonzero == 0:
        return None
    has_zeros = histogram.counts.get(0, 0) > 0
    # Group by |change|: a group of c tied values starting after m smaller ones has the
    # average rank m + (c + 1) / 2. Ranks are exact halves, so V is exact in floating point.
    by_abs: dict[int, tuple[int, int]] = {}
    for key, count in nonzero.items():
        pos, neg = by_abs.get(abs(key), (0, 0))
        by_abs[abs(key)] = (pos + count, neg) if key > 0 else (pos, neg + count)
    w_plus = w_minus = 0.0
    below = 0
    has_ties = False
    for magnitude in sorted(by_abs):
        pos, neg = by_abs[magnitude]
        group = pos + neg
        has_ties = has_ties or group > 1
        rank = below + (group + 1) / 2
        w_plus += pos * rank
        w_minus += neg * rank
        below += group
    exact = n_nonzero < EXACT_LIMIT and not has_ties and not has_zeros
    if exact:
        d = histogram.units_array()
        d = d[d != 0].astype(np.float64)
        p = float(stats.wilcoxon(d, zero_method="wilcox", alternative="two-sided", method="exact").pvalue)
    else:
        n = n_nonzero
        tie_term = sum(g**3 - g for g in (pos + neg for pos, neg in by_abs.values()))
        sigma = math.sqrt(n * (n + 1) * (2 * n + 1) / 24 - tie_term / 48)
        z = w_plus - n * (n + 1) / 4
        z = (z - math.copysign(0.5, z) if z else 0.0) / sigma
        p = min(1.0, float(2 * special.ndtr(-abs(z))))
    rb = effect_sizes.rank_biserial(w_plus, w_minus)
    assert rb is not None  # n_nonzero > 0, so the ranks sum to n(n+1)/2 > 0
    return WilcoxonResult(
        v=w_plus,
        p=p,
        method=EXACT if exact else NORMAL_APPROXIMATION,
        n_nonzero=n_nonzero,
        rank_biserial=rb,
    )


def _check_histogram(moments: PairedMoments, histogram: ChangeHistogram) -> None:
    """The histogram must describe the same pupils' change as the moments. Both are exact
    integers, so any disagreement is a rollup bug, reported rather than published."""
    change = moments.change
    h_sum = sum(k * c for k, c in histogram.counts.items())
    if histogram.n != moments.n or h_sum * change.unit != change.s * histogram.unit:
        raise ValueError("the change histogram and the paired moments describe different pupils")


def paired_summary(
    moments: PairedMoments,
    histogram: ChangeHistogram | None = None,
    *,
    confidence: float = 0.95,
    d_z_interval: bool = True,
) -> PairedSummary:
    """The paired summary from sufficient statistics (and the change histogram, for the
    Wilcoxon test and the median). ``d_z_interval=False`` skips the noncentral-t interval
    (about a millisecond a cell) and leaves d_z_ci_low/d_z_ci_high None."""
    if not 0 < confidence < 1:
        raise ValueError("confidence must lie strictly between 0 and 1")
    if histogram is not None:
        _check_histogram(moments, histogram)
    n = moments.n
    base, post, change = moments.baseline, moments.post, moments.change
    mean_change = change.mean
    sd_change = change.sd
    r = moments.r

    ci_low = ci_high = t = p_value = None
    df: int | None = None
    dz = dz_lo = dz_hi = None
    if mean_change is not None and sd_change is not None and sd_change > 0:
        df = n - 1
        se = sd_change / math.sqrt(n)
        t = mean_change / se
        p_value = float(2 * special.stdtr(df, -abs(t)))
        q = float(special.stdtrit(df, (1 + confidence) / 2))
        ci_low, ci_high = mean_change - q * se, mean_change + q * se
        dz = effect_sizes.d_z(mean_change, sd_change)
        interval = effect_sizes.d_z_interval(t, n, confidence=confidence) if d_z_interval else None
        if interval is not None:
            dz_lo, dz_hi = interval

    dav = gav = drm = None
    if mean_change is not None and n >= 2:
        dav = effect_sizes.d_av(mean_change, base.sd, post.sd)
        gav = effect_sizes.g_av(dav, n)
        drm = effect_sizes.d_rm(mean_change, base.sd, post.sd, r)

    return PairedSummary(
        n=n,
        baseline_mean=base.mean,
        baseline_sd=base.sd,
        post_mean=post.mean,
        post_sd=post.sd,
        r_pre_post=r,
        mean_change=mean_change,
        sd_change=sd_change,
        ci_low=ci_low,
        ci_high=ci_high,
        t=t,
        df=df,
        p_value=p_value,
        wilcoxon=wilcoxon_signed_rank(histogram) if histogram is not None else None,
        d_z=dz,
        d_z_ci_low=dz_lo,
        d_z_ci_high=dz_hi,
        d_av=dav,
        g_av=gav,
        d_rm=drm,
        median_change=histogram.median if histogram is not None else None,
    )


def paired_summary_from_pairs(
    baseline: Sequence[float], post: Sequence[float], *, unit: int, confidence: float = 0.95
) -> PairedSummary:
    """The same summary from raw pairs (each value x unit must be an integer): the path the
    reference tests use, and the one the rollups must agree with."""
    if len(baseline) != len(post):
        raise ValueError("baseline and post must pair up one to one")
    pairs = [(to_units(x, unit), to_units(y, unit)) for x, y in zip(baseline, post, strict=True)]
    moments = PairedMoments.from_units(pairs, unit)
    histogram = ChangeHistogram.from_units((y - x for x, y in pairs), unit)
    return paired_summary(moments, histogram, confidence=confidence)
