"""People and organisations: users, local authorities, schools, memberships, invitations.

Staff personal data held here (name, e-mail) is listed in docs/data-protection.md.
No pupil is ever a user.
"""

from __future__ import annotations

import hashlib
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A member of staff: VRU staff, school leads and teachers. E-mail is the login."""

    username = None  # type: ignore[assignment]  # no username: e-mail is the login
    email = models.EmailField("e-mail address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[UserManager] = UserManager()  # type: ignore[assignment]  # by e-mail, not username

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)


class LocalAuthority(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    gss_code = models.CharField(
        "ONS GSS code",
        max_length=9,
        unique=True,
        help_text="The nine-character ONS code for the authority, e.g. E08000025 for Birmingham.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "local authorities"

    def __str__(self) -> str:
        return self.name


ALL_YEAR_GROUPS = range(4, 12)  # the platform's programmes run from Year 4 to Year 11
PHASE_YEAR_GROUPS = {
    "primary": range(4, 7),
    "secondary": range(7, 12),
    # All-through, special and alternative-provision schools may teach any of them.
}


class School(models.Model):
    class Phase(models.TextChoices):
        PRIMARY = "primary", "Primary"
        SECONDARY = "secondary", "Secondary"
        ALL_THROUGH = "all_through", "All-through"
        SPECIAL = "special", "Special"
        ALTERNATIVE = "alternative", "Alternative provision"

    name = models.CharField(max_length=200)
    urn = models.CharField(
        "DfE URN",
        max_length=6,
        unique=True,
        validators=[RegexValidator(r"^\d{6}$", "A URN is the school's six-digit DfE number.")],
        help_text="The school's six-digit Unique Reference Number from Get Information About Schools.",
    )
    phase = models.CharField(max_length=20, choices=Phase.choices)
    local_authority = models.ForeignKey(LocalAuthority, on_delete=models.PROTECT, related_name="schools")
    staff_email_domains = models.TextField(
        blank=True,
        help_text=(
            "E-mail domains whose staff may sign up and ask to join, one per line "
            "(for example: oakfield.sch.uk). Leave empty to allow invitations only."
        ),
    )
    dsl_name = models.CharField(
        "designated safeguarding lead",
        max_length=120,
        blank=True,
        help_text="The name pupils are told to speak to, e.g. 'Mrs Ahmed'. Shown to pupils.",
    )
    dsl_contact = models.CharField(
        "how pupils can reach the safeguarding lead",
        max_length=200,
        blank=True,
        help_text="Plain words for a 9-year-old, e.g. 'Room 12, or ask at the school office'.",
    )
    safeguarding_email = models.EmailField(
        "safeguarding inbox",
        blank=True,
        help_text=(
            "A shared inbox the safeguarding lead and deputies read, e.g. safeguarding@school.sch.uk. "
            "It is told when a pupil asks to talk to someone (never the card code)."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("view_regional_outcomes", "Can see regional aggregated outcomes"),
            ("export_pseudonymised_records", "Can export pseudonymised record-level data"),
            ("invite_school_lead", "Can invite school leads"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.urn})"

    @property
    def year_groups(self) -> list[int]:
        """The year groups (of the platform's Years 4 to 11) a school of this phase teaches."""
        return list(PHASE_YEAR_GROUPS.get(self.phase, ALL_YEAR_GROUPS))

    @property
    def allowed_domains(self) -> list[str]:
        return [line.strip().lower().lstrip("@") for line in self.staff_email_domains.splitlines() if line.strip()]

    def clean(self) -> None:
        for domain in self.allowed_domains:
            if "." not in domain or " " in domain:
                raise ValidationError({"staff_email_domains": f"'{domain}' is not a domain."})


class Membership(models.Model):
    """A user's role at a school. Only approved memberships grant anything."""

    class Role(models.TextChoices):
        TEACHER = "teacher", "Teacher"
        SCHOOL_LEAD = "school_lead", "School lead"

    class Safeguarding(models.TextChoices):
        """A school's designated safeguarding lead and deputies (Keeping Children Safe in
        Education) need not be its school lead: they receive pupils' requests to talk."""

        NONE = "", "None"
        DSL = "dsl", "Designated safeguarding lead"
        DEPUTY = "deputy", "Deputy safeguarding lead"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for approval"
        APPROVED = "approved", "Approved"
        REVOKED = "revoked", "Removed"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.TEACHER)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    safeguarding_role = models.CharField(
        max_length=10,
        choices=Safeguarding.choices,
        blank=True,
        default=Safeguarding.NONE,
        help_text="Safeguarding leads and deputies receive pupils' requests to talk and see the list of them.",
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(
        null=True, blank=True, help_text="When access was removed; the record is deleted a year later."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["school__name", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["user", "school"], name="membership_unique_user_school"),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} at {self.school.name}"

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """A single-use, expiring invitation. Only the hash of the token is stored."""

    email = models.EmailField()
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="invitations")
    role = models.CharField(max_length=20, choices=Membership.Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email} ({self.get_role_display()}, {self.school.name})"

    @property
    def is_usable(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()
