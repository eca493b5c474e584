"""The session advisory lock that keeps one worker on one long job (a PDF report, an analyst
export) even when a message is delivered twice: held for the whole job, released at once if
the holder's connection dies (so a killed worker never leaves it held).

This is the outcomes app's only hand-written statement outside ``services`` (the area lock)
and ``selectors`` (the REPEATABLE READ snapshot); ``tests/surveys/pupil/test_sql.py`` keeps
it that way. SQLite, the embedded demo, runs tasks eagerly in one process: the row claim
alone is enough there, so no lock is taken."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

logger = logging.getLogger(__name__)


class Busy(Exception):
    """Another live worker holds the lock."""


@contextmanager
def job_lock(namespace: int, key: int, *, what: str) -> Iterator[None]:
    """Hold PostgreSQL's two-key session advisory lock (namespace, key), or raise ``Busy`` at
    once if another session holds it. ``what`` names the job in the warning logged when the
    lock cannot be released because the connection is already gone (so is the lock then)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [namespace, key])
        (got,) = cursor.fetchone()
    if not got:
        raise Busy(key)
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [namespace, key])
        except Exception:
            logger.warning("Could not release the lock of %s", what, exc_info=True)
