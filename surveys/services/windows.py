"""Survey windows: opening one for a class, closing it, and the safeguarding lead's
'talk to someone' follow-up.

Contract with the pupil flow: ``window_close`` locks the window row (``select_for_update``)
before setting ``closed_at``; the submit transaction re-reads the window under the same lock,
so an answer is never accepted after the close and never refused before it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from wagtail.log_actions import log

from accounts import selectors as account_selectors
from accounts.models import School, User
from lessons.models import TeachingGroup

from ..codes import new_join_code
from ..models import InstrumentVersion, Response, SurveyWindow, TalkRequest
from ..pupil import sql
from .instruments import instrument_suits_year_group
from .outbox import outbox_message_create

OPT_OUT_SCHOOL_DAYS = 10
JOIN_CODE_ATTEMPTS = 8


class WindowError(ValidationError):
    """Refusal with messages keyed by form field, written for teachers."""


def add_school_days(day: dt.date, days: int) -> dt.date:
    """``day`` plus ``days`` weekdays (Monday to Friday). Bank holidays and INSET days are
    not known to the platform, so schools may choose a later date themselves."""
    current = day
    remaining = days
    while remaining:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def earliest_open_date(optout_letter_sent_on: dt.date) -> dt.date:
    return add_school_days(optout_letter_sent_on, OPT_OUT_SCHOOL_DAYS)


def can_manage_group(user: User, group: TeachingGroup) -> bool:
    """The class teacher, a co-teacher or a school lead, with an approved membership there."""
    if not account_selectors.schools_taught_at(user).filter(pk=group.school_id).exists():
        return False
    if group.teacher_id == user.pk or group.co_teachers.filter(pk=user.pk).exists():
        return True
    return account_selectors.is_school_lead(user, group.school)


def _check_window(
    *,
    group: TeachingGroup,
    wave: str,
    instrument_version: InstrumentVersion,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    optout_letter_sent_on: dt.date,
) -> None:
    errors: dict[str, list[str]] = {}
    if group.archived_at is not None:
        errors.setdefault("__all__", []).append("This class is archived. Restore it before scheduling a survey.")
    if wave not in SurveyWindow.Wave.values:
        errors.setdefault("wave", []).append("Choose baseline, post or follow-up.")
    elif SurveyWindow.objects.filter(group=group, wave=wave).exists():
        label = SurveyWindow.Wave(wave).label.split(" (")[0].lower()
        errors.setdefault("wave", []).append(f"This class already has a {label} survey.")
    instrument = instrument_version.instrument
    if instrument_version.status != InstrumentVersion.Status.PUBLISHED or not instrument.licence_allows_use:
        errors.setdefault("instrument_version", []).append("Choose a published survey.")
    elif not instrument_suits_year_group(instrument, group.year_group):
        errors.setdefault("instrument_version", []).append(
            f"This survey is written for ages {instrument.min_age}–{instrument.max_age}, "
            f"which does not suit Year {group.year_group}."
        )
    today = timezone.localdate()
    if optout_letter_sent_on > today:
        errors.setdefault("optout_letter_sent_on", []).append("The letter date cannot be in the future.")
    earliest = earliest_open_date(optout_letter_sent_on)
    if timezone.localtime(opens_at).date() < earliest:
        errors.setdefault("opens_at", []).append(
            f"Parents need 10 school days after the opt-out letter goes home. "
            f"The earliest this survey can open is {earliest:%A %-d %B %Y}."
        )
    if closes_at <= opens_at:
        errors.setdefault("closes_at", []).append("The closing time must be after the opening time.")
    if errors:
        raise WindowError(errors)


@transaction.atomic
def window_open(
    *,
    actor: User,
    group: TeachingGroup,
    wave: str,
    instrument_version: InstrumentVersion,
    opens_at: dt.datetime,
    closes_at: dt.datetime,
    optout_letter_sent_on: dt.date,
    linkage: str = SurveyWindow.Linkage.CARDS,
    layout: str = SurveyWindow.Layout.SCALE_PER_PAGE,
    include_demographics: bool = True,
) -> SurveyWindow:
    """Schedule a survey for a class. Raises ``PermissionDenied`` for someone who does not
    teach or lead the class and ``WindowError`` for a rule the choices break."""
    if not can_manage_group(actor, group):
        raise PermissionDenied("You can only open surveys for your own classes.")
    _check_window(
        group=group,
        wave=wave,
        instrument_version=instrument_version,
        opens_at=opens_at,
        closes_at=closes_at,
        optout_letter_sent_on=optout_letter_sent_on,
    )
    for _attempt in range(JOIN_CODE_ATTEMPTS):
        window = SurveyWindow(
            group=group,
            wave=wave,
            instrument_version=instrument_version,
            linkage=linkage,
            layout=layout,
            include_demographics=include_demographics,
            join_code=new_join_code(),
            opens_at=opens_at,
            closes_at=closes_at,
            optout_letter_sent_on=optout_letter_sent_on,
            dpia_reference=settings.UPSTREAM_DPIA_REFERENCE,
            opened_by=actor,
        )
        try:
            with transaction.atomic():
                window.save()
        except IntegrityError:
            if SurveyWindow.objects.filter(group=group, wave=wave).exists():
                raise WindowError({"wave": ["This class already has a survey for this wave."]}) from None
            continue  # join code collision: 1 in 2^40 per window; try another
        return window
    raise RuntimeError("Could not find a free join code")  # pragma: no cover


@transaction.atomic
def window_close(*, actor: User, window: SurveyWindow) -> SurveyWindow:
    """Close the window now. Locks the row so a submit in flight either commits before the
    close or sees it and is refused. Closing twice is harmless."""
    locked = SurveyWindow.objects.select_for_update().get(pk=window.pk)
    if not can_manage_group(actor, locked.group):
        raise PermissionDenied("You can only close surveys for your own classes.")
    now = timezone.now()
    if locked.closed_at is None:
        locked.closed_at = now
        if locked.closes_at > now and locked.opens_at < now:
            locked.closes_at = now
        locked.save(update_fields=["closed_at", "closes_at"])
        # Outcomes recount the class once its window closes (consumer: outcomes.receivers).
        outbox_message_create(kind="window_closed", payload={"window_id": locked.pk})
    return locked


def talk_requested_consume(payload: dict) -> None:
    """Outbox consumer for ``talk_requested``: one e-mail to each of the school's safeguarding
    recipients for every request of the school not yet told (see ``talk_requests_notify``)."""
    talk_requests_notify(school_id=payload["school_id"])


@transaction.atomic
def talk_requests_notify(*, school_id: int) -> int:
    """E-mail the school's safeguarding lead and deputies and its safeguarding inbox (or, when
    the school has set none of these, its school leads: ``talk_request_recipients``) that
    pupils asked to talk to someone: one e-mail for all the school's requests not yet told,
    however many presses made them, with a link to the list; the card codes are only on
    that page, never in an inbox. Returns how many e-mails were sent (none when an earlier
    message already told them, or the requests have since been withdrawn).

    The e-mails are sent here, inside the transaction that marks the requests as told, so
    an SMTP failure leaves them untold and the outbox tries again (a lead may then get the
    same e-mail twice, never none)."""
    from accounts.tasks import send_templated_email

    untold = list(
        TalkRequest.objects.select_for_update()
        .filter(school_id=school_id, leads_notified=False)
        .select_related("school", "window__group")
        .order_by("pk")
    )
    if not untold:
        return 0
    school = untold[0].school
    recipients = account_selectors.talk_request_recipients(school)
    url = settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("surveys:talk_requests")
    groups = sorted({talk_request.window.group.name for talk_request in untold})
    context = {
        "school": school.name,
        "count": len(untold),
        "groups": groups,
        "group": ", ".join(groups),
        "url": url,
        "readers": _talk_request_readers(school),
    }
    for email in recipients:
        send_templated_email(template="surveys/email/talk_requested", to=email, context=context)  # now, not queued
    TalkRequest.objects.filter(pk__in=[talk_request.pk for talk_request in untold]).update(leads_notified=True)
    return len(recipients)


def _talk_request_readers(school: School) -> list[str]:
    """Who can open the list of card codes, for the e-mail: a shared safeguarding inbox's
    readers may have no account and need to know whom to ask."""
    safeguarding = list(account_selectors.safeguarding_leads(school))
    readers = [
        f"{m.user.get_full_name() or m.user.email} ({m.get_safeguarding_role_display().lower()})" for m in safeguarding
    ]
    named = {m.user_id for m in safeguarding}
    readers += [
        f"{m.user.get_full_name() or m.user.email} (school lead)"
        for m in account_selectors.school_leads(school)
        if m.user_id not in named
    ]
    return readers


@transaction.atomic
def talk_request_mark_seen(*, actor: User, talk_request: TalkRequest) -> TalkRequest:
    if not account_selectors.schools_seeing_talk_requests(actor).filter(pk=talk_request.school_id).exists():
        raise PermissionDenied("Only the school's safeguarding lead, their deputies or the school lead can do this.")
    locked = TalkRequest.objects.select_for_update().get(pk=talk_request.pk)
    if locked.seen_at is None:
        locked.seen_at = timezone.now()
        locked.seen_by = actor
        locked.save(update_fields=["seen_at", "seen_by"])
    return locked


# --- Quota: at most the class size plus 10 % counted responses per window ----------------

QUOTA_MARGIN_PERCENT = 10


def window_quota(class_size: int) -> int:
    """Counted responses a window accepts: the class size plus 10 %, rounded up (30 -> 33)."""
    return class_size + -(-class_size * QUOTA_MARGIN_PERCENT // 100)


def lock_window_quota(window_id: int) -> None:
    """Make everything that counts a window's responses against its quota take turns, until
    the transaction ends: a PostgreSQL advisory lock on the window (SQLite runs one writer at
    a time anyway). Pupils' page saves do not take it; only sends and recounts do."""
    sql.advisory_lock(sql.QUOTA_LOCK, window_id)


def quota_room(window: SurveyWindow) -> int:
    """How many more responses this window may count: its quota less those counted. Takes
    the window's quota lock first, so call it inside the transaction that then writes."""
    lock_window_quota(window.pk)
    class_size, counted = sql.quota_counts(
        window_id=window.pk, group_id=window.group_id, counted_status=Response.Status.COMPLETED
    )
    return window_quota(class_size) - counted


@transaction.atomic
def window_recount(*, actor: User, window: SurveyWindow) -> int:
    """After the class size was corrected: count the responses kept apart as over quota,
    in the order they were sent, up to the new quota. Returns how many are now counted."""
    if not can_manage_group(actor, window.group):
        raise PermissionDenied("You can only recount surveys for your own classes.")
    room = quota_room(window)
    if room <= 0:
        return 0
    promoted = list(
        Response.objects.filter(window=window, status=Response.Status.OVER_QUOTA)
        .order_by("submitted_on", "pk")
        .values_list("pk", flat=True)[:room]
    )
    if promoted:
        Response.objects.filter(pk__in=promoted).update(status=Response.Status.COMPLETED)
        log(instance=window, action="upstream.window.recount", user=actor, data={"counted": len(promoted)})
        outbox_message_create(kind="responses_recounted", payload={"window_ids": [window.pk]})
    return len(promoted)
