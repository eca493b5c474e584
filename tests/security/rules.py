"""The vocabulary of the authorization policy (``policy.py``): roles, outcome classes and
policy entries. Plain data with no Django import, so the policy reads as a table.

An outcome class says what a role gets from one request, specific enough that a
regression shows: "ok" is any 2xx; "login" is a redirect to allauth's sign-in page;
"logged out, to sign-in" is that redirect from a request that also ended the session
(what a VRU session that never passed its second factor gets on every path but
sign-out: the matrix checks in the session store that the session the browser sent,
and the one it was handed back, name no user any more); 403, 404, 405, 410 and 400 are
those statuses;
``redirect("/staff/")`` is a redirect whose target path is exactly that (``*`` matches
any run of characters: ``"/admin/pages/*/edit/"``). Anything else observed (a 500 or an exception,
a 3xx to somewhere unexpected) matches no class and shows in the diff as it was seen.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field

ROLES: tuple[str, ...] = (
    "anonymous",  # no session at all
    "pupil",  # joined an open window with the class code and entered a card; no account
    "pending_teacher",  # signed up at school A, not approved yet
    "teacher_a",  # approved teacher at school A, teaches class_a
    "teacher_b",  # approved teacher at school B, teaches class_b: must see nothing of A's
    "lead_a",  # approved school lead at school A
    "editor",  # VRU content editor (second factor passed in this session)
    "moderator",  # VRU moderator
    "officer",  # VRU officer
    "analyst",  # VRU analyst
    "platform_admin",  # VRU platform admin (Django staff flag)
    "superuser",  # Django superuser
    "officer_no_mfa",  # VRU officer with an authenticator who typed only the password this session
)

LOGIN_PATH = "/accounts/login/"


@dataclass(frozen=True)
class Outcome:
    """One class of answer. ``status`` is the exact status, or None for "any 2xx";
    ``to`` the redirect targets (paths, ``*`` for any characters);
    ``refusal`` whether the request was refused, in which case it must write nothing;
    ``signs_out`` whether the request must also have ended the signed-in session
    (``signed_out`` as the matrix observed it: None when it was not signed in)."""

    name: str
    status: int | None = None
    to: tuple[str, ...] = ()
    refusal: bool = True
    alternatives: tuple[Outcome, ...] = ()
    signs_out: bool = False

    def __str__(self) -> str:
        return self.name

    def matches(self, status: int, location: str | None, *, signed_out: bool | None = None) -> bool:
        if self.alternatives:
            return any(
                alternative.matches(status, location, signed_out=signed_out) for alternative in self.alternatives
            )
        if self.signs_out and signed_out is not True:
            return False
        if self.status is None:
            return 200 <= status < 300
        if status != self.status:
            return False
        if not self.to:
            return True
        if location is None:
            return False
        return any(fnmatch.fnmatchcase(location, target) for target in self.to)


OK = Outcome("ok", refusal=False)
LOGIN = Outcome("login", 302, (LOGIN_PATH,))
# A VRU account with an authenticator whose session never passed the second factor (a
# password-only login by any path): signed out and sent to allauth's sign-in, which asks
# for the code (accounts.middleware.RequireMFAMiddleware). Nothing is shown first, not even
# allauth's own pages: such a session must not manage authenticators, e-mail or sessions.
LOGGED_OUT = Outcome("logged out, to sign-in", 302, (LOGIN_PATH,), signs_out=True)
BAD_REQUEST = Outcome("400", 400)
FORBIDDEN = Outcome("403", 403)
NOT_FOUND = Outcome("404", 404)
NOT_ALLOWED = Outcome("405", 405)
GONE = Outcome("410", 410)
TOO_MANY = Outcome("429", 429)


def one_of(*outcomes: Outcome, name: str = "") -> Outcome:
    """Any of several classes, for a cell whose fix may take one of a few honest forms
    (e.g. a 404 or a clear page). A refusal only if every alternative is one."""
    return Outcome(
        name or " | ".join(o.name for o in outcomes),
        refusal=all(o.refusal for o in outcomes),
        alternatives=tuple(outcomes),
    )


def redirect(*targets: str, status: int = 302, refused: bool = False) -> Outcome:
    """A redirect somewhere other than sign-in: ``redirect("/staff/")``,
    ``redirect("/admin/*")`` for anywhere under /admin/. ``refused=True`` for a redirect
    that turns the request away (e.g. Wagtail's "no permission" back to the dashboard):
    such a request must write nothing."""
    label = "refused, to" if refused else "redirect"
    return Outcome(f"{label} {' | '.join(targets)}", status, tuple(targets), refusal=refused)


# Named refusals and answers used across the policy.
DASHBOARD = redirect("/admin/", refused=True)  # Wagtail: "Sorry, you do not have permission", back to the dashboard
ADMIN_LOGIN = Outcome("login via /admin/login/", 302, ("/admin/login/",))  # Wagtail's catch-all, then allauth
DJANGO_ADMIN_LOGIN = Outcome("django-admin login", 302, ("/django-admin/login/",))  # Django admin, then allauth
UNSUPPORTED = Outcome("415", 415)
DELIBERATE_500 = Outcome("deliberate 500", 500)
# An authorised user's empty or malformed form: refused with a 400, or the form shown again
# with its errors (200). Never a 500.
INVALID = one_of(BAD_REQUEST, OK, name="400 | form errors")
# Google/Microsoft sign-in when SSO is not configured: a 404 or a clear page, never a 500
# and never a redirect to the provider.
SSO_OFF = one_of(NOT_FOUND, OK, Outcome("401", 401), name="404 | clear page")


def roles(default: Outcome | None = None, **by_role: Outcome) -> dict[str, Outcome]:
    """Every role's outcome: ``default`` for those not named. Unknown role names fail."""
    unknown = set(by_role) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    table = {role: by_role.get(role, default) for role in ROLES}
    missing = [role for role, outcome in table.items() if outcome is None]
    if missing:
        raise ValueError(f"no outcome for roles {missing}")
    return table


def but(base: Mapping[str, Outcome], **by_role: Outcome) -> dict[str, Outcome]:
    """``base`` with some roles changed: ``but(SCHOOL_STAFF, lead_a=OK)``."""
    unknown = set(by_role) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles: {sorted(unknown)}")
    return {**base, **by_role}


@dataclass(frozen=True)
class Entry:
    """The policy for one URL pattern, or a group of patterns treated alike.

    ``match`` is a pattern key (the route as Django joins it, e.g.
    ``"classes/<id:pk>/edit/"``; duplicates get ``" (name)"`` appended), a glob over
    keys (``"admin/snippets/lessons/theme/*"``), or a tuple of either. Every concrete pattern must match exactly
    one entry. ``get`` is each role's outcome for a GET; ``post``, for views that write,
    each role's outcome for a POST with a valid CSRF token (refused POSTs must write
    nothing). ``params`` fills path parameters: a name from ``World.ids`` (``"class_a"``)
    or a literal (a literal must not be spelled like an id name); ``url`` replaces the built URL for regex patterns
    (``"/documents/{document}/{document_filename}"``). ``query`` is appended as given.
    ``shadowed`` marks a pattern an earlier one hides (its URL reaches the earlier view).
    ``why`` is the reason, for the reviewer.
    """

    match: str | tuple[str, ...]
    get: Mapping[str, Outcome]
    post: Mapping[str, Outcome] | None = None
    params: Mapping[str, object] = field(default_factory=dict)
    url: str | None = None
    query: str = ""
    shadowed: bool = False
    why: str = ""

    def __post_init__(self):
        for method, table in (("get", self.get), ("post", self.post)):
            if table is not None and set(table) != set(ROLES):
                raise ValueError(f"{self.match}: {method} must name every role once (use roles()/but())")
