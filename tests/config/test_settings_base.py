"""Authentication behaviour that the shared settings configure (config/settings/base.py):
no account enumeration, SSO never trusted for e-mail, sessions that end when they should,
sessions and cache in the database (docs/decisions.md#1). The login-failure limits are
tested in tests/accounts/test_login_limits.py."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.urls import reverse

from accounts.models import Membership
from tests.factories import PASSWORD, MembershipFactory, SchoolFactory, UserFactory

pytestmark = pytest.mark.django_db

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]+"')


def _login(client, email, password, ip="198.51.100.7"):
    return client.post(reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip)


def _normalised(response, *emails: str) -> bytes:
    body = CSRF.sub(b"csrf", response.content)
    for email in emails:
        body = body.replace(email.encode(), b"EMAIL")
    return body


def _templates(response) -> list[str]:
    return [t.name for t in response.templates]


# --- Shared infrastructure ------------------------------------------------------------


def test_sessions_and_default_cache_live_in_the_database():
    from importlib import import_module

    from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

    assert issubclass(import_module(settings.SESSION_ENGINE).SessionStore, DatabaseSessionStore)
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert settings.CACHES["default"]["LOCATION"] in connection.introspection.table_names()


def test_sso_never_authenticates_or_connects_by_email():
    assert settings.SOCIALACCOUNT_EMAIL_AUTHENTICATION is False
    assert settings.SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT is False
    assert settings.ACCOUNT_EMAIL_VERIFICATION == "mandatory"
    assert settings.ACCOUNT_PREVENT_ENUMERATION is True
    assert settings.ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE is True


# --- Enumeration ----------------------------------------------------------------------


def test_login_failure_answers_identically_for_known_and_unknown_addresses(client):
    known = MembershipFactory(user__email="known@oak.example").user

    known_response = _login(client, known.email, "wrong-password-123", ip="192.0.2.1")
    unknown_response = _login(client, "nobody@oak.example", "wrong-password-123", ip="192.0.2.2")

    assert known_response.status_code == unknown_response.status_code == 200
    assert _templates(known_response) == _templates(unknown_response)
    assert _normalised(known_response, known.email) == _normalised(unknown_response, "nobody@oak.example")


def test_password_reset_answers_identically_and_mails_only_the_real_account(client):
    known = MembershipFactory(user__email="known@oak.example").user

    known_response = client.post(reverse("account_reset_password"), {"email": known.email}, follow=True)
    unknown_response = client.post(reverse("account_reset_password"), {"email": "nobody@oak.example"}, follow=True)

    assert known_response.redirect_chain == unknown_response.redirect_chain
    assert known_response.status_code == unknown_response.status_code == 200
    assert _templates(known_response) == _templates(unknown_response)
    assert _normalised(known_response) == _normalised(unknown_response)
    assert [m.to for m in mail.outbox if "reset" in m.subject.lower()] == [[known.email]]


def test_sign_up_answers_identically_for_known_and_unknown_addresses(client):
    school = SchoolFactory(staff_email_domains="oak.example")
    known = MembershipFactory(school=school, user__email="known@oak.example").user
    password = "correct-horse-battery-staple-9"

    def signup(email):
        return client.post(
            reverse("account_signup"),
            {"first_name": "A", "last_name": "B", "email": email, "password1": password, "password2": password},
            follow=True,
        )

    known_response = signup(known.email)
    client.logout()
    unknown_response = signup("nobody@oak.example")

    assert known_response.redirect_chain == unknown_response.redirect_chain
    assert known_response.redirect_chain[0][0] == reverse("account_email_verification_sent")
    assert _templates(known_response) == _templates(unknown_response)
    assert _normalised(known_response, known.email) == _normalised(unknown_response, "nobody@oak.example")
    assert Membership.objects.filter(user__email="known@oak.example").count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["known@oak.example", "nobody@oak.example"]


def test_sign_up_refusal_outside_school_domains_does_not_depend_on_the_account_existing(client):
    vru = UserFactory(email="someone@vru.example")
    password = "correct-horse-battery-staple-9"
    responses = [
        client.post(
            reverse("account_signup"),
            {"first_name": "A", "last_name": "B", "email": email, "password1": password, "password2": password},
        )
        for email in (vru.email, "ghost@vru.example")
    ]

    assert responses[0].status_code == responses[1].status_code == 200
    assert _normalised(responses[0], vru.email) == _normalised(responses[1], "ghost@vru.example")


# --- Sessions end when they should (docs/decisions.md#t12) -----------------------------------------------


def test_changing_the_password_signs_out_every_session(client):
    from django.test import Client

    teacher = MembershipFactory().user
    other_device = Client()
    for c in (client, other_device):
        assert _login(c, teacher.email, PASSWORD).status_code == 302

    new_password = "another-long-password-77"
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )

    assert response.status_code == 302
    for c in (client, other_device):
        assert c.get(reverse("accounts:home"))["Location"].startswith(reverse("account_login"))


def test_session_key_changes_at_login(client):
    teacher = MembershipFactory().user
    client.get(reverse("account_login"))
    client.session.save()
    before = client.session.session_key

    _login(client, teacher.email, PASSWORD)

    assert client.session.session_key != before


def test_deactivating_a_user_ends_their_sessions(client):
    teacher = MembershipFactory().user
    _login(client, teacher.email, PASSWORD)
    assert client.get(reverse("accounts:home")).status_code == 200

    teacher.is_active = False
    teacher.save()

    assert client.get(reverse("accounts:home")).status_code == 302


def test_a_logged_out_session_cookie_cannot_be_replayed(client):
    from django.test import Client

    teacher = MembershipFactory().user
    _login(client, teacher.email, PASSWORD)
    stolen = client.cookies[settings.SESSION_COOKIE_NAME].value
    client.post(reverse("account_logout"))

    replay = Client()
    replay.cookies[settings.SESSION_COOKIE_NAME] = stolen

    assert replay.get(reverse("accounts:home")).status_code == 302
