"""Standardised effect sizes for a matched pre/post design (Lakens 2013, Front. Psychol. 4:863).

All take summary numbers and return None where the quantity is undefined (no variance,
fewer than two pupils). The headline effect is g_av beside the raw change in scale points;
d_z is for power planning and the technical appendix, because it grows with the pre/post
correlation and so is not comparable with a between-groups d.
"""

from __future__ import annotations

import math

from scipy import optimize, stats


def hedges_j(n1: int, n2: int) -> float:
    """Hedges' small-sample correction as in Lakens' worked example: 1 - 3/(4(n1 + n2) - 9).

    For a within-subject design Lakens uses n1 = n2 = n (so J = 1 - 3/(8n - 9))."""
    if n1 + n2 < 3:
        raise ValueError("Hedges' correction needs at least three values in all")
    return 1.0 - 3.0 / (4 * (n1 + n2) - 9)


def d_z(mean_change: float, sd_change: float | None) -> float | None:
    """d_z = mean change / SD of the change (= t / sqrt(n))."""
    if sd_change is None or sd_change <= 0:
        return None
    return mean_change / sd_change


def d_z_interval(t: float, n: int, *, confidence: float = 0.95) -> tuple[float, float] | None:
    """Confidence interval for d_z by inverting the noncentral t distribution.

    Find the noncentrality parameters lambda_lo and lambda_hi with
    ``P(T <= t | df = n - 1, lambda_lo) = (1 + confidence) / 2`` and
    ``P(T <= t | df = n - 1, lambda_hi) = (1 - confidence) / 2`` (the CDF falls as lambda rises),
    then divide each by sqrt(n). Brent's method on ``scipy.stats.nct.cdf``; the bracket grows
    outward from t in doubling steps, so it stays where the CDF is well conditioned."""
    if n < 2 or not math.isfinite(t) or not 0 < confidence < 1:
        return None
    df = n - 1
    upper_tail = (1 + confidence) / 2
    lower_tail = (1 - confidence) / 2

    def root(target: float) -> float | None:
        def f(lam: float) -> float:
            return float(stats.nct.cdf(t, df, lam)) - target

        near, step = t, 1.0
        f_near = f(near)
        if math.isnan(f_near):
            return None
        # The CDF falls as lambda rises: above the target, the root lies at a larger lambda.
        direction = 1.0 if f_near > 0 else -1.0
        for _ in range(60):
            far = t + direction * step
            f_far = f(far)
            if math.isnan(f_far):
                return None
            if f_far == 0 or (f_far > 0) != (f_near > 0):
                a, b = sorted((near, far))
                return float(optimize.brentq(f, a, b, xtol=1e-12, rtol=1e-12, maxiter=200))
            near, f_near, step = far, f_far, step * 2
        return None

    lam_lo, lam_hi = root(upper_tail), root(lower_tail)
    if lam_lo is None or lam_hi is None:
        return None
    root_n = math.sqrt(n)
    return lam_lo / root_n, lam_hi / root_n


def d_av(mean_change: float, sd_baseline: float | None, sd_post: float | None) -> float | None:
    """d_av = mean change / ((SD baseline + SD post) / 2), comparable with a between-groups d."""
    if sd_baseline is None or sd_post is None or sd_baseline + sd_post <= 0:
        return None
    return mean_change / ((sd_baseline + sd_post) / 2)


def g_av(d_av_value: float | None, n: int) -> float | None:
    """Bias-corrected d_av: d_av x J with n1 = n2 = n (Lakens 2013, recommended for reporting)."""
    if d_av_value is None or n < 2:
        return None
    return d_av_value * hedges_j(n, n)


def d_rm(mean_change: float, sd_baseline: float | None, sd_post: float | None, r: float | None) -> float | None:
    """d_rm = mean change / sqrt(s1^2 + s2^2 - 2 r s1 s2) x sqrt(2 (1 - r)) (Lakens 2013)."""
    if sd_baseline is None or sd_post is None or r is None:
        return None
    sd_diff_sq = sd_baseline**2 + sd_post**2 - 2 * r * sd_baseline * sd_post
    if sd_diff_sq <= 0:
        return None
    return mean_change / math.sqrt(sd_diff_sq) * math.sqrt(2 * (1 - r))


def rank_biserial(w_plus: float, w_minus: float) -> float | None:
    """Matched-pairs rank-biserial correlation (W+ - W-) / (W+ + W-)."""
    total = w_plus + w_minus
    if total <= 0:
        return None
    return (w_plus - w_minus) / total
