"""Demo content (lessons.demo): complete, idempotent, and free of shock tactics."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from wagtail.models import Page, Revision, WorkflowState

from lessons.demo import primary, secondary
from lessons.models import LessonDelivery, LessonPage, ProgrammePage, TeachingGroup

pytestmark = pytest.mark.django_db

SHOCK_WORDS = ("blood", "stabbed", "stabbing", "killed", "murder", "dead body", "gore", "graphic footage")


def _state():
    return (
        Page.objects.count(),
        Revision.objects.count(),
        TeachingGroup.objects.count(),
        LessonDelivery.objects.count(),
        WorkflowState.objects.count(),
    )


def test_seed_demo_builds_programmes_and_is_idempotent():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    first = _state()
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert _state() == first

    assert LessonPage.objects.live().count() >= 8
    ks3 = ProgrammePage.objects.get(slug=secondary.PROGRAMME["slug"])
    ks2 = ProgrammePage.objects.get(slug=primary.PROGRAMME["slug"])
    assert len(ks3.live_lessons) >= 6 and "Key Stage 3 (Years 7–9)" in ks3.key_stages
    assert len(ks2.live_lessons) >= 3 and "Key Stage 2 (Years 3–6)" in ks2.key_stages
    assert WorkflowState.objects.filter(status=WorkflowState.STATUS_IN_PROGRESS).count() == 1
    group = TeachingGroup.objects.get(name="8R", teacher__email="teacher@oakfield-academy.example")
    assert group.deliveries.count() == 4
    assert group.co_teachers.filter(email="lead@oakfield-academy.example").exists()


@pytest.mark.parametrize("lesson", secondary.LESSONS + primary.LESSONS, ids=lambda lesson: lesson["slug"])
def test_each_demo_lesson_has_objectives_timed_activities_prompts_and_notes(lesson):
    kinds = [block["type"] for block in lesson["body"]]
    assert len(lesson["objectives"]) >= 2
    assert kinds.count("activity") >= 3
    assert {"discussion_prompt", "teacher_note", "safeguarding_note"} <= set(kinds)
    minutes = sum(block["value"]["minutes"] for block in lesson["body"] if block["type"] == "activity")
    assert minutes == lesson["duration"], "activities should fill the lesson exactly"


def test_demo_content_avoids_shock_tactics():
    text = repr(secondary.LESSONS + primary.LESSONS + [secondary.PROGRAMME, primary.PROGRAMME]).lower()
    assert not [word for word in SHOCK_WORDS if word in text]


def test_secondary_programme_covers_the_six_topics():
    titles = " ".join(lesson["title"].lower() for lesson in secondary.LESSONS)
    for topic in ("conflict", "peer", "weapon", "bystander", "online", "help"):
        assert topic in titles
