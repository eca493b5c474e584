"""Lesson permissions for the VRU groups (accounts.roles defines the groups; lessons adds
its own permissions here, as surveys does in surveys/roles.py).

Officers and analysts read programmes and lessons (``view_programmepage``,
``view_lessonpage``): the read-only "Programmes and lessons" admin view
(lessons/read_views.py). These are Django model permissions, which Wagtail's page
explorer and editor never consult: editing, publishing, moving, copying and deleting pages
need Wagtail *page* permissions (GroupPagePermission, granted by
``services.content_workflow_ensure`` to editors and moderators only), so the groups below
can look but never change anything. ``ensure_lesson_permissions`` is additive and
idempotent: the data migration, seed_demo and tests that flush the database call it.
"""

from __future__ import annotations

LESSON_GRANTS: dict[str, list[str]] = {
    "VRU officers": ["view_programmepage", "view_lessonpage"],
    "VRU analysts": ["view_programmepage", "view_lessonpage"],
}
READ_PERMISSION = "lessons.view_programmepage"


def ensure_lesson_permissions(apps=None) -> None:
    """Grant the permissions above; ``apps`` is the migration registry inside a migration."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    registry = apps or global_apps
    # Permissions are normally created after all migrations: make them now so they can be granted.
    create_permissions(global_apps.get_app_config("lessons"), apps=registry, verbosity=0)
    Group = registry.get_model("auth", "Group")
    Permission = registry.get_model("auth", "Permission")
    for group_name, codenames in LESSON_GRANTS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="lessons", codename__in=codenames))
