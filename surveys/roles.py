"""Survey permissions for the VRU groups (accounts.roles defines the groups; surveys adds
its own permissions here rather than editing that module).

Content editors, moderators and platform admins edit instruments; officers and analysts
view them; moderators and officers publish a version (``publish_instrumentversion``, like
publishing a page: editors draft and a moderator publishes); officers and platform admins
import paper surveys (``add_response``); officers and analysts see delivery and
participation (``view_participation``).
``ensure_survey_permissions`` is additive and idempotent: the data migration, seed_demo and
tests that flush the database call it.
"""

from __future__ import annotations

_EDIT = ("add", "change", "delete", "view")
_INSTRUMENT_MODELS = ("instrument", "instrumentversion", "scale", "item")

SURVEY_GRANTS: dict[str, list[tuple[str, str]]] = {
    "Content editors": [(model, action) for model in _INSTRUMENT_MODELS for action in _EDIT],
    "Moderators": [(model, action) for model in _INSTRUMENT_MODELS for action in _EDIT]
    + [("instrumentversion", "publish")],
    "Platform admins": [(model, action) for model in _INSTRUMENT_MODELS for action in _EDIT]
    + [("response", "add"), ("surveywindow", "view")],
    "VRU officers": [(model, "view") for model in _INSTRUMENT_MODELS]
    + [("instrumentversion", "publish"), ("response", "add"), ("surveywindow", "view")],
    "VRU analysts": [(model, "view") for model in _INSTRUMENT_MODELS],
}

# Custom permissions (not ``<action>_<model>``), by group. ``view_participation``: the
# "Delivery and participation" admin view (surveys/participation_views.py), operational
# counts across every school, for the VRU's officers and analysts.
SURVEY_CUSTOM_GRANTS: dict[str, list[str]] = {
    "VRU officers": ["view_participation"],
    "VRU analysts": ["view_participation"],
}


def ensure_survey_permissions(apps=None) -> None:
    """Grant the permissions above; ``apps`` is the migration registry inside a migration."""
    from django.apps import apps as global_apps
    from django.contrib.auth.management import create_permissions

    registry = apps or global_apps
    # Permissions are normally created after all migrations: make them now so they can be granted.
    create_permissions(global_apps.get_app_config("surveys"), apps=registry, verbosity=0)
    Group = registry.get_model("auth", "Group")
    Permission = registry.get_model("auth", "Permission")
    for group_name in {**SURVEY_GRANTS, **SURVEY_CUSTOM_GRANTS}:
        group, _ = Group.objects.get_or_create(name=group_name)
        codenames = [f"{action}_{model}" for model, action in SURVEY_GRANTS.get(group_name, [])]
        codenames += SURVEY_CUSTOM_GRANTS.get(group_name, [])
        group.permissions.add(*Permission.objects.filter(content_type__app_label="surveys", codename__in=codenames))
