"""The Django admin's user and group pages (accounts.admin): only a superuser makes
someone a superuser or changes a superuser's account; a platform admin grants a group
only permissions they hold; every access change is audited (issue 7)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from wagtail.models import ModelLogEntry

from accounts import services
from accounts.models import User
from accounts.roles import OFFICER, PLATFORM_ADMIN
from tests.factories import UserFactory, login_with_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform_admin():
    return UserFactory(groups=[PLATFORM_ADMIN], is_staff=True, mfa=True)


@pytest.fixture
def superuser():
    return UserFactory(is_superuser=True, is_staff=True, mfa=True)


def _change_form(user, **changes) -> dict:
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on",
        "groups": [str(pk) for pk in user.groups.values_list("pk", flat=True)],
        "date_joined_0": "2026-01-05",
        "date_joined_1": "09:00:00",
        "last_login_0": "",
        "last_login_1": "",
    }
    if user.is_staff:
        data["is_staff"] = "on"
    data.update(changes)
    return data


def _url(user, suffix="change/") -> str:
    return f"/django-admin/accounts/user/{user.pk}/{suffix}"


def _access_entries(user) -> list[dict]:
    return [e.data for e in ModelLogEntry.objects.for_instance(user).filter(action="upstream.user.access_change")]


def test_a_platform_admin_cannot_make_themselves_superuser(client, platform_admin):
    login_with_second_factor(client, platform_admin)

    page = client.get(_url(platform_admin))
    response = client.post(_url(platform_admin), _change_form(platform_admin, is_superuser="on"))

    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.content.decode()  # shown read-only, not as an input
    assert response.status_code == 302
    platform_admin.refresh_from_db()
    assert platform_admin.is_superuser is False


def test_a_platform_admin_cannot_make_someone_else_superuser(client, platform_admin):
    officer = UserFactory(groups=[OFFICER])
    login_with_second_factor(client, platform_admin)

    client.post(_url(officer), _change_form(officer, is_superuser="on"))

    officer.refresh_from_db()
    assert officer.is_superuser is False


@pytest.mark.parametrize("suffix", ["change/", "password/", "delete/"])
def test_a_platform_admin_cannot_change_or_delete_a_superusers_account(client, platform_admin, superuser, suffix):
    login_with_second_factor(client, platform_admin)
    data = (
        _change_form(superuser, email="taken@attacker.example", is_superuser="on")
        if suffix == "change/"
        else {"password1": "x-new-long-password-1", "password2": "x-new-long-password-1", "post": "yes"}
    )

    response = client.post(_url(superuser, suffix), data)

    assert response.status_code == 403
    superuser.refresh_from_db()
    assert superuser.email != "taken@attacker.example"
    assert superuser.check_password("a-long-test-password-42")


def test_a_superuser_grants_superuser_and_the_grant_is_audited(client, superuser):
    officer = UserFactory(groups=[OFFICER])
    login_with_second_factor(client, superuser)

    response = client.post(_url(officer), _change_form(officer, is_superuser="on"))

    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.is_superuser is True
    entry = ModelLogEntry.objects.for_instance(officer).get(action="upstream.user.access_change")
    assert entry.user == superuser
    assert entry.data == {"is_superuser": {"from": False, "to": True}}


def test_staff_flag_and_platform_admin_group_grants_are_audited(client, platform_admin):
    officer = UserFactory(groups=[OFFICER])
    admins = Group.objects.get(name=PLATFORM_ADMIN)
    login_with_second_factor(client, platform_admin)

    groups = [str(Group.objects.get(name=OFFICER).pk), str(admins.pk)]
    response = client.post(_url(officer), _change_form(officer, is_staff="on", groups=groups))

    assert response.status_code == 302
    assert _access_entries(officer) == [
        {"is_staff": {"from": False, "to": True}, "groups_added": [PLATFORM_ADMIN]},
    ]


def test_a_platform_admin_cannot_grant_a_group_a_permission_they_do_not_hold(client, platform_admin):
    group = Group.objects.get(name=OFFICER)
    before = set(group.permissions.values_list("pk", flat=True))
    foreign = Permission.objects.get(codename="delete_authenticator")
    login_with_second_factor(client, platform_admin)

    response = client.post(
        f"/django-admin/auth/group/{group.pk}/change/",
        {"name": group.name, "permissions": [str(pk) for pk in before | {foreign.pk}]},
    )

    assert response.status_code == 200
    assert "permissions you hold yourself" in response.content.decode()
    assert set(group.permissions.values_list("pk", flat=True)) == before


def test_a_platform_admin_may_grant_permissions_they_hold_and_it_is_audited(client, platform_admin):
    group = Group.objects.get(name=OFFICER)
    before = set(group.permissions.values_list("pk", flat=True))
    held = Permission.objects.get(codename="add_localauthority")
    login_with_second_factor(client, platform_admin)

    response = client.post(
        f"/django-admin/auth/group/{group.pk}/change/",
        {"name": group.name, "permissions": [str(pk) for pk in before | {held.pk}]},
    )

    assert response.status_code == 302
    entry = ModelLogEntry.objects.for_instance(group).get(action="upstream.group.permissions_change")
    assert entry.user == platform_admin
    assert entry.data == {"permissions_added": ["accounts.add_localauthority"]}


def test_the_access_rule_itself_refuses_a_non_superuser_grant():
    platform_admin = UserFactory(groups=[PLATFORM_ADMIN], is_staff=True)
    target = UserFactory()
    before = services.user_access_snapshot(target)
    User.objects.filter(pk=target.pk).update(is_superuser=True)

    with pytest.raises(PermissionDenied):
        services.user_access_record(actor=platform_admin, user=target, before=before)
    assert not _access_entries(target)


# --- Tag merging (taggit's admin) --------------------------------------------------------


@pytest.fixture
def tagged_document():
    from django.core.files.base import ContentFile
    from taggit.models import Tag
    from wagtail.documents.models import Document

    document = Document.objects.create(title="Handout", file=ContentFile(b"%PDF-1.4", name="handout.pdf"))
    document.tags.add("bullying", "anti-bullying")
    return document, list(Tag.objects.order_by("name").values_list("pk", flat=True))


def _merge(client, tag_ids):
    session = client.session
    session["selected_tag_ids"] = ",".join(str(pk) for pk in tag_ids)  # what taggit's list action stores
    session.save()
    return client.post("/django-admin/taggit/tag/merge-tags/", {"new_tag_name": "merged"})


def test_a_platform_admin_cannot_merge_tags(client, platform_admin, tagged_document):
    from taggit.models import Tag

    document, tag_ids = tagged_document
    login_with_second_factor(client, platform_admin)

    assert client.get("/django-admin/taggit/tag/merge-tags/").status_code == 403
    assert _merge(client, tag_ids).status_code == 403
    assert sorted(document.tags.names()) == ["anti-bullying", "bullying"]
    assert not Tag.objects.filter(name="merged").exists()


def test_the_superuser_still_merges_tags(client, superuser, tagged_document):
    document, tag_ids = tagged_document
    login_with_second_factor(client, superuser)

    assert client.get("/django-admin/taggit/tag/merge-tags/").status_code == 200
    assert _merge(client, tag_ids).status_code == 302
    assert list(document.tags.names()) == ["merged"]
