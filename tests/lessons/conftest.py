"""Fixtures for lessons tests: a small published site tree and an isolated media root
(lesson-plan PDFs are cached there)."""

from __future__ import annotations

import pytest

from tests.factories import MembershipFactory

from .factories import LessonPageFactory, ProgrammeIndexPageFactory, ProgrammePageFactory, site_home


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _reference(request):
    """Role groups and local authorities, which a transactional test run earlier may have
    flushed (see tests/conftest.py's ``reference_data``)."""
    if request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames):
        request.getfixturevalue("reference_data")


@pytest.fixture
def home(db):
    return site_home()


@pytest.fixture
def index(home):
    return ProgrammeIndexPageFactory(parent=home)


@pytest.fixture
def programme(index):
    return ProgrammePageFactory(parent=index, title="Choices and Voices")


@pytest.fixture
def lessons(programme):
    return [
        LessonPageFactory(parent=programme, title="Understanding conflict"),
        LessonPageFactory(parent=programme, title="Peer influence"),
        LessonPageFactory(parent=programme, title="Getting help"),
    ]


@pytest.fixture
def lesson(lessons):
    return lessons[0]


@pytest.fixture
def membership(db):
    return MembershipFactory()


@pytest.fixture
def teacher(membership):
    return membership.user


@pytest.fixture
def school(membership):
    return membership.school
