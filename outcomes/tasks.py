"""Celery tasks for outcomes: thin, idempotent wrappers around ``services`` (a refresh
recomputes its class pairs from the raw responses, so running one twice is harmless,
hence ``acks_late``). Pupil-side changes arrive through the surveys outbox, whose consumers are
registered in ``receivers`` and run inside the outbox's own task."""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from . import services

NIGHTLY_CHUNK = 200
_RETRY = {"autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(name="outcomes.tasks.refresh_pairs", acks_late=True, ignore_result=True, **_RETRY)
def refresh_pairs(*, keys: list[list]) -> dict[str, int]:
    """Refresh these (class id, "post" | "follow_up") pairs."""
    result = services.class_pairs_refresh(keys=[(int(group_id), str(compare)) for group_id, compare in keys])
    return {"refreshed": result.refreshed, "changed": result.changed}


@shared_task(name="outcomes.tasks.refresh_windows", acks_late=True, ignore_result=True, **_RETRY)
def refresh_windows(*, window_ids: list[int]) -> dict[str, int]:
    result = services.windows_refresh(window_ids=window_ids)
    return {"refreshed": result.refreshed, "changed": result.changed}


@shared_task(name="outcomes.tasks.refresh_closed_windows", acks_late=True, ignore_result=True)
def refresh_closed_windows() -> int:
    """Beat, every few minutes: windows that closed at their closing time since their pairs
    were last refreshed. Returns how many pairs were refreshed."""
    keys = services.pairs_due()
    if keys:
        services.class_pairs_refresh(keys=keys)
    return len(keys)


@shared_task(name="outcomes.tasks.refresh_all", acks_late=True, ignore_result=True)
def refresh_all() -> int:
    """Nightly: every class pair, in chunks spread over the workers (school moves,
    anything a trigger missed; lesson logs and plan changes have their own outbox kinds,
    ``receivers``). Returns how many chunks were queued."""
    keys = services.all_pair_keys()
    chunks = [keys[i : i + NIGHTLY_CHUNK] for i in range(0, len(keys), NIGHTLY_CHUNK)]
    for chunk in chunks:
        refresh_pairs.delay(keys=[list(key) for key in chunk])
    return len(chunks)


# PDF reports' tasks and the analyst export's background job, registered with the worker
# alongside these (issue 9).
from . import analyst_jobs as _analyst_jobs  # noqa: E402, F401
from .reports import tasks as _report_tasks  # noqa: E402, F401
