"""The PDF renderer's URL fetcher (lessons.pdf.fetcher) serves only the project's static
and media files and refuses everything else (test plan T23, docs/decisions.md#t23)."""

from __future__ import annotations

import pytest
from pypdf import PdfReader
from weasyprint import HTML

from lessons.pdf.fetcher import PDF_BASE_URL, ProjectFilesURLFetcher, RefusedURL


@pytest.fixture
def fetcher():
    return ProjectFilesURLFetcher()


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.com/style.css",
        "http://upstream-pdf.invalid/static/css/lessons-pdf.css",  # right host, wrong scheme
        "data:text/css,body{}",
        f"{PDF_BASE_URL}etc/passwd",
        f"{PDF_BASE_URL}static/../../../etc/passwd",
        f"{PDF_BASE_URL}media/../config/settings/base.py",
    ],
)
def test_fetcher_refuses_anything_outside_static_and_media(fetcher, url):
    with pytest.raises(RefusedURL):
        fetcher.fetch(url)


def test_fetcher_logs_each_refusal(fetcher, caplog):
    with pytest.raises(RefusedURL):
        fetcher.fetch("file:///etc/passwd")
    assert "refused" in caplog.text.lower()


def test_fetcher_serves_project_static_files(fetcher):
    response = fetcher.fetch(f"{PDF_BASE_URL}static/css/lessons-pdf.css")
    assert b"@page" in response.read()
    assert response.content_type == "text/css"


def test_fetcher_serves_media_files(fetcher, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "dot.txt").write_bytes(b"hello")
    assert fetcher.fetch(f"{PDF_BASE_URL}media/images/dot.txt").read() == b"hello"


def test_a_document_pointing_at_local_files_renders_without_their_contents(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE")
    html = (
        f'<link rel="stylesheet" href="file://{secret}"><p>Visible</p>'
        f'<img src="file://{secret}"><img src="http://127.0.0.1:9/x.png">'
        f'<a href="{secret}" rel="attachment">x</a>'
    )
    pdf = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=ProjectFilesURLFetcher()).write_pdf()
    out = tmp_path / "out.pdf"
    out.write_bytes(pdf)
    reader = PdfReader(out)
    assert "Visible" in reader.pages[0].extract_text()
    assert b"TOP-SECRET-VALUE" not in pdf
    assert not reader.attachments
