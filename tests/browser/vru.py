"""Signing a VRU user in through the real login path in the browser: e-mail and password,
then the six-digit code from their authenticator (the factories' TOTP secret).

Usage::

    officer = UserFactory(groups=[OFFICER], mfa=True)
    sign_in_with_second_factor(page, live_server.url, officer)   # lands on /admin/
"""

from __future__ import annotations

import re
import time

from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

from tests.factories import PASSWORD, TOTP_SECRET


def totp_now(secret: str = TOTP_SECRET) -> str:
    """The current code, waiting for a fresh 30-second step if this one is about to end
    (allauth accepts only the current step), so a test cannot flake at a boundary."""
    if 30 - time.time() % 30 < 5:
        time.sleep(30 - time.time() % 30 + 0.2)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def sign_in_with_second_factor(page, base_url: str, user, *, next_path: str = "/admin/") -> None:
    page.context.clear_cookies()
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", totp_now())
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(re.compile(re.escape(base_url + next_path) + r"$"))
