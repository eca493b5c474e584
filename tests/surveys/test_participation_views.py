"""The "Delivery and participation" admin page and its CSV (surveys.participation_views):
who may see them, the filters and their default, the CSV being the table, small counts,
formula neutralising, no pupil data, bad input, and a query count that does not grow."""

from __future__ import annotations

import csv
import datetime as dt
import io
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from accounts.models import LocalAuthority, Membership
from accounts.roles import ANALYST, CONTENT_EDITOR, MODERATOR, OFFICER, PLATFORM_ADMIN
from surveys.models import SurveyWindow, TalkRequest
from tests.factories import MembershipFactory, SchoolFactory, UserFactory
from tests.lessons.factories import (
    LessonDeliveryFactory,
    LessonPageFactory,
    ProgrammeIndexPageFactory,
    ProgrammePageFactory,
    TeachingGroupFactory,
    site_home,
)
from tests.second_factor import force_login_with_second_factor
from tests.surveys.factories import SurveyWindowFactory, make_pupil, make_response

pytestmark = pytest.mark.django_db

INDEX = reverse("surveys_participation:index")
CSV = reverse("surveys_participation:csv")


@pytest.fixture(autouse=True)
def _frozen():
    """Every test here runs on 2 November 2026 (academic year 2026/27)."""
    with freeze_time("2026-11-02 10:00"):
        yield


@pytest.fixture(autouse=True)
def _survey_permissions(reference_data):
    """Transactional tests elsewhere flush migration data; put the grants back."""
    from surveys.roles import ensure_survey_permissions

    ensure_survey_permissions()


@pytest.fixture
def region():
    """Two classes this year (Birmingham and Coventry, two programmes) and one last year."""
    index = ProgrammeIndexPageFactory(parent=site_home())
    choices = ProgrammePageFactory(parent=index, title="Choices and Voices")
    streets = ProgrammePageFactory(parent=index, title="Safer Streets")
    lessons = [LessonPageFactory(parent=choices, title=f"Lesson {n}") for n in range(1, 4)]
    LessonPageFactory(parent=streets, title="Streets 1")
    oak = SchoolFactory(name="Oakfield Academy")
    elm = SchoolFactory(name="Elmwood School", local_authority=LocalAuthority.objects.get(slug="coventry"))
    big = TeachingGroupFactory(school=oak, programme=choices, name="8R", pupil_count=28, academic_year=2026)
    small = TeachingGroupFactory(school=elm, programme=streets, name="7B", pupil_count=9, academic_year=2026)
    old = TeachingGroupFactory(school=oak, programme=choices, name="9Z", academic_year=2025)
    for lesson, day in zip(lessons[:2], (dt.date(2026, 9, 14), dt.date(2026, 9, 28)), strict=True):
        LessonDeliveryFactory(group=big, lesson=lesson, delivered_on=day)
    now = timezone.now()
    window = SurveyWindowFactory(group=big, opens_at=now - dt.timedelta(days=9), closes_at=now - dt.timedelta(days=2))
    for _ in range(14):
        make_response(window)
    small_window = SurveyWindowFactory(group=small)
    for _ in range(4):
        make_response(small_window)
    pupil = make_pupil(window, code="TALKME7")
    TalkRequest.objects.create(school=oak, window=window, card_code=pupil.card_code)
    return {"choices": choices, "streets": streets, "oak": oak, "elm": elm, "big": big, "small": small, "old": old}


def _vru(client, group):
    force_login_with_second_factor(client, UserFactory(groups=[group], mfa=True))
    return client


class _Table(HTMLParser):
    """The text of every cell of the participation table, row by row (header row first)."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self._in_table = False

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("id", "participation") in attrs:
            self._in_table = True
        elif self._in_table and tag == "tr":
            self.rows.append([])
        elif self._in_table and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._in_table = False
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _table(response) -> list[list[str]]:
    parser = _Table()
    parser.feed(response.content.decode())
    return parser.rows


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("group", [OFFICER, ANALYST])
def test_officers_and_analysts_see_the_page_the_csv_and_the_menu_item(client, region, group):
    _vru(client, group)
    page = client.get(INDEX)
    download = client.get(CSV)
    assert page.status_code == 200
    assert download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="delivery-and-participation-2026-27.csv"' in download["Content-Disposition"]
    assert "Delivery and participation" in client.get(reverse("wagtailadmin_home")).content.decode()


@pytest.mark.parametrize("group", [CONTENT_EDITOR, MODERATOR, PLATFORM_ADMIN])
def test_other_vru_groups_are_refused_and_see_no_menu_item(client, region, group):
    _vru(client, group)
    for url in (INDEX, CSV):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("wagtailadmin_home")
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "Delivery and participation" not in home
    assert "Oakfield Academy" not in home


@pytest.mark.parametrize("role", [Membership.Role.TEACHER, Membership.Role.SCHOOL_LEAD])
def test_teachers_school_leads_and_anonymous_visitors_are_refused(client, region, role):
    for url in (INDEX, CSV):
        anonymous = client.get(url)
        assert anonymous.status_code == 302
        assert "/login/" in anonymous["Location"]
    client.force_login(MembershipFactory(school=region["oak"], role=role).user)
    for url in (INDEX, CSV):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert b"Oakfield Academy" not in response.content


def test_the_default_is_the_current_academic_year_and_filters_narrow_the_rows(client, region):
    _vru(client, OFFICER)

    def classes(**params):
        rows = _table(client.get(INDEX, params))
        return [row[3] for row in rows[1:]]

    assert classes() == ["8R", "7B"]  # 2026/27 only, by local authority (Birmingham, Coventry)
    assert classes(academic_year=2025) == ["9Z"]
    assert classes(programme=region["streets"].pk) == ["7B"]
    assert classes(local_authority=region["oak"].local_authority_id) == ["8R"]
    assert classes(school=region["elm"].pk) == ["7B"]
    assert classes(school=region["elm"].pk, programme=region["choices"].pk) == []
    page = client.get(INDEX)
    assert page.context["form"]["academic_year"].value() == "2026"


def test_the_csv_is_the_table_for_the_same_filters(client, region):
    _vru(client, OFFICER)
    for params in ({}, {"programme": region["choices"].pk}, {"academic_year": 2025}, {"school": region["elm"].pk}):
        table = _table(client.get(INDEX, params))
        rows = _csv(client.get(CSV, params))
        assert rows == table, params
        assert len(rows[0]) == 18


def test_the_table_shows_delivery_windows_and_suppresses_small_counts(client, region):
    _vru(client, OFFICER)
    header, *rows = _table(client.get(INDEX))
    by_class = {row[3]: dict(zip(header, row, strict=True)) for row in rows}
    big, small = by_class["8R"], by_class["7B"]
    assert (big["Programme"], big["Lessons logged"], big["Lessons planned"]) == ("Choices and Voices", "2", "3")
    assert (big["First lesson taught"], big["Last lesson taught"]) == ("14 Sep 2026", "28 Sep 2026")
    assert big["Baseline survey"] == "Closed (24 Oct 2026 to 31 Oct 2026)"
    assert (big["Baseline responses sent"], big["Class size"]) == ("14", "28")
    assert big["Post survey"] == "No survey"
    assert small["Baseline survey"].startswith("Open (")
    assert (small["Baseline responses sent"], small["Class size"]) == ("fewer than 10", "9")
    assert "fewer than 10" in [cell for row in _csv(client.get(CSV)) for cell in row]


def test_no_answers_or_card_codes_reach_the_page_or_the_csv(client, region):
    _vru(client, OFFICER)
    for response in (client.get(INDEX), client.get(CSV)):
        text = response.content.decode("utf-8-sig")
        assert "TALKME7" not in text
        assert "code_hash" not in text


def test_cells_that_could_start_a_formula_are_neutralised_in_the_csv(client, region):
    region["oak"].name = '=HYPERLINK("https://evil.example","Oak")'
    region["oak"].save()
    region["big"].name = "+8R"
    region["big"].save()
    _vru(client, OFFICER)
    rows = _csv(client.get(CSV))
    row = next(r for r in rows if r[3] == "'+8R")
    assert row[1] == '\'=HYPERLINK("https://evil.example","Oak")'
    assert not [cell for r in rows for cell in r if cell[:1] in ("=", "+", "-", "@")]


def test_bad_filters_are_a_clear_400_never_a_500(client, region):
    _vru(client, OFFICER)
    for params in ({"academic_year": "next"}, {"academic_year": 1999}, {"programme": "x"}, {"school": 999999}):
        page = client.get(INDEX, params)
        assert page.status_code == 400
        assert "Check the filters" in page.content.decode()
        download = client.get(CSV, params)
        assert download.status_code == 400
        assert download.content.decode().startswith("Check the filters:")


def test_only_get_is_allowed(client, region):
    _vru(client, OFFICER)
    assert client.post(INDEX).status_code == 405
    assert client.post(CSV).status_code == 405


def test_the_page_and_the_csv_make_the_same_number_of_queries_for_2_or_12_classes(client, region):
    _vru(client, OFFICER)
    client.get(INDEX)  # warm the session and content-type caches

    def queries(url) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    few = (queries(INDEX), queries(CSV))
    for _ in range(10):
        group = TeachingGroupFactory(programme=region["choices"], academic_year=2026, school=region["oak"])
        LessonDeliveryFactory(group=group, lesson=region["choices"].get_children().specific().first())
        window = SurveyWindowFactory(group=group, wave=SurveyWindow.Wave.BASELINE)
        make_response(window)
    assert (queries(INDEX), queries(CSV)) == few
    assert len(_table(client.get(INDEX))) == 1 + 12
