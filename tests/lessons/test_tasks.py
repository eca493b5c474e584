"""The programme-pack task (lessons.tasks): renders once to a deterministic path, is safe
to run twice, and dead-letters after five attempts."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from lessons import services, tasks
from lessons.models import ProgrammePack
from lessons.selectors import live_lessons_for, programme_content_key

pytestmark = pytest.mark.django_db


@pytest.fixture
def pack(programme, lessons):
    key = programme_content_key(programme, live_lessons_for(programme))
    return ProgrammePack.objects.create(programme=programme, content_key=key, lessons_total=len(lessons))


def test_pack_task_produces_a_pdf_of_every_lesson_at_its_deterministic_path(pack, lessons):
    tasks.render_programme_pack.delay(pack.pk)
    pack.refresh_from_db()
    assert (pack.status, pack.lessons_done, pack.attempts, pack.progress_percent) == ("done", 3, 1, 100)
    assert pack.file_path == pack.output_path
    with default_storage.open(pack.file_path) as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for lesson in lessons:
        assert lesson.title in text


def test_running_the_task_twice_does_not_render_again(pack, monkeypatch):
    tasks.render_programme_pack.delay(pack.pk)
    monkeypatch.setattr(services, "programme_pack_build", lambda **kw: pytest.fail("rendered twice"))
    tasks.render_programme_pack.delay(pack.pk)
    pack.refresh_from_db()
    assert (pack.status, pack.attempts) == ("done", 1)


def test_a_pack_past_five_attempts_is_dead_lettered_without_rendering(pack, monkeypatch):
    ProgrammePack.objects.filter(pk=pack.pk).update(attempts=ProgrammePack.MAX_ATTEMPTS, status="running")
    monkeypatch.setattr(services, "programme_pack_build", lambda **kw: pytest.fail("should not render"))
    tasks.render_programme_pack.delay(pack.pk)
    pack.refresh_from_db()
    assert pack.status == ProgrammePack.Status.FAILED
    assert "5 attempts" in pack.last_error


def test_a_failing_render_is_recorded_and_fails_at_once_when_there_is_no_worker(pack, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(services, "programme_pack_build", boom)
    tasks.render_programme_pack.delay(pack.pk)
    pack.refresh_from_db()
    assert pack.status == ProgrammePack.Status.FAILED
    assert "renderer crashed" in pack.last_error


def test_failures_below_the_limit_leave_the_pack_waiting_for_a_retry(pack):
    ProgrammePack.objects.filter(pk=pack.pk).update(attempts=2, status="running")
    assert services.programme_pack_record_failure(pack_id=pack.pk, error="timeout") is False
    pack.refresh_from_db()
    assert (pack.status, pack.last_error) == ("pending", "timeout")
    ProgrammePack.objects.filter(pk=pack.pk).update(attempts=5)
    assert services.programme_pack_record_failure(pack_id=pack.pk, error="timeout") is True


def test_progress_is_visible_while_the_pack_renders(pack, monkeypatch):
    from lessons import pdf

    seen = []

    original = pdf.render_programme_pack

    def spy(programme, lessons, *, on_progress=None):
        def record(done):
            on_progress(done)
            seen.append(ProgrammePack.objects.get(pk=pack.pk).lessons_done)

        return original(programme, lessons, on_progress=record)

    monkeypatch.setattr(pdf, "render_programme_pack", spy)
    tasks.render_programme_pack.delay(pack.pk)
    assert seen == [1, 2, 3]


def _age(pack, minutes: int) -> None:
    from datetime import timedelta

    from django.utils import timezone

    ProgrammePack.objects.filter(pk=pack.pk).update(updated_at=timezone.now() - timedelta(minutes=minutes))


def test_beat_job_resends_packs_stuck_pending_and_leaves_fresh_ones(pack, programme):
    fresh = ProgrammePack.objects.create(programme=programme, content_key="fresh")
    _age(pack, 30)
    assert tasks.requeue_stale_programme_packs.delay().get() == 1
    pack.refresh_from_db()
    fresh.refresh_from_db()
    assert (pack.status, fresh.status) == ("done", "pending")


def test_a_broker_outage_leaves_the_pack_pending_instead_of_failing_the_request(
    programme, lessons, teacher, monkeypatch, django_capture_on_commit_callbacks
):
    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.render_programme_pack, "delay", refuse)
    with django_capture_on_commit_callbacks(execute=True):
        pack = services.programme_pack_request(programme=programme, requested_by=teacher)
    pack.refresh_from_db()
    assert pack.status == ProgrammePack.Status.PENDING


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_renders_the_pack_after_commit(redis_url, reference_data, settings, tmp_path):
    import time
    import uuid

    from celery.contrib.testing.worker import start_worker
    from django.db import transaction

    from config.celery_app import app
    from tests.factories import MembershipFactory

    from .factories import (
        HomePageFactory,
        LessonPageFactory,
        ProgrammeIndexPageFactory,
        ProgrammePageFactory,
        root_page,
    )

    settings.MEDIA_ROOT = tmp_path / "media"
    programme = ProgrammePageFactory(parent=ProgrammeIndexPageFactory(parent=HomePageFactory(parent=root_page())))
    LessonPageFactory(parent=programme, title="Understanding conflict")
    teacher = MembershipFactory().user
    queue = f"upstream-test-{uuid.uuid4().hex}"
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue", "result_backend")}
    app.conf.update(broker_url=redis_url, task_always_eager=False, task_default_queue=queue, result_backend=None)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], loglevel="WARNING"):
            with transaction.atomic():
                pack = services.programme_pack_request(programme=programme, requested_by=teacher)
                time.sleep(1.0)
                assert ProgrammePack.objects.get(pk=pack.pk).attempts == 0  # nothing runs before commit
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                pack.refresh_from_db()
                if pack.is_finished:
                    break
                time.sleep(0.2)
    finally:
        app.conf.update(saved)
    assert (pack.status, pack.attempts) == ("done", 1)
    assert default_storage.exists(pack.file_path)
