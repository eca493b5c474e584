"""Staff-facing pages (ours and allauth's) render inside the site layout and contain
nothing the strict CSP would block: no inline scripts, inline styles or event handlers."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import Membership
from tests.factories import PASSWORD, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
STYLE = re.compile(r"<style\b|\sstyle=", re.I)
HANDLER = re.compile(r"\son[a-z]+=", re.I)

ANONYMOUS_PAGES = [
    "account_login",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_email_verification_sent",
]
SIGNED_IN_PAGES = [
    "accounts:home",
    "accounts:join_school",
    "account_change_password",
    "account_email",
    "mfa_index",
    "usersessions_list",
    "account_logout",
    "account_reauthenticate",
]


def _assert_csp_safe_and_in_layout(response):
    body = response.content.decode()
    assert response.status_code == 200
    assert 'class="site-header"' in body
    assert "Skip to main content" in body
    assert "Childline" in body
    assert not INLINE_SCRIPT.search(body), INLINE_SCRIPT.search(body).group(0)
    assert not STYLE.search(body), STYLE.search(body).group(0)
    assert not HANDLER.search(body), HANDLER.search(body).group(0)


@pytest.mark.parametrize("name", ANONYMOUS_PAGES)
def test_allauth_pages_for_visitors_use_the_site_layout(client, name):
    _assert_csp_safe_and_in_layout(client.get(reverse(name)))


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_signed_in_pages_use_the_site_layout(client, name):
    client.force_login(MembershipFactory().user)

    _assert_csp_safe_and_in_layout(client.get(reverse(name)))


def test_school_staff_page_is_csp_safe(client):
    lead = MembershipFactory(role=Membership.Role.SCHOOL_LEAD)
    MembershipFactory(school=lead.school, status=Membership.Status.PENDING)
    client.force_login(lead.user)

    _assert_csp_safe_and_in_layout(client.get(reverse("accounts:school_staff", args=[lead.school.pk])))


def test_totp_enrolment_and_recovery_codes_pages_are_csp_safe(client):
    user = UserFactory()
    client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    activate = client.get(reverse("mfa_activate_totp"))
    _assert_csp_safe_and_in_layout(activate)
    assert 'id="authenticator_secret"' in activate.content.decode()
    assert "data:image/svg+xml;base64," in activate.content.decode()  # QR code allowed by img-src data:

    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    RecoveryCodes.activate(user)
    _assert_csp_safe_and_in_layout(client.get(reverse("mfa_view_recovery_codes")))


def test_allauth_forms_use_the_site_form_styles(client):
    body = client.get(reverse("account_signup")).content.decode()

    assert '<form class="narrow" method="post"' in body
    assert 'class="errorlist"' not in body  # no errors before submitting
