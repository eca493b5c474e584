"""Outcome reports: one row per rendered PDF, keyed by (kind, scope, filters, data
version), and one row per person who asked for it (who is e-mailed, exactly once).

The row, never Celery's result backend, is the source of truth: the task claims it,
renders, writes the file atomically, then marks it ready in one transaction
(``outcomes.reports.services``). Imported by ``outcomes.models`` so Django finds it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class OutcomeReport(models.Model):
    MAX_ATTEMPTS = 5

    class Kind(models.TextChoices):
        REGIONAL = "regional", "Regional programme report"
        SCHOOL = "school", "School report"

    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RENDERING = "rendering", "Being prepared"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    scope_key = models.CharField(max_length=40, help_text='"region", or "school:<URN>".')
    filter_key = models.CharField(max_length=64, help_text="SHA-256 of the filters, as canonical JSON.")
    filters = models.JSONField(help_text="The outcome filters the report was asked for.")
    data_version = models.PositiveBigIntegerField(help_text="The programme's DataVersion when it was asked for.")
    programme = models.ForeignKey("lessons.ProgrammePage", on_delete=models.CASCADE, related_name="+")
    academic_year = models.PositiveSmallIntegerField()
    school = models.ForeignKey("accounts.School", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    stage = models.CharField(max_length=80, blank=True, help_text="What the renderer is doing now.")
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent.")
    attempts = models.PositiveSmallIntegerField(default=0)
    claim_token = models.UUIDField(null=True, blank=True, help_text="The attempt that holds the render.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    file_path = models.CharField(max_length=255, blank=True)
    file_size = models.PositiveIntegerField(null=True, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    page_count = models.PositiveSmallIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "scope_key", "filter_key", "data_version"], name="outcomereport_unique_key"
            ),
        ]
        indexes = [models.Index(fields=["status", "updated_at"], name="outcomereport_status_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.scope_key} v{self.data_version} ({self.get_status_display()})"

    @property
    def output_path(self) -> str:
        """Deterministic storage path: a re-render replaces the same file, never a copy."""
        return f"outcome-reports/report-{self.pk}-v{self.data_version}.pdf"

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.READY, self.Status.FAILED}

    @property
    def progress_percent(self) -> int:
        return 100 if self.status == self.Status.READY else min(99, self.progress)

    @property
    def download_name(self) -> str:
        from django.utils.text import slugify

        scope = "region" if self.kind == self.Kind.REGIONAL else slugify(self.school.name if self.school else "school")
        return f"outcomes-{self.filters.get('programme', 'programme')}-{scope}-{self.academic_year}-v{self.data_version}.pdf"


class OutcomeReportRequest(models.Model):
    """Someone asked for a report. Those who asked before it was ready get one e-mail with
    a link when it is (``notified_at`` is claimed before sending, so never twice)."""

    report = models.ForeignKey(OutcomeReport, on_delete=models.CASCADE, related_name="requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    wants_email = models.BooleanField(default=True)
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="outcomereportrequest_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} asked for report {self.report_id}"
