"""The "Delivery and participation" admin page and its CSV, for VRU officers and analysts
(``surveys.view_participation``). Thin: the rows and cells come from ``participation``,
so the page and the CSV show the same rows and columns for the same filters."""

from __future__ import annotations

import csv
from typing import cast

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.models import LocalAuthority, School
from accounts.school_year import academic_year_for, academic_year_label
from lessons.models import ProgrammePage

from . import participation

PERMISSION = "surveys.view_participation"


class _SchoolChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.urn})"


class ParticipationFilterForm(forms.Form):
    """GET filters; every field but the year may be left as "All"."""

    academic_year = forms.TypedChoiceField(label="Academic year", coerce=int)
    programme = forms.ModelChoiceField(
        label="Programme", queryset=ProgrammePage.objects.order_by("title"), required=False, empty_label="All"
    )
    local_authority = forms.ModelChoiceField(
        label="Local authority", queryset=LocalAuthority.objects.order_by("name"), required=False, empty_label="All"
    )
    school = _SchoolChoice(label="School", queryset=School.objects.order_by("name"), required=False, empty_label="All")

    def __init__(self, data=None, *, current_year: int):
        data = data.copy() if data is not None else {}
        data.setdefault("academic_year", str(current_year))
        super().__init__(data)
        years = sorted({current_year, *participation.academic_years_with_classes()}, reverse=True)
        cast(forms.ChoiceField, self.fields["academic_year"]).choices = [
            (year, academic_year_label(year)) for year in years
        ]


def _filters(request) -> tuple[ParticipationFilterForm, dict | None]:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    form = ParticipationFilterForm(request.GET, current_year=academic_year_for(timezone.localdate()))
    return form, (form.cleaned_data if form.is_valid() else None)


@require_GET
def index(request):
    form, filters = _filters(request)
    rows = participation.participation_rows(**filters) if filters is not None else []
    return render(
        request,
        "surveys/admin/participation.html",
        {
            "page_title": "Delivery and participation",
            "header_icon": "table",
            "form": form,
            "headings": [column.heading for column in participation.TABLE],
            "numeric": [column.numeric for column in participation.TABLE],
            "cells": participation.table_cells(rows),
            "query": request.GET.urlencode(),
            "small_count_text": participation.SMALL_COUNT_TEXT,
        },
        status=200 if filters is not None else 400,
    )


@require_GET
def download_csv(request):
    form, filters = _filters(request)
    if filters is None:
        problems = "; ".join(f"{form.fields[name].label}: {' '.join(errors)}" for name, errors in form.errors.items())
        return HttpResponse(f"Check the filters: {problems}", status=400, content_type="text/plain; charset=utf-8")
    rows = participation.participation_rows(**filters)
    year = academic_year_label(filters["academic_year"]).replace("/", "-")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="delivery-and-participation-{year}.csv"'
    response["Cache-Control"] = "no-store"
    response.write("\ufeff")  # so Excel reads the file as UTF-8
    writer = csv.writer(response)
    writer.writerow([participation.spreadsheet_safe(column.heading) for column in participation.TABLE])
    for cells in participation.table_cells(rows):
        writer.writerow([participation.spreadsheet_safe(cell) for cell in cells])
    return response
