"""Reads about people and organisations. Every query that scopes data to a school goes
through these so that tenancy rules live in one place."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Invitation, Membership, School, User
from .roles import is_vru_staff


def approved_memberships(user: User) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user, status=Membership.Status.APPROVED).select_related(
        "school", "school__local_authority"
    )


def pending_memberships(user: User) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user, status=Membership.Status.PENDING).select_related("school")


def is_approved_teacher(user: User) -> bool:
    """True when the user may create classes and open surveys (decision 6)."""
    return approved_memberships(user).exists()


def schools_taught_at(user: User) -> QuerySet[School]:
    return School.objects.filter(memberships__user=user, memberships__status=Membership.Status.APPROVED).distinct()


def schools_led_by(user: User) -> QuerySet[School]:
    return School.objects.filter(
        memberships__user=user,
        memberships__status=Membership.Status.APPROVED,
        memberships__role=Membership.Role.SCHOOL_LEAD,
    ).distinct()


def school_lead_emails(school: School) -> list[str]:
    """Where to tell a school's leads something (e.g. a pupil asked to talk to someone)."""
    return list(
        school.memberships.filter(
            role=Membership.Role.SCHOOL_LEAD, status=Membership.Status.APPROVED, user__is_active=True
        )
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


def is_school_lead(user: User, school: School) -> bool:
    return schools_led_by(user).filter(pk=school.pk).exists()


def can_invite_school_leads(user: User) -> bool:
    return bool(user.is_authenticated and user.has_perm("accounts.invite_school_lead"))


def school_staff(school: School) -> QuerySet[Membership]:
    return school.memberships.select_related("user", "approved_by").order_by("status", "user__email")


def open_invitations(school: School) -> QuerySet[Invitation]:
    return school.invitations.filter(accepted_at__isnull=True, revoked_at__isnull=True).order_by("-created_at")


def schools_for_email(email: str) -> list[School]:
    """Schools whose allow-listed staff domains include this e-mail's domain."""
    domain = email.rsplit("@", 1)[-1].strip().lower()
    if not domain:
        return []
    candidates = School.objects.filter(staff_email_domains__icontains=domain)
    return [school for school in candidates if domain in school.allowed_domains]


__all__ = [
    "approved_memberships",
    "can_invite_school_leads",
    "is_approved_teacher",
    "is_school_lead",
    "is_vru_staff",
    "open_invitations",
    "pending_memberships",
    "school_staff",
    "schools_for_email",
    "schools_led_by",
    "schools_taught_at",
]
