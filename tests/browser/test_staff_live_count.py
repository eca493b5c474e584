"""Staff survey pages in a real browser: static/js/window_count.js updates the count by itself,
from a same-origin JSON endpoint, without breaking the Content-Security-Policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import accessibility_problems, log_in_as
from tests.surveys.factories import SurveyWindowFactory, make_response

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_live_count_updates_without_a_reload(live_server, page, reference_data):
    window = SurveyWindowFactory()
    log_in_as(page, live_server.url, window.group.teacher)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.clock.install()

    page.goto(f"{live_server.url}/surveys/windows/{window.pk}/")
    count = page.locator("#completed-count")
    assert count.inner_text() == "0"
    make_response(window)
    make_response(window)
    page.clock.run_for(10_500)
    expect(count).to_have_text("2")
    assert all(url.startswith(live_server.url) for url in requests)
    assert not [text for text in problems if "Content Security Policy" in text]


def test_staff_survey_pages_pass_axe_on_a_phone(live_server, page, reference_data):
    from accounts.models import Membership
    from surveys.models import TalkRequest
    from tests.factories import MembershipFactory

    window = SurveyWindowFactory()
    group = window.group
    lead = MembershipFactory(school=group.school, role=Membership.Role.SCHOOL_LEAD).user
    TalkRequest.objects.create(school=group.school, window=window, card_code="AB3K9QC")
    make_response(window, status="in_progress")
    make_response(window, status="over_quota")  # the kept-apart panel and its recount button
    make_response(window, status="conflict")
    page.set_viewport_size({"width": 360, "height": 740})
    problems: list[str] = []
    for user, paths in [
        (
            group.teacher,
            [
                f"/surveys/windows/{window.pk}/",
                f"/surveys/classes/{group.pk}/",
                f"/surveys/classes/{group.pk}/new/",
                f"/surveys/classes/{group.pk}/cards/",
            ],
        ),
        (lead, ["/surveys/talk-requests/", "/surveys/withdraw/"]),
    ]:
        log_in_as(page, live_server.url, user)
        for path in paths:
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            problems += accessibility_problems(page)
    # The scheduling form with errors shown.
    log_in_as(page, live_server.url, group.teacher)
    page.goto(f"{live_server.url}/surveys/classes/{group.pk}/new/")
    page.fill("input[name=optout_letter_sent_on]", "")
    page.get_by_role("button", name="Schedule the survey").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    problems += accessibility_problems(page)
    # The withdrawal form with a mistyped card code, then the check page for a real card.
    log_in_as(page, live_server.url, lead)
    page.goto(f"{live_server.url}/surveys/withdraw/")
    page.get_by_label("Card code").fill("AB0")
    page.get_by_role("button", name="Find what we hold").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    problems += accessibility_problems(page)
    page.get_by_label("Card code").fill("AB3-K9Q-C")
    page.get_by_role("button", name="Find what we hold").click()
    expect(page.get_by_role("heading", name="Check before you delete")).to_be_visible()
    problems += accessibility_problems(page)
    assert problems == []
