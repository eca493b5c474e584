"""'I'd like to talk to someone' reaches the person it names: the pupil is told who will
know (the safeguarding lead's name only when the request reaches them), the e-mail goes to
the school's safeguarding lead, deputies and safeguarding inbox (never with the card code),
and they, not other teachers, see and follow up the list."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import Membership
from surveys.models import SurveyWindow, TalkRequest
from surveys.tasks import relay_outbox
from tests.factories import MembershipFactory
from tests.surveys.factories import SGIC_ANSWERS, PupilSurveyWindowFactory, make_pupil
from tests.surveys.pupil.helpers import join_and_assent

pytestmark = pytest.mark.django_db

NAMED = "Mrs Ahmed, the person at school who helps keep you safe"
UNNAMED = "the adults at school who help keep you safe"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def window():
    window = PupilSurveyWindowFactory(group__name="8R")
    school = window.group.school
    school.dsl_name = "Mrs Ahmed"  # the name the school gave pupils
    school.save()
    return window


@pytest.fixture
def school(window):
    return window.group.school


@pytest.fixture
def lead(school):
    return MembershipFactory(school=school, role=Membership.Role.SCHOOL_LEAD, user__email="lead@oak.example").user


@pytest.fixture
def dsl(school):
    return MembershipFactory(
        school=school, safeguarding_role=Membership.Safeguarding.DSL, user__email="ahmed@oak.example"
    ).user


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _finish(client, window):
    pupil = make_pupil(window)
    join_and_assent(client, window, pupil)
    for no in (1, 2, 3):
        client.post(f"/go/q/{no}/", {"seq": str(no)})
    return pupil


# --- What the pupil is told ---------------------------------------------------------------


def test_the_pupil_is_told_the_safeguarding_lead_by_name_when_the_request_reaches_them(client, window, lead, dsl):
    _finish(client, window)
    thanks = _text(client.get("/go/thanks/"))
    assert f"Pressing this sends the code on your card to {NAMED}, so they can find you." in thanks
    sent = _text(client.post("/go/talk/", follow=True))
    assert f"{NAMED}, will get your card code" in sent


def test_without_anyone_to_receive_it_the_pupil_is_not_promised_the_named_person(client, window, lead):
    # The school named Mrs Ahmed for pupils but marked no safeguarding lead and set no inbox:
    # the request goes to the school lead, so the pupil hears who really receives it.
    _finish(client, window)
    thanks = _text(client.get("/go/thanks/"))
    assert "Mrs Ahmed, the person" not in thanks
    assert f"Pressing this sends the code on your card to {UNNAMED}, so they can find you." in thanks
    sent = _text(client.post("/go/talk/", follow=True))
    assert "The adults at school who help keep you safe will get your card code" in sent


def test_a_pupil_made_code_request_names_the_safeguarding_lead_and_where_to_find_them(client, school):
    window = PupilSurveyWindowFactory(group__school=school, linkage=SurveyWindow.Linkage.SGIC)
    school.safeguarding_email = "safeguarding@oak.example"
    school.dsl_contact = "Room B12"
    school.save()
    client.post("/go/", {"code": window.join_code})
    assert client.post("/go/card/", SGIC_ANSWERS).status_code == 302
    sent = _text(client.post("/go/talk/", follow=True))
    assert f"{NAMED}, will know that someone in your class would like to talk, but not who" in sent
    assert "(Room B12)" in sent


# --- Who hears of it ------------------------------------------------------------------


def _relay_after_the_minute():
    relay_outbox()
    with freeze_time(timezone.now() + dt.timedelta(minutes=2)):
        relay_outbox()


def test_the_request_is_emailed_to_the_safeguarding_lead_deputy_and_inbox_not_the_school_lead(
    client, window, school, lead, dsl, mailoutbox
):
    deputy = MembershipFactory(
        school=school, safeguarding_role=Membership.Safeguarding.DEPUTY, user__email="deputy@oak.example"
    ).user
    school.safeguarding_email = "safeguarding@oak.example"
    school.save()
    pupil = _finish(client, window)
    client.post("/go/talk/")
    _relay_after_the_minute()

    assert sorted(message.to[0] for message in mailoutbox) == [
        dsl.email,
        deputy.email,
        "safeguarding@oak.example",
    ]
    for message in mailoutbox:
        for text in (message.subject, message.body, message.alternatives[0][0]):
            assert pupil.card_code not in text
            assert f"{pupil.card_code[:3]}-{pupil.card_code[3:6]}" not in text
        assert "8R" in message.subject
        assert f"{dsl.get_full_name()} (designated safeguarding lead)" in message.body
        assert f"{lead.get_full_name()} (school lead)" in message.body


def test_a_school_that_named_nobody_still_emails_its_school_lead(client, window, lead, mailoutbox):
    _finish(client, window)
    client.post("/go/talk/")
    _relay_after_the_minute()
    assert [message.to for message in mailoutbox] == [[lead.email]]


# --- Who sees the list ------------------------------------------------------------------


def test_the_safeguarding_lead_sees_and_follows_up_the_list_other_teachers_cannot(client, window, school, lead, dsl):
    TalkRequest.objects.create(school=school, window=window, card_code="AB3K9QX")
    elsewhere = PupilSurveyWindowFactory()
    TalkRequest.objects.create(school=elsewhere.group.school, window=elsewhere, card_code="ZZ9ZZ9Z")

    client.force_login(dsl)
    page = client.get(reverse("surveys:talk_requests")).content.decode()
    assert "AB3-K9Q-X" in page and "ZZ9" not in page
    talk = TalkRequest.objects.get(card_code="AB3K9QX")
    assert client.post(reverse("surveys:talk_request_seen", args=[talk.pk])).status_code == 302
    talk.refresh_from_db()
    assert talk.seen_by == dsl
    other = TalkRequest.objects.get(card_code="ZZ9ZZ9Z")
    assert client.post(reverse("surveys:talk_request_seen", args=[other.pk])).status_code == 404

    client.force_login(window.group.teacher)
    assert client.get(reverse("surveys:talk_requests")).status_code == 403
    client.force_login(MembershipFactory(safeguarding_role=Membership.Safeguarding.DSL).user)  # another school's
    assert "AB3-K9Q-X" not in client.get(reverse("surveys:talk_requests")).content.decode()


def test_the_staff_home_counts_requests_not_followed_up_for_the_lead_and_the_safeguarding_lead(
    client, window, school, lead, dsl
):
    for code in ("AB3K9QX", "", "ZZ9ZZ9Z"):
        TalkRequest.objects.create(school=school, window=window, card_code=code)
    TalkRequest.objects.filter(card_code="ZZ9ZZ9Z").update(seen_at=timezone.now())
    other = PupilSurveyWindowFactory()
    TalkRequest.objects.create(school=other.group.school, window=other, card_code="QQ2QQ2Q")
    line = f'<a href="{reverse("surveys:talk_requests")}">Pupils who asked to talk, not followed up yet</a>'
    for user in (lead, dsl):
        client.force_login(user)
        page = client.get(reverse("accounts:home")).content.decode()
        assert f"{line}: <strong>2</strong>" in page
    client.force_login(window.group.teacher)
    assert "Pupils who asked to talk" not in client.get(reverse("accounts:home")).content.decode()
