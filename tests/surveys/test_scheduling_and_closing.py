"""The teacher's survey pages without friction: the opt-out letter date is remembered for
the class and the 10-school-day rule is explained where it is asked; a post survey with
lessons still to log asks first; closing asks first; a window closed by its closing time
reads as closed everywhere (one state rule, ``SurveyWindow.state``)."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from surveys.models import SurveyWindow
from surveys.services.windows import earliest_open_date
from tests.lessons.factories import LessonDeliveryFactory, LessonPageFactory
from tests.surveys.factories import SurveyWindowFactory, TeachingGroupFactory, make_response, make_version

pytestmark = pytest.mark.django_db


def _page(client, user, url) -> str:
    client.force_login(user)
    return html.unescape(client.get(url).content.decode())


def _schedule_data(version, *, wave="baseline", letter=None, **extra) -> dict:
    letter = letter or timezone.localdate() - dt.timedelta(days=30)
    opens = timezone.localtime() + dt.timedelta(minutes=5)
    return {
        "wave": wave,
        "instrument_version": version.pk,
        "linkage": "cards",
        "layout": "scale",
        "include_demographics": "on",
        "optout_letter_sent_on": letter.isoformat(),
        "opens_at": opens.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (opens + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
        **extra,
    }


# --- The opt-out letter date -------------------------------------------------------------


def test_the_first_survey_of_a_class_asks_for_the_letter_date_without_defaulting_to_today(client):
    group = TeachingGroupFactory()
    make_version()
    client.force_login(group.teacher)
    form = client.get(reverse("surveys:window_create", args=[group.pk])).context["form"]
    assert form["optout_letter_sent_on"].value() is None
    assert (
        "The survey can open 10 school days (weekdays) after the letter went home."
        in form["optout_letter_sent_on"].help_text
    )


@freeze_time("2026-11-25 10:00")  # a Wednesday
def test_a_later_survey_starts_from_the_letter_date_the_class_recorded_and_says_when_it_can_open(client):
    group = TeachingGroupFactory()
    letter = dt.date(2026, 9, 14)
    SurveyWindowFactory(group=group, optout_letter_sent_on=letter)
    page = _page(client, group.teacher, reverse("surveys:window_create", args=[group.pk]))
    assert 'value="2026-09-14"' in page
    assert (
        "The survey can open 10 school days (weekdays) after the letter went home: from Monday 28 September 2026."
        in page
    )
    # Allowed already: the opening time starts now, not ten school days from today.
    form = client.get(reverse("surveys:window_create", args=[group.pk])).context["form"]
    assert timezone.localtime(form.initial["opens_at"]).date() == dt.date(2026, 11, 25)


@freeze_time("2026-11-25 10:00")
def test_a_letter_that_went_home_recently_moves_the_opening_to_the_first_allowed_day(client):
    group = TeachingGroupFactory()
    SurveyWindowFactory(group=group, optout_letter_sent_on=dt.date(2026, 11, 23))
    client.force_login(group.teacher)
    form = client.get(reverse("surveys:window_create", args=[group.pk])).context["form"]
    assert timezone.localtime(form.initial["opens_at"]) == timezone.make_aware(dt.datetime(2026, 12, 7, 8, 30))
    assert earliest_open_date(dt.date(2026, 11, 23)) == dt.date(2026, 12, 7)


def test_a_refused_date_is_explained_with_the_first_allowed_day(client):
    group = TeachingGroupFactory()
    version = make_version()
    letter = timezone.localdate()
    client.force_login(group.teacher)
    response = client.post(reverse("surveys:window_create", args=[group.pk]), _schedule_data(version, letter=letter))
    text = html.unescape(response.content.decode())
    assert f"after the letter went home: from {earliest_open_date(letter):%A %-d %B %Y}." in text
    assert not SurveyWindow.objects.exists()


# --- A post survey before the lessons are logged -------------------------------------------


@pytest.fixture
def group_one_of_six():
    group = TeachingGroupFactory()
    lessons = [LessonPageFactory(parent=group.programme) for _ in range(6)]
    LessonDeliveryFactory(group=group, lesson=lessons[0])
    SurveyWindowFactory(group=group, wave=SurveyWindow.Wave.BASELINE, closed=True)
    return group


def test_a_post_survey_with_one_of_six_lessons_logged_asks_for_confirmation(client, group_one_of_six):
    group = group_one_of_six
    version = make_version()
    url = reverse("surveys:window_create", args=[group.pk])
    page = _page(client, group.teacher, url)
    assert "1 of the 6 lessons is logged for" in page
    assert "Schedule it anyway: only 1 of the 6 lessons is logged for this class" in page  # post is offered first

    response = client.post(url, _schedule_data(version, wave="post"))
    assert response.status_code == 200
    text = html.unescape(response.content.decode())
    assert "Only 1 of the 6 lessons is logged. Tick the box to schedule the post survey anyway" in text
    assert not SurveyWindow.objects.filter(wave="post").exists()

    response = client.post(url, _schedule_data(version, wave="post", confirm_few_lessons="on"))
    assert response.status_code == 302
    assert SurveyWindow.objects.filter(group=group, wave="post").exists()


def test_the_baseline_survey_never_asks_about_lessons(client):
    group = TeachingGroupFactory()
    LessonPageFactory(parent=group.programme)
    version = make_version()
    url = reverse("surveys:window_create", args=[group.pk])
    page = _page(client, group.teacher, url)
    assert "0 of the 1 lessons are logged" in page and "Schedule it anyway" not in page
    assert client.post(url, _schedule_data(version)).status_code == 302


def test_a_class_that_logged_every_lesson_is_not_asked(client):
    group = TeachingGroupFactory()
    lesson = LessonPageFactory(parent=group.programme)
    LessonDeliveryFactory(group=group, lesson=lesson)
    SurveyWindowFactory(group=group, closed=True)
    version = make_version()
    url = reverse("surveys:window_create", args=[group.pk])
    assert "Schedule it anyway" not in _page(client, group.teacher, url)
    assert client.post(url, _schedule_data(version, wave="post")).status_code == 302


def test_the_message_after_scheduling_says_whether_the_survey_is_open(client):
    group = TeachingGroupFactory()
    version = make_version()
    client.force_login(group.teacher)
    client.post(reverse("surveys:window_create", args=[group.pk]), _schedule_data(version))
    window = SurveyWindow.objects.get()
    with freeze_time(window.opens_at + dt.timedelta(minutes=1)):
        response = client.get(reverse("surveys:window_detail", args=[window.pk]))
    texts = [str(message) for message in get_messages(response.wsgi_request)]
    assert texts == [
        f"The survey is scheduled. It opens on {timezone.localtime(window.opens_at):%A %-d %B at %H:%M}; the class code appears here then."
    ]

    other = TeachingGroupFactory()
    data = _schedule_data(version)
    data["opens_at"] = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    client.force_login(other.teacher)
    response = client.post(reverse("surveys:window_create", args=[other.pk]), data, follow=True)
    texts = [str(message) for message in response.context["messages"]]
    assert texts == ["The survey is open now. Show pupils the class code below."]
    assert "Show pupils the class code when it opens" not in response.content.decode()


# --- Closing -----------------------------------------------------------------------------


def test_close_asks_first_then_closes(client):
    window = SurveyWindowFactory()
    make_response(window)
    make_response(window, status="in_progress")
    url = reverse("surveys:window_close", args=[window.pk])
    detail = _page(client, window.group.teacher, reverse("surveys:window_detail", args=[window.pk]))
    assert f'href="{url}"' in detail and "Close the survey now" in detail
    assert f'action="{url}"' not in detail  # no one-click form on the window page

    confirm = client.get(url)
    assert confirm.status_code == 200
    text = html.unescape(confirm.content.decode())
    assert "Close the survey now?" in text and "1 of about 28 pupils have sent their answers." in text
    assert "1 started and have not sent them yet" in text
    window.refresh_from_db()
    assert window.is_open()  # asking changed nothing

    assert client.post(url).status_code == 302
    window.refresh_from_db()
    assert window.state() == SurveyWindow.State.CLOSED


def test_asking_to_close_a_closed_survey_goes_back_to_it(client):
    window = SurveyWindowFactory(closed=True)
    client.force_login(window.group.teacher)
    response = client.get(reverse("surveys:window_close", args=[window.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("surveys:window_detail", args=[window.pk])


def test_a_window_past_its_closing_time_reads_as_closed_without_live_updates(client):
    window = SurveyWindowFactory(
        opens_at=timezone.now() - dt.timedelta(days=3), closes_at=timezone.now() - dt.timedelta(hours=1)
    )
    make_response(window)
    assert window.closed_at is None  # closed by time, not by hand
    page = _page(client, window.group.teacher, reverse("surveys:window_detail", args=[window.pk]))
    assert "This survey is closed." in page and "as planned" in page
    assert "Close the survey now" not in page
    assert "updates every 10 seconds" not in page and "data-count-url" not in page
    assert "window_count.js" not in page
    assert "Final count" in page and window.join_code not in page

    windows = _page(client, window.group.teacher, reverse("surveys:group_windows", args=[window.group.pk]))
    assert "<td>Closed</td>" in windows and "<strong>Open</strong>" not in windows


def test_the_class_survey_list_shows_each_state_by_the_one_rule(client):
    group = TeachingGroupFactory()
    now = timezone.now()
    SurveyWindowFactory(group=group, wave="baseline")  # open
    SurveyWindowFactory(
        group=group, wave="post", opens_at=now + dt.timedelta(days=1), closes_at=now + dt.timedelta(days=2)
    )
    page = _page(client, group.teacher, reverse("surveys:group_windows", args=[group.pk]))
    assert "<strong>Open</strong>" in page and "<td>Scheduled</td>" in page and "<td>Closed</td>" not in page
