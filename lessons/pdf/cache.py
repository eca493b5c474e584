"""Lesson plans cached by page revision.

The file for a revision is written once to a deterministic storage path; later requests
read it back without rendering. Publishing an edit creates a new revision and so a new
file. Old files are harmless and can be swept by a storage lifecycle rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from . import render

if TYPE_CHECKING:
    from wagtail.models import Revision

    from ..models import LessonPage


def lesson_plan_path(lesson_id: int, revision_id: int) -> str:
    return f"lesson-plans/lessons/lesson-{lesson_id}-revision-{revision_id}.pdf"


def lesson_plan_pdf(revision: Revision) -> bytes:
    """The PDF for a published lesson revision, rendered only on the first request."""
    path = lesson_plan_path(int(revision.object_id), revision.pk)
    if default_storage.exists(path):
        with default_storage.open(path) as handle:
            return handle.read()
    lesson: LessonPage = revision.as_object()
    pdf = render.render_lesson_plan(lesson, revision)
    if not default_storage.exists(path):  # another request may have won the race
        default_storage.save(path, ContentFile(pdf))
    return pdf
