"""Fixtures for the pupil survey tests."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from tests.surveys.factories import PupilSurveyWindowFactory, make_pupil


@pytest.fixture(autouse=True)
def _fresh_failure_counters(db):
    """The database cache table is not flushed between tests; clear it (window figures).
    The code-attempt counters are rows of ``AccessCounter``, rolled back with each test."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def window(db):
    return PupilSurveyWindowFactory()


@pytest.fixture
def pupil(window):
    return make_pupil(window)
