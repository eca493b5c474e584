"""Delivery and participation rows (surveys.participation): per class, lessons logged against
planned, dates, each survey window's state (the one rule SurveyWindow uses) and responses
sent against the class size, small counts suppressed, filters, and one query per table."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import LocalAuthority
from lessons.models import ProgrammePage
from surveys import participation
from surveys.models import Response, SurveyWindow, WindowState, window_state
from tests.factories import SchoolFactory
from tests.lessons.factories import (
    LessonDeliveryFactory,
    LessonPageFactory,
    ProgrammeIndexPageFactory,
    ProgrammePageFactory,
    TeachingGroupFactory,
    site_home,
)
from tests.surveys.factories import SurveyWindowFactory, make_response

pytestmark = pytest.mark.django_db

NOW = timezone.now()


@pytest.fixture
def programme(reference_data) -> ProgrammePage:
    """A programme of three published lessons and one draft."""
    programme = ProgrammePageFactory(parent=ProgrammeIndexPageFactory(parent=site_home()), title="Choices and Voices")
    for title in ("Conflict", "Peer influence", "Getting help"):
        LessonPageFactory(parent=programme, title=title)
    LessonPageFactory(parent=programme, title="Draft", live=False, publish=False)
    return programme


def _lessons(programme):
    return list(programme.get_children().live().specific().order_by("path"))


def _window(group, wave, *, opens, closes, closed=None, sent=0, **extra) -> SurveyWindow:
    window = SurveyWindowFactory(group=group, wave=wave, opens_at=opens, closes_at=closes, closed_at=closed)
    for _ in range(sent):
        make_response(window)
    for status, number in extra.items():
        for _ in range(number):
            make_response(window, status=status)
    return window


def test_a_class_row_counts_lessons_dates_windows_and_responses(programme):
    group = TeachingGroupFactory(programme=programme, name="8R", pupil_count=28, academic_year=2026)
    first, second, _ = _lessons(programme)
    LessonDeliveryFactory(group=group, lesson=first, delivered_on=dt.date(2026, 9, 15))
    LessonDeliveryFactory(group=group, lesson=second, delivered_on=dt.date(2026, 10, 6))
    _window(
        group,
        SurveyWindow.Wave.BASELINE,
        opens=NOW - dt.timedelta(days=80),
        closes=NOW - dt.timedelta(days=70),
        sent=12,
        in_progress=2,
        conflict=1,
        over_quota=1,
    )
    _window(group, SurveyWindow.Wave.POST, opens=NOW - dt.timedelta(hours=1), closes=NOW + dt.timedelta(days=2), sent=3)

    [row] = participation.participation_rows(academic_year=2026, now=NOW)

    assert (row.school, row.group, row.programme, row.pupil_count) == (
        group.school.name,
        "8R",
        "Choices and Voices",
        28,
    )
    assert row.local_authority == group.school.local_authority.name
    assert (row.lessons_logged, row.lessons_planned) == (2, 3)  # the draft lesson is not planned
    assert (row.first_taught, row.last_taught) == (dt.date(2026, 9, 15), dt.date(2026, 10, 6))
    baseline, post, follow_up = (row.waves[wave] for wave in participation.WAVES)
    assert (baseline.state, baseline.sent) == (WindowState.CLOSED, 12)  # only sent and counted responses
    assert (post.state, post.sent) == (WindowState.OPEN, 3)
    assert follow_up.state is None

    cells = dict(zip([c.heading for c in participation.TABLE], participation.table_cells([row])[0], strict=True))
    assert cells["Lessons logged"] == "2"
    assert cells["Lessons planned"] == "3"
    assert cells["First lesson taught"] == "15 Sep 2026"
    assert cells["Last lesson taught"] == "6 Oct 2026"
    assert cells["Class size"] == "28"
    assert cells["Baseline responses sent"] == "12"
    assert cells["Post responses sent"] == "fewer than 10"
    assert cells["Post survey"].startswith("Open (")
    assert cells["Follow-up survey"] == "No survey"
    assert cells["Follow-up responses sent"] == ""


def test_every_count_under_ten_reads_fewer_than_10_and_ten_is_shown():
    assert [participation.suppressed(n) for n in (0, 1, 9, 10, 11)] == [
        "fewer than 10",
        "fewer than 10",
        "fewer than 10",
        "10",
        "11",
    ]


def test_window_state_is_the_models_own_rule_in_every_state(programme):
    group = TeachingGroupFactory(programme=programme)
    cases = {
        SurveyWindow.Wave.BASELINE: {"opens": NOW - dt.timedelta(days=9), "closes": NOW - dt.timedelta(days=2)},
        SurveyWindow.Wave.POST: {
            "opens": NOW - dt.timedelta(days=1),
            "closes": NOW + dt.timedelta(days=5),
            "closed": NOW - dt.timedelta(hours=3),
        },
        SurveyWindow.Wave.FOLLOW_UP: {"opens": NOW + dt.timedelta(days=3), "closes": NOW + dt.timedelta(days=9)},
    }
    windows = {wave: _window(group, wave, **kwargs) for wave, kwargs in cases.items()}

    [row] = participation.participation_rows(academic_year=group.academic_year, now=NOW)

    for wave, window in windows.items():
        assert row.waves[wave].state == window.state(NOW)
    assert [row.waves[wave].state for wave in participation.WAVES] == [
        WindowState.CLOSED,  # reached its closing time
        WindowState.CLOSED,  # closed by hand, early: it shows the day it really closed
        WindowState.NOT_YET_OPEN,
    ]
    assert row.waves[SurveyWindow.Wave.POST].closes_on == timezone.localtime(NOW - dt.timedelta(hours=3)).date()
    assert participation.sent_cell(row.waves[SurveyWindow.Wave.FOLLOW_UP]) == ""


def test_window_state_boundaries():
    opens, closes = NOW, NOW + dt.timedelta(hours=1)
    at = {
        "before": NOW - dt.timedelta(seconds=1),
        "opening": NOW,
        "last": closes - dt.timedelta(seconds=1),
        "closing": closes,
    }
    states = {name: window_state(opens_at=opens, closes_at=closes, closed_at=None, at=t) for name, t in at.items()}
    assert states == {
        "before": WindowState.NOT_YET_OPEN,
        "opening": WindowState.OPEN,
        "last": WindowState.OPEN,
        "closing": WindowState.CLOSED,
    }
    assert window_state(opens_at=opens, closes_at=closes, closed_at=NOW, at=NOW) == WindowState.CLOSED


def test_filters_by_programme_local_authority_school_and_academic_year(programme):
    other_programme = ProgrammePageFactory(parent=programme.get_parent(), title="Safer Streets")
    coventry = LocalAuthority.objects.get(slug="coventry")
    here = TeachingGroupFactory(programme=programme, name="A", academic_year=2026)
    elsewhere = TeachingGroupFactory(programme=other_programme, name="B", academic_year=2026)
    elsewhere.school.local_authority = coventry
    elsewhere.school.save()
    TeachingGroupFactory(programme=programme, name="C", academic_year=2025)

    def names(**filters):
        return [row.group for row in participation.participation_rows(**filters)]

    assert names(academic_year=2026) == ["A", "B"]
    assert names(academic_year=2025) == ["C"]
    assert names(academic_year=2026, programme=other_programme) == ["B"]
    assert names(academic_year=2026, local_authority=coventry) == ["B"]
    assert names(academic_year=2026, school=here.school) == ["A"]
    assert names(academic_year=2026, school=here.school, programme=other_programme) == []


def test_the_table_is_one_query_however_many_classes(programme, django_assert_num_queries):
    first = _lessons(programme)[0]
    for n in range(6):
        group = TeachingGroupFactory(programme=programme, academic_year=2026, school=SchoolFactory())
        LessonDeliveryFactory(group=group, lesson=first)
        _window(group, SurveyWindow.Wave.BASELINE, opens=NOW, closes=NOW + dt.timedelta(days=1), sent=n)
    with django_assert_num_queries(1):
        rows = participation.participation_rows(academic_year=2026)
    assert len(rows) == 6
    assert sorted(row.waves[SurveyWindow.Wave.BASELINE].sent for row in rows) == [0, 1, 2, 3, 4, 5]
    assert {row.lessons_logged for row in rows} == {1}


def test_spreadsheet_safe_neutralises_formula_starts_only():
    assert [participation.spreadsheet_safe(t) for t in ("=1+1", "+44", "-3", "@SUM(A1)", "\tx", "Oak", "8R", "")] == [
        "'=1+1",
        "'+44",
        "'-3",
        "'@SUM(A1)",
        "'\tx",
        "Oak",
        "8R",
        "",
    ]


def test_responses_of_other_statuses_are_never_counted_as_sent(programme):
    group = TeachingGroupFactory(programme=programme)
    _window(
        group,
        SurveyWindow.Wave.BASELINE,
        opens=NOW - dt.timedelta(hours=1),
        closes=NOW + dt.timedelta(hours=1),
        **{status: 11 for status in Response.Status.values if status != Response.Status.COMPLETED},
    )
    [row] = participation.participation_rows(academic_year=group.academic_year, now=NOW)
    assert row.waves[SurveyWindow.Wave.BASELINE].sent == 0
