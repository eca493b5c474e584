"""The pupil write path: page-by-page saves and the final submit (decisions 2, 8 and 10).

Every save carries an idempotency key ``(submission_key, page_no, client_seq)``:

- the same key with the same body replays the original success (a retry, a refresh, a
  double click or a second tab never makes a second response);
- the same key with a different body is refused (``KeyReused``, HTTP 422);
- a card that already has a counted response in this window gets a second response kept
  as ``Response.Status.CONFLICT``: never an overwrite.

The window row is re-read under a row lock inside the transaction (``FOR SHARE`` on
PostgreSQL, so pupils do not queue behind each other, while ``window_close``'s
``SELECT ... FOR UPDATE`` waits for saves in flight and every later save waits for the
close): no answer is accepted after a close commits and none is refused before it.

Nothing follows a completion outside this transaction (the outcomes engine counts a
class when its window closes), and Celery is never called from here. Only dates are
stored, never times, addresses or devices. The statements this module sends by hand are
in ``surveys.pupil.sql``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from surveys import response_scales, survey_pages
from surveys.models import Answer, Participant, Response, SurveyWindow
from surveys.pupil import sql
from surveys.services.windows import quota_room

MAX_CLIENT_SEQ = 2**31 - 1
MISSING_CODES = {"dk": Answer.Missing.DONT_KNOW, "pns": Answer.Missing.PREFER_NOT, "skip": Answer.Missing.SKIPPED}
_DEMOGRAPHIC_FIELD = {"gender": "gender", "ethnicity": "ethnic_group"}


class SubmissionError(Exception):
    """A refused save. ``status`` is the HTTP status; ``message`` is safe to show a pupil."""

    status = 400
    code = "invalid"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidAnswers(SubmissionError):
    status = 400
    code = "invalid"


class NotAllowed(SubmissionError):
    status = 403
    code = "not_allowed"


class WindowClosed(SubmissionError):
    status = 409
    code = "closed"


class KeyReused(SubmissionError):
    status = 422
    code = "key_reused"


@dataclass(frozen=True)
class SaveResult:
    response_id: int
    page_no: int
    page_count: int
    completed: bool
    conflict: bool
    replayed: bool


# --- Validation (pure) ---------------------------------------------------------------


def clean_page_answers(page: survey_pages.SurveyPage, answers: object) -> dict[str, int | str]:
    """Normalise one page's answers: every question on the page gets a value, a missing
    code (``dk``/``pns``/``skip``) or, for demographics, a choice or ``""``. Unknown codes,
    questions from another page and values outside the response scale are refused."""
    if not isinstance(answers, Mapping):
        raise InvalidAnswers("Answers must be an object of question codes and values.")
    questions = {q["code"]: q for q in page.questions}
    if len(answers) > len(questions):
        raise InvalidAnswers(f"Page {page.number} has {len(questions)} questions; {len(answers)} answers were sent.")
    cleaned: dict[str, int | str] = {}
    for code, raw in answers.items():
        if not isinstance(code, str) or code not in questions:
            shown = str(code)[:40]
            raise InvalidAnswers(f"Unknown question code '{shown}' for page {page.number}.")
        cleaned[code] = _clean_value(questions[code], raw)
    for code, question in questions.items():
        if code not in cleaned:
            cleaned[code] = "" if question["demographic"] else "skip"
    return cleaned


def _clean_value(question: dict, raw: object) -> int | str:
    item = question["item"]
    if raw is None or raw == "":
        return "" if item.is_demographic else "skip"
    if isinstance(raw, bool) or not isinstance(raw, str | int):
        raise InvalidAnswers(f"The answer to {item.code} must be one of its options.")
    if item.is_demographic:
        allowed = {value for value, _ in response_scales.DEMOGRAPHIC_CHOICES[item.response_scale]}
        value = raw if isinstance(raw, str) else ""
        if value == "skip":
            return ""
        if value not in allowed:
            raise InvalidAnswers(f"The answer to {item.code} must be one of its options.")
        return value
    if isinstance(raw, str) and raw in MISSING_CODES:
        return raw
    if isinstance(raw, str):
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 2):
            raise InvalidAnswers(f"The answer to {item.code} must be one of its options.")
        raw = int(raw)
    if raw not in response_scales.allowed_values(item.response_scale):
        raise InvalidAnswers(f"The answer to {item.code} must be one of its options.")
    return raw


def body_hash(*, page_no: int, answers: Mapping[str, object], final: bool) -> str:
    canonical = json.dumps({"p": page_no, "a": sorted(answers.items()), "f": bool(final)}, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _check_key(submission_key: object, page_no: object, client_seq: object) -> tuple[uuid.UUID, int, int]:
    """The save's idempotency key, checked: (submission key, page number, sequence number)."""
    try:
        key = submission_key if isinstance(submission_key, uuid.UUID) else uuid.UUID(str(submission_key))
    except (TypeError, ValueError, AttributeError):
        raise InvalidAnswers("The submission key is missing or not valid.")
    return key, _whole_number("page", page_no), _whole_number("seq", client_seq)


def _whole_number(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_CLIENT_SEQ:
        raise InvalidAnswers(f"'{name}' must be a whole number.")
    return value


# --- Database steps ------------------------------------------------------------------


def _lock_window_and_response(window_id: int, key: uuid.UUID) -> tuple[sql.LockedWindow, Response | None]:
    """The window re-read inside the transaction under a lock that conflicts with the
    close's ``FOR UPDATE`` but not with other pupils' saves, with its instrument version's
    creation time (the pages cache's marker, ``sql.LockedWindow``), and the response for
    this key (None before the first save) locked for the rest of the transaction: one
    statement (``sql.window_and_response_for_save``)."""
    found = sql.window_and_response_for_save(window_id, key)
    if found is None:
        raise NotAllowed("This survey is no longer available.")
    return found


def _owned(response: Response | None, *, window: SurveyWindow, participant_id: int | None) -> Response | None:
    """The response, if it is this pupil's in this window; a key someone else holds is refused."""
    if response is not None and (response.window_id != window.pk or response.participant_id != participant_id):
        raise KeyReused("This submission key belongs to someone else.")
    return response


def _response_for_key(*, window: SurveyWindow, participant_id: int | None, key: uuid.UUID) -> Response | None:
    """The response for this key, locked for the rest of the transaction."""
    return _owned(sql.response_for_save(key), window=window, participant_id=participant_id)


def _create_response(
    *, window: SurveyWindow, participant_id: int | None, key: uuid.UUID, today: datetime.date
) -> Response:
    """A new response, counted unless this card already has one (then kept as a conflict).
    Unique constraints decide (``sql.response_insert`` writes nothing when one holds); a
    response with this key made meanwhile is a race, resolved by re-reading."""
    for status in (Response.Status.IN_PROGRESS, Response.Status.CONFLICT):
        response = Response(
            window=window, participant_id=participant_id, submission_key=key, status=status, started_on=today
        )
        if sql.response_insert(response):
            return response
        existing = _response_for_key(window=window, participant_id=participant_id, key=key)
        if existing is not None:
            return existing
    raise KeyReused("This survey could not be started. Please try again.")  # pragma: no cover


def _stored_page_answers(response: Response, page: survey_pages.SurveyPage) -> dict[str, object]:
    codes = [q["code"] for q in page.questions]
    stored: dict[str, object] = {}
    for answer in Answer.objects.filter(response=response, item__code__in=codes).select_related("item"):
        stored[answer.item.code] = answer.value if answer.value is not None else answer.missing
    for q in page.questions:
        if q["demographic"]:
            stored[q["code"]] = getattr(response, _DEMOGRAPHIC_FIELD[q["item"].response_scale])
    return stored


def _apply_answers(response: Response, page: survey_pages.SurveyPage, cleaned: Mapping[str, int | str]) -> list[str]:
    """Upsert the page's answers and set its demographic answers on the response; returns
    the response's fields so set, for the caller to save (with the send's own fields, in
    one statement, on the last page)."""
    values: list[tuple[int, int, int | None, str]] = []
    demographic_fields: list[str] = []
    for q in page.questions:
        item, value = q["item"], cleaned[q["code"]]
        if q["demographic"]:
            field = _DEMOGRAPHIC_FIELD[item.response_scale]
            setattr(response, field, value)
            demographic_fields.append(field)
        elif isinstance(value, int):
            values.append((response.pk, item.pk, value, ""))
        else:
            values.append((response.pk, item.pk, None, MISSING_CODES[value]))
    sql.answers_upsert(values)
    return demographic_fields


def _replayed(*, response: Response, page_no: int, client_seq: int, digest: str) -> bool:
    """True when this exact save (response, page, sequence number and body) is already
    stored: a replay, answered with the original success. The same (response, page,
    sequence number) with another body is refused as ``KeyReused``."""
    previous = sql.page_save_body_hash(response_id=response.pk, page_no=page_no, client_seq=client_seq)
    if previous is None:
        return False
    if previous != digest:
        raise KeyReused("These answers were already saved with different choices.")
    return True


def _counted_or_over_quota(window: SurveyWindow) -> str:
    """The status of a response being sent: counted (completed) while the window has fewer
    counted responses than its quota (the class size plus 10 %), otherwise kept apart as
    over quota, so nobody with the class code can stuff a wave with made-up codes. Sends to
    one window take turns here (``quota_room`` takes the window's quota lock)."""
    return Response.Status.COMPLETED if quota_room(window) > 0 else Response.Status.OVER_QUOTA


def _result(response: Response, page_no: int, page_count: int, *, replayed: bool) -> SaveResult:
    return SaveResult(
        response_id=response.pk,
        page_no=page_no,
        page_count=page_count,
        completed=response.submitted_on is not None,
        conflict=response.status == Response.Status.CONFLICT,
        replayed=replayed,
    )


@transaction.atomic
def page_save(
    *,
    window_id: int,
    participant_id: int | None,
    submission_key: object,
    page_no: object,
    client_seq: object,
    answers: object,
    final: bool = False,
    today: datetime.date | None = None,
) -> SaveResult:
    """Save one page of answers (and, with ``final``, complete the response). Raises a
    ``SubmissionError`` subclass for every refusal; never lets an IntegrityError out."""
    key, page_no, client_seq = _check_key(submission_key, page_no, client_seq)
    today = today or timezone.localdate()
    locked, found = _lock_window_and_response(window_id, key)
    window = locked.window
    marker = survey_pages.version_marker(window.instrument_version_id, locked.version_created_at)
    pages = survey_pages.pages_for_version(
        window.instrument_version_id,
        marker=marker,
        layout=window.layout,
        include_demographics=window.include_demographics,
    )
    if not 1 <= page_no <= len(pages):
        raise InvalidAnswers(f"This survey has {len(pages)} pages; there is no page {page_no}.")
    page = pages[page_no - 1]
    if final and page_no != len(pages):
        raise InvalidAnswers("Answers can only be sent from the last page.")
    cleaned = clean_page_answers(page, answers)
    digest = body_hash(page_no=page_no, answers=cleaned, final=final)

    response = _owned(found, window=window, participant_id=participant_id)
    if response is not None:
        survey_pages.mark_frozen(marker)  # a committed response uses this version: it can no longer change
        survey_pages.keep(marker, layout=window.layout, include_demographics=window.include_demographics, pages=pages)
        # A replay is answered with the original success even once the window has closed or
        # the answers were sent. Otherwise the insert below finds replays by itself, which
        # saves a statement on every ordinary save.
        closed_or_sent = response.submitted_on is not None or not window.is_open()
        if closed_or_sent and _replayed(response=response, page_no=page_no, client_seq=client_seq, digest=digest):
            return _result(response, page_no, len(pages), replayed=True)
    if not window.is_open():
        raise WindowClosed("This survey has closed, so these answers could not be saved.")
    if response is None:
        response = _create_response(window=window, participant_id=participant_id, key=key, today=today)

    if response.submitted_on is not None:
        # Already sent: a second tab or a late retry with the same answers is a replay;
        # anything else would change sent answers and is refused.
        if _stored_page_answers(response, page) == cleaned:
            return _result(response, page_no, len(pages), replayed=True)
        raise KeyReused("Your answers have already been sent, so they can't be changed now.")

    newer = sql.page_save_insert(
        response_id=response.pk, page_no=page_no, client_seq=client_seq, body_hash=digest, saved_on=today
    )
    if newer is None:
        if _replayed(response=response, page_no=page_no, client_seq=client_seq, digest=digest):
            return _result(response, page_no, len(pages), replayed=True)
        raise KeyReused("These answers could not be saved. Please try again.")  # pragma: no cover - a vanished row
    changed = [] if newer else _apply_answers(response, page, cleaned)
    if final:
        response.submitted_on = today
        response.final_hash = digest
        if response.status == Response.Status.IN_PROGRESS:
            response.status = _counted_or_over_quota(window)
        changed += ["submitted_on", "final_hash", "status"]
    if changed:
        response.save(update_fields=changed)
    return _result(response, page_no, len(pages), replayed=False)


# --- Small writes around the survey --------------------------------------------------


def submission_key_for(*, window_id: int, participant_id: int, held_key: str | None) -> uuid.UUID:
    """The key a pupil starts (or carries on) with after assent.

    Only the device that started a response can carry on with it. ``held_key`` is the key
    this session was given earlier for the same window and card (``surveys.pupil.access``
    keeps it); it is used again while its response is unfinished or not saved yet. Every
    other case gets a new random key, even when this card has an unfinished response made
    on another device: that response's key is never handed to another session, and the
    new key's first save is kept apart as a conflict (``_create_response``). So a second
    device with the same card code, or the same self-generated code, never sees or changes
    the first one's answers; the card code alone never opens a response."""
    if held_key:
        try:
            key = uuid.UUID(str(held_key))
        except ValueError:
            return uuid.uuid4()
        held = (
            Response.objects.filter(submission_key=key)
            .values_list("window_id", "participant_id", "submitted_on")
            .first()
        )
        if held is None or (held[0] == window_id and held[1] == participant_id and held[2] is None):
            return key
    return uuid.uuid4()


@transaction.atomic
def sgic_participant_get_or_create(
    *, school_id: int, academic_year: int, code_hash: str, element_hashes: list[str]
) -> Participant:
    """The participant for a self-generated code, made on first use (cards are made by
    staff when printing; a self-generated code exists only once a pupil enters it)."""
    try:
        with transaction.atomic():
            participant, _ = Participant.objects.get_or_create(
                school_id=school_id,
                academic_year=academic_year,
                code_hash=code_hash,
                defaults={"sgic_element_hashes": element_hashes},
            )
    except IntegrityError:
        participant = Participant.objects.get(school_id=school_id, academic_year=academic_year, code_hash=code_hash)
    return participant
