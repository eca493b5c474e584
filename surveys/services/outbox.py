"""The transactional outbox (docs/decisions.md#1): work that must follow a write, done at least once.

Writing a message and registering a consumer is the whole API::

    # in the service that writes, inside its transaction
    outbox_message_create(kind="window_closed", payload={"window_id": window.pk})

    # in the consuming app's AppConfig.ready() (surveys never imports outcomes)
    register_consumer("window_closed", rollups_refresh)   # called as rollups_refresh(payload)

A consumer takes the message's payload (a JSON-safe dict) and returns nothing; raising means
"not done". Several consumers may share a kind; they run in registration order.

What happens to a message:

1. The relay (beat, every minute; ``manage.py relay_outbox``; in process after commit in the
   embedded default) claims due rows with ``select_for_update(skip_locked=True)``, counts
   the attempt (``attempts``), leases the row for ``LEASE`` and hands it to Celery
   (``surveys.tasks.consume_outbox_message``).
2. The consumer task locks the row (skipping it if another worker holds it), runs every
   consumer of the kind inside a savepoint and, only when all of them succeeded, deletes
   the row in the same transaction. So database work a consumer does commits together with
   the message's deletion: it happens exactly once. Work outside the database (an e-mail,
   a cache delete) may happen again after a failure, so it must be harmless to repeat.
3. A failure (the broker refused the task, a consumer raised, no consumer is registered)
   keeps the row, records the error and backs off (``retry_delay``); a lease that runs out
   without the work finishing (a lost worker) makes the row due again. After
   ``MAX_ATTEMPTS`` (5) attempts the row is dead-lettered: ``failed_on`` is set, its time
   is cut to the day, and it waits for a person (``docs/data-protection.md``).

Done rows are deleted at once, so no exact time stays beside a response or a school; a
pending row's ``available_at`` is exact only for the minutes until its work is done.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module

from django.db import transaction
from django.utils import timezone

from ..models import OutboxMessage

MAX_ATTEMPTS = 5
BATCH_SIZE = 200
LEASE = dt.timedelta(minutes=15)
CONSUME_TASK = "surveys.tasks.consume_outbox_message"

Consumer = Callable[[dict], object]

# kind -> consumers, filled by AppConfig.ready() (surveys.apps for surveys' own kinds).
CONSUMERS: dict[str, list[Consumer]] = {}

logger = logging.getLogger(__name__)


class Outcome:
    DONE = "done"
    RETRY = "retry"
    DEAD_LETTERED = "dead_lettered"
    SKIPPED = "skipped"  # already done, dead-lettered, or another worker holds it


@dataclass
class RelayResult:
    sent: int = 0
    retried: int = 0
    dead_lettered: int = 0


def register_consumer(kind: str, consumer: Consumer) -> Consumer:
    """Run ``consumer(payload)`` for every message of ``kind``. Call it from an
    ``AppConfig.ready()``, which runs in web processes and Celery workers alike; registering
    the same consumer twice is harmless. Returns the consumer, so it works as a decorator."""
    consumers = CONSUMERS.setdefault(kind, [])
    if consumer not in consumers:
        consumers.append(consumer)
    return consumer


def outbox_message_create(*, kind: str, payload: dict, delay: dt.timedelta | None = None) -> OutboxMessage:
    """Write a message in the caller's transaction; it is relayed once that commits.
    ``delay`` holds it back (so a burst of the same work can be done once)."""
    available_at = timezone.now() + (delay or dt.timedelta(0))
    return OutboxMessage.objects.create(kind=kind, payload=payload, available_at=available_at)


def retry_delay(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 minutes ... capped at an hour."""
    return dt.timedelta(minutes=min(2 ** max(attempts - 1, 0), 60))


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _error_text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:2000]


def _fail(message: OutboxMessage, error_text: str, now: dt.datetime) -> str:
    """Record a failed attempt on a locked row: back off, or dead-letter after the last
    attempt (keeping only the day)."""
    message.last_error = error_text
    if message.attempts >= MAX_ATTEMPTS:
        message.failed_on = timezone.localdate(now)
        message.available_at = _start_of(message.failed_on)
        outcome = Outcome.DEAD_LETTERED
        logger.warning("Outbox message %s (%s) dead-lettered: %s", message.pk, message.kind, error_text[:200])
    else:
        message.available_at = now + retry_delay(message.attempts)
        outcome = Outcome.RETRY
    message.save(update_fields=["last_error", "failed_on", "available_at"])
    return outcome


def _send_to_celery(message: OutboxMessage) -> str | None:
    """Hand the message to its consumer task. With eager Celery (embedded default, tests)
    the task runs here and its outcome is returned; otherwise None once queued."""
    from celery import current_app

    kwargs = {"message_id": message.pk}
    if current_app.conf.task_always_eager:
        # In process there is no worker that imported the tasks module: import it so the
        # task is registered before we look it up by name.
        import_module(CONSUME_TASK.rsplit(".", 1)[0])
        return current_app.tasks[CONSUME_TASK].apply(kwargs=kwargs, throw=True).result
    # retry=False: fail fast when the broker is down; the next relay run tries again.
    current_app.send_task(CONSUME_TASK, kwargs=kwargs, retry=False)
    return None


def _claim(batch_size: int, now: dt.datetime) -> tuple[list[OutboxMessage], int]:
    """Due rows, each with one more attempt counted and leased; rows whose attempts are
    used up (their leases ran out without the work finishing) are dead-lettered instead."""
    claimed: list[OutboxMessage] = []
    dead = 0
    with transaction.atomic():
        due = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(failed_on__isnull=True, available_at__lte=now)
            .order_by("available_at", "pk")[:batch_size]
        )
        for message in due:
            if message.attempts >= MAX_ATTEMPTS:
                _fail(message, message.last_error or f"Not finished after {MAX_ATTEMPTS} attempts.", now)
                dead += 1
                continue
            message.attempts += 1
            message.available_at = now + LEASE
            message.save(update_fields=["attempts", "available_at"])
            claimed.append(message)
    return claimed, dead


def outbox_relay(
    *, batch_size: int = BATCH_SIZE, send: Callable[[OutboxMessage], str | None] | None = None
) -> RelayResult:
    """Hand due messages to their consumers once. ``send`` is replaceable for tests."""
    send = send or _send_to_celery
    now = timezone.now()
    claimed, dead = _claim(batch_size, now)
    result = RelayResult(dead_lettered=dead)
    for message in claimed:
        try:
            outcome = send(message)
        except Exception as error:  # noqa: BLE001 - any failure counts as an attempt
            outcome = _record_failure(message.pk, _error_text(error))
        if outcome == Outcome.RETRY:
            result.retried += 1
        elif outcome == Outcome.DEAD_LETTERED:
            result.dead_lettered += 1
        else:
            result.sent += 1
    return result


def _record_failure(message_id: int, error_text: str) -> str:
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=message_id, failed_on__isnull=True).first()
        if message is None:
            return Outcome.SKIPPED
        return _fail(message, error_text, timezone.now())


def outbox_consume(*, message_id: int) -> str:
    """Do a message's work and delete it, or record why not (see the module docstring).
    Safe to call twice or concurrently: a done row is gone and a held row is skipped."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, failed_on__isnull=True)
            .first()
        )
        if message is None:
            return Outcome.SKIPPED
        consumers = CONSUMERS.get(message.kind)
        try:
            if not consumers:
                raise LookupError(f"No consumer is registered for outbox kind '{message.kind}'.")
            with transaction.atomic():  # a failing consumer's writes are undone
                for consumer in consumers:
                    consumer(dict(message.payload))
        except Exception as error:  # noqa: BLE001 - any failure keeps the message for another attempt
            return _fail(message, _error_text(error), timezone.now())
        message.delete()
        return Outcome.DONE
