"""'Talk to someone' reaches the person it names, in Chromium: the school lead is asked to
name the safeguarding lead, names Mrs Ahmed and marks her account; a pupil is told it is
Mrs Ahmed and presses the button; the e-mail goes to her and the safeguarding inbox (not
the lead, never with the card code); the lead's home counts the request, and Mrs Ahmed
sees it in her list and follows it up. axe-core checks every page on the way."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import Membership
from surveys.models import OutboxMessage, TalkRequest
from surveys.tasks import relay_outbox
from tests.browser.helpers import accessibility_problems, fits_width, log_in_as, serious_violations
from tests.factories import MembershipFactory
from tests.surveys.factories import PupilSurveyWindowFactory, make_pupil

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _pupil_presses_talk(browser, base_url: str, window, pupil) -> list[str]:
    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(base_url + "/go/")
    page.get_by_label("Type the class code from the board").fill(window.join_code)
    page.get_by_role("button", name="Next").click()
    page.get_by_label("Type the code on your card").fill(pupil.card_code)
    page.get_by_role("button", name="Next").click()
    page.get_by_role("button", name="Yes, I'll take part").click()
    for then in ("q/2/", "q/3/", "thanks/"):  # the pupil survey's three pages, left blank
        page.locator("button[name=action][value=next]").click()
        page.wait_for_url(f"**/go/{then}")
    expect(
        page.get_by_text(
            "Pressing this sends the code on your card to Mrs Ahmed, the person at school who helps keep you safe"
        )
    ).to_be_visible()
    problems = [f"{page.url} {v}" for v in serious_violations(page)] + ([] if fits_width(page) else [page.url])
    page.get_by_role("button", name="I'd like to talk to someone").click()
    expect(page.get_by_role("heading", name="We've let them know")).to_be_visible()
    expect(
        page.get_by_text("Mrs Ahmed, the person at school who helps keep you safe, will get your card code")
    ).to_be_visible()
    problems += [f"{page.url} {v}" for v in serious_violations(page)] + ([] if fits_width(page) else [page.url])
    context.close()
    return problems


def test_the_school_lead_names_the_safeguarding_lead_who_then_receives_the_pupils_request(
    browser, page, live_server, mailoutbox
):
    window = PupilSurveyWindowFactory(group__name="8R")
    school = window.group.school
    school.dsl_name = ""
    school.dsl_contact = ""
    school.save()
    lead = MembershipFactory(school=school, role=Membership.Role.SCHOOL_LEAD, user__email="lead@oak.example").user
    ahmed = MembershipFactory(
        school=school, user__email="a.ahmed@oak.example", user__first_name="Aisha", user__last_name="Ahmed"
    ).user
    MembershipFactory(school=school, status=Membership.Status.PENDING)  # a teacher waiting for approval
    pupil = make_pupil(window)
    page.set_viewport_size({"width": 390, "height": 844})
    problems: list[str] = []

    # The lead's home: nothing waiting yet, one teacher to approve, and a nag to name the DSL.
    log_in_as(page, live_server.url, lead)
    page.goto(live_server.url + "/staff/")
    expect(page.locator("ul.waiting li", has_text="Teachers waiting for approval")).to_contain_text(": 1")
    expect(page.locator("ul.waiting li", has_text="Pupils who asked to talk, not followed up yet")).to_contain_text(
        ": none"
    )
    expect(page.get_by_text("Pupils are not told who will hear when they ask to talk to someone.")).to_be_visible()
    problems += accessibility_problems(page)

    page.get_by_role("link", name="Set your safeguarding lead").click()
    problems += accessibility_problems(page)
    page.get_by_label("The name pupils know your safeguarding lead by").fill("Mrs Ahmed")
    page.get_by_label("Where pupils can find them").fill("Room B12")
    page.get_by_label("Shared safeguarding inbox (optional)").fill("safeguarding@oak.example")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Safeguarding details saved.")).to_be_visible()
    page.get_by_role("button", name=re.compile(r"Make safeguarding lead \(a\.ahmed@oak\.example\)")).click()
    expect(page.get_by_text("a.ahmed@oak.example is now the designated safeguarding lead.")).to_be_visible()
    expect(page.get_by_text("Pupils are told their request goes to Mrs Ahmed, found at Room B12.")).to_be_visible()
    problems += accessibility_problems(page)

    # A pupil on a phone is told Mrs Ahmed will know, and asks to talk.
    problems += _pupil_presses_talk(browser, live_server.url, window, pupil)
    OutboxMessage.objects.filter(kind="talk_requested").update(available_at=timezone.now())  # skip the minute
    relay_outbox()

    assert sorted(message.to[0] for message in mailoutbox) == ["a.ahmed@oak.example", "safeguarding@oak.example"]
    for message in mailoutbox:
        assert pupil.card_code not in message.body and pupil.card_code not in message.alternatives[0][0]

    # The lead's home now counts the request, linking to the list.
    page.goto(live_server.url + "/staff/")
    waiting = page.locator("ul.waiting li", has_text="Pupils who asked to talk, not followed up yet")
    expect(waiting).to_contain_text(": 1")
    expect(page.get_by_text("Pupils are not told who will hear")).to_have_count(0)
    problems += accessibility_problems(page)

    # Mrs Ahmed signs in, follows the count to the list, sees the card code and follows it up.
    log_in_as(page, live_server.url, ahmed)
    page.goto(live_server.url + "/staff/")
    expect(page.get_by_text("Teacher · Designated safeguarding lead")).to_be_visible()
    page.get_by_role("link", name="Pupils who asked to talk, not followed up yet").click()
    code = f"{pupil.card_code[:3]}-{pupil.card_code[3:6]}-{pupil.card_code[6]}"
    expect(page.locator("td.card-code", has_text=code)).to_be_visible()
    problems += accessibility_problems(page)
    page.get_by_role("button", name=f"Mark as followed up for card {code}").click()
    expect(page.get_by_text("Marked as followed up.")).to_be_visible()
    assert TalkRequest.objects.get().seen_by == ahmed
    page.goto(live_server.url + "/staff/")
    expect(page.locator("ul.waiting li", has_text="Pupils who asked to talk, not followed up yet")).to_contain_text(
        ": none"
    )

    assert problems == []
