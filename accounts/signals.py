"""After login: start the session clock. After enrolling a second factor: count it as used
in this session. After sign-up: accept the invitation that brought the user here; once the
address is verified, ask to join the school whose domain it belongs to."""

from __future__ import annotations

from allauth.account.internal.flows.login import record_authentication
from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed, user_signed_up
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from . import selectors, services
from .middleware import SessionLifetimeMiddleware


@receiver(user_logged_in)
def start_session_clock(sender, request, user, **kwargs):
    """The absolute session cap counts from the moment of login."""
    if request is not None and hasattr(request, "session"):
        SessionLifetimeMiddleware.start(request.session)


@receiver(authenticator_added)
def count_enrolment_as_second_factor(sender, request, user, authenticator, **kwargs):
    """Enrolling TOTP or a security key in this session counts as passing the second factor
    here (``middleware.passed_second_factor``): allauth stores the authenticator only after
    the user has typed a valid code from it (or signed a WebAuthn challenge with it), which
    is exactly what its 2FA challenge checks at sign-in. Without this record the
    middleware would sign a freshly enrolled user out. The record is allauth's own
    (``record_authentication``), in the format its challenge writes. Recovery codes, which
    allauth generates on its own, are not a proof of anything and are not counted."""
    if request is None or authenticator.type not in (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN):
        return
    if getattr(request, "user", None) is None or request.user.pk != user.pk:
        return
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type, enrolled=True)


@receiver(user_signed_up)
def join_school_after_signup(sender, request, user, **kwargs):
    """An invitation link proves the address, so it is accepted at once. A sign-up with a
    school's allowed domain asks to join only once the address is verified
    (``ask_to_join_once_verified``): until then anyone could type a teacher's address and
    have the school lead e-mailed about them."""
    token = request.session.pop("upstream_invitation", None) if request is not None else None
    if token:
        invitation = services.invitation_for_token(token)
        if invitation is not None and invitation.email == user.email:
            services.invitation_accept(token=token, user=user)
            return
    if EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists():
        _ask_to_join_by_domain(user)


@receiver(email_confirmed)
def ask_to_join_once_verified(sender, request, email_address, **kwargs):
    """The address has just been verified: now create the pending membership and e-mail
    the school lead. Only for the account's own login address and only for someone not
    yet at any school (a confirmed second address changes nothing)."""
    user = email_address.user
    if email_address.email.lower() == user.email.lower():
        _ask_to_join_by_domain(user)


def _ask_to_join_by_domain(user) -> None:
    if user.memberships.exists():
        return
    schools = selectors.schools_for_email(user.email)
    if len(schools) == 1:
        services.membership_request(user=user, school=schools[0])
