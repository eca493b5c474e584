"""Render lesson plans and programme packs to PDF bytes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.template.loader import render_to_string
from django.utils import timezone
from weasyprint import HTML

from .fetcher import PDF_BASE_URL, ProjectFilesURLFetcher

if TYPE_CHECKING:
    from wagtail.models import Revision

    from ..models import LessonPage, ProgrammePage


def _document(html: str):
    return HTML(string=html, base_url=PDF_BASE_URL, url_fetcher=ProjectFilesURLFetcher(timeout=5)).render()


def _lesson_html(
    lesson: LessonPage,
    revision: Revision | None,
    *,
    number: int | None,
    total: int | None,
    page_start: int | None = None,
) -> str:
    from ..selectors import revision_published_at

    published = revision_published_at(revision) if revision is not None else None
    return render_to_string(
        "lessons/pdf/lesson_plan.html",
        {
            "page": lesson,
            "programme": lesson.programme,
            "pdf": True,
            "revision": revision,
            "published_at": timezone.localtime(published) if published else None,
            "number": number,
            "total": total,
            "page_start": page_start,
        },
    )


def render_lesson_plan(lesson: LessonPage, revision: Revision | None = None) -> bytes:
    """One lesson plan as A4 PDF bytes. ``lesson`` should be the revision's page object."""
    position = lesson.position
    number, total = position if position else (None, None)
    return _document(_lesson_html(lesson, revision, number=number, total=total)).write_pdf()


def render_programme_pack(
    programme: ProgrammePage,
    lessons: list[tuple[LessonPage, Revision | None]],
    *,
    on_progress: Callable[[int], None] | None = None,
) -> bytes:
    """All lessons of a programme, with a cover and contents page, as one PDF.

    Lessons are rendered one by one (``on_progress`` is told how many are done), then the
    contents page is rendered with the page numbers now known, and the pages combined.
    """

    def contents(entries: list[dict]):
        html = render_to_string(
            "lessons/pdf/programme_pack.html",
            {
                "programme": programme,
                "entries": entries,
                "generated_at": timezone.localtime(),
                "pdf": True,
                "page_start": 1,
            },
        )
        return _document(html)

    # The contents page is laid out first with placeholder numbers to learn its length;
    # each lesson then continues the page numbering from where the previous one ended.
    placeholder = [{"title": lesson.title, "page": 999, "minutes": lesson.duration_minutes} for lesson, _ in lessons]
    next_page = len(contents(placeholder).pages) + 1
    documents, entries = [], []
    for n, (lesson, revision) in enumerate(lessons, start=1):
        html = _lesson_html(lesson, revision, number=n, total=len(lessons), page_start=next_page)
        document = _document(html)
        entries.append({"title": lesson.title, "page": next_page, "minutes": lesson.duration_minutes})
        next_page += len(document.pages)
        documents.append(document)
        if on_progress is not None:
            on_progress(n)
    front = contents(entries)
    pages = [page for document in [front, *documents] for page in document.pages]
    return front.copy(pages).write_pdf()
