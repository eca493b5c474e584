"""One set of filters, four surfaces, the same figures (issue 9): the officers' dashboard
page, its CSV download, ``manage.py export_outcomes`` and the regional PDF report's text.

The CSV is compared byte for byte with the command. The page and the PDF print rounded
numbers, so every figure of every shown row (counts, the means, the change, its interval,
g_av) is looked for in their text as the surface prints it (two decimals, a true minus
sign); a hidden row must show its reason and none of its numbers."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from pypdf import PdfReader

from accounts.roles import OFFICER
from outcomes.reports import services as report_services
from tests.factories import UserFactory
from tests.outcomes.reports_world import report_world
from tests.second_factor import force_login_with_second_factor

pytestmark = pytest.mark.django_db

DASHBOARD, DASHBOARD_CSV = "/admin/outcomes/", "/admin/outcomes/csv/"


@pytest.fixture
def world(settings, tmp_path, reference_data):
    from surveys.roles import ensure_survey_permissions

    ensure_survey_permissions()
    settings.MEDIA_ROOT = tmp_path / "media"
    return report_world()


def _tokens(text: str) -> set[str]:
    """Words of a surface's text, with a leading plus dropped and the true minus kept, so
    '+0.36', '0.36' and '(0.36' all read '0.36'."""
    words = set()
    for word in text.split():
        word = word.strip("(),;:[]")
        words.add(word.lstrip("+"))
    return words


def _two(value: str) -> str:
    return f"{float(value):.2f}".replace("-", "\u2212")


def _figures(row: dict[str, str]) -> list[str]:
    return [
        f"{int(row['n_matched']):,}",
        _two(row["baseline_mean"]),
        _two(row["post_mean"]),
        _two(row["mean_change"]),
        _two(row["ci_low"]),
        _two(row["ci_high"]),
        _two(row["g_av"]),
    ]


def test_dashboard_csv_command_and_pdf_carry_the_same_figures(world, client, django_capture_on_commit_callbacks):
    officer = UserFactory(groups=[OFFICER], mfa=True)
    force_login_with_second_factor(client, officer)
    params = {"programme": world["programme"].slug, "academic_year": str(world["year"])}

    # 1. The command, for the dashboard's scopes (region and local authorities).
    out = io.StringIO()
    call_command(
        "export_outcomes",
        "--scope",
        "region,local_authority",
        "--programme",
        params["programme"],
        "--academic-year",
        params["academic_year"],
        stdout=out,
    )
    command_csv = out.getvalue()

    rows = list(csv.DictReader(io.StringIO(command_csv)))
    shown = [r for r in rows if not r["suppressed"] and r["subgroup"] == "all"]
    hidden = [r for r in rows if r["suppressed"] and r["subgroup"] == "all"]
    assert any(r["scope"] == "region" for r in shown), "the world has a region figure from 3 schools"
    assert hidden, "and local authorities of one school each, hidden"

    # 2. The dashboard's CSV download: the same bytes.
    download = client.get(DASHBOARD_CSV, params)
    assert download.status_code == 200
    assert download.content.decode("utf-8") == command_csv

    # 3. The dashboard page: every shown figure, in its text.
    page = client.get(DASHBOARD, params)
    assert page.status_code == 200
    page_text = " ".join(re.sub(r"<[^>]+>", " ", page.content.decode()).split())
    page_words = _tokens(page_text)
    for row in shown:
        missing = [f for f in _figures(row) if f not in page_words]
        assert not missing, f"dashboard lacks {missing} of {row['scope_name']} / {row['scale']}"
    assert "fewer than 3 schools" in page_text

    # 4. The regional PDF for the same programme and year: the same figures in its text.
    with django_capture_on_commit_callbacks(execute=True):
        report, _ = report_services.report_request(
            kind="regional", programme=world["programme"], academic_year=world["year"], school=None, user=officer
        )
    report.refresh_from_db()
    assert report.status == "ready", report.last_error
    with default_storage.open(report.file_path) as handle:
        data = handle.read()
    assert data.startswith(b"%PDF")
    pdf_text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    pdf_words = _tokens(pdf_text)
    for row in shown:
        missing = [f for f in _figures(row) if f not in pdf_words]
        assert not missing, f"PDF lacks {missing} of {row['scope_name']} / {row['scale']}"
    assert "fewer than 3 schools" in " ".join(pdf_text.split())
