"""Reads (lessons.selectors): programme search and filters, the revision live on a date,
class visibility (tenancy) and progress through a programme."""

from __future__ import annotations

import datetime as dt

import pytest
from django.http import Http404
from django.utils import timezone
from wagtail.models import PageLogEntry

from accounts.models import Membership
from lessons import selectors
from lessons.models import LessonPage
from tests.factories import MembershipFactory, UserFactory

from .factories import (
    LessonDeliveryFactory,
    LessonPageFactory,
    ProgrammePageFactory,
    TeachingGroupFactory,
    ThemeFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(index):
    conflict = ThemeFactory(slug="conflict", name="Conflict")
    online = ThemeFactory(slug="online", name="Online")
    ks3 = ProgrammePageFactory(parent=index, title="Choices", year_from=7, year_to=9, status="pilot")
    ks3.themes.set([conflict])
    ks3.save_revision().publish()
    ks2 = ProgrammePageFactory(parent=index, title="Friends", year_from=5, year_to=6, status="scaled")
    ks2.themes.set([online])
    ks2.save_revision().publish()
    LessonPageFactory(parent=ks2, title="Being a good bystander")
    return {"ks3": ks3, "ks2": ks2, "conflict": conflict, "online": online}


def _titles(programmes):
    return sorted(p.title for p in programmes)


def test_programme_search_filters_by_key_stage_year_theme_and_status(index, catalogue):
    assert _titles(selectors.programmes_search(index_page=index)) == ["Choices", "Friends"]
    assert _titles(selectors.programmes_search(index_page=index, key_stage="ks2")) == ["Friends"]
    assert _titles(selectors.programmes_search(index_page=index, key_stage="ks4")) == []
    assert _titles(selectors.programmes_search(index_page=index, year_group=8)) == ["Choices"]
    assert _titles(selectors.programmes_search(index_page=index, theme=catalogue["online"])) == ["Friends"]
    assert _titles(selectors.programmes_search(index_page=index, status="pilot")) == ["Choices"]


def test_programme_search_finds_a_programme_by_the_words_in_its_lessons(index, catalogue):
    assert _titles(selectors.programmes_search(index_page=index, q="bystander")) == ["Friends"]
    assert _titles(selectors.programmes_search(index_page=index, q="Choices")) == ["Choices"]


def test_programme_index_is_found_by_type_whatever_its_slug(index):
    index.slug = "lessons-for-schools"
    index.save_revision().publish()
    assert selectors.programme_index().pk == index.pk


def test_unpublished_programmes_are_not_listed(index, catalogue):
    catalogue["ks2"].unpublish()
    assert _titles(selectors.programmes_search(index_page=index)) == ["Choices"]


def _age_publish_log(revision, days: int) -> None:
    PageLogEntry.objects.filter(revision=revision, action="wagtail.publish").update(
        timestamp=timezone.now() - dt.timedelta(days=days)
    )


def test_revision_live_on_a_date_is_the_one_published_by_the_end_of_that_day(lesson):
    first = lesson.live_revision
    _age_publish_log(first, 10)
    lesson.title = "Understanding conflict (revised)"
    second = lesson.save_revision()
    second.publish()
    today = timezone.localdate()
    assert selectors.revision_live_on(lesson, today - dt.timedelta(days=5)) == first
    assert selectors.revision_live_on(lesson, today) == second


def test_revision_live_before_first_publication_falls_back_to_the_first_published(lesson):
    first = lesson.live_revision
    _age_publish_log(first, 3)
    assert selectors.revision_live_on(lesson, timezone.localdate() - dt.timedelta(days=30)) == first


def test_teacher_sees_own_and_co_taught_groups_but_not_colleagues(programme, membership):
    own = TeachingGroupFactory(programme=programme, membership=membership)
    colleague = MembershipFactory(school=membership.school)
    theirs = TeachingGroupFactory(programme=programme, membership=colleague)
    shared = TeachingGroupFactory(programme=programme, membership=colleague)
    shared.co_teachers.add(membership.user)
    visible = set(selectors.groups_visible_to(membership.user))
    assert visible == {own, shared}
    assert theirs not in visible


def test_school_lead_sees_every_group_of_the_school_and_no_other(programme, membership):
    lead = MembershipFactory(school=membership.school, role=Membership.Role.SCHOOL_LEAD).user
    ours = TeachingGroupFactory(programme=programme, membership=membership)
    elsewhere = TeachingGroupFactory(programme=programme)
    assert set(selectors.groups_visible_to(lead)) == {ours}
    with pytest.raises(Http404):
        selectors.group_for_user(lead, elsewhere.pk)


def test_groups_disappear_when_the_membership_is_revoked(programme, membership):
    group = TeachingGroupFactory(programme=programme, membership=membership)
    membership.status = Membership.Status.REVOKED
    membership.save()
    with pytest.raises(Http404):
        selectors.group_for_user(membership.user, group.pk)


def test_anonymous_and_unattached_users_see_no_groups(programme):
    TeachingGroupFactory(programme=programme)
    assert not selectors.groups_visible_to(UserFactory()).exists()


def test_group_progress_counts_delivered_lessons_and_names_the_next(programme, lessons, membership):
    group = TeachingGroupFactory(programme=programme, membership=membership)
    LessonDeliveryFactory(group=group, lesson=lessons[0])
    progress = selectors.group_progress(group)
    assert progress.summary == "1 of 3 lessons delivered"
    assert progress.next_lesson == lessons[1]
    assert [row.delivery is not None for row in progress.rows] == [True, False, False]


def test_group_progress_keeps_deliveries_of_lessons_since_unpublished(programme, lessons, membership):
    group = TeachingGroupFactory(programme=programme, membership=membership)
    delivery = LessonDeliveryFactory(group=group, lesson=lessons[2], minutes=40)
    LessonPage.objects.get(pk=lessons[2].pk).unpublish()
    group.programme.refresh_from_db()
    progress = selectors.group_progress(type(group).objects.get(pk=group.pk))
    assert progress.total == 2
    assert progress.other_deliveries == [delivery]
