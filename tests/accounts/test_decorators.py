"""approved_staff_required (accounts.decorators): docs/decisions.md#6, teachers are approved before
they can create classes or open surveys."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages.storage.fallback import FallbackStorage
from django.http import HttpResponse
from django.test import RequestFactory

from accounts.decorators import approved_staff_required, lesson_reader_required
from accounts.models import Membership
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@approved_staff_required
def create_class(request):
    return HttpResponse("class form")


def _request(user):
    request = RequestFactory().get("/classes/new/")
    request.user = user
    request.session = {}
    request._messages = FallbackStorage(request)
    return request


def test_approved_teacher_gets_through():
    response = create_class(_request(MembershipFactory().user))

    assert response.status_code == 200
    assert response.content == b"class form"


def test_pending_teacher_gets_403_with_an_explanation():
    pending = MembershipFactory(status=Membership.Status.PENDING)

    response = create_class(_request(pending.user))

    assert response.status_code == 403
    body = response.content.decode()
    assert "You need to be approved first" in body
    assert pending.school.name in body
    assert "class form" not in body


def test_revoked_teacher_gets_403():
    revoked = MembershipFactory(status=Membership.Status.REVOKED)

    assert create_class(_request(revoked.user)).status_code == 403


def test_user_without_any_school_gets_403():
    response = create_class(_request(UserFactory()))

    assert response.status_code == 403
    assert "isn't linked to a school yet" in response.content.decode()


def test_approval_at_one_school_is_enough_even_if_pending_at_another():
    approved = MembershipFactory()
    MembershipFactory(user=approved.user, status=Membership.Status.PENDING)

    assert create_class(_request(approved.user)).status_code == 200


def test_anonymous_visitor_is_sent_to_sign_in():
    response = create_class(_request(AnonymousUser()))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- Through the real class-creation page (lessons) -------------------------------------


def test_pending_teacher_cannot_create_a_class(client):
    from django.urls import reverse

    from lessons.models import TeachingGroup

    pending = MembershipFactory(status=Membership.Status.PENDING)
    client.force_login(pending.user)

    get = client.get(reverse("lessons:group_create"))
    post = client.post(reverse("lessons:group_create"), {"name": "8R", "year_group": 8, "pupil_count": 28})

    assert get.status_code == 403
    assert post.status_code == 403
    assert "You need to be approved first" in post.content.decode()
    assert not TeachingGroup.objects.exists()


def test_approved_teacher_can_open_class_creation(client):
    from django.urls import reverse

    client.force_login(MembershipFactory().user)

    assert client.get(reverse("lessons:group_create")).status_code == 200


# --- lesson_reader_required: approved school staff and VRU staff -----------------------


@lesson_reader_required
def lesson_plan(request):
    return HttpResponse("the-lesson-plan-itself")


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: MembershipFactory().user,
        lambda: MembershipFactory(role=Membership.Role.SCHOOL_LEAD).user,
        lambda: UserFactory(groups=["Content editors"]),
        lambda: UserFactory(groups=["VRU analysts"]),
        lambda: UserFactory(is_superuser=True),
    ],
    ids=["teacher", "school lead", "content editor", "analyst", "superuser"],
)
def test_lesson_readers_get_through(make_user):
    assert lesson_plan(_request(make_user())).content == b"the-lesson-plan-itself"


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: MembershipFactory(status=Membership.Status.PENDING).user,
        lambda: MembershipFactory(status=Membership.Status.REVOKED).user,
        UserFactory,
    ],
    ids=["pending teacher", "removed teacher", "no school"],
)
def test_anyone_else_signed_in_gets_the_not_approved_page(make_user):
    response = lesson_plan(_request(make_user()))

    assert response.status_code == 403
    assert "You need to be approved first" in response.content.decode()
    assert b"the-lesson-plan-itself" not in response.content


def test_lesson_readers_decorator_sends_visitors_to_sign_in():
    response = lesson_plan(_request(AnonymousUser()))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
