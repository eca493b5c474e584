"""After login: start the session clock. After sign-up: accept the invitation that brought
the user here, or ask to join the school whose domain their e-mail belongs to."""

from __future__ import annotations

from allauth.account.signals import user_signed_up
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from . import selectors, services
from .middleware import SessionLifetimeMiddleware


@receiver(user_logged_in)
def start_session_clock(sender, request, user, **kwargs):
    """The absolute session cap counts from the moment of login."""
    if request is not None and hasattr(request, "session"):
        SessionLifetimeMiddleware.start(request.session)


@receiver(user_signed_up)
def join_school_after_signup(sender, request, user, **kwargs):
    token = request.session.pop("upstream_invitation", None) if request is not None else None
    if token:
        invitation = services.invitation_for_token(token)
        if invitation is not None and invitation.email == user.email:
            services.invitation_accept(token=token, user=user)
            return
    schools = selectors.schools_for_email(user.email)
    if len(schools) == 1:
        services.membership_request(user=user, school=schools[0])
