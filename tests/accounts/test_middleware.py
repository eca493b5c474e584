"""Request-level security rules: mandatory MFA for VRU staff, the scoped CSP and session
lifetimes (accounts.middleware)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from freezegun import freeze_time

from accounts.roles import ANALYST, CONTENT_EDITOR, MODERATOR, OFFICER, PLATFORM_ADMIN
from tests.factories import MembershipFactory, UserFactory, login_with_second_factor

MFA_ENROL = reverse("mfa_activate_totp")


def _directives(header: str) -> dict[str, list[str]]:
    parts = [part.strip().split() for part in header.split(";") if part.strip()]
    return {part[0]: part[1:] for part in parts}


def _vru_user(kind: str, *, mfa: bool):
    if kind == "superuser":
        return UserFactory(is_superuser=True, is_staff=True, mfa=mfa)
    return UserFactory(groups=[kind], mfa=mfa)


VRU_KINDS = [CONTENT_EDITOR, MODERATOR, OFFICER, ANALYST, PLATFORM_ADMIN, "superuser"]


# --- Mandatory MFA ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind", VRU_KINDS)
@pytest.mark.parametrize("path", ["/admin/", "/admin/pages/", "/django-admin/", "/staff/", "/"])
def test_vru_user_without_mfa_is_sent_to_totp_enrolment(client, kind, path):
    client.force_login(_vru_user(kind, mfa=False))

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{MFA_ENROL}?next={path}"


@pytest.mark.django_db
@pytest.mark.parametrize("kind", VRU_KINDS)
def test_vru_user_without_mfa_cannot_post_to_the_admin_either(client, kind):
    client.force_login(_vru_user(kind, mfa=False))

    response = client.post("/admin/pages/add/", {"title": "x"})

    assert response.status_code == 302
    assert response["Location"].startswith(MFA_ENROL)


@pytest.mark.django_db
@pytest.mark.parametrize("kind", VRU_KINDS)
def test_vru_user_without_mfa_may_reach_enrolment_and_sign_out(client, kind):
    client.force_login(_vru_user(kind, mfa=False))

    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.get(reverse("account_logout")).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("kind", VRU_KINDS)
def test_vru_user_with_totp_reaches_the_wagtail_admin(client, kind):
    login_with_second_factor(client, _vru_user(kind, mfa=True))

    response = client.get("/admin/")

    assert response.status_code == 200
    assert b"Dashboard" in response.content


@pytest.mark.django_db
def test_superuser_with_totp_reaches_the_django_admin(client):
    login_with_second_factor(client, _vru_user("superuser", mfa=True))

    response = client.get("/django-admin/")

    assert response.status_code == 200
    assert b"Upstream platform administration" in response.content


@pytest.mark.django_db
def test_vru_user_who_is_not_django_staff_is_refused_by_the_django_admin(client):
    login_with_second_factor(client, _vru_user(OFFICER, mfa=True))

    response = client.get("/django-admin/", follow=True)

    assert response.redirect_chain == [("/django-admin/login/?next=/django-admin/", 302)]
    assert response.status_code == 403


@pytest.mark.django_db
def test_recovery_codes_alone_do_not_satisfy_the_mfa_rule(client):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    user = _vru_user(OFFICER, mfa=False)
    RecoveryCodes.activate(user)
    client.force_login(user)

    assert client.get("/admin/")["Location"].startswith(MFA_ENROL)


@pytest.mark.django_db
def test_teacher_is_not_forced_to_enrol_mfa(client):
    teacher = MembershipFactory().user
    client.force_login(teacher)

    response = client.get(reverse("accounts:home"))

    assert response.status_code == 200
    assert b"My school" in response.content


@pytest.mark.django_db
def test_teacher_without_admin_permission_is_kept_out_of_the_wagtail_admin(client):
    client.force_login(MembershipFactory().user)

    response = client.get("/admin/")

    assert response.status_code == 302
    assert not response["Location"].startswith(MFA_ENROL)


# --- The second factor must have been used in this session -------------------------------


def _password_only_session(client, user):
    """A session as any password form outside allauth's stages would leave it: signed in,
    allauth's record says "password", no "mfa" record."""
    import time

    client.force_login(user)
    session = client.session
    session["account_authentication_methods"] = [{"method": "password", "at": time.time(), "email": user.email}]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


def _vru_staff_user(kind: str):
    """As the demo creates them: platform admins also have the Django admin's staff flag."""
    if kind == "superuser":
        return UserFactory(is_superuser=True, is_staff=True, mfa=True)
    return UserFactory(groups=[kind], is_staff=kind == PLATFORM_ADMIN, mfa=True)


SECOND_FACTOR_PAGES = [
    "/admin/",
    "/admin/pages/",
    "/django-admin/",
    "/staff/",
    "/staff/invite/",
    "/classes/",
    "/accounts/2fa/",
    "/accounts/2fa/totp/deactivate/",
    "/accounts/email/",
    "/accounts/password/change/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("kind", VRU_KINDS)
@pytest.mark.parametrize("path", SECOND_FACTOR_PAGES)
def test_vru_user_with_totp_but_a_password_only_session_is_signed_out(client, kind, path):
    _password_only_session(client, _vru_staff_user(kind))

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={path}"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_the_signed_out_user_is_told_why_on_the_login_page(client):
    _password_only_session(client, _vru_staff_user(OFFICER))

    response = client.get("/admin/", follow=True)

    assert response.request["PATH_INFO"] == reverse("account_login")
    assert "sign in with their password and a code from their authenticator app" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("kind", VRU_KINDS)
def test_a_password_only_session_cannot_write_to_the_admin(client, kind):
    _password_only_session(client, _vru_staff_user(kind))

    response = client.post("/admin/pages/add/", {"title": "x"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_a_password_only_session_cannot_remove_the_authenticator(client):
    from allauth.mfa.models import Authenticator

    officer = _vru_staff_user(OFFICER)
    _password_only_session(client, officer)

    client.post(reverse("mfa_deactivate_totp"))

    assert Authenticator.objects.filter(user=officer, type="totp").exists()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_password_only_session_may_still_sign_out(client):
    _password_only_session(client, _vru_staff_user(OFFICER))

    assert client.get(reverse("account_logout")).status_code == 200
    client.post(reverse("account_logout"))

    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_session_with_no_allauth_records_at_all_is_signed_out(client):
    client.force_login(_vru_staff_user("superuser"))

    response = client.get("/django-admin/")

    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_second_factor_record_of_another_user_does_not_count(client):
    other = _vru_staff_user(OFFICER)
    officer = _vru_staff_user(OFFICER)
    login_with_second_factor(client, other)
    session = client.session
    records = session["account_authentication_methods"]
    client.force_login(officer)  # a different user: Django starts a fresh session
    session = client.session
    session["account_authentication_methods"] = records
    session["account_authentication_methods_user"] = str(other.pk)
    session.save()

    assert client.get("/admin/")["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
@pytest.mark.parametrize("kind", VRU_KINDS)
def test_after_the_second_factor_every_vru_page_opens(client, kind):
    user = _vru_staff_user(kind)
    login_with_second_factor(client, user)

    assert client.get("/admin/").status_code == 200
    assert client.get("/accounts/2fa/").status_code == 200
    if user.is_staff:
        assert client.get("/django-admin/").status_code == 200
    if user.has_perm("accounts.invite_school_lead"):
        assert client.get("/staff/invite/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/email/", "/accounts/password/change/", "/accounts/sessions/"])
def test_vru_user_without_mfa_reaches_only_enrolment_among_the_account_pages(client, path):
    client.force_login(_vru_user(OFFICER, mfa=False))

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{MFA_ENROL}?next={path}"


@pytest.mark.django_db(transaction=True)
def test_enrolling_totp_in_this_session_counts_as_the_second_factor(client, reference_data):
    """allauth records nothing when TOTP is activated; ``accounts.signals`` records the
    enrolment as an mfa step, so the officer is not signed out straight after it."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    officer = _vru_user(OFFICER, mfa=False)
    _password_only_session(client, officer)
    assert client.get("/admin/")["Location"].startswith(MFA_ENROL)
    # allauth asks for the password again before a second factor is added.
    client.post(reverse("account_reauthenticate"), {"password": "a-long-test-password-42"})

    page = client.get(MFA_ENROL)
    secret = page.context["form"].secret
    response = client.post(MFA_ENROL, {"code": format_hotp_value(hotp_value(secret, int(time.time()) // 30))})

    assert response.status_code == 302, response.context["form"].errors if response.context else response
    records = client.session["account_authentication_methods"]
    assert [r["method"] for r in records] == ["password", "password", "mfa"]
    assert records[-1]["type"] == "totp"
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_login_with_second_factor_sets_what_a_real_totp_login_sets(client):
    from django.test import Client

    from tests.config.test_urls import _current_totp_code

    officer = _vru_staff_user(OFFICER)
    client.post(reverse("account_login"), {"login": officer.email, "password": "a-long-test-password-42"})
    client.post(reverse("mfa_authenticate"), {"code": _current_totp_code()})
    helped = Client()
    login_with_second_factor(helped, officer)

    def shape(session):
        return (
            session["account_authentication_methods_user"],
            [{k: v for k, v in r.items() if k != "at"} for r in session["account_authentication_methods"]],
        )

    assert shape(helped.session) == shape(client.session)
    assert helped.get("/admin/").status_code == client.get("/admin/").status_code == 200


# --- Nothing a signed-in user sees is kept by a browser or proxy (issue 7) ----------------


def _no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"no-store", "private"} <= directives


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/staff/", "/surveys/talk-requests/", "/surveys/withdraw/", "/classes/", "/programmes/", "/"]
)
def test_every_page_for_a_signed_in_school_lead_is_no_store_and_private(client, path):
    lead = MembershipFactory(role="school_lead")
    client.force_login(lead.user)

    response = client.get(path)

    assert response.status_code in (200, 404), path
    assert _no_store(response), (path, response.get("Cache-Control"))


@pytest.mark.django_db
def test_the_school_staff_list_and_vru_pages_are_no_store(client):
    lead = MembershipFactory(role="school_lead")
    client.force_login(lead.user)
    staff_list = client.get(reverse("accounts:school_staff", args=[lead.school_id]))
    client.logout()
    login_with_second_factor(client, _vru_user("superuser", mfa=True))
    admin = client.get("/admin/")

    assert staff_list.status_code == admin.status_code == 200
    assert _no_store(staff_list) and _no_store(admin)


@pytest.mark.django_db
def test_the_response_that_signs_someone_in_is_no_store(client):
    teacher = MembershipFactory().user

    response = _login_via_form(client, teacher)

    assert _no_store(response)


@pytest.mark.django_db
def test_pupils_pages_keep_their_own_headers(client):
    """Pupils are never signed in: the pupil pages' own header is left exactly as it is."""
    response = client.get("/go/")

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_messages_naming_staff_are_kept_in_the_session_not_a_cookie(client):
    from django.conf import settings

    lead = MembershipFactory(role="school_lead")
    client.force_login(lead.user)

    response = client.post(
        reverse("accounts:school_staff", args=[lead.school_id]), {"email": "nia@example.org", "role": "teacher"}
    )

    assert response.status_code == 302
    assert "messages" not in response.cookies
    assert settings.MESSAGE_STORAGE == "django.contrib.messages.storage.session.SessionStorage"
    assert "Invitation sent to nia@example.org" in client.get(response["Location"]).content.decode()


# --- Content-Security-Policy -----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"])
def test_public_pages_get_the_strict_policy(client, path):
    response = client.get(path)

    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response["Content-Security-Policy"]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="tests.config.nonce_urls")
def test_a_page_with_a_script_gets_a_fresh_nonce_in_script_src(client):
    first = client.get("/csp-test/script/")
    second = client.get("/csp-test/script/")

    nonce = re.search(rb'nonce="([^"]+)"', first.content).group(1).decode()
    policy = _directives(first["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert first["Content-Security-Policy"] != second["Content-Security-Policy"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/admin/", "/django-admin/"])
def test_admin_paths_get_the_relaxed_admin_policy(client, path):
    login_with_second_factor(client, _vru_user("superuser", mfa=True))

    response = client.get(path)

    assert response.status_code == 200
    policy = _directives(response["Content-Security-Policy"])
    assert "'unsafe-inline'" in policy["script-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"]


@pytest.mark.django_db
def test_relaxed_policy_does_not_leak_to_paths_that_merely_start_with_admin(client):
    response = client.get("/administration-guide/")

    assert "'unsafe-inline'" not in response.get("Content-Security-Policy", "")


@pytest.mark.django_db
def test_admin_login_redirect_keeps_the_strict_policy_on_the_login_page(client):
    response = client.get("/admin/", follow=True)

    assert response.request["PATH_INFO"] == reverse("account_login")
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


# --- Session lifetime ------------------------------------------------------------------


def _login_via_form(client, user, password="a-long-test-password-42"):
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302, response.content
    return response


@pytest.mark.django_db
def test_login_form_still_works_with_the_session_lifetime_middleware(client):
    teacher = MembershipFactory().user

    response = _login_via_form(client, teacher)

    assert response["Location"] == reverse("accounts:home")
    assert client.get(reverse("accounts:home")).status_code == 200


@pytest.mark.django_db
def test_teacher_session_ends_after_twelve_hours_even_when_active(client):
    teacher = MembershipFactory().user
    with freeze_time() as frozen:
        _login_via_form(client, teacher)
        for _ in range(13):
            frozen.tick(timedelta(minutes=59))
            response = client.get(reverse("accounts:home"))
            if response.status_code != 200:
                break

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.django_db
def test_teacher_session_survives_an_hour_of_idleness(client):
    teacher = MembershipFactory().user
    with freeze_time() as frozen:
        _login_via_form(client, teacher)
        frozen.tick(timedelta(minutes=90))

        assert client.get(reverse("accounts:home")).status_code == 200


@pytest.mark.django_db
def test_vru_session_ends_after_thirty_idle_minutes(client):
    officer = _vru_user(OFFICER, mfa=True)
    with freeze_time() as frozen:
        login_with_second_factor(client, officer)
        assert client.get("/admin/").status_code == 200
        frozen.tick(timedelta(minutes=31))

        response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_any_user_with_wagtail_admin_access_must_enrol_even_outside_the_vru_groups(client):
    from django.contrib.auth.models import Group, Permission

    guests = Group.objects.create(name="Guest editors")
    guests.permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login(UserFactory(groups=["Guest editors"]))

    assert client.get("/admin/")["Location"].startswith(MFA_ENROL)


@pytest.mark.django_db
def test_django_admin_staff_flag_alone_requires_mfa(client):
    client.force_login(UserFactory(is_staff=True))

    assert client.get("/django-admin/")["Location"].startswith(MFA_ENROL)


@pytest.mark.django_db
def test_an_active_teacher_is_kept_signed_in_well_past_the_two_hour_cookie_age(client):
    """The sliding idle timeout: sessions are saved at most once a minute now, not on
    every request, so a teacher clicking every 50 minutes for 5 hours stays signed in."""
    teacher = MembershipFactory().user
    with freeze_time() as frozen:
        _login_via_form(client, teacher)
        for _ in range(6):
            frozen.tick(timedelta(minutes=50))
            assert client.get(reverse("accounts:home")).status_code == 200


@pytest.mark.django_db
def test_staff_session_row_is_rewritten_at_most_once_a_minute(client):
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    teacher = MembershipFactory().user
    with freeze_time() as frozen:
        _login_via_form(client, teacher)
        # Messages live in the session (MESSAGE_STORAGE): the page that shows "Successfully
        # signed in" removes it from the session, a write of its own.
        client.get(reverse("accounts:home"))
        frozen.tick(timedelta(seconds=5))
        with CaptureQueriesContext(connection) as soon:
            client.get(reverse("accounts:home"))
        frozen.tick(timedelta(seconds=65))
        with CaptureQueriesContext(connection) as later:
            client.get(reverse("accounts:home"))

    def session_writes(ctx):
        return [q for q in ctx.captured_queries if q["sql"].startswith("UPDATE") and Session._meta.db_table in q["sql"]]

    assert session_writes(soon) == []
    assert len(session_writes(later)) == 1


@pytest.mark.django_db
def test_anonymous_requests_do_not_rewrite_their_session(client):
    """Pupils are never signed in; a whole year group answering at once must not rewrite a
    session row on every page view."""
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    session = client.session
    session["pupil"] = {"w": 1}
    session.save()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("account_login")).status_code == 200

    assert not [q for q in ctx.captured_queries if q["sql"].startswith("UPDATE") and Session._meta.db_table in q["sql"]]
