import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from outcomes.stats.independent import LOST_G_FLAG, differs_from_lost, fragile, hedges_g, welch
from outcomes.stats.paired import paired_summary_from_pairs
from outcomes.stats.sufficient import Moments, to_units
from tests.outcomes.stats.reference import (
    LAKENS_MOVIE_1,
    LAKENS_MOVIE_2,
    P_TOL,
    SLEEP_GROUP_1,
    SLEEP_GROUP_2,
    SLEEP_UNIT,
    TOL,
)


def moments(values, unit):
    return Moments.from_units([to_units(v, unit) for v in values], unit)


def test_sleep_welch_reproduces_r_t_test_default():
    # R: t.test(extra ~ group, data = sleep) -> t = -1.8608, df = 17.776, p = 0.07939,
    # 95 % CI -3.3654832 to 0.2054832 (group 1 - group 2 = post - baseline).
    w = welch(moments(SLEEP_GROUP_2, SLEEP_UNIT), moments(SLEEP_GROUP_1, SLEEP_UNIT))
    assert w is not None
    assert abs(w.t - -1.8608) <= TOL
    assert abs(w.df - 17.776) <= 1e-3  # R prints three decimals
    assert abs(w.df - 17.776473516) <= TOL
    assert abs(w.p_value - 0.0793941) <= P_TOL
    assert abs(w.ci_low - -3.3654832) <= TOL and abs(w.ci_high - 0.2054832) <= TOL
    assert abs(w.mean_diff - -1.58) <= TOL


def test_lakens_between_groups_g_matches_the_published_value():
    # Lakens (2013): treating the films as independent groups, d_s = 1.13 and g_s = 1.08;
    # computed to four places, g_s = 1.0783.
    g = hedges_g(moments(LAKENS_MOVIE_1, 1), moments(LAKENS_MOVIE_2, 1))
    assert round(g, 2) == 1.08
    assert abs(g - 1.0783) <= TOL
    assert abs(hedges_g(moments(LAKENS_MOVIE_2, 1), moments(LAKENS_MOVIE_1, 1)) + g) <= 1e-12


def test_lost_to_follow_up_flag_is_above_a_quarter_of_a_pooled_sd():
    assert LOST_G_FLAG == 0.25
    assert differs_from_lost(0.26) is True
    assert differs_from_lost(-0.3) is True
    assert differs_from_lost(0.25) is False
    assert differs_from_lost(None) is None


def test_welch_and_hedges_need_two_values_a_side_and_some_variance():
    assert welch(moments([1, 2], 1), moments([3], 1)) is None
    assert welch(moments([2, 2], 1), moments([3, 3], 1)) is None
    assert hedges_g(moments([2, 2], 1), moments([3, 3], 1)) is None
    one_sided = welch(moments([2, 2, 2], 1), moments([1, 2, 3], 1))
    assert one_sided is not None and one_sided.df == pytest.approx(2.0)


def test_sleep_paired_result_is_not_fragile_the_welch_interval_overlaps():
    paired = paired_summary_from_pairs(SLEEP_GROUP_2, SLEEP_GROUP_1, unit=SLEEP_UNIT)
    w = welch(moments(SLEEP_GROUP_2, SLEEP_UNIT), moments(SLEEP_GROUP_1, SLEEP_UNIT))
    assert fragile(paired, w) is False


def test_fragile_when_signs_disagree_or_intervals_do_not_overlap():
    paired = paired_summary_from_pairs(LAKENS_MOVIE_2, LAKENS_MOVIE_1, unit=1)  # +1.0 [0.52, 1.48]
    w = welch(moments(LAKENS_MOVIE_2, 1), moments(LAKENS_MOVIE_1, 1))
    assert fragile(paired, w) is False
    opposite = dataclasses.replace(w, mean_diff=-0.2, ci_low=-0.9, ci_high=0.6)
    assert fragile(paired, opposite) is True  # overlapping intervals but opposite sign
    disjoint = dataclasses.replace(w, mean_diff=2.5, ci_low=2.0, ci_high=3.0)
    assert fragile(paired, disjoint) is True
    assert fragile(paired, None) is None
    too_small = paired_summary_from_pairs([1.0], [2.0], unit=1)
    assert fragile(too_small, w) is None


# SciPy warns about its own moment calculation when one side is constant; the numbers agree.
@pytest.mark.filterwarnings("ignore:Precision loss occurred:RuntimeWarning")
@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.integers(20, 100), min_size=2, max_size=40),
    st.lists(st.integers(20, 100), min_size=2, max_size=40),
)
def test_welch_agrees_with_scipys_ttest_ind_on_the_raw_values(baseline, post):
    w = welch(Moments.from_units(baseline, 20), Moments.from_units(post, 20))
    b, p = np.array(baseline) / 20, np.array(post) / 20
    if np.ptp(b) == 0 and np.ptp(p) == 0:
        assert w is None
        return
    ref = stats.ttest_ind(p, b, equal_var=False)
    ci = ref.confidence_interval()
    assert w.t == pytest.approx(ref.statistic, rel=1e-9)
    assert w.df == pytest.approx(ref.df, rel=1e-9)
    assert w.p_value == pytest.approx(ref.pvalue, rel=1e-8, abs=1e-15)
    assert w.ci_low == pytest.approx(ci.low, rel=1e-9, abs=1e-12)
    assert w.ci_high == pytest.approx(ci.high, rel=1e-9, abs=1e-12)
