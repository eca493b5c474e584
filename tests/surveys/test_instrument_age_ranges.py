"""The instrument age-range guard with the shipped surveys: the secondary survey (weapon
items, 5-point agree scale) never reaches Years 5 and 6, and the primary survey (3 faces)
is refused for secondary years. Refused with a message a teacher can act on, in the
service and in the scheduling form."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from surveys import demo
from surveys.models import SurveyWindow
from surveys.selectors import versions_for_year_group
from surveys.services import windows as svc
from surveys.services.instruments import instrument_suits_year_group, publish_problems
from tests.surveys.factories import TeachingGroupFactory, programme_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped():
    return demo.seed_instrument(), demo.seed_primary_instrument()


def _aware(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9)))


def _open(group, version):
    letter = timezone.localdate() - dt.timedelta(days=30)
    return svc.window_open(
        actor=group.teacher,
        group=group,
        wave=SurveyWindow.Wave.BASELINE,
        instrument_version=version,
        opens_at=_aware(timezone.localdate()),
        closes_at=_aware(timezone.localdate() + dt.timedelta(days=7)),
        optout_letter_sent_on=letter,
    )


def test_each_shipped_survey_suits_only_its_own_year_groups(shipped):
    secondary, primary = shipped
    assert [y for y in range(1, 14) if instrument_suits_year_group(secondary.instrument, y)] == [7, 8, 9, 10, 11]
    assert [y for y in range(1, 14) if instrument_suits_year_group(primary.instrument, y)] == [4, 5, 6]
    assert versions_for_year_group(year_group=5) == [primary]
    assert versions_for_year_group(year_group=6) == [primary]
    assert versions_for_year_group(year_group=7) == [secondary]
    assert versions_for_year_group(year_group=9) == [secondary]


@pytest.mark.parametrize("year_group", [5, 6])
def test_the_secondary_survey_is_refused_for_a_primary_class(shipped, year_group):
    secondary, _ = shipped
    group = TeachingGroupFactory(year_group=year_group)
    with pytest.raises(svc.WindowError) as error:
        _open(group, secondary)
    message = " ".join(error.value.message_dict["instrument_version"])
    assert message == f"This survey is written for ages 12–16, which does not suit Year {year_group}."
    assert not SurveyWindow.objects.exists()


def test_the_primary_survey_is_refused_for_year_9_and_accepted_for_year_5(shipped):
    """Refused rather than warned: a Year 9 class on the primary survey would give figures
    that cannot be compared with the other secondary classes' (another scale, other
    questions), and a teacher who needs it can ask the VRU to widen its age range."""
    _, primary = shipped
    with pytest.raises(svc.WindowError) as error:
        _open(TeachingGroupFactory(year_group=9), primary)
    assert "written for ages 9–11, which does not suit Year 9" in " ".join(
        error.value.message_dict["instrument_version"]
    )
    window = _open(TeachingGroupFactory(year_group=5), primary)
    assert window.instrument_version == primary


def test_the_scheduling_form_offers_a_year_5_class_only_the_primary_survey_and_refuses_the_other(client, shipped):
    secondary, primary = shipped
    group = TeachingGroupFactory(year_group=5, programme=programme_page(year_from=5, year_to=6))
    client.force_login(group.teacher)
    url = reverse("surveys:window_create", args=[group.pk])
    body = client.get(url).content.decode()
    assert str(primary) in body and str(secondary) not in body

    letter = timezone.localdate() - dt.timedelta(days=30)
    data = {
        "wave": "baseline",
        "instrument_version": secondary.pk,
        "linkage": "cards",
        "layout": "item",
        "optout_letter_sent_on": letter.isoformat(),
        "opens_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (timezone.localtime() + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert "That questionnaire cannot be used for Year 5" in response.content.decode()
    assert not SurveyWindow.objects.exists()
    data["instrument_version"] = primary.pk
    response = client.post(url, data)
    assert response.status_code == 302
    assert SurveyWindow.objects.get().instrument_version == primary


def test_publishing_the_secondary_survey_is_refused_while_a_primary_programme_would_use_it(shipped):
    secondary, primary = shipped
    primary_programme = programme_page(year_from=5, year_to=6)
    problems = publish_problems(secondary, programmes=[primary_programme])
    assert any("Year 5, Year 6" in problem and "12–16" in problem for problem in problems)
    assert publish_problems(primary, programmes=[primary_programme]) == []


@pytest.mark.parametrize(("year_group", "layout"), [(5, "item"), (6, "item"), (7, "scale"), (9, "scale")])
def test_the_scheduling_form_suggests_one_question_a_page_for_primary_classes(client, shipped, year_group, layout):
    group = TeachingGroupFactory(
        year_group=year_group, programme=programme_page(year_from=year_group, year_to=year_group)
    )
    client.force_login(group.teacher)
    body = client.get(reverse("surveys:window_create", args=[group.pk])).content.decode()
    checked = re.search(r'<input type="radio" name="layout" value="(\w+)"[^>]*checked', body)
    assert checked is not None and checked.group(1) == layout
