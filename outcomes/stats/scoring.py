"""Scale scores as exact integers.

A scale with k items is scored only when at least ``a_min = ceil(0.8 k)`` of them were
answered; the score is the mean of the answered items after reverse-keying. The divisor a
(the number answered) lies in ``[a_min, k]``, so with ``U = lcm(a_min, ..., k)`` every possible
score times U is an integer. Rollups store score x U (the "grid unit"), which makes every sum,
sum of squares and histogram bin an exact integer: order-independent and mergeable across
classes, schools and areas without rounding drift.

Missing answers ("Don't know", "Prefer not to say", skipped, not shown) arrive as ``None`` and
are never scored: they neither count towards a_min nor enter the mean.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

DEFAULT_FRACTION = Fraction(4, 5)


@dataclass(frozen=True)
class ItemKey:
    """How one item is scored: its response range and whether it is reverse-keyed."""

    reverse_keyed: bool
    lo: int
    hi: int

    def __post_init__(self) -> None:
        if self.lo >= self.hi:
            raise ValueError(f"an item's range needs lo < hi, got {self.lo}..{self.hi}")


def min_answered(n_items: int, *, fraction: Fraction = DEFAULT_FRACTION) -> int:
    """The fewest answered items that still give a score: ceil(fraction x n_items).

    Computed in integers from a Fraction, so the rule is exact by construction rather than
    by the luck of floating-point rounding: ``0.55 * 100`` is 55.00000000000001, whose
    ceiling is 56."""
    if n_items < 1:
        raise ValueError("a scale needs at least one item")
    if not 0 < fraction <= 1:
        raise ValueError("the answered fraction must lie in (0, 1]")
    needed = -(-(fraction.numerator * n_items) // fraction.denominator)
    return max(1, needed)


def grid_unit(n_items: int, *, fraction: Fraction = DEFAULT_FRACTION) -> int:
    """U = lcm(a_min, ..., n_items): score x U is an integer for every scorable answer set."""
    return math.lcm(*range(min_answered(n_items, fraction=fraction), n_items + 1))


def keyed_value(raw: int, key: ItemKey) -> int:
    """The answer after reverse-keying: ``lo + hi - raw`` for reverse-keyed items."""
    if not key.lo <= raw <= key.hi:
        raise ValueError(f"answer {raw} lies outside the item's range {key.lo}..{key.hi}")
    return key.lo + key.hi - raw if key.reverse_keyed else raw


def _keyed_sum(values: Sequence[int | None], keys: Sequence[ItemKey], fraction: Fraction) -> tuple[int, int] | None:
    if len(values) != len(keys):
        raise ValueError(f"{len(values)} answers for a scale of {len(keys)} items")
    answered = [keyed_value(v, k) for v, k in zip(values, keys, strict=True) if v is not None]
    if len(answered) < min_answered(len(keys), fraction=fraction):
        return None
    return sum(answered), len(answered)


def scale_score_units(
    values: Sequence[int | None],
    keys: Sequence[ItemKey],
    *,
    unit: int | None = None,
    fraction: Fraction = DEFAULT_FRACTION,
) -> int | None:
    """The scale score times ``unit`` as an exact int, or None when too few items were answered.

    ``unit`` defaults to ``grid_unit(len(keys))``; a caller combining scales of different
    lengths may pass a common multiple. A unit that does not make this score integral is a
    programming error and raises ValueError rather than rounding."""
    summed = _keyed_sum(values, keys, fraction)
    if summed is None:
        return None
    total, answered = summed
    unit = grid_unit(len(keys), fraction=fraction) if unit is None else unit
    if unit < 1:
        raise ValueError("the unit must be a positive integer")
    scaled, remainder = divmod(total * unit, answered)
    if remainder:
        raise ValueError(f"unit {unit} does not make a mean of {answered} answers integral")
    return scaled


def scale_score(
    values: Sequence[int | None], keys: Sequence[ItemKey], *, fraction: Fraction = DEFAULT_FRACTION
) -> Fraction | None:
    """The scale score as an exact fraction (mean of the answered, keyed items), or None."""
    summed = _keyed_sum(values, keys, fraction)
    if summed is None:
        return None
    total, answered = summed
    return Fraction(total, answered)
