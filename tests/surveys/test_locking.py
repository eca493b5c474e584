"""Two sessions racing on the rows the surveys services lock, on PostgreSQL.

These replace tests that only checked ``select_for_update`` was called: each one here
holds a real row lock in one session and watches what the other session does, so it fails
if the lock is missing (the work is done twice), waits where it should skip (the relay
blocks behind a busy worker), or skips where it should wait (a close is lost).
(The pupil-save versus window-close race is in tests/surveys/pupil/test_close_race.py.)
"""

from __future__ import annotations

import threading
import time
from unittest import mock

import pytest
from django.db import connection, transaction

from surveys.models import OutboxMessage, SurveyWindow
from surveys.services import outbox as svc
from surveys.services import windows
from surveys.tasks import consume_outbox_message
from tests.surveys.factories import SurveyWindowFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgresql")]


def waiting_lockers() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


def wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def in_thread(target, *args):
    """Run ``target`` in its own thread and database connection; its result lands in the box."""
    box: dict = {}

    def run():
        try:
            box["result"] = target(*args)
        except Exception as error:  # noqa: BLE001 - the test asserts on it
            box["error"] = error
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, box


@pytest.fixture
def consumers(monkeypatch):
    registry = {kind: list(found) for kind, found in svc.CONSUMERS.items()}
    monkeypatch.setattr(svc, "CONSUMERS", registry)
    return registry


def test_a_relay_skips_a_row_another_session_holds_and_hands_over_the_rest(consumers):
    """Two relays (beat and ``manage.py relay_outbox``, or two beat runs overlapping) claim at
    once: the second neither waits for the first nor hands the first's row over again."""
    held = svc.outbox_message_create(kind="test_kind", payload={"n": 1})
    free = svc.outbox_message_create(kind="test_kind", payload={"n": 2})
    sent: list[int] = []
    with transaction.atomic():
        OutboxMessage.objects.select_for_update().get(pk=held.pk)  # the other relay, mid-claim
        thread, box = in_thread(lambda: svc.outbox_relay(send=lambda message: sent.append(message.pk)))
        thread.join(10)
        assert not thread.is_alive(), "the relay waited for a row another session holds"
        assert "error" not in box, box.get("error")
        assert box["result"].sent == 1 and sent == [free.pk]
    held.refresh_from_db()
    assert held.attempts == 0  # untouched: the session holding it hands it over
    assert svc.outbox_relay(send=lambda message: sent.append(message.pk)).sent == 1
    assert sent == [free.pk, held.pk]


def test_a_message_delivered_to_two_workers_at_once_is_worked_once(consumers):
    """Redis can deliver a task twice (acks_late, a reconnect): the second worker skips the
    message the first is working on instead of doing the work again or waiting for it."""
    started, release = threading.Event(), threading.Event()
    done: list[int] = []

    def slow(payload):
        started.set()
        release.wait(10)
        done.append(payload["n"])

    svc.register_consumer("test_slow", slow)
    message = svc.outbox_message_create(kind="test_slow", payload={"n": 7})
    first, first_box = in_thread(lambda: consume_outbox_message(message_id=message.pk))
    assert started.wait(10), f"the first worker never started the work: {first_box}"
    second, second_box = in_thread(lambda: consume_outbox_message(message_id=message.pk))
    second.join(10)
    assert not second.is_alive(), "the second worker waited for the first"
    assert second_box.get("result") == svc.Outcome.SKIPPED
    assert done == []  # the first is still working
    release.set()
    first.join(10)
    assert first_box.get("result") == svc.Outcome.DONE
    assert done == [7]
    assert not OutboxMessage.objects.filter(pk=message.pk).exists()


def test_two_closes_at_once_close_the_window_once():
    """The teacher presses Close in two tabs (or the teacher and the school lead at once):
    the second waits for the first, sees it closed, and writes no second outbox message."""
    window = SurveyWindowFactory()
    first_in, release = threading.Event(), threading.Event()
    real_check = windows.can_manage_group
    calls = []

    def paused_check(user, group):
        calls.append(threading.get_ident())
        if len(calls) == 1:  # the first close, holding the window row, pauses here
            first_in.set()
            release.wait(10)
        return real_check(user, group)

    def close():
        return windows.window_close(actor=window.group.teacher, window=window)

    with mock.patch.object(windows, "can_manage_group", paused_check):
        first, first_box = in_thread(close)
        assert first_in.wait(10)
        second, second_box = in_thread(close)
        assert wait_for(lambda: waiting_lockers() > 0), "the second close never waited for the first"
        assert second.is_alive() and len(calls) == 1
        release.set()
        first.join(10)
        second.join(10)
    assert "error" not in first_box and "error" not in second_box
    closed_at = SurveyWindow.objects.get(pk=window.pk).closed_at
    assert closed_at is not None
    assert first_box["result"].closed_at == closed_at == second_box["result"].closed_at
    assert OutboxMessage.objects.filter(kind="window_closed", payload__window_id=window.pk).count() == 1


def test_the_save_s_one_read_locks_the_window_against_a_close_and_the_response_against_a_twin():
    """A page save reads its window and response in one statement (surveys/pupil/sql.py,
    ``window_and_response_for_save``). While the save's transaction is open, another
    session cannot close the window or take the response, but another pupil's save of the
    same window goes ahead (the window's lock is a share lock)."""
    from django.db import DatabaseError

    from surveys.models import Response
    from surveys.pupil import sql
    from tests.surveys.factories import make_pupil, make_response

    window = SurveyWindowFactory()
    response = make_response(window, participant=make_pupil(window), status=Response.Status.IN_PROGRESS)
    other = make_response(window, participant=make_pupil(window), status=Response.Status.IN_PROGRESS)

    def in_other_session(work):
        def run():
            with transaction.atomic():
                return work()

        thread, box = in_thread(run)
        thread.join(10)
        assert not thread.is_alive(), "the other session waited: it should fail at once or go ahead"
        return box

    with transaction.atomic():
        locked, found = sql.window_and_response_for_save(window.pk, response.submission_key)
        assert found.pk == response.pk
        close = in_other_session(lambda: SurveyWindow.objects.select_for_update(nowait=True).get(pk=window.pk))
        assert isinstance(close.get("error"), DatabaseError), close  # a close would wait for this save
        twin = in_other_session(lambda: Response.objects.select_for_update(nowait=True).get(pk=response.pk))
        assert isinstance(twin.get("error"), DatabaseError), twin  # a second tab's save would wait
        neighbour = in_other_session(lambda: sql.window_and_response_for_save(window.pk, other.submission_key))
        assert "error" not in neighbour, neighbour.get("error")
        assert neighbour["result"][1].pk == other.pk  # another pupil's save is not held up
    after = in_other_session(lambda: SurveyWindow.objects.select_for_update(nowait=True).get(pk=window.pk))
    assert after.get("result") == window  # the locks end with the save's transaction
