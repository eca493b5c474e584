"""Lesson plans cached by page revision (lessons.pdf.cache)."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from lessons.pdf import cache, lesson_plan_path, lesson_plan_pdf

pytestmark = pytest.mark.django_db


def test_second_request_for_the_same_revision_does_not_re_render(lesson, monkeypatch):
    calls = []
    real = cache.render.render_lesson_plan

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(cache.render, "render_lesson_plan", counting)
    first = lesson_plan_pdf(lesson.live_revision)
    second = lesson_plan_pdf(lesson.live_revision)
    assert first == second
    assert len(calls) == 1
    assert default_storage.exists(lesson_plan_path(lesson.pk, lesson.live_revision.pk))


def test_a_published_edit_produces_a_new_pdf(lesson, monkeypatch):
    first = lesson_plan_pdf(lesson.live_revision)
    lesson.title = "Understanding conflict, revised"
    lesson.save_revision().publish()
    lesson.refresh_from_db()
    second = lesson_plan_pdf(lesson.live_revision)
    assert first != second
    assert b"%PDF" in second[:8]
