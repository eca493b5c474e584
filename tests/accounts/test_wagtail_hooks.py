"""Officers manage schools, authorities and memberships in the Wagtail admin through
viewsets with search and filters (accounts.wagtail_hooks); other roles do not."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse
from wagtail.models import ModelLogEntry

from accounts.models import LocalAuthority, Membership, School
from accounts.roles import ANALYST, CONTENT_EDITOR, OFFICER
from tests.factories import MembershipFactory, SchoolFactory, UserFactory, login_with_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(client):
    login_with_second_factor(client, UserFactory(groups=[OFFICER], mfa=True))
    return client


def test_officer_searches_schools(officer_client):
    SchoolFactory(name="Oakfield Academy")
    SchoolFactory(name="Brookside Primary")

    response = officer_client.get(reverse("school:index"), {"q": "Oakfield"})

    assert response.status_code == 200
    assert b"Oakfield Academy" in response.content
    assert b"Brookside Primary" not in response.content


def test_officer_filters_schools_by_phase(officer_client):
    SchoolFactory(name="Little Primary", phase=School.Phase.PRIMARY)
    SchoolFactory(name="Big Secondary", phase=School.Phase.SECONDARY)

    response = officer_client.get(reverse("school:index"), {"phase": School.Phase.PRIMARY})

    assert b"Little Primary" in response.content
    assert b"Big Secondary" not in response.content


def test_officer_adds_a_school(officer_client):
    response = officer_client.post(
        reverse("school:add"),
        {
            "name": "New School",
            "urn": "123456",
            "phase": School.Phase.PRIMARY,
            "local_authority": LocalAuthority.objects.get(slug="solihull").pk,
            "staff_email_domains": "new.example",
            "dsl_name": "Mr Safe",
            "dsl_contact": "Office",
        },
    )

    assert response.status_code == 302
    assert School.objects.get(urn="123456").allowed_domains == ["new.example"]


def test_officer_sees_memberships_and_authorities(officer_client):
    membership = MembershipFactory()

    assert str(membership.user).encode() in officer_client.get(reverse("membership:index")).content
    assert b"Birmingham" in officer_client.get(reverse("localauthority:index")).content


@pytest.mark.parametrize("group", [CONTENT_EDITOR, ANALYST])
def test_other_roles_cannot_change_schools_or_memberships(client, group):
    login_with_second_factor(client, UserFactory(groups=[group], mfa=True))
    membership = MembershipFactory()

    assert client.get(reverse("membership:index")).status_code in (302, 403)
    assert client.get(reverse("school:add")).status_code in (302, 403)
    assert client.get(reverse("membership:edit", args=[membership.pk])).status_code in (302, 403)


def test_invite_menu_item_only_for_officers(client, officer_client):
    assert b"Invite a school lead" in officer_client.get("/admin/").content

    client.logout()
    login_with_second_factor(client, UserFactory(groups=[CONTENT_EDITOR], mfa=True))
    assert b"Invite a school lead" not in client.get("/admin/").content


def test_officer_approving_in_the_admin_records_approver_and_audit_entry(
    officer_client, django_capture_on_commit_callbacks
):
    pending = MembershipFactory(status=Membership.Status.PENDING)

    with django_capture_on_commit_callbacks(execute=True):
        response = officer_client.post(
            reverse("membership:edit", args=[pending.pk]), {"role": "teacher", "status": "approved"}
        )

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.is_approved
    assert pending.approved_by is not None and pending.approved_at is not None
    assert ModelLogEntry.objects.for_instance(pending).filter(action="upstream.membership.approve").exists()
    assert [m.to for m in mail.outbox] == [[pending.user.email]]


def test_officer_changing_a_role_in_the_admin_is_audited(officer_client):
    teacher = MembershipFactory()

    officer_client.post(reverse("membership:edit", args=[teacher.pk]), {"role": "school_lead", "status": "approved"})

    entry = ModelLogEntry.objects.for_instance(teacher).get(action="upstream.membership.role_change")
    assert entry.data == {"from": "teacher", "to": "school_lead"}


# --- Invitations are read-only in the admin ----------------------------------------------


@pytest.fixture
def admin_invitation():
    from accounts import services

    lead = MembershipFactory(role=Membership.Role.SCHOOL_LEAD).user
    invitation, _token = services.invitation_create(
        inviter=lead, school=lead.memberships.get().school, email="new@school.example", role=Membership.Role.TEACHER
    )
    return invitation


@pytest.fixture
def superuser_client(client):
    login_with_second_factor(client, UserFactory(is_superuser=True, is_staff=True, mfa=True))
    return client


def test_not_even_a_superuser_makes_or_changes_an_invitation_in_the_admin(superuser_client, admin_invitation):
    from accounts.models import Invitation

    before = list(Invitation.objects.values())
    for url in (reverse("invitation:add"), reverse("invitation:edit", args=[admin_invitation.pk])):
        assert superuser_client.get(url)["Location"] == reverse("wagtailadmin_home")
        response = superuser_client.post(url, {"revoked_at": "2026-01-01 09:00", "email": "x@y.example"})
        assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")

    assert list(Invitation.objects.values()) == before
    assert superuser_client.get(f"/admin/invitation/copy/{admin_invitation.pk}/").status_code == 404


def test_the_invitation_list_offers_no_add_and_inspect_shows_no_token_hash(superuser_client, admin_invitation):
    listing = superuser_client.get(reverse("invitation:index")).content.decode()
    inspect = superuser_client.get(reverse("invitation:inspect", args=[admin_invitation.pk])).content.decode()

    assert "new@school.example" in listing
    assert reverse("invitation:add") not in listing
    assert reverse("invitation:edit", args=[admin_invitation.pk]) not in listing
    assert "new@school.example" in inspect
    assert admin_invitation.token_hash not in inspect


def test_officers_still_read_invitations_and_the_superuser_still_deletes_one(client, admin_invitation):
    from accounts.models import Invitation

    login_with_second_factor(client, UserFactory(groups=[OFFICER], mfa=True))
    assert "new@school.example" in client.get(reverse("invitation:index")).content.decode()
    client.logout()
    login_with_second_factor(client, UserFactory(is_superuser=True, is_staff=True, mfa=True))
    assert client.post(reverse("invitation:delete", args=[admin_invitation.pk])).status_code == 302
    assert not Invitation.objects.filter(pk=admin_invitation.pk).exists()
