"""Relay the transactional outbox to Celery (decision 1).

Pupil submissions write an ``OutboxMessage`` in their own transaction and never touch the
broker. The relay (beat, every minute, or ``manage.py relay_outbox``) claims due rows with
``select_for_update(skip_locked=True)`` so two relays never send the same row, hands each
to its consumer task, and records the attempt. A row that fails 5 times is dead-lettered
(``failed_at``) and left for a person to look at. Delivery is at least once: consumers
dedupe on the message id (``consume_once``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from ..models import OutboxMessage

MAX_ATTEMPTS = 5
BATCH_SIZE = 200
DEDUPE_SECONDS = 14 * 24 * 3600

# kind -> dotted name of the Celery task that consumes it (called with message_id and the payload).
CONSUMERS: dict[str, str] = {
    "response_completed": "surveys.tasks.response_completed",
    "talk_requested": "surveys.tasks.talk_requested",
}


@dataclass
class RelayResult:
    sent: int = 0
    retried: int = 0
    dead_lettered: int = 0


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 minutes ... capped at an hour."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def _send_to_celery(message: OutboxMessage) -> None:
    from celery import current_app

    task_name = CONSUMERS.get(message.kind)
    if task_name is None:
        raise LookupError(f"No consumer is registered for outbox kind '{message.kind}'.")
    kwargs = {"message_id": message.pk, **message.payload}
    if current_app.conf.task_always_eager:
        # In process there is no worker that imported the tasks module: import it so the
        # task is registered before we look it up by name.
        import_module(task_name.rsplit(".", 1)[0])
        current_app.tasks[task_name].apply(kwargs=kwargs, throw=True)
    else:
        # retry=False: fail fast when the broker is down; the next relay run tries again.
        current_app.send_task(task_name, kwargs=kwargs, retry=False)


def outbox_relay(*, batch_size: int = BATCH_SIZE, send: Callable[[OutboxMessage], None] | None = None) -> RelayResult:
    """Relay due messages once. ``send`` is replaceable for tests."""
    send = send or _send_to_celery
    result = RelayResult()
    now = timezone.now()
    with transaction.atomic():
        due = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(processed_at__isnull=True, failed_at__isnull=True, available_at__lte=now)
            .order_by("available_at", "pk")[:batch_size]
        )
        for message in due:
            message.attempts += 1
            try:
                send(message)
            except Exception as error:  # noqa: BLE001 - any failure counts as an attempt
                message.last_error = f"{type(error).__name__}: {error}"[:2000]
                if message.attempts >= MAX_ATTEMPTS:
                    message.failed_at = now
                    result.dead_lettered += 1
                else:
                    message.available_at = now + retry_delay(message.attempts)
                    result.retried += 1
            else:
                message.processed_at = now
                message.last_error = ""
                result.sent += 1
            message.save(update_fields=["attempts", "last_error", "failed_at", "available_at", "processed_at"])
    return result


def consume_once(message_id: int) -> bool:
    """True the first time a consumer sees ``message_id``; False for a redelivery.
    Uses the database cache's atomic ``add`` (decision 1: no Redis needed)."""
    return cache.add(f"outbox:consumed:{message_id}", 1, timeout=DEDUPE_SECONDS)
