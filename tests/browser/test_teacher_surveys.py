"""A teacher's survey journeys in Chromium: setting up a class offers the school's year
groups from the programme's first; scheduling the post survey with 1 of 6 lessons logged
warns and needs confirming, with the opt-out letter date remembered and its rule
explained; closing asks first; a window that closed at its closing time reads as closed.
axe-core checks every page on the way."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from surveys.models import SurveyWindow
from surveys.services.windows import earliest_open_date
from tests.browser.helpers import accessibility_problems, log_in_as
from tests.factories import MembershipFactory
from tests.lessons.factories import (
    LessonDeliveryFactory,
    LessonPageFactory,
    ProgrammeIndexPageFactory,
    ProgrammePageFactory,
    TeachingGroupFactory,
    site_home,
)
from tests.surveys.factories import SurveyWindowFactory, make_response, make_version

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _long_date(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def test_setting_up_a_class_offers_the_schools_years_from_the_programmes_first(page, live_server):
    programme = ProgrammePageFactory(
        parent=ProgrammeIndexPageFactory(parent=site_home()), title="Choices and Voices", year_from=7, year_to=9
    )
    teacher = MembershipFactory().user  # at a secondary school
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_as(page, live_server.url, teacher)
    page.goto(f"{live_server.url}/classes/new/?programme={programme.pk}")
    year = page.get_by_label("Year group")
    assert year.input_value() == "7"
    assert year.locator("option").all_inner_texts() == ["Year 7", "Year 8", "Year 9", "Year 10", "Year 11"]
    expect(page.get_by_text("Other teachers of this class")).to_be_visible()
    assert accessibility_problems(page) == []


def test_post_survey_with_few_lessons_warns_then_closing_asks_first(page, live_server):
    group = TeachingGroupFactory(name="8R")
    lessons = [LessonPageFactory(parent=group.programme) for _ in range(6)]
    LessonDeliveryFactory(group=group, lesson=lessons[0])
    letter = timezone.localdate() - dt.timedelta(days=40)
    SurveyWindowFactory(group=group, closed=True, optout_letter_sent_on=letter)  # the baseline, done
    make_version()
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_as(page, live_server.url, group.teacher)
    problems: list[str] = []

    page.goto(f"{live_server.url}/surveys/classes/{group.pk}/")
    page.get_by_role("link", name="Schedule a survey").click()
    expect(page.get_by_text("1 of the 6 lessons is logged for 8R.")).to_be_visible()
    assert page.get_by_label("Which survey is this?").input_value() == "post"
    letter_field = page.get_by_label("Date the parental opt-out letter went home")
    assert letter_field.input_value() == letter.isoformat()  # remembered from the baseline
    hint = page.locator("#id_optout_letter_sent_on_help")
    expect(hint).to_have_text(
        f"The survey can open 10 school days (weekdays) after the letter went home: "
        f"from {_long_date(earliest_open_date(letter))}."
    )
    # The hint follows the date as it is typed (static/js/window_form.js).
    typed = dt.date(2026, 9, 11)  # a Friday: ten school days on is Friday 25 September
    letter_field.fill(typed.isoformat())
    expect(hint).to_have_text(
        "The survey can open 10 school days (weekdays) after the letter went home: from Friday 25 September 2026."
    )
    letter_field.fill(letter.isoformat())
    problems += accessibility_problems(page)

    page.get_by_role("button", name="Schedule the survey").click()
    expect(
        page.get_by_text("Only 1 of the 6 lessons is logged. Tick the box to schedule the post survey anyway")
    ).to_be_visible()
    assert not SurveyWindow.objects.filter(wave="post").exists()
    problems += accessibility_problems(page)
    page.get_by_label("Schedule it anyway: only 1 of the 6 lessons is logged for this class").check()
    page.get_by_role("button", name="Schedule the survey").click()

    expect(page.get_by_text("The survey is open now. Show pupils the class code below.")).to_be_visible()
    post = SurveyWindow.objects.get(wave="post")
    assert post.optout_letter_sent_on == letter and post.is_open()
    expect(page.get_by_text("This updates every 10 seconds.")).to_be_visible()
    make_response(post)

    page.get_by_role("link", name="Close the survey now").click()
    expect(page.get_by_role("heading", name="Close the survey now?")).to_be_visible()
    expect(page.get_by_text("1 of about 28 pupils have sent their answers.")).to_be_visible()
    problems += accessibility_problems(page)
    post.refresh_from_db()
    assert post.is_open()  # asking changed nothing
    page.get_by_role("button", name="Yes, close the survey").click()
    expect(page.get_by_text("The survey is closed. The class code no longer works.")).to_be_visible()
    expect(page.get_by_role("link", name="Close the survey now")).to_have_count(0)
    post.refresh_from_db()
    assert post.state() == SurveyWindow.State.CLOSED
    assert problems == []


def test_a_survey_that_closed_at_its_closing_time_shows_as_closed(page, live_server, csp_violations):
    now = timezone.now()
    window = SurveyWindowFactory(opens_at=now - dt.timedelta(days=7), closes_at=now - dt.timedelta(minutes=5))
    make_response(window)
    page.set_viewport_size({"width": 390, "height": 844})
    log_in_as(page, live_server.url, window.group.teacher)

    page.goto(f"{live_server.url}/surveys/windows/{window.pk}/")
    expect(page.get_by_text("This survey is closed.")).to_be_visible()
    expect(page.get_by_role("heading", name="Final count")).to_be_visible()
    expect(page.get_by_text("1 of about 28 pupils finished.")).to_be_visible()
    expect(page.get_by_role("link", name="Close the survey now")).to_have_count(0)
    expect(page.get_by_text("This updates every 10 seconds")).to_have_count(0)
    expect(page.locator(".join-code")).to_have_count(0)
    assert accessibility_problems(page) == []

    page.goto(f"{live_server.url}/surveys/classes/{window.group.pk}/")
    expect(page.get_by_role("cell", name="Closed", exact=True)).to_be_visible()
    assert accessibility_problems(page) == []
    assert csp_violations == []
