"""A moderator approving lessons in a real browser (Playwright driving Debian's Chromium),
signed in with their second factor: "Approve" in the page editor's footer, without and
with a last edit, and Actions ▸ Approve on the dashboard. Each publishes the lesson."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from wagtail.models import TaskState, WorkflowState

from accounts.roles import CONTENT_EDITOR, MODERATOR
from lessons import services
from lessons.models import LessonPage
from tests.browser.vru import sign_in_with_second_factor
from tests.factories import UserFactory
from tests.lessons.factories import LessonPageFactory, ProgrammeIndexPageFactory, ProgrammePageFactory, site_home

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def in_moderation(settings, tmp_path):
    """Three new lessons an editor wrote and submitted, and the moderator who reviews them."""
    settings.MEDIA_ROOT = tmp_path / "media"
    index = ProgrammeIndexPageFactory(parent=site_home())
    programme = ProgrammePageFactory(parent=index, title="Choices and Voices")
    workflow = services.content_workflow_ensure(index_page=index)
    editor = UserFactory(email="eve@vru.example", first_name="Eve", last_name="Editor", groups=[CONTENT_EDITOR])
    moderator = UserFactory(
        email="mo@vru.example", first_name="Mo", last_name="Moderator", groups=[MODERATOR], mfa=True
    )
    lessons = {}
    for title in ("Noticing", "Helping safely", "Getting help"):
        lesson = LessonPageFactory(parent=programme, title=title, live=False, publish=False)
        lesson.save_revision(user=editor)
        workflow.start(lesson, editor)
        lessons[title] = lesson
    return moderator, lessons


def _assert_published(lesson: LessonPage, title: str) -> None:
    lesson.refresh_from_db()
    state = WorkflowState.objects.filter(base_content_type__model="page", object_id=str(lesson.pk)).latest("pk")
    assert lesson.live, f"{title} is not live"
    assert not lesson.has_unpublished_changes
    assert lesson.live_revision.as_object().title == title
    assert state.status == WorkflowState.STATUS_APPROVED
    assert list(state.task_states.values_list("status", flat=True)) == [TaskState.STATUS_APPROVED]


def _approve_in_the_editor(page) -> None:
    footer = page.get_by_role("navigation", name="Actions (footer)")
    footer.get_by_role("button", name="More actions").click()
    footer.get_by_role("button", name="Approve", exact=True).click()


def test_moderator_approves_from_the_editor_and_the_dashboard_and_each_publishes(page, live_server, in_moderation):
    moderator, lessons = in_moderation
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_with_second_factor(page, live_server.url, moderator)

    # 1. The editor's footer "Approve", having changed nothing.
    lesson = lessons["Noticing"]
    page.goto(f"{live_server.url}/admin/pages/{lesson.pk}/edit/")
    expect(page.locator("#id_title")).to_have_value("Noticing")
    _approve_in_the_editor(page)
    expect(page.get_by_text("“Noticing” is approved and published: teachers can see it now.")).to_be_visible()
    _assert_published(lesson, "Noticing")

    # 2. The editor's footer "Approve" after a last edit: the edit is what goes live.
    lesson = lessons["Helping safely"]
    page.goto(f"{live_server.url}/admin/pages/{lesson.pk}/edit/")
    page.locator("#id_title").fill("Helping safely (the 4 Ds)")
    _approve_in_the_editor(page)
    expect(page.get_by_text("“Helping safely (the 4 Ds)” is approved and published")).to_be_visible()
    _assert_published(lesson, "Helping safely (the 4 Ds)")
    assert lesson.live_revision.user == moderator

    # 3. The dashboard's Actions ▸ Approve.
    lesson = lessons["Getting help"]
    page.goto(f"{live_server.url}/admin/")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="Getting help"))
    row.get_by_role("button", name="Actions").click()
    row.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_role("link", name="Getting help")).to_have_count(0)  # gone from "Awaiting your review"
    _assert_published(lesson, "Getting help")

    # All three are live: the lessons themselves open for a signed-in member of staff.
    for title in ("Noticing", "Helping safely (the 4 Ds)", "Getting help"):
        lesson = LessonPage.objects.get(title=title)
        page.goto(live_server.url + lesson.url)
        expect(page.get_by_role("heading", name=title, level=1)).to_be_visible()
