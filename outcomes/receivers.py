"""What outcomes listens to in surveys, wired once at start-up (``OutcomesConfig.ready``).

- Outbox kinds (decision 1: pupil-side work never depends on the broker): surveys writes the
  message in the transaction that changed the responses; the relay hands it to the task
  named here, which refreshes the affected class pairs.
- ``surveys.signals.pupil_data_purging``: sent inside the retention purge's transaction
  before raw responses or linkage go; the affected pairs are brought up to date once more
  and frozen, in that same transaction, so their rollups are kept and never rebuilt to empty.
"""

from __future__ import annotations

CONSUMERS = {
    "window_closed": "outcomes.tasks.window_closed",
    "responses_imported": "outcomes.tasks.responses_changed",
    "pupil_withdrawn": "outcomes.tasks.responses_changed",
    "responses_recounted": "outcomes.tasks.responses_changed",
}


def freeze_before_purge(sender, *, window_ids, reason: str, **kwargs) -> None:
    from .services import pairs_freeze

    pairs_freeze(window_ids=window_ids, reason=reason)


def register() -> None:
    from surveys.services import outbox
    from surveys.signals import pupil_data_purging

    for kind, task_name in CONSUMERS.items():
        outbox.CONSUMERS.setdefault(kind, task_name)
    pupil_data_purging.connect(freeze_before_purge, dispatch_uid="outcomes.freeze_before_purge")
