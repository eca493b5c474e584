"""Participant cards as an A4 PDF (WeasyPrint).

Uses the lessons app's URL fetcher, which refuses everything but the project's own static
and media files (docs/decisions.md#9); the card template inlines its CSS, so nothing needs fetching.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from weasyprint import HTML

from lessons.pdf.fetcher import PDF_BASE_URL, ProjectFilesURLFetcher

from .codes import format_card_code

CARDS_PER_PAGE = 10


def render_cards_pdf(*, codes: list[str], group, start_url: str, wave_hint: str = "") -> bytes:
    cards = [{"code": format_card_code(code), "number": n} for n, code in enumerate(codes, start=1)]
    pages = [cards[i : i + CARDS_PER_PAGE] for i in range(0, len(cards), CARDS_PER_PAGE)]
    html = render_to_string(
        "surveys/staff/cards_pdf.html",
        {"pages": pages, "group": group, "start_url": start_url, "wave_hint": wave_hint, "total": len(cards)},
    )
    return HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=ProjectFilesURLFetcher(timeout=5)).write_pdf()
