"""A VRU officer in a real browser (Playwright driving Debian's Chromium), signed in with
their second factor: opens "Outcomes" from the admin menu, filters the dashboard, and sees
each scale's chart (an accessible SVG image), its data table and the methods statement;
hidden figures read "fewer than 10" / "fewer than 3 schools"; the CSV link downloads the
same figures. axe-core finds no serious or critical problem; no CSP violation is logged."""

from __future__ import annotations

import csv

import pytest
from playwright.sync_api import expect

from accounts.roles import OFFICER
from lessons.roles import ensure_lesson_permissions
from surveys.roles import ensure_survey_permissions
from tests.browser.helpers import serious_violations
from tests.browser.vru import sign_in_with_second_factor
from tests.factories import UserFactory
from tests.outcomes.dashboard_data import build_region

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def region(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    ensure_survey_permissions()
    ensure_lesson_permissions()
    return build_region()


def _rows(page, caption: str) -> list[list[str]]:
    table = page.locator("table", has=page.locator("caption", has_text=caption)).first
    rows = table.locator("tr").evaluate_all(
        "rows => rows.map(row => Array.from(row.cells, cell => cell.innerText.trim()))"
    )
    return rows[1:] if rows and rows[0][0] == "" else rows  # the column-group row


def test_officer_filters_the_outcomes_dashboard_and_reads_chart_table_and_methods(
    page, live_server, region, tmp_path, csp_violations
):
    officer = UserFactory(email="olu@vru.example", groups=[OFFICER], mfa=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_with_second_factor(page, live_server.url, officer)

    page.get_by_role("link", name="Outcomes").click()
    expect(page.get_by_role("heading", name="Outcomes", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Choices and Voices", level=2)).to_be_visible()
    assert serious_violations(page) == []

    # Filter: this programme, broken down by gender.
    page.get_by_label("Programme").select_option(label="Choices and Voices")
    page.get_by_label("Break down by").select_option(label="Gender")
    page.get_by_role("button", name="Show figures").click()
    page.wait_for_url("**/admin/outcomes/?*breakdown=gender*")

    # The chart: an SVG image named by its title, described in words.
    chart = page.get_by_role("img", name="Feeling safe: baseline and post means, West Midlands", exact=True)
    expect(chart).to_be_visible()
    description = chart.locator("desc").text_content()
    assert "All pupils: baseline" in description and "Boy not shown: fewer than 10." in description

    # The table beside it: the region's figures, and hidden groups in words.
    header, *rows = _rows(page, "Feeling safe, West Midlands: the figures in the chart")
    cells = dict(zip(header, rows[0], strict=False))
    assert cells["Pupils"] == "All pupils"
    assert cells["Pupils matched"] == "64" and cells["Schools"] == "6" and cells["Classes"] == "6"
    assert cells["Baseline mean (95% interval)"].split(" ")[0] in description
    boys = next(r for r in rows if r[0] == "Boy")
    assert boys[1] == "fewer than 10"

    # Local authorities (in a disclosure widget): Dudley rests on one school.
    page.get_by_text("Feeling safe by local authority", exact=True).first.click()
    areas = _rows(page, "Feeling safe by local authority")
    dudley = next(r for r in areas if r[0] == "Dudley, All pupils")
    assert dudley[1] == "fewer than 3 schools"

    # The methods statement and the fidelity panel.
    methods = page.get_by_role("region", name="Methods: Choices and Voices")
    expect(methods).to_contain_text("Monitoring, not proof of impact.")
    expect(methods).to_contain_text("Rules version upstream-sdc-2")
    expect(methods).to_contain_text("Bystander interventions to prevent sexual assault")
    expect(page.get_by_role("region", name="Fidelity: lessons delivered against the plan")).to_contain_text(
        "the programme's plan has 4 lessons"
    )
    assert serious_violations(page) == []
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
    print(f"screenshot: {tmp_path / 'dashboard.png'}")

    # The CSV link downloads the same figures, suppressed the same way.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download these figures (CSV)").first.click()
    saved = tmp_path / "outcomes.csv"
    download_info.value.save_as(saved)
    with saved.open(encoding="utf-8", newline="") as handle:
        exported = list(csv.DictReader(handle))
    region_all = next(
        r for r in exported if r["scope"] == "region" and r["scale"] == "safety" and r["subgroup"] == "all"
    )
    assert region_all["n_matched"] == "64" and region_all["n_schools"] == "6"
    boy = next(
        r for r in exported if r["scope"] == "region" and r["scale"] == "safety" and r["subgroup"] == "gender:boy"
    )
    assert boy["suppressed"] == "fewer than 10" and boy["n_matched"] == ""

    # A bad value in the address reads as a clear error, not a crash.
    page.goto(f"{live_server.url}/admin/outcomes/?academic_year=twenty")
    expect(page.get_by_role("alert")).to_contain_text("'twenty' is not a valid academic year")
    assert serious_violations(page) == []
    assert csp_violations == []
