"""Disclosure control over a whole table: rule set ``upstream-sdc-2``.

A figure about fewer than 10 pupils can single a child out, and so can a figure that is safe
on its own but can be subtracted from a total. ``disclose`` decides, for every cell of a
table (a scope's count, mean, percentage or effect, all resting on the cell's n distinct
pupils), whether it may be shown, and records why each hidden cell is hidden:

1. **Primary suppression** (``FEWER_THAN_10``): any cell resting on fewer than 10 distinct
   pupils, zero included (UK LLC: threshold 10 data subjects, zero counts included).
2. **Schools** (``FEWER_THAN_3_SCHOOLS``): a regional or local-authority cell (one with
   ``n_schools``) needs at least 3 contributing schools, so no school's own figure can be
   read off an area figure and a VRU officer never sees a school league table.
3. **Breakdowns** (``BREAKDOWN_WITHHELD``): a breakdown (gender, ethnic group, year group)
   in one scope is shown only when every one of its categories passes rules 1 and 2;
   otherwise the whole set is withheld (``merge_breakdown`` first tries to merge the
   categories a caller allows to be merged, such as "other" and "prefer not to say").
   A category that reaches the threshold but is hidden later by rule 4 or 5 does not
   withhold the rest: every category is then large enough, and the hidden one cannot be
   worked out.
4. **Secondary suppression** (``SECONDARY``): a relation (total = sum of parts: rows,
   columns, margins, filter complements, region = sum of local authorities, local authority
   = sum of schools, school = sum of classes, scope = sum of breakdown categories) with
   exactly one hidden member would give that member away by subtraction, so the smallest
   shown member of that relation is hidden too (ties broken by the order of the cells in
   the table), repeated until no relation has exactly one hidden member.
5. **Exact check**: one hidden cell per relation is the classic leak, but combinations of
   relations can leak too (three overlapping cuts x + y, y + z, x + z give x away). The
   published cells and the relations form a linear system in the hidden cells; a hidden
   cell is worked out exactly when its unit vector lies in the row space of the relation
   matrix restricted to the hidden cells. ``determinacy`` decides this exactly (numpy's SVD
   for groups of hidden cells up to a few hundred, exact elimination modulo a prime for a
   whole region's classes); a determined cell makes more cells hidden (``SECONDARY``: the
   smallest shown cell sharing a relation with it whose hiding frees it) until none is
   determined. The same argument covers every additive figure (the sums behind means, not
   only counts), since they obey the same relations.

Everything is deterministic: cells are visited in table order, ties go to the earlier cell.
Every result carries ``RULES_VERSION``; change it whenever a rule changes. Version 2: the
area tables (region and local authorities, under any filters) are all cells of one disclosed
table (``outcomes.canonical``), so combining them gives nothing away (version 1 checked each
filtered table on its own, and the cross-table audit found that leaked).

**Not adopted from the UK practice the rule set draws on, on purpose** (docs/outcomes-statistics.md#disclosure-control-disclosure-rule-set-upstream-sdc-2). Counts are *not* rounded to the
nearest 5 (Ofqual, NHS Digital): the figures go to school staff and VRU officers who decide
on programmes from them, and a rounded n beside a mean, a match rate and a p-value computed
from the exact n would contradict them; suppression, secondary suppression, the 3-schools
rule and the exact check already stop any cell under 10 from being shown or recovered. The
"base of 30" precision rule becomes the "small sample" caution the selectors attach below 30
matched pupils (docs/decisions.md#small-numbers), not a suppression, and there are no categorical percentages
to top-code. Interval (bounds) disclosure is not claimed: knowing that a hidden cell is
"fewer than 10" and non-negative bounds it, which is the point of saying "fewer than 10".
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from outcomes.stats.determinacy import DENSE_LIMIT, determined_columns

RULES_VERSION = "upstream-sdc-2"
THRESHOLD = 10
MIN_SCHOOLS = 3


class Reason(StrEnum):
    """Why a cell is hidden; the values are the words exports and pages show."""

    FEWER_THAN_10 = "fewer than 10"
    FEWER_THAN_3_SCHOOLS = "fewer than 3 schools"
    SECONDARY = "secondary"
    BREAKDOWN_WITHHELD = "breakdown withheld"


@dataclass(frozen=True)
class Cell:
    """One published figure's scope. ``n`` is the number of distinct pupils it rests on;
    ``n_schools`` is given only where the 3-schools rule applies (region, local authority)."""

    key: Hashable
    n: int
    n_schools: int | None = None


@dataclass(frozen=True)
class Relation:
    """n(total) = sum of n(parts)."""

    total: Hashable
    parts: tuple[Hashable, ...]


@dataclass(frozen=True)
class Table:
    """The cells, the additive relations between them, and the breakdowns (each the full
    category set of one breakdown in one scope)."""

    cells: Sequence[Cell]
    relations: Sequence[Relation] = ()
    breakdowns: Sequence[tuple[Hashable, ...]] = ()


@dataclass(frozen=True)
class Disclosure:
    """Which cells are hidden and why. ``unprotected`` lists hidden cells the relations alone
    pin down whatever is published (for example a part that must be zero); empty for any
    table whose relations leave every cell free."""

    hidden: Mapping[Hashable, Reason]
    rules_version: str = RULES_VERSION
    unprotected: tuple[Hashable, ...] = field(default=())

    def shown(self, key: Hashable) -> bool:
        return key not in self.hidden

    def reason(self, key: Hashable) -> Reason | None:
        return self.hidden.get(key)


def _validate(table: Table) -> dict[Hashable, Cell]:
    cells: dict[Hashable, Cell] = {}
    for cell in table.cells:
        if cell.key in cells:
            raise ValueError(f"cell {cell.key!r} appears twice")
        if cell.n < 0 or (cell.n_schools is not None and cell.n_schools < 0):
            raise ValueError(f"cell {cell.key!r} has a negative count")
        cells[cell.key] = cell
    for rel in table.relations:
        members = (rel.total, *rel.parts)
        if not rel.parts:
            raise ValueError(f"relation for {rel.total!r} has no parts")
        if len(set(members)) != len(members):
            raise ValueError(f"relation for {rel.total!r} names a cell twice")
        missing = [m for m in members if m not in cells]
        if missing:
            raise ValueError(f"relation names unknown cells {missing!r}")
        if cells[rel.total].n != sum(cells[p].n for p in rel.parts):
            raise ValueError(f"relation for {rel.total!r} does not add up")
    for breakdown in table.breakdowns:
        missing = [k for k in breakdown if k not in cells]
        if missing:
            raise ValueError(f"breakdown names unknown cells {missing!r}")
    return cells


class _Suppressor:
    def __init__(self, table: Table, dense_limit: int) -> None:
        self.dense_limit = dense_limit
        self.cells = _validate(table)
        self.order = {key: i for i, key in enumerate(self.cells)}
        self.relations = [(rel.total, *rel.parts) for rel in table.relations]
        self.breakdowns = list(table.breakdowns)
        self.hidden: dict[Hashable, Reason] = {}
        self.by_cell: dict[Hashable, list[int]] = {}
        for i, members in enumerate(self.relations):
            for m in members:
                self.by_cell.setdefault(m, []).append(i)

    def _rank(self, key: Hashable) -> tuple[int, int]:
        return self.cells[key].n, self.order[key]

    def primary(self) -> None:
        for key, cell in self.cells.items():
            if cell.n < THRESHOLD:
                self.hidden[key] = Reason.FEWER_THAN_10
            elif cell.n_schools is not None and cell.n_schools < MIN_SCHOOLS:
                self.hidden[key] = Reason.FEWER_THAN_3_SCHOOLS

    def withhold_breakdowns(self) -> None:
        for breakdown in self.breakdowns:
            if any(k in self.hidden for k in breakdown):
                for k in breakdown:
                    self.hidden.setdefault(k, Reason.BREAKDOWN_WITHHELD)

    def secondary(self, hidden: dict[Hashable, Reason]) -> None:
        """Hide the smallest shown member of any relation with exactly one hidden member,
        until there is none."""
        changed = True
        while changed:
            changed = False
            for members in self.relations:
                n_hidden = sum(m in hidden for m in members)
                if n_hidden != 1:
                    continue
                shown = [m for m in members if m not in hidden]
                hidden[min(shown, key=self._rank)] = Reason.SECONDARY
                changed = True

    def _system(self, hidden: Mapping[Hashable, Reason]) -> tuple[list[Hashable], list[dict[int, int]]]:
        """The relations restricted to the hidden cells, as equations over the hidden cells
        numbered in table order: +1 for a hidden total, -1 for a hidden part."""
        keys = sorted(hidden, key=self.order.__getitem__)
        index = {k: i for i, k in enumerate(keys)}
        rows: list[dict[int, int]] = []
        for total, *parts in self.relations:
            row = {index[p]: -1 for p in parts if p in index}
            if total in index:
                row[index[total]] = 1
            if row:
                rows.append(row)
        return keys, rows

    def determined(self, hidden: Mapping[Hashable, Reason]) -> list[Hashable]:
        """Hidden cells whose n follows from the published cells and the relations, in
        table order (see ``determinacy``)."""
        keys, rows = self._system(hidden)
        return [keys[i] for i in sorted(determined_columns(rows, dense_limit=self.dense_limit))]

    def is_determined(self, x: Hashable, hidden: Mapping[Hashable, Reason]) -> bool:
        keys, rows = self._system(hidden)
        i = keys.index(x)
        return i in determined_columns(rows, only=i, dense_limit=self.dense_limit)

    def repair(self) -> tuple[Hashable, ...]:
        """Hide more until no hidden cell is determined; return the cells no amount of
        hiding protects (the relations alone fix them)."""
        unprotected: list[Hashable] = []
        while True:
            pending = [k for k in self.determined(self.hidden) if k not in unprotected]
            if not pending:
                return tuple(unprotected)
            target = pending[0]
            candidates = self._candidates(target)
            if not candidates:
                unprotected.append(target)
                continue
            choice = candidates[0]
            for candidate in candidates:
                trial = dict(self.hidden)
                trial[candidate] = Reason.SECONDARY
                self.secondary(trial)
                if not self.is_determined(target, trial):
                    choice = candidate
                    break
            self.hidden[choice] = Reason.SECONDARY
            self.secondary(self.hidden)

    def _candidates(self, target: Hashable) -> list[Hashable]:
        """Shown cells that could hide ``target``: first those sharing a relation with it,
        then those in any relation with a hidden member; each list smallest first."""
        near = {m for i in self.by_cell.get(target, []) for m in self.relations[i] if m not in self.hidden}
        if near:
            return sorted(near, key=self._rank)
        far = {
            m
            for members in self.relations
            if any(x in self.hidden for x in members)
            for m in members
            if m not in self.hidden
        }
        return sorted(far, key=self._rank)


def disclose(table: Table, *, dense_limit: int = DENSE_LIMIT) -> Disclosure:
    """Apply the rule set to a whole table (see the module docstring for the rules).
    ``dense_limit`` chooses between the two exact checks (``determinacy``); the answer does
    not depend on it, and tests run both."""
    s = _Suppressor(table, dense_limit)
    s.primary()
    s.withhold_breakdowns()
    s.secondary(s.hidden)
    unprotected = s.repair()
    ordered = {k: s.hidden[k] for k in sorted(s.hidden, key=s.order.__getitem__)}
    return Disclosure(hidden=MappingProxyType(ordered), unprotected=unprotected)


def merge_breakdown(
    counts: Mapping[str, int], *, mergeable: Sequence[str], merged_label: str
) -> dict[str, tuple[str, ...]] | None:
    """The categories to publish for one breakdown in one scope, as label -> the categories
    it stands for, so that every published category reaches ``THRESHOLD``; None when the
    breakdown must be withheld.

    Only ``mergeable`` categories (for example "other" and "prefer not to say") are merged,
    into one ``merged_label``: those under the threshold first, then the smallest others
    until the merged group reaches it. A category that may not be merged and is under the
    threshold withholds the breakdown: merging "girls" into anything would hide what the
    breakdown is for."""
    if all(n >= THRESHOLD for n in counts.values()):
        return {c: (c,) for c in counts}
    allowed = set(mergeable)
    if any(n < THRESHOLD for c, n in counts.items() if c not in allowed):
        return None
    position = {c: i for i, c in enumerate(counts)}
    pool = sorted((c for c in counts if c in allowed), key=lambda c: (counts[c], position[c]))
    merged = [c for c in pool if counts[c] < THRESHOLD]
    rest = [c for c in pool if counts[c] >= THRESHOLD]
    total = sum(counts[c] for c in merged)
    while total < THRESHOLD and rest:
        nxt = rest.pop(0)
        merged.append(nxt)
        total += counts[nxt]
    if total < THRESHOLD:
        return None
    if merged_label in counts and merged_label not in merged:
        raise ValueError(f"the merged label {merged_label!r} is already a category")
    members = tuple(sorted(merged, key=position.__getitem__))
    published: dict[str, tuple[str, ...]] = {}
    for c in counts:
        if c in merged:
            published.setdefault(merged_label, members)
        else:
            published[c] = (c,)
    return published
