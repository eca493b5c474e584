"""Celery tasks for outcome reports (imported by ``outcomes.tasks`` so workers find them)."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.signals import worker_process_init

from . import render, services

logger = logging.getLogger(__name__)


@worker_process_init.connect(dispatch_uid="outcomes.reports.warm_up")
def warm_up_renderer(**_kwargs) -> None:
    """Each worker process loads WeasyPrint's and matplotlib's fonts and C types when it
    starts, not during the first report someone waits for (``render.warm_up``: one small
    made-up page, no database). A failure here is logged and never stops the worker; the
    first render then loads them itself. (Celery gives this hook 4 s,
    ``worker_proc_alive_timeout``; the warm-up takes about 0.3 to 0.5 s of CPU.)"""
    try:
        seconds = render.warm_up()
    except Exception:
        logger.exception("Report renderer warm-up failed; the first render will load its fonts itself")
        return
    logger.info("Report renderer warmed up in %.2f s", seconds)


@shared_task(
    bind=True,
    name="outcomes.reports.render",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
    ignore_result=True,
)
def render_outcome_report(self, report_id: int) -> None:
    """Render a report once (services docstring: lock, claim, atomic file, ready row), then
    e-mail those who asked. Safe to deliver twice: a ready report is only notified (which is
    itself once per person), and a live render elsewhere makes this one wait and look again."""
    try:
        with services.render_lock(report_id):
            report = services.report_claim(report_id=report_id)
            if report is not None:
                try:
                    services.report_render(report=report)
                except Exception as exc:
                    logger.exception("Outcome report %s failed (attempt %s)", report_id, report.attempts)
                    dead = services.report_record_failure(
                        report_id=report_id,
                        error=f"{type(exc).__name__}: {exc}",
                        final=bool(self.request.is_eager),
                    )
                    if dead:
                        return
                    raise self.retry(exc=exc, countdown=min(600, 15 * 2**report.attempts))
    except services.Busy:
        # Another worker is rendering it now; look again shortly (its file will be ready, or
        # its connection, and so its lock, will have gone with it).
        raise self.retry(countdown=5, max_retries=200)
    services.report_notify(report_id=report_id)


@shared_task(name="outcomes.reports.requeue_stale", ignore_result=True)
def requeue_stale_outcome_reports() -> int:
    return services.reports_requeue_stale()


@shared_task(name="outcomes.reports.purge", acks_late=True, ignore_result=True)
def purge_outcome_reports() -> dict[str, int]:
    """Nightly: superseded and failed reports past their retention (services.reports_purge)."""
    return services.reports_purge()
