"""Sufficient statistics as exact integers, so figures combine without the raw rows.

Every quantity is held in grid units (``scoring.grid_unit``): a score x with unit U is stored
as the integer ``x * U``. Sums, sums of squares and cross-products of integers are integers,
so adding two rollups is exact and independent of order: a region's figure is the plain sum
of its classes' rollups, bit for bit the same as a scan of every answer. Quantities in
different units combine by rescaling both to the least common multiple of the units.

Floating point appears only at the end, in the properties (mean, variance, r), each computed
from exact integer numerators with one correctly rounded division.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

import numpy as np
import numpy.typing as npt


def to_units(value: float | int | Fraction, unit: int) -> int:
    """``value * unit`` as an int, refusing values that are not on the grid.

    Decimal reference data such as 0.7 are not exact binary fractions, so the product is
    rounded and then checked to be within 1e-9 of an integer; anything further is an error,
    never a silent rounding."""
    if unit < 1:
        raise ValueError("the unit must be a positive integer")
    if isinstance(value, int | Fraction):
        scaled = Fraction(value) * unit
        if scaled.denominator != 1:
            raise ValueError(f"{value} x {unit} is not an integer")
        return int(scaled)
    product = value * unit
    nearest = round(product)
    if not math.isfinite(product) or abs(product - nearest) > 1e-9 * max(1.0, abs(product)):
        raise ValueError(f"{value} x {unit} is not an integer")
    return int(nearest)


def _check_unit(unit: int) -> None:
    if unit < 1:
        raise ValueError("the unit must be a positive integer")


def _factor(unit: int, target: int) -> int:
    factor, remainder = divmod(target, unit)
    if remainder or factor < 1:
        raise ValueError(f"cannot rescale unit {unit} to {target}: not a multiple")
    return factor


@dataclass(frozen=True)
class Moments:
    """n values x with ``s = sum(x * unit)`` and ``ss = sum((x * unit) ** 2)``."""

    unit: int
    n: int
    s: int
    ss: int

    def __post_init__(self) -> None:
        _check_unit(self.unit)
        if self.n < 0 or self.ss < 0:
            raise ValueError("a count and a sum of squares cannot be negative")
        if self.n == 0 and (self.s or self.ss):
            raise ValueError("sums over no values must be zero")
        if self.n * self.ss < self.s * self.s:
            raise ValueError("inconsistent moments: n*ss < s^2")

    @classmethod
    def zero(cls, unit: int) -> Moments:
        return cls(unit, 0, 0, 0)

    @classmethod
    def from_units(cls, values_in_units: Iterable[int], unit: int) -> Moments:
        n = s = ss = 0
        for v in values_in_units:
            n += 1
            s += v
            ss += v * v
        return cls(unit, n, s, ss)

    def rescaled(self, unit: int) -> Moments:
        f = _factor(self.unit, unit)
        return Moments(unit, self.n, self.s * f, self.ss * f * f)

    def __add__(self, other: Moments) -> Moments:
        unit = math.lcm(self.unit, other.unit)
        a, b = self.rescaled(unit), other.rescaled(unit)
        return Moments(unit, a.n + b.n, a.s + b.s, a.ss + b.ss)

    @property
    def centred_ss_numerator(self) -> int:
        """``n * ss - s^2`` = n x (sum of squared deviations) x unit^2, exactly."""
        return self.n * self.ss - self.s * self.s

    @property
    def mean(self) -> float | None:
        return self.s / (self.n * self.unit) if self.n else None

    @property
    def var(self) -> float | None:
        """Sample variance (divisor n - 1), None below two values."""
        if self.n < 2:
            return None
        return self.centred_ss_numerator / (self.n * (self.n - 1) * self.unit * self.unit)

    @property
    def sd(self) -> float | None:
        var = self.var
        return math.sqrt(var) if var is not None else None


@dataclass(frozen=True)
class PairedMoments:
    """Matched pairs in units: x = baseline, y = post (change = y - x)."""

    unit: int
    n: int
    sx: int
    sy: int
    sxx: int
    syy: int
    sxy: int

    def __post_init__(self) -> None:
        _check_unit(self.unit)
        # Each margin must be a valid Moments; this raises on inconsistent sums.
        _ = self.baseline, self.post, self.change

    @classmethod
    def zero(cls, unit: int) -> PairedMoments:
        return cls(unit, 0, 0, 0, 0, 0, 0)

    @classmethod
    def from_units(cls, pairs: Iterable[tuple[int, int]], unit: int) -> PairedMoments:
        n = sx = sy = sxx = syy = sxy = 0
        for x, y in pairs:
            n += 1
            sx += x
            sy += y
            sxx += x * x
            syy += y * y
            sxy += x * y
        return cls(unit, n, sx, sy, sxx, syy, sxy)

    def rescaled(self, unit: int) -> PairedMoments:
        f = _factor(self.unit, unit)
        f2 = f * f
        return PairedMoments(unit, self.n, self.sx * f, self.sy * f, self.sxx * f2, self.syy * f2, self.sxy * f2)

    def __add__(self, other: PairedMoments) -> PairedMoments:
        unit = math.lcm(self.unit, other.unit)
        a, b = self.rescaled(unit), other.rescaled(unit)
        return PairedMoments(
            unit,
            a.n + b.n,
            a.sx + b.sx,
            a.sy + b.sy,
            a.sxx + b.sxx,
            a.syy + b.syy,
            a.sxy + b.sxy,
        )

    @property
    def baseline(self) -> Moments:
        return Moments(self.unit, self.n, self.sx, self.sxx)

    @property
    def post(self) -> Moments:
        return Moments(self.unit, self.n, self.sy, self.syy)

    @property
    def change(self) -> Moments:
        """post - baseline, per pupil: sum(y - x) and sum((y - x)^2) from the cross-product."""
        return Moments(self.unit, self.n, self.sy - self.sx, self.syy - 2 * self.sxy + self.sxx)

    @property
    def r(self) -> float | None:
        """Pearson correlation of baseline and post, None when either has no variance."""
        vx = self.baseline.centred_ss_numerator
        vy = self.post.centred_ss_numerator
        if self.n < 2 or vx == 0 or vy == 0:
            return None
        cov = self.n * self.sxy - self.sx * self.sy
        return max(-1.0, min(1.0, cov / (math.sqrt(vx) * math.sqrt(vy))))


@dataclass(frozen=True)
class ChangeHistogram:
    """change x unit -> number of pupils. Scores live on a finite grid, so this integer
    histogram is the whole distribution of change: the Wilcoxon test and the median come
    from it exactly, without the raw rows. Zero-count bins are dropped on construction."""

    unit: int
    counts: Mapping[int, int]

    def __post_init__(self) -> None:
        _check_unit(self.unit)
        cleaned: dict[int, int] = {}
        for raw_key, raw_count in sorted(self.counts.items()):
            try:
                key, count = operator.index(raw_key), operator.index(raw_count)
            except TypeError:
                raise ValueError("histogram keys and counts must be integers") from None
            if count < 0:
                raise ValueError("a histogram count cannot be negative")
            if count:
                cleaned[key] = count
        object.__setattr__(self, "counts", MappingProxyType(cleaned))

    def __hash__(self) -> int:
        return hash((self.unit, tuple(self.counts.items())))

    @classmethod
    def zero(cls, unit: int) -> ChangeHistogram:
        return cls(unit, {})

    @classmethod
    def from_units(cls, values: Iterable[int], unit: int) -> ChangeHistogram:
        counts: dict[int, int] = {}
        for v in values:
            counts[v] = counts.get(v, 0) + 1
        return cls(unit, counts)

    @classmethod
    def from_json(cls, unit: int, data: Mapping[str, int]) -> ChangeHistogram:
        return cls(unit, {int(k): int(v) for k, v in data.items()})

    def to_json(self) -> dict[str, int]:
        """String keys, so the histogram survives a JSON column unchanged."""
        return {str(k): v for k, v in self.counts.items()}

    def rescaled(self, unit: int) -> ChangeHistogram:
        f = _factor(self.unit, unit)
        return ChangeHistogram(unit, {k * f: c for k, c in self.counts.items()})

    def __add__(self, other: ChangeHistogram) -> ChangeHistogram:
        unit = math.lcm(self.unit, other.unit)
        merged = dict(self.rescaled(unit).counts)
        for k, c in other.rescaled(unit).counts.items():
            merged[k] = merged.get(k, 0) + c
        return ChangeHistogram(unit, merged)

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    def units_array(self) -> npt.NDArray[np.int64]:
        """Every pupil's change in units, expanded (sorted), for rank-based tests."""
        keys = np.fromiter(self.counts.keys(), dtype=np.int64, count=len(self.counts))
        reps = np.fromiter(self.counts.values(), dtype=np.int64, count=len(self.counts))
        return np.repeat(keys, reps)

    def values(self) -> list[float]:
        """Every pupil's change in scale points, expanded (sorted)."""
        return [k / self.unit for k, c in self.counts.items() for _ in range(c)]

    def _nth(self, index: int) -> int:
        seen = 0
        for key, count in self.counts.items():
            seen += count
            if index < seen:
                return key
        raise IndexError(index)

    @property
    def median(self) -> float | None:
        n = self.n
        if n == 0:
            return None
        if n % 2:
            return self._nth(n // 2) / self.unit
        return (self._nth(n // 2 - 1) + self._nth(n // 2)) / (2 * self.unit)
