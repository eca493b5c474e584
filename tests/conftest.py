"""Shared fixtures. Tests run on the engine DATABASE_URL names (PostgreSQL in CI).

Tests that need a real Redis broker or Debian's Chromium skip with a reason when those are
absent on a developer's laptop; CI sets UPSTREAM_REQUIRE_SERVICES=1, which turns every such
skip into a failure so nothing is silently not run.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.factories import MembershipFactory, UserFactory

REQUIRE_SERVICES = os.environ.get("UPSTREAM_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def missing_service(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"CI requires this service: {reason}")
    pytest.skip(reason)


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get("REDIS_URL")
    if not url:
        missing_service("REDIS_URL is not set")
    return url


@pytest.fixture
def reference_data(db):
    """Re-create the rows migrations seed: Wagtail's default locale, root page, home page
    and site, the seven local authorities and the VRU role groups. Transactional tests
    (``transaction=True``, live_server, real Celery workers) flush every table when they
    end, so a later transactional test cannot rely on migration data; the autouse fixture
    below restores it before each of them. Idempotent."""
    from tests.factories import restore_reference_data

    restore_reference_data()


@pytest.fixture(autouse=True)
def _fresh_pupil_window_cache():
    """The pupil pages keep windows in process for a few seconds, keyed by id; SQLite
    reuses ids after a test's rollback, so every test starts with an empty cache. The
    pages' shells (``surveys.pupil.shells``) start afresh too, so each test builds its own."""
    from surveys.pupil import caches, shells

    caches.clear()
    shells.clear()
    yield
    caches.clear()
    shells.clear()


@pytest.fixture(autouse=True)
def _migration_data_for_transactional_tests(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    if transactional:
        request.getfixturevalue("reference_data")


@pytest.fixture
def postgresql(db) -> None:
    """For tests that watch PostgreSQL's own lock table or SQL: they skip on the embedded
    SQLite default (with the reason), and fail in CI, which always runs on PostgreSQL."""
    from django.db import connection

    if connection.vendor != "postgresql":
        missing_service("needs PostgreSQL (set DATABASE_URL); the embedded default is SQLite")


@pytest.fixture
def teacher(db):
    return MembershipFactory().user


@pytest.fixture
def school_lead(db):
    return MembershipFactory(role="school_lead").user


@pytest.fixture
def chromium_path() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        missing_service("Debian's chromium is not installed (apt-get install chromium)")
    return CHROMIUM


@pytest.fixture(scope="session")
def _playwright():
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture
def browser(_playwright, chromium_path):
    browser = _playwright.chromium.launch(
        executable_path=chromium_path,
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


__all__ = ["UserFactory"]
