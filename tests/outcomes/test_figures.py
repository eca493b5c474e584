"""figures.holm gives statsmodels' Holm numbers (outcomes.stats.multiplicity.holm), fast."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from outcomes.figures import holm
from outcomes.stats.multiplicity import holm as statsmodels_holm

p_value = st.one_of(st.none(), st.floats(0, 1), st.sampled_from([0.0, 0.01, 0.04, 0.05, 1.0]))


@given(st.lists(p_value, max_size=12))
def test_holm_equals_the_stats_modules_statsmodels_holm(pvalues):
    ours, theirs = holm(pvalues), statsmodels_holm(pvalues)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert (a is None) == (b is None)
        if a is not None:
            assert abs(a - b) < 1e-12


def test_holm_worked_example():
    assert holm([0.01, 0.04, 0.03, 0.005]) == [0.03, 0.06, 0.06, 0.02]
