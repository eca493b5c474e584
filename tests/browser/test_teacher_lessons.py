"""A teacher's lesson journey in a real browser (Playwright driving Debian's Chromium):
sign in through allauth, set up a class, open a lesson, download its plan and log it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from lessons.models import LessonDelivery
from tests.browser.helpers import accessibility_problems, sign_in
from tests.factories import MembershipFactory, SchoolFactory, UserFactory
from tests.lessons.factories import (
    LessonPageFactory,
    ProgrammeIndexPageFactory,
    ProgrammePageFactory,
    site_home,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lesson_site(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    programme = ProgrammePageFactory(parent=ProgrammeIndexPageFactory(parent=site_home()), title="Choices and Voices")
    first = LessonPageFactory(parent=programme, title="Understanding conflict")
    LessonPageFactory(parent=programme, title="Peer influence")
    return programme, first


def test_teacher_creates_a_class_opens_a_lesson_downloads_the_plan_and_logs_it(
    page, live_server, lesson_site, csp_violations, tmp_path
):
    programme, lesson = lesson_site
    school = SchoolFactory(name="Oakfield Academy")
    teacher = UserFactory(email="tom@oakfield.example", first_name="Tom")
    MembershipFactory(user=teacher, school=school)
    colleague = MembershipFactory(school=school, user__first_name="Cleo", user__last_name="Colleague").user

    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    sign_in(page, live_server.url, teacher.email)

    page.get_by_role("link", name="My classes").first.click()
    page.get_by_role("link", name="Set up a class").click()
    expect(page.get_by_role("button", name="Create class")).to_be_visible()
    assert accessibility_problems(page) == []
    page.get_by_label("Name").fill("8R")
    page.get_by_label("Year group").select_option("8")
    page.get_by_label("Number of pupils").fill("28")
    page.get_by_label("Programme").select_option(label="Choices and Voices")
    page.get_by_label(re.compile("Cleo Colleague")).check()
    page.get_by_role("button", name="Create class").click()

    expect(page.get_by_role("heading", name="8R", level=1)).to_be_visible()
    expect(page.get_by_text("0 of 2 lessons delivered")).to_be_visible()

    page.get_by_role("link", name="Understanding conflict").first.click()
    expect(page.get_by_role("heading", name="Understanding conflict", level=1)).to_be_visible()
    expect(page.locator(".block-safeguarding").first).to_be_visible()
    assert accessibility_problems(page) == []

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download lesson plan (PDF)").click()
    saved = tmp_path / "plan.pdf"
    download_info.value.save_as(saved)
    text = "\n".join(p.extract_text() for p in PdfReader(Path(saved)).pages)
    assert "Understanding conflict" in text
    for activity in lesson.activities:
        assert activity["heading"] in text

    page.get_by_role("link", name="Log this lesson for 8R").click()
    expect(page.get_by_role("button", name="Mark delivered")).to_be_visible()
    assert accessibility_problems(page) == []
    assert page.get_by_label("Minutes taught").input_value() == str(lesson.duration_minutes)
    page.get_by_label("Minutes taught").fill("45")
    page.get_by_label("Adaptations made").fill("Shortened the plenary.")
    page.get_by_role("button", name="Mark delivered").click()

    expect(page.get_by_text("1 of 2 lessons delivered")).to_be_visible()
    expect(page.get_by_text("Next lesson:")).to_be_visible()
    assert accessibility_problems(page) == []
    delivery = LessonDelivery.objects.get()
    assert (delivery.lesson_id, delivery.minutes, delivery.revision_id) == (lesson.pk, 45, lesson.live_revision_id)
    assert delivery.group.co_teachers.filter(pk=colleague.pk).exists()
    assert csp_violations == []


def test_visitor_filters_programmes_on_a_phone_and_is_asked_to_sign_in_for_lessons(
    page, live_server, lesson_site, csp_violations
):
    programme, lesson = lesson_site
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Programmes", exact=True).first.click()
    expect(page.get_by_role("button", name="Show programmes")).to_be_visible()
    assert accessibility_problems(page) == []
    page.get_by_label("Key stage").select_option("ks2")
    page.get_by_role("button", name="Show programmes").click()
    expect(page.get_by_role("heading", name="0 programmes found")).to_be_visible()
    page.get_by_label("Key stage").select_option("ks3")
    page.get_by_role("button", name="Show programmes").click()
    page.get_by_role("link", name="Choices and Voices").click()
    expect(page.get_by_role("heading", name="What the evidence says")).to_be_visible()
    assert page.get_by_text("Insufficient evidence").count() == 0  # mapped to social skills, not knife crime
    assert accessibility_problems(page) == []
    page.get_by_role("link", name="Understanding conflict").click()
    page.wait_for_url(re.compile(r"/accounts/login/\?next="))
    assert csp_violations == []
