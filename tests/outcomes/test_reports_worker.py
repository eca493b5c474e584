"""Exactly once, with real workers on Redis: a worker is killed (SIGKILL) in the middle of
rendering a report; a new worker gets the unacknowledged message again (``acks_late``),
finishes the report, and there is one file, one ready row and one e-mail. A further
delivery of the same task changes nothing.

The workers are subprocesses running this module (``python -m
tests.outcomes.test_reports_worker``): the first one's render pauses (a marker file says it
started) so it can be killed mid-render; e-mails go to files, so the test can count them
across processes. The harness is ``worker_harness``."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.outcomes.worker_harness import pause_first_call, wait_for, worker_main, worker_run


def _install_pause(marker: Path) -> None:  # pragma: no cover - runs in the worker subprocess
    from outcomes.reports import render

    render.report_pdf = pause_first_call(marker)(render.report_pdf)


if __name__ == "__main__":  # pragma: no cover
    worker_main(_install_pause)


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_render_leaves_exactly_one_report_one_file_and_one_email(
    redis_url, reference_data, settings, tmp_path
):
    from outcomes.reports import services
    from outcomes.reports.models import OutcomeReport
    from outcomes.reports.tasks import render_outcome_report
    from tests.outcomes.reports_world import report_world

    world = report_world()
    with worker_run(
        module="tests.outcomes.test_reports_worker", redis_url=redis_url, tmp_path=tmp_path, settings=settings
    ) as run:
        report, queued = services.report_request(
            kind="school",
            programme=world["programme"],
            academic_year=world["year"],
            school=world["schools"][0],
            user=world["leads"][0],
        )
        assert queued
        first = run.start()
        run.wait_until_paused("the first worker to start rendering")
        report.refresh_from_db()
        assert (report.status, report.attempts) == ("rendering", 1)
        first_claim = report.claim_token

        run.kill(first)  # mid-render
        report.refresh_from_db()
        assert report.status == "rendering" and not report.file_path

        run.start()

        def ready():
            report.refresh_from_db()
            return report.status == "ready"

        wait_for(ready, 120, "the second worker to finish the report")
        assert report.attempts == 2 and report.claim_token != first_claim

        # A further delivery of the same task (a duplicate message) changes nothing.
        render_outcome_report.delay(report.pk)
        time.sleep(3)
        wait_for(run.mails, 30, "the e-mail")

    report.refresh_from_db()
    assert (report.status, report.attempts) == ("ready", 2)
    assert OutcomeReport.objects.count() == 1
    assert OutcomeReport.objects.filter(status="ready").count() == 1
    files = sorted(p.name for p in (run.media / "outcome-reports").iterdir())
    assert files == [f"report-{report.pk}-v{report.data_version}.pdf"]  # no copy, no temporary left
    data = (run.media / report.file_path).read_bytes()
    assert data.startswith(b"%PDF") and len(data) == report.file_size
    messages = run.mails()
    assert [m["To"] for m in messages] == [world["leads"][0].email]
    assert f"/outcome-reports/{report.pk}/" in messages[0].get_payload(0).get_payload()
    assert report.requests.get().notified_at is not None
