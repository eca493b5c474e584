"""The authorization policy: for every URL pattern, what each role gets.

This file is the table the authorization matrix (``test_authorization_matrix.py``) checks
the running platform against. It states how the platform SHOULD behave (least privilege,
README "Security and privacy decisions"), not merely how it behaves today.

The roles are listed in ``rules.ROLES``; the outcome classes ("ok", "login", "mfa", 403,
404, 405, redirects...) in ``rules.py``. The ids that fill path parameters (``class_a``,
``window_a``...) are made in ``world.py``: school A owns every school-scoped object, so
``teacher_b`` (school B) must get a 404 for each of them.

Adding a page
-------------
A URL pattern with no entry here fails the build (``test_every_url_pattern_has_exactly_one_policy_entry``),
so every new page has to be thought about. To add one:

1. Find its key: the route as Django joins it, e.g. ``"classes/<id:pk>/report/"`` (the
   failing test prints it).
2. Add an ``Entry`` in the right section below with ``get=`` a table for every role (build
   it with a helper such as ``school_object()`` or ``wagtail_admin()``, or ``roles()`` /
   ``but()`` for anything unusual), and, if the view writes, ``post=`` the table for a POST
   with a valid CSRF token. Refused POSTs are checked to write nothing.
3. Give any path parameter a value with ``params={"pk": "class_a"}`` (a name from
   ``world.py``'s ``ids``, or a literal), ``url=`` for a regex route, and a ``why=``.
4. Run ``pytest tests/security`` and read the diff: every cell that differs is listed as
   pattern, role, method, expected, got.

Patterns that behave alike may share one entry (a tuple of keys, or a glob such as
``"admin/snippets/lessons/theme/*"``), but each concrete pattern must match exactly one
entry, and every one of them is still requested.
"""

from __future__ import annotations

from .rules import (
    ADMIN_LOGIN,
    BAD_REQUEST,
    DASHBOARD,
    DELIBERATE_500,
    DJANGO_ADMIN_LOGIN,
    FORBIDDEN,
    INVALID,
    LOGGED_OUT,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    ROLES,
    SSO_OFF,
    UNSUPPORTED,
    Entry,
    Outcome,
    but,
    one_of,
    redirect,
    roles,
)

# --- Who is who -------------------------------------------------------------------------

SIGNED_OUT = ("anonymous", "pupil")  # no account: a pupil never has one
SCHOOL_STAFF = ("pending_teacher", "teacher_a", "teacher_b", "lead_a")
APPROVED_STAFF = ("teacher_a", "teacher_b", "lead_a")
VRU = ("editor", "moderator", "officer", "analyst", "platform_admin", "superuser")  # second factor passed
NO_SECOND_FACTOR = "officer_no_mfa"

# VRU roles by what accounts/roles.py, lessons and surveys/roles.py grant them.
CONTENT = ("editor", "moderator", "superuser")  # lesson pages, documents and images
MODERATION = ("moderator", "superuser")  # publish, unpublish, move, lock pages
ORG_VIEWERS = ("officer", "analyst", "platform_admin", "superuser")  # view schools and authorities
ORG_MANAGERS = ("officer", "platform_admin", "superuser")  # schools, memberships, invitations
PLATFORM = ("platform_admin", "superuser")  # users, groups, sites, authorities
SUPERUSER = ("superuser",)
INSTRUMENT_EDITORS = ("editor", "moderator", "platform_admin", "superuser")
# Publishing an instrument version is a moderator's (or officer's) act, like publishing a
# page (issue 7): editors draft, they do not publish.
INSTRUMENT_PUBLISHERS = ("moderator", "officer", "superuser")
IMPORTERS = ("officer", "platform_admin", "superuser")  # paper surveys
READERS = ("officer", "analyst", "superuser")  # read-only programmes, lessons, participation
ANALYSTS = ("analyst",)  # record-level exports: the role itself, never implied by superuser
LEAD_INVITERS = ("officer", "platform_admin", "superuser")  # accounts.invite_school_lead
SCHOOL_A_MANAGERS = ("lead_a", "officer", "platform_admin", "superuser")  # approve, invite at A
DJANGO_STAFF = ("platform_admin", "superuser")  # the Django admin's staff flag
NOT_DJANGO_STAFF = (*SIGNED_OUT, *SCHOOL_STAFF, "editor", "moderator", "officer", "analyst")

UNAUTHORISED = Outcome("401", 401)
SIGNS_OUT = Outcome("signed out, to /", 302, ("/",), refusal=False, signs_out=True)
MOVED = Outcome("301", 301)

# Path parameters whose name says what they are. ``pk`` means something different in
# every view, so entries give it themselves.
DEFAULT_PARAMS: dict[str, object] = {
    "group_id": "class_a",
    "delivery_pk": "delivery_a",
    "school_pk": "school_a",
    "membership_pk": "membership_pending",
    "invitation_pk": "invitation_a",
    "token": "invitation_token",
    "action": "approve",
    "page_id": "lesson",
    "parent_page_id": "programme",
    "page_to_move_id": "lesson",
    "destination_id": "programme",
    "content_type_app_name": "lessons",
    "content_type_model_name": "lessonpage",
    "revision_id": "lesson_revision",
    "task_state_id": "task_state",
    "action_name": "approve",
    "task_id": "task",
    "workflow_state_id": "workflow_state",
    "collection_id": "collection",
    "page_pk": "programme",
    "workflow_pk": "workflow",
    "session_id": "editing_session",
    "version_id": "version",
    "number": 1,
    "no": 1,
    "document_id": "document",
    "doc_id": "document",
    "image_id": "image",
    "uploaded_file_id": "upload",
    "filter_spec": "original",
    "restriction_id": "collection_restriction",
    "page_view_restriction_id": "page_restriction",
    "uidb64": "MQ",
}


# --- Table builders ---------------------------------------------------------------------
# Each returns an outcome for every role. A VRU session that has not passed its second
# factor is signed out and sent to sign in on every path but sign-out
# (``rules.LOGGED_OUT``), allauth's own pages included.


def _table(**by_role: Outcome) -> dict[str, Outcome]:
    return roles(**by_role)


def everyone(outcome: Outcome, **overrides: Outcome) -> dict[str, Outcome]:
    """The same for every role (a public page); the officer who skipped the second factor is
    still signed out first."""
    return but(roles(outcome, officer_no_mfa=LOGGED_OUT), **overrides)


def signed_in(ok: Outcome = OK, *, out: Outcome = LOGIN, **overrides: Outcome) -> dict[str, Outcome]:
    """Any account may use it; no account is sent to sign in."""
    return but(roles(ok, anonymous=out, pupil=out, officer_no_mfa=LOGGED_OUT), **overrides)


def lesson_audience(ok: Outcome = OK, *, out: Outcome = LOGIN, **overrides: Outcome) -> dict[str, Outcome]:
    """Lesson content (pages, plans, packs, documents): approved school staff and VRU
    roles; a teacher still waiting for approval is refused."""
    return signed_in(ok, out=out, pending_teacher=FORBIDDEN, **overrides)


def school_page(
    ok: Outcome = OK, *, who: tuple[str, ...] = APPROVED_STAFF, refused: Outcome = FORBIDDEN, **overrides: Outcome
) -> dict[str, Outcome]:
    """A school staff page (``approved_staff_required``): ``who`` get ``ok``; a pending
    teacher and VRU roles (who have no school) get 403, as does anyone else refused."""
    table = roles(FORBIDDEN, anonymous=LOGIN, pupil=LOGIN, officer_no_mfa=LOGGED_OUT)
    for role in SCHOOL_STAFF:
        table[role] = ok if role in who else refused
    return but(table, **overrides)


def school_a_object(ok: Outcome = OK, **overrides: Outcome) -> dict[str, Outcome]:
    """One of school A's classes, windows, deliveries...: its teacher and its lead; a
    teacher of school B gets 404 (tenancy: another school's ids do not exist for them)."""
    return school_page(ok, who=("teacher_a", "lead_a"), teacher_b=NOT_FOUND, **overrides)


def wagtail_admin(
    who: tuple[str, ...] = VRU, ok: Outcome = OK, *, refused: Outcome = DASHBOARD, **overrides: Outcome
) -> dict[str, Outcome]:
    """A Wagtail admin view: ``who`` get ``ok``; other VRU roles are turned back to the
    dashboard; school staff and people without an account are sent to sign in."""
    table = roles(LOGIN, officer_no_mfa=LOGGED_OUT)
    for role in VRU:
        table[role] = ok if role in who else refused
    return but(table, **overrides)


def django_admin(
    ok: Outcome = OK, who: tuple[str, ...] = DJANGO_STAFF, *, refused: Outcome = FORBIDDEN, **overrides: Outcome
) -> dict[str, Outcome]:
    """A Django admin view: only Django staff get in (``who`` of them get ``ok``, the
    others 403); everyone else is sent to the Django admin's login, which is allauth's."""
    table = roles(DJANGO_ADMIN_LOGIN, officer_no_mfa=LOGGED_OUT)
    for role in DJANGO_STAFF:
        table[role] = ok if role in who else refused
    return but(table, **overrides)


def accounts_page(ok: Outcome = OK, *, out: Outcome = LOGIN, **overrides: Outcome) -> dict[str, Outcome]:
    """allauth's own pages. A VRU session with an authenticator that did not pass its
    second factor is signed out here too (only sign-out itself is left to it): a
    password-only session must not change the password, e-mail addresses, sessions or the
    authenticators it never proved it holds. It signs in again through allauth's form,
    which asks for the code."""
    return but(roles(ok, anonymous=out, pupil=out, officer_no_mfa=LOGGED_OUT), **overrides)


BACK_TO_CLASS_CODE = redirect("/go/")


def pupil_page(ok: Outcome = OK, *, others: Outcome = BACK_TO_CLASS_CODE, **overrides: Outcome) -> dict[str, Outcome]:
    """A step of the pupil survey: the pupil session gets ``ok``; a session that has not
    joined (everyone else) is sent back to the class-code page."""
    return everyone(others, pupil=ok, **overrides)


# --- The policy -------------------------------------------------------------------------

ENTRIES: list[Entry] = [
    # ============================ allauth: sign-in, 2FA, SSO ============================
    Entry(
        "accounts/login/",
        get=accounts_page(redirect("/staff/"), out=OK),
        post=accounts_page(redirect("/staff/"), out=OK),
        why="The one login path (docs/decisions.md#5). Signed-in people are sent on to the staff home.",
    ),
    Entry(
        "accounts/logout/",
        get=accounts_page(OK, out=redirect("/"), officer_no_mfa=OK),
        post=accounts_page(SIGNS_OUT, out=redirect("/"), officer_no_mfa=SIGNS_OUT),
        why="Sign-out asks first on GET; POST signs out. The one page a session that skipped its "
        "second factor may still use.",
    ),
    Entry(
        (
            "accounts/inactive/",
            "accounts/confirm-email/",
            "accounts/password/reset/done/",
            "accounts/password/reset/key/done/",
        ),
        get=accounts_page(OK, out=OK),
        why="Information pages with nothing personal on them.",
    ),
    Entry(
        "accounts/signup/",
        get=accounts_page(redirect("/staff/"), out=OK),
        post=accounts_page(redirect("/staff/"), out=OK),
        why="Sign-up is for people without an account; an empty form is shown again with errors.",
    ),
    Entry(
        ("accounts/reauthenticate/", "accounts/password/change/", "accounts/3rdparty/"),
        get=accounts_page(OK),
        post=accounts_page(OK),
        why="Own-account pages; an empty form is shown again with errors.",
    ),
    Entry(
        "accounts/email/",
        get=accounts_page(OK),
        post=accounts_page(redirect("/accounts/email/")),
        why="Own e-mail addresses.",
    ),
    Entry(
        "accounts/password/set/",
        get=accounts_page(redirect("/accounts/password/change/")),
        post=accounts_page(redirect("/accounts/password/change/")),
        why="Everyone here has a password already.",
    ),
    Entry(
        "accounts/password/reset/",
        get=accounts_page(OK, out=OK),
        post=accounts_page(OK, out=OK),
        why="Anyone may ask for a reset; allauth never says whether the address exists.",
    ),
    Entry(
        "accounts/login/code/confirm/",
        get=accounts_page(redirect("/staff/")),
        post=accounts_page(redirect("/staff/")),
        why="Only during a login by code, which nobody here is in the middle of.",
    ),
    Entry(
        "accounts/confirm-email/(?P<key>[-:\\w]+)/$",
        url="/accounts/confirm-email/not-a-real-key/",
        get=accounts_page(OK, out=OK),
        post=accounts_page(NOT_FOUND, out=NOT_FOUND),
        why="A wrong key shows 'link invalid' and confirms nothing.",
    ),
    Entry(
        "accounts/password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$",
        url="/accounts/password/reset/key/1-not-a-real-key/",
        get=accounts_page(OK, out=OK),
        post=accounts_page(OK, out=OK),
        why="A wrong key shows 'link invalid' and changes no password.",
    ),
    Entry(
        ("accounts/2fa/", "accounts/2fa/webauthn/"),
        get=accounts_page(OK),
        why="Own two-factor settings.",
    ),
    Entry(
        "accounts/2fa/authenticate/",
        get=accounts_page(redirect("/staff/")),
        post=accounts_page(redirect("/staff/")),
        why="Only during a login that waits for its code.",
    ),
    Entry(
        "accounts/2fa/reauthenticate/",
        get=accounts_page(OK, **dict.fromkeys(SCHOOL_STAFF, redirect("/accounts/reauthenticate/"))),
        post=accounts_page(OK, **dict.fromkeys(SCHOOL_STAFF, redirect("/accounts/reauthenticate/"))),
        why="Re-authenticate with the second factor; people without one use their password instead.",
    ),
    Entry(
        (
            "accounts/2fa/totp/activate/",
            "accounts/2fa/recovery-codes/generate/",
            "accounts/2fa/webauthn/add/",
            "accounts/2fa/webauthn/reauthenticate/",
        ),
        get=accounts_page(redirect("/accounts/reauthenticate/")),
        post=accounts_page(redirect("/accounts/reauthenticate/")),
        why="Changing an authenticator asks for the password again first.",
    ),
    Entry(
        "accounts/2fa/totp/deactivate/",
        get=accounts_page(redirect("/accounts/reauthenticate/"), **dict.fromkeys(SCHOOL_STAFF, NOT_FOUND)),
        post=accounts_page(redirect("/accounts/reauthenticate/"), **dict.fromkeys(SCHOOL_STAFF, NOT_FOUND)),
        why="Only someone with TOTP can remove it, after re-authenticating.",
    ),
    Entry(
        ("accounts/2fa/recovery-codes/", "accounts/2fa/recovery-codes/download/"),
        get=accounts_page(NOT_FOUND),
        why="Nobody in the fixture has recovery codes.",
    ),
    Entry(
        ("accounts/2fa/webauthn/keys/<int:pk>/remove/", "accounts/2fa/webauthn/keys/<int:pk>/edit/"),
        params={"pk": "authenticator"},
        get=accounts_page(redirect("/accounts/reauthenticate/")),
        post=accounts_page(redirect("/accounts/reauthenticate/")),
        why="Changing security keys asks for the password again first (and a TOTP id is no key).",
    ),
    Entry(
        "accounts/3rdparty/login/cancelled/",
        get=accounts_page(OK, out=OK),
        why="Information page.",
    ),
    Entry(
        "accounts/3rdparty/login/error/",
        get=accounts_page(UNAUTHORISED, out=UNAUTHORISED),
        why="allauth's 'third-party login failure' page.",
    ),
    Entry(
        "accounts/3rdparty/signup/",
        get=accounts_page(LOGIN),
        post=accounts_page(LOGIN),
        why="Only during an SSO sign-up, which nobody here is in.",
    ),
    Entry(
        (
            "accounts/social/login/cancelled/",
            "accounts/social/login/error/",
            "accounts/social/signup/",
            "accounts/social/connections/",
        ),
        get=accounts_page(MOVED, out=MOVED),
        why="allauth's old addresses, moved permanently to /accounts/3rdparty/.",
    ),
    Entry(
        ("accounts/google/login/", "accounts/microsoft/login/"),
        get=accounts_page(SSO_OFF, out=SSO_OFF),
        post=accounts_page(SSO_OFF, out=SSO_OFF),
        why="SSO is not configured in the fixture (as in production without its variables): never a 500.",
    ),
    Entry(
        ("accounts/google/login/callback/", "accounts/microsoft/login/callback/", "accounts/google/login/token/"),
        get=accounts_page(SSO_OFF, out=SSO_OFF),
        post=accounts_page(SSO_OFF, out=SSO_OFF),
        why="SSO is not configured: never a 500, never a login.",
    ),
    Entry(
        "accounts/sessions/",
        get=accounts_page(OK),
        post=accounts_page(redirect("/accounts/sessions/")),
        why="Own sessions (sign out elsewhere).",
    ),
    # ============================ Staff home and school management ======================
    Entry("staff/", get=signed_in(OK), why="The staff home says what state the account is in."),
    Entry(
        "staff/join/",
        get=signed_in(OK),
        post=signed_in(OK),
        why="Ask to join a school whose domain matches; an empty form is shown again.",
    ),
    Entry(
        "staff/invite/",
        get=signed_in(FORBIDDEN, **dict.fromkeys(LEAD_INVITERS, OK)),
        post=signed_in(FORBIDDEN, **dict.fromkeys(LEAD_INVITERS, OK)),
        why="Only the VRU invites a school's leads.",
    ),
    Entry(
        "staff/invitations/<str:token>/",
        get=signed_in(FORBIDDEN, out=redirect("/accounts/signup/")),
        post=signed_in(FORBIDDEN, out=redirect("/accounts/signup/")),
        why="An invitation is for its own address only: any other account is refused.",
    ),
    Entry(
        ("staff/invitations/<id:invitation_pk>/revoke/", "staff/memberships/<id:membership_pk>/<str:action>/"),
        get=signed_in(NOT_ALLOWED),
        post=signed_in(FORBIDDEN, **dict.fromkeys(SCHOOL_A_MANAGERS, redirect("/staff/schools/*"))),
        why="School A's lead and the VRU's organisation managers approve and cancel at school A.",
    ),
    Entry(
        "staff/schools/<id:school_pk>/staff/",
        get=signed_in(FORBIDDEN, **dict.fromkeys(SCHOOL_A_MANAGERS, OK)),
        post=signed_in(FORBIDDEN, **dict.fromkeys(SCHOOL_A_MANAGERS, OK)),
        why="School A's staff list (names, e-mails): its lead and the VRU's organisation managers.",
    ),
    Entry(
        "staff/schools/<id:school_pk>/safeguarding/",
        get=signed_in(FORBIDDEN, **dict.fromkeys(SCHOOL_A_MANAGERS, OK)),
        post=signed_in(FORBIDDEN, **dict.fromkeys(SCHOOL_A_MANAGERS, redirect("/staff/schools/*"))),
        why="Where school A's pupils' requests to talk go (DSL name, inbox): its lead and organisation managers.",
    ),
    # ============================ Results for teachers and school leads =================
    Entry(
        "staff/results/",
        get=school_page(OK),
        why="Approved staff see their own classes' results (published figures only, never a pupil's).",
    ),
    Entry(
        "staff/results/classes/<id:pk>/",
        params={"pk": "class_a"},
        get=school_a_object(OK),
        why="School A's class's results: its teacher and lead only; another school's teacher gets 404.",
    ),
    Entry(
        "staff/results/schools/<id:school_pk>/",
        get=school_page(OK, who=("lead_a",), teacher_a=NOT_FOUND, teacher_b=NOT_FOUND),
        why="School A's results and each of its classes': its lead only; every teacher gets 404, its own too.",
    ),
    # ============================ Classes and the delivery log ==========================
    Entry("classes/", get=school_page(OK), why="Approved staff see their own classes."),
    Entry("classes/new/", get=school_page(OK), post=school_page(OK), why="Only approved staff set up classes."),
    Entry(
        ("classes/<id:pk>/", "classes/<id:pk>/deliveries/<id:delivery_pk>/delete/"),
        params={"pk": "class_a"},
        get=school_a_object(OK),
        why="School A's class: its teacher and lead only.",
    ),
    Entry(
        (
            "classes/<id:pk>/edit/",
            "classes/<id:pk>/deliveries/new/",
            "classes/<id:pk>/deliveries/<id:delivery_pk>/edit/",
        ),
        params={"pk": "class_a"},
        get=school_a_object(OK),
        post=school_a_object(OK),
        why="School A's class: its teacher and lead only; an empty form is shown again.",
    ),
    Entry(
        "classes/<id:pk>/archive/",
        params={"pk": "class_a"},
        get=everyone(NOT_ALLOWED),
        post=school_a_object(redirect("/classes/")),
        why="POST only; school A's class, its teacher and lead only.",
    ),
    # ============================ Lesson plans and packs ================================
    Entry(
        (
            "lesson-plans/lessons/<id:page_id>.pdf",
            "lesson-plans/packs/<id:pk>/",
            "lesson-plans/packs/<id:pk>/download/",
        ),
        params={"pk": "pack"},
        get=lesson_audience(OK),
        why="Lesson content: the same audience as lesson pages.",
    ),
    Entry(
        "lesson-plans/programmes/<id:page_id>/pack/",
        params={"page_id": "programme"},
        get=everyone(NOT_ALLOWED),
        post=lesson_audience(redirect("/lesson-plans/packs/*")),
        why="POST only: ask for a programme's pack.",
    ),
    # ============================ Pupils ================================================
    Entry(
        "go/",
        get=everyone(OK),
        post=everyone(OK),
        why="The class-code page is for anyone; a wrong or empty code is told kindly (200).",
    ),
    Entry(
        "go/card/",
        get=pupil_page(OK),
        post=pupil_page(OK),
        why="The card step only after a class code; an empty card code is told kindly.",
    ),
    Entry(
        "go/start/",
        get=pupil_page(OK),
        post=pupil_page(redirect("/go/no-thanks/")),
        why="Assent: no answer is 'no thanks', which stores nothing.",
    ),
    Entry(
        "go/q/<int:no>/",
        get=pupil_page(redirect("/go/")),
        post=pupil_page(redirect("/go/")),
        why="Questions only after assent: nobody here has assented.",
    ),
    Entry(
        "go/save/",
        get=everyone(NOT_ALLOWED),
        post=everyone(UNSUPPORTED),
        why="The JSON save endpoint refuses anything that is not JSON.",
    ),
    Entry("go/stop/", get=everyone(NOT_ALLOWED), post=everyone(redirect("/go/stopped/")), why="Stop, for anyone."),
    Entry(("go/stopped/", "go/no-thanks/"), get=everyone(OK), why="Pages that hold nothing."),
    Entry(
        ("go/thanks/", "go/talk/sent/"),
        get=pupil_page(OK),
        why="Only the pupil's own session; they show nothing they answered.",
    ),
    Entry(
        "go/talk/",
        get=everyone(NOT_ALLOWED),
        post=pupil_page(redirect("/go/talk/sent/")),
        why="'I'd like to talk to someone' from a pupil who entered a card.",
    ),
    # ============================ Survey windows (staff) ================================
    Entry(
        (
            "surveys/classes/<int:group_id>/",
            "surveys/windows/<int:pk>/",
            "surveys/windows/<int:pk>/count.json",
            "surveys/windows/<int:pk>/qr.png",
        ),
        params={"pk": "window_a"},
        get=school_a_object(OK),
        why="School A's class and window: its teacher and lead only.",
    ),
    Entry(
        ("surveys/classes/<int:group_id>/new/", "surveys/classes/<int:group_id>/cards/"),
        get=school_a_object(OK),
        post=school_a_object(OK),
        why="Open a window, print cards: school A's class, its teacher and lead only.",
    ),
    Entry(
        "surveys/windows/<int:pk>/close/",
        params={"pk": "window_a"},
        get=school_a_object(OK),
        post=school_a_object(redirect("/surveys/windows/*")),
        why="GET asks to confirm, POST closes school A's window: its teacher and lead only.",
    ),
    Entry(
        "surveys/windows/<int:pk>/recount/",
        params={"pk": "window_a"},
        get=school_page(NOT_ALLOWED),
        post=school_a_object(redirect("/surveys/windows/*")),
        why="POST only: recount school A's window, its teacher and lead only.",
    ),
    Entry(
        "surveys/talk-requests/",
        get=school_page(OK, who=("lead_a",)),
        why="Talk requests name card codes: the school's safeguarding lead and deputies, and its lead.",
    ),
    Entry(
        "surveys/withdraw/",
        get=school_page(OK, who=("lead_a",)),
        post=school_page(OK, who=("lead_a",)),
        why="Withdrawing a pupil's data by card code: the school's lead only.",
    ),
    Entry(
        "outcome-reports/schools/<id:school_pk>/",
        get=school_page(OK, who=("lead_a",), teacher_a=NOT_FOUND, teacher_b=NOT_FOUND),
        post=school_page(INVALID, who=("lead_a",), teacher_a=NOT_FOUND, teacher_b=NOT_FOUND),
        why="School A's outcome reports: its lead only; a teacher (of A or B) is told it does not exist.",
    ),
    Entry(
        ("outcome-reports/<id:pk>/", "outcome-reports/<id:pk>/download/"),
        params={"pk": "outcome_report_a"},
        get=school_page(OK, who=("lead_a",), teacher_a=NOT_FOUND, teacher_b=NOT_FOUND),
        why="School A's report, its progress and its PDF: its lead only; teachers get 404.",
    ),
    Entry(
        "surveys/talk-requests/<int:pk>/seen/",
        params={"pk": "talk_a"},
        get=school_page(NOT_ALLOWED),
        post=school_page(
            FORBIDDEN, who=(), teacher_a=NOT_FOUND, teacher_b=NOT_FOUND, lead_a=redirect("/surveys/talk-requests/")
        ),
        why="School A's talk request: only its lead marks it seen; other staff get 404.",
    ),
    # ============================ Wagtail front end and documents =======================
    Entry(
        "^((?:[\\w\\-]+/)*)$",
        url="{lesson_url}",
        get=lesson_audience(OK),
        post=lesson_audience(OK),
        why="A lesson page: signed-in approved staff and VRU roles (programme overviews are public).",
    ),
    Entry(
        "_util/login/ (upstream_frontend_login)",
        get=everyone(LOGIN),
        post=everyone(LOGIN),
        why="Wagtail's front-end login path is only a redirect to allauth's (docs/decisions.md#5), for GET and POST.",
    ),
    Entry(
        "_util/login/ (wagtailcore_login)",
        shadowed=True,
        get=everyone(LOGIN),
        post=everyone(LOGIN),
        why="Wagtail's own front-end login view, hidden behind the redirect above: it must stay unreachable.",
    ),
    Entry(
        "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/ (upstream_page_password_disabled)",
        params={"page_id": "private_page"},
        get=everyone(NOT_FOUND),
        post=everyone(NOT_FOUND),
        why="Shared-password privacy is switched off: the password form answers 404 (accounts.views).",
    ),
    Entry(
        "_util/authenticate_with_password/<int:page_view_restriction_id>/<int:page_id>/ "
        "(wagtailcore_authenticate_with_password)",
        params={"page_id": "private_page"},
        shadowed=True,
        get=everyone(NOT_FOUND),
        post=everyone(NOT_FOUND),
        why="Wagtail's own password form, hidden behind the 404 above.",
    ),
    Entry(
        "documents/(\\d+)/(.*)$",
        url="/documents/{document}/{document_filename}",
        get=lesson_audience(OK),
        why="Lesson documents: the same audience as lessons.",
    ),
    Entry(
        "documents/authenticate_with_password/<int:restriction_id>/ (upstream_document_password_disabled)",
        get=everyone(NOT_FOUND),
        post=everyone(NOT_FOUND),
        why="Shared-password privacy is switched off for collections too: 404 (accounts.views).",
    ),
    Entry(
        "documents/authenticate_with_password/<int:restriction_id>/ (wagtaildocs_authenticate_with_password)",
        shadowed=True,
        get=everyone(NOT_FOUND),
        post=everyone(NOT_FOUND),
        why="Wagtail's own password form for collections, hidden behind the 404 above.",
    ),
    # ============================ Django admin ===========================================
    Entry("django-admin/", get=django_admin(), why="Django staff only (platform admins and the superuser)."),
    Entry(
        "django-admin/login/",
        get=signed_in(FORBIDDEN, **dict.fromkeys(DJANGO_STAFF, redirect("/django-admin/"))),
        post=signed_in(FORBIDDEN, **dict.fromkeys(DJANGO_STAFF, redirect("/django-admin/"))),
        why="Replaced (accounts.views.admin_login, behind allauth's secure_admin_login): it never reads a "
        "password, so a POST cannot switch a signed-in session to another account; Django staff are sent on "
        "to the admin, others refused, visitors sent to allauth.",
    ),
    Entry(
        "django-admin/logout/",
        get=django_admin(NOT_ALLOWED, **dict.fromkeys(NOT_DJANGO_STAFF, redirect("/django-admin/", refused=True))),
        post=django_admin(SIGNS_OUT, **dict.fromkeys(NOT_DJANGO_STAFF, redirect("/django-admin/", refused=True))),
        why="Sign-out is POST only.",
    ),
    Entry(
        "django-admin/password_change/",
        get=django_admin(redirect("/accounts/password/change/")),
        post=django_admin(redirect("/accounts/password/change/")),
        why="Replaced by a redirect to allauth's change-password page, which rate-limits wrong passwords "
        "(docs/decisions.md#5); nothing is read from the POST.",
    ),
    Entry(
        ("django-admin/password_change/done/", "django-admin/jsi18n/"),
        get=django_admin(OK),
        why="Django staff only.",
    ),
    Entry("django-admin/autocomplete/", get=django_admin(FORBIDDEN), why="Needs a model to complete; refused."),
    Entry(
        "django-admin/r/<path:content_type_id>/<path:object_id>/",
        params={"content_type_id": "lesson_content_type", "object_id": "lesson"},
        get=django_admin(NOT_FOUND),
        why="'View on site' for a lesson, which has no absolute URL of its own.",
    ),
    Entry(
        "django-admin/(?P<app_label>*)/$",
        url="/django-admin/accounts/",
        get=django_admin(OK),
        why="An app's index: Django staff only. (The route lists the registered apps in registration order, "
        "so the key is matched by a glob.)",
    ),
    Entry(
        "django-admin/(?P<url>.*)$",
        url="/django-admin/no-such-page/",
        get=django_admin(NOT_FOUND, refused=NOT_FOUND),
        why="Unknown admin addresses: 404 for staff, sign-in for everyone else.",
    ),
    # ============================ Wagtail admin: core ===================================
    Entry(
        "admin/login/ (upstream_admin_login)",
        get=everyone(LOGIN),
        post=everyone(LOGIN),
        why="Wagtail's admin login is replaced by a redirect to allauth (docs/decisions.md#5).",
    ),
    Entry(
        "admin/login/ (wagtailadmin_login)",
        shadowed=True,
        get=everyone(LOGIN),
        post=everyone(LOGIN),
        why="Wagtail's own login view, hidden behind the redirect above: it must stay unreachable.",
    ),
    Entry(
        (
            "admin/",
            "admin/test404/",
            "admin/dismissibles/",
            "admin/choose-page/",
            "admin/choose-page/<int:parent_page_id>/",
            "admin/choose-page/search/",
            "admin/choose-page/chosen-multiple/",
            "admin/tag-autocomplete/",
            "admin/workflows/task_chooser/",
            "admin/workflows/task_chooser/results/",
            "admin/reports/site-history/",
            "admin/reports/site-history/results/",
        ),
        get=wagtail_admin(VRU),
        why="The dashboard and the read-only helpers every admin page uses.",
    ),
    Entry(
        "admin/failwhale/",
        get=wagtail_admin(VRU, DELIBERATE_500),
        why="Wagtail's deliberate error page for testing error reporting: admin roles only.",
    ),
    Entry(
        "admin/.*/$",
        url="/admin/no-such-admin-page/",
        get=wagtail_admin(VRU, NOT_FOUND, **dict.fromkeys((*SIGNED_OUT, *SCHOOL_STAFF), ADMIN_LOGIN)),
        why="Unknown admin addresses: 404 for admin roles, sign-in for everyone else.",
    ),
    Entry(
        ("admin/sprite/", "admin/jsi18n/"),
        get=everyone(OK),
        why="Icons and translations for the admin's login-free pages: nothing private.",
    ),
    Entry(
        (
            "admin/password_reset/",
            "admin/password_reset/done/",
            "admin/password_reset/confirm/<uidb64>/<token>/",
            "admin/password_reset/complete/",
        ),
        get=everyone(NOT_FOUND),
        post=everyone(NOT_FOUND),
        why="Wagtail's password reset is switched off: allauth's is the only one.",
    ),
    Entry(
        "admin/account/",
        get=wagtail_admin(VRU),
        post=wagtail_admin(VRU),
        why="Own admin preferences.",
    ),
    Entry(
        "admin/logout/",
        get=wagtail_admin(VRU, NOT_ALLOWED),
        post=wagtail_admin(VRU, LOGGED_OUT),
        why="Sign-out is POST only.",
    ),
    Entry(
        (
            "admin/choose-email-link/",
            "admin/choose-phone-link/",
            "admin/choose-anchor-link/",
            "admin/choose-external-link/ (upstream_choose_external_link)",
        ),
        get=wagtail_admin(VRU),
        post=wagtail_admin(VRU, INVALID),
        why="Link choosers for the rich-text editor; an empty form is refused as invalid, never a 500 "
        "(the external-link one is ours, lessons/admin_views.py: Wagtail's raised on a missing URL).",
    ),
    Entry(
        "admin/choose-external-link/ (wagtailadmin_choose_page_external_link)",
        shadowed=True,
        get=wagtail_admin(VRU),
        post=wagtail_admin(VRU, INVALID),
        why="Wagtail's external-link chooser, hidden behind ours above.",
    ),
    Entry(
        "admin/tag-autocomplete/<slug:app_name>/<slug:model_name>/",
        params={"app_name": "taggit", "model_name": "tag"},
        get=wagtail_admin(VRU),
        why="Tag suggestions (names only).",
    ),
    Entry(
        "admin/bulk/<str:app_label>/<str:model_name>/<str:action>/",
        params={"app_label": "wagtailcore", "model_name": "page", "action": "delete"},
        get=wagtail_admin(VRU, NOT_FOUND),
        post=wagtail_admin(VRU, NOT_FOUND),
        why="Bulk page actions; with no pages chosen there is nothing to act on.",
    ),
    Entry(
        "admin/editing-sessions/ping/<str:app_label>/<str:model_name>/<str:object_id>/<int:session_id>/",
        params={"app_label": "lessons", "model_name": "lessonpage", "object_id": "lesson"},
        get=wagtail_admin(VRU, NOT_ALLOWED),
        post=wagtail_admin(CONTENT, OK, refused=NOT_FOUND),
        why="'Who else is editing' pings: only for those who may edit the lesson.",
    ),
    Entry(
        "admin/editing-sessions/release/<int:session_id>/",
        get=wagtail_admin(VRU, NOT_ALLOWED),
        post=wagtail_admin(VRU, OK),
        why="Releases only the caller's own editing sessions (someone else's id releases nothing).",
    ),
    Entry("admin/block-preview/", get=wagtail_admin(VRU, NOT_FOUND), why="Needs a block to preview."),
    Entry(
        (
            "admin/settings/<slug:app_name>/<slug:model_name>/",
            "admin/settings/<slug:app_name>/<slug:model_name>/<int:pk>/",
            "admin/settings/<slug:app_name>/<slug:model_name>/<int:pk>/preview/",
        ),
        params={"app_name": "lessons", "model_name": "theme", "pk": "site"},
        get=wagtail_admin(VRU, NOT_FOUND),
        post=wagtail_admin(VRU, NOT_FOUND),
        why="No site settings are registered.",
    ),
    Entry(
        ("admin/embeds/chooser/", "admin/embeds/chooser/upload/"),
        get=wagtail_admin(VRU),
        post=wagtail_admin(VRU, INVALID),
        why="Embed chooser; an empty form is refused as invalid.",
    ),
    Entry(
        ("admin/api/main/pages/", "admin/api/main/documents/", "admin/api/main/images/"),
        get=wagtail_admin(VRU),
        why="The admin's own API lists, behind admin access (each filtered by the caller's permissions).",
    ),
    Entry(
        "admin/api/main/pages/<int:pk>/",
        params={"pk": "lesson"},
        get=wagtail_admin(CONTENT, refused=NOT_FOUND),
        why="A page through the admin API: only those with page permissions see it.",
    ),
    Entry(
        "admin/api/main/documents/<int:pk>/",
        params={"pk": "document"},
        get=wagtail_admin(VRU),
        why="Media details through the admin API (choosers show the same to every admin role).",
    ),
    Entry(
        "admin/api/main/images/<int:pk>/",
        params={"pk": "image"},  # its own id: the document's matched only while both sequences agreed
        get=wagtail_admin(VRU),
        why="Media details through the admin API (choosers show the same to every admin role).",
    ),
    Entry(
        ("admin/api/main/pages/find/", "admin/api/main/documents/find/", "admin/api/main/images/find/"),
        get=wagtail_admin(VRU, NOT_FOUND),
        why="'Find' with nothing to find.",
    ),
    Entry(
        "admin/api/main/pages/<int:pk>/action/<str:action_name>/",
        params={"pk": "lesson", "action_name": "copy"},
        get=wagtail_admin(VRU, NOT_ALLOWED),
        post=wagtail_admin(MODERATION, OK, refused=one_of(FORBIDDEN, NOT_FOUND, BAD_REQUEST, name="refused")),
        why="Page actions through the API (here: copy a live lesson beside itself): POST only, moderators.",
    ),
]


def _page_entries() -> list[Entry]:
    """Wagtail's page views. Editors write and submit lessons, moderators also publish,
    unpublish, move and lock; other VRU roles have no page permissions at all."""
    lesson = {"page_id": "lesson", "pk": "lesson"}
    return [
        Entry(
            "admin/pages/",
            get=wagtail_admin(CONTENT, editor=redirect("/admin/pages/*")),
            why="The page explorer: editors start at their section.",
        ),
        Entry(
            (
                "admin/pages/<int:parent_page_id>/",
                "admin/pages/<int:parent_page_id>/results/",
                "admin/pages/usage/<slug:content_type_app_name>/<slug:content_type_model_name>/",
                "admin/pages/usage/<slug:content_type_app_name>/<slug:content_type_model_name>/results/",
                "admin/pages/<int:page_id>/usage/",
                "admin/pages/search/",
                "admin/pages/search/results/",
                "admin/pages/<int:page_id>/revisions/<int:revision_id>/view/",
                "admin/pages/<int:page_id>/workflow_history/",
                "admin/pages/<int:page_id>/history/",
                "admin/pages/<int:page_id>/history/results/",
                "admin/reports/workflow/",
                "admin/reports/workflow/results/",
                "admin/reports/workflow_tasks/",
                "admin/reports/workflow_tasks/results/",
                "admin/reports/aging-pages/",
                "admin/reports/aging-pages/results/",
                "admin/reports/page-types-usage/",
                "admin/reports/page-types-usage/results/",
            ),
            params=lesson,
            get=wagtail_admin(CONTENT),
            why="Reading lesson pages and their history: those with page permissions.",
        ),
        Entry(
            "admin/pages/(?P<pk>\\d+)/revisions/compare/(?P<revision_id_a>live|earliest|\\d+)\\.\\.\\.(?P<revision_id_b>live|latest|\\d+)/$",
            url="/admin/pages/{lesson}/revisions/compare/earliest...latest/",
            get=wagtail_admin(CONTENT),
            why="Comparing revisions: those with page permissions.",
        ),
        Entry(
            (
                "admin/pages/add/<slug:content_type_app_name>/<slug:content_type_model_name>/<int:parent_page_id>/",
                "admin/pages/add/<slug:content_type_app_name>/<slug:content_type_model_name>/<int:parent_page_id>/preview/",
                "admin/pages/<int:page_id>/edit/",
                "admin/pages/<int:page_id>/edit/preview/",
                "admin/pages/<int:page_id>/revisions/<int:revision_id>/revert/",
                "admin/pages/<int:page_id>/copy/",
            ),
            params=lesson,
            get=wagtail_admin(CONTENT),
            post=wagtail_admin(CONTENT, INVALID),
            why="Writing lessons: editors and moderators. A form missing its fields is a 4xx, never a 500.",
        ),
        Entry(
            "admin/pages/<int:page_id>/view_draft/",
            params=lesson,
            get=wagtail_admin(CONTENT),
            post=wagtail_admin(CONTENT),
            why="The draft as it will look.",
        ),
        Entry(
            "admin/pages/<int:parent_page_id>/add_subpage/",
            get=wagtail_admin(CONTENT, redirect("/admin/pages/add/*")),
            post=wagtail_admin(CONTENT, redirect("/admin/pages/add/*")),
            why="A programme takes only lessons: straight to the lesson form.",
        ),
        Entry(
            "admin/pages/create/<slug:app_label>/<slug:model_name>",
            params={"app_label": "lessons", "model_name": "lessonpage"},
            get=wagtail_admin(VRU),
            post=wagtail_admin(VRU, INVALID),
            why="Choose where a new lesson goes: it offers only parents the caller may add under.",
        ),
        Entry(
            "admin/pages/<int:page_id>/delete/",
            params=lesson,
            get=wagtail_admin(MODERATION, redirect("/admin/pages/*/edit/", refused=True)),
            post=wagtail_admin(MODERATION, redirect("/admin/pages/*/edit/", refused=True)),
            why="A lesson in the delivery log cannot be deleted, only unpublished; editors cannot delete at all.",
        ),
        Entry(
            (
                "admin/pages/<int:page_id>/unpublish/",
                "admin/pages/<int:page_id>/revisions/<int:revision_id>/unschedule/",
            ),
            params=lesson,
            get=wagtail_admin(MODERATION),
            post=wagtail_admin(MODERATION, redirect("/admin/pages/*")),
            why="Unpublishing is a moderator's act.",
        ),
        Entry(
            ("admin/pages/<int:page_to_move_id>/move/", "admin/pages/<int:page_id>/privacy/"),
            params=lesson,
            get=wagtail_admin(MODERATION),
            post=wagtail_admin(MODERATION),
            why="Moving pages and setting privacy: moderators.",
        ),
        Entry(
            "admin/pages/<int:page_to_move_id>/move/<int:destination_id>/confirm/",
            get=wagtail_admin(VRU),
            post=wagtail_admin(MODERATION, redirect("/admin/pages/*")),
            why="The confirmation shows two page titles to any admin role; only moderators can move.",
        ),
        Entry(
            (
                "admin/pages/<int:page_to_move_id>/set_position/",
                "admin/pages/<int:page_id>/lock/",
                "admin/pages/<int:page_id>/unlock/",
            ),
            params=lesson,
            get=wagtail_admin(VRU, NOT_ALLOWED),
            post=wagtail_admin(MODERATION, one_of(OK, redirect("/admin/pages/*"), name="ok | back to the page")),
            why="POST only: reorder, lock and unlock are moderators' acts.",
        ),
        Entry(
            "admin/pages/<int:page_id>/convert_alias/",
            params=lesson,
            get=wagtail_admin(VRU, NOT_FOUND),
            post=wagtail_admin(VRU, NOT_FOUND),
            why="The lesson is not an alias.",
        ),
        Entry(
            (
                "admin/pages/workflow/action/<int:page_id>/<slug:action_name>/<int:task_state_id>/",
                "admin/pages/workflow/collect_action_data/<int:page_id>/<slug:action_name>/<int:task_state_id>/",
            ),
            params={"page_id": "in_review"},
            get=wagtail_admin(MODERATION, OK),
            post=wagtail_admin(MODERATION, one_of(OK, redirect("/admin/*"), name="ok | done")),
            why="Approving a lesson in review is the moderators' task; nobody else can act on it.",
        ),
        Entry(
            "admin/pages/workflow/confirm_cancellation/<int:page_id>/",
            params={"page_id": "in_review"},
            get=wagtail_admin(VRU),
            why="Explains what cancelling would do; it cancels nothing.",
        ),
        Entry(
            "admin/pages/workflow/preview/<int:page_id>/<int:task_id>/",
            params={"page_id": "in_review"},
            get=wagtail_admin(MODERATION),
            why="Previewing the revision in review: its reviewers.",
        ),
        Entry(
            "admin/pages/<int:page_id>/workflow_history/detail/<int:workflow_state_id>/",
            params={"page_id": "in_review"},
            get=wagtail_admin(CONTENT),
            why="A review's history: those with page permissions.",
        ),
        Entry(
            "admin/pages/<int:page_id>/revisions/",
            get=wagtail_admin(VRU, redirect("/admin/pages/*/history/")),
            why="An old address for the history page.",
        ),
        Entry(
            "admin/reports/locked/*",
            get=wagtail_admin(MODERATION),
            why="Locked pages: moderators.",
        ),
    ]


def _model_viewset(
    prefix: str,
    *,
    pk: str,
    view: tuple[str, ...],
    change: tuple[str, ...],
    add: tuple[str, ...],
    delete: tuple[str, ...],
    history: tuple[str, ...] | None = None,
    delete_post: Outcome | None = None,
    add_post: Outcome = INVALID,
    edit_post: Outcome = INVALID,
    copy: bool = True,
    why: str,
) -> list[Entry]:
    """The views of one Wagtail ModelViewSet: list and inspect need a view permission,
    edit and usage a change permission, history any of add, change or delete (by default
    the change table), new and copy an add permission, delete a delete permission.
    ``delete_post`` is what those allowed to delete get from a POST (by default: done,
    back to the list). ``copy=False`` for a viewset without a copy view."""
    history = history or change
    params = {"pk": pk}
    done = redirect(f"/{prefix}")
    return [
        Entry(
            (f"{prefix}", f"{prefix}results/", f"{prefix}inspect/<int:pk>/"),
            params=params,
            get=wagtail_admin(view),
            why=why,
        ),
        Entry(
            (f"{prefix}history/<int:pk>/", f"{prefix}history-results/<int:pk>/"),
            params=params,
            get=wagtail_admin(history),
            why=why,
        ),
        Entry(
            f"{prefix}usage/<int:pk>/",
            params=params,
            get=wagtail_admin(change),
            why=why,
        ),
        Entry(
            f"{prefix}edit/<int:pk>/",
            params=params,
            get=wagtail_admin(change),
            post=wagtail_admin(change, edit_post),
            why=why,
        ),
        Entry(
            (f"{prefix}new/", f"{prefix}copy/<int:pk>/") if copy else f"{prefix}new/",
            params=params,
            get=wagtail_admin(add),
            post=wagtail_admin(add, add_post),
            why=why,
        ),
        Entry(
            f"{prefix}delete/<int:pk>/",
            params=params,
            get=wagtail_admin(delete),
            post=wagtail_admin(delete, delete_post or done),
            why=why,
        ),
    ]


# Deleting a row other rows still point to is refused with a message, never a 500.
IN_USE = one_of(
    redirect("/admin/*", refused=True), FORBIDDEN, BAD_REQUEST, Outcome("409", 409), name="refused: still in use"
)


def _admin_entries() -> list[Entry]:
    entries: list[Entry] = []
    entries += _model_viewset(
        "admin/school/",
        pk="school_a",
        view=ORG_VIEWERS,
        change=ORG_MANAGERS,
        add=ORG_MANAGERS,
        delete=SUPERUSER,
        delete_post=IN_USE,
        why="Schools: officers and platform admins manage them, analysts read them.",
    )
    entries += _model_viewset(
        "admin/localauthority/",
        pk="authority",
        view=ORG_VIEWERS,
        change=PLATFORM,
        add=PLATFORM,
        delete=SUPERUSER,
        delete_post=IN_USE,
        why="Local authorities: platform admins change them.",
    )
    entries += _model_viewset(
        "admin/membership/",
        pk="membership_pending",
        view=ORG_MANAGERS,
        change=ORG_MANAGERS,
        add=PLATFORM,
        delete=PLATFORM,
        why="Memberships carry staff names and e-mails: officers and platform admins.",
    )
    entries += _model_viewset(
        "admin/invitation/",
        pk="invitation_a",
        view=ORG_MANAGERS,
        change=(),
        add=(),
        delete=SUPERUSER,
        history=SUPERUSER,
        copy=False,
        why="Invitations are read here; they are made and cancelled on the staff pages (accounts.services: "
        "token, e-mail, audit log), never in the admin: new and edit are refused to everyone, there is no copy.",
    )
    for model, pk, why in (
        ("teachinggroup", "class_a", "Classes: no VRU role holds their model permissions."),
        ("lessondelivery", "delivery_a", "The delivery log: no VRU role holds its model permissions."),
        ("programmepack", "pack", "Programme packs: no VRU role holds their model permissions."),
    ):
        entries += _model_viewset(
            f"admin/{model}/",
            pk=pk,
            view=SUPERUSER,
            change=SUPERUSER,
            add=SUPERUSER,
            delete=SUPERUSER,
            delete_post=IN_USE if model == "teachinggroup" else None,
            why=why,
        )
    entries += [
        Entry(
            (
                "admin/surveys/instruments/",
                "admin/surveys/instruments/results/",
                "admin/surveys/instruments/inspect/<int:pk>/",
            ),
            params={"pk": "instrument"},
            get=wagtail_admin(VRU),
            why="Instruments: every VRU role may read them.",
        ),
        Entry(
            (
                "admin/surveys/instruments/history/<int:pk>/",
                "admin/surveys/instruments/history-results/<int:pk>/",
                "admin/surveys/instruments/usage/<int:pk>/",
            ),
            params={"pk": "instrument"},
            get=wagtail_admin(INSTRUMENT_EDITORS),
            why="Instrument history: those who edit instruments.",
        ),
        Entry(
            ("admin/surveys/instruments/new/", "admin/surveys/instruments/edit/<int:pk>/"),
            params={"pk": "instrument"},
            get=wagtail_admin(INSTRUMENT_EDITORS),
            post=wagtail_admin(INSTRUMENT_EDITORS, INVALID),
            why="Writing instruments: editors, moderators, platform admins.",
        ),
        Entry(
            "admin/surveys/instruments/delete/<int:pk>/",
            params={"pk": "instrument"},
            get=wagtail_admin(VRU, redirect("/admin/surveys/instruments/edit/*", refused=True)),
            post=wagtail_admin(VRU, redirect("/admin/surveys/instruments/edit/*", refused=True)),
            why="An instrument with versions is never deleted: everyone is turned back to it.",
        ),
        Entry(
            ("admin/surveys/versions/", "admin/surveys/versions/results/", "admin/surveys/versions/inspect/<int:pk>/"),
            params={"pk": "version"},
            get=wagtail_admin(VRU),
            why="Instrument versions: every VRU role may read them.",
        ),
        Entry(
            (
                "admin/surveys/versions/history/<int:pk>/",
                "admin/surveys/versions/history-results/<int:pk>/",
                "admin/surveys/versions/usage/<int:pk>/",
            ),
            params={"pk": "version"},
            get=wagtail_admin(INSTRUMENT_EDITORS),
            why="Version history: those who edit instruments.",
        ),
        Entry(
            ("admin/surveys/versions/new/", "admin/surveys/versions/edit/<int:pk>/"),
            params={"pk": "draft_version"},
            get=wagtail_admin(INSTRUMENT_EDITORS),
            post=wagtail_admin(INSTRUMENT_EDITORS, INVALID),
            why="Drafting versions: editors, moderators, platform admins.",
        ),
        Entry(
            "admin/surveys/versions/delete/<int:pk>/",
            params={"pk": "draft_version"},
            get=wagtail_admin(INSTRUMENT_EDITORS),
            post=wagtail_admin(INSTRUMENT_EDITORS, redirect("/admin/surveys/versions/")),
            why="An unused draft may be deleted by those who draft.",
        ),
        Entry(
            "admin/surveys/versions/<int:pk>/publish/",
            params={"pk": "draft_version"},
            get=wagtail_admin(INSTRUMENT_PUBLISHERS),
            post=wagtail_admin(INSTRUMENT_PUBLISHERS, redirect("/admin/surveys/*")),
            why="Publishing a version is a moderator's or officer's act, never an editor's alone.",
        ),
        Entry(
            "admin/surveys/versions/<int:pk>/new-version/",
            params={"pk": "version"},
            get=wagtail_admin(INSTRUMENT_EDITORS),
            post=wagtail_admin(INSTRUMENT_EDITORS, redirect("/admin/surveys/versions/edit/*")),
            why="A new draft copy: those who draft.",
        ),
        Entry(
            ("admin/surveys/preview/<int:version_id>/", "admin/surveys/preview/<int:version_id>/page/<int:number>/"),
            get=wagtail_admin(VRU),
            why="The pupils' pages as they will look, read-only.",
        ),
        # --- Read-only views for the VRU's officers and analysts (issue 10) ---
        Entry(
            ("admin/lessons/read/", "admin/lessons/read/<id:page_id>/"),
            get=wagtail_admin(READERS),
            why="Programmes and lessons, read only: the model view permissions, no page permission.",
        ),
        Entry(
            ("admin/surveys/participation/", "admin/surveys/participation/csv/"),
            get=wagtail_admin(READERS),
            why="Delivery and participation counts across schools, and the same table as CSV.",
        ),
        # --- Outcome reports (issue 9): the regional PDF for officers and analysts ---
        Entry(
            "admin/outcome-reports/",
            get=wagtail_admin(READERS),
            post=wagtail_admin(READERS, INVALID),
            why="Ask for the regional programme report (an empty form is shown again with errors).",
        ),
        Entry(
            ("admin/outcome-reports/<int:pk>/", "admin/outcome-reports/<int:pk>/download/"),
            params={"pk": "outcome_report_region"},
            get=wagtail_admin(READERS),
            why="A regional report's progress and its PDF: suppressed aggregates of at least 3 schools.",
        ),
        Entry(
            ("admin/outcomes/", "admin/outcomes/csv/"),
            get=wagtail_admin(READERS),
            why="The outcomes dashboard (region and local authorities, 3+ schools) and the same table as CSV (issue 9).",
        ),
        Entry(
            "admin/analyst-export/",
            get=wagtail_admin(ANALYSTS),
            post=wagtail_admin(ANALYSTS, redirect("/admin/analyst-export/*")),
            why="Pseudonymised record-level data (issue 9): the analyst role only, not even a superuser without it. "
            "POST queues the background job and redirects to its status page.",
        ),
        Entry(
            ("admin/analyst-export/<id:pk>/", "admin/analyst-export/<id:pk>/download/"),
            params={"pk": "analyst_export_job"},
            get=wagtail_admin(ANALYSTS),
            why="An analyst export's progress and its ZIP: the analyst who asked for it only (another analyst: 404); "
            "a download writes an audit entry.",
        ),
        Entry(
            "admin/surveys/import/",
            get=wagtail_admin(IMPORTERS),
            post=wagtail_admin(IMPORTERS, INVALID),
            why="Paper survey import: officers and platform admins.",
        ),
        # --- Sites, users, groups, collections, workflows, snippets ---
        Entry(
            (
                "admin/sites/",
                "admin/sites/results/",
                "admin/sites/history/<int:pk>/",
                "admin/sites/history-results/<int:pk>/",
                "admin/sites/usage/<int:pk>/",
            ),
            params={"pk": "site"},
            get=wagtail_admin(PLATFORM),
            why="Sites: platform admins.",
        ),
        Entry(
            "admin/sites/edit/<int:pk>/",
            params={"pk": "site"},
            get=wagtail_admin(PLATFORM),
            post=wagtail_admin(PLATFORM, INVALID),
            why="Sites: platform admins.",
        ),
        Entry(
            ("admin/sites/new/", "admin/sites/copy/<int:pk>/"),
            params={"pk": "site"},
            get=wagtail_admin(SUPERUSER),
            post=wagtail_admin(SUPERUSER, INVALID),
            why="Only the superuser adds sites.",
        ),
        Entry(
            "admin/sites/delete/<int:pk>/",
            params={"pk": "site"},
            get=wagtail_admin(SUPERUSER),
            post=wagtail_admin(SUPERUSER, redirect("/admin/sites/")),
            why="Only the superuser deletes sites.",
        ),
        Entry(
            (
                "admin/users/",
                "admin/users/results/",
                "admin/users/history/<int:pk>/",
                "admin/users/history-results/<int:pk>/",
                "admin/users/usage/<int:pk>/",
            ),
            params={"pk": "user_spare"},
            get=wagtail_admin(PLATFORM),
            why="Only platform admins manage users (least privilege).",
        ),
        Entry(
            (
                "admin/groups/",
                "admin/groups/results/",
                "admin/groups/history/<int:pk>/",
                "admin/groups/history-results/<int:pk>/",
                "admin/groups/usage/<int:pk>/",
            ),
            params={"pk": "group"},
            get=wagtail_admin(PLATFORM),
            why="Only platform admins manage groups (least privilege).",
        ),
        Entry(
            ("admin/users/new/", "admin/users/edit/<int:pk>/", "admin/users/copy/<int:pk>/"),
            params={"pk": "user_spare"},
            get=wagtail_admin(PLATFORM),
            post=wagtail_admin(PLATFORM, INVALID),
            why="Only platform admins manage users.",
        ),
        Entry(
            "admin/users/delete/<int:pk>/",
            params={"pk": "user_spare"},
            get=wagtail_admin(PLATFORM),
            post=wagtail_admin(PLATFORM, redirect("/admin/users/")),
            why="Only platform admins delete users.",
        ),
        Entry(
            ("admin/groups/new/", "admin/groups/edit/<int:pk>/"),
            params={"pk": "group"},
            get=wagtail_admin(PLATFORM),
            post=wagtail_admin(PLATFORM, INVALID),
            why="Only platform admins manage groups.",
        ),
        Entry(
            "admin/groups/delete/<int:pk>/",
            params={"pk": "group"},
            get=wagtail_admin(PLATFORM),
            post=wagtail_admin(PLATFORM, redirect("/admin/groups/")),
            why="Only platform admins delete groups.",
        ),
        Entry(
            ("admin/collections/", "admin/collections/<int:pk>/", "admin/collections/<int:collection_id>/privacy/"),
            params={"pk": "collection"},
            get=wagtail_admin(SUPERUSER),
            why="Collections: the superuser only.",
        ),
        Entry(
            "admin/collections/add/",
            get=wagtail_admin(SUPERUSER),
            post=wagtail_admin(SUPERUSER, INVALID),
            why="Collections: the superuser only.",
        ),
        Entry(
            "admin/collections/<int:pk>/delete/",
            params={"pk": "collection"},
            get=wagtail_admin(SUPERUSER, refused=NOT_FOUND),
            post=wagtail_admin(SUPERUSER, FORBIDDEN, refused=NOT_FOUND),
            why="A collection holding documents is never deleted.",
        ),
        Entry(
            (
                "admin/workflows/list/",
                "admin/workflows/list/results/",
                "admin/workflows/usage/<int:pk>/",
                "admin/workflows/usage/<int:pk>/results/",
                "admin/workflows/tasks/index/",
                "admin/workflows/tasks/index/results/",
            ),
            params={"pk": "workflow"},
            get=wagtail_admin(SUPERUSER),
            why="Workflows: the superuser only.",
        ),
        Entry(
            ("admin/workflows/add/", "admin/workflows/edit/<int:pk>/"),
            params={"pk": "workflow"},
            get=wagtail_admin(SUPERUSER),
            post=wagtail_admin(SUPERUSER, INVALID),
            why="Workflows: the superuser only.",
        ),
        Entry(
            "admin/workflows/tasks/edit/<int:pk>/",
            params={"pk": "task"},
            get=wagtail_admin(SUPERUSER),
            post=wagtail_admin(SUPERUSER, INVALID),
            why="Workflow tasks: the superuser only.",
        ),
        Entry(
            "admin/workflows/disable/<int:pk>/",
            params={"pk": "workflow"},
            get=wagtail_admin(SUPERUSER),
            post=wagtail_admin(SUPERUSER, redirect("/admin/workflows/list/")),
            why="Workflows: the superuser only.",
        ),
        Entry(
            "admin/workflows/tasks/disable/<int:pk>/",
            params={"pk": "task"},
            get=wagtail_admin(SUPERUSER),
            post=wagtail_admin(SUPERUSER, redirect("/admin/workflows/tasks/index/")),
            why="Workflow tasks: the superuser only.",
        ),
        Entry(
            "admin/workflows/enable/<int:pk>/",
            params={"pk": "workflow"},
            get=wagtail_admin(VRU, NOT_ALLOWED),
            post=wagtail_admin(SUPERUSER, redirect("/admin/workflows/*")),
            why="POST only; the superuser only.",
        ),
        Entry(
            "admin/workflows/tasks/enable/<int:pk>/",
            params={"pk": "task"},
            get=wagtail_admin(VRU, NOT_ALLOWED),
            post=wagtail_admin(SUPERUSER, redirect("/admin/workflows/*")),
            why="POST only; the superuser only (a task's id, not a workflow's).",
        ),
        Entry(
            ("admin/workflows/remove/<int:page_pk>/", "admin/workflows/remove/<int:page_pk>/<int:workflow_pk>/"),
            get=wagtail_admin(VRU, NOT_ALLOWED),
            post=wagtail_admin(SUPERUSER, redirect("/admin/pages/*")),
            why="POST only; the superuser only.",
        ),
        Entry(
            "admin/workflows/tasks/add/<str:app_label>/<str:model_name>/",
            params={"app_label": "wagtailcore", "model_name": "groupapprovaltask"},
            get=wagtail_admin(SUPERUSER),
            post=wagtail_admin(SUPERUSER, INVALID),
            why="Workflow tasks: the superuser only.",
        ),
        Entry(
            "admin/workflows/tasks/select_type/",
            get=wagtail_admin(SUPERUSER),
            why="Two task types (Wagtail's group approval and our moderator approval): a choice.",
        ),
        Entry(
            "admin/workflows/task_chooser/create/",
            get=wagtail_admin(VRU),
            post=wagtail_admin(SUPERUSER, INVALID, refused=BAD_REQUEST),
            why="Only the superuser creates tasks; anyone else's POST is refused.",
        ),
        Entry(
            "admin/workflows/task_chooser/<int:task_id>/",
            get=wagtail_admin(VRU),
            why="Picking a task in the chooser changes nothing.",
        ),
        Entry(
            ("admin/snippets/", "admin/snippets/lessons/theme/", "admin/snippets/lessons/theme/results/"),
            get=wagtail_admin(SUPERUSER),
            why="Programme themes: no VRU role holds their permissions.",
        ),
        Entry(
            (
                "admin/snippets/lessons/theme/usage/<int:pk>/",
                "admin/snippets/lessons/theme/history/<int:pk>/",
                "admin/snippets/lessons/theme/history-results/<int:pk>/",
            ),
            params={"pk": "matrix_theme"},
            get=wagtail_admin(SUPERUSER),
            why="Programme themes: the superuser only.",
        ),
        Entry(
            (
                "admin/snippets/lessons/theme/add/",
                "admin/snippets/lessons/theme/edit/<int:pk>/",
                "admin/snippets/lessons/theme/copy/<int:pk>/",
            ),
            params={"pk": "matrix_theme"},
            get=wagtail_admin(SUPERUSER),
            post=wagtail_admin(SUPERUSER, INVALID),
            why="Programme themes: the superuser only; an empty form is refused as invalid.",
        ),
        Entry(
            "admin/snippets/choose/lessons/theme/create/",
            get=wagtail_admin(SUPERUSER, NOT_FOUND),
            post=wagtail_admin(SUPERUSER, NOT_FOUND),
            why="The theme chooser has no creation form (no 'Create' tab): after the add-permission check, "
            "404 (lessons/admin_views.py), never Wagtail's None.is_valid() 500.",
        ),
        Entry(
            "admin/snippets/lessons/theme/delete/<int:pk>/",
            params={"pk": "matrix_theme"},
            get=wagtail_admin(SUPERUSER),
            post=wagtail_admin(SUPERUSER, redirect("/admin/snippets/lessons/theme/")),
            why="Programme themes: the superuser only.",
        ),
        Entry(
            (
                "admin/snippets/choose/lessons/theme/",
                "admin/snippets/choose/lessons/theme/results/",
                "admin/snippets/choose/lessons/theme/chosen/<str:pk>/",
                "admin/snippets/choose/lessons/theme/chosen-multiple/",
            ),
            params={"pk": "matrix_theme"},
            get=wagtail_admin(VRU),
            why="Choosers list names only.",
        ),
    ]
    # --- Documents and images (media): editors and moderators ---
    for kind in ("documents", "images"):
        entries += [
            Entry(
                (f"admin/{kind}/", f"admin/{kind}/results/", f"admin/{kind}/usage/<int:{kind[:-1]}_id>/"),
                get=wagtail_admin(CONTENT),
                why=f"{kind.title()}: editors and moderators.",
            ),
            Entry(
                f"admin/{kind}/add/",
                get=wagtail_admin(CONTENT),
                post=wagtail_admin(CONTENT, INVALID),
                why=f"{kind.title()}: editors and moderators.",
            ),
            Entry(
                f"admin/{kind}/multiple/add/",
                get=wagtail_admin(CONTENT),
                post=wagtail_admin(CONTENT, INVALID),
                why="An upload with no file is refused.",
            ),
            Entry(
                (
                    f"admin/{kind}/multiple/<int:{'doc' if kind == 'documents' else 'image'}_id>/",
                    f"admin/{kind}/multiple/<int:{'doc' if kind == 'documents' else 'image'}_id>/delete/",
                ),
                get=wagtail_admin(VRU, NOT_ALLOWED),
                post=wagtail_admin(CONTENT),
                why="POST only: the multiple uploader's edit and delete, editors and moderators.",
            ),
            Entry(
                (
                    f"admin/{kind}/chooser/",
                    f"admin/{kind}/chooser/results/",
                    f"admin/{kind}/chooser/chosen/<str:pk>/",
                    f"admin/{kind}/chooser/chosen-multiple/",
                ),
                params={"pk": kind[:-1]},
                get=wagtail_admin(VRU),
                why="Choosers list titles only.",
            ),
            Entry(
                f"admin/{kind}/chooser/create/",
                get=wagtail_admin(CONTENT),
                post=wagtail_admin(CONTENT, INVALID),
                why="Uploading from a chooser: editors and moderators.",
            ),
        ]
    entries += [
        Entry(
            "admin/documents/edit/<int:document_id>/",
            get=wagtail_admin(CONTENT),
            post=wagtail_admin(CONTENT, INVALID),
            why="Documents: editors and moderators.",
        ),
        Entry(
            "admin/documents/delete/<int:document_id>/",
            get=wagtail_admin(CONTENT),
            post=wagtail_admin(CONTENT, redirect("/admin/documents/")),
            why="Documents: editors and moderators.",
        ),
        Entry(
            "admin/documents/multiple/create_from_uploaded_document/<int:uploaded_file_id>/ "
            "(upstream_create_document_from_upload)",
            get=wagtail_admin(VRU, NOT_ALLOWED),
            post=wagtail_admin(("editor",), INVALID),
            why="An upload belongs to whoever uploaded it (the editor); anyone else is refused. Ours "
            "(lessons/admin_views.py): Wagtail's raised ValueError on every POST.",
        ),
        Entry(
            "admin/documents/multiple/create_from_uploaded_document/<int:uploaded_file_id>/ "
            "(wagtaildocs:create_multiple_from_uploaded_document)",
            shadowed=True,
            get=wagtail_admin(VRU, NOT_ALLOWED),
            post=wagtail_admin(("editor",), INVALID),
            why="Wagtail's view, hidden behind ours above.",
        ),
        Entry(
            "admin/documents/multiple/delete_upload/<int:uploaded_file_id>/",
            get=wagtail_admin(VRU, NOT_ALLOWED),
            post=wagtail_admin(("editor",), OK),
            why="An upload belongs to whoever uploaded it.",
        ),
        Entry(
            ("admin/images/<int:image_id>/", "admin/images/<int:image_id>/preview/<str:filter_spec>/"),
            get=wagtail_admin(CONTENT),
            post=wagtail_admin(CONTENT, INVALID),
            why="Images: editors and moderators.",
        ),
        Entry(
            "admin/images/<int:image_id>/delete/",
            get=wagtail_admin(CONTENT),
            post=wagtail_admin(CONTENT, redirect("/admin/images/")),
            why="Images: editors and moderators.",
        ),
        Entry(
            ("admin/images/<int:image_id>/generate_url/", "admin/images/<int:image_id>/generate_url/output/"),
            get=wagtail_admin(CONTENT, NOT_FOUND),
            why="Public image URLs are not served (no image serve view).",
        ),
        Entry(
            (
                "admin/images/multiple/create_from_uploaded_image/<int:uploaded_file_id>/",
                "admin/images/multiple/delete_upload/<int:uploaded_file_id>/",
            ),
            get=wagtail_admin(VRU, NOT_ALLOWED),
            post=wagtail_admin(VRU, NOT_FOUND),
            why="The fixture's upload is a document's, not an image's.",
        ),
        Entry(
            "admin/images/chooser/<int:image_id>/select_format/",
            get=wagtail_admin(VRU),
            post=wagtail_admin(VRU, INVALID),
            why="Choosing how an image is shown changes nothing.",
        ),
    ]
    return entries


def _django_admin_entries() -> list[Entry]:
    """The Django admin's model pages. Platform admins (Django staff) manage users and
    groups there; every other model is the superuser's alone."""
    models = [
        ("auth/group", "group", DJANGO_STAFF),
        ("accounts/user", "user_spare", DJANGO_STAFF),
        ("wagtaildocs/document", "document", SUPERUSER),
        ("wagtailimages/image", "image", SUPERUSER),
        ("taggit/tag", "taggit_tag", SUPERUSER),
        ("account/emailaddress", "email_teacher_a", SUPERUSER),
        ("mfa/authenticator", "authenticator", SUPERUSER),
        ("socialaccount/socialapp", "social_app", SUPERUSER),
        ("socialaccount/socialtoken", "social_token", SUPERUSER),
        ("socialaccount/socialaccount", "social_account", SUPERUSER),
        ("usersessions/usersession", "user_session", SUPERUSER),
    ]
    entries = []
    for path, obj, who in models:
        base = f"django-admin/{path}/"
        params = {"object_id": obj}
        entries += [
            Entry(
                (base, f"{base}add/", f"{base}<path:object_id>/history/", f"{base}<path:object_id>/change/"),
                params=params,
                get=django_admin(OK, who=who),
                post=django_admin(INVALID, who=who),
                why=f"{path}: Django staff with the model permission.",
            ),
            Entry(
                f"{base}<path:object_id>/delete/",
                params=params,
                get=django_admin(OK, who=who),
                # Deleting a user also deletes rows (e-mail addresses, sessions) only the
                # superuser may delete, so a platform admin is refused here.
                post=django_admin(redirect(f"/{base}"), who=SUPERUSER if path == "accounts/user" else who),
                why=f"{path}: Django staff with the delete permission.",
            ),
            Entry(
                f"{base}<path:object_id>/",
                params=params,
                get=django_admin(redirect(f"/{base}*/change/")),
                why="The old address of the change page.",
            ),
        ]
    entries += [
        Entry(
            "django-admin/accounts/user/<id>/password/",
            params={"id": "user_spare"},
            get=django_admin(OK),
            post=django_admin(INVALID),
            why="Setting someone's password: platform admins (users) and the superuser.",
        ),
        Entry(
            "django-admin/taggit/tag/merge-tags/",
            get=django_admin(OK, who=SUPERUSER),
            post=django_admin(INVALID, who=SUPERUSER),
            why="Tags: the superuser only.",
        ),
    ]
    return entries


ENTRIES += _page_entries() + _admin_entries() + _django_admin_entries()

__all__ = ["DEFAULT_PARAMS", "ENTRIES", "ROLES"]
