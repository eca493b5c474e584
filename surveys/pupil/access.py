"""How a pupil gets in: join code, then card code (or self-generated code), with limits on
failed attempts only (decision 7).

Only well-formed codes that match nothing count as failures: a mistyped length or a wrong
check symbol tells an attacker nothing (they can compute check symbols themselves), so a
9-year-old's typos never lock a class out. Counters live in the default cache, which is
the database cache, never Redis (decision 1); addresses and session keys are hashed
before they are used as cache keys.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from surveys import codes
from surveys.models import Participant, SurveyWindow
from surveys.pseudonyms import card_code_hash, pseudonym_key

JOIN_FAILURES_PER_ADDRESS = 20
CARD_FAILURES_PER_SESSION = 5
FAILURE_WINDOW_SECONDS = 10 * 60
GLOBAL_JOIN_ALERT = 501

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
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def _counter_key(kind: str, who: str) -> str:
    return "pupil-fail:" + codes.keyed_hash(pseudonym_key(), kind, who)[:40]


def _failures(key: str) -> int:
    return int(cache.get(key, 0) or 0)


def _record_failure(key: str) -> None:
    if not cache.add(key, 1, FAILURE_WINDOW_SECONDS):
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, FAILURE_WINDOW_SECONDS)


def window_for_join_code(raw: str, *, address: str) -> SurveyWindow:
    """The open window for a class code, or ``AccessRefused``. Refused outright once the
    address has too many failures, so guessing cannot continue behind the limit."""
    key = _counter_key("join", address)
    if _failures(key) >= JOIN_FAILURES_PER_ADDRESS:
        raise AccessRefused(LIMITED_MESSAGE, limited=True)
    code = codes.normalise_join_code(raw)
    if len(code) != codes.JOIN_CODE_LENGTH or any(symbol not in codes.JOIN_ALPHABET for symbol in code):
        raise AccessRefused("A class code has 8 letters and numbers. Check the code on the board and try again.")
    window = SurveyWindow.objects.select_related("group__school").filter(join_code=code).first()
    if window is None or not window.is_open():
        _record_failure(key)
        _note_failure_everywhere()
        raise AccessRefused(JOIN_WRONG)
    return window


def _note_failure_everywhere() -> None:
    """A region-wide count of failed join codes: above 500 in 10 minutes someone is
    guessing from many addresses, so say so once (the log names no code or address)."""
    key = "pupil-fail:join:all"
    _record_failure(key)
    if _failures(key) == GLOBAL_JOIN_ALERT:
        logger.warning("More than %s failed class codes in 10 minutes across all addresses.", GLOBAL_JOIN_ALERT - 1)


def participant_for_card(raw: str, *, window: SurveyWindow, session_key: str) -> tuple[Participant, str]:
    """The participant for a card code in this window's school and year, with the
    normalised code; ``AccessRefused`` with a friendly message otherwise."""
    key = _counter_key("card", session_key)
    if _failures(key) >= CARD_FAILURES_PER_SESSION:
        raise AccessRefused(LIMITED_MESSAGE, limited=True)
    try:
        code = codes.validate_card_code(raw)
    except codes.CardCodeError as error:
        raise AccessRefused(str(error))
    school = window.group.school
    participant = Participant.objects.filter(
        school=school,
        academic_year=window.group.academic_year,
        code_hash=card_code_hash(school_id=school.pk, code=code),
    ).first()
    if participant is None:
        _record_failure(key)
        raise AccessRefused(CARD_UNKNOWN)
    return participant, code


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
