"""Reads for lessons and classes. Tenancy for teaching groups lives here: every view that
looks up a group goes through ``groups_visible_to`` so another school's group is a 404."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from wagtail.models import Page, PageLogEntry, Revision, WorkflowState

from accounts import selectors as account_selectors
from accounts.models import Membership, School, User

from .models import LessonDelivery, LessonPage, ProgrammeIndexPage, ProgrammePage, TeachingGroup, Theme
from .models.pages import KEY_STAGE_YEARS

# --- Programmes and lessons -----------------------------------------------------------


def programme_index() -> ProgrammeIndexPage | None:
    """The programme index, found by type (never by slug)."""
    return ProgrammeIndexPage.objects.live().order_by("path").first()


def live_programmes() -> QuerySet[ProgrammePage]:
    return ProgrammePage.objects.live().order_by("path")


def programmes_search(
    *,
    index_page: ProgrammeIndexPage,
    q: str = "",
    key_stage: str = "",
    year_group: int | None = None,
    theme: Theme | None = None,
    status: str = "",
    **_ignored: object,
) -> list[ProgrammePage]:
    """Live programmes under the index, filtered and optionally searched by text."""
    programmes = ProgrammePage.objects.live().descendant_of(index_page).prefetch_related("themes").order_by("path")
    if key_stage in KEY_STAGE_YEARS:
        low, high = KEY_STAGE_YEARS[key_stage]
        programmes = programmes.filter(year_from__lte=high, year_to__gte=low)
    if year_group:
        programmes = programmes.filter(year_from__lte=year_group, year_to__gte=year_group)
    if theme is not None:
        programmes = programmes.filter(themes=theme)
    if status:
        programmes = programmes.filter(status=status)
    if q:
        matched_ids = [page.pk for page in ProgrammePage.objects.live().search(q)]
        # Lessons match too: a teacher searching "bystander" finds the programme that teaches it.
        lesson_paths = [page.path for page in LessonPage.objects.live().descendant_of(index_page).search(q)]
        parent_paths = {path[: -Page.steplen] for path in lesson_paths}
        programmes = programmes.filter(Q(pk__in=matched_ids) | Q(path__in=parent_paths))
    return list(programmes.distinct())


@dataclass(frozen=True)
class PageForReading:
    """A programme or lesson as the read-only admin view lists it."""

    page: ProgrammePage | LessonPage
    state: str
    has_draft: bool


@dataclass(frozen=True)
class ProgrammeForReading(PageForReading):
    lessons: tuple[PageForReading, ...] = ()


def _reading_state(page: Page, in_moderation: set[str]) -> str:
    if str(page.pk) in in_moderation:
        return "Waiting for approval" if not page.live else "Live, with changes waiting for approval"
    if not page.live:
        return "Draft (not published)"
    return "Live, with draft changes" if page.has_unpublished_changes else "Live"


def programmes_for_reading() -> list[ProgrammeForReading]:
    """Every programme with its lessons in the editors' order, live or not, and where each
    stands (live, draft, waiting for approval): three queries for the whole tree."""
    programmes = list(ProgrammePage.objects.order_by("path"))
    lessons = list(LessonPage.objects.order_by("path"))
    in_moderation = set(
        WorkflowState.objects.active()
        .filter(base_content_type=ContentType.objects.get_for_model(Page))
        .values_list("object_id", flat=True)
    )
    by_parent: dict[str, list[PageForReading]] = {}
    for lesson in lessons:
        by_parent.setdefault(lesson.path[: -Page.steplen], []).append(
            PageForReading(page=lesson, state=_reading_state(lesson, in_moderation), has_draft=_has_draft(lesson))
        )
    return [
        ProgrammeForReading(
            page=programme,
            state=_reading_state(programme, in_moderation),
            has_draft=_has_draft(programme),
            lessons=tuple(by_parent.get(programme.path, [])),
        )
        for programme in programmes
    ]


def _has_draft(page: Page) -> bool:
    """Whether the latest version differs from what teachers see (or nothing is live yet)."""
    return page.has_unpublished_changes or not page.live


def live_lessons_for(programme: ProgrammePage) -> list[LessonPage]:
    """A fresh read (``ProgrammePage.live_lessons`` is cached per instance), for writers
    such as the pack builder that must see the latest published revisions."""
    return list(LessonPage.objects.child_of(programme).live().order_by("path"))


def revision_live_on(lesson: LessonPage, day: dt.date) -> Revision | None:
    """The revision of ``lesson`` that was live at the end of ``day``.

    Read from Wagtail's publish log; if the lesson was first published after that day (a
    delivery logged against an earlier draft), the earliest published revision is used; if
    there is no log at all, the current live revision.
    """
    end_of_day = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
    publishes = PageLogEntry.objects.filter(page=lesson, action="wagtail.publish", revision__isnull=False)
    entry = publishes.filter(timestamp__lt=end_of_day).order_by("-timestamp", "-pk").first()
    if entry is None:
        entry = publishes.order_by("timestamp", "pk").first()
    if entry is not None and entry.revision_id:
        return entry.revision
    return lesson.live_revision


def revision_published_at(revision: Revision) -> dt.datetime:
    """When a revision went live (its publish log entry), else when it was saved."""
    published = (
        PageLogEntry.objects.filter(revision=revision, action="wagtail.publish")
        .order_by("timestamp")
        .values_list("timestamp", flat=True)
        .first()
    )
    return published or revision.created_at


def lesson_plan_revision(lesson: LessonPage) -> Revision | None:
    """The published revision a lesson plan is rendered from (and cached by)."""
    return lesson.live_revision if lesson.live else None


def programme_content_key(programme: ProgrammePage, lessons: list[LessonPage]) -> str:
    parts = [f"p{programme.pk}:{programme.live_revision_id}"] + [
        f"l{page.pk}:{page.live_revision_id}" for page in lessons
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


# --- Classes --------------------------------------------------------------------------


def groups_visible_to(user: User) -> QuerySet[TeachingGroup]:
    """Groups the user teaches or co-teaches, plus every group at a school they lead,
    limited to schools where their membership is still approved."""
    if not user.is_authenticated:
        return TeachingGroup.objects.none()
    approved_schools = account_selectors.schools_taught_at(user)
    led_schools = account_selectors.schools_led_by(user)
    return (
        TeachingGroup.objects.filter(school__in=approved_schools)
        .filter(Q(teacher=user) | Q(co_teachers=user) | Q(school__in=led_schools))
        .distinct()
        .select_related("school", "programme", "teacher")
    )


def group_for_user(user: User, pk: int) -> TeachingGroup:
    """The group, or 404 when it does not exist or belongs to someone else's school."""
    return get_object_or_404(groups_visible_to(user), pk=pk)


def active_groups(user: User) -> QuerySet[TeachingGroup]:
    return groups_visible_to(user).filter(archived_at__isnull=True)


def archived_groups(user: User) -> QuerySet[TeachingGroup]:
    return groups_visible_to(user).filter(archived_at__isnull=False)


def groups_to_log(user: User, lesson: LessonPage) -> list[TeachingGroup]:
    """The user's active classes on this lesson's programme that have not logged it yet."""
    return list(active_groups(user).filter(programme_id=lesson.get_parent().pk).exclude(deliveries__lesson=lesson))


def colleagues_at(schools: QuerySet[School] | list[School], *, exclude: User | None = None) -> QuerySet[User]:
    """Approved staff at the given schools: the people who may co-teach a group there."""
    users = User.objects.filter(
        memberships__school__in=schools, memberships__status=Membership.Status.APPROVED
    ).distinct()
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return users.order_by("first_name", "last_name", "email")


def is_approved_at(user: User, school: School) -> bool:
    return account_selectors.approved_memberships(user).filter(school=school).exists()


def delivery_for_group(group: TeachingGroup, pk: int) -> LessonDelivery:
    return get_object_or_404(LessonDelivery.objects.select_related("lesson", "revision"), group=group, pk=pk)


@dataclass(frozen=True)
class LessonProgressRow:
    lesson: LessonPage
    number: int
    delivery: LessonDelivery | None


@dataclass(frozen=True)
class GroupProgress:
    rows: list[LessonProgressRow]
    delivered: int
    total: int
    next_lesson: LessonPage | None
    other_deliveries: list[LessonDelivery]

    @property
    def summary(self) -> str:
        return f"{self.delivered} of {self.total} lessons delivered"

    @property
    def percent(self) -> int:
        return round(100 * self.delivered / self.total) if self.total else 0


def group_progress(group: TeachingGroup) -> GroupProgress:
    """Progress through the group's programme: each live lesson with its delivery, the
    next lesson to teach, and any deliveries of lessons since unpublished."""
    lessons = group.programme.live_lessons
    deliveries = {
        delivery.lesson_id: delivery
        for delivery in group.deliveries.select_related("revision", "logged_by").order_by("delivered_on")
    }
    rows = [
        LessonProgressRow(lesson=lesson, number=n, delivery=deliveries.get(lesson.pk))
        for n, lesson in enumerate(lessons, start=1)
    ]
    live_ids = {lesson.pk for lesson in lessons}
    other = [d for lesson_id, d in deliveries.items() if lesson_id not in live_ids]
    next_lesson = next((row.lesson for row in rows if row.delivery is None), None)
    delivered = sum(1 for row in rows if row.delivery is not None)
    return GroupProgress(
        rows=rows, delivered=delivered, total=len(rows), next_lesson=next_lesson, other_deliveries=other
    )


def groups_with_progress(groups: QuerySet[TeachingGroup]) -> list[tuple[TeachingGroup, GroupProgress]]:
    return [(group, group_progress(group)) for group in groups]
