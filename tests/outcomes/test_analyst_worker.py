"""The analyst export with real workers on Redis: a worker is killed (SIGKILL) while it
builds an export; a new worker gets the unacknowledged message again (``acks_late``),
finishes it, and there is one file, one ready job, one audit entry and one e-mail. A
further delivery of the same task changes nothing.

Same harness as ``test_reports_worker``: the workers are subprocesses running this module;
the first one's build pauses (a marker file says it started) so it can be killed mid-build;
e-mails go to files so the test can count them across processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
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

    import outcomes.tasks  # noqa: F401 - registers the analyst export task
    from config.celery_app import app
    from outcomes import analyst

    app.conf.update(
        broker_url=os.environ["REDIS_URL"],
        task_always_eager=False,
        task_default_queue=os.environ["REPORT_TEST_QUEUE"],
        result_backend=None,
        broker_transport_options={
            "visibility_timeout": 2,
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        },
    )
    marker = Path(os.environ["REPORT_TEST_MARKER"])
    original = analyst.build_export

    def paused_once(resolved, **kwargs):
        if not marker.exists():
            kwargs["on_stage"]("Reading matched pupils", 10)
            marker.write_text(str(os.getpid()))
            time.sleep(600)  # killed here
        return original(resolved, **kwargs)

    analyst.build_export = paused_once
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


if __name__ == "__main__":  # pragma: no cover - the worker: no test imports before django.setup()
    _worker_main()
    sys.exit()

from tests.outcomes import test_analyst as base  # noqa: E402
from tests.outcomes.test_reports_worker import _mails, _wait  # noqa: E402

world, analyst_user = base.world, base.analyst_user


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_export_leaves_one_file_one_audit_entry_and_one_email(
    redis_url, reference_data, settings, tmp_path, world, analyst_user
):
    from django.db import connection
    from wagtail.models import ModelLogEntry

    from config.celery_app import app
    from outcomes import analyst, analyst_jobs
    from outcomes.analyst_models import AnalystExportJob

    media, mails, marker = tmp_path / "media", tmp_path / "mail", tmp_path / "started"
    mails.mkdir()
    settings.MEDIA_ROOT = media
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
            [sys.executable, "-m", "tests.outcomes.test_analyst_worker"],
            cwd=ROOT,
            env=env,
            stdout=open(tmp_path / log, "w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue", "result_backend")}
    app.conf.update(broker_url=redis_url, task_always_eager=False, task_default_queue=queue, result_backend=None)
    workers: list[subprocess.Popen] = []
    values = {"programme": world["choices"].slug, "compare": "post"}
    try:
        job = analyst_jobs.job_request(values=values, resolved=analyst.parse_filters(values), user=analyst_user)
        first = start_worker("worker-1.log")
        workers.append(first)
        _wait(marker.exists, 90, "the first worker to start the export")
        job.refresh_from_db()
        assert (job.state, job.attempts, job.stage) == ("running", 1, "Reading matched pupils")
        first_claim = job.claim_token

        os.killpg(first.pid, signal.SIGKILL)  # mid-build: no ack, no cleanup
        first.wait(timeout=10)
        assert first.returncode == -signal.SIGKILL
        job.refresh_from_db()
        assert job.state == "running" and not job.file_path

        second = start_worker("worker-2.log")
        workers.append(second)

        def ready():
            job.refresh_from_db()
            return job.state == "ready"

        _wait(ready, 120, "the second worker to finish the export")
        assert job.attempts == 2 and job.claim_token != first_claim

        analyst_jobs.build_analyst_export.delay(job.pk)  # a duplicate message: changes nothing
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

    job.refresh_from_db()
    assert (job.state, job.attempts, job.rows) == ("ready", 2, 55)
    assert AnalystExportJob.objects.count() == 1
    assert sorted(p.name for p in (media / "analyst-exports").iterdir()) == [f"export-{job.pk}.zip"]
    assert (media / job.file_path).stat().st_size == job.file_size
    entries = ModelLogEntry.objects.filter(action=analyst.LOG_ACTION)
    assert [e.data["reference"] for e in entries] == [job.reference]
    messages = _mails(mails)
    assert [m["To"] for m in messages] == [analyst_user.email]
    assert f"/admin/analyst-export/{job.pk}/" in messages[0].get_payload(0).get_payload()
