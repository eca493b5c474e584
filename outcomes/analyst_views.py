"""The "Analyst export" admin page (/admin/analyst-export/): VRU analysts choose filters and
download pseudonymised record-level data (``outcomes.analyst``) as a ZIP holding
``records.csv``, ``metadata.csv`` and ``README.txt``.

Analysts only (``analyst.may_export``: the role and its permission; a superuser without
the role is refused like every other role, which Wagtail turns into "Sorry, you do not have
permission" and the dashboard). Behind the admin's second factor like the rest of /admin/.
GET shows the form; POST makes the file and writes the audit entry. Bad filters answer 400
with the filter's own message; filters nothing qualifies for answer the page with a clear
message and no file (and no audit entry: nothing left the platform). An export that would
read more responses than ``analyst.web_limit()`` is not started on the page: it says so and
names the command that makes it (``export_analyst_records``, same file, same audit entry)."""

from __future__ import annotations

import tempfile

from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from accounts.models import LocalAuthority
from lessons.models import YEAR_GROUPS, ProgrammePage, TeachingGroup, academic_year_label

from . import analyst
from .filters import FilterError
from .models import Compare
from .selectors import CAVEAT
from .stats.kanon import K

FIELDS = ("programme", "academic_year", "local_authority", "school", "year_group", "compare")
SPOOL_BYTES = 16 * 1024 * 1024  # larger files go to a temporary file, not memory


def _choices() -> dict:
    years = sorted(set(TeachingGroup.objects.values_list("academic_year", flat=True)), reverse=True)
    return {
        "programmes": list(ProgrammePage.objects.order_by("title").values_list("slug", "title")),
        "years": [(year, academic_year_label(year)) for year in years],
        "authorities": list(LocalAuthority.objects.order_by("name").values_list("slug", "name")),
        "year_groups": YEAR_GROUPS,
        "comparisons": [(Compare.POST, "Baseline to post"), (Compare.FOLLOW_UP, "Baseline to follow-up")],
    }


def _page(request, values: dict, *, errors=(), empty: bool = False, too_large=None, status: int = 200):
    return render(
        request,
        "outcomes/admin/analyst_export.html",
        {
            "page_title": "Analyst export",
            "header_icon": "download",
            "values": values,
            "errors": list(errors),
            "empty": empty,
            "too_large": too_large,
            "k": K,
            "caveat": CAVEAT,
            **_choices(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def export(request):
    if not analyst.may_export(request.user):
        raise PermissionDenied
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
        return _page(request, values, too_large=(responses, limit), status=200)
    made = analyst.build_export(resolved)
    if not made.rows:
        return _page(request, values, empty=True)
    analyst.log_export(made, request.user)
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - FileResponse closes it
    analyst.write_zip(made, spool)
    spool.seek(0)
    response = FileResponse(spool, as_attachment=True, filename=made.filename, content_type="application/zip")
    response["Cache-Control"] = "no-store"
    return response
