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
