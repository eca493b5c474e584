"""Whole-programme lesson packs, rendered in the background. The row is the source of
truth for the task (status, progress, attempts), never Celery's result backend."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from .pages import ProgrammePage


class ProgrammePack(models.Model):
    """One PDF pack per programme and set of published lesson versions.

    ``content_key`` hashes the programme's and its lessons' live revision ids, so asking
    again for unchanged content reuses the same row and file, and an edit gives a new one.
    """

    MAX_ATTEMPTS = 5

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to start"
        RUNNING = "running", "Being prepared"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    programme = models.ForeignKey(ProgrammePage, on_delete=models.CASCADE, related_name="packs")
    content_key = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    lessons_total = models.PositiveSmallIntegerField(default=0)
    lessons_done = models.PositiveSmallIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    file_path = models.CharField(max_length=255, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["programme", "content_key"], name="programmepack_unique_content"),
        ]

    def __str__(self) -> str:
        return f"Lesson pack for {self.programme.title} ({self.get_status_display()})"

    @property
    def output_path(self) -> str:
        """Deterministic storage path: a re-run overwrites the same file, never a copy."""
        return f"lesson-plans/packs/programme-{self.programme_id}-{self.content_key[:20]}.pdf"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.lessons_total:
            return 0
        return min(99, round(100 * self.lessons_done / self.lessons_total))

    @property
    def is_finished(self) -> bool:
        return self.status in {self.Status.DONE, self.Status.FAILED}
