"""Exactly once, with real workers on Redis: a worker is killed (SIGKILL) in the middle of
rendering a report; a new worker gets the unacknowledged message again (``acks_late``),
finishes the report, and there is one file, one ready row and one e-mail. A further
delivery of the same task changes nothing.

The workers are subprocesses running this module (``python -m
tests.outcomes.test_reports_worker``): the first one's render pauses (a marker file says it
started) so it can be killed mid-render; e-mails go to files, so the test can count them
across processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from email import message_from_string
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _worker_main() -> None:  # pragma: no cover - runs in the worker subprocess
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.conf import settings

    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = os.environ["REPORT_TEST_MAIL"]
    settings.MEDIA_ROOT = os.environ["REPORT_TEST_MEDIA"]

    import outcomes.tasks  # noqa: F401 - registers the report tasks
    from config.celery_app import app
    from outcomes.reports import render

    app.conf.update(
        broker_url=os.environ["REDIS_URL"],
        task_always_eager=False,
        task_default_queue=os.environ["REPORT_TEST_QUEUE"],
        result_backend=None,
        # Give up on a dead worker's message after 2 s (production: an hour), and look often.
        broker_transport_options={
            "visibility_timeout": 2,
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        },
    )
    marker = Path(os.environ["REPORT_TEST_MARKER"])
    original = render.report_pdf

    def paused_once(report, **kwargs):
        if not marker.exists():
            marker.write_text(str(os.getpid()))
            time.sleep(600)  # killed here
        return original(report, **kwargs)

    render.report_pdf = paused_once
    app.worker_main(
        [
            "worker",
            "--pool=solo",
            "-Q",
            os.environ["REPORT_TEST_QUEUE"],
            "--loglevel=WARNING",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
        ]
    )


if __name__ == "__main__":  # pragma: no cover
    _worker_main()


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def _mails(folder: Path) -> list:
    messages = []
    for path in sorted(folder.glob("*.log")):
        # The file backend separates messages with a line of 79 dashes.
        for chunk in path.read_text().split("-" * 79):
            if chunk.strip():
                messages.append(message_from_string(chunk.strip()))
    return messages


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_render_leaves_exactly_one_report_one_file_and_one_email(
    redis_url, reference_data, settings, tmp_path
):
    from django.db import connection

    from config.celery_app import app
    from outcomes.reports import services
    from outcomes.reports.models import OutcomeReport
    from tests.outcomes.reports_world import report_world

    media, mails, marker = tmp_path / "media", tmp_path / "mail", tmp_path / "started"
    mails.mkdir()
    settings.MEDIA_ROOT = media
    world = report_world()
    queue = f"upstream-test-{uuid.uuid4().hex}"
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": redis_url,
        "REPORT_TEST_QUEUE": queue,
        "REPORT_TEST_MEDIA": str(media),
        "REPORT_TEST_MAIL": str(mails),
        "REPORT_TEST_MARKER": str(marker),
        "PYTHONPATH": str(ROOT),
    }

    def start_worker(log: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.outcomes.test_reports_worker"],
            cwd=ROOT,
            env=env,
            stdout=open(tmp_path / log, "w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue", "result_backend")}
    app.conf.update(broker_url=redis_url, task_always_eager=False, task_default_queue=queue, result_backend=None)
    workers: list[subprocess.Popen] = []
    try:
        report, queued = services.report_request(
            kind="school",
            programme=world["programme"],
            academic_year=world["year"],
            school=world["schools"][0],
            user=world["leads"][0],
        )
        assert queued
        first = start_worker("worker-1.log")
        workers.append(first)
        _wait(marker.exists, 90, "the first worker to start rendering")
        report.refresh_from_db()
        assert (report.status, report.attempts) == ("rendering", 1)
        first_claim = report.claim_token

        os.killpg(first.pid, signal.SIGKILL)  # mid-render: no ack, no cleanup
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL
        report.refresh_from_db()
        assert report.status == "rendering" and not report.file_path

        second = start_worker("worker-2.log")
        workers.append(second)

        def ready():
            report.refresh_from_db()
            return report.status == "ready"

        _wait(ready, 120, "the second worker to finish the report")
        assert report.attempts == 2 and report.claim_token != first_claim

        # A further delivery of the same task (a duplicate message) changes nothing.
        from outcomes.reports.tasks import render_outcome_report

        render_outcome_report.delay(report.pk)
        time.sleep(3)
        _wait(lambda: _mails(mails), 30, "the e-mail")
    finally:
        for worker in workers:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGTERM)
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait()
        app.conf.update(saved)

    report.refresh_from_db()
    assert (report.status, report.attempts) == ("ready", 2)
    assert OutcomeReport.objects.count() == 1
    assert OutcomeReport.objects.filter(status="ready").count() == 1
    files = sorted(p.name for p in (media / "outcome-reports").iterdir())
    assert files == [f"report-{report.pk}-v{report.data_version}.pdf"]  # no copy, no temporary left
    data = (media / report.file_path).read_bytes()
    assert data.startswith(b"%PDF") and len(data) == report.file_size
    messages = _mails(mails)
    assert [m["To"] for m in messages] == [world["leads"][0].email]
    assert f"/outcome-reports/{report.pk}/" in messages[0].get_payload(0).get_payload()
    assert report.requests.get().notified_at is not None
