"""A window closing while pupils submit (docs/decisions.md#t37): no answer is accepted after the close
commits and none is refused before it.

Three angles, each built so it cannot pass vacuously:

1. the close holds the window lock while a pupil submits: the pupil is seen waiting on the
   lock, and is refused once the close commits;
2. a pupil's save is in flight when the teacher closes: the close is seen waiting, and the
   pupil's answers are accepted;
3. many pupils and the real ``window_close`` racing, with pupils before, during and after
   the close: every acceptance started before the close committed, every refusal ended
   after the close began, and the completed count equals the acceptances exactly.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from unittest import mock

import pytest
from django.db import connection, transaction
from django.utils import timezone

from surveys.models import Response, SurveyWindow
from surveys.services import submission
from surveys.services.windows import window_close
from tests.surveys.factories import PupilSurveyWindowFactory, make_pupil

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("postgresql")]

FINAL_PAGE = {"GENDER": "girl", "ETHNIC": "white"}


def submit(window_id, participant_id):
    try:
        return submission.page_save(
            window_id=window_id,
            participant_id=participant_id,
            submission_key=uuid.uuid4(),
            page_no=3,
            client_seq=1,
            answers=FINAL_PAGE,
            final=True,
        )
    except submission.WindowClosed:
        return "closed"
    finally:
        connection.close()


def waiting_lockers() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


def wait_for(predicate, timeout=10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def in_thread(target, *args):
    box = {}

    def run():
        box["result"] = target(*args)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, box


def test_a_pupil_waiting_on_a_close_in_progress_is_refused_once_it_commits():
    window = PupilSurveyWindowFactory()
    pupil = make_pupil(window)
    with transaction.atomic():
        locked = SurveyWindow.objects.select_for_update().get(pk=window.pk)
        thread, box = in_thread(submit, window.pk, pupil.pk)
        assert wait_for(lambda: waiting_lockers() > 0), "the pupil's save never waited for the close"
        assert thread.is_alive()
        locked.closed_at = timezone.now()
        locked.save(update_fields=["closed_at"])
    thread.join(10)
    assert box["result"] == "closed"
    assert not Response.objects.exists()


def test_a_save_in_flight_when_the_teacher_closes_is_accepted_and_the_close_waits():
    window = PupilSurveyWindowFactory()
    pupil = make_pupil(window)
    in_flight, release = threading.Event(), threading.Event()
    real_apply = submission._apply_answers

    def slow_apply(*args, **kwargs):
        in_flight.set()
        release.wait(10)
        return real_apply(*args, **kwargs)

    with mock.patch.object(submission, "_apply_answers", slow_apply):
        pupil_thread, pupil_box = in_thread(submit, window.pk, pupil.pk)
        assert in_flight.wait(10)

        def close():
            try:
                return window_close(actor=window.group.teacher, window=window)
            finally:
                connection.close()

        close_thread, close_box = in_thread(close)
        assert wait_for(lambda: waiting_lockers() > 0), "the close never waited for the save in flight"
        assert close_thread.is_alive() and "result" not in close_box
        release.set()
        pupil_thread.join(10)
        close_thread.join(10)
    assert isinstance(pupil_box["result"], submission.SaveResult) and pupil_box["result"].completed
    assert close_box["result"].closed_at is not None
    assert Response.objects.get().status == Response.Status.COMPLETED


def race_round(seed: int) -> tuple[int, int]:
    rng = random.Random(seed)
    window = PupilSurveyWindowFactory()
    pupils = [make_pupil(window) for _ in range(30)]
    before, racing, after = pupils[:5], pupils[5:25], pupils[25:]
    outcomes: list[tuple[str, float, float, object]] = []

    for pupil in before:  # well before the close: every one must be accepted
        outcomes.append(("before", 0.0, 0.0, submit(window.pk, pupil.pk)))
    assert all(isinstance(result, submission.SaveResult) for *_, result in outcomes)

    barrier = threading.Barrier(len(racing) + 1)
    close_times: dict[str, float] = {}
    lock = threading.Lock()

    def pupil_run(pupil, delay):
        barrier.wait()
        time.sleep(delay)
        started = time.monotonic()
        result = submit(window.pk, pupil.pk)
        with lock:
            outcomes.append(("racing", started, time.monotonic(), result))

    def close_run(delay):
        barrier.wait()
        time.sleep(delay)
        close_times["start"] = time.monotonic()
        try:
            window_close(actor=window.group.teacher, window=window)
        finally:
            connection.close()
        close_times["end"] = time.monotonic()

    threads = [threading.Thread(target=pupil_run, args=(p, rng.uniform(0, 0.08))) for p in racing]
    threads.append(threading.Thread(target=close_run, args=(rng.uniform(0.01, 0.05),)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    for pupil in after:  # after the close committed: every one must be refused
        outcomes.append(("after", 0.0, 0.0, submit(window.pk, pupil.pk)))

    accepted = refused = 0
    for phase, started, ended, result in outcomes:
        if result == "closed":
            refused += 1
            assert phase != "before", "refused before the close"
            if phase == "racing":
                assert ended > close_times["start"], "refused before the close began"
        else:
            accepted += 1
            assert phase != "after", "accepted after the close committed"
            if phase == "racing":
                assert started < close_times["end"], "accepted although it started after the close committed"
    completed = Response.objects.filter(window=window, status=Response.Status.COMPLETED).count()
    assert completed == accepted
    assert Response.objects.filter(window=window).count() == accepted
    return accepted, refused


def test_many_pupils_racing_the_real_window_close_obey_the_close_exactly():
    totals = [race_round(seed) for seed in range(3)]
    assert all(accepted >= 5 and refused >= 5 for accepted, refused in totals)
