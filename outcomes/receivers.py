"""What outcomes listens to in surveys, wired once at start-up (``OutcomesConfig.ready``).

- Outbox kinds (docs/decisions.md#1: pupil-side work never depends on the broker): surveys writes the
  message in the transaction that changed the responses; the outbox runs the consumer
  registered here, which refreshes the affected class pairs in the same transaction that
  deletes the message, so the refresh happens exactly once (a failure keeps the message
  for another attempt, dead-lettered after 5).
- ``surveys.signals.pupil_data_purging``: sent inside the retention purge's transaction
  before raw responses or linkage go; the affected pairs are brought up to date once more
  and frozen, in that same transaction, so their rollups are kept and never rebuilt to empty.
"""

from __future__ import annotations


def window_closed(payload: dict) -> None:
    """A teacher closed a window by hand."""
    from .services import windows_refresh

    windows_refresh(window_ids=[int(payload["window_id"])])


def responses_changed(payload: dict) -> None:
    """A paper import committed, a pupil's data was withdrawn, or a window's responses
    were recounted. Refreshing is idempotent, so a redelivered message repeats the same work."""
    from .services import windows_refresh

    windows_refresh(window_ids=[int(pk) for pk in payload["window_ids"]])


CONSUMERS = {
    "window_closed": window_closed,
    "responses_imported": responses_changed,
    "pupil_withdrawn": responses_changed,
    "responses_recounted": responses_changed,
}


def freeze_before_purge(sender, *, window_ids, reason: str, **kwargs) -> None:
    from .services import pairs_freeze

    pairs_freeze(window_ids=window_ids, reason=reason)


def register() -> None:
    from surveys.services import outbox
    from surveys.signals import pupil_data_purging

    for kind, consumer in CONSUMERS.items():
        outbox.register_consumer(kind, consumer)
    pupil_data_purging.connect(freeze_before_purge, dispatch_uid="outcomes.freeze_before_purge")
