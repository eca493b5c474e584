"""Forms for programme search, classes and the delivery log. Validation that depends on
the school or the programme lives in services; these only shape input."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from accounts import selectors as account_selectors
from accounts.converters import parse_id

from . import selectors
from .models import YEAR_GROUPS, KeyStage, LessonDelivery, LessonPage, ProgrammePage, ProgrammeStatus, Theme

if TYPE_CHECKING:
    from accounts.models import School


class ProgrammeFilterForm(forms.Form):
    q = forms.CharField(
        label="Search",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
        help_text="Words from a programme or lesson, e.g. 'bystander'.",
    )
    key_stage = forms.ChoiceField(label="Key stage", required=False, choices=[("", "Any key stage"), *KeyStage.choices])
    year_group = forms.TypedChoiceField(
        label="Year group",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any year group"), *YEAR_GROUPS],
    )
    theme = forms.ModelChoiceField(
        label="Theme", required=False, queryset=Theme.objects.all(), to_field_name="slug", empty_label="Any theme"
    )
    status = forms.ChoiceField(
        label="Programme status", required=False, choices=[("", "Any status"), *ProgrammeStatus.choices]
    )


class PageChoiceField(forms.ModelChoiceField):
    """A choice of Wagtail page (programme or lesson) by id. A submitted value that is not
    an id the database could hold is an invalid choice, answered on the form, before any
    query: a lookup by a huge number through a page subclass's ``page_ptr`` raises
    ``OverflowError`` on SQLite (see ``accounts.converters`` for the URL side)."""

    def to_python(self, value):
        if value not in self.empty_values and parse_id(value) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class _UserChoices(forms.ModelMultipleChoiceField):
    def _check_values(self, value):
        """As ``PageChoiceField``: an ``id__in`` lookup is not range-checked either, so a
        huge number among the chosen colleagues would raise ``OverflowError`` on SQLite."""
        for pk in value:
            if parse_id(pk) is None:
                raise ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super()._check_values(value)

    def label_from_instance(self, obj):
        name = obj.get_full_name()
        return f"{name} ({obj.email})" if name else obj.email


class TeachingGroupForm(forms.Form):
    school: forms.ModelChoiceField[School] = forms.ModelChoiceField(
        queryset=None, empty_label=None, help_text="Only schools where you are approved."
    )
    name = forms.CharField(max_length=80, help_text="How your school names the class, e.g. '8R' or 'Year 6 Oak'.")
    year_group = forms.TypedChoiceField(coerce=int, choices=YEAR_GROUPS)
    pupil_count = forms.IntegerField(
        label="Number of pupils", min_value=1, max_value=60, help_text="Used to plan survey cards; no names needed."
    )
    programme = PageChoiceField(queryset=None, empty_label=None)
    co_teachers = _UserChoices(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Other teachers of this class",
        help_text="Colleagues who also teach this class. They must be approved at the same school.",
    )

    def __init__(self, *args, user, instance=None, **kwargs):
        self.instance = instance
        if instance is not None:
            kwargs.setdefault(
                "initial",
                {
                    "school": instance.school,
                    "name": instance.name,
                    "year_group": instance.year_group,
                    "pupil_count": instance.pupil_count,
                    "programme": instance.programme,
                    "co_teachers": list(instance.co_teachers.all()),
                },
            )
        super().__init__(*args, **kwargs)
        schools = account_selectors.schools_taught_at(user)
        cast(forms.ModelChoiceField, self.fields["school"]).queryset = schools
        cast(forms.ModelChoiceField, self.fields["programme"]).queryset = selectors.live_programmes()
        cast(forms.ModelChoiceField, self.fields["co_teachers"]).queryset = selectors.colleagues_at(
            schools, exclude=user
        )
        if instance is not None:
            # School and programme are fixed once a class exists: its log and surveys hang on them.
            del self.fields["school"]
            del self.fields["programme"]
            cast(forms.ModelChoiceField, self.fields["co_teachers"]).queryset = selectors.colleagues_at(
                [instance.school], exclude=instance.teacher
            )
            self._offer_year_groups({*instance.school.year_groups, instance.year_group})
        else:
            self._offer_year_groups({year for school in schools for year in school.year_groups})
            if not self.is_bound and "year_group" not in self.initial:
                self._default_year_group()

    def _offer_year_groups(self, years: set[int]) -> None:
        """Only the year groups the teacher's school teaches (its phase): a secondary school
        is not offered Years 4 to 6."""
        choices = [(year, label) for year, label in YEAR_GROUPS if year in years]
        cast(forms.ChoiceField, self.fields["year_group"]).choices = choices or YEAR_GROUPS

    def _default_year_group(self) -> None:
        """Start from the programme's first year group that the school teaches: the programme
        the teacher came from, or else the first one listed (the one the form submits)."""
        programmes: QuerySet[ProgrammePage] = self.fields["programme"].queryset  # type: ignore[attr-defined]
        programme_id = parse_id(self.initial.get("programme"))
        programme = programmes.filter(pk=programme_id).first() if programme_id is not None else None
        programme = programme or programmes.first()
        if programme is None:
            return
        offered = [year for year, _ in self.fields["year_group"].choices]  # type: ignore[attr-defined]
        suitable = [year for year in programme.year_groups if year in offered]
        if suitable:
            self.initial["year_group"] = suitable[0]


class LessonDeliveryForm(forms.ModelForm):
    lesson = PageChoiceField(queryset=LessonPage.objects.none(), empty_label=None, label="Lesson")

    class Meta:
        model = LessonDelivery
        fields = ["delivered_on", "minutes", "adaptations", "note"]
        widgets = {
            "delivered_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "adaptations": forms.Textarea(attrs={"rows": 3}),
            "note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, group, lesson: LessonPage | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["minutes"].widget.attrs.update({"min": 1, "max": 240})
        self.fields["delivered_on"].widget.attrs["max"] = timezone.localdate().isoformat()
        if self.instance.pk:
            del self.fields["lesson"]
            return
        programme: ProgrammePage = group.programme
        delivered = set(group.deliveries.values_list("lesson_id", flat=True))
        choices = [lesson for lesson in programme.live_lessons if lesson.pk not in delivered]
        cast(forms.ModelChoiceField, self.fields["lesson"]).queryset = LessonPage.objects.filter(
            pk__in=[lesson.pk for lesson in choices]
        )
        cast(forms.ChoiceField, self.fields["lesson"]).choices = [(lesson.pk, lesson.title) for lesson in choices]
        if lesson is not None:
            self.initial.setdefault("lesson", lesson.pk)
            self.initial.setdefault("minutes", lesson.duration_minutes)
        elif choices:
            self.initial.setdefault("minutes", choices[0].duration_minutes)
        self.initial.setdefault("delivered_on", timezone.localdate())
        self.order_fields(["lesson", "delivered_on", "minutes", "adaptations", "note"])
