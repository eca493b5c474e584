"""Asking for, rendering and delivering outcome reports, exactly once per data version.

The flow (docs/outcome-reports.md):

1. ``report_request`` finds or creates the row for (kind, scope, filters, the programme's
   current data version). Unchanged figures give the existing row: a ready PDF at once.
   New figures move the data version, so the same request makes a new row and a new render.
   The render task is queued after commit.
2. The task (``tasks.render_outcome_report``, ``acks_late`` and ``reject_on_worker_lost``,
   so a worker that dies mid-render leaves the message to be delivered again) takes a
   PostgreSQL session advisory lock on the report. PostgreSQL releases it the moment the
   holder's connection drops, so a redelivered task can tell a dead renderer (lock free)
   from a live one (lock held: try again shortly), without waiting for a lease to expire.
3. Holding the lock, ``report_claim`` marks the row rendering with a fresh claim token; a
   row already ready (its file present) is not rendered again.
4. ``report_render`` writes the PDF to a temporary file beside its deterministic path and
   renames it into place (atomic), then marks the row ready in one transaction, checking the
   claim token. A re-render after a crash replaces the same file: never two files.
5. ``report_notify``: each person who asked before it was ready is e-mailed a link once:
   their ``notified_at`` is claimed by a conditional update before the e-mail is sent.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import School, User
from lessons.models import ProgrammePage

from .. import locks
from ..selectors import data_versions
from . import render
from .content import report_filters
from .models import OutcomeReport, OutcomeReportRequest

logger = logging.getLogger(__name__)

LOCK_NAMESPACE = zlib.crc32(b"upstream.outcome_report") & 0x7FFFFFFF


def filter_key(filters: dict) -> str:
    return hashlib.sha256(json.dumps(filters, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def report_request(
    *, kind: str, programme: ProgrammePage, academic_year: int, school: School | None = None, user: User
) -> tuple[OutcomeReport, bool]:
    """Find or create the report for the programme's current figures and remember who asked.
    Returns (report, queued): ``queued`` is True when a render was (re)queued."""
    if (kind == OutcomeReport.Kind.SCHOOL) != (school is not None):
        raise ValueError("A school report needs a school, and only a school report has one.")
    filters = report_filters(
        kind=kind, programme=programme.slug, academic_year=academic_year, school_urn=school.urn if school else None
    )
    version = data_versions([programme.pk])[programme.pk]
    scope_key = f"school:{school.urn}" if school is not None else "region"
    queued = False
    with transaction.atomic():
        report, created = OutcomeReport.objects.select_for_update().get_or_create(
            kind=kind,
            scope_key=scope_key,
            filter_key=filter_key(filters),
            data_version=version,
            defaults={
                "filters": filters,
                "programme": programme,
                "academic_year": academic_year,
                "school": school,
                "requested_by": user,
            },
        )
        ready = report.status == OutcomeReport.Status.READY and _file_present(report)
        if report.status == OutcomeReport.Status.FAILED or (report.status == OutcomeReport.Status.READY and not ready):
            # Asking again after a failure (or a lost file) starts over with fresh attempts.
            report.status = OutcomeReport.Status.QUEUED
            report.attempts = 0
            report.last_error = ""
            report.progress = 0
            report.stage = ""
            report.save(update_fields=["status", "attempts", "last_error", "progress", "stage", "updated_at"])
            created = True
            ready = False
        request, made = OutcomeReportRequest.objects.get_or_create(
            report=report, user=user, defaults={"wants_email": not ready}
        )
        if not made and not ready and request.notified_at is None and not request.wants_email:
            OutcomeReportRequest.objects.filter(pk=request.pk).update(wants_email=True)
        if created:
            queued = True
            transaction.on_commit(lambda: report_enqueue(report_id=report.pk))
    return report, queued


def _file_present(report: OutcomeReport) -> bool:
    return bool(report.file_path) and default_storage.exists(report.file_path)


def report_enqueue(*, report_id: int) -> bool:
    """Send the render task; a broker outage leaves the report queued for the beat job."""
    from .tasks import render_outcome_report

    try:
        render_outcome_report.delay(report_id)
    except Exception:  # kombu raises several connection errors; all mean "not sent"
        logger.warning("Could not queue outcome report %s; beat will retry", report_id, exc_info=True)
        return False
    return True


def reports_requeue_stale(*, older_than: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """Beat: re-send reports left queued or rendering for longer than ``older_than`` (above
    the task time limit). Harmless if the first message is still alive: the lock and the
    claim make the second delivery a no-op or a wait."""
    cutoff = timezone.now() - older_than
    stale = OutcomeReport.objects.filter(
        status__in=[OutcomeReport.Status.QUEUED, OutcomeReport.Status.RENDERING], updated_at__lt=cutoff
    ).values_list("pk", flat=True)
    return sum(report_enqueue(report_id=pk) for pk in stale)


# --- The render, exactly once ----------------------------------------------------------


Busy = locks.Busy  # another live worker holds the report's render lock


@contextmanager
def render_lock(report_id: int) -> Iterator[None]:
    """The report's render lock (``outcomes.locks.job_lock``), held for the whole render."""
    with locks.job_lock(LOCK_NAMESPACE, report_id, what=f"report {report_id}"):
        yield


def report_claim(*, report_id: int) -> OutcomeReport | None:
    """Claim the report for this attempt (call while holding ``render_lock``). None when
    there is nothing to render: ready with its file, failed, gone, or out of attempts."""
    with transaction.atomic():
        report = OutcomeReport.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.status == OutcomeReport.Status.FAILED:
            return None
        if report.status == OutcomeReport.Status.READY and _file_present(report):
            return None
        report.attempts += 1
        if report.attempts > OutcomeReport.MAX_ATTEMPTS:
            report.status = OutcomeReport.Status.FAILED
            report.last_error = report.last_error or f"Gave up after {OutcomeReport.MAX_ATTEMPTS} attempts."
            report.finished_at = timezone.now()
            report.save(update_fields=["status", "last_error", "finished_at", "attempts", "updated_at"])
            return None
        report.status = OutcomeReport.Status.RENDERING
        report.claim_token = uuid.uuid4()
        report.claimed_at = timezone.now()
        report.stage = "Starting"
        report.progress = 5
        report.save(
            update_fields=["status", "attempts", "claim_token", "claimed_at", "stage", "progress", "updated_at"]
        )
    return report


def _write_atomically(path: str, data: bytes, token: uuid.UUID) -> str:
    """Write ``data`` at exactly ``path``: to a temporary file beside it, then renamed over
    it (atomic on one file system), so a reader never sees half a file and a second render
    replaces the first instead of adding ``report-1_a8f3.pdf``."""
    try:
        final = default_storage.path(path)
    except NotImplementedError:  # remote storage: overwrite by name
        if default_storage.exists(path):
            default_storage.delete(path)
        return default_storage.save(path, ContentFile(data))
    os.makedirs(os.path.dirname(final), exist_ok=True)
    temporary = f"{final}.{token.hex}.tmp"
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, final)
    return path


def report_render(*, report: OutcomeReport) -> OutcomeReport:
    """Render the claimed report, write its file, and mark it ready in one transaction."""
    token = report.claim_token
    if token is None:
        raise ValueError("Claim the report (report_claim) before rendering it.")

    def stage(text: str, percent: int) -> None:
        OutcomeReport.objects.filter(pk=report.pk, claim_token=token).update(
            stage=text, progress=percent, updated_at=timezone.now()
        )

    data, pages = render.report_pdf(report, on_stage=stage)
    path = _write_atomically(report.output_path, data, token)
    with transaction.atomic():
        current = OutcomeReport.objects.select_for_update().get(pk=report.pk)
        if current.claim_token == token and current.status == OutcomeReport.Status.RENDERING:
            current.status = OutcomeReport.Status.READY
            current.file_path = path
            current.file_size = len(data)
            current.file_sha256 = hashlib.sha256(data).hexdigest()
            current.page_count = pages
            current.stage = "Ready"
            current.progress = 100
            current.last_error = ""
            current.finished_at = timezone.now()
            current.save()
    return current


def report_record_failure(*, report_id: int, error: str, final: bool = False) -> bool:
    """Record a failed attempt; True when the report is now failed for good (the caller
    stops retrying)."""
    with transaction.atomic():
        report = OutcomeReport.objects.select_for_update().get(pk=report_id)
        if report.status == OutcomeReport.Status.READY:
            return True
        dead = final or report.attempts >= OutcomeReport.MAX_ATTEMPTS
        report.status = OutcomeReport.Status.FAILED if dead else OutcomeReport.Status.QUEUED
        report.last_error = error[:2000]
        report.stage = ""
        if dead:
            report.finished_at = timezone.now()
        report.save(update_fields=["status", "last_error", "stage", "finished_at", "updated_at"])
    return dead


# --- E-mail, once per person ----------------------------------------------------------


def report_url(report: OutcomeReport) -> str:
    if report.kind == OutcomeReport.Kind.REGIONAL:
        path = reverse("outcome_reports_admin:status", args=[report.pk])
    else:
        path = reverse("outcome_reports:status", args=[report.pk])
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def report_notify(*, report_id: int) -> int:
    """E-mail everyone who asked for this (ready) report before it was ready, once each.
    ``notified_at`` is claimed before sending: a task delivered twice cannot send twice.
    (A worker dying between the claim and the send loses that one e-mail; the report is
    still on its page.) Returns how many e-mails were sent."""
    from django.core.mail import EmailMultiAlternatives
    from django.template.loader import render_to_string

    report = OutcomeReport.objects.select_related("programme", "school").get(pk=report_id)
    if report.status != OutcomeReport.Status.READY:
        return 0
    sent = 0
    pending = OutcomeReportRequest.objects.filter(report=report, wants_email=True, notified_at__isnull=True)
    for request in pending.select_related("user"):
        claimed = OutcomeReportRequest.objects.filter(pk=request.pk, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
        if not claimed or not request.user.email:
            continue
        context = {
            "title": f"{report.programme.title}: {report.school.name if report.school else settings.UPSTREAM_REGION_NAME}",
            "kind": report.get_kind_display(),
            "year": report.academic_year,
            "url": report_url(report),
        }
        message = EmailMultiAlternatives(
            subject="[Upstream] " + render_to_string("outcomes/reports/email/ready_subject.txt", context).strip(),
            body=render_to_string("outcomes/reports/email/ready.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[request.user.email],
        )
        message.attach_alternative(render_to_string("outcomes/reports/email/ready.html", context), "text/html")
        try:
            message.send()
        except OSError:
            # Not sent: give the claim back so a retry sends it.
            OutcomeReportRequest.objects.filter(pk=request.pk).update(notified_at=None)
            raise
        sent += 1
    return sent


# --- Retention ------------------------------------------------------------------------

SUPERSEDED_DAYS = 90
FAILED_DAYS = 30


def reports_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Nightly: delete reports (row, requests and file) superseded by a newer data version
    of the same report for more than 90 days, and failed ones after 30 days. The newest
    version of each report is kept while its programme exists (it holds only suppressed
    aggregates). Returns how many of each were deleted."""
    now = now or timezone.now()
    newest: dict[tuple, int] = {}
    for kind, scope, key, version in OutcomeReport.objects.values_list(
        "kind", "scope_key", "filter_key", "data_version"
    ):
        newest[(kind, scope, key)] = max(version, newest.get((kind, scope, key), version))
    superseded = [
        report
        for report in OutcomeReport.objects.filter(created_at__lt=now - dt.timedelta(days=SUPERSEDED_DAYS)).exclude(
            status=OutcomeReport.Status.RENDERING
        )
        if report.data_version < newest[(report.kind, report.scope_key, report.filter_key)]
    ]
    failed = list(
        OutcomeReport.objects.filter(
            status=OutcomeReport.Status.FAILED, updated_at__lt=now - dt.timedelta(days=FAILED_DAYS)
        )
    )
    for report in {r.pk: r for r in superseded + failed}.values():
        if report.file_path and default_storage.exists(report.file_path):
            default_storage.delete(report.file_path)
        report.delete()
    return {"superseded": len(superseded), "failed": len(failed)}
