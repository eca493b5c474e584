"""One login path (docs/decisions.md#5): Wagtail's and Django's admin logins go through allauth, so
its rate limits and MFA apply; the alternative login forms cannot authenticate."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.roles import OFFICER, PLATFORM_ADMIN
from tests.factories import PASSWORD, UserFactory, login_with_second_factor

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
    login_with_second_factor(client, superuser)

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


# --- A password alone never opens the admin (issue 7) -----------------------------------

PASSWORD_FORMS = {
    "allauth login": (LOGIN, "login"),
    "Wagtail front-end login": ("/_util/login/", "username"),
    "Wagtail admin login": ("/admin/login/", "username"),
    "Django admin login": ("/django-admin/login/", "username"),
}
VRU_PAGES = ["/admin/", "/admin/pages/", "/django-admin/", "/staff/invite/", "/staff/"]


def _vru_account(kind: str):
    if kind == "superuser":
        return UserFactory(is_superuser=True, is_staff=True, mfa=True)
    return UserFactory(groups=[kind], is_staff=kind == PLATFORM_ADMIN, mfa=True)


def _post_password(client, path_name: str, user):
    path, field = PASSWORD_FORMS[path_name]
    return client.post(path, {field: user.email, "password": PASSWORD, "next": "/admin/"})


def _sign_in_with_totp(client, user):
    client.post(LOGIN, {"login": user.email, "password": PASSWORD})
    return client.post(reverse("mfa_authenticate"), {"code": _current_totp_code()})


@pytest.mark.parametrize("kind", ["superuser", PLATFORM_ADMIN, OFFICER])
@pytest.mark.parametrize("path_name", PASSWORD_FORMS)
def test_a_vru_password_alone_reaches_no_vru_page_on_any_password_form(client, path_name, kind):
    user = _vru_account(kind)

    _post_password(client, path_name, user)

    assert "_auth_user_id" not in client.session
    for page in VRU_PAGES:
        response = client.get(page, follow=True)
        assert response.redirect_chain, (path_name, page)
        # Sent to sign in, or (after allauth's password step) to its two-factor challenge.
        assert response.request["PATH_INFO"] in (LOGIN, reverse("mfa_authenticate")), (path_name, page)


@pytest.mark.parametrize("kind", ["superuser", PLATFORM_ADMIN, OFFICER])
def test_after_the_second_factor_the_same_account_reaches_its_vru_pages(client, kind):
    user = _vru_account(kind)

    response = _sign_in_with_totp(client, user)

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get("/staff/").status_code == 200
    assert client.get("/staff/invite/").status_code == 200  # all three may invite school leads
    # The Django admin is for its staff flag: superusers and platform admins, not officers.
    assert client.get("/django-admin/", follow=True).status_code == (403 if kind == OFFICER else 200)


@pytest.mark.parametrize("method", ["get", "post"])
def test_wagtail_front_end_login_redirects_to_allauth_keeping_next(client, method):
    response = getattr(client, method)("/_util/login/?next=/programmes/private/")

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=/programmes/private/"


@pytest.mark.parametrize("kind", ["teacher", "superuser"])
def test_wagtail_front_end_login_does_not_log_in_with_the_right_password(client, kind):
    from tests.factories import MembershipFactory

    user = MembershipFactory().user if kind == "teacher" else _vru_account("superuser")

    response = client.post("/_util/login/", {"username": user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_private_pages_send_visitors_to_the_allauth_login(client):
    from wagtail.models import PageViewRestriction

    from tests.lessons.factories import site_home

    home = site_home()
    PageViewRestriction.objects.create(page=home, restriction_type=PageViewRestriction.LOGIN)

    response = client.get(home.url)

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={home.url}"


def test_page_and_document_password_forms_cannot_log_anyone_in(client):
    from wagtail.models import Collection, CollectionViewRestriction, PageViewRestriction

    from tests.lessons.factories import site_home

    user = _vru_account("superuser")
    home = site_home()
    page_lock = PageViewRestriction.objects.create(
        page=home, restriction_type=PageViewRestriction.PASSWORD, password="shared-secret"
    )
    collection_lock = CollectionViewRestriction.objects.create(
        collection=Collection.get_first_root_node(),
        restriction_type=CollectionViewRestriction.PASSWORD,
        password="shared-secret",
    )
    credentials = {"username": user.email, "login": user.email, "password": PASSWORD, "return_url": "/"}

    client.post(f"/_util/authenticate_with_password/{page_lock.pk}/{home.pk}/", credentials)
    client.post(f"/documents/authenticate_with_password/{collection_lock.pk}/", credentials)

    assert "_auth_user_id" not in client.session
    assert client.get("/admin/")["Location"].startswith(LOGIN)


def test_signed_in_staff_cannot_switch_account_through_the_django_admin_login(client, superuser):
    other = _vru_account("superuser")
    login_with_second_factor(client, superuser)

    response = client.post("/django-admin/login/", {"username": other.email, "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(superuser.pk)


def test_django_admin_password_change_goes_to_allauth(client, superuser):
    login_with_second_factor(client, superuser)

    response = client.post(
        "/django-admin/password_change/",
        {"old_password": PASSWORD, "new_password1": "x-new-long-password-1", "new_password2": "x-new-long-password-1"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("account_change_password")
    superuser.refresh_from_db()
    assert superuser.check_password(PASSWORD)


def test_a_password_reset_does_not_sign_a_vru_account_in(client):
    import re

    from django.core import mail

    officer = _vru_account(OFFICER)
    client.post(reverse("account_reset_password"), {"email": officer.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/[^\s]+)", mail.outbox[-1].body).group(1)
    form_page = client.get(link, follow=True)
    new_password = "a-brand-new-long-password-7"

    response = client.post(form_page.request["PATH_INFO"], {"password1": new_password, "password2": new_password})

    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.check_password(new_password)
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/", follow=True).request["PATH_INFO"] == LOGIN
