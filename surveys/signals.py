"""In the embedded default there is no broker and no beat, so nothing would ever relay the
outbox. With UPSTREAM_OUTBOX_RELAY_ON_COMMIT (on in config.settings.dev only), a new
outbox row is relayed in process right after its transaction commits. Production and the
test suite leave it off: there, beat (or ``manage.py relay_outbox``) does the relaying."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import Signal, receiver

from .models import OutboxMessage

#: Sent by ``services.retention.pupil_data_purge`` inside its transaction, just before the raw
#: responses or the linkage of some windows are deleted, with ``window_ids`` (a set) and
#: ``reason``. Outcomes freezes those windows' rollups here (it must happen in the same
#: transaction: a refresh after the delete would rebuild them to empty). A receiver that
#: raises rolls the purge back, to be retried the next night.
pupil_data_purging = Signal()


@receiver(post_save, sender=OutboxMessage)
def relay_in_process_after_commit(sender, instance, created, **kwargs):
    if created and getattr(settings, "UPSTREAM_OUTBOX_RELAY_ON_COMMIT", False):
        from .services.outbox import outbox_relay

        transaction.on_commit(outbox_relay)
