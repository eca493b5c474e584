"""Celery tasks for lessons: thin, idempotent wrappers around services."""

from __future__ import annotations

import logging

from celery import shared_task

from . import services

logger = logging.getLogger(__name__)


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, max_retries=None)
def render_programme_pack(self, pack_id: int) -> None:
    """Render a programme pack. Safe to run twice (deterministic path, conditional status
    update); the attempt counter in the database dead-letters it after five tries, which
    also ends a redelivery loop when a poison pack kills the worker."""
    pack = services.programme_pack_start(pack_id=pack_id)
    if pack is None:
        return
    try:
        services.programme_pack_build(pack=pack)
    except Exception as exc:
        logger.exception("Programme pack %s failed (attempt %s)", pack_id, pack.attempts)
        # Eager mode (the embedded demo) has no worker to retry later: fail now and let the
        # teacher ask again, rather than leave a page waiting for ever.
        dead = services.programme_pack_record_failure(
            pack_id=pack_id, error=f"{type(exc).__name__}: {exc}", final=bool(self.request.is_eager)
        )
        if not dead:
            raise self.retry(exc=exc, countdown=min(600, 15 * 2**pack.attempts))


@shared_task
def requeue_stale_programme_packs() -> int:
    """Beat job: re-send packs stuck pending or running (see the service)."""
    return services.programme_packs_requeue_stale()
