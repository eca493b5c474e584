from __future__ import annotations

from allauth.account.adapter import get_adapter
from allauth.account.decorators import secure_admin_login
from allauth.account.utils import get_next_redirect_url
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import selectors, services, staff_home
from .forms import InviteForm, JoinSchoolForm, OfficerInviteForm, SafeguardingForm
from .models import Invitation, Membership, School, User
from .roles import is_vru_staff


@secure_admin_login
def admin_login(request, extra_context=None):
    """Replaces the Django admin's login view, which would accept a password (and, from a
    signed-in session, switch to another account). allauth's ``secure_admin_login``
    sends visitors to allauth's login and refuses signed-in non-staff; signed-in staff go
    where they were heading. No password is ever read here."""
    return HttpResponseRedirect(get_next_redirect_url(request) or reverse("admin:index"))


def shared_password_disabled(request, *args, **kwargs):
    """Replaces Wagtail's shared-password forms for private pages and document collections
    (``/_util/authenticate_with_password/...``, ``/documents/authenticate_with_password/...``).
    The platform allows only sign-in restrictions (``WAGTAIL_PRIVATE_PAGE_OPTIONS`` and
    ``WAGTAILDOCS_PRIVATE_COLLECTION_OPTIONS`` switch the password option off in the admin),
    but Wagtail keeps serving those forms regardless: a password form that can never be
    right is still a form to probe. The same answer for everyone, before any lookup."""
    raise Http404("Shared-password restrictions are not used on this site.")


def admin_password_change(request, extra_context=None):
    """Replaces the Django admin's password change, which checks the old password without
    any rate limit: allauth's change-password page applies the login-failure limit."""
    return redirect("account_change_password")


@login_required
def home(request):
    """The staff home: "My school", approval state and where to go next. A school lead sees
    what waits for them (teachers to approve, pupils' requests to talk not yet followed up)
    and is asked to name the safeguarding lead until pupils' requests reach one."""
    user = request.user
    memberships = list(selectors.approved_memberships(user))
    for membership in memberships:
        membership.waiting = staff_home.waiting_for(user, membership)
        membership.safeguarding_set = (
            membership.role != Membership.Role.SCHOOL_LEAD
            or selectors.talk_requests_reach_safeguarding_lead(membership.school)
        )
    pending = list(selectors.pending_memberships(user))
    joinable = []
    if not memberships and not pending:
        joinable = selectors.schools_for_email(user.email)
    return render(
        request,
        "accounts/home.html",
        {
            "memberships": memberships,
            "pending": pending,
            "joinable": joinable,
            "led_schools": list(selectors.schools_led_by(user)),
            "is_vru": is_vru_staff(user),
            "can_invite_leads": selectors.can_invite_school_leads(user),
        },
    )


@login_required
def join_school(request):
    form = JoinSchoolForm(request.POST or None, email=request.user.email)
    if request.method == "POST" and form.is_valid():
        services.membership_request(user=request.user, school=form.cleaned_data["school"])
        messages.success(request, "Thanks. Your school lead has been asked to approve you.")
        return redirect("accounts:home")
    return render(request, "accounts/join_school.html", {"form": form})


def accept_invitation(request, token: str):
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(
            request,
            "accounts/invitation_invalid.html",
            {"invitation_days": settings.UPSTREAM_INVITATION_DAYS},
            status=410,
        )
    if request.user.is_authenticated:
        if request.user.email != invitation.email:
            return render(request, "accounts/invitation_wrong_account.html", {"invitation": invitation}, status=403)
        if request.method == "POST":
            services.invitation_accept(token=token, user=request.user)
            messages.success(request, f"You have joined {invitation.school.name}.")
            return redirect("accounts:home")
        return render(request, "accounts/invitation_accept.html", {"invitation": invitation})
    # Not signed in: the link itself proves the address, so allauth may treat it as
    # verified; the token waits in the session until sign-up completes.
    request.session["upstream_invitation"] = token
    get_adapter(request).stash_verified_email(request, invitation.email)
    if User.objects.filter(email=invitation.email).exists():
        messages.info(request, "Sign in to accept your invitation.")
        return redirect_to_login(request.path)
    return redirect("account_signup")


def _school_for_manager(request, school_pk: int) -> School:
    school = get_object_or_404(School, pk=school_pk)
    if not (selectors.is_school_lead(request.user, school) or request.user.has_perm("accounts.change_membership")):
        raise PermissionDenied
    return school


@login_required
def school_staff(request, school_pk: int):
    """The school lead's page: approve, remove and invite the school's teachers."""
    school = _school_for_manager(request, school_pk)
    allow_lead = selectors.can_invite_school_leads(request.user)
    form = InviteForm(request.POST or None, allow_lead=allow_lead)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                inviter=request.user, school=school, email=form.cleaned_data["email"], role=form.cleaned_data["role"]
            )
        except ValidationError as error:
            form.add_error("email", error.messages[0])
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("accounts:school_staff", school_pk=school.pk)
    return render(
        request,
        "accounts/school_staff.html",
        {
            "school": school,
            "staff": selectors.school_staff(school),
            "invitations": selectors.open_invitations(school),
            "form": form,
            "can_grant_lead": allow_lead,  # only the VRU makes someone a school lead
            "talk_recipients": selectors.talk_request_recipients(school),
            "safeguarding_set": selectors.talk_requests_reach_safeguarding_lead(school),
        },
    )


@login_required
def school_safeguarding(request, school_pk: int):
    """The school lead names the safeguarding lead pupils are told about, where pupils find
    them, and the shared safeguarding inbox (staff accounts are marked on the staff page)."""
    school = _school_for_manager(request, school_pk)
    initial = {name: getattr(school, name) for name in services.SAFEGUARDING_FIELDS}
    form = SafeguardingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.school_safeguarding_update(actor=request.user, school=school, **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Safeguarding details saved.")
            return redirect("accounts:school_staff", school_pk=school.pk)
    return render(request, "accounts/school_safeguarding.html", {"school": school, "form": form})


SAFEGUARDING_ACTIONS = {
    "dsl": Membership.Safeguarding.DSL,
    "deputy": Membership.Safeguarding.DEPUTY,
    "not_safeguarding": Membership.Safeguarding.NONE,
}


@login_required
@require_POST
def membership_action(request, membership_pk: int, action: str):
    membership = get_object_or_404(Membership.objects.select_related("school", "user"), pk=membership_pk)
    _school_for_manager(request, membership.school_id)
    try:
        if action == "approve":
            services.membership_approve(actor=request.user, membership=membership)
            messages.success(request, f"{membership.user.email} can now set up classes.")
        elif action == "revoke":
            services.membership_revoke(actor=request.user, membership=membership)
            messages.success(request, f"{membership.user.email} no longer has access to {membership.school.name}.")
        elif action in SAFEGUARDING_ACTIONS:
            services.membership_set_safeguarding_role(
                actor=request.user, membership=membership, safeguarding_role=SAFEGUARDING_ACTIONS[action]
            )
            if SAFEGUARDING_ACTIONS[action] == Membership.Safeguarding.DSL:
                messages.success(request, f"{membership.user.email} is now the designated safeguarding lead.")
            elif SAFEGUARDING_ACTIONS[action]:
                messages.success(request, f"{membership.user.email} is now a deputy safeguarding lead.")
            else:
                messages.success(request, f"{membership.user.email} no longer hears of pupils' requests to talk.")
        elif action in Membership.Role.values:
            services.membership_set_role(actor=request.user, membership=membership, role=action)
            messages.success(request, f"{membership.user.email} is now a {membership.get_role_display().lower()}.")
        else:
            raise PermissionDenied
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect("accounts:school_staff", school_pk=membership.school_id)


@login_required
@require_POST
def invitation_revoke(request, invitation_pk: int):
    invitation = get_object_or_404(Invitation, pk=invitation_pk)
    _school_for_manager(request, invitation.school_id)
    services.invitation_revoke(actor=request.user, invitation=invitation)
    messages.success(request, f"Invitation to {invitation.email} cancelled.")
    return redirect("accounts:school_staff", school_pk=invitation.school_id)


@login_required
def invite_school_lead(request):
    """VRU officers invite a school's lead (the first person at a school)."""
    if not selectors.can_invite_school_leads(request.user):
        raise PermissionDenied
    form = OfficerInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.invitation_create(
                inviter=request.user,
                school=form.cleaned_data["school"],
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            form.add_error("email", error.messages[0])
        else:
            messages.success(request, f"Invitation sent to {form.cleaned_data['email']}.")
            return redirect("accounts:invite_school_lead")
    return render(request, "accounts/invite_school_lead.html", {"form": form})
