from __future__ import annotations

from typing import cast

from allauth.account.adapter import get_adapter
from allauth.account.forms import ChangePasswordForm as AllauthChangePasswordForm
from allauth.account.forms import SignupForm
from allauth.core import context
from django import forms
from django.core.exceptions import ValidationError

from . import selectors
from .models import Membership, School

NOT_A_SCHOOL_ADDRESS = (
    "Please use your school e-mail address. If your school isn't on Upstream yet, ask your "
    "school lead or the VRU to invite you."
)


class TeacherSignupForm(SignupForm):
    """Sign-up is for school staff: either from an invitation (the invited address is
    fixed) or with an e-mail address in a school's allow-listed domains."""

    first_name = forms.CharField(
        max_length=150, label="First name", widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        max_length=150, label="Last name", widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )

    field_order = ["first_name", "last_name", "email", "password1", "password2"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # allauth's SignupView does not pass the request to the form; its middleware keeps
        # the current request in a context variable instead.
        request = getattr(self, "request", None) or context.request
        self.invitation = None
        if request is not None:
            from . import services

            token = request.session.get("upstream_invitation")
            self.invitation = services.invitation_for_token(token) if token else None
        if self.invitation is not None:
            self.fields["email"].initial = self.invitation.email
            self.fields["email"].widget.attrs["readonly"] = True
            self.fields["email"].help_text = f"You were invited to {self.invitation.school.name} at this address."

    def clean_email(self):
        email = super().clean_email()
        if self.invitation is not None:
            if email.lower() != self.invitation.email:
                raise ValidationError("Sign up with the address your invitation was sent to.")
            return email
        if not selectors.schools_for_email(email):
            raise ValidationError(NOT_A_SCHOOL_ADDRESS)
        return email

    def save(self, request):
        user = super().save(request)
        user.first_name = self.cleaned_data["first_name"]
        user.last_name = self.cleaned_data["last_name"]
        user.save(update_fields=["first_name", "last_name"])
        return user


class ChangePasswordForm(AllauthChangePasswordForm):
    """allauth's change-password form checks the current password with
    ``user.check_password``, outside the login-failure rate limit (it only has its own
    5 POSTs a minute). Checking it through the adapter's ``reauthenticate`` counts every
    wrong current password against the same per-account limit as the login form
    (``ACCOUNT_RATE_LIMITS["login_failed"]``), so a stolen session cannot guess the
    password faster here than at the login page."""

    def clean_oldpassword(self) -> str:
        password = self.cleaned_data.get("oldpassword", "")
        if not get_adapter().reauthenticate(self.user, password):
            raise get_adapter().validation_error("enter_current_password")
        return password


class InviteForm(forms.Form):
    email = forms.EmailField(label="Their school e-mail address")
    role = forms.ChoiceField(choices=Membership.Role.choices, initial=Membership.Role.TEACHER)

    def __init__(self, *args, allow_lead: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not allow_lead:
            cast(forms.ChoiceField, self.fields["role"]).choices = [(Membership.Role.TEACHER, "Teacher")]


class OfficerInviteForm(InviteForm):
    school = forms.ModelChoiceField(queryset=School.objects.select_related("local_authority"))
    field_order = ["school", "email", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, allow_lead=True, **kwargs)
        self.fields["role"].initial = Membership.Role.SCHOOL_LEAD


class JoinSchoolForm(forms.Form):
    school = forms.ModelChoiceField(queryset=School.objects.none(), empty_label=None)

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["school"]).queryset = School.objects.filter(
            pk__in=[s.pk for s in selectors.schools_for_email(email)]
        )


class SafeguardingForm(forms.Form):
    """What the school lead sets so a pupil's "I'd like to talk to someone" reaches the
    person the pupil is told about."""

    dsl_name = forms.CharField(
        max_length=120,
        required=False,
        label="The name pupils know your safeguarding lead by",
        help_text="For example 'Mrs Ahmed'. Pupils are told that pressing \"I'd like to talk to someone\" tells this person.",
    )
    dsl_contact = forms.CharField(
        max_length=200,
        required=False,
        label="Where pupils can find them",
        help_text="Plain words for a 9-year-old, for example 'Room 12, or ask at the school office'.",
    )
    safeguarding_email = forms.EmailField(
        required=False,
        label="Shared safeguarding inbox (optional)",
        help_text=(
            "An inbox your safeguarding lead and deputies read, for example safeguarding@yourschool.sch.uk. "
            "It is e-mailed when a pupil asks to talk, without the card code."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["safeguarding_email"].widget.attrs["autocomplete"] = "email"
