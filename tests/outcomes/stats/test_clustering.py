from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from outcomes.stats.clustering import (
    design_effect,
    effective_n,
    icc_oneway,
    icc_oneway_from_sums,
    mean_cluster_size,
    oneway_anova,
    oneway_anova_from_sums,
)
from outcomes.stats.sufficient import Moments
from tests.outcomes.stats.reference import SHROUT_FLEISS


def test_icc_reproduces_shrout_and_fleiss_one_way_example():
    anova = oneway_anova([Moments.from_units(row, 1) for row in SHROUT_FLEISS])
    assert anova is not None
    assert round(anova.ms_between, 2) == 11.24
    assert round(anova.ms_within, 2) == 6.26
    assert round(anova.icc, 2) == 0.17
    assert anova.n0 == 4 and anova.k == 6 and anova.n_total == 24


def test_icc_with_unequal_clusters_matches_scipys_anova_f():
    rng = np.random.default_rng(8)
    sizes = [3, 7, 12, 5, 9, 4]
    effects = rng.normal(0, 1.0, len(sizes))
    groups = [np.round(rng.normal(e, 1.5, size) * 20).astype(int) for e, size in zip(effects, sizes, strict=True)]
    f = stats.f_oneway(*groups).statistic  # MSB / MSW, computed by SciPy on the raw values
    n = sum(sizes)
    n0 = (n - sum(s * s for s in sizes) / n) / (len(sizes) - 1)
    expected = max(0.0, (f - 1) / (f + n0 - 1))
    got = icc_oneway([Moments.from_units(g.tolist(), 20) for g in groups])
    assert got == pytest.approx(expected, rel=1e-10)
    assert got > 0


def test_icc_is_truncated_at_zero_when_clusters_vary_less_than_chance():
    # Identical cluster means, spread within: MSB = 0 < MSW.
    assert icc_oneway([Moments.from_units([1, 3], 1), Moments.from_units([3, 1], 1)]) == 0.0


def test_icc_is_none_without_two_clusters_or_within_cluster_spread():
    assert icc_oneway([Moments.from_units([1, 2, 3], 1)]) is None
    assert icc_oneway([Moments.from_units([1], 1), Moments.from_units([2], 1)]) is None
    assert icc_oneway([Moments.from_units([2, 2], 1), Moments.from_units([2, 2], 1)]) is None
    assert icc_oneway([Moments.zero(1), Moments.from_units([1, 2], 1)]) is None


def test_icc_is_the_same_in_any_unit():
    a = icc_oneway([Moments.from_units(row, 1) for row in SHROUT_FLEISS])
    b = icc_oneway([Moments.from_units([v * 60 for v in row], 60) for row in SHROUT_FLEISS])
    mixed = [Moments.from_units(row, 1) for row in SHROUT_FLEISS[:3]] + [
        Moments.from_units([v * 7 for v in row], 7) for row in SHROUT_FLEISS[3:]
    ]
    assert a == b == icc_oneway(mixed)


@pytest.mark.parametrize(("icc", "deff"), [(0.01, 1.27), (0.02, 1.54), (0.05, 2.35), (0.10, 3.70)])
def test_design_effect_for_classes_of_28(icc, deff):
    assert design_effect(28, icc) == pytest.approx(deff)
    assert effective_n(1000, design_effect(28, icc)) == pytest.approx(1000 / deff)


def test_design_effect_inputs_are_checked():
    assert design_effect(1, 0.3) == 1
    assert mean_cluster_size([28, 0, 30]) == 29 and mean_cluster_size([]) is None
    with pytest.raises(ValueError):
        design_effect(0.5, 0.1)
    with pytest.raises(ValueError):
        design_effect(28, -0.1)
    with pytest.raises(ValueError):
        effective_n(10, 0)


def test_icc_from_additive_area_sums_equals_the_icc_from_every_class():
    # Two local authorities' sums added together give the region's between-class ICC.
    rng = np.random.default_rng(3)
    classes = [Moments.from_units(rng.integers(20, 101, rng.integers(2, 30)).tolist(), 20) for _ in range(40)]
    areas = [classes[:15], classes[15:]]
    sums = [
        {
            "k": len(a),
            "n": sum(c.n for c in a),
            "s": sum(c.s for c in a),
            "ss": sum(c.ss for c in a),
            "sum_s2_over_n": sum(Fraction(c.s * c.s, c.n) for c in a),
            "sum_n2": sum(c.n * c.n for c in a),
        }
        for a in areas
    ]
    region = {key: sums[0][key] + sums[1][key] for key in sums[0]}
    assert icc_oneway_from_sums(unit=20, **region) == icc_oneway(classes)
    as_float = {**region, "sum_s2_over_n": float(region["sum_s2_over_n"])}
    assert icc_oneway_from_sums(unit=20, **as_float) == pytest.approx(icc_oneway(classes), rel=1e-9)
    assert oneway_anova_from_sums(unit=20, k=1, n=5, s=100, ss=2000, sum_s2_over_n=2000, sum_n2=25) is None
    with pytest.raises(ValueError):
        oneway_anova_from_sums(unit=20, k=3, n=2, s=0, ss=0, sum_s2_over_n=0, sum_n2=2)
