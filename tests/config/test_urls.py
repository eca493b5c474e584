"""One login path (decision 5): Wagtail's and Django's admin logins go through allauth, so
its rate limits and MFA apply; the alternative login forms cannot authenticate."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _current_totp_code() -> str:
    """The current code for the factories' secret; waits out the end of a 30-second step
    so that the code is still valid when the test submits it."""
    import time

    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

    from tests.factories import TOTP_SECRET

    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.2)
    return format_hotp_value(hotp_value(TOTP_SECRET, int(time.time()) // 30))


@pytest.fixture
def superuser():
    return UserFactory(is_superuser=True, is_staff=True, mfa=True)


def test_anonymous_admin_visit_goes_to_the_allauth_login(client):
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/admin/"


def test_wagtail_login_page_redirects_to_allauth_keeping_next(client):
    response = client.get("/admin/login/?next=/admin/pages/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/admin/pages/"


def test_direct_post_to_wagtail_login_cannot_log_in(client, superuser):
    response = client.post("/admin/login/", {"username": superuser.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_django_admin_login_page_redirects_to_allauth(client):
    response = client.get("/django-admin/login/?next=/django-admin/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=%2Fdjango-admin%2F"


def test_direct_post_to_django_admin_login_cannot_log_in(client, superuser):
    response = client.post(
        "/django-admin/login/", {"username": superuser.email, "password": PASSWORD, "next": "/django-admin/"}
    )

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_allauth_login_is_the_only_one_that_works(client, superuser):
    response = client.post(LOGIN, {"login": superuser.email, "password": PASSWORD})

    # With TOTP enrolled, the password alone is not enough: allauth asks for the code.
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("path", ["/admin/password_reset/", "/admin/account/change_password/"])
def test_wagtail_password_views_are_disabled(client, superuser, path):
    client.force_login(superuser)

    assert client.get(path).status_code == 404


def test_allauth_login_with_totp_code_reaches_the_admin(client, superuser):
    client.post(LOGIN, {"login": superuser.email, "password": PASSWORD, "next": "/admin/"})
    code = _current_totp_code()

    response = client.post(reverse("mfa_authenticate"), {"code": code})

    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    assert client.session["_auth_user_id"] == str(superuser.pk)
    assert client.get("/admin/").status_code == 200


def test_a_totp_code_cannot_be_replayed(client, superuser):
    code = _current_totp_code()
    client.post(LOGIN, {"login": superuser.email, "password": PASSWORD})
    client.post(reverse("mfa_authenticate"), {"code": code})
    client.logout()

    client.post(LOGIN, {"login": superuser.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": code})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
