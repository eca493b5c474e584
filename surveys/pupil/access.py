"""How a pupil gets in: join code, then card code (or self-generated code), with limits on
failed attempts only (docs/decisions.md#7), and what a pupil's session remembers.

Only well-formed codes that match nothing count as failures: a mistyped length or a wrong
check symbol tells an attacker nothing (they can compute check symbols themselves), so a
9-year-old's typos never lock a class out. The limits, and the arithmetic behind them, are
in docs/pupil-access.md:

- class codes: per session (one pupil's mistakes stop only that pupil) and a much higher
  budget per address (a hall of pupils behind a school's one address keeps joining; only
  an address guessing at scale is refused, right code or not), plus a region-wide alert;
- card codes: per session, per window and address, and per window from every address.

Counters are rows of ``AccessCounter`` in the database, never Redis (docs/decisions.md#1), counted
in one atomic statement; addresses and session keys are hashed before they are used.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.utils import timezone

from surveys import codes
from surveys.models import AccessCounter, Participant, SurveyWindow
from surveys.pseudonyms import card_code_hash, pseudonym_key

from . import sql

JOIN_FAILURES_PER_SESSION = 10
JOIN_FAILURES_PER_ADDRESS = 200
CARD_FAILURES_PER_SESSION = 5
CARD_FAILURES_PER_WINDOW_ADDRESS = 40
CARD_FAILURES_PER_WINDOW = 60
FAILURE_WINDOW_SECONDS = 10 * 60
GLOBAL_JOIN_ALERT = 501
TALK_ONCE_SECONDS = 12 * 60 * 60
RESUME_SESSION_KEY = "pupil_resume"
RESUME_KEYS_KEPT = 4

logger = logging.getLogger(__name__)


class AccessRefused(Exception):
    """A friendly message for the pupil; ``limited`` means too many failed attempts."""

    def __init__(self, message: str, *, limited: bool = False):
        super().__init__(message)
        self.message = message
        self.limited = limited


LIMITED_MESSAGE = (
    "There have been too many tries with codes that don't work. Please wait 10 minutes, "
    "or put your hand up and ask your teacher for help."
)
JOIN_WRONG = "We couldn't find that class code. Check the code on the board and try again, or ask your teacher."
CARD_UNKNOWN = "We couldn't find that card. Please check each letter and number on your card, or ask your teacher."


def client_address(request) -> str:
    """The pupil's address for counting failures only (never stored with answers). Behind
    N trusted proxies, the N-th address from the right of X-Forwarded-For."""
    proxies = getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0) or 0
    if proxies:
        forwarded = [part.strip() for part in request.headers.get("x-forwarded-for", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _counter_key(kind: str, *who: str) -> str:
    return codes.keyed_hash(pseudonym_key(), "pupil-fail", kind, *who)[:64]


def _count(key: str, seconds: int = FAILURE_WINDOW_SECONDS) -> int:
    """Add one to a counter and return its new value, in one statement; a counter whose
    period has ended starts again at 1 (fixed periods from the first count)."""
    now = timezone.now()
    return sql.counter_add(key, expires_at=now + dt.timedelta(seconds=seconds), now=now)


def _record_failure(key: str) -> int:
    return _count(key)


def _over_limit(limits: list[tuple[str, int]]) -> bool:
    """Whether any counter has reached its limit (one statement for all of them)."""
    found = sql.counter_values([key for key, _ in limits], now=timezone.now())
    return any(found.get(key, 0) >= limit for key, limit in limits)


def window_for_join_code(raw: str, *, address: str, session_key: str) -> SurveyWindow:
    """The open window for a class code, or ``AccessRefused``. Refused outright (right code
    or not) once this session, or this address, has used up its failures, so guessing
    cannot go on behind the limit; the address budget is far above what a hall of pupils
    mistyping produces, so one pupil's mistakes never lock out a school."""
    limits = [
        (_counter_key("join-session", session_key), JOIN_FAILURES_PER_SESSION),
        (_counter_key("join", address), JOIN_FAILURES_PER_ADDRESS),
    ]
    if _over_limit(limits):
        raise AccessRefused(LIMITED_MESSAGE, limited=True)
    code = codes.normalise_join_code(raw)
    if len(code) != codes.JOIN_CODE_LENGTH or any(symbol not in codes.JOIN_ALPHABET for symbol in code):
        raise AccessRefused("A class code has 8 letters and numbers. Check the code on the board and try again.")
    window = sql.window_with_class(join_code=code)
    if window is None or not window.is_open():
        _record_failure(limits[0][0])
        if _record_failure(limits[1][0]) == JOIN_FAILURES_PER_ADDRESS:
            logger.warning("An address used up its %s failed class codes in 10 minutes.", JOIN_FAILURES_PER_ADDRESS)
        _note_failure_everywhere()
        raise AccessRefused(JOIN_WRONG)
    return window


def _note_failure_everywhere() -> None:
    """A region-wide count of failed join codes: above 500 in 10 minutes someone is
    guessing from many addresses, so say so once (the log names no code or address)."""
    if _record_failure(_counter_key("join-all")) == GLOBAL_JOIN_ALERT:
        logger.warning("More than %s failed class codes in 10 minutes across all addresses.", GLOBAL_JOIN_ALERT - 1)


def participant_for_card(raw: str, *, window: SurveyWindow, session_key: str, address: str) -> tuple[Participant, str]:
    """The participant for a card code in this window's school and year, with the
    normalised code; ``AccessRefused`` with a friendly message otherwise. Failures count
    against this session, this window from this address, and this window from anywhere,
    so neither a new session nor a new address gives a guesser more tries."""
    window_key = _counter_key("card-window", str(window.pk))
    limits = [
        (_counter_key("card", session_key), CARD_FAILURES_PER_SESSION),
        (_counter_key("card-window-address", str(window.pk), address), CARD_FAILURES_PER_WINDOW_ADDRESS),
        (window_key, CARD_FAILURES_PER_WINDOW),
    ]
    if _over_limit(limits):
        raise AccessRefused(LIMITED_MESSAGE, limited=True)
    try:
        code = codes.validate_card_code(raw)
    except codes.CardCodeError as error:
        raise AccessRefused(str(error))
    school = window.group.school
    participant = sql.participant_for_code(
        school_id=school.pk,
        academic_year=window.group.academic_year,
        code_hash=card_code_hash(school_id=school.pk, code=code),
    )
    if participant is None:
        for key, _limit in limits:
            counted = _record_failure(key)
        if counted == CARD_FAILURES_PER_WINDOW:  # the last key is the window's: say so once
            logger.warning("Window %s: %s card codes that match nothing in 10 minutes.", window.pk, counted)
        raise AccessRefused(CARD_UNKNOWN)
    return participant, code


# --- What the session remembers beyond the current step ---------------------------------


def _resume_slot(window_id: int, participant_id: int) -> str:
    return f"{window_id}:{participant_id}"


def held_key(session, *, window_id: int, participant_id: int) -> str | None:
    """The submission key this session was given for this window and card, if any: only
    this session can carry on with that response (``submission.submission_key_for``)."""
    return (session.get(RESUME_SESSION_KEY) or {}).get(_resume_slot(window_id, participant_id))


def hold_key(session, *, window_id: int, participant_id: int, key: str) -> None:
    """Remember the key across a return to the class-code page (which starts the steps
    again). A few are kept: one device is one pupil, who rarely needs more than one."""
    held = dict(session.get(RESUME_SESSION_KEY) or {})
    held.pop(_resume_slot(window_id, participant_id), None)
    held[_resume_slot(window_id, participant_id)] = key
    session[RESUME_SESSION_KEY] = dict(list(held.items())[-RESUME_KEYS_KEPT:])


def release_key(session, *, window_id: int | None, participant_id: int | None) -> None:
    """Forget the key (answers sent, or the pupil stopped): nobody using this device later
    can open that response again."""
    held = dict(session.get(RESUME_SESSION_KEY) or {})
    if window_id and participant_id and held.pop(_resume_slot(window_id, participant_id), None) is not None:
        if held:
            session[RESUME_SESSION_KEY] = held
        else:
            session.pop(RESUME_SESSION_KEY, None)


def _talk_key(session_key: str, window_id: int) -> str:
    return codes.keyed_hash(pseudonym_key(), "pupil-talk", session_key, str(window_id))[:64]


def talk_first_press(*, session_key: str, window_id: int) -> bool:
    """True the first time this session asks to talk in this window (one atomic count, so
    40 presses at once make one request); False afterwards."""
    return _count(_talk_key(session_key, window_id), TALK_ONCE_SECONDS) == 1


def talk_press_undo(*, session_key: str, window_id: int) -> None:
    """The request was refused: let a later press try again."""
    AccessCounter.objects.filter(counter_key=_talk_key(session_key, window_id)).delete()


@dataclass(frozen=True)
class PupilState:
    """What the session holds: the window, the participant, the submission key (after
    assent) and the card code (kept only so 'talk to someone' can name it)."""

    window_id: int | None = None
    participant_id: int | None = None
    key: str | None = None
    card_code: str = ""

    @classmethod
    def load(cls, session) -> PupilState:
        data = session.get("pupil") or {}
        return cls(
            window_id=data.get("w"), participant_id=data.get("p"), key=data.get("k"), card_code=data.get("c", "")
        )

    def store(self, session) -> None:
        data = {"w": self.window_id, "p": self.participant_id, "k": self.key, "c": self.card_code}
        session["pupil"] = {name: value for name, value in data.items() if value}
