"""Import paper survey answers from a CSV file, all or nothing.

Columns: ``school_urn, group, year_group, wave, participant_code, gender, ethnicity``, then
one column per question code holding the value, blank (skipped), ``DK`` or ``PNS``. Rows are
numbered as a spreadsheet shows them (the header is row 1). Every problem in the file is
reported with its row and column; if there is any, nothing is written.

Re-importing is harmless: a row's submission key is a UUIDv5 of the window and the card
code's hash (or, for a row without a card code, of the window and the row's content), so
the same row never makes a second response.
"""

from __future__ import annotations

import csv
import hashlib
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from accounts.models import School
from lessons.models import TeachingGroup

from .. import codes, response_scales
from ..models import Answer, Item, Participant, Response, SurveyWindow
from ..pseudonyms import card_code_hash
from .outbox import outbox_message_create

FIXED_COLUMNS = ("school_urn", "group", "year_group", "wave", "participant_code", "gender", "ethnicity")
MISSING_CODES = {"": Answer.Missing.SKIPPED, "DK": Answer.Missing.DONT_KNOW, "PNS": Answer.Missing.PREFER_NOT}
PAPER_NAMESPACE = uuid.UUID("6f1d5a0e-3c1b-5b8e-9f0e-7a2d4c6b8e10")


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.reason}"


class ImportRefused(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass
class ImportResult:
    created: int = 0
    unchanged: int = 0
    conflicts: int = 0
    windows: set[int] = field(default_factory=set)

    @property
    def summary(self) -> str:
        text = f"Imported {self.created} new responses; {self.unchanged} were already imported."
        if self.conflicts:
            text += f" {self.conflicts} pupils had already answered online; their paper answers are kept as conflicts."
        return text


@dataclass
class _Row:
    number: int
    window: SurveyWindow
    participant: Participant | None
    code_hash: str
    gender: str
    ethnic_group: str
    answers: dict[str, tuple[int | None, str]]
    key: uuid.UUID


def _choice(value: str, choices: Iterable[tuple[str, str]]) -> str | None:
    """Accept a stored value or its label, any case ('Girl', 'girl', 'PNS')."""
    wanted = value.strip().lower()
    if not wanted:
        return ""
    for stored, label in choices:
        if wanted in {stored.lower(), label.lower()}:
            return stored
    return None


class _Context:
    """Caches look-ups so a 900-row file makes a handful of queries, not thousands."""

    def __init__(self) -> None:
        self.schools: dict[str, School | None] = {}
        self.windows: dict[tuple, SurveyWindow | str] = {}
        self.items: dict[int, dict[str, Item]] = {}

    def school(self, urn: str) -> School | None:
        if urn not in self.schools:
            self.schools[urn] = School.objects.filter(urn=urn).first()
        return self.schools[urn]

    def window(self, school: School, group_name: str, wave: str) -> SurveyWindow | str:
        key = (school.pk, group_name.lower(), wave)
        if key not in self.windows:
            groups = TeachingGroup.objects.filter(school=school, name__iexact=group_name)
            windows = list(
                SurveyWindow.objects.filter(group__in=groups, wave=wave).select_related("group", "instrument_version")
            )
            if not groups.exists():
                self.windows[key] = f"There is no class called '{group_name}' at this school."
            elif not windows:
                self.windows[key] = f"Class '{group_name}' has no {wave} survey window. Open one first."
            elif len(windows) > 1:
                self.windows[key] = f"More than one class called '{group_name}' has a {wave} window; rename one."
            else:
                self.windows[key] = windows[0]
        return self.windows[key]

    def version_items(self, window: SurveyWindow) -> dict[str, Item]:
        version_id = window.instrument_version_id
        if version_id not in self.items:
            self.items[version_id] = {item.code: item for item in Item.objects.filter(version_id=version_id)}
        return self.items[version_id]


UNREADABLE = (
    "This row could not be read: a value is far too long, or the file has a stray character in it. "
    "Check the row, then save the file again as CSV UTF-8."
)


def _parse(text: str, context: _Context) -> tuple[list[_Row], list[Problem]]:
    """Rows and problems. A row the csv module cannot read (a value over its 131,072
    character limit, a NUL byte) ends the reading with a problem on that row, never a 500."""
    reader = csv.reader(io.StringIO(text))
    problems: list[Problem] = []
    rows: list[_Row] = []
    try:
        header = [column.strip() for column in next(reader, [])]
        missing = [column for column in FIXED_COLUMNS if column not in header]
        if missing:
            return [], [Problem(1, column, "This column is missing from the header.") for column in missing]
        if len(set(header)) != len(header):
            return [], [Problem(1, "", "A column name appears twice in the header.")]
        item_columns = [column for column in header if column not in FIXED_COLUMNS]
        seen_keys: dict[uuid.UUID, int] = {}
        for number, values in enumerate(reader, start=2):
            if not any(value.strip() for value in values):
                continue
            if len(values) != len(header):
                problems.append(Problem(number, "", f"Expected {len(header)} values but found {len(values)}."))
                continue
            record = {column: value.strip() for column, value in zip(header, values, strict=True)}
            before = len(problems)
            row = _parse_row(number, record, item_columns, context, problems)
            if row is None or len(problems) > before:
                continue
            if row.key in seen_keys:
                problems.append(
                    Problem(number, "participant_code", f"The same pupil already appears in row {seen_keys[row.key]}.")
                )
                continue
            seen_keys[row.key] = number
            rows.append(row)
    except csv.Error:
        problems.append(Problem(max(reader.line_num, 1), "", UNREADABLE))
    return rows, problems


def _parse_row(
    number: int, record: dict[str, str], item_columns: list[str], context: _Context, problems: list[Problem]
) -> _Row | None:
    def problem(column: str, reason: str) -> None:
        problems.append(Problem(number, column, reason))

    school = context.school(record["school_urn"])
    if school is None:
        problem("school_urn", f"No school has the URN '{record['school_urn']}'.")
        return None
    wave = _choice(record["wave"].replace("-", "_"), SurveyWindow.Wave.choices)
    if not wave:
        problem("wave", "Use baseline, post or follow_up.")
        return None
    window = context.window(school, record["group"], wave)
    if isinstance(window, str):
        problem("group", window)
        return None
    if record["year_group"] != str(window.group.year_group):
        problem("year_group", f"Class '{window.group.name}' is Year {window.group.year_group}.")

    participant = None
    code_hash = ""
    if record["participant_code"]:
        try:
            code = codes.validate_card_code(record["participant_code"])
        except codes.CardCodeError:
            problem("participant_code", "This is not a valid card code (check symbol does not match).")
        else:
            code_hash = card_code_hash(school_id=school.pk, code=code)
            participant = Participant.objects.filter(
                school=school, academic_year=window.group.academic_year, code_hash=code_hash
            ).first()
            if participant is None:
                problem("participant_code", "This card code was not printed for this school this academic year.")

    gender = _choice(record["gender"], Response.Gender.choices)
    if gender is None:
        problem("gender", "Use girl, boy, other, pns or leave it blank.")
    ethnic_group = _choice(record["ethnicity"], Response.EthnicGroup.choices)
    if ethnic_group is None:
        problem("ethnicity", "Use asian, black, mixed, white, other, pns or leave it blank.")

    items = context.version_items(window)
    answers: dict[str, tuple[int | None, str]] = {}
    for column in item_columns:
        item = items.get(column)
        if item is None or item.is_demographic:
            problem(column, f"'{column}' is not a question in {window.instrument_version}.")
            continue
        raw = record[column].upper()
        if raw in MISSING_CODES:
            answers[column] = (None, MISSING_CODES[raw])
            continue
        try:
            value = int(raw)
        except ValueError:
            value = None
        if value is None or value not in response_scales.allowed_values(item.response_scale):
            low, high = response_scales.value_range(item.response_scale)
            problem(column, f"'{record[column]}' is not an answer: use {low} to {high}, DK, PNS or leave it blank.")
            continue
        answers[column] = (value, "")

    if code_hash:
        key = uuid.uuid5(PAPER_NAMESPACE, f"{window.uuid}:{code_hash}")
    else:
        content = "\x1f".join(f"{column}={record[column]}" for column in sorted(record))
        key = uuid.uuid5(PAPER_NAMESPACE, f"{window.uuid}:anon:{content}")
    return _Row(number, window, participant, code_hash, gender or "", ethnic_group or "", answers, key)


@transaction.atomic
def responses_import(*, text: str) -> ImportResult:
    """Validate the whole file, then write every row or none. Raises ``ImportRefused``."""
    context = _Context()
    rows, problems = _parse(text, context)
    if problems:
        raise ImportRefused(problems)
    if not rows:
        raise ImportRefused([Problem(2, "", "The file has no answer rows.")])
    result = ImportResult()
    existing = set(
        Response.objects.filter(submission_key__in=[row.key for row in rows]).values_list("submission_key", flat=True)
    )
    today = timezone.localdate()
    touched: set[int] = set()
    for row in rows:
        result.windows.add(row.window.pk)
        if row.key in existing:
            result.unchanged += 1
            continue
        status = Response.Status.COMPLETED
        if (
            row.participant
            and Response.objects.filter(window=row.window, participant=row.participant)
            .exclude(status=Response.Status.CONFLICT)
            .exists()
        ):
            status = Response.Status.CONFLICT
            result.conflicts += 1
        body = "\x1f".join(f"{code}={value}:{missing}" for code, (value, missing) in sorted(row.answers.items()))
        response = Response.objects.create(
            window=row.window,
            participant=row.participant,
            submission_key=row.key,
            status=status,
            source=Response.Source.PAPER,
            gender=row.gender,
            ethnic_group=row.ethnic_group,
            final_hash=hashlib.sha256(body.encode()).hexdigest(),
            started_on=today,
            submitted_on=today,
        )
        items = context.version_items(row.window)
        Answer.objects.bulk_create(
            Answer(response=response, item=items[code], value=value, missing=missing)
            for code, (value, missing) in row.answers.items()
        )
        if row.participant and row.participant.year_group is None:
            Participant.objects.filter(pk=row.participant.pk).update(year_group=row.window.group.year_group)
        result.created += status == Response.Status.COMPLETED
        touched.add(row.window.pk)
    if touched:
        # Outcomes recount these windows' classes (consumer: outcomes.receivers).
        outbox_message_create(kind="responses_imported", payload={"window_ids": sorted(touched)})
    return result
