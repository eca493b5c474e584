import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from outcomes.stats.paired import paired_summary, paired_summary_from_pairs
from outcomes.stats.sufficient import ChangeHistogram, Moments, PairedMoments, to_units

UNIT = 20  # a five-item, five-point scale: scores 1..5 in steps of 1/20 at most
scores = st.integers(min_value=1 * UNIT, max_value=5 * UNIT)
pair_lists = st.lists(st.tuples(scores, scores), min_size=0, max_size=60)


@st.composite
def partitioned(draw: st.DrawFn) -> tuple[list[tuple[int, int]], list[list[tuple[int, int]]]]:
    """A list of pairs and a random split of it into consecutive classes (some empty)."""
    pairs = draw(pair_lists)
    cuts = sorted(draw(st.lists(st.integers(0, len(pairs)), max_size=6)))
    bounds = [0, *cuts, len(pairs)]
    return pairs, [pairs[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def _sum(parts, zero):
    total = zero
    for p in parts:
        total = total + p
    return total


@settings(max_examples=200, deadline=None)
@given(partitioned())
def test_rollups_combined_over_any_partition_equal_the_whole(data):
    pairs, classes = data
    whole = PairedMoments.from_units(pairs, UNIT)
    merged = _sum((PairedMoments.from_units(c, UNIT) for c in classes), PairedMoments.zero(UNIT))
    assert merged == whole

    baseline = _sum((Moments.from_units([x for x, _ in c], UNIT) for c in classes), Moments.zero(UNIT))
    assert baseline == Moments.from_units([x for x, _ in pairs], UNIT) == whole.baseline

    changes = [y - x for x, y in pairs]
    hist = _sum((ChangeHistogram.from_units([y - x for x, y in c], UNIT) for c in classes), ChangeHistogram.zero(UNIT))
    assert hist == ChangeHistogram.from_units(changes, UNIT)
    assert hist.n == len(pairs)
    assert ChangeHistogram.from_json(UNIT, hist.to_json()) == hist


@settings(max_examples=150, deadline=None)
@given(partitioned())
def test_paired_summary_from_merged_rollups_equals_the_summary_from_raw_pairs(data):
    pairs, classes = data
    merged = _sum((PairedMoments.from_units(c, UNIT) for c in classes), PairedMoments.zero(UNIT))
    hist = _sum((ChangeHistogram.from_units([y - x for x, y in c], UNIT) for c in classes), ChangeHistogram.zero(UNIT))
    from_rollups = paired_summary(merged, hist)
    from_pairs = paired_summary_from_pairs([x / UNIT for x, _ in pairs], [y / UNIT for _, y in pairs], unit=UNIT)
    assert from_rollups == from_pairs


@settings(max_examples=150, deadline=None)
@given(pair_lists)
def test_figures_from_sums_agree_with_numpy_and_scipy_on_the_raw_values(pairs):
    """An independent path: SciPy's own ttest_rel and numpy's statistics on the raw floats."""
    summary = paired_summary_from_pairs([x / UNIT for x, _ in pairs], [y / UNIT for _, y in pairs], unit=UNIT)
    base = np.array([x for x, _ in pairs], dtype=float) / UNIT
    post = np.array([y for _, y in pairs], dtype=float) / UNIT
    change = post - base
    assert summary.n == len(pairs)
    if len(pairs) == 0:
        assert summary.mean_change is None
        return
    assert summary.mean_change == pytest.approx(change.mean(), abs=1e-12)
    assert summary.median_change == pytest.approx(float(np.median(change)), abs=1e-12)
    if len(pairs) < 2:
        assert summary.t is None and summary.sd_change is None
        return
    assert summary.baseline_sd == pytest.approx(base.std(ddof=1), rel=1e-9, abs=1e-12)
    assert summary.sd_change == pytest.approx(change.std(ddof=1), rel=1e-9, abs=1e-12)
    # Constancy is decided on the exact integers: float division can make equal changes
    # differ in the last bit, which SciPy would read as a tiny variance and a huge t.
    if len({y - x for x, y in pairs}) == 1:
        assert summary.t is None and summary.p_value is None and summary.ci_low is None
    else:
        ref = stats.ttest_rel(post, base)
        assert summary.t == pytest.approx(ref.statistic, rel=1e-9)
        assert summary.p_value == pytest.approx(ref.pvalue, rel=1e-8, abs=1e-15)
        ci = ref.confidence_interval()
        assert summary.ci_low == pytest.approx(ci.low, rel=1e-9, abs=1e-12)
        assert summary.ci_high == pytest.approx(ci.high, rel=1e-9, abs=1e-12)
    if len({x for x, _ in pairs}) > 1 and len({y for _, y in pairs}) > 1:
        assert summary.r_pre_post == pytest.approx(np.corrcoef(base, post)[0, 1], abs=1e-9)
    else:
        assert summary.r_pre_post is None


def test_different_units_combine_at_their_lcm():
    # 2.5 in unit 4 (halves would do, quarters are the grid) and 1/3 in unit 3.
    a = Moments.from_units([10], 4)  # 2.5
    b = Moments.from_units([1], 3)  # 1/3
    total = a + b
    assert total.unit == 12
    assert (total.n, total.s, total.ss) == (2, 30 + 4, 900 + 16)
    assert total.mean == pytest.approx((2.5 + 1 / 3) / 2)
    h = ChangeHistogram.from_units([2], 4) + ChangeHistogram.from_units([-1], 3)
    assert h.unit == 12 and dict(h.counts) == {6: 1, -4: 1}
    p = PairedMoments.from_units([(1, 3)], 2) + PairedMoments.from_units([(1, 1)], 3)
    assert p.unit == 6 and p.change.s == (9 - 3) + 0


def test_mean_and_variance_are_exact_divisions_of_integers():
    m = Moments.from_units([1, 2, 3, 4], 3)  # values 1/3 .. 4/3
    assert m.mean == float(Fraction(10, 12))
    assert m.var == float(Fraction(4 * 30 - 100, 4 * 3 * 9))
    assert Moments.zero(5).mean is None and Moments.from_units([7], 5).var is None


def test_inconsistent_sums_are_refused():
    with pytest.raises(ValueError):
        Moments(unit=1, n=2, s=10, ss=1)  # n*ss < s^2 is impossible
    with pytest.raises(ValueError):
        Moments(unit=1, n=0, s=1, ss=1)
    with pytest.raises(ValueError):
        ChangeHistogram(unit=1, counts={1: -1})
    with pytest.raises(ValueError):
        Moments(unit=2, n=1, s=1, ss=1).rescaled(3)


def test_histogram_median_and_values_come_from_the_bins():
    h = ChangeHistogram(10, {-3: 2, 0: 1, 5: 1})
    assert h.values() == [-0.3, -0.3, 0.0, 0.5]
    assert h.median == pytest.approx(-0.15)
    assert ChangeHistogram(10, {-3: 2, 4: 1}).median == pytest.approx(-0.3)
    assert ChangeHistogram.zero(10).median is None
    assert h.to_json() == {"-3": 2, "0": 1, "5": 1}


def test_to_units_refuses_values_off_the_grid():
    assert to_units(0.7, 10) == 7
    assert to_units(-1.6, 10) == -16
    assert to_units(Fraction(5, 4), 4) == 5
    with pytest.raises(ValueError):
        to_units(0.75, 10)
    with pytest.raises(ValueError):
        to_units(math.nan, 10)
