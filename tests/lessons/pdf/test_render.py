"""Lesson plans and programme packs as real PDFs (lessons.pdf.render)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from lessons.pdf import render_lesson_plan, render_programme_pack

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_lesson_plan_is_an_a4_pdf_with_title_every_activity_and_timings(lesson):
    revision = lesson.live_revision
    pdf = render_lesson_plan(revision.as_object(), revision)
    assert pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(pdf))
    width, height = float(reader.pages[0].mediabox.width), float(reader.pages[0].mediabox.height)
    assert (round(width), round(height)) == (595, 842)  # A4 in points
    text = _text(pdf)
    assert "Understanding conflict" in text
    assert "Choices and Voices" in text
    for activity in lesson.activities:
        assert activity["heading"] in text
    assert "Timings" in text and "Learning objectives" in text
    assert "Safeguarding" in text
    assert "Page 1 of" in text
    assert "Published version of" in text


def test_programme_pack_has_a_contents_page_and_every_lesson(programme, lessons):
    done = []
    pdf = render_programme_pack(
        programme,
        [(lesson.live_revision.as_object(), lesson.live_revision) for lesson in lessons],
        on_progress=done.append,
    )
    reader = PdfReader(io.BytesIO(pdf))
    contents = reader.pages[0].extract_text()
    assert "Contents" in contents
    for lesson in lessons:
        assert lesson.title in contents
    assert done == [1, 2, 3]
    text = _text(pdf)
    for lesson in lessons:
        assert text.count(lesson.title) >= 2
    # Page numbers run through the whole file so the contents page matches the footer.
    assert f"Page {len(reader.pages)}" in reader.pages[-1].extract_text()
