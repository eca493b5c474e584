"""Staff pages outside the Wagtail admin (accounts.views): accepting invitations through
allauth's sign-up, the school lead's staff page, and the officer's invitation page."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from wagtail.models import ModelLogEntry

from accounts import services
from accounts.models import Invitation, Membership, User
from accounts.roles import ANALYST, CONTENT_EDITOR, OFFICER
from tests.factories import MembershipFactory, SchoolFactory, UserFactory, login_with_second_factor

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "correct-horse-battery-staple-9"


@pytest.fixture
def school():
    return SchoolFactory(staff_email_domains="oak.example")


@pytest.fixture
def lead(school):
    return MembershipFactory(school=school, role=Membership.Role.SCHOOL_LEAD, user__email="lead@oak.example").user


@pytest.fixture
def invitation(lead, school):
    invitation, token = services.invitation_create(
        inviter=lead, school=school, email="newbie@oak.example", role=Membership.Role.TEACHER
    )
    return invitation, token


def _accept_url(token: str) -> str:
    return reverse("accounts:accept_invitation", args=[token])


def _signup(client, email: str, **extra):
    data = {
        "first_name": "Nia",
        "last_name": "Newman",
        "email": email,
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(extra)
    return client.post(reverse("account_signup"), data)


# --- Invitation through allauth sign-up ------------------------------------------------


def test_invitation_link_sends_a_new_person_to_sign_up_with_the_address_fixed(client, invitation):
    _, token = invitation

    response = client.get(_accept_url(token), follow=True)

    assert response.redirect_chain[-1][0] == reverse("account_signup")
    assert response.status_code == 200
    field = response.context["form"].fields["email"]
    assert field.initial == "newbie@oak.example"
    assert field.widget.attrs.get("readonly")
    assert b"You were invited to" in response.content


def test_invitation_sign_up_creates_an_approved_verified_member_and_logs_in(
    client, invitation, school, lead, django_capture_on_commit_callbacks
):
    invitation_obj, token = invitation
    client.get(_accept_url(token))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client, "newbie@oak.example")

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:home")
    user = User.objects.get(email="newbie@oak.example")
    assert (user.first_name, user.last_name) == ("Nia", "Newman")
    assert EmailAddress.objects.get(user=user).verified  # the invitation link proved the address
    membership = Membership.objects.get(user=user, school=school)
    assert membership.status == Membership.Status.APPROVED
    assert membership.role == Membership.Role.TEACHER
    assert membership.approved_by == lead
    invitation_obj.refresh_from_db()
    assert invitation_obj.accepted_by == user
    assert services.invitation_for_token(token) is None
    assert ModelLogEntry.objects.for_instance(membership).filter(action="upstream.membership.approve").exists()
    assert not [m for m in mail.outbox if "onfirm" in m.subject]  # no verification e-mail needed
    home = client.get(reverse("accounts:home"))
    assert b"My school" in home.content
    assert school.name.encode() in home.content


def test_invitation_sign_up_refuses_a_different_address(client, invitation):
    _, token = invitation
    client.get(_accept_url(token))

    response = _signup(client, "someone-else@oak.example")

    assert response.status_code == 200
    assert "Sign up with the address your invitation was sent to." in response.context["form"].errors["email"]
    assert not User.objects.filter(email="someone-else@oak.example").exists()


def test_invitation_link_works_only_once(client, invitation):
    _, token = invitation
    client.get(_accept_url(token))
    _signup(client, "newbie@oak.example")
    client.logout()

    response = client.get(_accept_url(token))

    assert response.status_code == 410
    assert b"can't be used" in response.content


def test_expired_invitation_link_is_refused(client, invitation):
    from datetime import timedelta

    from django.utils import timezone
    from freezegun import freeze_time

    _, token = invitation
    with freeze_time(timezone.now() + timedelta(days=8)):
        response = client.get(_accept_url(token))

    assert response.status_code == 410
    assert b"last 7 days" in response.content


def test_existing_account_is_asked_to_sign_in_then_accepts(client, invitation, school):
    _, token = invitation
    existing = UserFactory(email="newbie@oak.example")

    response = client.get(_accept_url(token))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={_accept_url(token)}"

    client.force_login(existing)
    assert client.get(_accept_url(token)).status_code == 200
    response = client.post(_accept_url(token))

    assert response["Location"] == reverse("accounts:home")
    assert Membership.objects.get(user=existing, school=school).is_approved


def test_signed_in_wrong_account_is_refused(client, invitation):
    _, token = invitation
    client.force_login(UserFactory(email="other@oak.example"))

    response = client.post(_accept_url(token))

    assert response.status_code == 403
    assert b"different address" in response.content
    assert Invitation.objects.get(pk=invitation[0].pk).accepted_at is None


# --- Sign-up with an allow-listed domain -----------------------------------------------


def test_domain_sign_up_waits_for_the_address_to_be_verified(client, school, lead, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _signup(client, "fresh@oak.example")

    assert response.status_code == 302
    assert response["Location"] == reverse("account_email_verification_sent")
    user = User.objects.get(email="fresh@oak.example")
    assert not Membership.objects.filter(user=user).exists()
    assert not [m for m in mail.outbox if m.to == [lead.email]]
    assert [m for m in mail.outbox if m.to == ["fresh@oak.example"]]  # only the verification link


def test_verifying_the_address_creates_the_pending_membership_and_mails_the_lead(
    client, school, lead, django_capture_on_commit_callbacks
):
    import re

    from django.test import Client

    with django_capture_on_commit_callbacks(execute=True):
        _signup(client, "fresh@oak.example")
    [verification] = [m for m in mail.outbox if m.to == ["fresh@oak.example"]]
    confirm = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+)", verification.body).group(1)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(confirm)  # the link opened on another device

    assert response.status_code == 302
    user = User.objects.get(email="fresh@oak.example")
    membership = Membership.objects.get(user=user)
    assert membership.status == Membership.Status.PENDING
    assert membership.school == school
    lead_mail = [m for m in mail.outbox if m.to == [lead.email]]
    assert len(lead_mail) == 1
    assert "fresh@oak.example" in lead_mail[0].body


def test_confirming_a_second_address_does_not_ask_to_join_again(
    client, school, lead, django_capture_on_commit_callbacks
):
    from allauth.account.models import EmailAddress

    teacher = UserFactory(email="someone@elsewhere.example")
    extra = EmailAddress.objects.create(user=teacher, email="also@oak.example", verified=False)

    with django_capture_on_commit_callbacks(execute=True):
        from allauth.account.signals import email_confirmed

        email_confirmed.send(sender=EmailAddress, request=None, email_address=extra)

    assert not Membership.objects.filter(user=teacher).exists()
    assert not [m for m in mail.outbox if m.to == [lead.email]]


def test_sign_up_outside_any_school_domain_is_refused_with_a_friendly_message(client, school):
    from accounts.forms import NOT_A_SCHOOL_ADDRESS

    response = _signup(client, "someone@gmail.example")

    assert response.status_code == 200
    assert NOT_A_SCHOOL_ADDRESS in response.context["form"].errors["email"]
    assert "Please use your school e-mail address" in response.content.decode().replace("&#x27;", "'")
    assert not User.objects.filter(email="someone@gmail.example").exists()


def test_pending_teacher_home_says_waiting_for_approval(client, school):
    pending = MembershipFactory(school=school, status=Membership.Status.PENDING).user
    client.force_login(pending)

    response = client.get(reverse("accounts:home"))

    assert b"Waiting for approval" in response.content
    assert b"can't open lessons or lesson plans, set up classes or open pupil surveys" in response.content


def test_unlinked_user_with_school_domain_can_ask_to_join(client, school, lead):
    user = UserFactory(email="late@oak.example")
    client.force_login(user)

    assert b"Ask to join your school" in client.get(reverse("accounts:home")).content
    response = client.post(reverse("accounts:join_school"), {"school": school.pk})

    assert response["Location"] == reverse("accounts:home")
    assert Membership.objects.get(user=user).status == Membership.Status.PENDING


def test_join_school_refuses_a_school_outside_the_users_domain(client, school):
    other = SchoolFactory()
    client.force_login(UserFactory(email="late@oak.example"))

    response = client.post(reverse("accounts:join_school"), {"school": other.pk})

    assert response.status_code == 200
    assert not Membership.objects.exists()


# --- The school lead's page ------------------------------------------------------------


def test_school_lead_sees_their_staff_page(client, school, lead):
    pending = MembershipFactory(school=school, status=Membership.Status.PENDING)
    client.force_login(lead)

    response = client.get(reverse("accounts:school_staff", args=[school.pk]))

    assert response.status_code == 200
    assert pending.user.email.encode() in response.content


def test_school_lead_approves_through_the_page(client, school, lead, django_capture_on_commit_callbacks):
    pending = MembershipFactory(school=school, status=Membership.Status.PENDING)
    client.force_login(lead)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:membership_action", args=[pending.pk, "approve"]))

    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.is_approved
    assert pending.approved_by == lead
    assert ModelLogEntry.objects.for_instance(pending).filter(action="upstream.membership.approve", user=lead).exists()
    assert [m.to for m in mail.outbox] == [[pending.user.email]]


def test_school_lead_declines_and_changes_roles_through_the_page(client, school, lead):
    pending = MembershipFactory(school=school, status=Membership.Status.PENDING)
    co_lead = MembershipFactory(school=school, role=Membership.Role.SCHOOL_LEAD)
    client.force_login(lead)

    client.post(reverse("accounts:membership_action", args=[pending.pk, "revoke"]))
    client.post(reverse("accounts:membership_action", args=[co_lead.pk, "teacher"]))

    assert Membership.objects.get(pk=pending.pk).status == Membership.Status.REVOKED
    assert Membership.objects.get(pk=co_lead.pk).role == Membership.Role.TEACHER
    assert ModelLogEntry.objects.for_instance(co_lead).filter(action="upstream.membership.role_change").exists()


def test_a_school_lead_is_not_offered_and_cannot_use_make_school_lead(client, school, lead):
    teacher = MembershipFactory(school=school)
    client.force_login(lead)

    page = client.get(reverse("accounts:school_staff", args=[school.pk])).content.decode()
    response = client.post(reverse("accounts:membership_action", args=[teacher.pk, "school_lead"]))

    assert "Make school lead" not in page
    assert response.status_code == 403
    assert Membership.objects.get(pk=teacher.pk).role == Membership.Role.TEACHER


def test_an_officer_makes_a_teacher_school_lead_through_the_page(client, school):
    officer = UserFactory(groups=[OFFICER], mfa=True)
    teacher = MembershipFactory(school=school)
    login_with_second_factor(client, officer)

    assert "Make school lead" in client.get(reverse("accounts:school_staff", args=[school.pk])).content.decode()
    client.post(reverse("accounts:membership_action", args=[teacher.pk, "school_lead"]))

    assert Membership.objects.get(pk=teacher.pk).role == Membership.Role.SCHOOL_LEAD
    entry = ModelLogEntry.objects.for_instance(teacher).get(action="upstream.membership.role_change")
    assert entry.user == officer


def test_unknown_action_is_forbidden(client, school, lead):
    teacher = MembershipFactory(school=school)
    client.force_login(lead)

    response = client.post(reverse("accounts:membership_action", args=[teacher.pk, "delete"]))

    assert response.status_code == 403


def test_membership_actions_need_post(client, school, lead):
    pending = MembershipFactory(school=school, status=Membership.Status.PENDING)
    client.force_login(lead)

    response = client.get(reverse("accounts:membership_action", args=[pending.pk, "approve"]))

    assert response.status_code == 405
    assert Membership.objects.get(pk=pending.pk).status == Membership.Status.PENDING


def test_school_lead_invites_a_teacher_but_cannot_choose_school_lead(client, school, lead):
    client.force_login(lead)

    response = client.post(
        reverse("accounts:school_staff", args=[school.pk]), {"email": "t2@oak.example", "role": "school_lead"}
    )

    assert response.status_code == 200
    assert "role" in response.context["form"].errors
    assert not Invitation.objects.exists()
    response = client.post(
        reverse("accounts:school_staff", args=[school.pk]), {"email": "t2@oak.example", "role": "teacher"}
    )
    assert response.status_code == 302
    assert Invitation.objects.get().role == Membership.Role.TEACHER


def test_school_lead_of_one_school_cannot_manage_another(client, lead):
    other = SchoolFactory()
    other_pending = MembershipFactory(school=other, status=Membership.Status.PENDING)
    other_invitation, _ = services.invitation_create(
        inviter=MembershipFactory(school=other, role=Membership.Role.SCHOOL_LEAD).user,
        school=other,
        email="x@other.example",
        role="teacher",
    )
    client.force_login(lead)

    assert client.get(reverse("accounts:school_staff", args=[other.pk])).status_code == 403
    assert (
        client.post(reverse("accounts:school_staff", args=[other.pk]), {"email": "a@b.example", "role": "teacher"})
    ).status_code == 403
    assert client.post(reverse("accounts:membership_action", args=[other_pending.pk, "approve"])).status_code == 403
    assert client.post(reverse("accounts:invitation_revoke", args=[other_invitation.pk])).status_code == 403
    other_pending.refresh_from_db()
    other_invitation.refresh_from_db()
    assert other_pending.status == Membership.Status.PENDING
    assert other_invitation.revoked_at is None
    assert Invitation.objects.filter(school=other).count() == 1


def test_teacher_cannot_open_the_staff_page(client, school):
    teacher = MembershipFactory(school=school).user
    client.force_login(teacher)

    assert client.get(reverse("accounts:school_staff", args=[school.pk])).status_code == 403


def test_school_lead_cancels_an_invitation(client, school, lead, invitation):
    invitation_obj, token = invitation
    client.force_login(lead)

    client.post(reverse("accounts:invitation_revoke", args=[invitation_obj.pk]))

    assert services.invitation_for_token(token) is None


# --- Officers invite school leads -----------------------------------------------------


def test_officer_invites_a_school_lead_through_the_page(client, school, django_capture_on_commit_callbacks):
    login_with_second_factor(client, UserFactory(groups=[OFFICER], mfa=True))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("accounts:invite_school_lead"),
            {"school": school.pk, "email": "head@oak.example", "role": "school_lead"},
        )

    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role) == ("head@oak.example", Membership.Role.SCHOOL_LEAD)
    token = re.search(r"/staff/invitations/([^/]+)/", mail.outbox[0].body).group(1)
    assert services.invitation_for_token(token) == invitation


@pytest.mark.parametrize("group", [CONTENT_EDITOR, ANALYST])
def test_other_vru_roles_cannot_invite_school_leads(client, school, group):
    login_with_second_factor(client, UserFactory(groups=[group], mfa=True))

    response = client.post(
        reverse("accounts:invite_school_lead"),
        {"school": school.pk, "email": "head@oak.example", "role": "school_lead"},
    )

    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_school_lead_cannot_use_the_officer_invitation_page(client, school, lead):
    client.force_login(lead)

    assert client.get(reverse("accounts:invite_school_lead")).status_code == 403


def test_pages_need_login(client, school):
    for url in [reverse("accounts:home"), reverse("accounts:school_staff", args=[school.pk])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


# --- Wagtail's shared-password forms are switched off ----------------------------------


@pytest.fixture
def password_restrictions():
    """A page and a collection restricted by a shared password, as a data import (or an old
    database) could hold although the admin no longer offers the option."""
    from wagtail.models import Collection, CollectionViewRestriction, Page, PageViewRestriction

    page = Page.objects.get(depth=2)
    page_restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.PASSWORD, password="letmein"
    )
    collection = Collection.get_first_root_node().add_child(name="Shared")
    collection_restriction = CollectionViewRestriction.objects.create(
        collection=collection, restriction_type=CollectionViewRestriction.PASSWORD, password="letmein"
    )
    return [
        reverse("wagtailcore_authenticate_with_password", args=[page_restriction.pk, page.pk]),
        reverse("wagtaildocs_authenticate_with_password", args=[collection_restriction.pk]),
    ]


@pytest.mark.parametrize("signed_in", [False, True], ids=["visitor", "teacher"])
def test_shared_password_forms_answer_404_and_accept_no_password(client, password_restrictions, signed_in):
    if signed_in:
        client.force_login(MembershipFactory().user)
    for url in password_restrictions:
        assert client.get(url).status_code == 404, url
        response = client.post(url, {"password": "letmein", "return_url": "/"})
        assert response.status_code == 404, url
        # No restriction was passed: Wagtail records passed ones under these session keys.
        assert not {"passed_page_view_restrictions", "passed_collection_view_restrictions"} & set(client.session.keys())
