"""The "Analyst export" admin pages (/admin/analyst-export/): VRU analysts choose filters;
a background job (``outcomes.analyst_jobs``) makes a ZIP of pseudonymised record-level data
(``outcomes.analyst``: ``records.csv``, ``metadata.csv``, ``README.txt``); they watch its
progress and download it.

Analysts only (``analyst.may_export``: the role and its permission; a superuser without
the role is refused like every other role, which Wagtail turns into "Sorry, you do not have
permission" and the dashboard). Behind the admin's second factor like the rest of /admin/.

- ``index``: GET shows the form and the analyst's own recent exports. POST checks the
  filters (bad ones answer 400 with the filter's own message), creates the job and redirects
  to its status page. Filters covering more responses than ``analyst.web_limit()`` (far
  above anything the region holds today) are not started: the page names the command.
- ``status``: the job's progress (refreshes itself without JavaScript; with it, the outcome
  reports' script swaps the panel in place), then a download link, or "nothing qualified".
- ``download``: the ZIP, audited (who downloaded which export reference).

A job is personal to the analyst who asked for it: another analyst gets 404 for its status
and its file, as if it did not exist (record-level files are never shared through the page).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import LocalAuthority
from lessons.models import YEAR_GROUPS, ProgrammePage, TeachingGroup, academic_year_label

from . import analyst, analyst_jobs
from .analyst_models import AnalystExportJob
from .filters import FilterError
from .models import Compare
from .selectors import CAVEAT
from .stats.kanon import K

FIELDS = ("programme", "academic_year", "local_authority", "school", "year_group", "compare")
RECENT = 10


def _guard(request) -> None:
    if not analyst.may_export(request.user):
        raise PermissionDenied


def _choices() -> dict:
    years = sorted(set(TeachingGroup.objects.values_list("academic_year", flat=True)), reverse=True)
    return {
        "programmes": list(ProgrammePage.objects.order_by("title").values_list("slug", "title")),
        "years": [(year, academic_year_label(year)) for year in years],
        "authorities": list(LocalAuthority.objects.order_by("name").values_list("slug", "name")),
        "year_groups": YEAR_GROUPS,
        "comparisons": [(Compare.POST, "Baseline to post"), (Compare.FOLLOW_UP, "Baseline to follow-up")],
    }


def _page(request, values: dict, *, errors=(), too_large=None, status: int = 200):
    jobs = AnalystExportJob.objects.filter(requested_by=request.user).order_by("-created_at")[:RECENT]
    return render(
        request,
        "outcomes/analyst/export.html",
        {
            "page_title": "Analyst export",
            "header_icon": "download",
            "values": values,
            "errors": list(errors),
            "too_large": too_large,
            "jobs": jobs,
            "k": K,
            "caveat": CAVEAT,
            "retention_hours": int(AnalystExportJob.RETENTION.total_seconds() // 3600),
            **_choices(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def export(request):
    _guard(request)
    source = request.POST if request.method == "POST" else request.GET
    values = {name: (source.get(name) or "").strip() for name in FIELDS}
    values["compare"] = values["compare"] or Compare.POST
    if request.method == "GET":
        return _page(request, values)
    try:
        resolved = analyst.parse_filters(values)
    except FilterError as error:
        return _page(request, values, errors=error.messages, status=400)
    responses, limit = analyst.workload(resolved), analyst.web_limit()
    if responses > limit:
        return _page(request, values, too_large=(responses, limit))
    job = analyst_jobs.job_request(values=values, resolved=resolved, user=request.user)
    return redirect("outcomes_analyst_export:status", pk=job.pk)


def _own_job(request, pk: int) -> AnalystExportJob:
    _guard(request)
    return get_object_or_404(AnalystExportJob, pk=pk, requested_by=request.user)


@require_GET
def status(request, pk: int):
    job = _own_job(request, pk)
    context = {
        "job": job,
        "status_url": request.path,
        "download_url": reverse("outcomes_analyst_export:download", args=[job.pk]),
        "retention_hours": int(AnalystExportJob.RETENTION.total_seconds() // 3600),
    }
    if request.GET.get("fragment"):
        response = render(request, "outcomes/analyst/_progress.html", context)
        response["X-Report-Finished"] = "1" if job.is_finished else "0"
        response["Cache-Control"] = "no-store"
        return response
    response = render(
        request,
        "outcomes/analyst/status.html",
        {"page_title": "Analyst export", "header_icon": "download", "caveat": CAVEAT, **context},
    )
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def download(request, pk: int):
    job = _own_job(request, pk)
    if job.state != AnalystExportJob.State.READY:
        raise Http404("This export is not ready, or its file has been deleted.")
    if not analyst_jobs.file_present(job):
        raise Http404("The export's file is missing; make the export again.")
    analyst.log_download(reference=job.reference, job_id=job.pk, user=request.user)
    response = FileResponse(
        default_storage.open(job.file_path), as_attachment=True, filename=job.file_name, content_type="application/zip"
    )
    response["Cache-Control"] = "no-store"
    return response
