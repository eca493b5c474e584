"""Writes for classes, the delivery log, programme packs and the content workflow.

Every function is keyword-only; writes are atomic, except that building a programme pack
records its progress outside a transaction on purpose (so the teacher's page can see it).
Permission rules that depend on a school (approved membership, same-school co-teachers)
are enforced here as well as in the views, so no other caller can bypass them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from wagtail.models import GroupPagePermission, Workflow, WorkflowPage, WorkflowTask

from accounts.models import School, User
from accounts.roles import CONTENT_EDITOR, MODERATOR
from accounts.school_year import academic_year_for

from . import pdf, selectors
from .models import (
    LessonDelivery,
    LessonPage,
    ModeratorApprovalTask,
    ProgrammeIndexPage,
    ProgrammePack,
    ProgrammePage,
    TeachingGroup,
)
from .models.workflow import convert_group_approval_tasks

logger = logging.getLogger(__name__)

WORKFLOW_NAME = "VRU lesson approval"
WORKFLOW_TASK_NAME = "Moderator approval"
# Editors draft and submit; moderators may also publish (which is how they approve).
PAGE_PERMISSIONS = {
    CONTENT_EDITOR: ["add_page", "change_page"],
    MODERATOR: ["add_page", "change_page", "publish_page"],
}


# --- Classes --------------------------------------------------------------------------


def _check_co_teachers(*, school: School, teacher: User, co_teachers: Iterable[User]) -> list[User]:
    co_teachers = [user for user in co_teachers if user.pk != teacher.pk]
    allowed = set(selectors.colleagues_at([school]).values_list("pk", flat=True))
    strangers = [user for user in co_teachers if user.pk not in allowed]
    if strangers:
        raise ValidationError({"co_teachers": "Co-teachers must be approved staff at the same school as the class."})
    return co_teachers


@transaction.atomic
def teaching_group_create(
    *,
    teacher: User,
    school: School,
    name: str,
    year_group: int,
    pupil_count: int,
    programme: ProgrammePage,
    co_teachers: Iterable[User] = (),
    today: dt.date | None = None,
) -> TeachingGroup:
    if not selectors.is_approved_at(teacher, school):
        raise PermissionDenied("Only approved staff at this school can create its classes.")
    if not programme.live:
        raise ValidationError({"programme": "Choose a published programme."})
    co_teachers = _check_co_teachers(school=school, teacher=teacher, co_teachers=co_teachers)
    group = TeachingGroup(
        school=school,
        teacher=teacher,
        name=name.strip(),
        year_group=year_group,
        pupil_count=pupil_count,
        programme=programme,
        academic_year=academic_year_for(today or timezone.localdate()),
    )
    group.full_clean()
    group.save()
    group.co_teachers.set(co_teachers)
    return group


@transaction.atomic
def teaching_group_update(
    *,
    group: TeachingGroup,
    name: str,
    year_group: int,
    pupil_count: int,
    co_teachers: Iterable[User] = (),
) -> TeachingGroup:
    co_teachers = _check_co_teachers(school=group.school, teacher=group.teacher, co_teachers=co_teachers)
    group.name = name.strip()
    group.year_group = year_group
    group.pupil_count = pupil_count
    group.full_clean()
    group.save(update_fields=["name", "year_group", "pupil_count"])
    group.co_teachers.set(co_teachers)
    return group


@transaction.atomic
def teaching_group_archive(*, group: TeachingGroup, archive: bool = True) -> TeachingGroup:
    group.archived_at = timezone.now() if archive else None
    group.save(update_fields=["archived_at"])
    return group


# --- Delivery log ---------------------------------------------------------------------


def _check_delivery(*, group: TeachingGroup, lesson: LessonPage, delivered_on: dt.date) -> None:
    if group.is_archived:
        raise ValidationError("This class is archived. Restore it before logging lessons.")
    if not lesson.is_child_of(group.programme):
        raise ValidationError({"lesson": "That lesson is not part of this class's programme."})
    if delivered_on > timezone.localdate():
        raise ValidationError({"delivered_on": "The date cannot be in the future."})


@transaction.atomic
def lesson_delivery_record(
    *,
    group: TeachingGroup,
    lesson: LessonPage,
    delivered_on: dt.date,
    minutes: int,
    logged_by: User,
    adaptations: str = "",
    note: str = "",
) -> LessonDelivery:
    """Mark a lesson delivered. The revision live on ``delivered_on`` is recorded."""
    _check_delivery(group=group, lesson=lesson, delivered_on=delivered_on)
    revision = selectors.revision_live_on(lesson, delivered_on)
    if revision is None:
        raise ValidationError({"lesson": "That lesson has never been published."})
    delivery = LessonDelivery(
        group=group,
        lesson=lesson,
        revision=revision,
        delivered_on=delivered_on,
        minutes=minutes,
        adaptations=adaptations.strip(),
        note=note.strip(),
        logged_by=logged_by,
    )
    delivery.full_clean(exclude=["group", "lesson"])
    try:
        with transaction.atomic():
            delivery.save()
    except IntegrityError:
        raise ValidationError("This lesson is already logged for this class. Correct that entry instead.")
    return delivery


@transaction.atomic
def lesson_delivery_correct(
    *,
    delivery: LessonDelivery,
    delivered_on: dt.date,
    minutes: int,
    adaptations: str = "",
    note: str = "",
) -> LessonDelivery:
    """Correct an entry. A changed date re-derives the revision that was live then."""
    _check_delivery(group=delivery.group, lesson=delivery.lesson, delivered_on=delivered_on)
    if delivered_on != delivery.delivered_on:
        delivery.revision = selectors.revision_live_on(delivery.lesson, delivered_on) or delivery.revision
    delivery.delivered_on = delivered_on
    delivery.minutes = minutes
    delivery.adaptations = adaptations.strip()
    delivery.note = note.strip()
    delivery.full_clean(exclude=["group", "lesson"])
    delivery.save()
    return delivery


@transaction.atomic
def lesson_delivery_undo(*, delivery: LessonDelivery) -> None:
    delivery.delete()


# --- Programme packs ------------------------------------------------------------------


@transaction.atomic
def programme_pack_request(*, programme: ProgrammePage, requested_by: User | None) -> ProgrammePack:
    """Find or create the pack for the programme's current published lessons and queue
    its rendering after commit. Asking twice for unchanged content reuses one pack; a
    dead-lettered pack is given a fresh set of attempts when someone asks again."""
    lessons = selectors.live_lessons_for(programme)
    key = selectors.programme_content_key(programme, lessons)
    pack, created = ProgrammePack.objects.select_for_update().get_or_create(
        programme=programme,
        content_key=key,
        defaults={"requested_by": requested_by, "lessons_total": len(lessons)},
    )
    if pack.status == ProgrammePack.Status.FAILED:
        pack.status = ProgrammePack.Status.PENDING
        pack.attempts = 0
        pack.last_error = ""
        pack.lessons_done = 0
        pack.save(update_fields=["status", "attempts", "last_error", "lessons_done", "updated_at"])
    elif not created:
        return pack
    transaction.on_commit(lambda: programme_pack_enqueue(pack_id=pack.pk))
    return pack


def programme_pack_enqueue(*, pack_id: int) -> bool:
    """Send the render task, never letting a broker outage fail the teacher's request: the
    pack stays pending and ``requeue_stale_programme_packs`` (Celery beat) sends it later."""
    from .tasks import render_programme_pack

    try:
        render_programme_pack.delay(pack_id)
    except Exception:  # kombu raises several connection errors; all mean "not sent"
        logger.warning("Could not queue programme pack %s; beat will retry", pack_id, exc_info=True)
        return False
    return True


def programme_packs_requeue_stale(*, older_than: dt.timedelta = dt.timedelta(minutes=10)) -> int:
    """Re-send packs left pending or running (broker outage, lost worker) for longer than
    ``older_than``, which is above the task time limit. The attempt counter still bounds
    them: a pack that keeps failing is dead-lettered by the task."""
    cutoff = timezone.now() - older_than
    stale = ProgrammePack.objects.filter(
        status__in=[ProgrammePack.Status.PENDING, ProgrammePack.Status.RUNNING], updated_at__lt=cutoff
    ).values_list("pk", flat=True)
    return sum(programme_pack_enqueue(pack_id=pk) for pk in stale)


def programme_pack_start(*, pack_id: int) -> ProgrammePack | None:
    """Claim a pack for rendering and count the attempt. Returns None when there is nothing
    to do: already done, already dead-lettered, or this attempt is one too many."""
    with transaction.atomic():
        pack = ProgrammePack.objects.select_for_update().filter(pk=pack_id).first()
        if pack is None or pack.status == ProgrammePack.Status.FAILED:
            return None
        if pack.status == ProgrammePack.Status.DONE and default_storage.exists(pack.file_path):
            return None
        pack.attempts += 1
        if pack.attempts > ProgrammePack.MAX_ATTEMPTS:
            pack.status = ProgrammePack.Status.FAILED
            pack.last_error = pack.last_error or f"Gave up after {ProgrammePack.MAX_ATTEMPTS} attempts."
            pack.finished_at = timezone.now()
            pack.save(update_fields=["status", "last_error", "finished_at", "attempts", "updated_at"])
            return None
        pack.status = ProgrammePack.Status.RUNNING
        pack.lessons_done = 0
        pack.save(update_fields=["status", "attempts", "lessons_done", "updated_at"])
    return pack


def programme_pack_build(*, pack: ProgrammePack) -> ProgrammePack:
    """Render the pack and write it to its deterministic path. Progress is written as each
    lesson is rendered (outside a transaction, so the teacher's page can see it); the
    final status change is conditional, so a duplicate run cannot regress it."""
    programme = pack.programme
    lessons = [
        (revision.as_object(), revision)
        for revision in (lesson.live_revision for lesson in selectors.live_lessons_for(programme))
        if revision is not None
    ]
    ProgrammePack.objects.filter(pk=pack.pk).update(lessons_total=len(lessons))

    def progress(done: int) -> None:
        ProgrammePack.objects.filter(pk=pack.pk).update(lessons_done=done, updated_at=timezone.now())

    document = pdf.render_programme_pack(programme, lessons, on_progress=progress)
    path = pack.output_path
    if default_storage.exists(path):
        default_storage.delete(path)
    saved = default_storage.save(path, ContentFile(document))
    ProgrammePack.objects.filter(pk=pack.pk).exclude(status=ProgrammePack.Status.DONE).update(
        status=ProgrammePack.Status.DONE,
        file_path=saved,
        lessons_done=len(lessons),
        last_error="",
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    pack.refresh_from_db()
    return pack


def programme_pack_record_failure(*, pack_id: int, error: str, final: bool = False) -> bool:
    """Record a failed attempt. Returns True when the pack is now dead-lettered (five
    attempts used, or ``final``), so the caller stops retrying."""
    with transaction.atomic():
        pack = ProgrammePack.objects.select_for_update().get(pk=pack_id)
        dead = final or pack.attempts >= ProgrammePack.MAX_ATTEMPTS
        pack.status = ProgrammePack.Status.FAILED if dead else ProgrammePack.Status.PENDING
        pack.last_error = error[:2000]
        if dead:
            pack.finished_at = timezone.now()
        pack.save(update_fields=["status", "last_error", "finished_at", "updated_at"])
    return dead


# --- Content workflow -----------------------------------------------------------------


@transaction.atomic
def content_workflow_ensure(*, index_page: ProgrammeIndexPage) -> Workflow:
    """Editors submit, moderators approve: page permissions on the programme index for both
    groups and a one-step approval workflow assigned to it, whose step is a
    ``ModeratorApprovalTask`` (approving publishes, also from the page editor). Idempotent."""
    for group_name, codenames in PAGE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for codename in codenames:
            permission = Permission.objects.get(content_type__app_label="wagtailcore", codename=codename)
            GroupPagePermission.objects.get_or_create(group=group, page=index_page, permission=permission)
    # A database made before the moderator approval task existed has a plain group
    # approval task of that name: convert it in place (lessons/models/workflow.py).
    convert_group_approval_tasks(global_apps, name=WORKFLOW_TASK_NAME)
    task = ModeratorApprovalTask.objects.filter(name=WORKFLOW_TASK_NAME).first()
    if task is None:
        task = ModeratorApprovalTask.objects.create(name=WORKFLOW_TASK_NAME)
    task.groups.set([Group.objects.get(name=MODERATOR)])
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME)
    # WorkflowTask hangs off a ParentalKey, whose related manager only saves with the
    # parent; create the row directly.
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    WorkflowPage.objects.update_or_create(page=index_page, defaults={"workflow": workflow})
    return workflow
