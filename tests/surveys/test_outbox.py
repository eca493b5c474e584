"""The outbox relay: claims due rows, counts attempts, backs off, dead-letters after 5."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from freezegun import freeze_time

from surveys.models import OutboxMessage
from surveys.services import outbox as svc
from surveys.tasks import relay_outbox

pytestmark = pytest.mark.django_db


def _fail(message):
    raise ConnectionError("broker down")


def test_relay_sends_due_messages_once():
    sent = []
    message = OutboxMessage.objects.create(kind="response_completed", payload={"window_id": 1, "response_id": 2})
    OutboxMessage.objects.create(kind="response_completed", available_at=timezone.now() + dt.timedelta(hours=1))
    result = svc.outbox_relay(send=sent.append)
    assert result.sent == 1 and [m.pk for m in sent] == [message.pk]
    message.refresh_from_db()
    assert message.processed_at and message.attempts == 1
    assert svc.outbox_relay(send=sent.append).sent == 0


def test_relay_dead_letters_after_five_failed_attempts():
    message = OutboxMessage.objects.create(kind="response_completed", payload={"window_id": 1})
    with freeze_time(timezone.now()) as clock:
        for attempt in range(1, 6):
            result = svc.outbox_relay(send=_fail)
            message.refresh_from_db()
            assert message.attempts == attempt
            assert "broker down" in message.last_error
            if attempt < 5:
                assert result.retried == 1 and message.failed_at is None
                assert svc.outbox_relay(send=_fail).retried == 0  # backing off
                clock.tick(svc.retry_delay(attempt) + dt.timedelta(seconds=1))
        assert result.dead_lettered == 1 and message.failed_at is not None
        clock.tick(dt.timedelta(days=1))
        assert svc.outbox_relay(send=_fail).retried == 0  # left for a person
    message.refresh_from_db()
    assert message.attempts == 5 and message.processed_at is None


def test_unknown_kinds_fail_and_are_eventually_dead_lettered():
    message = OutboxMessage.objects.create(kind="no_such_kind")
    svc.outbox_relay()
    message.refresh_from_db()
    assert message.attempts == 1 and "No consumer" in message.last_error


def test_the_relay_claims_rows_with_skip_locked(monkeypatch):
    seen = {}
    original = OutboxMessage.objects.select_for_update

    def spy(**kwargs):
        seen.update(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(OutboxMessage.objects, "select_for_update", spy)
    svc.outbox_relay(send=lambda m: None)
    assert seen == {"skip_locked": True}


def test_response_completed_consumer_runs_eagerly_and_dedupes_on_the_message_id():
    OutboxMessage.objects.create(
        kind="response_completed", payload={"window_id": 1, "response_id": 2, "conflict": False}
    )
    assert relay_outbox() == {"sent": 1, "retried": 0, "dead_lettered": 0}
    message = OutboxMessage.objects.get()
    assert svc.consume_once(message.pk) is False  # the consumer already recorded it


def test_management_command_relays(capsys):
    OutboxMessage.objects.create(kind="response_completed", payload={"window_id": 3})
    call_command("relay_outbox")
    assert "sent 1" in capsys.readouterr().out


def test_beat_runs_the_relay_every_minute(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["surveys-relay-outbox"]
    assert entry == {"task": "surveys.tasks.relay_outbox", "schedule": 60.0}


def test_a_pupil_asking_to_talk_emails_the_schools_leads_without_the_code(mailoutbox):
    from accounts.models import Membership
    from surveys.services import submission
    from tests.factories import MembershipFactory
    from tests.surveys.factories import SurveyWindowFactory

    window = SurveyWindowFactory(group__name="8R")
    school = window.group.school
    lead = MembershipFactory(school=school, role=Membership.Role.SCHOOL_LEAD, user__email="dsl@school.example").user
    MembershipFactory(school=school, role=Membership.Role.SCHOOL_LEAD, status=Membership.Status.PENDING)
    MembershipFactory(role=Membership.Role.SCHOOL_LEAD)  # another school's lead hears nothing

    submission.talk_request_create(window_id=window.pk, school_id=school.pk, card_code="AB3K9QC")
    submission.talk_request_create(window_id=window.pk, school_id=school.pk, card_code="AB3K9QC")  # pressed twice
    assert OutboxMessage.objects.filter(kind="talk_requested").count() == 1
    assert mailoutbox == []  # nothing is sent from the pupil's request itself

    relay_outbox()
    relay_outbox()  # a second relay sends nothing again
    assert [message.to for message in mailoutbox] == [[lead.email]]
    message = mailoutbox[0]
    assert "8R" in message.subject and "talk to someone" in message.subject
    assert "/surveys/talk-requests/" in message.body
    html = message.alternatives[0][0]
    for text in (message.subject, message.body, html):
        assert "AB3K9QC" not in text and "AB3-K9Q-C" not in text


def test_a_withdrawn_talk_request_sends_nothing(mailoutbox):
    from accounts.models import Membership
    from surveys.models import TalkRequest
    from surveys.services import submission
    from tests.factories import MembershipFactory
    from tests.surveys.factories import SurveyWindowFactory

    window = SurveyWindowFactory()
    MembershipFactory(school=window.group.school, role=Membership.Role.SCHOOL_LEAD)
    submission.talk_request_create(window_id=window.pk, school_id=window.group.school_id, card_code="")
    TalkRequest.objects.all().delete()
    relay_outbox()
    assert mailoutbox == []
