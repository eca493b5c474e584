"""Programmes and lessons, read only (lessons.read_views): officers and analysts list every
programme and lesson and read each as teachers see it or as its latest version; other
groups are refused; and an officer cannot write a page through any Wagtail admin URL."""

from __future__ import annotations

import pytest
from django.urls import reverse
from wagtail.models import Page, PageLogEntry, PageViewRestriction, Revision, Workflow, WorkflowState
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from accounts.models import Membership
from accounts.roles import ANALYST, CONTENT_EDITOR, MODERATOR, OFFICER
from lessons import services
from lessons.models import LessonPage
from lessons.roles import ensure_lesson_permissions
from tests.factories import MembershipFactory, UserFactory
from tests.second_factor import force_login_with_second_factor

from .factories import LessonPageFactory

pytestmark = pytest.mark.django_db

INDEX = reverse("lessons_read:index")


@pytest.fixture(autouse=True)
def _lesson_permissions(reference_data):
    """Transactional tests elsewhere flush migration data; put the grants back."""
    ensure_lesson_permissions()


@pytest.fixture
def tree(index, programme, lessons):
    """The programme's three live lessons, one with a newer draft, and a lesson in moderation."""
    services.content_workflow_ensure(index_page=index)
    editor = UserFactory(groups=[CONTENT_EDITOR], mfa=True)
    edited = lessons[1]
    draft = edited.get_latest_revision_as_object()
    draft.title = "Peer influence (new draft)"
    draft.save_revision(user=editor)
    waiting = LessonPageFactory(parent=programme, title="Being a bystander", live=False, publish=False)
    waiting.save_revision(user=editor)
    Workflow.objects.get(name=services.WORKFLOW_NAME).start(waiting, editor)
    return {"programme": programme, "live": lessons[0], "edited": edited, "waiting": waiting}


def _as(client, group):
    user = UserFactory(groups=[group], mfa=True)
    force_login_with_second_factor(client, user)
    return user


@pytest.mark.parametrize("group", [OFFICER, ANALYST])
def test_officers_and_analysts_list_programmes_and_lessons_with_where_each_stands(client, tree, group):
    _as(client, group)
    response = client.get(INDEX)
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Choices and Voices",
        "Understanding conflict",
        "Live, with draft changes",
        "Being a bystander",
        "Waiting for approval",
    ):
        assert text in html
    assert reverse("lessons_read:show", args=[tree["waiting"].pk]) + "?version=latest" in html
    assert reverse("wagtailadmin_pages:edit", args=[tree["live"].pk]) not in html
    assert "Programmes and lessons" in client.get(reverse("wagtailadmin_home")).content.decode()


def test_an_officer_reads_a_lesson_as_teachers_see_it_and_its_latest_version(client, tree):
    _as(client, OFFICER)
    show = reverse("lessons_read:show", args=[tree["edited"].pk])

    live = client.get(show)
    latest = client.get(show, {"version": "latest"})
    never_published = client.get(reverse("lessons_read:show", args=[tree["waiting"].pk]))
    programme = client.get(reverse("lessons_read:show", args=[tree["programme"].pk]))

    assert live.status_code == latest.status_code == never_published.status_code == programme.status_code == 200
    assert "Peer influence" in live.content.decode()
    assert "Peer influence (new draft)" not in live.content.decode()
    assert "Peer influence (new draft)" in latest.content.decode()
    assert "Being a bystander" in never_published.content.decode()
    assert "Understanding conflict" in programme.content.decode()


def test_only_programme_and_lesson_pages_are_shown_and_only_by_get(client, tree, home):
    _as(client, OFFICER)
    assert client.get(reverse("lessons_read:show", args=[home.pk])).status_code == 404
    assert client.get(reverse("lessons_read:show", args=[987654])).status_code == 404
    assert client.post(reverse("lessons_read:show", args=[tree["live"].pk])).status_code == 405
    assert client.post(INDEX).status_code == 405


@pytest.mark.parametrize("group", [CONTENT_EDITOR, MODERATOR])
def test_editors_and_moderators_use_the_page_explorer_not_this_view(client, tree, group):
    _as(client, group)
    for url in (INDEX, reverse("lessons_read:show", args=[tree["live"].pk])):
        response = client.get(url)
        assert (response.status_code, response["Location"]) == (302, reverse("wagtailadmin_home"))


@pytest.mark.parametrize("role", [Membership.Role.TEACHER, Membership.Role.SCHOOL_LEAD])
def test_teachers_school_leads_and_anonymous_visitors_are_refused(client, tree, role):
    show = reverse("lessons_read:show", args=[tree["waiting"].pk])
    for url in (INDEX, show):
        assert "/login/" in client.get(url)["Location"]
    client.force_login(MembershipFactory(role=role).user)
    for url in (INDEX, show):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert b"Being a bystander" not in response.content


def _lesson_form(title: str, **actions) -> dict:
    return nested_form_data(
        {
            "title": title,
            "slug": "understanding-conflict",
            "summary": "Changed by an officer.",
            "learning_objectives": "Explain conflict",
            "duration_minutes": 50,
            "key_vocabulary": streamfield([]),
            "body": streamfield([("safeguarding_note", {"text": rich_text("<p>Changed.</p>")})]),
            **actions,
        }
    )


def _snapshot():
    pages = list(
        Page.objects.order_by("pk").values_list(
            "pk", "title", "path", "live", "locked", "has_unpublished_changes", "latest_revision_id"
        )
    )
    return (
        pages,
        Revision.objects.count(),
        PageLogEntry.objects.count(),
        PageViewRestriction.objects.count(),
        list(WorkflowState.objects.order_by("pk").values_list("pk", "status")),
    )


def test_an_officer_cannot_write_a_page_through_any_admin_url(client, tree, index):
    officer = _as(client, OFFICER)
    lesson, waiting, programme = tree["live"], tree["waiting"], tree["programme"]
    assert not lesson.permissions_for_user(officer).can_edit()
    task_state = WorkflowState.objects.get(object_id=str(waiting.pk)).current_task_state
    revision = lesson.get_latest_revision()
    form = _lesson_form("Changed by an officer")
    posts = {
        reverse("wagtailadmin_pages:edit", args=[lesson.pk]): form,
        reverse("wagtailadmin_pages:edit", args=[lesson.pk]) + "?publish": {**form, "action-publish": "1"},
        reverse("wagtailadmin_pages:edit", args=[waiting.pk]): {**form, "action-workflow-action": "1"}
        | {"workflow-action-name": "approve"},
        reverse("wagtailadmin_pages:preview_on_edit", args=[lesson.pk]): form,
        reverse("wagtailadmin_pages:add", args=["lessons", "lessonpage", programme.pk]): {
            **form,
            "slug": "officers-lesson",
        },
        reverse("wagtailadmin_pages:add_subpage", args=[programme.pk]): {},
        reverse("wagtailadmin_pages:delete", args=[lesson.pk]): {},
        reverse("wagtailadmin_pages:unpublish", args=[lesson.pk]): {},
        reverse("wagtailadmin_pages:move_confirm", args=[lesson.pk, index.pk]): {},
        reverse("wagtailadmin_pages:set_page_position", args=[lesson.pk]) + "?position=0": {},
        reverse("wagtailadmin_pages:copy", args=[lesson.pk]): {
            "new_title": "Copy",
            "new_slug": "copy",
            "new_parent_page": programme.pk,
            "publish_copies": "on",
        },
        reverse("wagtailadmin_pages:lock", args=[lesson.pk]): {},
        reverse("wagtailadmin_pages:unlock", args=[lesson.pk]): {},
        reverse("wagtailadmin_pages:set_privacy", args=[lesson.pk]): {"restriction_type": "login"},
        reverse("wagtailadmin_pages:revisions_revert", args=[lesson.pk, revision.pk]): form,
        reverse("wagtailadmin_pages:workflow_action", args=[waiting.pk, "approve", task_state.pk]): {"comment": ""},
        reverse("wagtailadmin_pages:convert_alias", args=[lesson.pk]): {},
    }
    before = _snapshot()

    for url, data in posts.items():
        response = client.post(url, data)
        assert response.status_code in (302, 403, 404, 405), url
        if response.status_code == 302:
            assert response["Location"] == reverse("wagtailadmin_home"), url  # "Sorry, you do not have permission"

    assert _snapshot() == before
    assert not LessonPage.objects.filter(title__in=["Changed by an officer", "Copy"]).exists()
    explorer = client.get(reverse("wagtailadmin_explore", args=[programme.pk]))
    assert b"Understanding conflict" not in explorer.content

    # The same edit from a content editor is saved: the refusals above are the officer's.
    _as(client, CONTENT_EDITOR)
    saved = client.post(reverse("wagtailadmin_pages:edit", args=[lesson.pk]), form)
    assert saved["Location"] == reverse("wagtailadmin_pages:edit", args=[lesson.pk])
    lesson.refresh_from_db()
    assert lesson.get_latest_revision().as_object().title == "Changed by an officer"
