"""'I'd like to talk to someone': a pupil's request that the school's safeguarding lead
follows up (the card code only, never answers), and how the leads hear of it."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from lessons.models import TeachingGroup
from surveys.models import TalkRequest
from surveys.pupil import sql
from surveys.services.outbox import outbox_message_create
from surveys.services.submission import SubmissionError
from surveys.services.windows import window_quota

logger = logging.getLogger(__name__)


class TalkClosed(SubmissionError):
    status = 409
    code = "closed"


class TalkLimited(SubmissionError):
    status = 429
    code = "limited"


# Requests are e-mailed to the leads a minute after the first of a burst, so presses made
# close together (a class finishing at once) arrive as one e-mail.
TALK_EMAIL_DELAY = datetime.timedelta(seconds=60)


def talk_requests_allowed_per_day(class_size: int) -> int:
    """Requests without a card code one window accepts in a day: one for every pupil the
    window can count (``window_quota``). Each device asks at most once (the pupil views);
    this bounds someone who keeps starting new sessions with only the class code."""
    return window_quota(class_size)


@transaction.atomic
def talk_request_create(
    *, window_id: int, school_id: int, card_code: str, today: datetime.date | None = None
) -> TalkRequest:
    """'I'd like to talk to someone': the card code only, never answers. Pressing twice the
    same day with a card makes one request; with a self-generated code (or before a card
    was entered) there is no code to give, and the window takes at most
    ``talk_requests_allowed_per_day`` such requests a day (``TalkLimited``). Refused once the
    window has closed (``TalkClosed``). A new request tells the school's leads by e-mail
    through the outbox (decision 1: a pupil's request never depends on the broker), a
    minute later, in one e-mail with the other requests made meanwhile."""
    today = today or timezone.localdate()
    locked = sql.window_for_save(window_id)  # the close waits for this request, or it sees the close
    if locked is None or not locked.window.is_open():
        raise TalkClosed("This survey has closed, so we can't send your message from here.")
    if card_code:
        request, created = TalkRequest.objects.get_or_create(
            school_id=school_id, window_id=window_id, card_code=card_code, requested_on=today
        )
    else:
        sql.advisory_lock(sql.TALK_LOCK, window_id)  # count and insert take turns per window
        class_size = TeachingGroup.objects.filter(pk=locked.window.group_id).values_list("pupil_count", flat=True).get()
        made = TalkRequest.objects.filter(window_id=window_id, card_code="", requested_on=today).count()
        if made >= talk_requests_allowed_per_day(class_size):
            logger.warning("Window %s has had %s talk requests without a card today; refusing more.", window_id, made)
            raise TalkLimited("We couldn't send your message just now.")
        request = TalkRequest.objects.create(school_id=school_id, window_id=window_id, card_code="", requested_on=today)
        created = True
    if created:
        delay = None if getattr(settings, "UPSTREAM_OUTBOX_RELAY_ON_COMMIT", False) else TALK_EMAIL_DELAY
        # The embedded default relays right after commit and has no beat to relay later.
        outbox_message_create(kind="talk_requested", payload={"school_id": school_id}, delay=delay)
    return request
