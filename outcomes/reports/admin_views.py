"""The VRU's "Outcome reports" admin page: officers and analysts (and superusers) ask for
the regional programme report, watch its progress and download it. Behind the Wagtail admin
and its second factor like every admin view."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from accounts.roles import ANALYST, OFFICER

from . import services
from .forms import ReportRequestForm
from .models import OutcomeReport
from .views import file_response, progress_fragment


def can_request_regional(user) -> bool:
    return user.is_active and (user.is_superuser or user.groups.filter(name__in=[OFFICER, ANALYST]).exists())


def _guard(request) -> None:
    if not can_request_regional(request.user):
        raise PermissionDenied


def index(request):
    _guard(request)
    # The dashboard links here with its programme and year (?programme=<id>&academic_year=2026).
    initial = {key: request.GET[key] for key in ("programme", "academic_year") if request.GET.get(key, "").isdigit()}
    form = ReportRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        report, _queued = services.report_request(
            kind=OutcomeReport.Kind.REGIONAL,
            programme=form.cleaned_data["programme"],
            academic_year=form.cleaned_data["academic_year"],
            user=request.user,
        )
        return redirect("outcome_reports_admin:status", pk=report.pk)
    reports = (
        OutcomeReport.objects.filter(kind=OutcomeReport.Kind.REGIONAL)
        .select_related("programme")
        .order_by("-created_at")[:20]
    )
    return render(
        request,
        "outcomes/reports/admin_index.html",
        {"page_title": "Outcome reports", "header_icon": "doc-full", "form": form, "reports": reports},
        status=400 if request.method == "POST" else 200,
    )


def status(request, pk: int):
    _guard(request)
    report = get_object_or_404(
        OutcomeReport.objects.select_related("programme"), pk=pk, kind=OutcomeReport.Kind.REGIONAL
    )
    if request.GET.get("fragment"):
        return progress_fragment(
            request, report, reverse("outcome_reports_admin:download", args=[report.pk]), request.path
        )
    return render(
        request,
        "outcomes/reports/admin_status.html",
        {"page_title": "Outcome report", "header_icon": "doc-full", "report": report},
    )


def download(request, pk: int):
    _guard(request)
    report = get_object_or_404(OutcomeReport, pk=pk, kind=OutcomeReport.Kind.REGIONAL)
    return file_response(report)
