"""Demo people and schools for ``seed_demo``. Idempotent: running it twice gives the same
state. Every address uses the reserved ``.example`` domain; nobody here is real."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth.models import Group
from django.utils import timezone

from .models import LocalAuthority, Membership, School, User
from .roles import ANALYST, CONTENT_EDITOR, MODERATOR, OFFICER, PLATFORM_ADMIN, ensure_role_groups

DEMO_PASSWORD = "upstream-demo-2026"
# A fixed authenticator secret so the demo VRU accounts can sign in; enter it in any
# authenticator app, or run `make demo-code` for the current six-digit code.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

SCHOOLS = [
    # name, urn, phase, authority slug, domain, DSL name, DSL contact
    (
        "Oakfield Academy",
        "140001",
        School.Phase.SECONDARY,
        "birmingham",
        "oakfield-academy.example",
        "Mrs Ahmed",
        "Room B12, or ask at Student Services",
    ),
    (
        "Brookside Primary School",
        "140002",
        School.Phase.PRIMARY,
        "coventry",
        "brookside-primary.example",
        "Mr Patel",
        "the school office, or tell your class teacher",
    ),
    (
        "Hillcrest School",
        "140003",
        School.Phase.SECONDARY,
        "dudley",
        "hillcrest.example",
        "Ms Green",
        "the pastoral office next to the library",
    ),
    (
        "Riverside Community College",
        "140004",
        School.Phase.SECONDARY,
        "sandwell",
        "riverside-cc.example",
        "Mr Okafor",
        "Room 4, or any member of staff",
    ),
    (
        "Elmwood Primary School",
        "140005",
        School.Phase.PRIMARY,
        "wolverhampton",
        "elmwood.example",
        "Mrs Kaur",
        "the office, or your class teacher",
    ),
    (
        "Meadow Vale All-Through School",
        "140006",
        School.Phase.ALL_THROUGH,
        "walsall",
        "meadowvale.example",
        "Miss Byrne",
        "the wellbeing room on the ground floor",
    ),
]

VRU_USERS = [
    ("officer@vru.example", "Olu", "Officer", OFFICER),
    ("editor@vru.example", "Erin", "Editor", CONTENT_EDITOR),
    ("moderator@vru.example", "Mo", "Moderator", MODERATOR),
    ("analyst@vru.example", "Ana", "Analyst", ANALYST),
    ("admin@vru.example", "Adi", "Admin", PLATFORM_ADMIN),
]

SCHOOL_USERS = [
    # email, first, last, school urn, role, status
    (
        "lead@oakfield-academy.example",
        "Lena",
        "Lead",
        "140001",
        Membership.Role.SCHOOL_LEAD,
        Membership.Status.APPROVED,
    ),
    (
        "teacher@oakfield-academy.example",
        "Tom",
        "Teacher",
        "140001",
        Membership.Role.TEACHER,
        Membership.Status.APPROVED,
    ),
    (
        "dsl@oakfield-academy.example",
        "Aisha",
        "Ahmed",
        "140001",
        Membership.Role.TEACHER,
        Membership.Status.APPROVED,
    ),
    (
        "newteacher@oakfield-academy.example",
        "Nia",
        "Newman",
        "140001",
        Membership.Role.TEACHER,
        Membership.Status.PENDING,
    ),
    (
        "lead@brookside-primary.example",
        "Priya",
        "Lead",
        "140002",
        Membership.Role.SCHOOL_LEAD,
        Membership.Status.APPROVED,
    ),
    (
        "teacher@brookside-primary.example",
        "Ben",
        "Teacher",
        "140002",
        Membership.Role.TEACHER,
        Membership.Status.APPROVED,
    ),
    ("teacher@hillcrest.example", "Hana", "Teacher", "140003", Membership.Role.TEACHER, Membership.Status.APPROVED),
    ("teacher@riverside-cc.example", "Rob", "Teacher", "140004", Membership.Role.TEACHER, Membership.Status.APPROVED),
    ("teacher@elmwood.example", "Ella", "Teacher", "140005", Membership.Role.TEACHER, Membership.Status.APPROVED),
    ("teacher@meadowvale.example", "Max", "Teacher", "140006", Membership.Role.TEACHER, Membership.Status.APPROVED),
]


# Oakfield's "Mrs Ahmed" (the name pupils are told) has an account as its designated
# safeguarding lead, and the school has a shared safeguarding inbox: pupils' requests to
# talk go to both. The other demo schools have named nobody, so their leads are asked to.
SAFEGUARDING_ROLES = {"dsl@oakfield-academy.example": Membership.Safeguarding.DSL}
SAFEGUARDING_INBOXES = {"140001": "safeguarding@oakfield-academy.example"}

# What each demo account is for, printed by ``print_logins`` (every account is printed;
# one not listed here is shown with its role).
LOGIN_NOTES = {
    "officer@vru.example": "VRU officer: schools, delivery and participation, outcomes (/admin/)",
    "editor@vru.example": "Content editor: write lessons (/admin/pages/)",
    "moderator@vru.example": "Moderator: approve lessons (/admin/)",
    "analyst@vru.example": "VRU analyst: outcomes and exports (/admin/)",
    "admin@vru.example": "Platform admin: users and groups (/admin/)",
    "lead@oakfield-academy.example": "School lead: approve teachers, name the safeguarding lead (/staff/)",
    "dsl@oakfield-academy.example": "Safeguarding lead (Mrs Ahmed): pupils who asked to talk (/staff/)",
    "teacher@oakfield-academy.example": "Teacher: /staff/, then My classes",
    "newteacher@oakfield-academy.example": "Teacher waiting for approval: /staff/ shows the waiting state",
}


def _user(email: str, first: str, last: str, **extra) -> User:
    user, created = User.objects.get_or_create(email=email, defaults={"first_name": first, "last_name": last, **extra})
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    EmailAddress.objects.update_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


def seed(stdout=None) -> dict:
    ensure_role_groups()
    schools = {}
    for name, urn, phase, la_slug, domain, dsl, dsl_contact in SCHOOLS:
        schools[urn], _ = School.objects.update_or_create(
            urn=urn,
            defaults={
                "name": name,
                "phase": phase,
                "local_authority": LocalAuthority.objects.get(slug=la_slug),
                "staff_email_domains": domain,
                "dsl_name": dsl,
                "dsl_contact": dsl_contact,
                "safeguarding_email": SAFEGUARDING_INBOXES.get(urn, ""),
            },
        )
    users = {}
    for email, first, last, group_name in VRU_USERS:
        user = _user(email, first, last, is_staff=group_name == PLATFORM_ADMIN)
        user.groups.add(Group.objects.get(name=group_name))
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, DEMO_TOTP_SECRET)
        users[email] = user
    lead = None
    for email, first, last, urn, role, status in SCHOOL_USERS:
        user = _user(email, first, last)
        approved = status == Membership.Status.APPROVED
        Membership.objects.update_or_create(
            user=user,
            school=schools[urn],
            defaults={
                "role": role,
                "status": status,
                "approved_by": users["officer@vru.example"] if approved else None,
                "approved_at": timezone.now() if approved else None,
                "safeguarding_role": SAFEGUARDING_ROLES.get(email, Membership.Safeguarding.NONE),
            },
        )
        users[email] = user
        lead = lead or user
    if stdout is not None:
        stdout.write(f"  accounts: {len(schools)} schools, {len(users)} demo users")
    return {"schools": schools, "users": users}


def print_logins(stdout) -> None:
    """Every demo account, VRU staff first, then each school's; ``seed_demo`` prints this last."""
    school_names = dict(School.objects.values_list("urn", "name"))
    stdout.write("")
    stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD})")
    stdout.write(f"  VRU staff (two-factor codes: authenticator secret {DEMO_TOTP_SECRET}, or run `make demo-code`)")
    for email, *_ in VRU_USERS:
        stdout.write(f"    {email:<38}{LOGIN_NOTES.get(email, '')}".rstrip())
    for urn in dict.fromkeys(urn for *_, urn, _role, _status in SCHOOL_USERS):
        stdout.write(f"  {school_names.get(urn, urn)}")
        for email, _first, _last, user_urn, role, status in SCHOOL_USERS:
            if user_urn != urn:
                continue
            waiting = " waiting for approval" if status != Membership.Status.APPROVED else ""
            note = LOGIN_NOTES.get(email, Membership.Role(role).label + waiting)
            stdout.write(f"    {email:<38}{note}")
