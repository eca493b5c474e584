"""Pupil-data retention (docs/decisions.md#retention; docs/data-protection.md#pupil-data).

One nightly purge, ``pupil_data_purge``, run by the Celery beat task
``surveys.tasks.purge_pupil_data`` and by ``manage.py purge_pupil_data``. Every rule works
on dates (the local calendar day), never on exact times, and a row is deleted on the day it
reaches its limit.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Q, QuerySet
from django.db.models.functions import Coalesce, Least, TruncDate
from django.utils import timezone

from accounts.school_year import academic_year_end

from ..models import AccessCounter, Answer, OutboxMessage, PageSave, Participant, Response, SurveyWindow, TalkRequest

TALK_REQUEST_DAYS = 90
OUTBOX_DEAD_LETTER_DAYS = 90


@dataclass
class PurgeResult:
    responses: int = 0
    answers: int = 0
    page_saves: int = 0
    unlinked_responses: int = 0
    participants: int = 0
    talk_requests: int = 0
    outbox_dead_lettered: int = 0
    access_counters: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @property
    def deleted(self) -> int:
        """Rows deleted (unlinked responses are updated, not deleted)."""
        return sum(count for name, count in self.as_dict().items() if name != "unlinked_responses")


def months_before(day: dt.date, months: int) -> dt.date:
    """``day`` moved back ``months`` calendar months; 31 March less one month is 28 or 29 February."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _closed_on() -> TruncDate:
    """A window's closing day: ``closes_at`` or ``closed_at`` (closed by hand), whichever is
    earlier, as a local date."""
    return TruncDate(Least(F("closes_at"), Coalesce(F("closed_at"), F("closes_at"))))


def _last_closed_by_school_year() -> dict[tuple[int, int], dt.date]:
    """(school id, academic year) -> the day the last window of that school and year closed."""
    rows = (
        SurveyWindow.objects.annotate(closed_on=_closed_on())
        .values("group__school_id", "group__academic_year")
        .annotate(last_closed_on=Max("closed_on"))
    )
    return {(row["group__school_id"], row["group__academic_year"]): row["last_closed_on"] for row in rows}


def _purging(responses: QuerySet[Response], reason: str) -> None:
    """Tell receivers (outcomes) which windows are about to lose raw data."""
    from ..signals import pupil_data_purging

    window_ids = set(responses.values_list("window_id", flat=True).distinct())
    if window_ids:
        pupil_data_purging.send(sender=Response, window_ids=window_ids, reason=reason)


@transaction.atomic
def pupil_data_purge(*, today: dt.date | None = None) -> PurgeResult:
    """Delete pupil data past its retention period (docs/data-protection.md, "Pupil data").

    - Raw responses, with their answers and page saves, ``UPSTREAM_RESPONSE_RETENTION_MONTHS``
      (24) months after their window closed (``closes_at`` or ``closed_at``, whichever is
      earlier).
    - Linkage data (``Participant`` rows: ``code_hash``, ``sgic_element_hashes``)
      ``UPSTREAM_LINKAGE_RETENTION_MONTHS`` (12) months after the last window of that school
      and academic year closed; for a school and year that never had a window, 12 months
      after that academic year ended (31 August). Responses that still exist keep their
      answers and demographics but lose their participant first, so waves can no longer be
      linked and nothing else changes.
    - "Talk to someone" requests ``TALK_REQUEST_DAYS`` (90) days after ``requested_on``.
    - Outbox messages are deleted by their consumer as soon as their work is done
      (``surveys.services.outbox``); dead-lettered ones are left for a person to look at,
      and deleted ``OUTBOX_DEAD_LETTER_DAYS`` (90) days after ``failed_on`` at the latest.
    - Counters of failed code attempts (``AccessCounter``: keyed hashes of a session, an
      address or a window) once their period has ended.

    Survey windows, instruments and classes are not pupil data and stay; so do outcome
    rollups (aggregates that hold no linkage and identify no pupil): ``pupil_data_purging`` is
    sent before each delete so outcomes can freeze them first. Deletes run children first
    (answers and page saves, then responses; responses unlinked, then participants), so the
    PROTECT foreign keys on ``Response`` never block. Idempotent: a second run the same day
    deletes nothing.
    """
    today = today or timezone.localdate()
    result = PurgeResult()

    # 1. Raw responses (24 months after their window closed).
    response_cutoff = months_before(today, settings.UPSTREAM_RESPONSE_RETENTION_MONTHS)
    expired_windows = (
        SurveyWindow.objects.annotate(closed_on=_closed_on()).filter(closed_on__lte=response_cutoff).values("pk")
    )
    expired_responses = Response.objects.filter(window__in=expired_windows)
    _purging(expired_responses, "raw responses purged at the end of their retention period")
    result.answers, _ = Answer.objects.filter(response__in=expired_responses).delete()
    result.page_saves, _ = PageSave.objects.filter(response__in=expired_responses).delete()
    result.responses, _ = expired_responses.delete()

    # 2. Linkage (12 months after the last window of the school and academic year closed).
    linkage_cutoff = months_before(today, settings.UPSTREAM_LINKAGE_RETENTION_MONTHS)
    last_closed = _last_closed_by_school_year()
    expired_years = Q(pk__in=[])
    for school_id, academic_year in Participant.objects.values_list("school_id", "academic_year").distinct():
        ended_on = last_closed.get((school_id, academic_year)) or academic_year_end(academic_year)
        if ended_on <= linkage_cutoff:
            expired_years |= Q(school_id=school_id, academic_year=academic_year)
    expired_participants = Participant.objects.filter(expired_years)
    _purging(Response.objects.filter(participant__in=expired_participants), "linkage purged")
    result.unlinked_responses = Response.objects.filter(participant__in=expired_participants).update(participant=None)
    result.participants, _ = expired_participants.delete()

    # 3. "Talk to someone" requests: 90 days once followed up. One nobody has marked as
    #    followed up is a safeguarding matter still open, so it stays (at the top of the
    #    lead's list) up to the linkage limit, then goes like the card's other links.
    talk_cutoff = today - dt.timedelta(days=TALK_REQUEST_DAYS)
    unseen_cutoff = months_before(today, settings.UPSTREAM_LINKAGE_RETENTION_MONTHS)
    result.talk_requests, _ = TalkRequest.objects.filter(
        Q(seen_at__isnull=False, requested_on__lte=talk_cutoff) | Q(requested_on__lte=unseen_cutoff)
    ).delete()

    # 4. Outbox: done messages are already gone; dead-lettered ones after 90 days at the latest.
    dead_letter_cutoff = today - dt.timedelta(days=OUTBOX_DEAD_LETTER_DAYS)
    result.outbox_dead_lettered, _ = OutboxMessage.objects.filter(failed_on__lte=dead_letter_cutoff).delete()

    # 5. Counters of failed code attempts whose period has ended.
    result.access_counters, _ = AccessCounter.objects.filter(expires_at__lte=timezone.now()).delete()
    return result
