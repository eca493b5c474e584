"""The Wagtail page form for lessons (lessons.admin_forms): a POST whose StreamField
bookkeeping is missing is a 400 with nothing saved, not a server error (issue 7)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import Revision

from tests.factories import UserFactory, login_with_second_factor
from tests.lessons.test_services import _lesson_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    login_with_second_factor(client, UserFactory(is_superuser=True, is_staff=True, mfa=True))
    return client


def _form_without(key: str) -> dict:
    data = _lesson_form("Edited title")
    data.pop("action-submit")
    data.pop(key)
    return data


@pytest.mark.parametrize("missing", ["body-count", "key_vocabulary-count", "body-0-type", "body-0-deleted"])
@pytest.mark.parametrize("view", ["wagtailadmin_pages:edit", "wagtailadmin_pages:preview_on_edit"])
def test_a_page_edit_missing_streamfield_bookkeeping_is_a_400_and_saves_nothing(editor_client, lesson, view, missing):
    revisions = Revision.objects.count()

    response = editor_client.post(reverse(view, args=[lesson.pk]), _form_without(missing))

    assert response.status_code == 400
    assert b"nothing was saved" in response.content
    assert Revision.objects.count() == revisions
    lesson.refresh_from_db()
    assert lesson.title != "Edited title"


def test_a_new_lesson_missing_its_body_count_is_a_400_and_creates_no_page(editor_client, programme):
    from lessons.models import LessonPage

    add_url = reverse("wagtailadmin_pages:add", args=("lessons", "lessonpage", programme.pk))

    response = editor_client.post(add_url, _form_without("body-count"))

    assert response.status_code == 400
    assert not LessonPage.objects.filter(title="Edited title").exists()


def test_a_complete_page_edit_still_saves(editor_client, lesson):
    data = _lesson_form("Edited title")
    data.pop("action-submit")

    response = editor_client.post(reverse("wagtailadmin_pages:edit", args=[lesson.pk]), data)

    assert response.status_code == 302
    lesson.refresh_from_db()
    assert lesson.get_latest_revision().content["title"] == "Edited title"
