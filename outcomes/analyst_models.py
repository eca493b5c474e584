"""The analyst export as a background job (``outcomes.analyst_jobs``): one row per export an
analyst asked for, personal to them. The row, never Celery's result backend, is the source
of truth: the worker claims it, builds the file, writes it atomically and marks it ready in
one transaction with the audit entry. Imported by ``outcomes.models`` so Django finds it.

The row holds the filters and counts, never a record; the file (records of matched pupils,
pseudonymised and k-anonymous) is deleted ``RETENTION`` after it was made."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models


class AnalystExportJob(models.Model):
    MAX_ATTEMPTS = 3
    #: How long a made file is kept for its analyst to download (docs/data-protection.md).
    RETENTION = dt.timedelta(hours=24)
    #: How long the row (filters and counts, no data) stays in the analyst's list.
    ROW_RETENTION = dt.timedelta(days=30)

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Being prepared"
        READY = "ready", "Ready"
        EMPTY = "empty", "Nothing qualified"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Deleted (kept 24 hours)"

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    filters = models.JSONField(help_text="The form's values, as the analyst chose them.")
    summary = models.JSONField(default=dict, help_text="The filters in words (outcomes.analyst.filter_summary).")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    stage = models.CharField(max_length=80, blank=True, help_text="What the worker is doing now.")
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent.")
    checked = models.PositiveIntegerField(null=True, blank=True, help_text="Matched pupils checked.")
    rows = models.PositiveIntegerField(null=True, blank=True, help_text="Rows in the file.")
    dropped = models.PositiveIntegerField(null=True, blank=True, help_text="Rows left out by the k-anonymity check.")
    coarsened = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claim_token = models.UUIDField(null=True, blank=True, help_text="The attempt that holds the job.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    reference = models.CharField(max_length=16, blank=True, help_text="The export's audit reference.")
    file_path = models.CharField(max_length=255, blank=True)
    file_name = models.CharField(max_length=120, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="When the file is deleted.")
    notified_at = models.DateTimeField(null=True, blank=True, help_text="When the analyst was e-mailed.")

    class Meta:
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="analystjob_user_idx"),
            models.Index(fields=["state", "updated_at"], name="analystjob_state_idx"),
        ]

    def __str__(self) -> str:
        return f"Analyst export {self.pk} ({self.get_state_display()})"

    @property
    def output_path(self) -> str:
        """Deterministic: a second attempt replaces the same file, never a copy."""
        return f"analyst-exports/export-{self.pk}.zip"

    @property
    def is_finished(self) -> bool:
        return self.state not in {self.State.QUEUED, self.State.RUNNING}

    @property
    def summary_text(self) -> str:
        """The filters in words: "programme choices; academic year all; ..." (in the form's
        order: PostgreSQL's jsonb does not keep the keys' order)."""
        order = ("programme", "academic_year", "local_authority", "school", "year_group", "comparison")
        names = sorted(self.summary, key=lambda name: order.index(name) if name in order else len(order))
        return "; ".join(f"{name.replace('_', ' ')} {self.summary[name]}" for name in names)

    @property
    def progress_percent(self) -> int:
        return 100 if self.is_finished else min(99, self.progress)
