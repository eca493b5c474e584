"""Admin registrations (lessons.wagtail_hooks): themes as snippets and read-only views of
classes, the delivery log and packs, for users with the model permissions."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import UserFactory, login_with_second_factor

from .factories import LessonDeliveryFactory, TeachingGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    login_with_second_factor(client, UserFactory(is_superuser=True, is_staff=True, mfa=True))
    return client


@pytest.mark.parametrize(
    "url_name",
    ["wagtailsnippets_lessons_theme:list", "teachinggroup:index", "lessondelivery:index", "programmepack:index"],
)
def test_admin_lists_load(admin_client, url_name, programme):
    TeachingGroupFactory(programme=programme)
    assert admin_client.get(reverse(url_name)).status_code == 200


def test_content_editors_cannot_see_classes_in_the_admin(client, programme):
    TeachingGroupFactory(programme=programme)
    login_with_second_factor(client, UserFactory(groups=["Content editors"], mfa=True))
    assert client.get(reverse("teachinggroup:index")).status_code in (302, 403)


def test_a_lesson_in_the_delivery_log_cannot_be_deleted_but_explains_why(admin_client, programme, lesson):

    from lessons.models import LessonPage

    group = TeachingGroupFactory(programme=programme)
    LessonDeliveryFactory(group=group, lesson=lesson, logged_by=None)
    url = reverse("wagtailadmin_pages:delete", args=[lesson.pk])
    response = admin_client.post(url, follow=True)
    assert LessonPage.objects.filter(pk=lesson.pk).exists()
    assert "cannot be deleted" in response.content.decode()
    assert admin_client.post(reverse("wagtailadmin_pages:delete", args=[programme.pk])).status_code == 302
    assert LessonPage.objects.filter(pk=lesson.pk).exists()


def test_an_untaught_lesson_can_still_be_deleted(admin_client, lessons):
    from lessons.models import LessonPage

    admin_client.post(reverse("wagtailadmin_pages:delete", args=[lessons[2].pk]))
    assert not LessonPage.objects.filter(pk=lessons[2].pk).exists()


# --- Documents go to the lessons' audience (issue 7) -------------------------------------


@pytest.fixture
def worksheet(settings, tmp_path):
    from django.core.files.base import ContentFile
    from wagtail.documents.models import Document

    document = Document(title="Worksheet")
    document.file.save("worksheet.pdf", ContentFile(b"%PDF-1.4 worksheet"), save=False)
    document.save()
    return document


def test_anonymous_visitors_are_sent_to_sign_in_for_a_lesson_document(client, worksheet):
    response = client.get(worksheet.url)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={worksheet.url}"


def test_teachers_and_vru_staff_get_lesson_documents(client, worksheet):
    from tests.factories import MembershipFactory

    client.force_login(MembershipFactory().user)
    teacher_copy = client.get(worksheet.url)
    client.logout()
    login_with_second_factor(client, UserFactory(groups=["Content editors"], mfa=True))
    editor_copy = client.get(worksheet.url)

    for response in (teacher_copy, editor_copy):
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"%PDF-1.4 worksheet"
        assert "no-store" in response["Cache-Control"]


def test_a_teacher_waiting_for_approval_is_refused_a_lesson_document(client, worksheet):
    from accounts.models import Membership
    from tests.factories import MembershipFactory

    pending = MembershipFactory(status=Membership.Status.PENDING)
    client.force_login(pending.user)
    response = client.get(worksheet.url)

    assert response.status_code == 403
    body = response.content.decode()
    assert "You need to be approved first" in body and pending.school.name in body
    assert b"%PDF" not in response.content  # the file itself is not sent


def test_an_account_linked_to_no_school_is_refused_a_lesson_document(client, worksheet):
    client.force_login(UserFactory())
    assert client.get(worksheet.url).status_code == 403
