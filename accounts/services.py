"""Writes about people and organisations: invitations, approvals and role changes.

Every function here is keyword-only and atomic, writes an entry to Wagtail's audit log and
queues its e-mail only after the transaction commits.
"""

from __future__ import annotations

import datetime as dt
import secrets as token_source
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from wagtail.log_actions import log

from . import selectors, tasks
from .models import Invitation, Membership, School, User, hash_token

if TYPE_CHECKING:
    from django.contrib.auth.models import Group


def _absolute(path: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def _queue_email(template: str, to: str, context: dict) -> None:
    transaction.on_commit(lambda: tasks.send_templated_email.delay(template, to, context))


def _check_can_invite(inviter: User, school: School, role: str) -> None:
    if selectors.can_invite_school_leads(inviter):
        return
    if role == Membership.Role.TEACHER and selectors.is_school_lead(inviter, school):
        return
    raise PermissionDenied("You cannot invite people to this school in that role.")


@transaction.atomic
def invitation_create(*, inviter: User, school: School, email: str, role: str) -> tuple[Invitation, str]:
    """Invite someone to a school. VRU officers invite school leads (or teachers); school
    leads invite teachers to their own school. Returns the invitation and its raw token,
    which exists only in the e-mail."""
    _check_can_invite(inviter, school, role)
    email = email.strip().lower()
    if Membership.objects.filter(user__email=email, school=school, status=Membership.Status.APPROVED).exists():
        raise ValidationError(f"{email} is already a member of {school.name}.")
    # A new invitation replaces any earlier unused one for the same person and school.
    Invitation.objects.filter(email=email, school=school, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    token = token_source.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email,
        school=school,
        role=role,
        token_hash=hash_token(token),
        invited_by=inviter,
        expires_at=timezone.now() + timedelta(days=settings.UPSTREAM_INVITATION_DAYS),
    )
    log(instance=invitation, action="upstream.invitation.create", user=inviter, data={"email": email, "role": role})
    _queue_email(
        "accounts/email/invitation",
        email,
        {
            "school": school.name,
            "role": invitation.get_role_display(),
            "inviter": str(inviter),
            "url": _absolute(reverse("accounts:accept_invitation", args=[token])),
            "expires": timezone.localtime(invitation.expires_at).strftime("%-d %B %Y"),
        },
    )
    return invitation, token


def invitation_for_token(token: str) -> Invitation | None:
    """The usable invitation for a raw token, or None if unknown, used, revoked or expired."""
    invitation = Invitation.objects.select_related("school").filter(token_hash=hash_token(token)).first()
    if invitation is None or not invitation.is_usable:
        return None
    return invitation


@transaction.atomic
def invitation_accept(*, token: str, user: User) -> Membership:
    """Turn an invitation into an approved membership. Single use: a second call fails."""
    invitation = (
        Invitation.objects.select_for_update().select_related("school").filter(token_hash=hash_token(token)).first()
    )
    if invitation is None or not invitation.is_usable:
        raise ValidationError("This invitation has expired or has already been used.")
    if invitation.email != user.email.lower():
        raise PermissionDenied("This invitation was sent to a different e-mail address.")
    now = timezone.now()
    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    membership, _ = Membership.objects.update_or_create(
        user=user,
        school=invitation.school,
        defaults={
            "role": invitation.role,
            "status": Membership.Status.APPROVED,
            "approved_by": invitation.invited_by,
            "approved_at": now,
        },
    )
    log(instance=membership, action="upstream.membership.approve", user=user, data={"via": "invitation"})
    return membership


@transaction.atomic
def membership_request(*, user: User, school: School) -> Membership:
    """A teacher who signed up with an allow-listed domain asks to join; waits for approval."""
    if school not in selectors.schools_for_email(user.email):
        raise PermissionDenied("Your e-mail address is not from this school.")
    membership, created = Membership.objects.get_or_create(
        user=user, school=school, defaults={"role": Membership.Role.TEACHER, "status": Membership.Status.PENDING}
    )
    if created:
        log(instance=membership, action="upstream.membership.request", user=user)
        for lead in school.memberships.filter(
            role=Membership.Role.SCHOOL_LEAD, status=Membership.Status.APPROVED
        ).select_related("user"):
            _queue_email(
                "accounts/email/approval_needed",
                lead.user.email,
                {
                    "teacher": user.email,
                    "school": school.name,
                    "url": _absolute(reverse("accounts:school_staff", args=[school.pk])),
                },
            )
    return membership


def _check_can_manage(actor: User, school: School) -> None:
    if selectors.is_school_lead(actor, school) or actor.has_perm("accounts.change_membership"):
        return
    raise PermissionDenied("Only the school lead or the VRU can manage this school's staff.")


def _check_can_grant_lead(actor: User) -> None:
    """Only the VRU makes someone a school lead (whoever may invite leads), never another
    lead: a lead can see every class and every pupil's talk request at the school."""
    if not selectors.can_invite_school_leads(actor):
        raise PermissionDenied("Only the VRU can make someone a school lead.")


@transaction.atomic
def membership_approve(*, actor: User, membership: Membership) -> Membership:
    _check_can_manage(actor, membership.school)
    if membership.role == Membership.Role.SCHOOL_LEAD:
        _check_can_grant_lead(actor)  # re-approving a removed lead grants the role again
    membership.status = Membership.Status.APPROVED
    membership.approved_by = actor
    membership.approved_at = timezone.now()
    membership.revoked_at = None
    membership.save(update_fields=["status", "approved_by", "approved_at", "revoked_at"])
    log(instance=membership, action="upstream.membership.approve", user=actor, data={"role": membership.role})
    _queue_email(
        "accounts/email/approved",
        membership.user.email,
        {"school": membership.school.name, "url": _absolute(reverse("accounts:home"))},
    )
    return membership


@transaction.atomic
def membership_revoke(*, actor: User, membership: Membership) -> Membership:
    _check_can_manage(actor, membership.school)
    if membership.user_id == actor.pk and membership.role == Membership.Role.SCHOOL_LEAD:
        raise ValidationError("You cannot remove yourself as school lead. Ask the VRU.")
    membership.status = Membership.Status.REVOKED
    membership.revoked_at = timezone.now()
    data = {}
    if membership.safeguarding_role:
        # Someone who leaves is no longer told of pupils' requests, even if approved again.
        data["safeguarding_role"] = {"from": membership.safeguarding_role, "to": ""}
        membership.safeguarding_role = Membership.Safeguarding.NONE
    membership.save(update_fields=["status", "revoked_at", "safeguarding_role"])
    log(instance=membership, action="upstream.membership.revoke", user=actor, data=data or None)
    return membership


@transaction.atomic
def membership_set_role(*, actor: User, membership: Membership, role: str) -> Membership:
    _check_can_manage(actor, membership.school)
    if role not in Membership.Role.values:
        raise ValidationError("Unknown role.")
    if membership.user_id == actor.pk:
        raise ValidationError("You cannot change your own role.")
    if role == Membership.Role.SCHOOL_LEAD and membership.role != role:
        _check_can_grant_lead(actor)
    old = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    log(instance=membership, action="upstream.membership.role_change", user=actor, data={"from": old, "to": role})
    return membership


@transaction.atomic
def membership_set_safeguarding_role(*, actor: User, membership: Membership, safeguarding_role: str) -> Membership:
    """Mark an approved member of staff as the school's designated safeguarding lead, a
    deputy, or neither. They then receive pupils' requests to talk and see the list. A
    school has one safeguarding lead (Keeping Children Safe in Education): naming a new
    one makes the previous lead a deputy. Every change is audited like a role change."""
    _check_can_manage(actor, membership.school)
    if safeguarding_role not in Membership.Safeguarding.values:
        raise ValidationError("Unknown safeguarding role.")
    if safeguarding_role and membership.status != Membership.Status.APPROVED:
        raise ValidationError("Approve this person before making them a safeguarding lead.")
    if safeguarding_role == Membership.Safeguarding.DSL:
        for previous in (
            Membership.objects.select_for_update()
            .filter(school=membership.school, safeguarding_role=Membership.Safeguarding.DSL)
            .exclude(pk=membership.pk)
        ):
            _record_safeguarding_role(actor, previous, Membership.Safeguarding.DEPUTY)
    return _record_safeguarding_role(actor, membership, safeguarding_role)


def _record_safeguarding_role(actor: User, membership: Membership, safeguarding_role: str) -> Membership:
    old = membership.safeguarding_role
    if old == safeguarding_role:
        return membership
    membership.safeguarding_role = safeguarding_role
    membership.save(update_fields=["safeguarding_role"])
    log(
        instance=membership,
        action="upstream.membership.safeguarding_change",
        user=actor,
        data={"from": old, "to": safeguarding_role},
    )
    return membership


SAFEGUARDING_FIELDS = ("dsl_name", "dsl_contact", "safeguarding_email")


@transaction.atomic
def school_safeguarding_update(
    *, actor: User, school: School, dsl_name: str, dsl_contact: str, safeguarding_email: str
) -> School:
    """The school lead sets who pupils are told will hear their request to talk (the name
    pupils know their safeguarding lead by), where pupils find them, and the school's shared
    safeguarding inbox. Audited with the old and new values: a changed inbox changes where
    pupils' requests go."""
    _check_can_manage(actor, school)
    wanted = {
        "dsl_name": dsl_name.strip(),
        "dsl_contact": dsl_contact.strip(),
        "safeguarding_email": safeguarding_email.strip().lower(),
    }
    changes = {
        name: {"from": getattr(school, name), "to": value}
        for name, value in wanted.items()
        if getattr(school, name) != value
    }
    if not changes:
        return school
    for name, value in wanted.items():
        setattr(school, name, value)
    school.full_clean(exclude=[field.name for field in School._meta.fields if field.name not in SAFEGUARDING_FIELDS])
    school.save(update_fields=list(changes))
    log(instance=school, action="upstream.school.safeguarding_change", user=actor, data=changes)
    return school


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> None:
    _check_can_manage(actor, invitation.school)
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    log(instance=invitation, action="upstream.invitation.revoke", user=actor)


# --- Platform access (Django and Wagtail user admins) ----------------------------------

ACCESS_FIELDS = ("is_superuser", "is_staff", "is_active")


def user_access_snapshot(user: User | None) -> dict:
    """What a user's account can reach: the flags and group names the audit compares.
    ``None`` (an account being created) is the empty snapshot; its ``is_active`` is None,
    so a new account's entry reads "is_active: None -> True"."""
    if user is None or user.pk is None:
        return {"is_superuser": False, "is_staff": False, "is_active": None, "groups": []}
    return {
        **{field: getattr(user, field) for field in ACCESS_FIELDS},
        "groups": sorted(user.groups.values_list("name", flat=True)),
    }


@transaction.atomic
def user_access_record(*, actor: User, user: User, before: dict) -> dict:
    """Audit a change to what ``user`` can reach, made by ``actor`` in either admin, and
    refuse one only a superuser may make (the admins hide those fields; this is the
    rule itself). Call it inside the admin's transaction after the user and their groups
    are saved: raising rolls the whole save back. Returns the changes logged."""
    user = User.objects.get(pk=user.pk)
    after = user_access_snapshot(user)
    superuser_involved = before["is_superuser"] or after["is_superuser"]
    if superuser_involved and before != after and not actor.is_superuser:
        raise PermissionDenied("Only a superuser can change a superuser's account or make someone a superuser.")
    changes: dict[str, object] = {
        field: {"from": before[field], "to": after[field]} for field in ACCESS_FIELDS if before[field] != after[field]
    }
    added = sorted(set(after["groups"]) - set(before["groups"]))
    removed = sorted(set(before["groups"]) - set(after["groups"]))
    if added:
        changes["groups_added"] = added
    if removed:
        changes["groups_removed"] = removed
    if changes:
        log(instance=user, action="upstream.user.access_change", user=actor, data=changes)
    return changes


@transaction.atomic
def group_permissions_record(*, actor: User, group: Group, before: set[int]) -> dict[str, list[str]]:
    """Audit the permissions ``actor`` added to or removed from ``group`` (Django admin)."""
    from django.contrib.auth.models import Permission

    after = set(group.permissions.values_list("pk", flat=True))

    def names(pks: set[int]) -> list[str]:
        return sorted(
            f"{app}.{codename}"
            for app, codename in Permission.objects.filter(pk__in=pks).values_list(
                "content_type__app_label", "codename"
            )
        )

    changes: dict[str, list[str]] = {}
    if after - before:
        changes["permissions_added"] = names(after - before)
    if before - after:
        changes["permissions_removed"] = names(before - after)
    if changes:
        log(instance=group, action="upstream.group.permissions_change", user=actor, data=changes)
    return changes


# --- Retention (docs/data-protection.md) -------------------------------------------------

FINISHED_INVITATION_DAYS = 90
UNVERIFIED_SIGNUP_DAYS = 30
REVOKED_MEMBERSHIP_DAYS = 365
USER_SESSION_DAYS = 30
STAFF_AUDIT_LOG_DAYS = 2 * 365


@transaction.atomic
def staff_data_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete staff personal data past its retention period (docs/data-protection.md).

    Idempotent: a second run the same day deletes nothing. Accounts themselves are not
    deleted here except sign-ups that never verified their address; an account that has
    been used is closed on request (it may own classes and delivery records).
    """
    from allauth.account.models import EmailAddress
    from allauth.usersessions.models import UserSession
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sessions.models import Session
    from wagtail.models import ModelLogEntry

    now = now or timezone.now()

    def ago(days: int) -> dt.datetime:
        return now - timedelta(days=days)

    counts: dict[str, int] = {}
    cutoff = ago(FINISHED_INVITATION_DAYS)
    counts["invitations"], _ = Invitation.objects.filter(
        Q(accepted_at__lt=cutoff) | Q(revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff)
    ).delete()

    verified = EmailAddress.objects.filter(verified=True).values("user_id")
    never_used = User.objects.filter(
        date_joined__lt=ago(UNVERIFIED_SIGNUP_DAYS),
        last_login__isnull=True,
        is_staff=False,
        is_superuser=False,
        groups__isnull=True,
    ).exclude(pk__in=verified)
    counts["unverified_signups"] = never_used.count()
    for user in never_used:
        user.delete()

    counts["revoked_memberships"], _ = (
        Membership.objects.filter(status=Membership.Status.REVOKED)
        .filter(
            Q(revoked_at__lt=ago(REVOKED_MEMBERSHIP_DAYS))
            | Q(revoked_at__isnull=True, created_at__lt=ago(REVOKED_MEMBERSHIP_DAYS))
        )
        .delete()
    )
    counts["user_sessions"], _ = UserSession.objects.filter(last_seen_at__lt=ago(USER_SESSION_DAYS)).delete()
    counts["sessions"], _ = Session.objects.filter(expire_date__lt=now).delete()
    staff_types = ContentType.objects.get_for_models(Invitation, Membership).values()
    counts["audit_entries"], _ = ModelLogEntry.objects.filter(
        Q(content_type__in=list(staff_types))
        | Q(action="upstream.pupil.withdraw")  # who withdrew a pupil's data
        | Q(action="upstream.analyst.export")  # who downloaded record-level data, with which filters
        | Q(action="upstream.school.safeguarding_change")  # names and the inbox, old and new
        | Q(action__in=["upstream.user.access_change", "upstream.group.permissions_change"]),
        timestamp__lt=ago(STAFF_AUDIT_LOG_DAYS),
    ).delete()
    return counts
