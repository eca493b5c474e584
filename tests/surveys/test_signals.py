"""The embedded default relays the outbox in process; elsewhere rows wait for beat."""

import pytest
from django.test import override_settings

from surveys.models import OutboxMessage
from surveys.services import outbox


@pytest.mark.django_db(transaction=True)
@override_settings(UPSTREAM_OUTBOX_RELAY_ON_COMMIT=True, CELERY_TASK_ALWAYS_EAGER=True)
def test_embedded_default_relays_a_new_outbox_row_after_commit(reference_data, monkeypatch):
    done = []
    monkeypatch.setattr(outbox, "CONSUMERS", {**outbox.CONSUMERS, "test_embedded": [done.append]})
    OutboxMessage.objects.create(kind="test_embedded", payload={"window_id": 999})
    assert done == [{"window_id": 999}]
    assert not OutboxMessage.objects.exists()  # its work is done, so the row is gone


@pytest.mark.django_db(transaction=True)
@override_settings(UPSTREAM_OUTBOX_RELAY_ON_COMMIT=False)
def test_without_the_setting_outbox_rows_wait_for_the_relay(reference_data):
    message = OutboxMessage.objects.create(kind="window_closed", payload={"window_id": 999})
    message.refresh_from_db()
    assert message.attempts == 0
