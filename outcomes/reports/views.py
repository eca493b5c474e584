"""School reports on the staff pages: a school lead asks for their school's report, watches
its progress (the page refreshes itself, no JavaScript) and downloads it. Only approved
school leads of that school; anyone else is told the school or report does not exist (404)."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from accounts.decorators import approved_staff_required
from accounts.selectors import schools_led_by

from . import services
from .forms import ReportRequestForm
from .models import OutcomeReport


def _report_for(request, pk: int) -> OutcomeReport:
    return get_object_or_404(
        OutcomeReport.objects.select_related("programme", "school"),
        pk=pk,
        kind=OutcomeReport.Kind.SCHOOL,
        school__in=schools_led_by(request.user),
    )


@approved_staff_required
def school_reports(request, school_pk: int):
    school = get_object_or_404(schools_led_by(request.user), pk=school_pk)
    form = ReportRequestForm(request.POST or None, school=school)
    if request.method == "POST" and form.is_valid():
        report, _queued = services.report_request(
            kind=OutcomeReport.Kind.SCHOOL,
            programme=form.cleaned_data["programme"],
            academic_year=form.cleaned_data["academic_year"],
            school=school,
            user=request.user,
        )
        return redirect("outcome_reports:status", pk=report.pk)
    reports = (
        OutcomeReport.objects.filter(kind=OutcomeReport.Kind.SCHOOL, school=school)
        .select_related("programme")
        .order_by("-created_at")[:10]
    )
    return render(
        request,
        "outcomes/reports/school.html",
        {"school": school, "form": form, "reports": reports},
        status=400 if request.method == "POST" else 200,
    )


@approved_staff_required
def status(request, pk: int):
    report = _report_for(request, pk)
    if request.GET.get("fragment"):
        return progress_fragment(request, report, reverse("outcome_reports:download", args=[report.pk]), request.path)
    return render(request, "outcomes/reports/status.html", {"report": report})


def progress_fragment(request, report: OutcomeReport, download_url: str, status_url: str):
    """The status panel's inside, for the page's script to swap in (no page reload)."""
    response = render(
        request,
        "outcomes/reports/_progress.html",
        {"report": report, "download_url": download_url, "status_url": status_url},
    )
    response["X-Report-Finished"] = "1" if report.is_finished else "0"
    response["Cache-Control"] = "no-store"
    return response


@approved_staff_required
def download(request, pk: int):
    report = _report_for(request, pk)
    return file_response(report)


def file_response(report: OutcomeReport):
    if report.status != OutcomeReport.Status.READY:
        raise Http404("This report is not ready.")
    if not report.file_path or not default_storage.exists(report.file_path):
        raise Http404("The report's file is missing; ask for it again.")
    return FileResponse(
        default_storage.open(report.file_path),
        as_attachment=True,
        filename=report.download_name,
        content_type="application/pdf",
    )
