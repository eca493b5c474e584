"""A school lead in a real browser asks for their school's outcomes report from the staff
home, watches its progress (the page refreshes itself, no JavaScript needed), and downloads
the PDF when the renderer has finished; axe-core finds nothing serious on these pages."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from outcomes.reports import services, tasks
from outcomes.reports.models import OutcomeReport
from tests.browser.helpers import serious_violations, sign_in
from tests.outcomes.reports_world import report_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_school_lead_requests_the_school_pdf_sees_progress_and_downloads_it(
    page, live_server, settings, tmp_path, monkeypatch
):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = report_world()
    school, lead = world["schools"][0], world["leads"][0]
    # The render runs when this test says (as a worker would), so the page shows progress first.
    monkeypatch.setattr(services, "report_enqueue", lambda **kwargs: True)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, live_server.url, lead.email)

    page.get_by_role("link", name=f"Outcome reports (PDF) for {school.name}").click()
    expect(page.get_by_role("heading", name=f"Outcome reports for {school.name}", level=1)).to_be_visible()
    assert serious_violations(page) == []
    page.get_by_label("Programme").select_option(label=world["programme"].title)
    page.get_by_role("button", name="Make the report").click()

    status = page.locator("#report-status")
    expect(status).to_contain_text("Waiting to start")
    expect(page.get_by_role("progressbar", name="Report progress")).to_be_visible()
    expect(status).to_contain_text("we will e-mail you a link")
    assert serious_violations(page) == []
    report = OutcomeReport.objects.get()
    assert (report.kind, report.school_id, report.status) == ("school", school.pk, "queued")

    tasks.render_outcome_report.delay(report.pk)  # the worker's turn
    expect(status).to_contain_text("Your report is ready", timeout=15_000)  # the page refreshed itself
    assert serious_violations(page) == []

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download the report (PDF").click()
    download = download_info.value
    saved = tmp_path / "report.pdf"
    download.save_as(saved)
    data = saved.read_bytes()
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    report.refresh_from_db()
    assert len(reader.pages) == report.page_count >= 3
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert school.name in text and "Monitoring, not proof of impact" in text
    assert download.suggested_filename.endswith(".pdf")

    # Coming back later: the list on the reports page leads to the same ready report.
    page.goto(f"{live_server.url}/outcome-reports/schools/{school.pk}/")
    page.get_by_role("link", name=f"{world['programme'].title}, {world['year']}").first.click()
    expect(page.locator("#report-status")).to_contain_text("Your report is ready")
