"""The exact check: both of its methods agree with exact rational elimination."""

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from outcomes.stats.determinacy import determined_columns
from tests.outcomes.stats.test_disclosure import rref_rows


def rational_determined(rows: list[dict[int, int]], n: int) -> set[int]:
    matrix = [[Fraction(row.get(j, 0)) for j in range(n)] for row in rows if row]
    found = set()
    for r in rref_rows(matrix):
        nonzero = [j for j, v in enumerate(r) if v != 0]
        if len(nonzero) == 1:
            found.add(nonzero[0])
    return found


@st.composite
def systems(draw: st.DrawFn) -> tuple[list[dict[int, int]], int]:
    """Random sparse equations with coefficients +-1 over up to 14 unknowns: relations of
    any shape, including odd cycles (not totally unimodular)."""
    n = draw(st.integers(1, 14))
    rows = []
    for _ in range(draw(st.integers(0, 14))):
        cols = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=5, unique=True))
        rows.append({c: draw(st.sampled_from([1, -1])) for c in cols})
    return rows, n


@settings(max_examples=400, deadline=None)
@given(systems())
def test_svd_and_modular_elimination_both_match_rational_elimination(system):
    rows, n = system
    expected = rational_determined(rows, n)
    assert determined_columns(rows) == expected  # dense SVD
    assert determined_columns(rows, dense_limit=0) == expected  # modular elimination


def test_an_odd_cycle_pins_every_unknown_an_even_one_none():
    triangle = [{0: 1, 1: 1}, {1: 1, 2: 1}, {0: 1, 2: 1}]
    square = [{0: 1, 1: 1}, {1: 1, 2: 1}, {2: 1, 3: 1}, {3: 1, 0: 1}]
    for limit in (400, 0):
        assert determined_columns(triangle, dense_limit=limit) == {0, 1, 2}
        assert determined_columns(square, dense_limit=limit) == set()


def test_a_bridge_between_two_free_cycles_is_pinned():
    # Two hidden 2 x 2 blocks of a table joined by one hidden cell: each row and column has
    # two or more hidden cells, yet the joining cell is determined.
    rows = [
        {0: 1, 1: 1},  # row 1: a11 a12
        {2: 1, 3: 1, 8: 1},  # row 2: a21 a22 + bridge
        {0: 1, 2: 1},  # col 1
        {1: 1, 3: 1},  # col 2
        {4: 1, 5: 1},  # row 3
        {6: 1, 7: 1},  # row 4
        {4: 1, 6: 1, 8: 1},  # col 3 + bridge
        {5: 1, 7: 1},  # col 4
    ]
    for limit in (400, 0):
        assert determined_columns(rows, dense_limit=limit) == {8}


def test_only_examines_the_named_unknowns_group():
    rows = [{0: 1}, {1: 1, 2: 1}]
    assert determined_columns(rows, only=0) == {0}
    assert determined_columns(rows, only=1) == set()
    assert determined_columns([]) == set()
