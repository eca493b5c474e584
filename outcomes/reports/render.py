"""Render an outcome report to PDF bytes with WeasyPrint. Only the project's own static
files can be fetched while rendering (``lessons.pdf.fetcher``); charts are inline SVG."""

from __future__ import annotations

from collections.abc import Callable

from django.template.loader import render_to_string
from weasyprint import HTML

from lessons.pdf.fetcher import PDF_BASE_URL, ProjectFilesURLFetcher

from . import content

TEMPLATE = "outcomes/reports/pdf.html"


def report_html(report, *, on_stage: Callable[[str, int], None] | None = None) -> str:
    if on_stage:
        on_stage("Reading the figures", 10)
    context = content.build(report)
    if on_stage:
        on_stage("Laying out the pages", 50)
    return render_to_string(TEMPLATE, context)


def report_pdf(report, *, on_stage: Callable[[str, int], None] | None = None) -> tuple[bytes, int]:
    """The report's PDF bytes and its number of pages."""
    html = report_html(report, on_stage=on_stage)
    document = HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=ProjectFilesURLFetcher(timeout=5)).render()
    if on_stage:
        on_stage("Writing the PDF", 85)
    return document.write_pdf(), len(document.pages)
