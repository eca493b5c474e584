"""Real Celery workers on Redis, killed mid-task: the harness the long jobs' exactly-once
tests share (``test_reports_worker``: a PDF report; ``test_analyst_worker``: an analyst
export).

A test module is also its own worker: run as ``python -m tests.outcomes.<module>``, it calls
``worker_main`` with a function that wraps the job's slow step so the first call writes a
marker file and sleeps (the test kills that worker there, with SIGKILL: no ack, no cleanup).
With ``acks_late`` and a 2-second visibility timeout, Redis gives the message to the next
worker, which finishes the job. E-mails go to files so the test can count them across
processes.

In the test, ``WorkerRun`` points the test process's Celery app at a queue of its own on the
test Redis, starts worker subprocesses against the test database, and always stops them and
restores the app's settings."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import message_from_string
from email.message import Message
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_CONF_KEYS = ("broker_url", "task_always_eager", "task_default_queue", "result_backend")


def worker_main(install_pause: Callable[[Path], None]) -> None:  # pragma: no cover - worker subprocess
    """Run a solo-pool worker on the test's queue after ``install_pause(marker)`` has
    wrapped the step to be killed in."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = os.environ["WORKER_TEST_MAIL"]
    settings.MEDIA_ROOT = os.environ["WORKER_TEST_MEDIA"]

    import outcomes.tasks  # noqa: F401 - registers the long jobs' tasks
    from config.celery_app import app

    app.conf.update(
        broker_url=os.environ["REDIS_URL"],
        task_always_eager=False,
        task_default_queue=os.environ["WORKER_TEST_QUEUE"],
        result_backend=None,
        # Give up on a dead worker's message after 2 s (production: an hour), and look often.
        broker_transport_options={
            "visibility_timeout": 2,
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        },
    )
    install_pause(Path(os.environ["WORKER_TEST_MARKER"]))
    app.worker_main(
        [
            "worker",
            "--pool=solo",
            "-Q",
            os.environ["WORKER_TEST_QUEUE"],
            "--loglevel=WARNING",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ]
    )


def pause_first_call(marker: Path, before: Callable[..., None] | None = None):
    """A decorator for the step to be killed in: the first call in any worker (no marker
    yet) runs ``before``, writes the marker and sleeps; later calls run the step."""

    def wrap(step):
        def paused_once(*args, **kwargs):
            if not marker.exists():
                if before is not None:
                    before(*args, **kwargs)
                marker.write_text(str(os.getpid()))
                time.sleep(600)  # killed here
            return step(*args, **kwargs)

        return paused_once

    return wrap


def wait_for(predicate: Callable[[], object], timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def mails(folder: Path) -> list[Message]:
    messages = []
    for path in sorted(folder.glob("*.log")):
        # The file backend separates messages with a line of 79 dashes.
        for chunk in path.read_text().split("-" * 79):
            if chunk.strip():
                messages.append(message_from_string(chunk.strip()))
    return messages


class WorkerRun:
    """The workers of one test: ``start()`` one, ``kill(worker)`` it mid-task."""

    def __init__(self, *, module: str, redis_url: str, tmp_path: Path) -> None:
        from django.db import connection

        self.module, self.tmp_path = module, tmp_path
        self.media, self.mail, self.marker = tmp_path / "media", tmp_path / "mail", tmp_path / "started"
        self.mail.mkdir()
        db = connection.settings_dict
        self.queue = f"upstream-test-{uuid.uuid4().hex}"
        self.env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
            "REDIS_URL": redis_url,
            "WORKER_TEST_QUEUE": self.queue,
            "WORKER_TEST_MEDIA": str(self.media),
            "WORKER_TEST_MAIL": str(self.mail),
            "WORKER_TEST_MARKER": str(self.marker),
            "PYTHONPATH": str(ROOT),
        }
        self.workers: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        log = open(self.tmp_path / f"worker-{len(self.workers) + 1}.log", "w")  # noqa: SIM115 - the child keeps it
        worker = subprocess.Popen(
            [sys.executable, "-m", self.module],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.workers.append(worker)
        return worker

    def wait_until_paused(self, what: str) -> None:
        wait_for(self.marker.exists, 90, what)

    @staticmethod
    def kill(worker: subprocess.Popen) -> None:
        os.killpg(worker.pid, signal.SIGKILL)  # mid-task: no ack, no cleanup
        worker.wait(timeout=10)
        assert worker.returncode == -signal.SIGKILL

    def mails(self) -> list[Message]:
        return mails(self.mail)

    def stop_all(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait()


@contextmanager
def worker_run(*, module: str, redis_url: str, tmp_path: Path, settings) -> Iterator[WorkerRun]:
    """Point this process's Celery app and MEDIA_ROOT at the run's queue and folder; stop
    every worker and restore the app's settings afterwards, whatever happened."""
    from config.celery_app import app

    run = WorkerRun(module=module, redis_url=redis_url, tmp_path=tmp_path)
    settings.MEDIA_ROOT = run.media
    saved = {key: app.conf[key] for key in _CONF_KEYS}
    app.conf.update(broker_url=redis_url, task_always_eager=False, task_default_queue=run.queue, result_backend=None)
    try:
        yield run
    finally:
        run.stop_all()
        app.conf.update(saved)
