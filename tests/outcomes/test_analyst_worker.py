"""The analyst export with real workers on Redis: a worker is killed (SIGKILL) while it
builds an export; a new worker gets the unacknowledged message again (``acks_late``),
finishes it, and there is one file, one ready job, one audit entry and one e-mail. A
further delivery of the same task changes nothing.

Same harness as ``test_reports_worker`` (``worker_harness``): the workers are subprocesses running this module;
the first one's build pauses (a marker file says it started) so it can be killed mid-build;
e-mails go to files so the test can count them across processes."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from tests.outcomes.worker_harness import pause_first_call, wait_for, worker_main, worker_run


def _install_pause(marker: Path) -> None:  # pragma: no cover - runs in the worker subprocess
    from outcomes import analyst

    def report_stage(resolved, **kwargs):
        kwargs["on_stage"]("Reading matched pupils", 10)

    analyst.build_export = pause_first_call(marker, before=report_stage)(analyst.build_export)


if __name__ == "__main__":  # pragma: no cover - the worker: no test imports before django.setup()
    worker_main(_install_pause)
    sys.exit()

from tests.outcomes import test_analyst as base  # noqa: E402

world, analyst_user = base.world, base.analyst_user


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_export_leaves_one_file_one_audit_entry_and_one_email(
    redis_url, reference_data, settings, tmp_path, world, analyst_user
):
    from wagtail.models import ModelLogEntry

    from outcomes import analyst, analyst_jobs
    from outcomes.analyst_models import AnalystExportJob

    values = {"programme": world["choices"].slug, "compare": "post"}
    with worker_run(
        module="tests.outcomes.test_analyst_worker", redis_url=redis_url, tmp_path=tmp_path, settings=settings
    ) as run:
        job = analyst_jobs.job_request(values=values, resolved=analyst.parse_filters(values), user=analyst_user)
        first = run.start()
        run.wait_until_paused("the first worker to start the export")
        job.refresh_from_db()
        assert (job.state, job.attempts, job.stage) == ("running", 1, "Reading matched pupils")
        first_claim = job.claim_token

        run.kill(first)  # mid-build
        job.refresh_from_db()
        assert job.state == "running" and not job.file_path

        run.start()

        def ready():
            job.refresh_from_db()
            return job.state == "ready"

        wait_for(ready, 120, "the second worker to finish the export")
        assert job.attempts == 2 and job.claim_token != first_claim

        analyst_jobs.build_analyst_export.delay(job.pk)  # a duplicate message: changes nothing
        time.sleep(3)
        wait_for(run.mails, 30, "the e-mail")

    job.refresh_from_db()
    assert (job.state, job.attempts, job.rows) == ("ready", 2, 55)
    assert AnalystExportJob.objects.count() == 1
    assert sorted(p.name for p in (run.media / "analyst-exports").iterdir()) == [f"export-{job.pk}.zip"]
    assert (run.media / job.file_path).stat().st_size == job.file_size
    entries = ModelLogEntry.objects.filter(action=analyst.LOG_ACTION)
    assert [e.data["reference"] for e in entries] == [job.reference]
    messages = run.mails()
    assert [m["To"] for m in messages] == [analyst_user.email]
    assert f"/admin/analyst-export/{job.pk}/" in messages[0].get_payload(0).get_payload()
