"""VRU roles (accounts.roles): least privilege, and nobody but platform admins can manage
users or groups in the Wagtail admin (Wagtail treats user management as full trust)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import User
from accounts.roles import (
    ANALYST,
    CONTENT_EDITOR,
    MODERATOR,
    OFFICER,
    PLATFORM_ADMIN,
    ROLE_PERMISSIONS,
    VRU_GROUPS,
    ensure_role_groups,
    is_vru_staff,
)
from tests.factories import MembershipFactory, UserFactory, login_with_second_factor

pytestmark = pytest.mark.django_db

NOT_ADMINS = [CONTENT_EDITOR, MODERATOR, OFFICER, ANALYST]
USER_OR_GROUP_MANAGEMENT = {
    "add_user",
    "change_user",
    "delete_user",
    "add_group",
    "change_group",
    "delete_group",
    "add_permission",
    "change_permission",
}


def _codenames(group_name: str) -> set[str]:
    return set(Group.objects.get(name=group_name).permissions.values_list("codename", flat=True))


def test_migration_creates_every_vru_group():
    assert set(Group.objects.filter(name__in=VRU_GROUPS).values_list("name", flat=True)) == set(VRU_GROUPS)


@pytest.mark.parametrize("group", NOT_ADMINS)
def test_only_platform_admins_hold_user_or_group_management(group):
    assert not (_codenames(group) & USER_OR_GROUP_MANAGEMENT)


def test_platform_admins_can_manage_users_and_groups():
    assert {"add_user", "change_user", "add_group", "change_group"} <= _codenames(PLATFORM_ADMIN)


def test_every_group_holds_exactly_its_declared_permissions():
    for name, declared in ROLE_PERMISSIONS.items():
        held = set(
            Group.objects.get(name=name).permissions.values_list(
                "content_type__app_label", "content_type__model", "codename"
            )
        )
        assert held >= set(declared), name
        # Other apps (lessons, surveys) may add their own permissions; accounts/auth ones
        # must be exactly what roles.py declares.
        ours = {p for p in held if p[0] in {"accounts", "auth"}}
        assert ours == {p for p in declared if p[0] in {"accounts", "auth"}}, name


def test_only_analysts_may_export_record_level_data():
    holders = {name for name in VRU_GROUPS if "export_pseudonymised_records" in _codenames(name)}
    assert holders == {ANALYST}


def test_content_roles_cannot_see_or_change_schools_and_memberships():
    for group in (CONTENT_EDITOR, MODERATOR):
        assert not {c for c in _codenames(group) if c.endswith(("school", "membership", "invitation"))}


def test_ensure_role_groups_strips_user_management_granted_by_hand():
    editors = Group.objects.get(name=CONTENT_EDITOR)
    editors.permissions.add(Permission.objects.get(codename="add_user", content_type__app_label="accounts"))
    editors.permissions.add(Permission.objects.get(codename="change_group"))

    ensure_role_groups()

    assert not (_codenames(CONTENT_EDITOR) & USER_OR_GROUP_MANAGEMENT)


def test_ensure_role_groups_is_idempotent():
    before = {name: _codenames(name) for name in VRU_GROUPS}

    ensure_role_groups()
    ensure_role_groups()

    assert {name: _codenames(name) for name in VRU_GROUPS} == before


def test_is_vru_staff():
    assert is_vru_staff(UserFactory(groups=[ANALYST]))
    assert is_vru_staff(UserFactory(is_superuser=True))
    assert not is_vru_staff(MembershipFactory().user)
    assert not is_vru_staff(MembershipFactory(role="school_lead").user)


# --- The Wagtail admin's user and group views ------------------------------------------

USER_ADMIN_URLS = ["/admin/users/", "/admin/users/new/", "/admin/groups/", "/admin/groups/new/"]


@pytest.mark.parametrize("group", NOT_ADMINS)
@pytest.mark.parametrize("url", USER_ADMIN_URLS)
def test_vru_roles_other_than_platform_admin_cannot_open_user_or_group_admin(client, group, url):
    login_with_second_factor(client, UserFactory(groups=[group], mfa=True))

    response = client.get(url)

    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response["Location"] == "/admin/"


@pytest.mark.parametrize("group", NOT_ADMINS)
def test_vru_roles_other_than_platform_admin_cannot_create_a_superuser(client, group):
    actor = UserFactory(groups=[group], mfa=True)
    login_with_second_factor(client, actor)

    response = client.post(
        "/admin/users/new/",
        {"email": "evil@vru.example", "first_name": "E", "last_name": "Vil", "is_superuser": "on", "is_active": "on"},
    )

    assert response.status_code in (302, 403)
    assert not User.objects.filter(email="evil@vru.example").exists()


@pytest.mark.parametrize("group", NOT_ADMINS)
def test_vru_roles_other_than_platform_admin_cannot_change_a_group(client, group):
    login_with_second_factor(client, UserFactory(groups=[group], mfa=True))
    target = Group.objects.get(name=group)
    perms_before = _codenames(group)

    response = client.post(f"/admin/groups/edit/{target.pk}/", {"name": "Renamed"})

    assert response.status_code in (302, 403)
    target.refresh_from_db()
    assert target.name == group
    assert _codenames(group) == perms_before


@pytest.mark.parametrize("group", NOT_ADMINS)
def test_vru_roles_other_than_platform_admin_cannot_put_themselves_in_platform_admins(client, group):
    actor = UserFactory(groups=[group], mfa=True)
    login_with_second_factor(client, actor)
    admins = Group.objects.get(name=PLATFORM_ADMIN)

    client.post(
        f"/admin/users/edit/{actor.pk}/",
        {"email": actor.email, "first_name": "A", "last_name": "B", "groups": [admins.pk], "is_active": "on"},
    )

    assert not actor.groups.filter(name=PLATFORM_ADMIN).exists()
    actor.refresh_from_db()
    assert not actor.is_superuser


def test_platform_admin_can_open_user_and_group_admin(client):
    login_with_second_factor(client, UserFactory(groups=[PLATFORM_ADMIN], mfa=True))

    for url in USER_ADMIN_URLS:
        assert client.get(url).status_code == 200, url


def test_the_superuser_form_post_is_a_real_attack_when_permitted(client):
    """Guards the refusal tests above: the same POST by a platform admin does create a user,
    so those tests fail if the form or URL ever changes under them."""
    login_with_second_factor(client, UserFactory(is_superuser=True, is_staff=True, mfa=True))

    response = client.post(
        "/admin/users/new/",
        {"email": "evil@vru.example", "first_name": "E", "last_name": "Vil", "is_superuser": "on", "is_active": "on"},
    )

    assert response.status_code == 302, response.context["form"].errors if response.context else response
    assert User.objects.filter(email="evil@vru.example", is_superuser=True).exists()


@pytest.mark.django_db
def test_vru_roles_are_read_once_per_request_user(django_assert_num_queries):
    from accounts.roles import OFFICER, is_vru_staff, user_vru_roles

    officer = UserFactory(groups=[OFFICER])
    with django_assert_num_queries(1):
        assert is_vru_staff(officer)
        assert user_vru_roles(officer) == {OFFICER}
        assert is_vru_staff(officer)
