"""Printable lesson plans (cached by revision) and whole-programme packs: lesson content,
so for the same audience as lesson pages (``accounts.decorators.lesson_reader_required``:
approved school staff and VRU staff)."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts.decorators import lesson_reader_required

from .. import selectors, services
from ..models import LessonPage, ProgrammePack, ProgrammePage
from ..pdf import lesson_plan_pdf


@lesson_reader_required
def lesson_plan(request, page_id: int):
    lesson = get_object_or_404(LessonPage.objects.live(), pk=page_id)
    revision = selectors.lesson_plan_revision(lesson)
    if revision is None:
        raise Http404("This lesson has not been published.")
    response = HttpResponse(lesson_plan_pdf(revision), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="lesson-plan-{lesson.slug}.pdf"'
    return response


@require_POST
@lesson_reader_required
def pack_request(request, page_id: int):
    programme = get_object_or_404(ProgrammePage.objects.live(), pk=page_id)
    pack = services.programme_pack_request(programme=programme, requested_by=request.user)
    return redirect("lessons:pack_status", pk=pack.pk)


@lesson_reader_required
def pack_status(request, pk: int):
    pack = get_object_or_404(ProgrammePack.objects.select_related("programme"), pk=pk)
    return render(request, "lessons/programme_pack.html", {"pack": pack, "programme": pack.programme})


@lesson_reader_required
def pack_download(request, pk: int):
    pack = get_object_or_404(ProgrammePack, pk=pk, status=ProgrammePack.Status.DONE)
    if not pack.file_path or not default_storage.exists(pack.file_path):
        raise Http404("The pack file is missing; ask for it again.")
    return FileResponse(
        default_storage.open(pack.file_path),
        as_attachment=True,
        filename=f"lesson-pack-{pack.programme.slug}.pdf",
        content_type="application/pdf",
    )
