"""Pupil-data retention (surveys.services.retention.pupil_data_purge, its nightly task and
command): what is past its period goes, what is not stays, linkage goes without taking
responses with it, and a second run is a no-op."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone
from freezegun import freeze_time

from surveys.models import (
    AccessCounter,
    Answer,
    OutboxMessage,
    PageSave,
    Participant,
    Response,
    SurveyWindow,
    TalkRequest,
)
from surveys.services.retention import months_before, pupil_data_purge
from surveys.tasks import purge_pupil_data
from tests.surveys.factories import SurveyWindowFactory, TeachingGroupFactory, make_pupil, make_response

pytestmark = pytest.mark.django_db

Wave = SurveyWindow.Wave


def at(day: dt.date, hour: int = 15) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def window_closing(day: dt.date, *, group=None, wave=Wave.BASELINE, closed_by_hand: dt.date | None = None):
    """A window that was open for the fortnight before ``day`` (or closed by hand earlier)."""
    group = group or TeachingGroupFactory()
    return SurveyWindowFactory(
        group=group,
        wave=wave,
        opens_at=at(day - dt.timedelta(days=14)),
        closes_at=at(day),
        closed_at=at(closed_by_hand) if closed_by_hand else None,
    )


def answered(window, participant=None) -> Response:
    """A completed response with an answer to every item and one page save per item."""
    response = make_response(window, participant=participant)
    for page_no, item in enumerate(window.instrument_version.items.all(), start=1):
        Answer.objects.create(response=response, item=item, value=1)
        PageSave.objects.create(response=response, page_no=page_no, client_seq=page_no, body_hash="0" * 64)
    return response


def test_settings_hold_the_design_defaults():
    assert settings.UPSTREAM_RESPONSE_RETENTION_MONTHS == 24
    assert settings.UPSTREAM_LINKAGE_RETENTION_MONTHS == 12


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 3, 15), 24, dt.date(2024, 3, 15)),
        (dt.date(2026, 1, 15), 12, dt.date(2025, 1, 15)),
        (dt.date(2026, 3, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 2, 29), 24, dt.date(2026, 2, 28)),
    ],
)
def test_months_before_counts_calendar_months(day, months, expected):
    assert months_before(day, months) == expected


def test_responses_go_24_months_after_their_window_closed_newer_ones_stay():
    old = window_closing(dt.date(2024, 3, 15))
    closed_by_hand = window_closing(dt.date(2024, 6, 30), closed_by_hand=dt.date(2024, 3, 10))
    recent = window_closing(dt.date(2024, 3, 16))
    gone = [answered(old), answered(old), answered(closed_by_hand)]
    kept = [answered(recent), answered(recent)]
    items_per_response = old.instrument_version.items.count()

    assert pupil_data_purge(today=dt.date(2026, 3, 9)).deleted == 0
    result = pupil_data_purge(today=dt.date(2026, 3, 15))

    assert result.responses == 3
    assert result.answers == 3 * items_per_response
    assert result.page_saves == 3 * items_per_response
    assert set(Response.objects.values_list("pk", flat=True)) == {response.pk for response in kept}
    assert not Answer.objects.filter(response_id__in=[response.pk for response in gone]).exists()
    assert Answer.objects.count() == 2 * items_per_response
    assert PageSave.objects.count() == 2 * items_per_response
    assert SurveyWindow.objects.count() == 3  # windows are not pupil data


def test_linkage_goes_12_months_after_the_last_window_of_the_school_and_year():
    group = TeachingGroupFactory(academic_year=2026)
    baseline = window_closing(dt.date(2027, 1, 10), group=group, wave=Wave.BASELINE)
    post = window_closing(dt.date(2027, 6, 20), group=group, wave=Wave.POST)
    linked, only_baseline = make_pupil(baseline), make_pupil(baseline)
    responses = [answered(baseline, linked), answered(post, linked), answered(baseline, only_baseline)]
    anonymous = answered(post)
    # Cards printed for next year's class, which has no window yet.
    next_year = Participant.objects.create(school=group.school, academic_year=2027, code_hash="1" * 64)
    elsewhere = window_closing(dt.date(2027, 12, 1))
    other_school = make_pupil(elsewhere)
    answered(elsewhere, other_school)
    answers_before = Answer.objects.count()

    assert pupil_data_purge(today=dt.date(2028, 6, 19)).participants == 0
    result = pupil_data_purge(today=dt.date(2028, 6, 20))

    assert result.participants == 2
    assert result.unlinked_responses == 3
    assert result.responses == 0  # the responses themselves are only 12 months old
    assert set(Participant.objects.values_list("pk", flat=True)) == {next_year.pk, other_school.pk}
    for response in [*responses, anonymous]:
        response.refresh_from_db()
        assert response.participant_id is None
        assert response.status == Response.Status.COMPLETED
    assert Response.objects.filter(participant=other_school).count() == 1
    assert Answer.objects.count() == answers_before


def test_linkage_of_a_school_year_without_windows_goes_12_months_after_the_year_ended():
    # Cards were printed for 2026/27 (which ended on 31 August 2027); no survey was ever run.
    Participant.objects.create(school=TeachingGroupFactory().school, academic_year=2026, code_hash="1" * 64)

    assert pupil_data_purge(today=dt.date(2028, 8, 30)).participants == 0
    assert pupil_data_purge(today=dt.date(2028, 8, 31)).participants == 1
    assert not Participant.objects.exists()


def test_followed_up_talk_requests_go_after_ninety_days():
    window = SurveyWindowFactory()
    today = dt.date(2026, 11, 21)
    seen = timezone.now()
    for days in (90, 200):
        TalkRequest.objects.create(
            school=window.group.school,
            window=window,
            card_code="ABCD234",
            requested_on=today - dt.timedelta(days),
            seen_at=seen,
        )
    recent = TalkRequest.objects.create(
        school=window.group.school, window=window, card_code="", requested_on=today - dt.timedelta(89), seen_at=seen
    )

    assert pupil_data_purge(today=today).talk_requests == 2
    assert list(TalkRequest.objects.values_list("pk", flat=True)) == [recent.pk]


def test_a_talk_request_nobody_followed_up_stays_until_the_linkage_limit():
    window = SurveyWindowFactory()
    today = dt.date(2026, 11, 21)
    kept = TalkRequest.objects.create(
        school=window.group.school, window=window, card_code="ABCD234", requested_on=today - dt.timedelta(200)
    )
    TalkRequest.objects.create(
        school=window.group.school, window=window, card_code="EFGH567", requested_on=months_before(today, 12)
    )

    assert pupil_data_purge(today=today).talk_requests == 1
    assert list(TalkRequest.objects.values_list("pk", flat=True)) == [kept.pk]


def test_dead_lettered_outbox_messages_go_after_90_days_pending_ones_stay():
    """Done messages are deleted by their consumer at once (tests/surveys/test_outbox.py);
    what the purge still meets are dead letters, which keep only their day."""
    today = dt.date(2026, 11, 21)

    def message(**fields):
        return OutboxMessage.objects.create(kind="response_completed", **fields)

    message(failed_on=today - dt.timedelta(90), attempts=5)
    message(failed_on=today - dt.timedelta(200), attempts=5)
    kept = [
        message(failed_on=today - dt.timedelta(89), attempts=5),  # still waiting for a person
        message(available_at=at(today - dt.timedelta(400)), attempts=3),  # never relayed: not ours to drop
    ]

    result = pupil_data_purge(today=today)

    assert result.outbox_dead_lettered == 2
    assert set(OutboxMessage.objects.values_list("pk", flat=True)) == {m.pk for m in kept}


def test_expired_counters_of_failed_code_attempts_go():
    now = timezone.now()
    AccessCounter.objects.create(counter_key="a" * 64, count=3, expires_at=now - dt.timedelta(seconds=1))
    live = AccessCounter.objects.create(counter_key="b" * 64, count=3, expires_at=now + dt.timedelta(minutes=5))
    assert pupil_data_purge().access_counters == 1
    assert list(AccessCounter.objects.values_list("pk", flat=True)) == [live.pk]


def _something_of_every_kind(today: dt.date) -> None:
    """Data that makes every counter of a purge on ``today`` non-zero."""
    group = TeachingGroupFactory()
    baseline = window_closing(months_before(today, 25), group=group, wave=Wave.BASELINE)
    post = window_closing(months_before(today, 14), group=group, wave=Wave.POST)
    pupil = make_pupil(baseline)
    answered(baseline, pupil)  # response purge
    answered(post, pupil)  # survives, but its linkage goes
    TalkRequest.objects.create(
        school=group.school,
        window=post,
        card_code="ABCD234",
        requested_on=today - dt.timedelta(100),
        seen_at=at(today - dt.timedelta(99)),
    )
    OutboxMessage.objects.create(kind="response_completed", failed_on=today - dt.timedelta(100), attempts=5)
    AccessCounter.objects.create(counter_key="c" * 64, count=1, expires_at=at(today - dt.timedelta(1)))


def test_purge_twice_is_a_no_op_the_second_time():
    today = dt.date(2026, 11, 21)
    _something_of_every_kind(today)

    with freeze_time(at(today, hour=3)):
        first = purge_pupil_data()
        second = purge_pupil_data()

    assert first == {
        "responses": 1,
        "answers": 5,
        "page_saves": 5,
        "unlinked_responses": 1,
        "participants": 1,
        "talk_requests": 1,
        "outbox_dead_lettered": 1,
        "access_counters": 1,
    }
    assert set(second.values()) == {0}
    assert Response.objects.get().participant_id is None


def test_the_nightly_task_runs_the_service_from_celery_beat():
    today = dt.date(2026, 11, 21)
    _something_of_every_kind(today)
    entry = settings.CELERY_BEAT_SCHEDULE["surveys-purge-pupil-data"]

    with freeze_time(at(today, hour=3)):
        counts = purge_pupil_data.apply().get()

    assert entry["task"] == purge_pupil_data.name == "surveys.tasks.purge_pupil_data"
    assert entry["schedule"] == 24 * 3600
    assert purge_pupil_data.acks_late
    assert counts["responses"] == 1 and counts["participants"] == 1
    assert Response.objects.count() == 1 and not Participant.objects.exists()


def test_the_command_says_what_it_deleted():
    today = dt.date(2026, 11, 21)
    _something_of_every_kind(today)
    out = io.StringIO()

    with freeze_time(at(today, hour=3)):
        call_command("purge_pupil_data", stdout=out)

    lines = out.getvalue().splitlines()
    assert "1 responses deleted" in lines
    assert "5 answers deleted" in lines
    assert "1 participants (linkage codes) deleted" in lines
    assert "1 responses unlinked from their participant" in lines
    assert "1 'talk to someone' requests deleted" in lines
    assert len(lines) == 8
