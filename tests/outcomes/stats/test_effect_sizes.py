import math

import pytest

from outcomes.stats.effect_sizes import d_av, d_rm, d_z, d_z_interval, g_av, hedges_j, rank_biserial
from tests.outcomes.stats.reference import TOL


def test_hedges_j_is_lakens_approximation():
    # Lakens (2013) worked example: n1 = n2 = 10 -> J = 1 - 3/71.
    assert hedges_j(10, 10) == pytest.approx(1 - 3 / 71)
    assert hedges_j(10, 10) == pytest.approx(0.957746, abs=1e-6)
    with pytest.raises(ValueError):
        hedges_j(1, 1)


def test_lakens_effect_sizes_from_his_summary_numbers():
    # Film ratings: mean change 1.0, SD of change 2/3, SDs 0.8233 and 0.9487, r = 0.72554.
    sd1, sd2, r = 0.8232726023485646, 0.9486832980505138, 0.7255423196197439
    assert d_z(1.0, 2 / 3) == pytest.approx(1.5)
    assert abs(d_av(1.0, sd1, sd2) - 1.1287) <= TOL
    assert abs(g_av(d_av(1.0, sd1, sd2), 10) - 1.0810) <= TOL
    assert abs(d_rm(1.0, sd1, sd2, r) - 1.1113) <= TOL


def test_d_z_interval_reproduces_the_noncentral_t_reference_values():
    lo, hi = d_z_interval(4.74341649025257, 10)
    assert abs(lo - 0.5605) <= TOL and abs(hi - 2.4034) <= TOL
    lo, hi = d_z_interval(-4.062127683382037, 10)
    assert abs(lo - -2.1180) <= TOL and abs(hi - -0.4146) <= TOL


def test_d_z_interval_is_antisymmetric_in_t():
    lo, hi = d_z_interval(2.3, 25)
    nlo, nhi = d_z_interval(-2.3, 25)
    assert nlo == pytest.approx(-hi, abs=1e-9) and nhi == pytest.approx(-lo, abs=1e-9)


def test_d_z_interval_approaches_the_normal_interval_for_large_n():
    n, dz = 20_000, 0.2
    lo, hi = d_z_interval(dz * math.sqrt(n), n)
    # Large-sample SE of d_z is sqrt(1/n + d^2 / (2n)).
    se = math.sqrt(1 / n + dz**2 / (2 * n))
    assert lo == pytest.approx(dz - 1.959964 * se, abs=2e-4)
    assert hi == pytest.approx(dz + 1.959964 * se, abs=2e-4)


def test_d_z_interval_for_a_national_sample_and_a_large_effect_is_finite():
    lo, hi = d_z_interval(300.0, 100_000)
    assert lo < 300 / math.sqrt(100_000) < hi


def test_undefined_effect_sizes_are_none():
    assert d_z(1.0, 0.0) is None and d_z(1.0, None) is None
    assert d_av(1.0, 0.0, 0.0) is None and d_av(1.0, None, 1.0) is None
    assert g_av(None, 10) is None
    assert d_rm(1.0, 1.0, 1.0, None) is None
    assert d_rm(0.0, 1.0, 1.0, 1.0) is None  # perfectly correlated equal SDs: no change variance
    assert d_z_interval(1.0, 1) is None and d_z_interval(math.inf, 10) is None


def test_rank_biserial():
    assert rank_biserial(0.0, 45.0) == -1.0
    assert rank_biserial(30.0, 10.0) == 0.5
    assert rank_biserial(0.0, 0.0) is None
