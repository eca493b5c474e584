"""k-anonymity for record-level exports: coarsen the quasi-identifiers until every
combination is shared by at least k records, and drop the records that still stand out.

A record-level export (``outcomes.analyst``) has one row per matched pupil. Its
quasi-identifiers, the columns somebody could already know about a pupil and use to pick
their row out, are the place (local authority, school, class), the year group, gender and
ethnic group. The **partition** (programme, academic year, wave pair) is shown on every row
as well, so it is part of the key but never coarsened: records of two partitions never
share a group.

Each quasi-identifier has a ladder of levels, from exact to "not shown":

- place: class, school and authority -> school and authority (class not shown) ->
  authority only -> nothing. The class counts as a quasi-identifier even though the rule
  is stated over the school: a class lies inside one school, so a school group of 10 can be
  a class group of 1, and a class id beside it would single that pupil out.
- year group: the year -> its key stage -> not shown;
- gender: as answered -> girl, boy, "other or not stated" -> not shown;
- ethnic group: as answered -> white, "Asian, Black, mixed or other", "not stated" ->
  not shown.

``STAGES`` orders the combinations of levels a record passes through, least information
lost first. The algorithm is greedy local recoding:

1. group the records by their generalised key (partition and the four quasi-identifiers at
   each record's current stage);
2. every record of a group smaller than k moves one stage up (records of a group of at
   least k stay where they are for good: a group only ever loses members by failing, so a
   passing group keeps passing);
3. a record already at the last stage is dropped;
4. repeat until no group is smaller than k.

It stops within ``len(STAGES)`` rounds (each record moves at most once per round and never
back), is deterministic (no randomness, no dependence on input order: the same records give
the same stages in any order), and its output always satisfies k-anonymity on the published
values, which ``smallest_group`` checks and ``anonymise`` asserts before returning.

Pure Python, no Django: ``tests/outcomes/stats/test_kanon.py`` checks these properties with
Hypothesis.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

K = 10
NOT_SHOWN = "not shown"

OTHER_OR_NOT_STATED = "other or not stated"
GENDER_BROAD: Mapping[str, str] = {"girl": "girl", "boy": "boy"}
MINORITY = "asian, black, mixed or other"
NOT_STATED = "not stated"
ETHNIC_BROAD: Mapping[str, str] = {
    "white": "white",
    "asian": MINORITY,
    "black": MINORITY,
    "mixed": MINORITY,
    "other": MINORITY,
}
#: English key stages by year group (Key Stage 2: years 3 to 6, 3: 7 to 9, 4: 10 and 11).
KEY_STAGES: Mapping[int, str] = {
    **dict.fromkeys(range(1, 3), "KS1"),
    **dict.fromkeys(range(3, 7), "KS2"),
    **dict.fromkeys(range(7, 10), "KS3"),
    **dict.fromkeys(range(10, 12), "KS4"),
    **dict.fromkeys(range(12, 14), "KS5"),
}


class Levels(NamedTuple):
    """How far each quasi-identifier is coarsened: place 0-3, the others 0-2."""

    place: int
    year_group: int
    gender: int
    ethnic_group: int


PLACE_MAX, OTHER_MAX = 3, 2

#: The stages a record climbs, least information lost first. Coarsening the year group
#: only merges records once the class is hidden (a class has one year group), so the
#: class goes first; the school goes only after gender and ethnic group are hidden.
STAGES: tuple[Levels, ...] = (
    Levels(0, 0, 0, 0),  # as recorded
    Levels(0, 0, 1, 0),  # gender: broad groups
    Levels(0, 0, 1, 1),  # ethnic group: broad groups
    Levels(1, 0, 1, 1),  # class not shown
    Levels(1, 1, 1, 1),  # year group -> key stage
    Levels(1, 1, 2, 1),  # gender not shown
    Levels(1, 1, 2, 2),  # ethnic group not shown
    Levels(2, 1, 2, 2),  # school not shown (authority only)
    Levels(2, 2, 2, 2),  # year group not shown
    Levels(3, 2, 2, 2),  # authority not shown
)


@dataclass(frozen=True)
class Record:
    """One pupil's quasi-identifiers as recorded. ``partition`` (programme, academic year,
    wave pair...) is kept as it is and separates groups. Empty gender or ethnic group means
    "not recorded"."""

    partition: Hashable
    local_authority: Hashable
    school: Hashable
    group: Hashable
    year_group: int
    gender: str
    ethnic_group: str


@dataclass(frozen=True)
class Published:
    """The values a record is released with: a quasi-identifier is either its recorded
    value, a broader group or ``NOT_SHOWN``."""

    partition: Hashable
    local_authority: Hashable
    school: Hashable
    group: Hashable
    year_group: int | str
    gender: str
    ethnic_group: str


def key_stage(year_group: int) -> str:
    return KEY_STAGES.get(year_group, NOT_SHOWN)


_Key = tuple[Hashable, Hashable, Hashable, Hashable, "int | str", str, str]


def _values(record: Record, levels: Levels) -> _Key:
    gender = record.gender or "not_recorded"
    ethnic = record.ethnic_group or "not_recorded"
    place = levels.place
    return (
        record.partition,
        record.local_authority if place < 3 else NOT_SHOWN,
        record.school if place < 2 else NOT_SHOWN,
        record.group if place < 1 else NOT_SHOWN,
        (record.year_group, key_stage(record.year_group), NOT_SHOWN)[levels.year_group],
        (gender, GENDER_BROAD.get(gender, OTHER_OR_NOT_STATED), NOT_SHOWN)[levels.gender],
        (ethnic, ETHNIC_BROAD.get(ethnic, NOT_STATED), NOT_SHOWN)[levels.ethnic_group],
    )


def _check_levels(levels: Levels) -> None:
    if not (0 <= levels.place <= PLACE_MAX and all(0 <= level <= OTHER_MAX for level in levels[1:])):
        raise ValueError(f"no such levels: {levels}")


def generalise(record: Record, levels: Levels) -> Published:
    """The record's values at ``levels``."""
    _check_levels(levels)
    return Published(*_values(record, levels))


def _validate_stages(stages: Sequence[Levels]) -> None:
    if not stages or stages[0] != Levels(0, 0, 0, 0):
        raise ValueError("the stages must start with every quasi-identifier as recorded")
    for before, after in zip(stages, stages[1:], strict=False):
        if after == before or any(a < b for a, b in zip(after, before, strict=True)):
            raise ValueError(f"each stage must coarsen the one before it: {before} -> {after}")


@dataclass(frozen=True)
class Report:
    """What the check did, for the readme that travels with the export."""

    k: int
    records: int
    released: int
    unchanged: int
    dropped: int
    #: Records released with this quasi-identifier coarsened, by how: e.g.
    #: ("gender", "broader group") -> 12, ("place", "class not shown") -> 40.
    coarsened: Mapping[tuple[str, str], int]
    smallest_group: int | None

    @property
    def coarsened_records(self) -> int:
        return self.released - self.unchanged


@dataclass(frozen=True)
class Result:
    #: Per input record, in input order: its published values, or None when dropped.
    published: tuple[Published | None, ...]
    #: Per input record: the stage it was released at (an index into the stages), or None.
    stages: tuple[int | None, ...]
    report: Report = field(repr=False)


def _changes(recorded: Published, values: Published) -> list[tuple[str, str]]:
    """How the published values differ from the recorded ones (a girl whose gender is at
    the "broad groups" level still reads "girl": not a change)."""
    changes: list[tuple[str, str]] = []
    if values.local_authority == NOT_SHOWN:
        changes.append(("place", "local authority not shown"))
    elif values.school == NOT_SHOWN:
        changes.append(("place", "school not shown"))
    elif values.group == NOT_SHOWN:
        changes.append(("place", "class not shown"))
    if values.year_group != recorded.year_group:
        changes.append(("year_group", "not shown" if values.year_group == NOT_SHOWN else "key stage"))
    for name in ("gender", "ethnic_group"):
        value = getattr(values, name)
        if value != getattr(recorded, name):
            changes.append((name, "not shown" if value == NOT_SHOWN else "broader group"))
    return changes


def smallest_group(published: Iterable[Published | None]) -> int | None:
    """The size of the smallest group of identical published values (None if empty)."""
    sizes: dict[Published, int] = defaultdict(int)
    for values in published:
        if values is not None:
            sizes[values] += 1
    return min(sizes.values()) if sizes else None


def anonymise(records: Sequence[Record], *, k: int = K, stages: Sequence[Levels] = STAGES) -> Result:
    """Coarsen ``records`` until every group of identical published values has at least
    ``k`` members; drop those that do not get there at the last stage."""
    if k < 1:
        raise ValueError("k must be at least 1")
    _validate_stages(stages)
    for levels in stages:
        _check_levels(levels)
    # Tuples while searching (hashing a tuple is much cheaper than a dataclass).
    stage: list[int | None] = [0] * len(records)
    keys: list[_Key | None] = [_values(r, stages[0]) for r in records]
    for _round in range(len(stages) + 1):
        groups: dict[_Key, list[int]] = defaultdict(list)
        for index, key in enumerate(keys):
            if key is not None:
                groups[key].append(index)
        failing = [members for members in groups.values() if len(members) < k]
        if not failing:
            break
        for members in failing:
            for index in members:
                current = stage[index]
                if current is None:  # pragma: no cover - dropped records are in no group
                    continue
                if current + 1 < len(stages):
                    stage[index] = current + 1
                    keys[index] = _values(records[index], stages[current + 1])
                else:
                    stage[index] = None
                    keys[index] = None
    shared: dict[_Key, Published] = {}
    published: list[Published | None] = [
        None if key is None else shared.setdefault(key, Published(*key)) for key in keys
    ]
    smallest = smallest_group(published)
    if smallest is not None and smallest < k:  # pragma: no cover - the loop above rules it out
        raise AssertionError(f"k-anonymity failed: a group of {smallest}")

    coarsened: dict[tuple[str, str], int] = defaultdict(int)
    unchanged = dropped = 0
    for record, values in zip(records, published, strict=True):
        if values is None:
            dropped += 1
            continue
        changes = _changes(Published(*_values(record, stages[0])), values)
        unchanged += not changes
        for change in changes:
            coarsened[change] += 1
    report = Report(
        k=k,
        records=len(records),
        released=len(records) - dropped,
        unchanged=unchanged,
        dropped=dropped,
        coarsened=dict(sorted(coarsened.items())),
        smallest_group=smallest,
    )
    return Result(published=tuple(published), stages=tuple(stage), report=report)
