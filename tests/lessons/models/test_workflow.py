"""The moderators' approval step (lessons.models.workflow): approving a lesson publishes it,
from the page editor (with or without a last edit) as from the dashboard, while an edit by
someone else since submission still needs approving. Through Wagtail's admin views."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from wagtail.models import GroupApprovalTask, PageLogEntry, Task, TaskState, Workflow, WorkflowState, WorkflowTask
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from accounts.roles import CONTENT_EDITOR, MODERATOR
from lessons import services
from lessons.models import LessonPage, ModeratorApprovalTask
from tests.factories import UserFactory
from tests.second_factor import force_login_with_second_factor

pytestmark = pytest.mark.django_db

SLUG = "active-bystanders"


def _form(title: str, **actions) -> dict:
    return nested_form_data(
        {
            "title": title,
            "slug": SLUG,
            "summary": "Noticing and helping safely.",
            "learning_objectives": "Explain the 4 Ds\nChoose a safe way to help",
            "duration_minutes": 50,
            "key_vocabulary": streamfield([("term", {"term": "bystander", "definition": "Someone who sees it."})]),
            "body": streamfield(
                [
                    (
                        "activity",
                        {
                            "heading": "The 4 Ds",
                            "minutes": 20,
                            "grouping": "small_groups",
                            "instructions": rich_text("<p>Each group takes one D.</p>"),
                            "resources_needed": "",
                        },
                    ),
                    ("safeguarding_note", {"text": rich_text("<p>Report disclosures the same day.</p>")}),
                ]
            ),
            **actions,
        }
    )


APPROVE = {"action-workflow-action": "true", "workflow-action-name": "approve"}


@pytest.fixture
def people(index):
    services.content_workflow_ensure(index_page=index)
    return {
        "editor": UserFactory(groups=[CONTENT_EDITOR], mfa=True),
        "moderator": UserFactory(groups=[MODERATOR], mfa=True),
        "other_moderator": UserFactory(groups=[MODERATOR], mfa=True),
    }


@pytest.fixture
def submitted(client, programme, people) -> LessonPage:
    """A new lesson the editor wrote and submitted in the admin, waiting for a moderator."""
    force_login_with_second_factor(client, people["editor"])
    add_url = reverse("wagtailadmin_pages:add", args=("lessons", "lessonpage", programme.pk))
    response = client.post(add_url, _form("Being an active bystander", **{"action-submit": "Submit"}))
    assert response.status_code == 302
    client.logout()
    lesson = LessonPage.objects.get(slug=SLUG)
    assert not lesson.live
    assert _state(lesson).status == WorkflowState.STATUS_IN_PROGRESS
    return lesson


def _state(lesson) -> WorkflowState:
    return WorkflowState.objects.filter(base_content_type__model="page", object_id=str(lesson.pk)).latest("pk")


def _edit(client, lesson, data):
    return client.post(reverse("wagtailadmin_pages:edit", args=(lesson.pk,)), data)


def _assert_published(lesson, *, title: str, approver) -> None:
    lesson.refresh_from_db()
    state = _state(lesson)
    assert lesson.live
    assert not lesson.has_unpublished_changes
    assert lesson.live_revision.as_object().title == title
    assert state.status == WorkflowState.STATUS_APPROVED
    # One approval, by the moderator, and no "Next step 'Moderator approval'" restart.
    assert list(state.task_states.values_list("status", "finished_by")) == [(TaskState.STATUS_APPROVED, approver.pk)]
    assert not state.task_states.filter(status=TaskState.STATUS_IN_PROGRESS).exists()
    assert PageLogEntry.objects.filter(page=lesson, action="wagtail.publish").count() == 1


def test_moderator_approving_in_the_editor_after_an_edit_publishes_the_edit(client, submitted, people):
    moderator = people["moderator"]
    force_login_with_second_factor(client, moderator)

    response = _edit(client, submitted, _form("Being an active bystander (checked)", **APPROVE))

    assert response.status_code == 302
    _assert_published(submitted, title="Being an active bystander (checked)", approver=moderator)
    assert submitted.live_revision.user == moderator
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert "“Being an active bystander (checked)” is approved and published: teachers can see it now." in shown


def test_moderator_approving_in_the_editor_without_an_edit_publishes_what_was_submitted(client, submitted, people):
    moderator = people["moderator"]
    submitted_revision = submitted.get_latest_revision()
    force_login_with_second_factor(client, moderator)

    response = _edit(client, submitted, _form("Being an active bystander", **APPROVE))

    assert response.status_code == 302
    _assert_published(submitted, title="Being an active bystander", approver=moderator)

    def shown(page) -> list[str]:  # the lesson as rendered, without the editor's random block keys
        return [re.sub(r' data-block-key="\w+"', "", block.render_as_block()) for block in page.body]

    assert shown(submitted.live_revision.as_object()) == shown(submitted_revision.as_object())


def test_moderator_approving_from_the_dashboard_publishes(client, submitted, people):
    moderator = people["moderator"]
    force_login_with_second_factor(client, moderator)
    task_state = _state(submitted).current_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=(submitted.pk, "approve", task_state.pk))

    assert client.post(url, {"comment": "Clear and calm."}).status_code in (200, 302)

    _assert_published(submitted, title="Being an active bystander", approver=moderator)
    assert submitted.live_revision.user == people["editor"]


def test_moderators_own_saved_draft_is_covered_by_approving_from_the_dashboard(client, submitted, people):
    """Saving first (or Wagtail's autosave) and approving afterwards is still one approval."""
    moderator = people["moderator"]
    force_login_with_second_factor(client, moderator)
    assert _edit(client, submitted, _form("Being an active bystander (tidied)")).status_code == 302
    task_state = _state(submitted).current_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=(submitted.pk, "approve", task_state.pk))

    client.post(url, {"comment": ""})

    _assert_published(submitted, title="Being an active bystander (tidied)", approver=moderator)


def test_an_edit_by_someone_else_since_submission_still_needs_approving(client, submitted, people):
    """The safety WAGTAIL_WORKFLOW_REQUIRE_REAPPROVAL_ON_EDIT gives: approving never
    publishes a later edit the approver did not make."""
    moderator, other = people["moderator"], people["other_moderator"]
    force_login_with_second_factor(client, other)
    assert _edit(client, submitted, _form("Being an active bystander (by someone else)")).status_code == 302
    client.logout()

    force_login_with_second_factor(client, moderator)
    task_state = _state(submitted).current_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=(submitted.pk, "approve", task_state.pk))
    client.post(url, {"comment": ""})

    submitted.refresh_from_db()
    state = _state(submitted)
    assert not submitted.live
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    assert state.current_task_state.status == TaskState.STATUS_IN_PROGRESS
    assert state.current_task_state.revision.user == other  # the step restarted on their edit

    # In the editor, the moderator is told why it is still waiting; approving what is
    # there now (having seen it) publishes it.
    response = _edit(client, submitted, _form("Being an active bystander (by someone else)", **APPROVE))
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert any("approved and published" in message for message in shown)
    submitted.refresh_from_db()
    assert submitted.live
    assert submitted.live_revision.as_object().title == "Being an active bystander (by someone else)"
    assert _state(submitted).status == WorkflowState.STATUS_APPROVED


def test_the_editor_says_why_an_approval_did_not_publish(client, submitted, people):
    moderator, other = people["moderator"], people["other_moderator"]
    force_login_with_second_factor(client, moderator)
    page = client.get(reverse("wagtailadmin_pages:edit", args=(submitted.pk,)))
    assert page.status_code == 200
    # Someone else saves while the moderator has the editor open...
    revision = submitted.get_latest_revision_as_object()
    revision.title = "Being an active bystander (meanwhile)"
    revision.save_revision(user=other)

    # ...and the moderator approves without editing.
    response = _edit(client, submitted, _form("Being an active bystander", **APPROVE))

    submitted.refresh_from_db()
    assert not submitted.live
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert any("still waiting for approval: someone else changed it" in message for message in shown)


def test_content_workflow_ensure_converts_an_old_group_approval_task_in_place(index, programme, people):
    """Databases made before the moderator approval task: the plain task of that name keeps
    its id, groups and in-progress reviews, and approving one of those now publishes."""
    ModeratorApprovalTask.objects.all().delete()
    WorkflowTask.objects.all().delete()
    old = GroupApprovalTask.objects.create(name=services.WORKFLOW_TASK_NAME)
    old.groups.set(people["moderator"].groups.all())
    workflow = Workflow.objects.get(name=services.WORKFLOW_NAME)
    WorkflowTask.objects.create(workflow=workflow, task=old, sort_order=0)
    lesson = LessonPage(title="Old review", slug="old-review", learning_objectives="Learn", body=[])
    programme.add_child(instance=lesson)
    lesson.save_revision(user=people["editor"])
    workflow.start(lesson, people["editor"])
    other_moderator = people["moderator"]
    lesson.get_latest_revision_as_object().save_revision(user=other_moderator)  # the moderator's own edit

    services.content_workflow_ensure(index_page=index)

    task = Task.objects.get(pk=old.pk).specific
    assert isinstance(task, ModeratorApprovalTask)
    assert list(task.groups.values_list("name", flat=True)) == [MODERATOR]
    assert [t.pk for t in workflow.tasks] == [old.pk]
    state = _state(lesson)
    state.current_task_state.task.specific.on_action(state.current_task_state, other_moderator, "approve")
    lesson.refresh_from_db()
    assert lesson.live
    assert _state(lesson).status == WorkflowState.STATUS_APPROVED
