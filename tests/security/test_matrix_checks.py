"""The matrix's own tests: that a URL pattern added without a policy entry fails the build,
that overlapping or stale entries are caught, that outcome classes tell a refusal from an
answer, and that the diff names pattern, role, expected and got."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import include, path

from .matrix import Cell, Observed, check_coverage, enumerate_patterns, format_mismatches, request, written_tables
from .policy import ENTRIES
from .rules import DASHBOARD, FORBIDDEN, LOGGED_OUT, LOGIN, OK, Entry, redirect, roles


def _view(request):
    return HttpResponse("new page")


# The real URLs plus one new page nobody wrote a policy for.
urlpatterns = [
    path("", include("config.urls")),
    path("staff/reports/new-report/", _view, name="new_report"),
]


def test_a_new_pattern_without_a_policy_entry_fails_the_coverage_check():
    patterns = enumerate_patterns(urlconf=__name__)
    coverage = check_coverage(patterns, ENTRIES)
    assert not coverage.ok
    assert [p.key for p in coverage.unmatched] == ["staff/reports/new-report/"]
    assert "staff/reports/new-report/" in coverage.report()
    assert "no policy entry" in coverage.report()


def test_the_real_urlconf_is_fully_covered():
    """The same check passes on the project's own URLs (the build's coverage test)."""
    coverage = check_coverage(enumerate_patterns(), ENTRIES)
    assert coverage.ok, coverage.report()


def test_enumeration_reaches_included_and_namespaced_patterns():
    keys = {p.key: p for p in enumerate_patterns()}
    assert keys["classes/<id:pk>/"].name == "lessons:group_detail"
    assert keys["go/card/"].name == "surveys:pupil_card"  # an include inside an include
    assert keys["admin/surveys/versions/<int:pk>/publish/"].name == "surveys_admin:publish"
    assert "django-admin/accounts/user/<path:object_id>/change/" in keys
    assert "^((?:[\\w\\-]+/)*)$" in keys  # wagtail.urls' page-serving pattern
    # Two patterns on one route (Wagtail's own login behind our redirect) stay apart.
    assert "admin/login/ (upstream_admin_login)" in keys and "admin/login/ (wagtailadmin_login)" in keys


def test_a_pattern_matched_by_two_entries_is_reported():
    patterns = [p for p in enumerate_patterns() if p.key == "classes/"]
    table = roles(OK)
    coverage = check_coverage(patterns, [Entry("classes/", get=table), Entry("class*", get=table)])
    assert coverage.ambiguous == {"classes/": ["classes/", "class*"]}
    assert not coverage.ok


def test_an_entry_that_matches_nothing_is_reported_as_stale():
    patterns = [p for p in enumerate_patterns() if p.key == "classes/"]
    table = roles(OK)
    coverage = check_coverage(patterns, [Entry("classes/", get=table), Entry("classes/removed/", get=table)])
    assert coverage.unused == ["classes/removed/"]


def test_an_entry_must_name_every_role():
    try:
        Entry("classes/", get={"anonymous": LOGIN})
    except ValueError as error:
        assert "every role" in str(error)
    else:
        raise AssertionError("an incomplete table was accepted")


def test_outcome_classes_match_only_their_own_answers():
    assert OK.matches(200, None) and OK.matches(204, None) and not OK.matches(302, "/accounts/login/")
    assert LOGIN.matches(302, "/accounts/login/") and not LOGIN.matches(302, "/staff/")
    # "Logged out, to sign-in" needs the redirect AND a session that no longer names the user.
    assert LOGGED_OUT.matches(302, "/accounts/login/", signed_out=True)
    assert not LOGGED_OUT.matches(302, "/accounts/login/", signed_out=False)
    assert not LOGGED_OUT.matches(302, "/accounts/login/")  # not measured: not proven
    assert not LOGGED_OUT.matches(302, "/accounts/2fa/authenticate/", signed_out=True)
    assert not LOGGED_OUT.matches(200, None, signed_out=True)
    assert FORBIDDEN.matches(403, None) and not FORBIDDEN.matches(404, None)
    assert DASHBOARD.matches(302, "/admin/") and not DASHBOARD.matches(302, "/admin/pages/")
    assert redirect("/admin/pages/*/edit/").matches(302, "/admin/pages/12/edit/")
    assert not redirect("/admin/pages/*/edit/").matches(302, "/admin/pages/12/history/")
    assert not OK.matches(500, None)


def test_a_refused_post_that_writes_is_a_mismatch_even_with_the_right_status():
    refused = Cell(
        "classes/new/",
        "teacher_b",
        "POST",
        "/classes/new/",
        FORBIDDEN,
        Observed(403, writes=("lessons_teachinggroup",)),
    )
    allowed = Cell(
        "classes/new/", "teacher_a", "POST", "/classes/new/", OK, Observed(200, writes=("lessons_teachinggroup",))
    )
    assert not refused.ok and allowed.ok
    assert "WROTE lessons_teachinggroup" in format_mismatches([refused, allowed])


def test_the_diff_names_pattern_role_method_expected_and_got():
    cell = Cell("classes/<id:pk>/", "teacher_b", "GET", "/classes/1/", FORBIDDEN, Observed(200))
    diff = format_mismatches([cell])
    assert "1 cell(s) differ" in diff
    line = diff.splitlines()[-1]
    for part in ("classes/<id:pk>/", "teacher_b", "GET", "403", "200", "[/classes/1/]"):
        assert part in line
    assert format_mismatches([Cell("classes/", "teacher_a", "GET", "/classes/", OK, Observed(200))]) == ""


def test_written_tables_reads_inserts_updates_and_deletes_only():
    queries = [
        {"sql": 'SELECT "x" FROM "accounts_user"'},
        {"sql": 'INSERT INTO "lessons_teachinggroup" ("name") VALUES (%s)'},
        {"sql": 'UPDATE "surveys_surveywindow" SET "closed_at" = %s'},
        {"sql": 'DELETE FROM "django_session" WHERE 1'},
        {"sql": "SAVEPOINT s1"},
    ]
    assert written_tables(queries) == {"lessons_teachinggroup", "surveys_surveywindow", "django_session"}


def test_a_redirect_to_sign_in_that_keeps_the_session_is_not_a_logout():
    kept = Cell("admin/", "officer_no_mfa", "GET", "/admin/", LOGGED_OUT, Observed(302, "/accounts/login/"))
    ended = Cell(
        "admin/", "officer_no_mfa", "GET", "/admin/", LOGGED_OUT, Observed(302, "/accounts/login/", signed_out=True)
    )
    assert not kept.ok and ended.ok
    assert "but NOT signed out" in format_mismatches([kept])


def test_request_observes_whether_the_session_was_ended(world, db):
    """``matrix.request`` reads the session store itself: a sign-out POST ends the session,
    a page view does not, and the client is signed in again afterwards (cookies restored,
    the savepoint rolled back)."""
    from .world import CSRF_SECRET, sign_in

    client = sign_in(world, "teacher_a")
    assert request(client, "GET", "/staff/", CSRF_SECRET).signed_out is False
    assert request(client, "POST", "/accounts/logout/", CSRF_SECRET).signed_out is True
    assert request(client, "GET", "/staff/", CSRF_SECRET).status == 200  # still signed in for the next cell
    assert request(sign_in(world, "anonymous"), "GET", "/staff/", CSRF_SECRET).signed_out is None
