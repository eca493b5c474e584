"""The Wagtail user admin (accounts.wagtail_users): the same privilege rules as the Django
admin. Only a superuser sees or sets "Administrator" or changes a superuser's account;
access changes are audited (issue 7)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from wagtail.models import ModelLogEntry

from accounts.models import User
from accounts.roles import OFFICER, PLATFORM_ADMIN
from tests.factories import UserFactory, login_with_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_admin_client(client):
    login_with_second_factor(client, UserFactory(groups=[PLATFORM_ADMIN], is_staff=True, mfa=True))
    return client


def _user_form(email: str, **extra) -> dict:
    return {"email": email, "first_name": "E", "last_name": "Vil", "is_active": "on", **extra}


def test_platform_admins_do_not_see_the_administrator_checkbox(platform_admin_client):
    officer = UserFactory(groups=[OFFICER])

    for url in ("/admin/users/new/", f"/admin/users/edit/{officer.pk}/"):
        response = platform_admin_client.get(url)
        assert response.status_code == 200
        assert 'name="is_superuser"' not in response.content.decode(), url


def test_a_platform_admin_cannot_create_a_superuser(platform_admin_client):
    response = platform_admin_client.post("/admin/users/new/", _user_form("evil@vru.example", is_superuser="on"))

    assert response.status_code == 302
    created = User.objects.get(email="evil@vru.example")
    assert created.is_superuser is False


def test_a_platform_admin_cannot_make_an_officer_superuser(platform_admin_client):
    officer = UserFactory(groups=[OFFICER])

    platform_admin_client.post(
        f"/admin/users/edit/{officer.pk}/",
        _user_form(officer.email, is_superuser="on", groups=[Group.objects.get(name=OFFICER).pk]),
    )

    officer.refresh_from_db()
    assert officer.is_superuser is False


@pytest.mark.parametrize("action", ["edit", "delete"])
def test_a_platform_admin_cannot_change_or_delete_a_superuser(platform_admin_client, action):
    root = UserFactory(is_superuser=True, is_staff=True)

    response = platform_admin_client.post(f"/admin/users/{action}/{root.pk}/", _user_form("taken@attacker.example"))

    # Wagtail answers PermissionDenied with its "no permission" redirect to the dashboard.
    assert (response.status_code, response.get("Location")) in ((403, None), (302, "/admin/"))
    root.refresh_from_db()
    assert root.email != "taken@attacker.example"


def test_group_grants_in_the_wagtail_user_admin_are_audited(platform_admin_client):
    officer = UserFactory(groups=[OFFICER])
    admins = Group.objects.get(name=PLATFORM_ADMIN)

    response = platform_admin_client.post(
        f"/admin/users/edit/{officer.pk}/",
        _user_form(officer.email, groups=[Group.objects.get(name=OFFICER).pk, admins.pk]),
    )

    assert response.status_code == 302
    entry = ModelLogEntry.objects.for_instance(officer).get(action="upstream.user.access_change")
    assert entry.data == {"groups_added": [PLATFORM_ADMIN]}


def test_a_superuser_still_sees_and_sets_administrator(client):
    login_with_second_factor(client, UserFactory(is_superuser=True, is_staff=True, mfa=True))

    assert 'name="is_superuser"' in client.get("/admin/users/new/").content.decode()
    client.post("/admin/users/new/", _user_form("root2@vru.example", is_superuser="on"))

    created = User.objects.get(email="root2@vru.example")
    assert created.is_superuser is True
    entry = ModelLogEntry.objects.for_instance(created).get(action="upstream.user.access_change")
    assert entry.data["is_superuser"] == {"from": False, "to": True}
