"""Reads about people and organisations. Every query that scopes data to a school goes
through these so that tenancy rules live in one place."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Q, QuerySet

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
    """True when the user may create classes and open surveys (docs/decisions.md#6)."""
    return approved_memberships(user).exists()


def can_read_lessons(user: User) -> bool:
    """Lesson content (lesson pages, lesson-plan PDFs, programme packs and the documents
    used in lessons) is for approved school staff and VRU staff. A teacher still waiting
    for approval, or an account linked to no school, sees programme overviews only:
    approval is the school's (or the VRU's) check that the account really belongs to
    someone who teaches there (docs/decisions.md#6)."""
    return bool(user.is_authenticated and (is_vru_staff(user) or is_approved_teacher(user)))


def schools_taught_at(user: User) -> QuerySet[School]:
    return School.objects.filter(memberships__user=user, memberships__status=Membership.Status.APPROVED).distinct()


def schools_led_by(user: User) -> QuerySet[School]:
    return School.objects.filter(
        memberships__user=user,
        memberships__status=Membership.Status.APPROVED,
        memberships__role=Membership.Role.SCHOOL_LEAD,
    ).distinct()


def school_leads(school: School) -> QuerySet[Membership]:
    """The school's approved, active school leads."""
    return (
        school.memberships.filter(
            role=Membership.Role.SCHOOL_LEAD, status=Membership.Status.APPROVED, user__is_active=True
        )
        .select_related("user")
        .order_by("user__email")
    )


def school_lead_emails(school: School) -> list[str]:
    """Where to tell a school's leads something (e.g. a teacher asked to join)."""
    return [membership.user.email for membership in school_leads(school)]


# --- Safeguarding: who hears that a pupil asked to talk ---------------------------------

SAFEGUARDING_ROLES = (Membership.Safeguarding.DSL, Membership.Safeguarding.DEPUTY)


def safeguarding_leads(school: School) -> QuerySet[Membership]:
    """The school's designated safeguarding lead and deputies with an account here: approved,
    active members marked by the school lead (the lead first, then deputies)."""
    return (
        school.memberships.filter(
            safeguarding_role__in=SAFEGUARDING_ROLES, status=Membership.Status.APPROVED, user__is_active=True
        )
        .select_related("user")
        .order_by("-safeguarding_role", "user__last_name", "user__email")  # "dsl" before "deputy"
    )


def talk_request_recipients(school: School) -> list[str]:
    """Where a pupil's request to talk is sent: the safeguarding lead and deputies who have
    accounts, and the school's shared safeguarding inbox. A school that has set neither
    falls back to its school leads, so a request never reaches nobody (their home page asks
    them to name the safeguarding lead)."""
    emails = [membership.user.email for membership in safeguarding_leads(school)]
    if school.safeguarding_email:
        emails.append(school.safeguarding_email.strip().lower())
    return sorted(set(emails)) or school_lead_emails(school)


def talk_requests_reach_safeguarding_lead(
    school: School, *, has_account: Callable[[School], bool] | None = None
) -> bool:
    """True when the school has named its safeguarding lead for pupils and requests reach
    them (an account marked as safeguarding lead or deputy, or the safeguarding inbox).
    Only then is a pupil told the name; otherwise "the adults at school who help keep you
    safe", which the school leads who receive it are. ``has_account`` answers
    ``safeguarding_leads(school).exists()`` another way (the pupil pages pass
    ``surveys.pupil.sql.safeguarding_lead_has_account``, tested equal)."""
    if not school.dsl_name.strip():
        return False
    if school.safeguarding_email:
        return True
    return has_account(school) if has_account is not None else safeguarding_leads(school).exists()


def schools_safeguarded_by(user: User) -> QuerySet[School]:
    """Schools where the user is the designated safeguarding lead or a deputy."""
    if not user.is_authenticated:
        return School.objects.none()
    return School.objects.filter(
        memberships__user=user,
        memberships__status=Membership.Status.APPROVED,
        memberships__safeguarding_role__in=SAFEGUARDING_ROLES,
    ).distinct()


def schools_seeing_talk_requests(user: User) -> QuerySet[School]:
    """Schools whose pupils' requests to talk the user may read and follow up: as its
    safeguarding lead or deputy, or as its school lead."""
    if not user.is_authenticated:
        return School.objects.none()
    # One filter() call, so all three conditions apply to the same membership row.
    return School.objects.filter(
        Q(memberships__role=Membership.Role.SCHOOL_LEAD) | Q(memberships__safeguarding_role__in=SAFEGUARDING_ROLES),
        memberships__user=user,
        memberships__status=Membership.Status.APPROVED,
    ).distinct()


def pending_staff(school: School) -> QuerySet[Membership]:
    """Staff who asked to join and wait for the school lead's approval."""
    return school.memberships.filter(status=Membership.Status.PENDING)


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
    "can_read_lessons",
    "is_approved_teacher",
    "is_school_lead",
    "is_vru_staff",
    "open_invitations",
    "pending_memberships",
    "pending_staff",
    "safeguarding_leads",
    "school_lead_emails",
    "school_leads",
    "school_staff",
    "schools_for_email",
    "schools_led_by",
    "schools_safeguarded_by",
    "schools_seeing_talk_requests",
    "schools_taught_at",
    "talk_request_recipients",
    "talk_requests_reach_safeguarding_lead",
]
