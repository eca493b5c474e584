"""Lesson permissions granted to the VRU groups (lessons.roles): officers and analysts read
programmes and lessons; nobody gains a Wagtail page permission from it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from wagtail.models import GroupPagePermission

from accounts.roles import ANALYST, CONTENT_EDITOR, MODERATOR, OFFICER, PLATFORM_ADMIN
from lessons.roles import ensure_lesson_permissions
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _codenames(name: str) -> set[str]:
    return set(
        Group.objects.get(name=name)
        .permissions.filter(content_type__app_label="lessons")
        .values_list("codename", flat=True)
    )


def test_officers_and_analysts_read_programmes_and_lessons_and_nobody_else_does(reference_data):
    ensure_lesson_permissions()
    ensure_lesson_permissions()  # idempotent
    readers = {
        name
        for name in (CONTENT_EDITOR, MODERATOR, OFFICER, ANALYST, PLATFORM_ADMIN)
        if {"view_programmepage", "view_lessonpage"} <= _codenames(name)
    }
    assert readers == {OFFICER, ANALYST}
    assert _codenames(OFFICER) == {"view_programmepage", "view_lessonpage"}
    assert not GroupPagePermission.objects.filter(group__name__in=[OFFICER, ANALYST]).exists()


def test_reading_grants_no_page_permission(reference_data, lesson):
    ensure_lesson_permissions()
    officer = UserFactory(groups=[OFFICER], mfa=True)
    permissions = lesson.permissions_for_user(officer)
    assert officer.has_perm("lessons.view_lessonpage")
    assert not any(
        (
            permissions.can_edit(),
            permissions.can_publish(),
            permissions.can_unpublish(),
            permissions.can_delete(),
            permissions.can_move(),
            permissions.can_copy(),
            permissions.can_lock(),
            permissions.can_add_subpage(),
        )
    )
