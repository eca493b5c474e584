"""The "Outcomes" admin page and its CSV, for VRU officers and analysts (and superusers).

Thin: the content comes from ``outcomes.dashboard`` (figures read only through
``outcomes.selectors``), the CSV from ``outcomes.exports`` (the same writer as
``export_outcomes``, so the download is byte for byte the command's output for the same
filters). The permission is the one of the read-only "Delivery and participation" view
(``surveys.view_participation``, granted to the VRU officers and VRU analysts groups); the
admin's middleware has already required the second factor.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from django import forms
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from accounts.models import LocalAuthority
from lessons.models import YEAR_GROUPS, ProgrammePage, academic_year_label
from lessons.services import academic_year_for

from . import dashboard, exports, presentation, selectors
from .filters import FilterError
from .models import ClassPair, Compare
from .stats.disclosure import MIN_SCHOOLS, THRESHOLD

PERMISSION = "surveys.view_participation"
FIELDS = ("programme", "academic_year", "local_authority", "year_group", "breakdown", "compare")


class OutcomeFilterForm(forms.Form):
    """The filter form as shown. Values are validated by ``OutcomeFilter`` (its messages
    name the problem), so the selects never turn a bad value into a generic error."""

    programme = forms.CharField(label="Programme", required=False)
    academic_year = forms.CharField(label="Academic year", required=False)
    local_authority = forms.CharField(label="Local authority", required=False)
    year_group = forms.CharField(label="Year group", required=False)
    breakdown = forms.CharField(label="Break down by", required=False)
    compare = forms.CharField(label="Compare baseline with", required=False)

    def __init__(self, data=None):
        super().__init__(data)
        current = academic_year_for(timezone.localdate())
        years = sorted({current, *ClassPair.objects.values_list("academic_year", flat=True).distinct()}, reverse=True)
        choices = {
            "programme": [
                ("", "All programmes"),
                *ProgrammePage.objects.order_by("title").values_list("slug", "title"),
            ],
            "academic_year": [("", "All years"), *((str(y), academic_year_label(y)) for y in years)],
            "local_authority": [
                ("", "Whole region"),
                *LocalAuthority.objects.order_by("name").values_list("slug", "name"),
            ],
            "year_group": [("", "All year groups"), *((str(v), label) for v, label in YEAR_GROUPS)],
            "breakdown": list(dashboard.BREAKDOWN_CHOICES),
            "compare": [(Compare.POST.value, "Post survey"), (Compare.FOLLOW_UP.value, "Follow-up survey")],
        }
        for name, options in choices.items():
            value = (data or {}).get(name, "")
            if value and value not in {str(v) for v, _ in options}:
                options = [*options, (value, f"{value} (not recognised)")]
            self.fields[name].widget = forms.Select(choices=options)


def _allowed(request) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied


def _query(request) -> dict[str, str]:
    return {name: request.GET.get(name, "").strip() for name in FIELDS if request.GET.get(name, "").strip()}


@require_GET
def index(request):
    _allowed(request)
    form = OutcomeFilterForm(request.GET)
    errors: list[str] = []
    board_html = ""
    query = _query(request)
    try:
        resolved = dashboard.parse(request.GET)
    except FilterError as error:
        errors = error.messages
    else:
        board_html = _board_html(request, resolved, query)
    return render(
        request,
        "outcomes/admin/dashboard.html",
        {
            "page_title": "Outcomes",
            "header_icon": "tasks",
            "form": form,
            "errors": errors,
            "board_html": board_html,
            "csv_query": _encode(query),
            "threshold": THRESHOLD,
            "min_schools": MIN_SCHOOLS,
        },
        status=400 if errors else 200,
    )


def _board_html(request, resolved, query: dict[str, str]) -> str:
    """The figures part of the page, rendered once per filters and data versions (the same
    key as ``dashboard.build``'s cache, plus the query the CSV links carry): a warm view is
    a cache read. Nothing in it depends on who is looking (everyone allowed sees the same)."""
    key = f"{dashboard.cache_key(resolved)}:html:{hashlib.sha256(_encode(query).encode()).hexdigest()[:16]}"
    html = cache.get(key)
    if html is None:
        board = dashboard.build(resolved)
        html = render_to_string(
            "outcomes/admin/includes/board.html",
            {
                "board": board,
                "csv_query": _encode(query),
                "dose_csv_query": _encode({**query, "breakdown": "dose"}),
                "change_columns": presentation.CHANGE_COLUMNS,
                "basis_columns": presentation.BASIS_COLUMNS,
                "column_count": len(presentation.COLUMNS),
            },
        )
        cache.set(key, html, dashboard.CACHE_SECONDS)
    return mark_safe(html)


def _encode(query: dict[str, str]) -> str:
    return urlencode(query)


@require_GET
def download_csv(request):
    """Exactly the dashboard's table as ``export_outcomes`` writes it (no byte-order mark,
    so the bytes equal the command's output)."""
    _allowed(request)
    try:
        resolved = dashboard.parse(request.GET)
    except FilterError as error:
        return HttpResponse(
            "Check the filters: " + " ".join(error.messages), status=400, content_type="text/plain; charset=utf-8"
        )
    table = selectors.outcome_table(resolved)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = "-".join(["outcomes", *(v for _k, v in sorted(_query(request).items()))])
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in name)[:120]
    response["Content-Disposition"] = f'attachment; filename="{safe}.csv"'
    response["Cache-Control"] = "no-store"
    exports.write_csv(table, response)
    return response
