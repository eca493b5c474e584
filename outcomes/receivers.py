"""What outcomes listens to in surveys, wired once at start-up (``OutcomesConfig.ready``).

- Outbox kinds (docs/decisions.md#1: pupil-side work never depends on the broker): surveys writes the
  message in the transaction that changed the responses; the outbox runs the consumer
  registered here, which refreshes the affected class pairs in the same transaction that
  deletes the message, so the refresh happens exactly once (a failure keeps the message
  for another attempt, dead-lettered after 5).
- ``surveys.signals.pupil_data_purging``: sent inside the retention purge's transaction
  before raw responses or linkage go; the affected pairs are brought up to date once more
  and frozen, in that same transaction, so their rollups are kept and never rebuilt to empty.
- The delivery log and the programmes' plans (``lessons``, which imports neither surveys nor
  outcomes): a ``LessonDelivery`` saved or deleted, and a ``LessonPage`` published,
  unpublished, moved or deleted, change a class's fidelity numbers and so its dose band.
  Django's and Wagtail's own signals are received here, in the transaction that made the
  change, and an outbox message (``lessons_delivered_changed``, ``lesson_plan_changed``) is
  written beside it; its consumer runs ``services.pairs_dose_refresh``, which rewrites the
  bands and the area rows' ``dose`` categories without recounting responses.
"""

from __future__ import annotations

TREE_STEP = 4  # characters per level of a Wagtail page path (treebeard's steplen)


def window_closed(payload: dict) -> None:
    """A teacher closed a window by hand."""
    from .services import windows_refresh

    windows_refresh(window_ids=[int(payload["window_id"])])


def responses_changed(payload: dict) -> None:
    """A paper import committed, a pupil's data was withdrawn, or a window's responses
    were recounted. Refreshing is idempotent, so a redelivered message repeats the same work."""
    from .services import windows_refresh

    windows_refresh(window_ids=[int(pk) for pk in payload["window_ids"]])


def deliveries_changed(payload: dict) -> None:
    """Lessons were logged, corrected or undone for these classes."""
    from .services import pairs_dose_refresh

    pairs_dose_refresh(group_ids=[int(pk) for pk in payload["group_ids"]])


def plan_changed(payload: dict) -> None:
    """A lesson of these programmes was published, unpublished, moved or deleted."""
    from .services import pairs_dose_refresh

    pairs_dose_refresh(programme_ids=[int(pk) for pk in payload["programme_ids"]])


CONSUMERS = {
    "window_closed": window_closed,
    "responses_imported": responses_changed,
    "pupil_withdrawn": responses_changed,
    "responses_recounted": responses_changed,
    "lessons_delivered_changed": deliveries_changed,
    "lesson_plan_changed": plan_changed,
}


def freeze_before_purge(sender, *, window_ids, reason: str, **kwargs) -> None:
    from .services import pairs_freeze

    pairs_freeze(window_ids=window_ids, reason=reason)


def delivery_saved_or_deleted(sender, *, instance, raw: bool = False, **kwargs) -> None:
    """A delivery log entry changed: its class's dose band may have moved."""
    from surveys.services.outbox import outbox_message_create

    if raw:  # loading fixtures: nothing has been built from them yet
        return
    outbox_message_create(kind="lessons_delivered_changed", payload={"group_ids": [instance.group_id]})


def _programme_of(page) -> list[int]:
    """The programme a lesson sits under (its parent, found by path: a deleted page's
    parent link may already be gone)."""
    from lessons.models import ProgrammePage

    parent_path = page.path[:-TREE_STEP]
    return list(ProgrammePage.objects.filter(path=parent_path).values_list("pk", flat=True))


def _plan_changed(programme_ids: list[int]) -> None:
    from surveys.services.outbox import outbox_message_create

    if programme_ids:
        outbox_message_create(kind="lesson_plan_changed", payload={"programme_ids": sorted(set(programme_ids))})


def lesson_published_or_gone(sender, *, instance, **kwargs) -> None:
    """A lesson was published (perhaps for the first time), unpublished or deleted: its
    programme's plan (the count of live lessons) may have changed."""
    _plan_changed(_programme_of(instance))


def lesson_moved(sender, *, instance, parent_page_before, parent_page_after, **kwargs) -> None:
    """A lesson moved: both programmes' plans, and the classes' delivered counts, may change."""
    _plan_changed([parent_page_before.pk, parent_page_after.pk])


def register() -> None:
    from django.db.models.signals import post_delete, post_save
    from wagtail.signals import page_published, page_unpublished, post_page_move

    from lessons.models import LessonDelivery, LessonPage
    from surveys.services import outbox
    from surveys.signals import pupil_data_purging

    for kind, consumer in CONSUMERS.items():
        outbox.register_consumer(kind, consumer)
    pupil_data_purging.connect(freeze_before_purge, dispatch_uid="outcomes.freeze_before_purge")
    post_save.connect(delivery_saved_or_deleted, sender=LessonDelivery, dispatch_uid="outcomes.delivery_saved")
    post_delete.connect(delivery_saved_or_deleted, sender=LessonDelivery, dispatch_uid="outcomes.delivery_deleted")
    page_published.connect(lesson_published_or_gone, sender=LessonPage, dispatch_uid="outcomes.lesson_published")
    page_unpublished.connect(lesson_published_or_gone, sender=LessonPage, dispatch_uid="outcomes.lesson_unpublished")
    post_delete.connect(lesson_published_or_gone, sender=LessonPage, dispatch_uid="outcomes.lesson_deleted")
    post_page_move.connect(lesson_moved, sender=LessonPage, dispatch_uid="outcomes.lesson_moved")
