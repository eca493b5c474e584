"""Transactional outbox (docs/decisions.md#1): work that must follow a pupil submission is written
here in the same transaction and relayed to Celery when the broker is reachable.

A row exists only while its work is still to do: the consumer deletes it in the same
transaction as the work (``surveys.services.outbox``), so no exact time stays beside a
response or a school once the work is done. A dead-lettered row keeps only the day it
failed (``failed_on``) for a person to look at."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    kind = models.CharField(max_length=60)
    payload = models.JSONField(default=dict)
    available_at = models.DateTimeField(
        default=timezone.now, help_text="When it may next be handed to a consumer (exact only while pending)."
    )
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times handed to a consumer.")
    failed_on = models.DateField(null=True, blank=True, help_text="Dead-lettered after 5 attempts, on this day.")
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["available_at"], condition=models.Q(failed_on__isnull=True), name="outbox_due_idx")
        ]
