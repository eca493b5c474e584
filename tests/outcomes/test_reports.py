"""Outcome reports (PDF): the figures in the PDF's text are export_outcomes' for the same
filters; a report renders once per data version (a second request returns the same file,
new figures make a new one); a task delivered twice renders and e-mails once; failures say
why; who may ask for and open which report."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.files.storage import default_storage
from django.db import connection
from pypdf import PdfReader

from accounts.roles import CONTENT_EDITOR, OFFICER
from outcomes import services as outcome_services
from outcomes.reports import render, services, tasks
from outcomes.reports.content import export_arguments
from outcomes.reports.models import OutcomeReport, OutcomeReportRequest
from tests.factories import MembershipFactory, UserFactory, login_with_second_factor
from tests.outcomes.helpers import answer, export_rows, make_pupil
from tests.outcomes.reports_world import report_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings, tmp_path, reference_data):
    settings.MEDIA_ROOT = tmp_path / "media"
    return report_world()


def _ask(world, kind="school", school=None, user=None, capture=None):
    school = world["schools"][0] if kind == "school" and school is None else school
    user = user or world["leads"][0]
    with capture(execute=True):
        report, queued = services.report_request(
            kind=kind, programme=world["programme"], academic_year=world["year"], school=school, user=user
        )
    report.refresh_from_db()
    return report, queued


def pdf_text(report) -> tuple[str, PdfReader]:
    with default_storage.open(report.file_path) as handle:
        data = handle.read()
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages), reader


def _f2(value: str) -> str:
    text = f"{float(value):.2f}"
    return text.replace("-", "\u2212") if text.startswith("-") else text


def _contains_run(tokens: list[str], run: list[str]) -> bool:
    n = len(run)
    return any(tokens[i : i + n] == run for i in range(len(tokens) - n + 1))


def _expected_run(row: dict, *, with_schools: bool) -> list[str]:
    run = [row["n_schools"]] if with_schools else []
    run += [row["n_baseline"], row["n_post"], row["n_matched"], f"{round(100 * float(row['match_rate']))}%"]
    run += [_f2(row["baseline_mean"]), _f2(row["post_mean"]), _f2(row["mean_change"])]
    run += [_f2(row["ci_low"]), "to", _f2(row["ci_high"]), _f2(row["g_av"])]
    return run


@pytest.mark.parametrize("kind", ["school", "regional"])
def test_the_pdf_carries_the_same_figures_as_export_outcomes_for_the_same_filters(
    world, kind, django_capture_on_commit_callbacks
):
    report, queued = _ask(world, kind=kind, capture=django_capture_on_commit_callbacks)
    assert queued and report.status == "ready", report.last_error
    text, reader = pdf_text(report)
    assert report.page_count == len(reader.pages) >= 3
    tokens = text.split()
    rows = export_rows(*export_arguments(report.filters))
    shown = [r for r in rows if not r["suppressed"]]
    hidden = [r for r in rows if r["suppressed"]]
    assert shown and hidden  # the world has both: a small class, or authorities of one school
    for row in shown:
        assert _contains_run(tokens, _expected_run(row, with_schools=kind == "regional")), row["scope_name"]
    flat = " ".join(tokens)
    for reason in ("fewer than 10", "fewer than 3 schools"):
        assert flat.count(reason) >= sum(1 for r in hidden if r["suppressed"] == reason)
    # Every page's face: the label, the instrument, the rules and the data version.
    assert "Monitoring, not proof of impact" in text
    assert "Test instrument" in text and "upstream-sdc-2" in text
    assert f"Data version {report.data_version}" in text
    if kind == "school":
        assert world["schools"][0].name in text and world["schools"][1].name not in text
        classes = {r["suppressed"] for r in rows if r["scope"] == "class" and r["subgroup"] == "all"}
        assert classes == {"fewer than 10", "secondary"}  # the small class, and its neighbour by subtraction
        assert "hidden (protects a smaller group)" in flat


def test_the_summary_says_in_words_which_way_each_scale_moved(world, django_capture_on_commit_callbacks):
    report, _ = _ask(world, capture=django_capture_on_commit_callbacks)
    text = " ".join(pdf_text(report)[0].split())
    school_rows = [
        r for r in export_rows(*export_arguments(report.filters)) if r["scope"] == "school" and r["subgroup"] == "all"
    ]
    safety = next(r for r in school_rows if r["scale"] == "safety")
    assert f"Feeling safe went up by {_f2(safety['mean_change'])} points for the {safety['n_matched']} pupils" in text


def test_unchanged_figures_give_the_same_pdf_at_once_and_new_figures_a_new_render(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    first, _ = _ask(world, capture=django_capture_on_commit_callbacks)
    assert first.status == "ready"
    monkeypatch.setattr(render, "report_pdf", lambda *a, **k: pytest.fail("rendered again for unchanged figures"))
    again, queued = _ask(
        world,
        user=MembershipFactory(school=world["schools"][0], role="school_lead").user,
        capture=django_capture_on_commit_callbacks,
    )
    assert (again.pk, queued, again.status, again.file_path) == (first.pk, False, "ready", first.file_path)
    assert OutcomeReport.objects.count() == 1
    monkeypatch.undo()

    # New answers in the school's small class: the data version moves, so a new render.
    group = world["small"]
    baseline = group.survey_windows.get(wave="baseline")
    post = group.survey_windows.get(wave="post")
    for _ in range(5):
        pupil = make_pupil(baseline)
        values = {f"SAF_0{i}": 4 for i in range(1, 6)}
        answer(baseline, pupil, values)
        answer(post, pupil, dict.fromkeys(values, 5))
    outcome_services.class_pairs_refresh(keys=outcome_services.all_pair_keys())
    newer, queued = _ask(world, capture=django_capture_on_commit_callbacks)
    assert queued and newer.pk != first.pk and newer.data_version > first.data_version
    assert newer.status == "ready" and newer.file_path != first.file_path
    assert default_storage.exists(first.file_path)  # the older version stays until retention removes it


def test_a_task_delivered_twice_renders_once_and_emails_once(world, monkeypatch, django_capture_on_commit_callbacks):
    report, _ = _ask(world, capture=django_capture_on_commit_callbacks)
    assert report.attempts == 1 and len(mail.outbox) == 1
    monkeypatch.setattr(render, "report_pdf", lambda *a, **k: pytest.fail("rendered twice"))
    tasks.render_outcome_report.delay(report.pk)
    report.refresh_from_db()
    assert (report.status, report.attempts, len(mail.outbox)) == ("ready", 1, 1)
    message = mail.outbox[0]
    assert message.to == [world["leads"][0].email]
    assert f"/outcome-reports/{report.pk}/" in message.body
    assert "monitoring, not proof of impact" in message.body


def test_a_render_interrupted_after_its_claim_is_finished_by_the_next_delivery(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    """A worker that died mid-render leaves the row rendering with its claim: the next
    delivery claims it again, renders once more to the same path, marks it ready once."""
    with django_capture_on_commit_callbacks(execute=False):
        report, _ = services.report_request(
            kind="school",
            programme=world["programme"],
            academic_year=world["year"],
            school=world["schools"][0],
            user=world["leads"][0],
        )
    claimed = services.report_claim(report_id=report.pk)
    assert claimed.status == "rendering" and claimed.claim_token
    # ... the worker dies here. The message is delivered again:
    tasks.render_outcome_report.delay(report.pk)
    report.refresh_from_db()
    assert (report.status, report.attempts) == ("ready", 2)
    assert report.claim_token != claimed.claim_token
    files = list(Path(default_storage.path("outcome-reports")).iterdir())
    assert [f.name for f in files] == [f"report-{report.pk}-v{report.data_version}.pdf"]
    assert len(mail.outbox) == 1
    # The dead attempt can no longer mark anything: its claim token is stale.
    OutcomeReport.objects.filter(pk=report.pk).update(status="rendering")
    services.report_render(report=claimed)
    report.refresh_from_db()
    assert report.status == "rendering"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="advisory locks are PostgreSQL's")
def test_a_live_render_elsewhere_makes_a_second_delivery_wait(world, django_capture_on_commit_callbacks):
    import psycopg
    from django.conf import settings

    with django_capture_on_commit_callbacks(execute=False):
        report, _ = services.report_request(
            kind="school",
            programme=world["programme"],
            academic_year=world["year"],
            school=world["schools"][0],
            user=world["leads"][0],
        )
    db = settings.DATABASES["default"]
    other = psycopg.connect(
        dbname=connection.settings_dict["NAME"],
        user=db["USER"],
        host=db["HOST"],
        port=db["PORT"] or 5432,
        password=db.get("PASSWORD") or None,
        autocommit=True,
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [services.LOCK_NAMESPACE, report.pk])
        with pytest.raises(services.Busy), services.render_lock(report.pk):
            pass
        report.refresh_from_db()
        assert report.attempts == 0  # nothing claimed while another holds it
    finally:
        other.close()  # the holder's connection goes: so does its lock (once the server notices)
    import time

    deadline = time.monotonic() + 10
    while True:
        try:
            with services.render_lock(report.pk):
                break
        except services.Busy:
            assert time.monotonic() < deadline, "the lock outlived its holder's connection"
            time.sleep(0.1)


def test_a_failing_render_fails_with_a_clear_message_and_asking_again_retries(
    world, monkeypatch, django_capture_on_commit_callbacks, client
):
    def boom(*args, **kwargs):
        raise RuntimeError("the renderer ran out of memory")

    monkeypatch.setattr(render, "report_pdf", boom)
    report, _ = _ask(world, capture=django_capture_on_commit_callbacks)
    assert report.status == "failed" and "ran out of memory" in report.last_error
    assert not mail.outbox
    client.force_login(world["leads"][0])
    page = client.get(f"/outcome-reports/{report.pk}/").content.decode()
    assert "could not make this report" in page and "ran out of memory" in page and "Try again" in page
    monkeypatch.undo()
    again, queued = _ask(world, capture=django_capture_on_commit_callbacks)
    assert again.pk == report.pk and queued and again.status == "ready"


def test_a_broker_outage_leaves_the_report_queued_and_beat_sends_it(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.render_outcome_report, "delay", refuse)
    report, _ = _ask(world, capture=django_capture_on_commit_callbacks)
    assert report.status == "queued"
    monkeypatch.undo()
    OutcomeReport.objects.filter(pk=report.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=30))
    assert tasks.requeue_stale_outcome_reports.delay().get() == 1
    report.refresh_from_db()
    assert report.status == "ready"


# --- Who may ask for and open which report --------------------------------------------


def test_a_school_lead_asks_for_their_school_report_on_the_staff_pages(
    world, client, django_capture_on_commit_callbacks
):
    school = world["schools"][0]
    client.force_login(world["leads"][0])
    page = client.get(f"/outcome-reports/schools/{school.pk}/")
    assert page.status_code == 200 and world["programme"].title in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        answer_ = client.post(
            f"/outcome-reports/schools/{school.pk}/",
            {"programme": world["programme"].pk, "academic_year": world["year"]},
        )
    report = OutcomeReport.objects.get()
    assert answer_.status_code == 302 and answer_["Location"] == f"/outcome-reports/{report.pk}/"
    assert (report.kind, report.school, report.requested_by) == ("school", school, world["leads"][0])
    status = client.get(f"/outcome-reports/{report.pk}/").content.decode()
    assert "Your report is ready" in status
    download = client.get(f"/outcome-reports/{report.pk}/download/")
    assert download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_bad_input_is_answered_with_the_form_and_its_errors(world, client):
    school = world["schools"][0]
    client.force_login(world["leads"][0])
    answer_ = client.post(f"/outcome-reports/schools/{school.pk}/", {"programme": "999999", "academic_year": "1900"})
    assert answer_.status_code == 400
    assert "Select a valid choice" in answer_.content.decode()
    assert not OutcomeReport.objects.exists()


def test_leads_of_other_schools_teachers_and_bad_ids_get_404(world, client, django_capture_on_commit_callbacks):
    report, _ = _ask(world, capture=django_capture_on_commit_callbacks)
    regional, _ = _ask(world, kind="regional", capture=django_capture_on_commit_callbacks)
    school = world["schools"][0]
    teacher = MembershipFactory(school=school, role="teacher").user
    other_lead = world["leads"][1]
    urls = [
        f"/outcome-reports/schools/{school.pk}/",
        f"/outcome-reports/{report.pk}/",
        f"/outcome-reports/{report.pk}/download/",
    ]
    for user in (teacher, other_lead):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
        assert (
            client.post(urls[0], {"programme": world["programme"].pk, "academic_year": world["year"]}).status_code
            == 404
        )
    client.force_login(world["leads"][0])
    for url in (
        f"/outcome-reports/{regional.pk}/",  # a regional report is not a school page
        f"/outcome-reports/{regional.pk}/download/",
        "/outcome-reports/987654/",
        "/outcome-reports/schools/987654/",
        f"/outcome-reports/schools/{world['schools'][1].pk}/",
    ):
        assert client.get(url).status_code == 404, url
    assert client.get("/outcome-reports/abc/").status_code == 404
    assert OutcomeReport.objects.count() == 2


def test_officers_ask_for_the_regional_report_in_the_admin_and_others_cannot(
    world, client, django_capture_on_commit_callbacks
):
    officer = UserFactory(mfa=True)
    officer.groups.add(Group.objects.get(name=OFFICER))
    login_with_second_factor(client, officer)
    page = client.get("/admin/outcome-reports/")
    assert page.status_code == 200 and "Make the report" in page.content.decode()
    # The dashboard's link chooses the programme for the officer.
    linked = client.get(f"/admin/outcome-reports/?programme={world['programme'].pk}&academic_year={world['year']}")
    assert f'<option value="{world["programme"].pk}" selected>' in linked.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        answer_ = client.post(
            "/admin/outcome-reports/", {"programme": world["programme"].pk, "academic_year": world["year"]}
        )
    report = OutcomeReport.objects.get()
    assert report.kind == "regional" and answer_["Location"] == f"/admin/outcome-reports/{report.pk}/"
    assert "Your report is ready" in client.get(answer_["Location"]).content.decode()
    assert b"".join(client.get(f"/admin/outcome-reports/{report.pk}/download/").streaming_content).startswith(b"%PDF")
    assert len(mail.outbox) == 1 and f"/admin/outcome-reports/{report.pk}/" in mail.outbox[0].body
    # An officer has no school: the school pages refuse them; a school report is not in the admin.
    school_report, _ = _ask(world, capture=django_capture_on_commit_callbacks)
    assert client.get(f"/outcome-reports/{school_report.pk}/").status_code == 403
    assert client.get(f"/admin/outcome-reports/{school_report.pk}/").status_code == 404
    assert client.get("/admin/outcome-reports/999999/").status_code == 404
    # A content editor is turned back; a school lead never reaches the admin.
    editor = UserFactory(mfa=True)
    editor.groups.add(Group.objects.get(name=CONTENT_EDITOR))
    login_with_second_factor(client, editor)
    assert client.get("/admin/outcome-reports/").status_code == 302
    assert client.get(f"/admin/outcome-reports/{report.pk}/download/").status_code == 302
    client.force_login(world["leads"][0])
    assert client.get(f"/admin/outcome-reports/{report.pk}/").status_code == 302
    assert OutcomeReportRequest.objects.filter(user=editor).count() == 0


def test_everyone_who_asked_while_it_rendered_gets_one_email(world, django_capture_on_commit_callbacks):
    lead = world["leads"][0]
    deputy = MembershipFactory(school=world["schools"][0], role="school_lead").user
    with django_capture_on_commit_callbacks(execute=False):
        report, _ = services.report_request(
            kind="school",
            programme=world["programme"],
            academic_year=world["year"],
            school=world["schools"][0],
            user=lead,
        )
        services.report_request(
            kind="school",
            programme=world["programme"],
            academic_year=world["year"],
            school=world["schools"][0],
            user=deputy,
        )
    tasks.render_outcome_report.delay(report.pk)
    tasks.render_outcome_report.delay(report.pk)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([lead.email, deputy.email])
    assert re.search(r"outcome-reports/\d+/", mail.outbox[0].alternatives[0][0])


def test_superseded_and_failed_reports_are_deleted_after_their_retention_and_the_newest_kept(
    world, django_capture_on_commit_callbacks
):
    import datetime as dt

    from django.utils import timezone

    old, _ = _ask(world, capture=django_capture_on_commit_callbacks)
    OutcomeReport.objects.filter(pk=old.pk).update(
        data_version=old.data_version - 1, created_at=timezone.now() - dt.timedelta(days=91)
    )
    old.refresh_from_db()
    newest = OutcomeReport.objects.create(
        kind=old.kind,
        scope_key=old.scope_key,
        filter_key=old.filter_key,
        filters=old.filters,
        data_version=old.data_version + 1,
        programme=old.programme,
        academic_year=old.academic_year,
        school=old.school,
        status="failed",
        last_error="x",
    )
    assert services.reports_purge() == {"superseded": 1, "failed": 0}
    assert not OutcomeReport.objects.filter(pk=old.pk).exists() and not default_storage.exists(old.file_path)
    assert services.reports_purge(now=timezone.now() + dt.timedelta(days=31)) == {"superseded": 0, "failed": 1}
    assert not OutcomeReport.objects.filter(pk=newest.pk).exists()


def test_without_javascript_the_progress_page_refreshes_itself_and_the_script_gets_a_fragment(
    world, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        report, _ = services.report_request(
            kind="school",
            programme=world["programme"],
            academic_year=world["year"],
            school=world["schools"][0],
            user=world["leads"][0],
        )
    client.force_login(world["leads"][0])
    page = client.get(f"/outcome-reports/{report.pk}/").content.decode()
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert "Waiting to start" in page and "outcome-report-status.js" in page
    fragment = client.get(f"/outcome-reports/{report.pk}/?fragment=1")
    assert fragment["X-Report-Finished"] == "0" and "<html" not in fragment.content.decode()
    tasks.render_outcome_report.delay(report.pk)
    fragment = client.get(f"/outcome-reports/{report.pk}/?fragment=1")
    assert fragment["X-Report-Finished"] == "1" and "Download the report" in fragment.content.decode()
    assert "http-equiv" not in client.get(f"/outcome-reports/{report.pk}/").content.decode()


def test_each_scale_has_the_dashboards_chart_beside_its_table(world):
    from outcomes import presentation
    from outcomes.reports import content

    report = OutcomeReport(
        kind="school",
        scope_key="x",
        filter_key="x",
        data_version=0,
        programme=world["programme"],
        academic_year=world["year"],
        school=world["schools"][0],
        filters=content.report_filters(
            kind="school",
            programme=world["programme"].slug,
            academic_year=world["year"],
            school_urn=world["schools"][0].urn,
        ),
    )
    html = render.report_html(report)
    table = content._table(report.filters)
    svgs = [s.svg for s in presentation.sections(table, chart_prefix="report-main") if s.svg]
    assert len(svgs) == 2 and html.count("<svg") == 2  # safety and violence, each once
    for svg in svgs:
        assert svg in html
    assert "<script" not in html and 'style="' not in html.split("<body", 1)[1]
