"""Invitations, approvals and role changes (accounts.services): who may do what, that
tokens expire and are single use, that every change is in Wagtail's audit log, and that
e-mails are queued only after the transaction commits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from freezegun import freeze_time
from wagtail.models import ModelLogEntry

from accounts import services
from accounts.models import Invitation, Membership, hash_token
from accounts.roles import CONTENT_EDITOR, OFFICER
from tests.factories import MembershipFactory, SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():
    return UserFactory(groups=[OFFICER], mfa=True)


@pytest.fixture
def school():
    return SchoolFactory(staff_email_domains="oak.example")


@pytest.fixture
def lead(school):
    return MembershipFactory(school=school, role=Membership.Role.SCHOOL_LEAD).user


def _log_actions(instance) -> list[str]:
    return list(ModelLogEntry.objects.for_instance(instance).values_list("action", flat=True))


# --- Who may invite whom --------------------------------------------------------------


def test_officer_invites_a_school_lead(officer, school, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = services.invitation_create(
            inviter=officer, school=school, email="Head@Oak.example", role=Membership.Role.SCHOOL_LEAD
        )

    assert invitation.email == "head@oak.example"
    assert invitation.role == Membership.Role.SCHOOL_LEAD
    assert invitation.token_hash == hash_token(token)
    assert token not in invitation.token_hash
    assert _log_actions(invitation) == ["upstream.invitation.create"]
    assert len(mail.outbox) == 1
    assert token in mail.outbox[0].body


def test_school_lead_invites_a_teacher_to_their_own_school(lead, school):
    invitation, _ = services.invitation_create(
        inviter=lead, school=school, email="t@oak.example", role=Membership.Role.TEACHER
    )

    assert invitation.invited_by == lead
    assert invitation.school == school


def test_school_lead_cannot_invite_a_school_lead(lead, school):
    with pytest.raises(PermissionDenied):
        services.invitation_create(inviter=lead, school=school, email="x@oak.example", role=Membership.Role.SCHOOL_LEAD)

    assert not Invitation.objects.exists()


def test_school_lead_cannot_invite_to_another_school(lead):
    other = SchoolFactory()

    with pytest.raises(PermissionDenied):
        services.invitation_create(inviter=lead, school=other, email="x@other.example", role=Membership.Role.TEACHER)

    assert not Invitation.objects.exists()


def test_pending_school_lead_cannot_invite(school):
    pending_lead = MembershipFactory(
        school=school, role=Membership.Role.SCHOOL_LEAD, status=Membership.Status.PENDING
    ).user

    with pytest.raises(PermissionDenied):
        services.invitation_create(
            inviter=pending_lead, school=school, email="x@oak.example", role=Membership.Role.TEACHER
        )


@pytest.mark.parametrize("group", [CONTENT_EDITOR])
def test_content_editor_cannot_invite(school, group):
    editor = UserFactory(groups=[group], mfa=True)

    with pytest.raises(PermissionDenied):
        services.invitation_create(inviter=editor, school=school, email="x@oak.example", role=Membership.Role.TEACHER)


def test_teacher_cannot_invite(school):
    teacher = MembershipFactory(school=school).user

    with pytest.raises(PermissionDenied):
        services.invitation_create(inviter=teacher, school=school, email="x@oak.example", role=Membership.Role.TEACHER)


def test_inviting_an_existing_member_is_refused(lead, school):
    member = MembershipFactory(school=school, user=UserFactory(email="member@oak.example")).user

    with pytest.raises(ValidationError):
        services.invitation_create(inviter=lead, school=school, email=member.email, role=Membership.Role.TEACHER)


def test_a_new_invitation_replaces_an_older_unused_one(lead, school):
    first, first_token = services.invitation_create(
        inviter=lead, school=school, email="t@oak.example", role=Membership.Role.TEACHER
    )
    second, second_token = services.invitation_create(
        inviter=lead, school=school, email="t@oak.example", role=Membership.Role.TEACHER
    )

    first.refresh_from_db()
    assert first.revoked_at is not None
    assert services.invitation_for_token(first_token) is None
    assert services.invitation_for_token(second_token) == second


# --- Accepting ------------------------------------------------------------------------


def test_accepting_an_invitation_creates_an_approved_membership(lead, school):
    invitation, token = services.invitation_create(
        inviter=lead, school=school, email="t@oak.example", role=Membership.Role.TEACHER
    )
    teacher = UserFactory(email="t@oak.example")

    membership = services.invitation_accept(token=token, user=teacher)

    assert membership.status == Membership.Status.APPROVED
    assert membership.role == Membership.Role.TEACHER
    assert membership.approved_by == lead
    invitation.refresh_from_db()
    assert invitation.accepted_by == teacher
    assert "upstream.membership.approve" in _log_actions(membership)


def test_an_invitation_cannot_be_used_twice(lead, school):
    _, token = services.invitation_create(inviter=lead, school=school, email="t@oak.example", role="teacher")
    teacher = UserFactory(email="t@oak.example")
    services.invitation_accept(token=token, user=teacher)

    with pytest.raises(ValidationError):
        services.invitation_accept(token=token, user=teacher)
    assert services.invitation_for_token(token) is None


def test_an_invitation_expires(lead, school, settings):
    _, token = services.invitation_create(inviter=lead, school=school, email="t@oak.example", role="teacher")
    teacher = UserFactory(email="t@oak.example")

    with freeze_time(timezone.now() + timedelta(days=settings.UPSTREAM_INVITATION_DAYS, seconds=1)):
        assert services.invitation_for_token(token) is None
        with pytest.raises(ValidationError):
            services.invitation_accept(token=token, user=teacher)

    assert not Membership.objects.filter(user=teacher).exists()


def test_an_invitation_is_still_valid_just_before_it_expires(lead, school, settings):
    invitation, token = services.invitation_create(inviter=lead, school=school, email="t@oak.example", role="teacher")

    with freeze_time(invitation.expires_at - timedelta(seconds=1)):
        assert services.invitation_for_token(token) == invitation


def test_an_invitation_is_refused_for_a_different_account(lead, school):
    _, token = services.invitation_create(inviter=lead, school=school, email="t@oak.example", role="teacher")
    someone_else = UserFactory(email="else@oak.example")

    with pytest.raises(PermissionDenied):
        services.invitation_accept(token=token, user=someone_else)

    assert services.invitation_for_token(token) is not None
    assert not Membership.objects.filter(user=someone_else).exists()


def test_a_revoked_invitation_cannot_be_accepted(lead, school):
    invitation, token = services.invitation_create(inviter=lead, school=school, email="t@oak.example", role="teacher")
    services.invitation_revoke(actor=lead, invitation=invitation)

    with pytest.raises(ValidationError):
        services.invitation_accept(token=token, user=UserFactory(email="t@oak.example"))
    assert "upstream.invitation.revoke" in _log_actions(invitation)


def test_an_unknown_token_is_refused():
    with pytest.raises(ValidationError):
        services.invitation_accept(token="not-a-token", user=UserFactory())


# --- Domain sign-up, approval, revocation, role changes --------------------------------


def test_membership_request_is_pending_and_tells_the_school_lead(lead, school, django_capture_on_commit_callbacks):
    teacher = UserFactory(email="new@oak.example")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        membership = services.membership_request(user=teacher, school=school)
        assert mail.outbox == []  # nothing leaves before the commit

    assert len(callbacks) == 1
    assert membership.status == Membership.Status.PENDING
    assert [m.to for m in mail.outbox] == [[lead.email]]
    assert "new@oak.example" in mail.outbox[0].body
    assert _log_actions(membership) == ["upstream.membership.request"]


def test_membership_request_outside_the_school_domain_is_refused(school):
    with pytest.raises(PermissionDenied):
        services.membership_request(user=UserFactory(email="x@elsewhere.example"), school=school)


def test_school_lead_approves_a_pending_teacher(lead, school, django_capture_on_commit_callbacks):
    from accounts import selectors

    pending = MembershipFactory(school=school, status=Membership.Status.PENDING)
    assert not selectors.is_approved_teacher(pending.user)

    with django_capture_on_commit_callbacks(execute=True):
        services.membership_approve(actor=lead, membership=pending)

    pending.refresh_from_db()
    assert pending.status == Membership.Status.APPROVED
    assert pending.approved_by == lead
    assert pending.approved_at is not None
    assert selectors.is_approved_teacher(pending.user)
    entry = ModelLogEntry.objects.for_instance(pending).get(action="upstream.membership.approve")
    assert entry.user == lead
    assert [m.to for m in mail.outbox] == [[pending.user.email]]


def test_officer_may_approve_any_school(officer, school):
    pending = MembershipFactory(school=school, status=Membership.Status.PENDING)

    services.membership_approve(actor=officer, membership=pending)

    assert Membership.objects.get(pk=pending.pk).is_approved


def test_school_lead_cannot_approve_at_another_school(lead):
    elsewhere = MembershipFactory(status=Membership.Status.PENDING)

    with pytest.raises(PermissionDenied):
        services.membership_approve(actor=lead, membership=elsewhere)

    elsewhere.refresh_from_db()
    assert elsewhere.status == Membership.Status.PENDING


def test_declining_a_pending_teacher_revokes_and_logs(lead, school):
    pending = MembershipFactory(school=school, status=Membership.Status.PENDING)

    services.membership_revoke(actor=lead, membership=pending)

    pending.refresh_from_db()
    assert pending.status == Membership.Status.REVOKED
    assert "upstream.membership.revoke" in _log_actions(pending)


def test_school_lead_cannot_remove_themselves(lead, school):
    own = Membership.objects.get(user=lead, school=school)

    with pytest.raises(ValidationError):
        services.membership_revoke(actor=lead, membership=own)


def test_role_change_is_audited_with_old_and_new_role(officer, school):
    teacher = MembershipFactory(school=school)

    services.membership_set_role(actor=officer, membership=teacher, role=Membership.Role.SCHOOL_LEAD)

    entry = ModelLogEntry.objects.for_instance(teacher).get(action="upstream.membership.role_change")
    assert entry.user == officer
    assert entry.data == {"from": "teacher", "to": "school_lead"}
    assert Membership.objects.get(pk=teacher.pk).role == Membership.Role.SCHOOL_LEAD


def test_role_change_refuses_unknown_roles_and_own_role(lead, school):
    teacher = MembershipFactory(school=school)
    own = Membership.objects.get(user=lead, school=school)

    with pytest.raises(ValidationError):
        services.membership_set_role(actor=lead, membership=teacher, role="superuser")
    with pytest.raises(ValidationError):
        services.membership_set_role(actor=lead, membership=own, role=Membership.Role.TEACHER)


def test_email_is_not_sent_when_the_transaction_rolls_back(lead, school, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.invitation_create(inviter=lead, school=school, email="t@oak.example", role="teacher")
        raise RuntimeError("boom")

    assert callbacks == []
    assert mail.outbox == []
    assert not Invitation.objects.exists()


# --- Only the VRU grants the school-lead role (issue 7) ----------------------------------


def test_a_school_lead_cannot_promote_a_teacher_to_school_lead(lead, school):
    teacher = MembershipFactory(school=school)

    with pytest.raises(PermissionDenied):
        services.membership_set_role(actor=lead, membership=teacher, role=Membership.Role.SCHOOL_LEAD)

    assert Membership.objects.get(pk=teacher.pk).role == Membership.Role.TEACHER
    assert not ModelLogEntry.objects.for_instance(teacher).filter(action="upstream.membership.role_change").exists()


def test_a_school_lead_cannot_reapprove_a_removed_school_lead(lead, school):
    removed = MembershipFactory(school=school, role=Membership.Role.SCHOOL_LEAD, status=Membership.Status.REVOKED)

    with pytest.raises(PermissionDenied):
        services.membership_approve(actor=lead, membership=removed)

    assert Membership.objects.get(pk=removed.pk).status == Membership.Status.REVOKED


def test_a_school_lead_may_still_approve_teachers_and_demote_a_co_lead(lead, school):
    pending = MembershipFactory(school=school, status=Membership.Status.PENDING)
    co_lead = MembershipFactory(school=school, role=Membership.Role.SCHOOL_LEAD)

    services.membership_approve(actor=lead, membership=pending)
    services.membership_set_role(actor=lead, membership=co_lead, role=Membership.Role.TEACHER)

    assert Membership.objects.get(pk=pending.pk).is_approved
    assert Membership.objects.get(pk=co_lead.pk).role == Membership.Role.TEACHER


@pytest.mark.parametrize("group", [OFFICER, "Platform admins"])
def test_vru_roles_grant_the_school_lead_role_and_it_is_audited(school, group):
    actor = UserFactory(groups=[group])
    teacher = MembershipFactory(school=school)
    removed_lead = MembershipFactory(school=school, role=Membership.Role.SCHOOL_LEAD, status=Membership.Status.REVOKED)

    services.membership_set_role(actor=actor, membership=teacher, role=Membership.Role.SCHOOL_LEAD)
    services.membership_approve(actor=actor, membership=removed_lead)

    role_entry = ModelLogEntry.objects.for_instance(teacher).get(action="upstream.membership.role_change")
    approve_entry = ModelLogEntry.objects.for_instance(removed_lead).get(action="upstream.membership.approve")
    assert (role_entry.user, role_entry.data) == (actor, {"from": "teacher", "to": "school_lead"})
    assert (approve_entry.user, approve_entry.data) == (actor, {"role": "school_lead"})
