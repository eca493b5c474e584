"""The analyst export as a background job (outcomes.analyst_jobs): the job's lifecycle from
the form to the file (tasks run eagerly, as in the embedded default), its progress on the
status page in every state, who may see it (only the analyst who asked), the audit entries
when the file is made and when it is downloaded, the e-mail, and the 24-hour retention."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone
from wagtail.models import ModelLogEntry

from accounts.roles import ANALYST, OFFICER
from outcomes import analyst, analyst_jobs
from outcomes.analyst_models import AnalystExportJob
from tests.outcomes import test_analyst as base
from tests.second_factor import force_login_with_second_factor

pytestmark = pytest.mark.django_db
State = AnalystExportJob.State
URL, download, start_export, vru = base.URL, base.download, base.start_export, base.vru
# The analyst export tests' fixtures: the same region, analyst and signed-in client.
world, analyst_user, signed_in = base.world, base.analyst_user, base.signed_in


def status_url(job) -> str:
    return reverse("outcomes_analyst_export:status", args=[job.pk])


def download_url(job) -> str:
    return reverse("outcomes_analyst_export:download", args=[job.pk])


def test_a_post_queues_a_job_that_shows_progress_then_a_file_an_email_and_an_audit_entry(
    signed_in, world, analyst_user
):
    response = signed_in.post(URL, {"programme": world["choices"].slug, "compare": "post"})
    job = AnalystExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == status_url(job)
    assert (job.requested_by, job.state, job.filters["programme"]) == (
        analyst_user,
        State.QUEUED,
        world["choices"].slug,
    )
    # Not yet built (the task is sent once the request's transaction commits): a waiting page.
    page = signed_in.get(status_url(job)).content.decode()
    assert "Waiting to start" in page and '<progress max="100"' in page
    assert '<meta http-equiv="refresh" content="5">' in page  # refreshes without JavaScript
    assert "outcome-report-status.js" in page
    assert signed_in.get(download_url(job)).status_code == 404
    assert not ModelLogEntry.objects.filter(action=analyst.LOG_ACTION).exists()

    with TestCase.captureOnCommitCallbacks(execute=True):
        analyst_jobs.job_enqueue(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == State.READY and job.progress_percent == 100 and job.attempts == 1
    assert job.rows == 55 and job.checked >= job.rows and job.reference and job.file_size > 0
    assert default_storage.exists(job.file_path) and job.file_path == job.output_path
    assert job.expires_at - job.finished_at == dt.timedelta(hours=24)

    made = ModelLogEntry.objects.get(action=analyst.LOG_ACTION)
    assert made.user_id == analyst_user.pk and made.data["reference"] == job.reference and made.data["rows"] == 55

    assert len(mail.outbox) == 1 and mail.outbox[0].to == [analyst_user.email]
    assert "ready" in mail.outbox[0].subject and status_url(job) in mail.outbox[0].body
    assert "safety" not in mail.outbox[0].body  # a link, never data

    page = signed_in.get(status_url(job)).content.decode()
    assert "Your export is ready" in page and download_url(job) in page and "refresh" not in page.split("<body")[0]
    index = signed_in.get(URL).content.decode()
    assert "Your recent exports" in index and status_url(job) in index
    assert f"programme {world['choices'].slug}; academic year all;" in index

    # Delivered again (a redelivery after a lost acknowledgement): nothing changes.
    analyst_jobs.build_analyst_export.delay(job.pk)
    job.refresh_from_db()
    assert job.attempts == 1 and len(mail.outbox) == 1
    assert ModelLogEntry.objects.filter(action=analyst.LOG_ACTION).count() == 1


def test_each_stage_is_recorded_on_the_row_while_the_worker_runs(signed_in, world, monkeypatch):
    seen = []
    original = analyst.build_export

    def watching(resolved, **kwargs):
        on_stage = kwargs.pop("on_stage")

        def stage(text, percent, **counts):
            on_stage(text, percent, **counts)
            row = AnalystExportJob.objects.get()
            seen.append((row.state, row.stage, row.progress))

        return original(resolved, on_stage=stage, **kwargs)

    monkeypatch.setattr(analyst, "build_export", watching)
    download(signed_in, programme=world["choices"].slug)
    stages = [stage for _state, stage, _p in seen]
    assert stages[0] == "Reading matched pupils" and stages[1].startswith("Checking k-anonymity over ")
    assert "Pseudonymising the rows" in stages
    assert {state for state, _s, _p in seen} == {State.RUNNING}
    assert [p for *_x, p in seen] == sorted(p for *_x, p in seen)


def test_a_download_is_audited_with_who_and_which_reference(signed_in, world, analyst_user):
    rows, meta, _files = download(signed_in, programme=world["choices"].slug)
    job = AnalystExportJob.objects.get()
    entry = ModelLogEntry.objects.get(action=analyst.DOWNLOAD_LOG_ACTION)
    assert entry.user_id == analyst_user.pk and entry.data == {"reference": job.reference, "job": job.pk}
    assert meta["reference"] == job.reference and len(rows) == job.rows
    assert entry.label and entry.message == "An analyst export's file was downloaded (its reference)"
    signed_in.get(download_url(job))
    assert ModelLogEntry.objects.filter(action=analyst.DOWNLOAD_LOG_ACTION).count() == 2


def test_another_analyst_gets_404_and_an_officer_is_refused(signed_in, world):
    job = start_export(signed_in, programme=world["choices"].slug)
    client = Client()  # the others' own browsers
    downloads = ModelLogEntry.objects.filter(action=analyst.DOWNLOAD_LOG_ACTION)
    other = vru(ANALYST)
    force_login_with_second_factor(client, other)
    for url in (status_url(job), status_url(job) + "?fragment=1", download_url(job)):
        assert client.get(url).status_code == 404
    assert status_url(job) not in client.get(URL).content.decode()  # not in their list either
    officer = vru(OFFICER)
    force_login_with_second_factor(client, officer)
    for url in (status_url(job), download_url(job)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/admin/"
    assert not downloads.exists()
    assert signed_in.get(download_url(job)).status_code == 200 and downloads.count() == 1


def test_status_page_in_each_state_and_the_fragment_for_the_script(signed_in, world, analyst_user):
    job = AnalystExportJob.objects.create(
        requested_by=analyst_user, filters={"programme": world["choices"].slug}, summary={"programme": "choices"}
    )
    AnalystExportJob.objects.filter(pk=job.pk).update(
        state=State.RUNNING, stage="Checking k-anonymity over 4000 matched pupils", progress=55
    )
    page = signed_in.get(status_url(job)).content.decode()
    assert "Being prepared" in page and "Checking k-anonymity over 4000 matched pupils" in page
    assert 'value="55"' in page and 'http-equiv="refresh"' in page
    fragment = signed_in.get(status_url(job) + "?fragment=1")
    assert fragment["X-Report-Finished"] == "0" and "<html" not in fragment.content.decode()

    AnalystExportJob.objects.filter(pk=job.pk).update(state=State.FAILED, last_error="OperationalError: gone")
    page = signed_in.get(status_url(job)).content.decode()
    assert "could not make this export" in page and "OperationalError: gone" in page and "Make it again" in page
    assert 'http-equiv="refresh"' not in page
    assert signed_in.get(status_url(job) + "?fragment=1")["X-Report-Finished"] == "1"
    assert signed_in.get(download_url(job)).status_code == 404


def test_a_failing_build_ends_failed_with_no_file_and_no_audit_entry(signed_in, world, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(analyst, "build_export", broken)
    job = start_export(signed_in, programme=world["choices"].slug)
    job.refresh_from_db()
    assert job.state == State.FAILED and "disk on fire" in job.last_error and not job.file_path
    assert not ModelLogEntry.objects.filter(action__startswith="upstream.analyst.").exists()
    assert "could not be made" in mail.outbox[0].subject


def test_bad_filters_make_no_job(signed_in, world):
    response = signed_in.post(URL, {"year_group": "14"})
    assert response.status_code == 400 and "is not a valid year group" in response.content.decode()
    assert not AnalystExportJob.objects.exists()


def test_files_are_deleted_after_24_hours_and_rows_after_30_days(signed_in, world):
    job = start_export(signed_in, programme=world["choices"].slug)
    job.refresh_from_db()
    path = job.file_path
    assert analyst_jobs.jobs_purge(now=job.finished_at + dt.timedelta(hours=23)) == {"files": 0, "rows": 0}
    assert default_storage.exists(path)

    assert analyst_jobs.jobs_purge(now=job.finished_at + dt.timedelta(hours=24, seconds=1))["files"] == 1
    job.refresh_from_db()
    assert job.state == State.EXPIRED and not job.file_path and not default_storage.exists(path)
    assert signed_in.get(download_url(job)).status_code == 404
    page = signed_in.get(status_url(job)).content.decode()
    assert "file has been deleted" in page and "Make it again" in page
    assert ModelLogEntry.objects.filter(action=analyst.LOG_ACTION).count() == 1  # the audit entry stays

    AnalystExportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    assert analyst_jobs.purge_analyst_exports() == {"files": 0, "rows": 1}
    assert not AnalystExportJob.objects.exists()


def test_the_purge_and_requeue_run_from_the_beat_schedule(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"outcomes.analyst.purge", "outcomes.analyst.requeue_stale"} <= tasks
    assert settings.CELERY_BEAT_SCHEDULE["outcomes-purge-analyst-exports"]["schedule"] <= 3600


def test_a_job_stuck_in_the_queue_is_sent_again(signed_in, world, analyst_user):
    job = AnalystExportJob.objects.create(requested_by=analyst_user, filters={"programme": world["choices"].slug})
    assert analyst_jobs.jobs_requeue_stale() == 0  # fresh: leave it
    AnalystExportJob.objects.filter(pk=job.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=21))
    assert analyst_jobs.jobs_requeue_stale() == 1
    job.refresh_from_db()
    assert job.state == State.READY and job.rows == 55
