import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm, rankdata
from scipy.stats import wilcoxon as scipy_wilcoxon

from outcomes.stats.paired import (
    EXACT,
    NORMAL_APPROXIMATION,
    paired_summary,
    paired_summary_from_pairs,
    wilcoxon_signed_rank,
)
from outcomes.stats.sufficient import ChangeHistogram, PairedMoments
from tests.outcomes.stats.reference import (
    HW_FIRST_VISIT,
    HW_SECOND_VISIT,
    LAKENS_MOVIE_1,
    LAKENS_MOVIE_2,
    P_TOL,
    SLEEP_GROUP_1,
    SLEEP_GROUP_2,
    SLEEP_UNIT,
    TOL,
)


def close(value, expected, tol=TOL):
    assert value is not None
    assert abs(value - expected) <= tol, f"{value} != {expected}"


def test_sleep_reproduces_r_paired_t_test_and_effect_sizes():
    s = paired_summary_from_pairs(SLEEP_GROUP_2, SLEEP_GROUP_1, unit=SLEEP_UNIT)
    assert s.n == 10 and s.df == 9
    close(s.mean_change, -1.58)
    close(s.sd_change, 1.229995)
    close(s.t, -4.062128)
    close(s.p_value, 0.0028329, P_TOL)
    close(s.ci_low, -2.4598858)
    close(s.ci_high, -0.7001142)
    close(s.r_pre_post, 0.79517)
    close(s.d_z, -1.2846)
    close(s.d_z_ci_low, -2.1180)
    close(s.d_z_ci_high, -0.4146)
    close(s.d_av, -0.8335)
    close(s.g_av, -0.7983)
    close(s.d_rm, -0.8222)


def test_sleep_wilcoxon_uses_rs_normal_approximation_because_of_ties_and_a_zero():
    w = paired_summary_from_pairs(SLEEP_GROUP_2, SLEEP_GROUP_1, unit=SLEEP_UNIT).wilcoxon
    assert w is not None
    assert w.v == 0
    close(w.p, 0.0090907, P_TOL)
    assert w.method == NORMAL_APPROXIMATION
    assert w.n_nonzero == 9  # patient 5's zero difference is dropped, as R does
    assert w.rank_biserial == -1.0


def test_lakens_film_ratings_reproduce_the_published_and_computed_values():
    s = paired_summary_from_pairs(LAKENS_MOVIE_2, LAKENS_MOVIE_1, unit=1)
    close(s.mean_change, 1.0)
    close(s.t, 4.7434)
    close(s.p_value, 0.001054, P_TOL)
    close(s.ci_low, 0.5231)
    close(s.ci_high, 1.4769)
    close(s.r_pre_post, 0.72554)
    close(s.d_z, 1.5000)
    close(s.d_z_ci_low, 0.5605)
    close(s.d_z_ci_high, 2.4034)
    close(s.d_av, 1.1287)
    close(s.g_av, 1.0810)
    close(s.d_rm, 1.1113)
    # Lakens' published two-decimal figures.
    assert round(s.d_z, 2) == 1.50 and round(s.g_av, 2) == 1.08 and round(s.r_pre_post, 3) == 0.726
    assert s.wilcoxon is not None
    assert s.wilcoxon.v == 36
    close(s.wilcoxon.p, 0.01028, P_TOL)
    assert s.wilcoxon.method == NORMAL_APPROXIMATION and s.wilcoxon.n_nonzero == 8


def test_exact_wilcoxon_matches_rs_help_page_example():
    # R: wilcox.test(x, y, paired = TRUE) -> "Wilcoxon signed rank exact test", V = 40,
    # p-value = 0.03906; with our sign (change = second - first visit) V = 45 - 40 = 5.
    s = paired_summary_from_pairs(HW_FIRST_VISIT, HW_SECOND_VISIT, unit=1000)
    w = s.wilcoxon
    assert w is not None
    assert w.method == EXACT
    assert w.v == 5 and w.n_nonzero == 9
    close(w.p, 0.03906, P_TOL)
    # R's one-sided "greater" p (0.01953) doubled, R's two-sided rule min(1, 2p).
    close(w.p, 2 * 0.01953, P_TOL)


def test_exact_wilcoxon_p_equals_a_hand_enumeration_of_the_signed_rank_distribution():
    changes = [round(b - a, 3) for a, b in zip(HW_FIRST_VISIT, HW_SECOND_VISIT, strict=True)]
    ranks = rankdata([abs(c) for c in changes])
    v = sum(r for r, c in zip(ranks, changes, strict=True) if c > 0)
    n = len(changes)
    # Every one of the 2^9 sign patterns is equally likely under H0.
    sums = [
        sum(r for r, sign in zip(range(1, n + 1), signs, strict=True) if sign)
        for signs in itertools.product((0, 1), repeat=n)
    ]
    lower = sum(s <= v for s in sums) / len(sums)
    upper = sum(s >= v for s in sums) / len(sums)
    expected = min(1.0, 2 * min(lower, upper))
    assert expected == 20 / 512
    w = wilcoxon_signed_rank(ChangeHistogram.from_units([round(c * 1000) for c in changes], 1000))
    assert w is not None and w.v == v
    assert w.p == pytest.approx(expected, abs=1e-12)


def _signed_rank_counts(n: int) -> list[int]:
    """Number of subsets of {1..n} with each rank sum (the null distribution's numerators)."""
    counts = [1] + [0] * (n * (n + 1) // 2)
    for k in range(1, n + 1):
        for s in range(len(counts) - 1, k - 1, -1):
            counts[s] += counts[s - k]
    return counts


def r_wilcox_paired(d: list[int]) -> tuple[float, float, str]:
    """R's wilcox.test.default for paired data, transcribed line by line (R 4.x, correct = TRUE,
    exact = NULL): drop zeros, rank |x|, exact only if n < 50 and no ties and no zeros."""
    zeroes = any(x == 0 for x in d)
    x = [v for v in d if v != 0]
    n = len(x)
    exact = n < 50
    r = rankdata([abs(v) for v in x])
    statistic = float(sum(rr for rr, v in zip(r, x, strict=True) if v > 0))
    ties = len(set(r)) != len(r)
    if exact and not ties and not zeroes:
        counts = _signed_rank_counts(n)
        total = 2**n
        v = int(statistic)
        if statistic > n * (n + 1) / 4:  # noqa: SIM108 (kept as R writes it)
            p = sum(counts[v:]) / total  # psignrank(V - 1, n, lower.tail = FALSE)
        else:
            p = sum(counts[: v + 1]) / total  # psignrank(V, n)
        return statistic, min(2 * p, 1.0), EXACT
    nties = [list(r).count(value) for value in set(r)]
    z = statistic - n * (n + 1) / 4
    sigma = math.sqrt(n * (n + 1) * (2 * n + 1) / 24 - sum(t**3 - t for t in nties) / 48)
    correction = math.copysign(0.5, z) if z != 0 else 0.0
    z = (z - correction) / sigma
    return statistic, 2 * min(norm.cdf(z), norm.sf(z)), NORMAL_APPROXIMATION


@pytest.mark.parametrize(
    "changes",
    [
        [0, 0, 0, 1, 1, 2, -1, 3, 3, 3, -2, 4],  # several zeros and ties
        list(range(1, 50)),  # 49 distinct non-zero: exact
        list(range(-25, 0)) + list(range(1, 26)),  # 50 distinct non-zero: R switches to normal
        [0, 5, -3, 7, 2],  # one zero, no ties: normal, not exact
        [2, -2, 4, 6],  # ties only, small n: normal (SciPy's own "auto" would permute)
        [1, 1, 1, 1, 1],  # every change equal
        [-7],
    ],
)
def test_wilcoxon_follows_rs_algorithm_in_each_branch(changes):
    v, p, method = r_wilcox_paired(changes)
    w = wilcoxon_signed_rank(ChangeHistogram.from_units(changes, 1))
    assert w is not None
    assert (w.v, w.method) == (v, method)
    assert w.p == pytest.approx(p, rel=1e-10, abs=1e-14)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-12, 12), min_size=1, max_size=70))
def test_wilcoxon_agrees_with_rs_algorithm_on_random_histograms(changes):
    w = wilcoxon_signed_rank(ChangeHistogram.from_units(changes, 4))
    if all(c == 0 for c in changes):
        assert w is None
        return
    v, p, method = r_wilcox_paired(changes)
    assert w is not None
    assert (w.v, w.method) == (v, method)
    assert w.p == pytest.approx(p, rel=1e-9, abs=1e-14)


def test_no_wilcoxon_when_every_change_is_zero():
    s = paired_summary_from_pairs([3, 4, 5], [3, 4, 5], unit=1)
    assert s.wilcoxon is None
    assert s.mean_change == 0 and s.t is None and s.p_value is None


def test_constant_change_has_a_mean_but_no_t_interval_or_d_z():
    s = paired_summary_from_pairs([1, 2, 3, 4], [2, 3, 4, 5], unit=1)
    assert s.mean_change == 1.0 and s.sd_change == 0
    assert s.t is None and s.ci_low is None and s.d_z is None and s.d_z_ci_low is None
    assert s.d_av is not None and s.d_av > 0  # baseline and post do vary
    assert s.median_change == 1.0


def test_too_few_pupils_leave_inference_empty():
    one = paired_summary_from_pairs([2.0], [3.0], unit=1)
    assert one.n == 1 and one.mean_change == 1.0 and one.baseline_sd is None
    assert one.t is None and one.g_av is None and one.r_pre_post is None
    empty = paired_summary(PairedMoments.zero(20), ChangeHistogram.zero(20))
    assert empty.n == 0 and empty.mean_change is None and empty.wilcoxon is None


def test_a_histogram_for_other_pupils_is_refused():
    moments = PairedMoments.from_units([(1, 2), (2, 4)], 1)
    with pytest.raises(ValueError):
        paired_summary(moments, ChangeHistogram.from_units([1, 1], 1))  # sum 2, not 3
    with pytest.raises(ValueError):
        paired_summary(moments, ChangeHistogram.from_units([1, 2, 0], 1))  # three pupils
    assert paired_summary(moments, ChangeHistogram.from_units([10, 20], 10)).median_change == 1.5


def test_confidence_level_widens_or_narrows_the_interval():
    wide = paired_summary_from_pairs(SLEEP_GROUP_2, SLEEP_GROUP_1, unit=SLEEP_UNIT, confidence=0.99)
    narrow = paired_summary_from_pairs(SLEEP_GROUP_2, SLEEP_GROUP_1, unit=SLEEP_UNIT, confidence=0.90)
    assert wide.ci_low < -2.4598858 < narrow.ci_low
    with pytest.raises(ValueError):
        paired_summary(PairedMoments.zero(1), confidence=1.0)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(-12, 12), min_size=1, max_size=120))
def test_wilcoxon_agrees_with_scipy_on_the_expanded_values_in_the_branch_r_chooses(changes):
    w = wilcoxon_signed_rank(ChangeHistogram.from_units(changes, 4))
    nonzero = [c for c in changes if c != 0]
    if not nonzero:
        assert w is None
        return
    assert w is not None
    method = "exact" if w.method == EXACT else "asymptotic"
    ref = scipy_wilcoxon(nonzero, zero_method="wilcox", correction=True, method=method)
    assert w.p == pytest.approx(ref.pvalue, rel=1e-10, abs=1e-15)
    assert min(w.v, w.n_nonzero * (w.n_nonzero + 1) / 2 - w.v) == ref.statistic


def test_wilcoxon_from_a_regional_histogram_works_from_the_bins():
    # 70,000 pupils on a 5-item scale (unit 20): the normal approximation from 200 bins.
    rng = np.random.default_rng(70)
    changes = rng.integers(-40, 60, 70_000)
    hist = ChangeHistogram.from_units(changes.tolist(), 20)
    w = wilcoxon_signed_rank(hist)
    ref = scipy_wilcoxon(changes[changes != 0], correction=True, method="asymptotic")
    assert w is not None and w.method == NORMAL_APPROXIMATION
    assert w.p == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-300)


def test_the_d_z_interval_can_be_skipped():
    s = paired_summary_from_pairs(SLEEP_GROUP_2, SLEEP_GROUP_1, unit=SLEEP_UNIT)
    moments = PairedMoments.from_units(
        [(round(x * 10), round(y * 10)) for x, y in zip(SLEEP_GROUP_2, SLEEP_GROUP_1, strict=True)], 10
    )
    quick = paired_summary(moments, d_z_interval=False)
    assert quick.d_z_ci_low is None and quick.d_z_ci_high is None
    assert quick.d_z == s.d_z and quick.p_value == s.p_value and quick.ci_low == s.ci_low
