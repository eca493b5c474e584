"""VRU roles as Django groups, and the permissions each one holds (least privilege).

Page permissions on the lesson tree are granted by ``lessons`` (which owns the pages); this
module covers everything else. ``ensure_role_groups`` is idempotent: the data migration and
``seed_demo`` both call it.
"""

from __future__ import annotations

CONTENT_EDITOR = "Content editors"
MODERATOR = "Moderators"
OFFICER = "VRU officers"
ANALYST = "VRU analysts"
PLATFORM_ADMIN = "Platform admins"

VRU_GROUPS = (CONTENT_EDITOR, MODERATOR, OFFICER, ANALYST, PLATFORM_ADMIN)

_ADMIN = ("wagtailadmin", "admin", "access_admin")
_MEDIA = [
    ("wagtailimages", "image", "add_image"),
    ("wagtailimages", "image", "change_image"),
    ("wagtailimages", "image", "choose_image"),
    ("wagtaildocs", "document", "add_document"),
    ("wagtaildocs", "document", "change_document"),
    ("wagtaildocs", "document", "choose_document"),
]
_ORGANISATIONS = [
    ("accounts", "localauthority", "view_localauthority"),
    ("accounts", "school", "view_school"),
    ("accounts", "school", "add_school"),
    ("accounts", "school", "change_school"),
    ("accounts", "school", "invite_school_lead"),
    ("accounts", "school", "view_regional_outcomes"),
    ("accounts", "membership", "view_membership"),
    ("accounts", "membership", "change_membership"),
    ("accounts", "invitation", "view_invitation"),
]

ROLE_PERMISSIONS: dict[str, list[tuple[str, str, str]]] = {
    CONTENT_EDITOR: [_ADMIN, *_MEDIA],
    MODERATOR: [_ADMIN, *_MEDIA],
    OFFICER: [_ADMIN, *_ORGANISATIONS],
    ANALYST: [
        _ADMIN,
        ("accounts", "school", "view_school"),
        ("accounts", "localauthority", "view_localauthority"),
        ("accounts", "school", "view_regional_outcomes"),
        ("accounts", "school", "export_pseudonymised_records"),
    ],
    PLATFORM_ADMIN: [
        _ADMIN,
        *_ORGANISATIONS,
        ("accounts", "localauthority", "add_localauthority"),
        ("accounts", "localauthority", "change_localauthority"),
        ("accounts", "membership", "add_membership"),
        ("accounts", "membership", "delete_membership"),
        ("accounts", "user", "add_user"),
        ("accounts", "user", "change_user"),
        ("accounts", "user", "delete_user"),
        ("accounts", "user", "view_user"),
        ("auth", "group", "add_group"),
        ("auth", "group", "change_group"),
        ("auth", "group", "delete_group"),
        ("auth", "group", "view_group"),
        ("wagtailcore", "site", "change_site"),
    ],
}


def ensure_role_groups(apps=None) -> dict[str, object]:
    """Create the VRU groups and set exactly the permissions listed above.

    ``apps`` is the migration app registry when called from a migration.
    """
    if apps is None:
        from django.apps import apps as global_apps

        apps = global_apps
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    ContentType = apps.get_model("contenttypes", "ContentType")

    groups = {}
    for name, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for app_label, model, codename in perms:
            ct, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
            perm, _ = Permission.objects.get_or_create(
                content_type=ct, codename=codename, defaults={"name": codename.replace("_", " ")}
            )
            wanted.append(perm)
        # Keep permissions other apps add (e.g. lessons' page-related ones) but never
        # user/group management outside the platform admins.
        if name != PLATFORM_ADMIN:
            group.permissions.remove(
                *group.permissions.filter(
                    content_type__app_label__in=["auth", "accounts"],
                    content_type__model__in=["user", "group"],
                )
            )
        group.permissions.add(*wanted)
        groups[name] = group
    return groups


def user_vru_roles(user) -> set[str]:
    """The user's VRU groups, read once per user object (so once per request: the MFA and
    session middlewares and the header all ask), like Django's own permission cache."""
    if not user.is_authenticated:
        return set()
    if not hasattr(user, "_upstream_vru_roles"):
        user._upstream_vru_roles = set(user.groups.filter(name__in=VRU_GROUPS).values_list("name", flat=True))
    return user._upstream_vru_roles


def is_vru_staff(user) -> bool:
    """VRU staff and superusers must use MFA (docs/decisions.md#5)."""
    return bool(user.is_authenticated and (user.is_superuser or user_vru_roles(user)))


def requires_mfa(user) -> bool:
    """Who must enrol a second factor before doing anything else (docs/decisions.md#5): VRU staff,
    superusers, and anyone else who can open either admin, so that a group created later
    with admin access, or a Django-admin staff flag, cannot slip past the rule."""
    if not user.is_authenticated:
        return False
    return bool(is_vru_staff(user) or user.is_staff or user.has_perm("wagtailadmin.access_admin"))
