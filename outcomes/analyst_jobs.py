"""The analyst export in the background (issue 9): the page asks, a Celery worker builds
the file, the analyst watches its progress and downloads it; docs/data-protection.md,
"What an analyst receives".

The same flow as the outcome PDF reports (``outcomes.reports.services``), reusing its
atomic file write:

1. ``job_request`` creates the row (``AnalystExportJob``: the analyst, the filters, queued)
   and queues ``build_analyst_export`` after commit. A broker outage leaves it queued; the
   beat job ``jobs_requeue_stale`` sends it again.
2. The task (``acks_late`` and ``reject_on_worker_lost``: a worker that dies mid-export
   leaves its message to be delivered again) takes a PostgreSQL session advisory lock on the
   job, which PostgreSQL releases the moment the holder's connection drops, so a redelivery
   tells a dead worker (lock free) from a live one (lock held: try again shortly).
3. ``job_claim`` marks it running with a fresh claim token; a finished job is not run again.
4. ``job_build`` reads, checks k-anonymity and pseudonymises (``analyst.build_export``,
   reporting each stage on the row), writes the ZIP to a temporary file renamed into place,
   then in one transaction, checking the claim token, marks the row ready **and writes the
   audit entry** (who, when, filters, counts; never a row). Filters nothing qualifies for
   finish as "empty": no file, no audit entry, as nothing left the platform.
5. ``job_notify`` e-mails the analyst a link once (the row's ``notified_at`` is claimed
   first).
6. ``jobs_purge`` (beat, hourly) deletes each file ``AnalystExportJob.RETENTION`` (24 hours)
   after it was made, and the rows (filters and counts only) after 30 days.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from celery import shared_task
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from . import analyst, locks
from .analyst_models import AnalystExportJob
from .reports.services import _write_atomically

logger = logging.getLogger(__name__)

LOCK_NAMESPACE = zlib.crc32(b"upstream.analyst_export") & 0x7FFFFFFF
State = AnalystExportJob.State


def job_request(*, values: dict, resolved, user) -> AnalystExportJob:
    """A new job for these (already validated) filters; its task is queued after commit."""
    job = AnalystExportJob.objects.create(
        requested_by=user, filters=values, summary=analyst.filter_summary(resolved), stage="Waiting for a worker"
    )
    transaction.on_commit(lambda: job_enqueue(job_id=job.pk))
    return job


def job_enqueue(*, job_id: int) -> bool:
    try:
        build_analyst_export.delay(job_id)
    except Exception:  # kombu raises several connection errors; all mean "not sent"
        logger.warning("Could not queue analyst export %s; beat will retry", job_id, exc_info=True)
        return False
    return True


def jobs_requeue_stale(*, older_than: dt.timedelta = dt.timedelta(minutes=20)) -> int:
    """Beat: send again jobs left queued or running longer than the task's 15-minute time
    limit (a job whose worker is alive holds its lock: the second delivery waits)."""
    cutoff = timezone.now() - older_than
    stale = AnalystExportJob.objects.filter(state__in=[State.QUEUED, State.RUNNING], updated_at__lt=cutoff).values_list(
        "pk", flat=True
    )
    return sum(job_enqueue(job_id=pk) for pk in stale)


Busy = locks.Busy  # another live worker holds the job's lock


@contextmanager
def job_lock(job_id: int) -> Iterator[None]:
    """As ``outcomes.reports.services.render_lock``, in this module's own lock namespace."""
    with locks.job_lock(LOCK_NAMESPACE, job_id, what=f"analyst export {job_id}"):
        yield


def job_claim(*, job_id: int) -> AnalystExportJob | None:
    """Claim the job for this attempt (holding ``job_lock``); None when there is nothing to do."""
    with transaction.atomic():
        job = AnalystExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        job.attempts += 1
        if job.attempts > AnalystExportJob.MAX_ATTEMPTS:
            job.state = State.FAILED
            job.last_error = job.last_error or f"Gave up after {AnalystExportJob.MAX_ATTEMPTS} attempts."
            job.finished_at = timezone.now()
            job.save(update_fields=["state", "last_error", "finished_at", "attempts", "updated_at"])
            return None
        job.state = State.RUNNING
        job.claim_token = uuid.uuid4()
        job.claimed_at = timezone.now()
        job.stage = "Starting"
        job.progress = 5
        job.save(update_fields=["state", "attempts", "claim_token", "claimed_at", "stage", "progress", "updated_at"])
    return job


def job_build(*, job: AnalystExportJob) -> AnalystExportJob:
    """Build the claimed job's file and mark it ready (with its audit entry) in one transaction."""
    token = job.claim_token
    if token is None:
        raise ValueError("Claim the job (job_claim) before building it.")

    def stage(text: str, percent: int, **counts) -> None:
        AnalystExportJob.objects.filter(pk=job.pk, claim_token=token).update(
            stage=text[:80], progress=percent, updated_at=timezone.now(), **counts
        )

    resolved = analyst.parse_filters(job.filters)
    made = analyst.build_export(resolved, on_stage=stage)
    counts = {
        "checked": made.checked,
        "rows": len(made.rows),
        "dropped": made.report.dropped,
        "coarsened": made.report.coarsened_records,
    }
    path = ""
    size = None
    if made.rows:
        stage(f"Writing the file ({len(made.rows)} rows)", 85, **counts)
        with tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024) as spool:
            analyst.write_zip(made, spool)
            spool.seek(0)
            data = spool.read()
        path = _write_atomically(job.output_path, data, token)
        size = len(data)
    with transaction.atomic():
        current = AnalystExportJob.objects.select_for_update().get(pk=job.pk)
        if current.claim_token != token or current.state != State.RUNNING:
            return current
        now = timezone.now()
        current.state = State.READY if made.rows else State.EMPTY
        current.stage = "Ready" if made.rows else "Nothing qualified"
        current.progress = 100
        current.reference = made.reference if made.rows else ""
        current.file_path = path
        current.file_name = made.filename if made.rows else ""
        current.file_size = size
        current.last_error = ""
        current.finished_at = now
        current.expires_at = now + AnalystExportJob.RETENTION if made.rows else None
        for name, value in counts.items():
            setattr(current, name, value)
        current.save()
        if made.rows:
            analyst.log_export(made, current.requested_by)
    return current


def job_record_failure(*, job_id: int, error: str, final: bool = False) -> bool:
    """Record a failed attempt; True when the job has failed for good."""
    with transaction.atomic():
        job = AnalystExportJob.objects.select_for_update().get(pk=job_id)
        if job.is_finished:
            return True
        dead = final or job.attempts >= AnalystExportJob.MAX_ATTEMPTS
        job.state = State.FAILED if dead else State.QUEUED
        job.last_error = error[:2000]
        job.stage = "" if dead else "Waiting to try again"
        if dead:
            job.finished_at = timezone.now()
        job.save(update_fields=["state", "last_error", "stage", "finished_at", "updated_at"])
    return dead


def job_url(job: AnalystExportJob) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + reverse("outcomes_analyst_export:status", args=[job.pk])


def job_notify(*, job_id: int) -> bool:
    """E-mail the analyst a link to the finished job, once (``notified_at`` claimed first)."""
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string

    job = AnalystExportJob.objects.select_related("requested_by").get(pk=job_id)
    if job.state not in {State.READY, State.EMPTY, State.FAILED} or not job.requested_by.email:
        return False
    if not AnalystExportJob.objects.filter(pk=job.pk, notified_at__isnull=True).update(notified_at=timezone.now()):
        return False
    context = {"job": job, "url": job_url(job), "hours": int(AnalystExportJob.RETENTION.total_seconds() // 3600)}
    message = EmailMultiAlternatives(
        subject="[Upstream] " + render_to_string("outcomes/analyst/email/ready_subject.txt", context).strip(),
        body=render_to_string("outcomes/analyst/email/ready.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[job.requested_by.email],
    )
    message.attach_alternative(render_to_string("outcomes/analyst/email/ready.html", context), "text/html")
    try:
        message.send()
    except OSError:
        AnalystExportJob.objects.filter(pk=job.pk).update(notified_at=None)
        raise
    return True


def jobs_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete each file once its 24 hours are up (the row says "deleted"), and rows (filters
    and counts, no data) after 30 days. A running job is never touched."""
    now = now or timezone.now()
    files = 0
    for job in AnalystExportJob.objects.filter(state=State.READY, expires_at__lte=now):
        if job.file_path and default_storage.exists(job.file_path):
            default_storage.delete(job.file_path)
        AnalystExportJob.objects.filter(pk=job.pk, state=State.READY).update(
            state=State.EXPIRED, file_path="", stage="Deleted", updated_at=now
        )
        files += 1
    old = AnalystExportJob.objects.filter(created_at__lt=now - AnalystExportJob.ROW_RETENTION).exclude(
        state__in=[State.QUEUED, State.RUNNING]
    )
    for job in old.exclude(file_path=""):
        if default_storage.exists(job.file_path):
            default_storage.delete(job.file_path)
    rows, _ = old.delete()
    return {"files": files, "rows": rows}


def file_present(job: AnalystExportJob) -> bool:
    return bool(job.file_path) and default_storage.exists(job.file_path)


# --- Celery tasks (registered through ``outcomes.tasks``) ------------------------------


@shared_task(
    bind=True,
    name="outcomes.analyst.build_export",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=None,
    ignore_result=True,
    time_limit=15 * 60,
    soft_time_limit=14 * 60,
)
def build_analyst_export(self, job_id: int) -> None:
    """Build one export once (module docstring), then e-mail the analyst. Safe to deliver
    twice: a finished job is only notified (itself once), a live build elsewhere waits."""
    try:
        with job_lock(job_id):
            job = job_claim(job_id=job_id)
            if job is not None:
                try:
                    job_build(job=job)
                except Exception as exc:
                    logger.exception("Analyst export %s failed (attempt %s)", job_id, job.attempts)
                    dead = job_record_failure(
                        job_id=job_id, error=f"{type(exc).__name__}: {exc}", final=bool(self.request.is_eager)
                    )
                    if not dead:
                        raise self.retry(exc=exc, countdown=min(600, 15 * 2**job.attempts)) from exc
    except Busy:
        raise self.retry(countdown=5, max_retries=200) from None
    job_notify(job_id=job_id)


@shared_task(name="outcomes.analyst.requeue_stale", ignore_result=True)
def requeue_stale_analyst_exports() -> int:
    return jobs_requeue_stale()


@shared_task(name="outcomes.analyst.purge", acks_late=True, ignore_result=True)
def purge_analyst_exports() -> dict[str, int]:
    """Hourly: files past their 24 hours, rows past 30 days (``jobs_purge``)."""
    return jobs_purge()
