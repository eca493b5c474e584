"""Self-generated identification codes (SGIC): the alternative to participant cards.

A pupil answers seven questions about things that do not change, so the same answers come
out at baseline and post without anything to remember. The answers are never stored: each
element is hashed on its own (so matching can tolerate one differing element) and the whole
code is hashed for ``Participant.code_hash``.

Stable API used by the pupil entry form (keep it stable):

- ``element_questions()`` -> the seven ``Element`` definitions, in order;
- ``clean_answers(raw)`` -> normalised answers, or ``SgicError`` with per-element messages;
- ``hash_elements(answers, school_id=...)`` -> ``SgicHashes(code_hash, element_hashes)``.

``match_codes`` is the pure matcher (exact first, then one differing element when the
candidate is unique) used when outcomes link baseline to post.

Element choice (evaluation-science §5.1): things a 9-year-old knows without looking them
up and that never change. Own initials and the day of birth are left out on purpose:
with the year group they would let school staff reverse a code to a pupil.
"""

from __future__ import annotations

import string
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .codes import keyed_hash

DONT_KNOW = "DK"

_LETTERS = tuple((letter, letter) for letter in string.ascii_uppercase)
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


@dataclass(frozen=True)
class Element:
    """One SGIC question. ``choices`` are (stored value, words the pupil sees)."""

    name: str
    question: str
    hint: str
    choices: tuple[tuple[str, str], ...]


ELEMENTS: tuple[Element, ...] = (
    Element(
        name="carer_initial",
        question="What is the first letter of the first name of your mum, or the main grown-up who looks after you?",
        hint="For example, if she is called Sarah, choose S.",
        choices=_LETTERS,
    ),
    Element(
        name="birth_month",
        question="What month were you born in?",
        hint="Your birthday month.",
        choices=tuple((f"{number:02d}", month) for number, month in enumerate(_MONTHS, start=1)),
    ),
    Element(
        name="older_siblings",
        question="How many older brothers and sisters do you have?",
        hint="Count brothers and sisters who are older than you. If you have none, choose 0.",
        choices=(("0", "0"), ("1", "1"), ("2", "2"), ("3", "3"), ("4", "4 or more")),
    ),
    Element(
        name="first_street_initial",
        question="What is the first letter of the street you first lived on?",
        hint="The first home you remember. If you don't know, choose 'I don't know'.",
        choices=(*_LETTERS, (DONT_KNOW, "I don't know")),
    ),
    Element(
        name="eye_colour",
        question="What colour are your eyes?",
        hint="Choose the one that is closest.",
        choices=(
            ("brown", "Brown"),
            ("blue", "Blue"),
            ("green", "Green"),
            ("grey", "Grey"),
            ("hazel", "Hazel (brown and green)"),
            ("other", "Another colour"),
        ),
    ),
    Element(
        name="first_name_length",
        question="How many letters are in your first name?",
        hint="Count the letters. For example, Sam has 3.",
        choices=tuple((str(n), str(n)) for n in range(1, 12)) + (("12", "12 or more"),),
    ),
    Element(
        name="birth_town_initial",
        question="What is the first letter of the town or city where you were born?",
        hint="If you don't know, choose 'I don't know'.",
        choices=(*_LETTERS, (DONT_KNOW, "I don't know")),
    ),
)

ELEMENT_NAMES: tuple[str, ...] = tuple(element.name for element in ELEMENTS)
_BY_NAME = {element.name: element for element in ELEMENTS}


def element_questions() -> tuple[Element, ...]:
    """The seven questions, in the order a pupil answers them. Never reorder or reword
    in a way that changes meaning: earlier waves were hashed from these answers."""
    return ELEMENTS


class SgicError(ValueError):
    """Raised by ``clean_answers``; ``errors`` maps element name to a pupil-friendly message."""

    def __init__(self, errors: Mapping[str, str]):
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


def normalise_answer(name: str, raw: object) -> str:
    """The stored form of one answer ('s' -> 'S', '3' -> '03' for a month), or raise
    ``ValueError`` when it is not one of the element's choices."""
    element = _BY_NAME[name]
    value = str(raw if raw is not None else "").strip()
    if element.choices[0] == ("A", "A"):
        value = value.upper()
        if value.lower() in {"dk", "don't know", "dont know", "i don't know"}:
            value = DONT_KNOW
    if name == "birth_month" and value.isdigit():
        value = f"{int(value):02d}"
    if name in {"older_siblings", "first_name_length"} and value.isdigit():
        value = str(min(int(value), int(element.choices[-1][0])))
    if name == "eye_colour":
        value = value.lower()
    if value not in {choice for choice, _ in element.choices}:
        raise ValueError(value)
    return value


_MESSAGES = {
    "carer_initial": "Please choose one letter.",
    "birth_month": "Please choose the month you were born in.",
    "older_siblings": "Please choose a number.",
    "first_street_initial": "Please choose one letter, or 'I don't know'.",
    "eye_colour": "Please choose a colour.",
    "first_name_length": "Please choose a number.",
    "birth_town_initial": "Please choose one letter, or 'I don't know'.",
}


def clean_answers(raw: Mapping[str, object]) -> dict[str, str]:
    """All seven answers normalised, or ``SgicError`` naming every missing or odd one."""
    cleaned: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name in ELEMENT_NAMES:
        try:
            cleaned[name] = normalise_answer(name, raw.get(name))
        except ValueError:
            errors[name] = _MESSAGES[name]
    if errors:
        raise SgicError(errors)
    return cleaned


@dataclass(frozen=True)
class SgicHashes:
    code_hash: str
    element_hashes: list[str]


def hash_elements(answers: Mapping[str, object], *, school_id: int, key: bytes | str | None = None) -> SgicHashes:
    """Keyed hashes for ``Participant.code_hash`` and ``Participant.sgic_element_hashes``.

    Answers are cleaned first (raises ``SgicError``). Hashes are scoped to the school, so
    the same answers in two schools do not look alike in a database dump. ``key`` defaults
    to the platform pseudonym key; tests pass their own.
    """
    cleaned = clean_answers(answers)
    if key is None:
        from .pseudonyms import pseudonym_key

        key = pseudonym_key()
    values = [cleaned[name] for name in ELEMENT_NAMES]
    element_hashes = [
        keyed_hash(key, str(school_id), "sgic", name, value) for name, value in zip(ELEMENT_NAMES, values, strict=True)
    ]
    code_hash = keyed_hash(key, str(school_id), "sgic-code", *values)
    return SgicHashes(code_hash=code_hash, element_hashes=element_hashes)


# --- Matching --------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """One wave's record for matching: an id, its blocking key (school, year group), its
    element hashes, and optionally gender (a fuzzy match must agree when both are known)."""

    id: object
    block: tuple
    element_hashes: tuple[str, ...]
    gender: str = ""


@dataclass
class MatchResult:
    exact: list[tuple[object, object]] = field(default_factory=list)
    fuzzy: list[tuple[object, object]] = field(default_factory=list)
    ambiguous_post: list[object] = field(default_factory=list)

    @property
    def pairs(self) -> list[tuple[object, object]]:
        return self.exact + self.fuzzy


def _genders_agree(a: Candidate, b: Candidate) -> bool:
    unknown = {"", "pns"}
    return a.gender in unknown or b.gender in unknown or a.gender == b.gender


def _masked(hashes: tuple[str, ...], position: int) -> tuple:
    return (position, *hashes[:position], *hashes[position + 1 :])


def match_codes(baseline: Iterable[Candidate], post: Iterable[Candidate]) -> MatchResult:
    """Pair baseline and post records one-to-one within each block.

    1. Exact: a code that appears once on each side is matched. Codes shared by several
       pupils on either side stay unmatched (a twin-like collision is never guessed).
    2. Fuzzy: among what is left, a pair differing in exactly one element is matched only
       if each is the other's only candidate and their genders agree. Anything else stays
       unmatched and post records with several candidates are listed as ambiguous.
    """
    result = MatchResult()
    base_by_block: dict[tuple, list[Candidate]] = defaultdict(list)
    post_by_block: dict[tuple, list[Candidate]] = defaultdict(list)
    for record in baseline:
        base_by_block[record.block].append(record)
    for record in post:
        post_by_block[record.block].append(record)

    for block, posts in post_by_block.items():
        bases = base_by_block.get(block, [])
        _match_block(bases, posts, result)
    return result


def _match_block(bases: Sequence[Candidate], posts: Sequence[Candidate], result: MatchResult) -> None:
    base_exact: dict[tuple, list[Candidate]] = defaultdict(list)
    post_exact: dict[tuple, list[Candidate]] = defaultdict(list)
    for record in bases:
        base_exact[tuple(record.element_hashes)].append(record)
    for record in posts:
        post_exact[tuple(record.element_hashes)].append(record)

    used_base: set[int] = set()
    used_post: set[int] = set()
    for code, post_records in post_exact.items():
        base_records = base_exact.get(code, [])
        if len(post_records) == 1 and len(base_records) == 1:
            result.exact.append((base_records[0].id, post_records[0].id))
        elif base_records:
            # Shared code: several pupils wrote the same answers. Never guess between them.
            result.ambiguous_post.extend(record.id for record in post_records)
        else:
            continue
        used_base.update(id(record) for record in base_records)
        used_post.update(id(record) for record in post_records)

    left_base = [record for record in bases if id(record) not in used_base]
    left_post = [record for record in posts if id(record) not in used_post]
    # Index each code by "all elements but one" so one-off neighbours are found in O(n).
    base_index: dict[tuple, list[Candidate]] = defaultdict(list)
    post_index: dict[tuple, list[Candidate]] = defaultdict(list)
    for record in left_base:
        for position in range(len(record.element_hashes)):
            base_index[_masked(record.element_hashes, position)].append(record)
    for record in left_post:
        for position in range(len(record.element_hashes)):
            post_index[_masked(record.element_hashes, position)].append(record)

    def neighbours(record: Candidate, index: dict[tuple, list[Candidate]]) -> list[Candidate]:
        found: dict[int, Candidate] = {}
        for position in range(len(record.element_hashes)):
            for other in index.get(_masked(record.element_hashes, position), []):
                if tuple(other.element_hashes) != tuple(record.element_hashes):
                    found[id(other)] = other
        return [other for other in found.values() if _genders_agree(record, other)]

    for record in left_post:
        candidates = neighbours(record, base_index)
        if len(candidates) != 1:
            if len(candidates) > 1:
                result.ambiguous_post.append(record.id)
            continue
        partner = candidates[0]
        back = neighbours(partner, post_index)
        if len(back) == 1 and back[0] is record:
            result.fuzzy.append((partner.id, record.id))
