"""The request form shared by the school lead's page and the VRU's admin page."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from lessons.models import ProgrammePage, academic_year_label
from lessons.services import academic_year_for

from ..models import ClassPair


class ReportRequestForm(forms.Form):
    programme = forms.ModelChoiceField(label="Programme", queryset=ProgrammePage.objects.none(), empty_label=None)
    academic_year = forms.TypedChoiceField(label="Academic year", coerce=int)

    def __init__(self, *args, school=None, **kwargs):
        super().__init__(*args, **kwargs)
        pairs = ClassPair.objects.all()
        if school is not None:
            pairs = pairs.filter(school_id=school.pk)
        programme_ids = set(pairs.values_list("programme_id", flat=True).distinct())
        if school is not None:
            programme_ids |= set(school.teaching_groups.values_list("programme_id", flat=True))
            programmes = ProgrammePage.objects.filter(pk__in=programme_ids)
        else:
            programmes = ProgrammePage.objects.all()
        self.fields["programme"].queryset = programmes.order_by("title")
        current = academic_year_for(timezone.localdate())
        years = sorted({current, *pairs.values_list("academic_year", flat=True).distinct()}, reverse=True)
        self.fields["academic_year"].choices = [(year, academic_year_label(year)) for year in years]
        self.initial.setdefault("academic_year", current)
