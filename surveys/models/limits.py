"""Counters behind the limits on pupils' code attempts (surveys.pupil.access).

A row counts failed attempts by one "who" (a session, an address, a window, or a pair)
in a fixed period; ``counter_key`` is a keyed hash, so no address or session key is
stored. Counting is one atomic statement (``INSERT ... ON CONFLICT DO UPDATE``), so
requests sent at once cannot slip past a limit the way a read-then-write cache counter
lets them. Expired rows are deleted by the nightly purge."""

from __future__ import annotations

from django.db import models


class AccessCounter(models.Model):
    counter_key = models.CharField(max_length=64, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["expires_at"], name="accesscounter_expiry_idx")]
