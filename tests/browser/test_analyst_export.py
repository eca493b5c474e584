"""A VRU analyst in a real browser (Playwright driving Debian's Chromium), signed in with
their second factor: opens "Analyst export" from the admin menu, is told clearly about a
bad filter, starts an export (a background job: eager in tests, as in the embedded default)
and lands on its status page, which says when nothing qualifies, and otherwise offers the
ZIP of pseudonymised records; the exports are listed on the form page. axe-core finds no
serious or critical problem on the pages in each state."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from playwright.sync_api import expect

from accounts.roles import ANALYST
from outcomes import services
from tests.browser.helpers import serious_violations
from tests.browser.vru import sign_in_with_second_factor
from tests.factories import SchoolFactory, UserFactory
from tests.outcomes.helpers import answer, authority, closed_class, make_pupil, outcome_version, programme_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BASE = {"SAF_01": 3, "SAF_02": 3, "SAF_03": 3, "SAF_04": 3, "SAF_05": 3, "VIO_01": 2, "VIO_02": 4, "VIO_03": 2}
RISE = {**BASE, "SAF_01": 4, "SAF_02": 2, "SAF_03": 4, "SAF_04": 2, "SAF_05": 4}


@pytest.fixture
def region():
    version = outcome_version()
    choices, streets = programme_page(), programme_page()
    choices.title, streets.title = "Choices and Voices", "Safer Streets"
    choices.save(update_fields=["title"])
    streets.save(update_fields=["title"])
    school = SchoolFactory(name="Oakfield Academy", urn="654321", local_authority=authority("birmingham"))
    _group, baseline, post = closed_class(programme=choices, version=version, school=school)
    codes = []
    for gender, later in (("girl", RISE), ("boy", BASE)):
        for _ in range(12):
            pupil = make_pupil(baseline)
            codes.append(pupil.card_code)
            answer(baseline, pupil, BASE, gender=gender)
            answer(post, pupil, later, gender=gender)
    services.class_pairs_refresh(keys=services.all_pair_keys())
    return {"choices": choices, "streets": streets, "codes": codes}


def test_analyst_downloads_pseudonymised_records_after_clear_messages(page, live_server, region, tmp_path):
    analyst = UserFactory(email="ana@vru.example", groups=[ANALYST], mfa=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_with_second_factor(page, live_server.url, analyst)

    page.get_by_role("link", name="Analyst export").click()
    expect(page.get_by_role("heading", name="Analyst export", level=1)).to_be_visible()
    expect(page.get_by_text("Monitoring, not proof of impact.")).to_be_visible()
    assert serious_violations(page) == []

    page.get_by_label("School URN (optional)").fill("12")
    page.get_by_role("button", name="Make the export").click()
    expect(page.locator("#analyst-export-errors")).to_contain_text("'12' is not a school URN")
    assert serious_violations(page) == []

    page.get_by_label("School URN (optional)").fill("")
    page.get_by_label("Programme").select_option(label="Safer Streets")
    page.get_by_role("button", name="Make the export").click()
    expect(page.locator("#analyst-export-empty")).to_contain_text("No matched pupils qualify for these filters")
    assert "/admin/analyst-export/" in page.url
    assert serious_violations(page) == []

    page.get_by_role("link", name="Your analyst exports").click()
    page.get_by_label("Programme").select_option(label="Choices and Voices")
    page.get_by_role("button", name="Make the export").click()
    expect(page.get_by_text("Your export is ready.")).to_be_visible()
    expect(page.locator("#report-status")).to_contain_text("24 rows")
    assert serious_violations(page) == []
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download records (ZIP").click()
    download = download_info.value
    assert download.suggested_filename.startswith("upstream-analyst-export-")
    saved = tmp_path / "export.zip"
    download.save_as(saved)
    archive = zipfile.ZipFile(saved)
    rows = list(csv.DictReader(io.StringIO(archive.read("records.csv").decode("utf-8"))))
    assert len(rows) == 24 and {r["gender"] for r in rows} == {"girl", "boy"}
    assert sorted(r["safety_change"] for r in rows) == ["0"] * 12 + ["1"] * 12
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode("utf-8")
    assert not [code for code in region["codes"] if code in everything]
    assert "654321" not in everything and "Oakfield" not in everything

    page.get_by_role("link", name="Your analyst exports").click()
    listing = page.get_by_role("table")
    expect(listing).to_contain_text("Ready")
    expect(listing).to_contain_text("Nothing qualified")
    assert serious_violations(page) == []
