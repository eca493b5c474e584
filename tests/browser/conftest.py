"""Fixtures for the browser tests."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_rate_limits(reference_data):
    """The database cache (login and join-code rate limits) is not flushed between
    transactional tests."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def csp_violations(page):
    """Every CSP violation Chromium reports on the page (it logs them to the console)."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None,
    )
    return violations
