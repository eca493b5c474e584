"""Request-level security rules that allauth and django-csp do not provide themselves."""

from __future__ import annotations

import time

from allauth.account.authentication import get_authentication_records
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import add_never_cache_headers

from .roles import is_vru_staff, requires_mfa

# Static assets need no session rule. Everything else a user who must use a second factor
# reaches is decided by view name (``RequireMFAMiddleware``), not by path prefix: a prefix
# such as /accounts/ would also let a password-only session remove or replace the
# authenticator it never proved it holds.
_MFA_EXEMPT_PREFIXES = ("/static/", "/favicon")
# Someone who has no second factor yet may only enrol one (allauth asks for the password
# again before adding it) or sign out.
_ENROLMENT_VIEWS = frozenset(
    {"mfa_index", "mfa_activate_totp", "mfa_add_webauthn", "account_reauthenticate", "account_logout"}
)
# Someone who has a second factor but did not use it in this session may only sign out.
_SECOND_FACTOR_MISSING_VIEWS = frozenset({"account_logout"})

SIGN_IN_AGAIN = (
    "VRU accounts must sign in with their password and a code from their authenticator app. Please sign in again."
)


def passed_second_factor(request, user) -> bool:
    """Whether this session completed a second factor for ``user``.

    allauth records every authentication step in the session
    (``allauth.account.authentication.get_authentication_records``, bound to the user id):
    its 2FA challenge records ``{"method": "mfa", "type": "totp", ...}``, and
    ``accounts.signals.count_enrolment_as_second_factor`` records the same when a user
    enrols TOTP or a security key in this session. A login that skipped allauth's stages
    (any other password form) has no such record, whatever the user has enrolled.
    """
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, user))


def _view_name(request) -> str | None:
    try:
        return resolve(request.path_info).view_name
    except Resolver404:
        return None


class RequireMFAMiddleware:
    """docs/decisions.md#5: a second factor is mandatory for VRU staff, superusers and anyone with
    admin access (``roles.requires_mfa``), and it must have been used in this session.
    allauth has no switch for either rule, so:

    - without an authenticator, every request except enrolment and sign-out is sent to
      TOTP enrolment;
    - with one, but no second-factor record in this session (a password-only login by
      any path), the session is ended and the user sent to sign in again, through
      allauth's form, which asks for the code.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(_MFA_EXEMPT_PREFIXES)
            and requires_mfa(user)
            and not passed_second_factor(request, user)
        ):
            view = _view_name(request)
            if not is_mfa_enabled(user, ["totp", "webauthn"]):
                if view not in _ENROLMENT_VIEWS:
                    messages.warning(
                        request,
                        "VRU accounts must use two-factor authentication. Set up an authenticator app to continue.",
                    )
                    return redirect(f"{reverse('mfa_activate_totp')}?next={request.get_full_path()}")
            elif view not in _SECOND_FACTOR_MISSING_VIEWS:
                next_url = request.get_full_path()
                logout(request)
                messages.warning(request, SIGN_IN_AGAIN)
                return redirect_to_login(next_url)
        return self.get_response(request)


class NoStoreForSignedInMiddleware:
    """Every response to a signed-in user may name staff, classes or pupils' card codes
    (talk requests, withdrawal, staff lists), so no browser or proxy may keep a copy:
    ``Cache-Control: no-store, private`` (Django's never-cache headers). It sits right after
    the authentication middleware, so the redirects of the session and second-factor rules
    and the response that signs someone in or out are covered too. Pupils are never signed
    in: their headers stay exactly as their views set them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        response = self.get_response(request)
        user = getattr(request, "user", None)  # login and logout replace request.user
        if signed_in or (user is not None and user.is_authenticated):
            add_never_cache_headers(response)
        return response


class AdminContentSecurityPolicyMiddleware:
    """docs/decisions.md#4: the strict policy applies everywhere except the Wagtail and Django
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
