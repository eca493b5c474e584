"""The pupil pages' in-process cache of survey windows (the pages of frozen instrument
versions are cached in ``surveys.survey_pages``).

Windows read for pages that do not decide anything on the window's state (the question
pages, which only need its layout, version and school; the thank-you and goodbye pages)
are kept in process for a few seconds, so a class answering at once reads each window
about once per worker every ``WINDOW_SECONDS`` instead of on every page. A window closed
by hand may still show its next question page for that long: the save then re-reads and
locks the window and refuses the answers (``surveys.services.submission``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

WINDOW_SECONDS = 10.0
_WINDOWS: dict[int, tuple[float, object]] = {}
_LIMIT = 512


def window(window_id: int, read: Callable[[], T | None]) -> T | None:
    """The cached window when it is fresh, else ``read()`` (kept when it found one)."""
    now = time.monotonic()
    cached = _WINDOWS.get(window_id)
    if cached is not None and now - cached[0] < WINDOW_SECONDS:
        return cached[1]  # type: ignore[return-value]
    found = read()
    if found is not None:
        if len(_WINDOWS) >= _LIMIT:
            _WINDOWS.clear()
        _WINDOWS[window_id] = (now, found)
    return found


def clear() -> None:
    _WINDOWS.clear()
