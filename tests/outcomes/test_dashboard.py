"""The "Outcomes" admin dashboard and its CSV (outcomes.admin_views): who may see them, the
filters, clear errors for bad input, hidden figures in words, the methods statement, the
fidelity panel, the numbers equal to the selector's, and the cache."""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership
from accounts.roles import ANALYST, CONTENT_EDITOR, MODERATOR, OFFICER, PLATFORM_ADMIN
from outcomes import dashboard, presentation, selectors, services
from outcomes.filters import OutcomeFilter
from tests.factories import MembershipFactory, UserFactory
from tests.outcomes.dashboard_data import build_region
from tests.outcomes.helpers import closed_class, populate
from tests.second_factor import force_login_with_second_factor

pytestmark = pytest.mark.django_db

INDEX = reverse("outcomes_dashboard:index")
CSV = reverse("outcomes_dashboard:csv")


@pytest.fixture(autouse=True)
def _survey_permissions(reference_data):
    """Transactional tests elsewhere flush migration data; put the grants back."""
    from surveys.roles import ensure_survey_permissions

    ensure_survey_permissions()
    cache.clear()


@pytest.fixture
def region():
    """``tests.outcomes.dashboard_data.build_region`` (its docstring says what is in it)."""
    return build_region()


def _vru(client, group=OFFICER):
    force_login_with_second_factor(client, UserFactory(groups=[group], mfa=True))
    return client


class _Tables(HTMLParser):
    """Every table's rows (cell texts) by the table's caption."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._rows = []
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "caption" and self._caption is not None:
            self._current = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag == "table" and self._rows is not None:
            self.tables[self._current] = self._rows
            self._rows = None
        elif tag in ("td", "th") and self._cell is not None:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._caption is not None:
            self._caption.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _tables(response) -> dict[str, list[list[str]]]:
    """Caption -> rows; a figures table's two header rows (column groups, then columns) are
    reduced to the column headings."""
    parser = _Tables()
    parser.feed(response.content.decode())
    return {
        caption: rows[1:] if rows and rows[0][:1] == [""] and "Change" in rows[0] else rows
        for caption, rows in parser.tables.items()
    }


def _by_heading(rows: list[list[str]]) -> dict[str, dict[str, str]]:
    """First column -> {heading: cell} (a hidden row has one cell across the figures)."""
    header, *body = rows
    return {row[0]: dict(zip(header, row, strict=False)) for row in body}


def _text(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", response.content.decode()).split())


# --- Who may see it -------------------------------------------------------------------


@pytest.mark.parametrize("group", [OFFICER, ANALYST])
def test_officers_and_analysts_see_the_dashboard_the_csv_and_the_menu_item(client, region, group):
    _vru(client, group)
    page = client.get(INDEX)
    download = client.get(CSV)
    assert page.status_code == 200 and download.status_code == 200
    assert download["Content-Type"] == "text/csv; charset=utf-8"
    assert download["Content-Disposition"].startswith('attachment; filename="outcomes')
    assert "/admin/outcomes/" in client.get(reverse("wagtailadmin_home")).content.decode()


def test_superusers_see_the_dashboard(client, region):
    force_login_with_second_factor(client, UserFactory(is_superuser=True, is_staff=True, mfa=True))
    assert client.get(INDEX).status_code == 200


@pytest.mark.parametrize("group", [CONTENT_EDITOR, MODERATOR, PLATFORM_ADMIN])
def test_other_vru_groups_are_turned_back_and_see_no_menu_item(client, region, group):
    _vru(client, group)
    for url in (INDEX, CSV):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    assert "/admin/outcomes/" not in client.get(reverse("wagtailadmin_home")).content.decode()


@pytest.mark.parametrize("role", [Membership.Role.TEACHER, Membership.Role.SCHOOL_LEAD])
def test_teachers_school_leads_and_anonymous_visitors_are_refused(client, region, role):
    for url in (INDEX, CSV):
        anonymous = client.get(url)
        assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    client.force_login(MembershipFactory(school=region["schools"][0], role=role).user)
    for url in (INDEX, CSV, f"{CSV}?programme={region['programme'].slug}"):
        response = client.get(url)
        assert response.status_code in (302, 403)
        assert b"Coventry" not in response.content and b"n_matched" not in response.content


def test_an_officer_without_the_second_factor_in_this_session_is_signed_out(client, region):
    officer = UserFactory(groups=[OFFICER], mfa=True)
    client.force_login(officer)  # password only
    for url in (INDEX, CSV):
        response = client.get(url)
        assert response.status_code == 302
        assert b"Coventry" not in response.content


# --- What it shows --------------------------------------------------------------------


def test_the_dashboard_shows_each_scale_with_its_chart_table_and_the_selectors_numbers(client, region):
    _vru(client)
    response = client.get(INDEX, {"programme": region["programme"].slug})
    assert response.status_code == 200
    html = response.content.decode()
    table = selectors.outcome_table(dashboard.parse({"programme": region["programme"].slug}))
    tables = _tables(response)
    for scale in ("safety", "violence"):
        row = next(r for r in table.rows if r.scale == scale and r.scope == "region" and r.subgroup == "all")
        shown = presentation.present_row(row)
        caption = f"{row.scale_name}, West Midlands: the figures in the chart"
        header, *body = tables[caption]
        assert header[0] == "Pupils" and header[1:] == [h for _k, h in presentation.COLUMNS]
        cells = dict(zip(header, body[0], strict=True))
        assert cells["Pupils"] == "All pupils"
        assert cells["Pupils matched"] == str(row.figures.n_matched) == "64"
        assert cells["Pupils at baseline"] == str(row.figures.n_baseline) == "76"
        assert cells["Schools"] == "6" and cells["Classes"] == "6"
        assert cells["Change in scale points (95% interval)"] == shown.cells["change"]
        assert shown.cells["change"].startswith(presentation.number(row.figures.summary.mean_change, signed=True))
        assert cells["p (Holm-adjusted)"] == presentation.p_value(row.p_holm)
        assert cells["Effect size g_av"] == presentation.number(row.figures.summary.g_av, signed=True)
        assert cells["Design effect"] == presentation.number(row.figures.design_effect)
        assert cells["Match rate"] == "84%"  # 64 of 76
    # Two charts inlined, each labelled by its title and description, none with inline CSS.
    assert html.count('role="img"') >= 2
    for svg in re.findall(r"<svg[^>]*outcome-chart.*?</svg>", html, flags=re.S):
        assert "<style" not in svg and "style=" not in svg and "<script" not in svg
        assert "<title" in svg and "<desc" in svg
    # The local authorities under the region, each with its number of schools.
    coventry = _by_heading(tables["Feeling safe by local authority"])["Coventry, All pupils"]
    assert coventry["Schools"] == "3"
    assert coventry["Pupils matched"] == "34"  # 10 girls at each of 3 schools and 4 boys


def test_hidden_figures_read_fewer_than_10_or_fewer_than_3_schools(client, region):
    _vru(client)
    response = client.get(INDEX, {"programme": region["programme"].slug, "breakdown": "gender"})
    assert response.status_code == 200
    tables = _tables(response)
    areas = tables["Feeling safe by local authority"]
    dudley = next(r for r in areas if r[0] == "Dudley, All pupils")
    assert dudley[1] == "fewer than 3 schools"
    assert len(dudley) == 2  # label, and one cell in words across every figure column
    top = tables["Feeling safe, West Midlands: the figures in the chart"]
    boys = next(r for r in top if r[0] == "Boy")
    assert boys[1] == "fewer than 10"
    assert "4" not in boys[1:]
    girls = next(r for r in top if r[0] == "Girl")
    assert girls[1] == "hidden to protect a smaller group"  # or the boys = all - girls
    walsall = next(r for r in areas if r[0] == "Walsall, All pupils")
    assert walsall[1] == "fewer than 3 schools"
    # The chart leaves the hidden group out and says why.
    html = response.content.decode()
    assert "Boy not shown: fewer than 10." in html


def test_officers_see_only_figures_from_at_least_3_schools(client, region):
    """No school or class row, and every shown region or authority row rests on 3+ schools."""
    _vru(client)
    response = client.get(INDEX, {"programme": region["programme"].slug})
    text = _text(response)
    for school in region["schools"]:
        assert school.name not in text
    board = dashboard.build(dashboard.parse({"programme": region["programme"].slug}))
    scopes = {r.row.scope for p in board.programmes for s in p.sections for r in s.scopes}
    assert scopes == {"region", "local_authority"}
    for p in board.programmes:
        for s in p.sections + p.dose_sections:
            for r in s.scopes:
                assert r.hidden or r.row.figures.n_schools >= 3
                assert r.hidden or r.row.figures.n_matched >= 10


def test_the_methods_statement_is_on_every_view(client, region):
    _vru(client)
    for params in ({}, {"programme": region["programme"].slug, "breakdown": "ethnicity"}, {"academic_year": "2019"}):
        text = _text(client.get(INDEX, params))
        assert "Methods" in text
        assert "Monitoring, not proof of impact." in text
        assert "Rules version upstream-sdc-2" in text
        assert "Holm-adjusted" in text and "95% confidence interval" in text
    text = _text(client.get(INDEX, {"programme": region["programme"].slug}))
    assert f"{region['version'].instrument.name} v{region['version'].number}" in text
    assert "Bystander interventions to prevent sexual assault" in text  # the YEF Toolkit entry
    assert "no evidence of effects on perpetration" in text
    assert "Local pilot in 2025 with 6 schools." in text
    assert "64 of 76 baseline pupils matched (84%" in text


def test_the_fidelity_panel_and_change_by_lessons_delivered(client, region):
    _vru(client)
    response = client.get(INDEX, {"programme": region["programme"].slug})
    text = _text(response)
    assert "6 classes at 6 schools finished both surveys; the programme's plan has 4 lessons" in text
    assert "median 3.5, fewest 1, most 4" in text
    bands = dict(r for r in _tables(response)["Classes by the share of the plan they delivered"][1:])
    assert bands == {
        "All the lessons": "3",
        "Half or more of the lessons": "2",
        "Fewer than half the lessons": "1",
        "No lesson plan recorded": "0",
    }
    assert "Change by lessons delivered" in text
    header, *dose = _tables(response)["Feeling safe, West Midlands, by lessons delivered: the figures in the chart"]
    assert header[0] == "Lessons delivered"
    assert [r[0] for r in dose][:1] == ["All pupils"]
    assert {r[0] for r in dose[1:]} <= {"Fewer than half the lessons", "Half or more of the lessons", "All the lessons"}
    assert len(dose) > 1


# --- Filters and bad input --------------------------------------------------------------


def test_filters_narrow_the_figures(client, region):
    _vru(client)
    slug = region["programme"].slug
    coventry = client.get(INDEX, {"programme": slug, "local_authority": "coventry"})
    tables = _tables(coventry)
    assert "Feeling safe, Coventry: the figures in the chart" in tables
    assert "Feeling safe, West Midlands: the figures in the chart" not in tables
    first = _by_heading(tables["Feeling safe, Coventry: the figures in the chart"])["All pupils"]
    assert first["Pupils matched"] == "34" and first["Schools"] == "3"  # 10 x 3 girls + 4 boys
    other_year = client.get(INDEX, {"programme": slug, "year_group": "9"})
    assert other_year.status_code == 200
    assert "No outcome figures yet for these filters" in _text(other_year)
    by_year = _tables(client.get(INDEX, {"programme": slug, "breakdown": "year_group"}))
    assert [r[0] for r in by_year["Feeling safe, West Midlands: the figures in the chart"][1:]] == [
        "All pupils",
        "Year 8",
    ]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"academic_year": "abc"}, "'abc' is not a valid academic year"),
        ({"year_group": "99"}, "'99' is not a valid year group"),
        ({"breakdown": "postcode"}, "'postcode' is not a breakdown"),
        ({"programme": "no-such-programme"}, "No programme has the slug 'no-such-programme'"),
        ({"local_authority": "atlantis"}, "No local authority has the slug 'atlantis'"),
        ({"compare": "sideways"}, "'sideways' is not a comparison"),
    ],
)
def test_bad_filters_are_a_clear_400_never_a_500(client, region, params, message):
    _vru(client)
    page = client.get(INDEX, params)
    assert page.status_code == 400
    assert message in page.content.decode().replace("&#x27;", "'")
    assert "Check the filters" in page.content.decode()
    download = client.get(CSV, params)
    assert download.status_code == 400
    assert message in download.content.decode()


# --- The CSV is the command's output ----------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"breakdown": "gender"},
        {"breakdown": "ethnicity", "local_authority": "coventry"},
        {"breakdown": "dose", "year_group": "8", "academic_year": "2026"},
    ],
)
def test_the_csv_download_is_byte_for_byte_export_outcomes(client, region, params):
    _vru(client)
    params = {"programme": region["programme"].slug, **params}
    download = client.get(CSV, params)
    assert download.status_code == 200
    args = ["--scope", "region,local_authority"]
    for name, value in params.items():
        args += [f"--{name.replace('_', '-')}", value]
    out = io.StringIO()
    call_command("export_outcomes", *args, stdout=out)
    assert download.content == out.getvalue().encode("utf-8")
    assert len(download.content.splitlines()) > 2
    if params.get("breakdown") == "gender":
        assert b"fewer than 10" in download.content  # the boys, suppressed the same way


def test_the_csv_link_carries_the_filters(client, region):
    _vru(client)
    html = client.get(INDEX, {"programme": region["programme"].slug, "breakdown": "gender"}).content.decode()
    assert f'href="{CSV}?programme={region["programme"].slug}&amp;breakdown=gender"' in html


# --- Cache --------------------------------------------------------------------------------


def test_a_warm_dashboard_is_served_from_the_cache_and_follows_new_data(client, region):
    _vru(client)
    params = {"programme": region["programme"].slug}
    client.get(INDEX, params)  # cold
    with CaptureQueriesContext(connection) as warm:
        page = client.get(INDEX, params)
    assert page.status_code == 200
    assert not any("outcomes_classrollup" in q["sql"] or "outcomes_arearollup" in q["sql"] for q in warm)
    # New answers move the data version: the next view shows the new figures.
    group, baseline, post = closed_class(
        programme=region["programme"], version=region["version"], school=region["schools"][1]
    )
    populate(baseline, post, 10, seed=7)
    services.class_pairs_refresh(keys=services.all_pair_keys())
    text = _text(client.get(INDEX, params))
    assert "from 74 matched pupils in 7 classes at 6 schools" in text


def test_the_dashboard_object_needs_no_request():
    """The PDF reports build the same content in a Celery task."""
    resolved = OutcomeFilter.parse(scopes=dashboard.SCOPES).resolve()
    board = dashboard.build(resolved, use_cache=False)
    assert board.programmes == [] and board.rules_version == "upstream-sdc-2"
