"""Helpers shared by the browser tests in tests/browser.

Usage::

    sign_in(page, live_server.url, teacher.email)      # through the allauth form, lands on /staff/
    log_in_as(page, live_server.url, teacher)          # straight to a session, no form
    assert accessibility_problems(page) == []          # axe-core serious/critical, phone width
    assert serious_violations(page) == []              # axe-core only
"""

from __future__ import annotations

import re

from axe_playwright_python.sync_playwright import Axe
from django.test import Client

from tests.factories import PASSWORD

AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
    "resultTypes": ["violations"],
}


def sign_in(page, base_url: str, email: str) -> None:
    """Sign in through the login form with the factories' password; waits for the staff home."""
    page.goto(base_url + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(re.compile(r"/staff/$"))


def log_in_as(page, base_url: str, user) -> None:
    """Give the page's browser context a session for ``user`` (and nobody else's), skipping
    the login form and its MFA step."""
    client = Client()
    client.force_login(user)
    page.context.clear_cookies()
    page.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}])


def serious_violations(page) -> list[str]:
    """The serious or critical axe-core (WCAG 2.2 AA) findings on the page, as 'rule (impact): targets'."""
    results = Axe().run(page, options=AXE_OPTIONS).response
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']]}"
        for v in results["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


def fits_width(page) -> bool:
    """Whether the page fits the viewport's width (no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def accessibility_problems(page) -> list[str]:
    """``serious_violations`` and whether the page scrolls sideways, each naming the page."""
    problems = [f"{page.url} {violation}" for violation in serious_violations(page)]
    if not fits_width(page):
        problems.append(f"{page.url} is wider than the phone screen")
    return problems
