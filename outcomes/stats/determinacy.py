"""Which unknowns of a linear system are pinned down: the exact check behind ``disclose``.

The hidden cells of a table are the unknowns; each relation (total = sum of parts) with a
hidden member is one equation whose right-hand side an attacker can compute from the
published cells. A hidden cell x is *determined* (worked out exactly) when its unit vector
lies in the row space of the coefficient matrix A restricted to the hidden cells, that is,
when every vector of A's null space is zero at x. (Every null vector is a way to change the
hidden cells that leaves every published figure and relation intact; if some null vector
moves x, nobody can tell x's true value from the published table.)

Unknowns split into connected groups (linked by sharing an equation); each group is
decided on its own:

- groups of up to ``DENSE_LIMIT`` unknowns: numpy's SVD gives an orthonormal basis of the
  null space; x is determined when that basis is zero at x (coefficients are 0 and +-1,
  so a genuine component is far above the 1e-9 tolerance);
- larger groups (a whole region's classes, linked through its schools and areas), where a
  dense SVD would take minutes and gigabytes: exact sparse elimination modulo the prime
  2^61 - 1, then two random null vectors (fixed seed, so the answer is deterministic). A
  determined cell is 0 in every null vector; an undetermined one is non-zero in a random
  null vector except with probability 2^-61, and that rare error only hides an extra cell.
  Arithmetic modulo p agrees with rational arithmetic unless p divides a non-zero minor; the
  relation matrices of a plain hierarchy and of a two-way table with margins are totally
  unimodular (every minor is 0 or +-1), so there they agree exactly, and the tests compare
  both methods with rational elimination on random systems of any shape.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

import numpy as np

DENSE_LIMIT = 400
PRIME = 2**61 - 1
_NULL_TOL = 1e-9
_SEED = 0x5DC1  # fixed: disclosure must be deterministic


def _components(rows: Sequence[Mapping[int, int]]) -> list[tuple[list[int], list[int]]]:
    """(columns, row indices) of each connected group, columns ascending."""
    parent: dict[int, int] = {}

    def find(c: int) -> int:
        parent.setdefault(c, c)
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for row in rows:
        cols = list(row)
        root = find(cols[0])
        for c in cols[1:]:
            other = find(c)
            if other != root:
                parent[other] = root
    groups: dict[int, tuple[list[int], list[int]]] = {}
    for c in sorted(parent):
        groups.setdefault(find(c), ([], []))[0].append(c)
    for i, row in enumerate(rows):
        groups[find(next(iter(row)))][1].append(i)
    return list(groups.values())


def _dense(rows: Sequence[Mapping[int, int]], cols: list[int], row_ids: list[int]) -> set[int]:
    column = {c: j for j, c in enumerate(cols)}
    matrix = np.zeros((len(row_ids), len(cols)))
    for i, r in enumerate(row_ids):
        for c, coefficient in rows[r].items():
            matrix[i, column[c]] = coefficient
    _, singular, vt = np.linalg.svd(matrix, full_matrices=True)
    tol = max(matrix.shape) * np.finfo(float).eps * float(singular.max())
    null = vt[int((singular > tol).sum()) :]
    if null.shape[0] == 0:
        return set(cols)
    moves = np.abs(null).max(axis=0)
    return {c for c, j in column.items() if moves[j] <= _NULL_TOL}


def _modular(rows: Sequence[Mapping[int, int]], cols: list[int], row_ids: list[int]) -> set[int]:
    # Row echelon form modulo PRIME: each pivot row is normalised to 1 at its leading
    # (smallest) column and has its other entries at larger columns.
    pivots: dict[int, dict[int, int]] = {}
    for r in row_ids:
        row = {c: v % PRIME for c, v in rows[r].items() if v % PRIME}
        while row:
            lead = min(row)
            existing = pivots.get(lead)
            if existing is None:
                inverse = pow(row[lead], PRIME - 2, PRIME)
                pivots[lead] = {c: v * inverse % PRIME for c, v in row.items()}
                break
            factor = row[lead]
            for c, v in existing.items():
                value = (row.get(c, 0) - factor * v) % PRIME
                if value:
                    row[c] = value
                else:
                    row.pop(c, None)
    rng = random.Random(_SEED)
    moved: set[int] = set()
    for _ in range(2):
        vector = {c: rng.randrange(1, PRIME) for c in cols if c not in pivots}
        for p in sorted(pivots, reverse=True):
            total = sum(v * vector[c] for c, v in pivots[p].items() if c != p)
            vector[p] = -total % PRIME
        moved |= {c for c, v in vector.items() if v}
    return {c for c in cols if c not in moved}


def determined_columns(
    rows: Sequence[Mapping[int, int]], *, only: int | None = None, dense_limit: int = DENSE_LIMIT
) -> set[int]:
    """The unknowns (column indices) whose value the equations fix. ``rows`` are the
    equations' non-zero coefficients; unknowns in no equation are free and never returned.
    With ``only``, just the group containing that unknown is examined."""
    rows = [row for row in rows if row]
    found: set[int] = set()
    for cols, row_ids in _components(rows):
        if only is not None and only not in cols:
            continue
        if len(cols) <= dense_limit:
            found |= _dense(rows, cols, row_ids)
        else:
            found |= _modular(rows, cols, row_ids)
    return found
