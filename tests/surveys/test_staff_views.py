"""Teacher and school-lead pages: access control, the window page, live count, QR code,
closing, scheduling, cards and talk requests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership
from surveys.models import Answer, Participant, SurveyWindow, TalkRequest
from tests.factories import MembershipFactory
from tests.surveys.factories import SurveyWindowFactory, TeachingGroupFactory, make_response, make_version

pytestmark = pytest.mark.django_db


@pytest.fixture
def window():
    return SurveyWindowFactory()


def _login(client, user):
    client.force_login(user)
    return client


def test_teacher_sees_the_join_code_qr_and_count_while_open(client, window):
    make_response(window)
    response = _login(client, window.group.teacher).get(reverse("surveys:window_detail", args=[window.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert window.join_code[:4] in body and reverse("surveys:window_qr", args=[window.pk]) in body
    assert 'id="completed-count"' in body and "Reload the count" in body
    assert "/go/" in body
    assert " style=" not in body and "onclick" not in body


def test_join_code_is_hidden_before_the_window_opens(client):
    window = SurveyWindowFactory(
        opens_at=timezone.now() + dt.timedelta(days=1), closes_at=timezone.now() + dt.timedelta(days=2)
    )
    body = _login(client, window.group.teacher).get(reverse("surveys:window_detail", args=[window.pk])).content
    assert window.join_code.encode() not in body


def test_another_schools_window_and_class_are_404(client, window):
    other = MembershipFactory().user
    _login(client, other)
    for name, arg in [
        ("surveys:window_detail", window.pk),
        ("surveys:window_count", window.pk),
        ("surveys:window_qr", window.pk),
        ("surveys:group_windows", window.group.pk),
        ("surveys:window_create", window.group.pk),
        ("surveys:cards_create", window.group.pk),
    ]:
        assert client.get(reverse(name, args=[arg])).status_code == 404, name
    assert client.post(reverse("surveys:window_close", args=[window.pk])).status_code == 404


def test_unapproved_staff_get_403(client, window):
    pending = MembershipFactory(school=window.group.school, status=Membership.Status.PENDING).user
    _login(client, pending)
    assert client.get(reverse("surveys:window_detail", args=[window.pk])).status_code == 403
    assert client.get(reverse("surveys:window_count", args=[window.pk])).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, window):
    response = client.get(reverse("surveys:window_count", args=[window.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_live_count_returns_counts_by_state_only(client, window):
    make_response(window)
    make_response(window)
    make_response(window, status="in_progress")
    make_response(window, status="conflict")
    response = _login(client, window.group.teacher).get(reverse("surveys:window_count", args=[window.pk]))
    assert response.status_code == 200
    assert response.json() == {"completed": 2, "started": 1, "conflicts": 1, "over_quota": 0, "open": True}
    assert "no-store" in response["Cache-Control"]


def test_live_count_never_includes_answers(client, window):
    response = make_response(window)
    item = window.instrument_version.items.first()
    Answer.objects.create(response=response, item=item, value=5)
    data = _login(client, window.group.teacher).get(reverse("surveys:window_count", args=[window.pk])).json()
    assert set(data) == {"completed", "started", "conflicts", "over_quota", "open"}
    assert all(isinstance(value, (int, bool)) for value in data.values())


def test_qr_code_is_a_png(client, window):
    response = _login(client, window.group.teacher).get(reverse("surveys:window_qr", args=[window.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response.content.startswith(b"\x89PNG")


def test_teacher_closes_the_window_by_hand(client, window):
    response = _login(client, window.group.teacher).post(reverse("surveys:window_close", args=[window.pk]))
    assert response.status_code == 302
    window.refresh_from_db()
    assert window.closed_at is not None and not window.is_open()


def test_asking_to_close_writes_nothing(client, window):
    response = _login(client, window.group.teacher).get(reverse("surveys:window_close", args=[window.pk]))
    assert response.status_code == 200 and b"Yes, close the survey" in response.content
    window.refresh_from_db()
    assert window.closed_at is None and window.is_open()


def test_a_colleague_who_does_not_teach_the_class_cannot_see_it(client, window):
    colleague = MembershipFactory(school=window.group.school).user
    assert _login(client, colleague).get(reverse("surveys:window_detail", args=[window.pk])).status_code == 404


def test_schedule_form_refuses_early_opening_with_the_earliest_date(client):
    group = TeachingGroupFactory()
    version = make_version()
    letter = timezone.localdate()
    data = {
        "wave": "baseline",
        "instrument_version": version.pk,
        "linkage": "cards",
        "layout": "scale",
        "include_demographics": "on",
        "optout_letter_sent_on": letter.isoformat(),
        "opens_at": (letter + dt.timedelta(days=1)).strftime("%Y-%m-%dT09:00"),
        "closes_at": (letter + dt.timedelta(days=30)).strftime("%Y-%m-%dT09:00"),
    }
    response = _login(client, group.teacher).post(reverse("surveys:window_create", args=[group.pk]), data)
    assert response.status_code == 200
    assert b"The earliest this survey can open is" in response.content
    assert not SurveyWindow.objects.exists()

    data["optout_letter_sent_on"] = (letter - dt.timedelta(days=20)).isoformat()
    response = client.post(reverse("surveys:window_create", args=[group.pk]), data)
    window = SurveyWindow.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("surveys:window_detail", args=[window.pk])


def test_schedule_form_lists_only_published_age_appropriate_versions(client):
    group = TeachingGroupFactory(year_group=8)
    suitable = make_version()
    too_old = make_version(min_age=14, max_age=16)
    draft = make_version(status="draft")
    body = _login(client, group.teacher).get(reverse("surveys:window_create", args=[group.pk])).content.decode()
    assert str(suitable) in body
    assert str(too_old) not in body and str(draft) not in body


def test_group_page_lists_windows(client, window):
    body = _login(client, window.group.teacher).get(reverse("surveys:group_windows", args=[window.group.pk]))
    assert body.status_code == 200 and b"Baseline" in body.content


def test_only_the_school_lead_sees_talk_requests_and_never_answers(client, window):
    TalkRequest.objects.create(school=window.group.school, window=window, card_code="AB3K9QX")
    other_school = SurveyWindowFactory()
    TalkRequest.objects.create(school=other_school.group.school, window=other_school, card_code="ZZ9ZZ9Z")
    assert _login(client, window.group.teacher).get(reverse("surveys:talk_requests")).status_code == 403

    lead = MembershipFactory(school=window.group.school, role=Membership.Role.SCHOOL_LEAD).user
    body = _login(client, lead).get(reverse("surveys:talk_requests")).content.decode()
    assert "AB3-K9Q-X" in body and "ZZ9" not in body
    talk = TalkRequest.objects.get(card_code="AB3K9QX")
    assert client.post(reverse("surveys:talk_request_seen", args=[talk.pk])).status_code == 302
    talk.refresh_from_db()
    assert talk.seen_by == lead
    other = TalkRequest.objects.get(card_code="ZZ9ZZ9Z")
    assert client.post(reverse("surveys:talk_request_seen", args=[other.pk])).status_code == 404


def test_cards_post_returns_a_pdf_and_stores_only_hashes(client):
    group = TeachingGroupFactory()
    response = _login(client, group.teacher).post(reverse("surveys:cards_create", args=[group.pk]), {"count": 3})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert Participant.objects.filter(school=group.school, card_batch__group=group).count() == 3
