"""Reads for the pupil pages: the window, its pages, and what this pupil already saved
(to tick the boxes again when they go back or come back). Keyword-only, like the services.
They only read: the question markup is in ``markup``, the caches in ``caches`` and
``surveys.survey_pages``, the hand-written statements in ``sql``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from accounts.models import School
from surveys import survey_pages
from surveys.models import Response, SurveyWindow

from . import caches, sql

_DEMOGRAPHIC_FIELD = {"gender": "gender", "ethnicity": "ethnic_group"}


def window_for_pupil(*, window_id: int | None) -> SurveyWindow | None:
    """The window with its class, school and instrument version, in one statement."""
    if not window_id:
        return None
    return sql.window_with_class(window_id)


def window_for_pupil_page(*, window_id: int | None) -> SurveyWindow | None:
    """``window_for_pupil``, from the short-lived in-process cache (``caches.window``) when
    it is fresh: for pages that decide nothing on the window's state."""
    if not window_id:
        return None
    return caches.window(window_id, lambda: window_for_pupil(window_id=window_id))


def pages_for(*, window: SurveyWindow) -> list[survey_pages.SurveyPage]:
    """The window's pages (cached in process once the version is known to be frozen)."""
    return survey_pages.pages_for_version(
        window.instrument_version_id,
        marker=version_marker(window=window),
        layout=window.layout,
        include_demographics=window.include_demographics,
    )


def version_marker(*, window: SurveyWindow) -> tuple:
    """The cache key of the window's instrument version (``survey_pages.version_marker``)."""
    return survey_pages.version_marker(window.instrument_version_id, window.instrument_version.created_at)


@dataclass(slots=True, frozen=True)
class PupilResponse:
    """A pupil's response with what its question pages need (``response_for_key``):
    ``top_seq``, the highest ``client_seq`` of its page saves (None before the first save),
    and ``answer_values``, every saved answer as the form's option value."""

    response: Response
    top_seq: int | None
    answer_values: dict[str, str]


def response_for_key(*, key: str | None) -> PupilResponse | None:
    """The response for a submission key with what its question pages need, in one
    statement (``sql.response_with_answers``)."""
    if not key:
        return None
    try:
        found = sql.response_with_answers(uuid.UUID(str(key)))
    except ValueError:
        return None
    if found is None:
        return None
    response, top_seq, answers = found
    return PupilResponse(
        response=response,
        top_seq=top_seq,
        answer_values={code: str(value) if value is not None else missing for code, value, missing in answers},
    )


def saved_answers(*, response: PupilResponse | None, page: survey_pages.SurveyPage) -> dict[str, str]:
    """Answers already saved for the questions on a page, as the form's option values."""
    if response is None:
        return {}
    stored = response.answer_values
    saved: dict[str, str] = {}
    for question in page.questions:
        code = question["code"]
        if question["demographic"]:
            saved[code] = getattr(response.response, _DEMOGRAPHIC_FIELD[question["item"].response_scale])
        elif code in stored:
            saved[code] = stored[code]
    return saved


def next_client_seq(*, response: PupilResponse | None) -> int:
    """A sequence number for a page rendered without JavaScript: one more than any save so
    far, so a later save of the same page always wins over an earlier one."""
    if response is None:
        return 1
    return (response.top_seq or 0) + 1


@dataclass(frozen=True)
class CardUse:
    """What the start page may say about a card in a window, never its answers: ``sent``,
    answers were already sent with it; ``started_elsewhere``, a response made with it is
    unfinished and this device did not start it (another device, or this one before its
    session ended), so this device will start its own, kept apart."""

    sent: bool = False
    started_elsewhere: bool = False


def card_use(*, window_id: int, participant_id: int | None, own_key: str | None) -> CardUse:
    if participant_id is None:
        return CardUse()
    found = sql.card_responses(window_id=window_id, participant_id=participant_id)
    own = str(own_key or "").replace("-", "").lower()
    return CardUse(
        sent=any(submitted_on is not None for _, submitted_on in found),
        started_elsewhere=any(submitted_on is None and key.hex != own for key, submitted_on in found),
    )


def safeguarding_lead_has_account(school: School) -> bool:
    """Whether the school's safeguarding lead or a deputy has an account here, for the
    "talk to someone" button's name (``accounts.selectors.talk_requests_reach_safeguarding_lead``
    with ``has_account``): one plain statement instead of the ORM's query on every thank-you
    page (``sql.safeguarding_lead_has_account``)."""
    return sql.safeguarding_lead_has_account(school)
