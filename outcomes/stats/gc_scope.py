"""``young_objects_only``: let the garbage collector scan only objects made inside a block.

Some libraries call ``gc.collect()`` (statsmodels on every multiple-testing adjustment) or
make enough objects to trigger many full collections (WeasyPrint laying out a report). In a
Django process each full collection walks every object the process holds, a few hundred
thousand, for nothing: that heap is long-lived. ``gc.freeze()`` moves it to a permanent
generation for the length of the block, and ``gc.unfreeze()`` hands it back, so cycles made
before the block are still collected later. Plain Python, so the outcome maths can use it."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def young_objects_only() -> Iterator[None]:
    """Collect only objects made inside the block. A process that froze its heap itself
    (``gc.freeze`` at start-up, as pre-fork servers do) is left as it was."""
    if gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
