"""Writes (lessons.services): classes, the delivery log, programme packs and the content
workflow (editor submits, moderator approves, teacher sees), through Wagtail's admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from wagtail.models import GroupPagePermission, Page, PageLogEntry, Workflow, WorkflowPage, WorkflowState
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

from accounts.models import Membership
from accounts.roles import CONTENT_EDITOR, MODERATOR
from lessons import services
from lessons.models import LessonDelivery, LessonPage, ProgrammePack
from tests.factories import MembershipFactory, UserFactory, login_with_second_factor

from .factories import LessonPageFactory, ProgrammePageFactory, TeachingGroupFactory

pytestmark = pytest.mark.django_db


# --- Classes --------------------------------------------------------------------------


def _create(teacher, school, programme, **extra):
    return services.teaching_group_create(
        teacher=teacher, school=school, name=" 8R ", year_group=8, pupil_count=28, programme=programme, **extra
    )


def test_teacher_creates_a_group_in_the_current_academic_year(teacher, school, programme):
    group = _create(teacher, school, programme, today=dt.date(2027, 2, 1))
    assert (group.name, group.academic_year, group.teacher) == ("8R", 2026, teacher)
    assert _create(teacher, school, programme, today=dt.date(2027, 9, 1)).academic_year == 2027


def test_unapproved_teacher_cannot_create_a_group(school, programme):
    pending = MembershipFactory(school=school, status=Membership.Status.PENDING).user
    with pytest.raises(PermissionDenied):
        _create(pending, school, programme)


def test_teacher_cannot_create_a_group_at_another_school(teacher, programme):
    other = MembershipFactory().school
    with pytest.raises(PermissionDenied):
        _create(teacher, other, programme)


def test_co_teachers_must_be_approved_at_the_same_school(teacher, school, programme):
    colleague = MembershipFactory(school=school).user
    stranger = MembershipFactory().user
    group = _create(teacher, school, programme, co_teachers=[colleague])
    assert list(group.co_teachers.all()) == [colleague]
    with pytest.raises(ValidationError):
        _create(teacher, school, programme, co_teachers=[stranger])
    with pytest.raises(ValidationError):
        services.teaching_group_update(group=group, name="8R", year_group=8, pupil_count=28, co_teachers=[stranger])


def test_group_needs_a_published_programme(teacher, school, programme):
    programme.unpublish()
    with pytest.raises(ValidationError):
        _create(teacher, school, programme)


def test_archive_and_restore_a_group(programme, membership):
    group = TeachingGroupFactory(programme=programme, membership=membership)
    assert services.teaching_group_archive(group=group).is_archived
    assert not services.teaching_group_archive(group=group, archive=False).is_archived


# --- Delivery log ---------------------------------------------------------------------


@pytest.fixture
def group(programme, lessons, membership):
    return TeachingGroupFactory(programme=programme, membership=membership)


def _record(group, lesson, **extra):
    values = {"delivered_on": timezone.localdate(), "minutes": 45, "logged_by": group.teacher}
    values.update(extra)
    return services.lesson_delivery_record(group=group, lesson=lesson, **values)


def test_delivery_records_the_revision_live_on_the_delivery_date(group, lesson):
    old = lesson.live_revision
    PageLogEntry.objects.filter(revision=old).update(timestamp=timezone.now() - dt.timedelta(days=20))
    lesson.title = "Understanding conflict v2"
    new = lesson.save_revision()
    new.publish()
    delivery = _record(group, lesson, delivered_on=timezone.localdate() - dt.timedelta(days=7), adaptations=" Shorter ")
    assert delivery.revision == old
    assert delivery.adaptations == "Shorter"
    assert delivery.logged_by == group.teacher


def test_correcting_the_date_re_derives_the_revision(group, lesson):
    old = lesson.live_revision
    PageLogEntry.objects.filter(revision=old).update(timestamp=timezone.now() - dt.timedelta(days=20))
    delivery = _record(group, lesson, delivered_on=timezone.localdate() - dt.timedelta(days=7))
    new = lesson.save_revision()
    new.publish()
    services.lesson_delivery_correct(
        delivery=delivery, delivered_on=timezone.localdate(), minutes=30, note="Fire drill"
    )
    delivery.refresh_from_db()
    assert (delivery.revision, delivery.minutes, delivery.note) == (new, 30, "Fire drill")


def test_delivery_can_be_undone(group, lesson):
    delivery = _record(group, lesson)
    services.lesson_delivery_undo(delivery=delivery)
    assert not LessonDelivery.objects.exists()


def test_the_same_lesson_cannot_be_logged_twice_for_a_group(group, lesson):
    _record(group, lesson)
    with pytest.raises(ValidationError, match="already logged"):
        _record(group, lesson)
    assert LessonDelivery.objects.count() == 1


def test_delivery_refuses_future_dates_other_programmes_and_archived_groups(group, lesson, index):
    with pytest.raises(ValidationError):
        _record(group, lesson, delivered_on=timezone.localdate() + dt.timedelta(days=1))
    stranger = LessonPageFactory(parent=ProgrammePageFactory(parent=index))
    with pytest.raises(ValidationError):
        _record(group, stranger)
    services.teaching_group_archive(group=group)
    with pytest.raises(ValidationError):
        _record(group, lesson)


# --- Programme packs ------------------------------------------------------------------


def test_pack_request_reuses_the_pack_until_a_lesson_is_edited(
    programme, lessons, teacher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as queued:
        first = services.programme_pack_request(programme=programme, requested_by=teacher)
    with django_capture_on_commit_callbacks(execute=True) as queued_again:
        again = services.programme_pack_request(programme=programme, requested_by=teacher)
    assert first.pk == again.pk
    assert (len(queued), len(queued_again)) == (1, 0)
    assert ProgrammePack.objects.get(pk=first.pk).status == ProgrammePack.Status.DONE
    lessons[0].save_revision().publish()
    edited = services.programme_pack_request(programme=programme, requested_by=teacher)
    assert edited.pk != first.pk


def test_a_dead_lettered_pack_gets_fresh_attempts_when_asked_again(
    programme, lessons, teacher, django_capture_on_commit_callbacks
):
    pack = services.programme_pack_request(programme=programme, requested_by=teacher)
    ProgrammePack.objects.filter(pk=pack.pk).update(status=ProgrammePack.Status.FAILED, attempts=5)
    with django_capture_on_commit_callbacks(execute=True):
        again = services.programme_pack_request(programme=programme, requested_by=teacher)
    again.refresh_from_db()
    assert again.pk == pack.pk
    assert (again.status, again.attempts) == (ProgrammePack.Status.DONE, 1)


# --- Content workflow -----------------------------------------------------------------


def test_content_workflow_is_idempotent_and_scoped_to_the_programme_index(index):
    first = services.content_workflow_ensure(index_page=index)
    second = services.content_workflow_ensure(index_page=index)
    assert first.pk == second.pk
    assert WorkflowPage.objects.get(page=index).workflow == first
    assert [task.name for task in first.tasks] == [services.WORKFLOW_TASK_NAME]
    perms = set(GroupPagePermission.objects.filter(page=index).values_list("group__name", "permission__codename"))
    assert perms == {
        (CONTENT_EDITOR, "add_page"),
        (CONTENT_EDITOR, "change_page"),
        (MODERATOR, "add_page"),
        (MODERATOR, "change_page"),
        (MODERATOR, "publish_page"),
    }
    assert Workflow.objects.filter(name=services.WORKFLOW_NAME).count() == 1


def _lesson_form(title: str) -> dict:
    return nested_form_data(
        {
            "title": title,
            "slug": "active-bystanders",
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
            "action-submit": "Submit to Moderator approval",
        }
    )


def test_editor_submits_a_lesson_moderator_approves_and_a_teacher_sees_it(client, index, programme, teacher):
    services.content_workflow_ensure(index_page=index)
    editor = UserFactory(groups=[CONTENT_EDITOR], mfa=True)
    moderator = UserFactory(groups=[MODERATOR], mfa=True)

    login_with_second_factor(client, editor)
    add_url = reverse("wagtailadmin_pages:add", args=("lessons", "lessonpage", programme.pk))
    assert client.get(add_url).status_code == 200
    response = client.post(add_url, _lesson_form("Being an active bystander"))
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    lesson = LessonPage.objects.get(slug="active-bystanders")
    assert not lesson.live
    assert not lesson.permissions_for_user(editor).can_publish()
    state = WorkflowState.objects.get(base_content_type__model="page", object_id=str(lesson.pk))
    assert state.status == WorkflowState.STATUS_IN_PROGRESS

    client.force_login(teacher)
    assert client.get("/programmes/").status_code == 200
    assert "Being an active bystander" not in client.get(programme.url).content.decode()

    login_with_second_factor(client, moderator)
    task_state = state.current_task_state
    approve = reverse("wagtailadmin_pages:workflow_action", args=(lesson.pk, "approve", task_state.pk))
    assert client.post(approve, {"comment": "Clear and calm."}).status_code in (200, 302)
    lesson.refresh_from_db()
    assert lesson.live
    assert lesson.live_revision.user == editor

    client.force_login(teacher)
    page = client.get(Page.objects.get(pk=lesson.pk).url)
    assert page.status_code == 200
    assert "The 4 Ds" in page.content.decode()


def test_revisions_compare_and_preview_work_for_moderators(client, index, lesson):
    services.content_workflow_ensure(index_page=index)
    moderator = UserFactory(groups=[MODERATOR], mfa=True)
    first = lesson.live_revision
    lesson.title = "Understanding conflict (edited)"
    second = lesson.save_revision()
    login_with_second_factor(client, moderator)
    compare = reverse("wagtailadmin_pages:revisions_compare", args=(lesson.pk, first.pk, second.pk))
    assert client.get(compare).status_code == 200
    preview = reverse("wagtailadmin_pages:revisions_view", args=(lesson.pk, second.pk))
    response = client.get(preview)
    assert response.status_code == 200
    assert "Understanding conflict (edited)" in response.content.decode()
    history = reverse("wagtailadmin_pages:history", args=(lesson.pk,))
    assert client.get(history).status_code == 200
