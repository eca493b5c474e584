"""The login-failure limit (allauth's ``login_failed`` rate limit, configured in
config/settings/base.py): from the sixth wrong password within five minutes an account is
locked, even with the right password, on every path that takes a password: allauth's login,
the admin logins (docs/decisions.md#5), re-authentication and the change-password form."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many failed login attempts"


def _login(client, email, password, ip="198.51.100.7"):
    return client.post(reverse("account_login"), {"login": email, "password": password}, REMOTE_ADDR=ip)


# --- Brute force ----------------------------------------------------------------------


def test_sixth_attempt_within_five_minutes_is_refused_even_with_the_right_password(client):
    teacher = MembershipFactory().user
    for _ in range(5):
        response = _login(client, teacher.email, "wrong-password-123")
        assert response.status_code == 200
        assert "_auth_user_id" not in client.session

    response = _login(client, teacher.email, PASSWORD, ip="203.0.113.99")

    assert TOO_MANY in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_five_failures_do_not_lock_out_before_the_limit(client):
    teacher = MembershipFactory().user
    for _ in range(4):
        _login(client, teacher.email, "wrong-password-123")

    response = _login(client, teacher.email, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(teacher.pk)


def test_the_lock_is_per_account_not_global(client):
    victim = MembershipFactory().user
    other = MembershipFactory().user
    for _ in range(5):
        _login(client, victim.email, "wrong-password-123", ip="198.51.100.1")

    response = _login(client, other.email, PASSWORD, ip="198.51.100.2")

    assert response.status_code == 302


def test_the_lock_ends_after_five_minutes(client):
    teacher = MembershipFactory().user
    start = timezone.now()
    with freeze_time(start):
        for _ in range(5):
            _login(client, teacher.email, "wrong-password-123")
        assert TOO_MANY in _login(client, teacher.email, PASSWORD).content.decode()

    with freeze_time(start + timedelta(minutes=5, seconds=5)):
        response = _login(client, teacher.email, PASSWORD)

    assert response.status_code == 302


def test_wagtail_admin_login_cannot_be_used_to_bypass_the_limit(client):
    teacher = MembershipFactory().user
    for _ in range(5):
        _login(client, teacher.email, "wrong-password-123")

    response = client.post("/admin/login/", {"username": teacher.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_reauthentication_refuses_the_right_password_after_five_wrong_ones(client):
    teacher = MembershipFactory().user
    client.force_login(teacher)
    for _ in range(5):
        response = client.post(reverse("account_reauthenticate"), {"password": "wrong-password-123"})
        assert response.status_code == 200

    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    assert TOO_MANY in response.content.decode()
    records = client.session.get("account_authentication_methods", [])
    assert not [r for r in records if r.get("reauthenticated")]


def test_change_password_counts_wrong_current_passwords_against_the_login_limit(client):
    """allauth's own limit on this form is 5 posts a minute; the current password is now
    checked under the login-failure limit (5 per 5 minutes per account), so waiting a
    minute does not buy more guesses."""
    teacher = MembershipFactory().user
    new_password = "another-long-password-77"
    start = timezone.now()
    with freeze_time(start) as frozen:
        client.force_login(teacher)
        for _ in range(5):
            client.post(
                reverse("account_change_password"),
                {"oldpassword": "wrong-password-123", "password1": new_password, "password2": new_password},
            )
        frozen.tick(timedelta(seconds=61))

        response = client.post(
            reverse("account_change_password"),
            {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
        )

    assert response.status_code == 200
    assert TOO_MANY in response.content.decode()
    teacher.refresh_from_db()
    assert teacher.check_password(PASSWORD)


def test_failed_logins_also_lock_the_change_password_form(client):
    teacher = MembershipFactory().user
    for _ in range(5):
        _login(client, teacher.email, "wrong-password-123")
    from django.test import Client

    signed_in = Client()
    signed_in.force_login(teacher)
    new_password = "another-long-password-77"

    response = signed_in.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )

    assert TOO_MANY in response.content.decode()
    teacher.refresh_from_db()
    assert teacher.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("path", "field"),
    [("/_util/login/", "username"), ("/admin/login/", "username"), ("/django-admin/login/", "username")],
)
def test_other_login_paths_never_accept_the_right_password_after_the_limit(client, path, field):
    """These paths are redirects to allauth now and never read a password; after the
    limit, the right password posted there signs nobody in, and allauth still refuses it."""
    officer = UserFactory(groups=["VRU officers"], mfa=True)
    for _ in range(5):
        _login(client, officer.email, "wrong-password-123")

    client.post(path, {field: officer.email, "password": PASSWORD})

    assert "_auth_user_id" not in client.session
    assert TOO_MANY in _login(client, officer.email, PASSWORD).content.decode()
