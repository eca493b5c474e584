"""Printable lesson plans and programme packs (WeasyPrint).

Only our own templates are rendered, with autoescaping, and the URL fetcher refuses
everything except the project's static and media files (no ``file://``, no network).
"""

from .cache import lesson_plan_path, lesson_plan_pdf
from .fetcher import PDF_BASE_URL, ProjectFilesURLFetcher
from .render import render_lesson_plan, render_programme_pack

__all__ = [
    "PDF_BASE_URL",
    "ProjectFilesURLFetcher",
    "lesson_plan_path",
    "lesson_plan_pdf",
    "render_lesson_plan",
    "render_programme_pack",
]
