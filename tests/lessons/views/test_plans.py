"""Lesson-plan downloads and programme packs (lessons.views.plans)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Membership
from lessons.models import ProgrammePack
from lessons.pdf import cache
from tests.factories import MembershipFactory, UserFactory, login_with_second_factor

pytestmark = pytest.mark.django_db


def test_lesson_plan_needs_a_signed_in_user(client, lesson):
    response = client.get(reverse("lessons:lesson_plan", args=[lesson.pk]))
    assert response.status_code == 302


def test_lesson_plan_downloads_as_a_pdf_and_is_served_from_cache_the_second_time(client, teacher, lesson, monkeypatch):
    client.force_login(teacher)
    calls = []
    real = cache.render.render_lesson_plan
    monkeypatch.setattr(cache.render, "render_lesson_plan", lambda *a, **k: calls.append(a) or real(*a, **k))
    url = reverse("lessons:lesson_plan", args=[lesson.pk])
    first = client.get(url)
    second = client.get(url)
    assert first.status_code == second.status_code == 200
    assert first["Content-Type"] == "application/pdf"
    assert "attachment" in first["Content-Disposition"]
    assert first.content == second.content
    assert len(calls) == 1
    assert lesson.title in PdfReader(io.BytesIO(first.content)).pages[0].extract_text()


def test_unpublished_lesson_has_no_plan(client, teacher, lesson):
    lesson.unpublish()
    client.force_login(teacher)
    assert client.get(reverse("lessons:lesson_plan", args=[lesson.pk])).status_code == 404


def test_pack_is_requested_by_post_only(client, teacher, programme, lessons):
    client.force_login(teacher)
    assert client.get(reverse("lessons:pack_request", args=[programme.pk])).status_code == 405


def test_teacher_requests_a_pack_sees_progress_and_downloads_it(
    client, teacher, programme, lessons, django_capture_on_commit_callbacks
):
    client.force_login(teacher)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("lessons:pack_request", args=[programme.pk]))
    pack = ProgrammePack.objects.get()
    assert response["Location"] == reverse("lessons:pack_status", args=[pack.pk])

    waiting = client.get(response["Location"]).content.decode()
    assert '<meta http-equiv="refresh"' in waiting
    assert "0 of 3 lessons done" in waiting
    assert reverse("lessons:pack_status", args=[pack.pk]) in waiting  # a manual refresh link too
    assert client.get(reverse("lessons:pack_download", args=[pack.pk])).status_code == 404

    # The worker picks up the task queued when the request committed.
    [queued] = callbacks
    queued()
    ready = client.get(reverse("lessons:pack_status", args=[pack.pk])).content.decode()
    assert "http-equiv" not in ready
    assert "Your pack is ready" in ready
    download = client.get(reverse("lessons:pack_download", args=[pack.pk]))
    body = b"".join(download.streaming_content)
    assert download["Content-Type"] == "application/pdf"
    assert "Contents" in PdfReader(io.BytesIO(body)).pages[0].extract_text()


def test_failed_pack_offers_to_try_again(client, teacher, programme, lessons):
    pack = ProgrammePack.objects.create(programme=programme, content_key="x", status=ProgrammePack.Status.FAILED)
    client.force_login(teacher)
    html = client.get(reverse("lessons:pack_status", args=[pack.pk])).content.decode()
    assert "Try again" in html and "http-equiv" not in html


# --- Lesson content is for approved school staff and VRU staff --------------------------


@pytest.fixture
def pending_teacher():
    return MembershipFactory(status=Membership.Status.PENDING).user


@pytest.fixture
def done_pack(programme, lessons):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    pack = ProgrammePack.objects.create(programme=programme, content_key="k", status=ProgrammePack.Status.DONE)
    pack.file_path = default_storage.save(pack.output_path, ContentFile(b"%PDF-1.4 pack"))
    pack.save(update_fields=["file_path"])
    return pack


def test_a_teacher_waiting_for_approval_gets_no_lesson_plan_or_pack(client, pending_teacher, lesson, done_pack):
    client.force_login(pending_teacher)
    for url in (
        reverse("lessons:lesson_plan", args=[lesson.pk]),
        reverse("lessons:pack_status", args=[done_pack.pk]),
        reverse("lessons:pack_download", args=[done_pack.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "You need to be approved first" in response.content.decode()
        assert response["Content-Type"].startswith("text/html")


def test_a_teacher_waiting_for_approval_cannot_ask_for_a_pack_and_nothing_is_written(
    client, pending_teacher, programme, lessons, django_capture_on_commit_callbacks
):
    client.force_login(pending_teacher)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("lessons:pack_request", args=[programme.pk]))
    assert response.status_code == 403
    assert not ProgrammePack.objects.exists()
    assert callbacks == []


def test_an_account_linked_to_no_school_gets_no_lesson_plan(client, lesson):
    client.force_login(UserFactory())
    assert client.get(reverse("lessons:lesson_plan", args=[lesson.pk])).status_code == 403


def test_vru_staff_get_lesson_plans_and_packs(client, lesson, done_pack):
    login_with_second_factor(client, UserFactory(groups=["Content editors"], mfa=True))
    assert client.get(reverse("lessons:lesson_plan", args=[lesson.pk])).status_code == 200
    download = client.get(reverse("lessons:pack_download", args=[done_pack.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"%PDF-1.4 pack"
