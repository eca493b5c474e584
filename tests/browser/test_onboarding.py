"""Onboarding in a real browser (Playwright driving Debian's Chromium): a teacher joins
through an invitation; a VRU officer is forced through MFA enrolment before the admin."""

from __future__ import annotations

import re
import time

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core import mail

from accounts import services
from accounts.models import Membership, User
from accounts.roles import OFFICER
from tests.factories import PASSWORD, MembershipFactory, SchoolFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a-brand-new-long-password-7"


def _totp_now(secret: str) -> str:
    """The current code, waiting for a fresh 30-second step if this one is about to end
    (allauth accepts only the current step), so the test cannot flake at a boundary."""
    if 30 - time.time() % 30 < 5:
        time.sleep(30 - time.time() % 30 + 0.2)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def test_teacher_accepts_an_invitation_signs_up_and_signs_in(page, live_server, csp_violations):
    school = SchoolFactory(name="Oakfield Academy", staff_email_domains="oakfield.example")
    lead = MembershipFactory(school=school, role=Membership.Role.SCHOOL_LEAD).user
    services.invitation_create(inviter=lead, school=school, email="nia@oakfield.example", role="teacher")
    [invitation_mail] = mail.outbox
    link = re.search(r"https?://[^/\s]+(/staff/invitations/[^/\s]+/)", invitation_mail.body).group(1)

    page.goto(live_server.url + link)

    assert page.url.endswith("/accounts/signup/")
    assert page.locator("input[name=email]").input_value() == "nia@oakfield.example"
    page.fill("input[name=first_name]", "Nia")
    page.fill("input[name=last_name]", "Newman")
    page.fill("input[name=password1]", NEW_PASSWORD)
    page.fill("input[name=password2]", NEW_PASSWORD)
    page.get_by_role("button", name=re.compile("sign up", re.I)).click()

    if "/accounts/confirm-email/" in page.url:  # only if a verification e-mail was still needed
        confirm = re.search(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+)", mail.outbox[-1].body).group(1)
        page.goto(live_server.url + confirm)
        page.get_by_role("button", name=re.compile("confirm", re.I)).click()

    page.wait_for_url(re.compile(r"/staff/$"))
    assert page.get_by_role("heading", name="My school").is_visible()
    assert page.get_by_role("heading", name="Oakfield Academy").is_visible()

    page.get_by_role("button", name="Sign out").first.click()
    if "/accounts/logout/" in page.url:
        page.get_by_role("button", name=re.compile("sign out", re.I)).click()
    page.goto(live_server.url + "/accounts/login/")
    page.fill("input[name=login]", "nia@oakfield.example")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()

    page.wait_for_url(re.compile(r"/staff/$"))
    assert page.get_by_role("heading", name="My school").is_visible()
    assert page.get_by_text("Oakfield Academy").first.is_visible()
    teacher = User.objects.get(email="nia@oakfield.example")
    assert Membership.objects.get(user=teacher, school=school).status == Membership.Status.APPROVED
    assert csp_violations == []


def test_vru_officer_is_forced_through_mfa_enrolment_before_the_admin(page, live_server, csp_violations):
    officer = UserFactory(email="olu@vru.example", groups=[OFFICER])

    page.goto(live_server.url + "/admin/")
    assert "/accounts/login/" in page.url
    page.fill("input[name=login]", officer.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()

    # Straight to enrolment; allauth asks for the password once more before adding a
    # second factor (its reauthentication rule for MFA changes).
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/\?next=%2Faccounts%2F2fa%2Ftotp%2Factivate%2F"))
    assert page.get_by_text("must use two-factor authentication").is_visible()
    page.goto(live_server.url + "/admin/")  # trying the admin again changes nothing
    assert "/admin/" not in page.url.split("?")[0]
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=re.compile("confirm", re.I)).click()
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))

    secret = page.locator("#authenticator_secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret)
    page.fill("input[name=code]", _totp_now(secret))
    page.get_by_role("button", name=re.compile("activate", re.I)).click()

    page.wait_for_url(re.compile(r"/accounts/2fa/"))
    assert not page.url.endswith("/totp/activate/")
    page.goto(live_server.url + "/admin/")
    assert page.url == live_server.url + "/admin/"
    assert page.title().startswith("Dashboard")
    assert "Schools and people" in page.content()  # the officer's admin menu
    assert csp_violations == []
