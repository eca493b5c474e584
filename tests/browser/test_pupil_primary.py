"""A Year 5 pupil answers the shipped primary survey on a 360x640 phone, one question per
page (issue 10): on every page the question, all of its choices and the Next or Send
button are inside the screen before any scrolling, and axe-core finds no serious or
critical problem. Screenshots of every page are saved; the folder is printed."""

from __future__ import annotations

import pytest

from surveys import demo
from surveys.models import Answer, Response, SurveyWindow
from tests.browser.helpers import fits_width, serious_violations
from tests.surveys.factories import PupilSurveyWindowFactory, TeachingGroupFactory, make_pupil, programme_page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 360, "height": 640}


# True when the element is wholly inside the viewport and nothing (such as the bar with
# the buttons) lies over it: the element itself is what is hit at its corners and centre.
UNCOVERED = """element => {
  const box = element.getBoundingClientRect();
  if (box.left < 0 || box.top < 0 || box.right > innerWidth || box.bottom > innerHeight) return false;
  const points = [[0.5, 0.5], [0.05, 0.1], [0.95, 0.1], [0.05, 0.9], [0.95, 0.9]];
  return points.every(([fx, fy]) => {
    const hit = document.elementFromPoint(box.left + fx * box.width, box.top + fy * box.height);
    return hit !== null && (element.contains(hit) || hit.contains(element));
  });
}"""


def outside_the_screen(page, locator) -> list[str]:
    """The elements of ``locator`` not wholly on screen, uncovered, as the page first shows."""
    assert page.evaluate("window.scrollY") == 0, "the page scrolled by itself"
    assert locator.count() > 0
    outside = []
    for index in range(locator.count()):
        element = locator.nth(index)
        if not element.evaluate(UNCOVERED):
            outside.append(f"{element.inner_text().strip()[:40]!r} at {element.bounding_box()}")
    return outside


@pytest.fixture
def year_5_window(db):
    group = TeachingGroupFactory(year_group=5, programme=programme_page(year_from=5, year_to=6))
    window = PupilSurveyWindowFactory(
        group=group, instrument_version=demo.seed_primary_instrument(), layout=SurveyWindow.Layout.ITEM_PER_PAGE
    )
    return window, make_pupil(window)


def test_a_year_5_pupil_completes_the_primary_survey_on_a_360_by_640_phone(
    browser, live_server, year_5_window, tmp_path_factory, capsys
):
    window, pupil = year_5_window
    shots = tmp_path_factory.mktemp("pupil-primary-360x640")
    with capsys.disabled():
        print(f"\nScreenshots of the primary survey at 360x640: {shots}")
    context = browser.new_context(viewport=VIEWPORT, is_mobile=True, has_touch=True, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: dict[str, list[str]] = {}

    def check(name: str, *must_show) -> None:
        page.screenshot(path=str(shots / f"{name}.png"))
        found = serious_violations(page)
        if not fits_width(page):
            found.append("wider than the screen")
        for locator in must_show:
            found += outside_the_screen(page, locator)
        problems[name] = found

    page.goto(live_server.url + "/go/")
    next_button = page.get_by_role("button", name="Next")
    check("01-join", page.get_by_label("Type the class code from the board"), next_button)
    page.get_by_label("Type the class code from the board").fill(window.join_code)
    next_button.click()
    page.wait_for_url("**/go/card/")
    check("02-card", page.get_by_label("Type the code on your card"), next_button)
    page.get_by_label("Type the code on your card").fill(pupil.card_code)
    next_button.click()
    page.wait_for_url("**/go/start/")
    check("03-assent", page.get_by_role("button", name="Yes, I'll take part"))
    page.get_by_role("button", name="Yes, I'll take part").click()

    items = list(window.instrument_version.items.order_by("sort_order"))
    assert len(items) == 17  # 15 questions on three faces, then gender and ethnic group
    chosen = {}
    for number, item in enumerate(items, start=1):
        page.wait_for_url(f"**/go/q/{number}/")
        last = number == len(items)
        question = page.get_by_role("group", name=item.text)
        send = page.get_by_role("button", name="Send my answers" if last else "Next", exact=True)
        check(f"q{number:02d}-{item.code}", question.locator("legend"), question.locator("label.opt"), send)
        choices = question.locator("label.opt")
        if item.is_demographic:
            assert choices.count() == (4 if item.code == "GENDER" else 6)
            option = "Girl" if item.code == "GENDER" else "Prefer not to say"
        else:
            # The three faces, then, below "Or you can choose:", the two ways not to answer.
            labels = [" ".join(text.split()) for text in choices.all_inner_texts()]
            assert labels == ["☹️ No", "😐 In between", "☺️ Yes", "Don't know", "Prefer not to say"]
            assert question.get_by_text("Or you can choose:").is_visible()
            option = ["Yes", "In between", "No", "Don't know"][number % 4]
        question.get_by_role("radio", name=option, exact=True).check()
        chosen[item.code] = option
        send.click()

    page.wait_for_url("**/go/thanks/")
    check(
        "thanks",
        page.get_by_role("heading", name="Thank you!"),
        page.get_by_role("button", name="I'd like to talk to someone"),
    )
    assert {name: found for name, found in problems.items() if found} == {}
    assert len(list(shots.glob("*.png"))) == 3 + 17 + 1

    response = Response.objects.get()
    assert response.status == Response.Status.COMPLETED and response.gender == "girl"
    stored = {a.item.code: (a.value, a.missing) for a in Answer.objects.select_related("item")}
    faces = {"No": (1, ""), "In between": (2, ""), "Yes": (3, ""), "Don't know": (None, "dk")}
    assert stored == {code: faces[option] for code, option in chosen.items() if code not in {"GENDER", "ETHNICITY"}}
    context.close()
