"""Celery tasks for surveys: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task

from .services.outbox import outbox_consume, outbox_relay
from .services.retention import pupil_data_purge


@shared_task(name="surveys.tasks.relay_outbox", acks_late=True, ignore_result=True)
def relay_outbox() -> dict:
    """Beat runs this every minute. Safe to overlap: rows are claimed with SKIP LOCKED."""
    result = outbox_relay()
    return {"sent": result.sent, "retried": result.retried, "dead_lettered": result.dead_lettered}


@shared_task(name="surveys.tasks.consume_outbox_message", acks_late=True, ignore_result=True)
def consume_outbox_message(*, message_id: int) -> str:
    """Do one outbox message's work (its registered consumers) and delete it; a failure is
    recorded on the row for the relay to try again. A redelivery finds nothing to do."""
    return outbox_consume(message_id=message_id)


@shared_task(name="surveys.tasks.purge_pupil_data", acks_late=True)
def purge_pupil_data() -> dict[str, int]:
    """Nightly (CELERY_BEAT_SCHEDULE): pupil data past its retention period. Idempotent."""
    return pupil_data_purge().as_dict()
