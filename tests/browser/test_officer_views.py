"""A VRU officer in a real browser (Playwright driving Debian's Chromium), signed in with
their second factor: opens "Delivery and participation" from the admin menu, filters it,
downloads its CSV and finds the same table; reads programmes and lessons. axe-core finds
no serious or critical problem on these pages."""

from __future__ import annotations

import csv
import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import LocalAuthority
from accounts.roles import OFFICER
from accounts.school_year import academic_year_for
from lessons.roles import ensure_lesson_permissions
from surveys.roles import ensure_survey_permissions
from tests.browser.helpers import serious_violations
from tests.browser.vru import sign_in_with_second_factor
from tests.factories import SchoolFactory, UserFactory
from tests.lessons.factories import (
    LessonDeliveryFactory,
    LessonPageFactory,
    ProgrammeIndexPageFactory,
    ProgrammePageFactory,
    TeachingGroupFactory,
    site_home,
)
from tests.surveys.factories import SurveyWindowFactory, make_response

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def region(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    ensure_survey_permissions()
    ensure_lesson_permissions()
    year = academic_year_for(timezone.localdate())
    index = ProgrammeIndexPageFactory(parent=site_home())
    choices = ProgrammePageFactory(parent=index, title="Choices and Voices")
    streets = ProgrammePageFactory(parent=index, title="Safer Streets")
    lessons = [LessonPageFactory(parent=choices, title=title) for title in ("Understanding conflict", "Peer influence")]
    LessonPageFactory(parent=streets, title="Streets at night")
    oak = SchoolFactory(name="Oakfield Academy")
    elm = SchoolFactory(name="Elmwood School", local_authority=LocalAuthority.objects.get(slug="coventry"))
    big = TeachingGroupFactory(school=oak, programme=choices, name="8R", pupil_count=28, academic_year=year)
    small = TeachingGroupFactory(school=elm, programme=streets, name="7B", pupil_count=24, academic_year=year)
    LessonDeliveryFactory(group=big, lesson=lessons[0], delivered_on=timezone.localdate() - dt.timedelta(days=20))
    now = timezone.now()
    closed = SurveyWindowFactory(group=big, opens_at=now - dt.timedelta(days=9), closes_at=now - dt.timedelta(days=2))
    for _ in range(12):
        make_response(closed)
    open_now = SurveyWindowFactory(group=small)
    for _ in range(3):
        make_response(open_now)
    return {"choices": choices, "lessons": lessons}


def _table(page) -> list[list[str]]:
    return page.locator("#participation tr").evaluate_all(
        "rows => rows.map(row => Array.from(row.cells, cell => cell.innerText.trim()))"
    )


def test_officer_filters_delivery_and_participation_and_downloads_the_same_table(page, live_server, region, tmp_path):
    officer = UserFactory(email="olu@vru.example", groups=[OFFICER], mfa=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_with_second_factor(page, live_server.url, officer)

    page.get_by_role("link", name="Delivery and participation").click()
    expect(page.get_by_role("heading", name="Delivery and participation", level=1)).to_be_visible()
    expect(page.locator("#participation-count")).to_have_text("2 classes.")
    assert serious_violations(page) == []
    header, *rows = _table(page)
    assert [row[header.index("Class")] for row in rows] == ["8R", "7B"]

    page.get_by_label("Programme").select_option(label="Choices and Voices")
    page.get_by_role("button", name="Show classes").click()
    expect(page.locator("#participation-count")).to_have_text("1 class.")
    header, *rows = _table(page)
    [row] = rows
    cells = dict(zip(header, row, strict=True))
    assert (cells["School"], cells["Class"], cells["Lessons logged"], cells["Lessons planned"]) == (
        "Oakfield Academy",
        "8R",
        "1",
        "2",
    )
    assert cells["Baseline survey"].startswith("Closed (")
    assert (cells["Baseline responses sent"], cells["Class size"]) == ("12", "28")
    assert serious_violations(page) == []

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download this table (CSV)").click()
    download = download_info.value
    assert re.fullmatch(r"delivery-and-participation-\d{4}-\d{2}\.csv", download.suggested_filename)
    saved = tmp_path / "participation.csv"
    download.save_as(saved)
    with saved.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [header, row]

    # Without the programme filter, the small open window reads "fewer than 10" in both.
    page.get_by_label("Programme").select_option(label="All")
    page.get_by_role("button", name="Show classes").click()
    expect(page.locator("#participation-count")).to_have_text("2 classes.")
    header, *rows = _table(page)
    small = dict(zip(header, rows[1], strict=True))
    assert small["Baseline responses sent"] == "fewer than 10"
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download this table (CSV)").click()
    download_info.value.save_as(saved)
    with saved.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [header, *rows]


def test_officer_reads_programmes_and_lessons_without_an_edit_button(page, live_server, region):
    officer = UserFactory(email="olu@vru.example", groups=[OFFICER], mfa=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_with_second_factor(page, live_server.url, officer)

    page.get_by_role("button", name="Lesson delivery").click()
    page.get_by_role("link", name="Programmes and lessons").click()
    expect(page.get_by_role("heading", name="Programmes and lessons", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Choices and Voices", level=2)).to_be_visible()
    assert serious_violations(page) == []
    assert page.get_by_role("link", name=re.compile("^Edit")).count() == 0

    page.get_by_role("link", name="View Understanding conflict").click()
    expect(page.get_by_role("heading", name="Understanding conflict", level=1)).to_be_visible()
    assert serious_violations(page) == []
