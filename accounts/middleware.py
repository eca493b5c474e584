"""Request-level security rules that allauth and django-csp do not provide themselves."""

from __future__ import annotations

import time

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

from .roles import is_vru_staff, requires_mfa

# Paths a VRU user without MFA may still reach: allauth (to enrol, log out, verify
# e-mail) and static assets. Everything else, the Wagtail admin and every aggregate
# included, redirects to enrolment.
_MFA_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/favicon")


class RequireMFAMiddleware:
    """Decision 5: MFA is mandatory for VRU staff, superusers and anyone with admin access
    (``roles.requires_mfa``). allauth has no switch for this, so every request from such a
    user without an authenticator is sent to TOTP enrolment until they have one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_MFA_EXEMPT_PREFIXES)
            and requires_mfa(user)
            and not is_mfa_enabled(user, ["totp", "webauthn"])
        ):
            messages.warning(
                request,
                "VRU accounts must use two-factor authentication. Set up an authenticator app to continue.",
            )
            return redirect(f"{reverse('mfa_activate_totp')}?next={request.get_full_path()}")
        return self.get_response(request)


class AdminContentSecurityPolicyMiddleware:
    """Decision 4: the strict policy applies everywhere except the Wagtail and Django
    admins, which still need inline script and style; they get a relaxed, scoped policy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(("/admin/", "/django-admin/")):
            response._csp_config = settings.ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"]
        return response


class SessionLifetimeMiddleware:
    """An absolute cap on staff sessions (8 h for VRU staff, 12 h for school staff) and a
    30-minute idle timeout for VRU staff; the cookie age gives everyone else 2 h idle.

    The clock starts at login (``accounts.signals.start_session_clock``), not at the first
    page after it, so the cap really is measured from when the password was entered.
    """

    KEY = "upstream_login_at"
    SEEN = "upstream_seen_at"
    REFRESH_SECONDS = 60

    def __init__(self, get_response):
        self.get_response = get_response

    @classmethod
    def start(cls, session) -> None:
        now = int(time.time())
        session[cls.KEY] = now
        session[cls.SEEN] = now

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            # Sessions that predate this middleware start their clock now.
            started = request.session.setdefault(self.KEY, now)
            seen = request.session.get(self.SEEN, now)
            vru = is_vru_staff(user)
            cap = settings.UPSTREAM_SESSION_ABSOLUTE_HOURS["vru" if vru else "staff"] * 3600
            idle_limit = settings.UPSTREAM_VRU_IDLE_SECONDS if vru else settings.SESSION_COOKIE_AGE
            if now - started > cap or now - seen > idle_limit:
                logout(request)
                messages.info(request, "You were signed out to keep pupils' data safe. Please sign in again.")
                return redirect(f"{reverse('account_login')}?next={request.get_full_path()}")
            if self.SEEN not in request.session or now - seen >= self.REFRESH_SECONDS:
                # Marking the session modified makes Django save it and push the cookie's
                # expiry forward: the sliding idle timeout for staff. Once a minute is
                # plenty for a 30-minute or 2-hour timeout, and pupils, who are never
                # signed in, do not rewrite their session row on every request.
                request.session[self.SEEN] = now
        return self.get_response(request)
