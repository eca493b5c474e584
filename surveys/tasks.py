"""Celery tasks for surveys: thin, idempotent wrappers around services."""

from __future__ import annotations

from celery import shared_task

from .services.outbox import consume_once, outbox_relay
from .services.retention import pupil_data_purge


@shared_task(name="surveys.tasks.relay_outbox", acks_late=True, ignore_result=True)
def relay_outbox() -> dict:
    """Beat runs this every minute. Safe to overlap: rows are claimed with SKIP LOCKED."""
    result = outbox_relay()
    return {"sent": result.sent, "retried": result.retried, "dead_lettered": result.dead_lettered}


@shared_task(name="surveys.tasks.response_completed", acks_late=True, ignore_result=True)
def response_completed(
    *,
    message_id: int,
    window_id: int,
    response_id: int | None = None,
    conflict: bool = False,
    over_quota: bool = False,
):
    """A pupil finished a survey: drop the window's cached figures so dashboards recount.
    Deduped on the outbox message id; doing it twice would be harmless anyway."""
    if not consume_once(message_id):
        return
    from .services.windows import forget_window_figures

    forget_window_figures([window_id])


@shared_task(name="surveys.tasks.talk_requested", acks_late=True, ignore_result=True)
def talk_requested(*, message_id: int, talk_request_id: int):
    """A pupil asked to talk to someone: e-mail the school's leads (never the card code,
    which stays behind their sign-in). Deduped on the outbox message id."""
    if not consume_once(message_id):
        return
    from .services.windows import talk_request_notify

    talk_request_notify(talk_request_id=talk_request_id)


@shared_task(name="surveys.tasks.purge_pupil_data", acks_late=True)
def purge_pupil_data() -> dict[str, int]:
    """Nightly (CELERY_BEAT_SCHEDULE): pupil data past its retention period. Idempotent."""
    return pupil_data_purge().as_dict()
