"""Results for teachers and school leads in Chromium: a teacher closes the post survey, the
rollups refresh (the outbox relay a worker runs), and the class's change reads in plain
words with its numbers; a class of 9 matched pupils reads "fewer than 10"; a school lead
sees the school and each class; a visitor reads the public programme results block.
axe-core checks every page on the way."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from accounts.models import Membership
from outcomes import services
from surveys.services.outbox import outbox_relay
from tests.browser.helpers import accessibility_problems, log_in_as
from tests.factories import MembershipFactory, SchoolFactory
from tests.outcomes.helpers import closed_class, outcome_version, populate, programme_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _class_with_open_post(n: int, name: str):
    """A class whose baseline closed and whose post survey is still open, with ``n`` pupils
    who answered both (and 2 who answered only the baseline)."""
    group, baseline, post = closed_class(programme=programme_page(), version=outcome_version(), close_later=False)
    group.name = name
    group.save()
    populate(baseline, post, n, shift=1, lost=2)
    return group, post


def _close_post_survey(page, base_url: str, post) -> None:
    """Close the post survey by hand, as the teacher does, then let the outbox relay run
    (what the worker's beat does every minute): that refreshes the class's rollups."""
    page.goto(f"{base_url}/surveys/windows/{post.pk}/")
    page.get_by_role("link", name="Close the survey now").click()
    page.get_by_role("button", name="Yes, close the survey").click()
    expect(page.get_by_text("The survey is closed. The class code no longer works.")).to_be_visible()
    outbox_relay()


def test_teacher_sees_their_class_change_once_both_surveys_have_closed(page, live_server):
    group, post = _class_with_open_post(10, "8R")
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_as(page, live_server.url, group.teacher)
    problems: list[str] = []

    page.goto(f"{live_server.url}/classes/{group.pk}/")
    page.get_by_role("link", name="Results for 8R").click()
    expect(page.get_by_role("heading", name="Results for 8R", level=1)).to_be_visible()
    expect(
        page.get_by_text("No results yet: results appear once the baseline and the post survey have both closed.")
    ).to_be_visible()
    problems += accessibility_problems(page)

    _close_post_survey(page, live_server.url, post)
    page.goto(f"{live_server.url}/classes/{group.pk}/")
    page.get_by_role("link", name="Results for 8R").click()
    expect(page.get_by_text("Pupils' feeling safe went up by")).to_be_visible()
    expect(page.get_by_text("on a 1 to 5 scale: the change the programme hopes for.")).to_be_visible()
    expect(page.get_by_text("Monitoring, not proof.")).to_be_visible()
    table = page.get_by_role("table", name="The numbers for 8R, before and after the programme")
    safety = table.get_by_role("row", name="Feeling safe")
    cells = safety.get_by_role("cell").all_inner_texts()
    assert cells[3:] == ["10", "83%"]  # 10 of the 12 who answered the baseline
    assert cells[2].startswith("+") and "to" in cells[2]
    problems += accessibility_problems(page)
    assert problems == []


def test_a_class_of_9_matched_pupils_reads_fewer_than_10(page, live_server):
    group, post = _class_with_open_post(9, "8S")
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_as(page, live_server.url, group.teacher)
    _close_post_survey(page, live_server.url, post)

    page.goto(f"{live_server.url}/staff/results/classes/{group.pk}/")
    expect(page.get_by_text("Feeling safe: fewer than 10 pupils answered both surveys")).to_be_visible()
    row = page.get_by_role("row", name="Feeling safe")
    assert row.get_by_role("cell").all_inner_texts() == [
        "Not shown",
        "Not shown",
        "Not shown",
        "fewer than 10",
        "Not shown",
    ]
    expect(page.get_by_text("went up")).to_have_count(0)
    assert accessibility_problems(page) == []


def test_school_lead_sees_the_school_and_each_class(page, live_server):
    school = SchoolFactory(name="Oakfield Academy")
    programme, version = programme_page(), outcome_version()
    for name, n in (("7A", 12), ("7B", 15)):
        group, baseline, post = closed_class(programme=programme, version=version, school=school, year_group=7)
        group.name = name
        group.save()
        populate(baseline, post, n, shift=1)
    services.class_pairs_refresh(keys=services.all_pair_keys())
    lead = MembershipFactory(school=school, role=Membership.Role.SCHOOL_LEAD).user
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_as(page, live_server.url, lead)

    page.goto(f"{live_server.url}/staff/")
    page.get_by_role("link", name="Results for Oakfield Academy and each class").click()
    expect(page.get_by_role("heading", name="Results for Oakfield Academy", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="The whole school")).to_be_visible()
    whole = page.get_by_role("table", name=f"The numbers for Oakfield Academy, {programme.title}")
    assert whole.get_by_role("row", name="Feeling safe").get_by_role("cell").all_inner_texts()[3] == "27"
    for name, n in (("7A", "12"), ("7B", "15")):
        expect(page.get_by_role("heading", name=name)).to_be_visible()
        table = page.get_by_role("table", name=f"The numbers for {name}, before and after the programme")
        assert table.get_by_role("row", name="Feeling safe").get_by_role("cell").all_inner_texts()[3] == n
    expect(page.get_by_text("Monitoring, not proof.")).to_be_visible()
    assert accessibility_problems(page) == []


def test_the_public_programme_results_block_reads_well_and_passes_axe(page, live_server):
    """The same words on a public page: the evidence block an editor put on the programme
    page (tests/outcomes/test_evidence_block.py covers the editing), for a visitor."""
    from tests.lessons.factories import ProgrammeIndexPageFactory, ProgrammePageFactory, site_home

    programme = ProgrammePageFactory(parent=ProgrammeIndexPageFactory(parent=site_home()), title="Choices and Voices")
    version = outcome_version()
    for n in (12, 15, 11):
        _group, baseline, post = closed_class(programme=programme, version=version)
        populate(baseline, post, n, shift=1)
    services.class_pairs_refresh(keys=services.all_pair_keys())
    programme.evidence_blocks = [
        ("programme_results", {"programme": programme, "heading": "", "academic_year": None, "compare": "post"})
    ]
    programme.save_revision().publish()
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server.url}{programme.url}")
    expect(page.get_by_role("heading", name="Results so far: Choices and Voices")).to_be_visible()
    expect(page.get_by_text("Pupils' feeling safe went up by")).to_be_visible()
    expect(page.get_by_text("38 pupils in 3 schools answered both surveys", exact=False).first).to_be_visible()
    expect(page.get_by_text("Monitoring, not proof.")).to_be_visible()
    assert accessibility_problems(page) == []
