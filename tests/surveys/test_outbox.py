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
