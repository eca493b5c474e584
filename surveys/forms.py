"""Staff forms for survey windows and participant cards."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, cast

from django import forms
from django.utils import timezone

from accounts.school_year import academic_year_label

from .models import InstrumentVersion, SurveyWindow
from .selectors import versions_for_year_group
from .services.windows import earliest_open_date

if TYPE_CHECKING:
    from accounts.models import School


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DescribedForm(forms.Form):
    """Links each input to its help text and error for screen readers (aria-describedby)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"id_{name}_help"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                described = widget.attrs.get("aria-describedby", "")
                widget.attrs["aria-describedby"] = f"{described} id_{name}_error".strip()
                widget.attrs["aria-invalid"] = "true"


PRIMARY_LAST_YEAR = 6


class WindowForm(DescribedForm):
    wave = forms.ChoiceField(choices=SurveyWindow.Wave.choices, label="Which survey is this?")
    instrument_version = forms.ModelChoiceField(
        queryset=InstrumentVersion.objects.none(),
        label="Questionnaire",
        empty_label=None,
        help_text="Only published questionnaires that suit this year group are listed.",
    )
    linkage = forms.ChoiceField(
        choices=SurveyWindow.Linkage.choices,
        initial=SurveyWindow.Linkage.CARDS,
        widget=forms.RadioSelect,
        label="How pupils link their before and after answers",
        help_text="Cards match almost every pupil. Use pupil-made codes only if cards are impractical.",
    )
    layout = forms.ChoiceField(
        choices=SurveyWindow.Layout.choices, initial=SurveyWindow.Layout.SCALE_PER_PAGE, widget=forms.RadioSelect
    )
    include_demographics = forms.BooleanField(
        required=False,
        initial=True,
        label="Ask the optional questions about gender and ethnic group",
    )
    optout_letter_sent_on = forms.DateField(
        label="Date the parental opt-out letter went home",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="The survey can open 10 school days (weekdays) after the letter went home.",
    )
    opens_at = forms.DateTimeField(label="Opens", widget=DateTimeInput(), input_formats=["%Y-%m-%dT%H:%M"])
    closes_at = forms.DateTimeField(label="Closes", widget=DateTimeInput(), input_formats=["%Y-%m-%dT%H:%M"])

    confirm_few_lessons = forms.BooleanField(required=False)

    # Waves run after the lessons: scheduling one before they are all logged asks first.
    AFTER_THE_LESSONS = (SurveyWindow.Wave.POST, SurveyWindow.Wave.FOLLOW_UP)

    def __init__(self, *args, group, lessons_logged: int, lessons_planned: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.group = group
        self.lessons_logged = lessons_logged
        self.lessons_planned = lessons_planned
        versions = versions_for_year_group(year_group=group.year_group)
        cast(forms.ModelChoiceField, self.fields["instrument_version"]).queryset = InstrumentVersion.objects.filter(
            pk__in=[v.pk for v in versions]
        ).select_related("instrument")
        # A questionnaire not listed (e.g. the secondary survey for Year 5) is refused by name.
        self.fields["instrument_version"].error_messages["invalid_choice"] = (
            f"That questionnaire cannot be used for Year {group.year_group}: choose one from the list. "
            "Each questionnaire is written for an age range, and only published ones that suit "
            "the class's year group are listed."
        )
        if group.year_group <= PRIMARY_LAST_YEAR:
            # Younger readers get one question a page (it fits a phone screen) unless changed.
            self.fields["layout"].initial = SurveyWindow.Layout.ITEM_PER_PAGE
        used = set(group.survey_windows.values_list("wave", flat=True))
        free = [choice for choice in SurveyWindow.Wave.choices if choice[0] not in used]
        wave_choices = free or SurveyWindow.Wave.choices
        cast(forms.ChoiceField, self.fields["wave"]).choices = wave_choices
        self.fields["wave"].initial = wave_choices[0][0]
        baseline = group.survey_windows.filter(wave=SurveyWindow.Wave.BASELINE).first()
        if baseline:
            self.fields["instrument_version"].initial = baseline.instrument_version_id
            self.fields["linkage"].initial = baseline.linkage
        if lessons_logged < lessons_planned:
            self.fields["confirm_few_lessons"].label = (
                f"Schedule it anyway: only {lessons_logged} of the {lessons_planned} lessons "
                f"{'is' if lessons_logged == 1 else 'are'} logged for this class"
            )
            self.fields["confirm_few_lessons"].help_text = (
                "The post and follow-up surveys measure change after the lessons. "
                "If you have taught more lessons than this, log them first."
            )
            self.fields["confirm_few_lessons"].widget.attrs["aria-describedby"] = "id_confirm_few_lessons_help"
        else:
            del self.fields["confirm_few_lessons"]
        if not self.is_bound:
            # The school records the opt-out letter once for the class and its year: every
            # later survey of the class starts from the date given for the one before.
            letter = (
                group.survey_windows.order_by("-created_at").values_list("optout_letter_sent_on", flat=True).first()
            )
            now = timezone.localtime()
            if letter is not None:
                self.initial.setdefault("optout_letter_sent_on", letter)
                earliest = earliest_open_date(letter)
            else:
                earliest = earliest_open_date(now.date())  # a letter that goes home today
            if earliest <= now.date():
                start = now.replace(second=0, microsecond=0)  # allowed already: it can open now
            else:
                start = timezone.make_aware(dt.datetime.combine(earliest, dt.time(8, 30)))
            self.initial.setdefault("opens_at", start)
            self.initial.setdefault("closes_at", start + dt.timedelta(days=14))
        self.order_fields(["wave", "confirm_few_lessons"])
        earliest_date = self.opens_from
        if earliest_date is not None:
            self.fields["optout_letter_sent_on"].help_text = (
                f"The survey can open 10 school days (weekdays) after the letter went home: "
                f"from {earliest_date:%A %-d %B %Y}."
            )

    @property
    def opens_from(self) -> dt.date | None:
        """When the survey may open, from the letter date the form shows (if it is a date).
        Read from the data or initial values, not a bound field, which would keep the help
        text it was made with."""
        name = "optout_letter_sent_on"
        field = self.fields[name]
        if self.is_bound:
            value = field.widget.value_from_datadict(self.data, self.files, self.add_prefix(name))
        else:
            value = self.initial.get(name)
        try:
            letter = field.clean(value)
        except forms.ValidationError:
            return None
        return earliest_open_date(letter)

    @property
    def wave_chosen(self) -> str:
        return self["wave"].value() or ""

    @property
    def asks_to_confirm_few_lessons(self) -> bool:
        """Whether the page shows the 'schedule it anyway' box: a wave after the lessons is
        chosen (or offered first) while lessons are still to be logged."""
        return "confirm_few_lessons" in self.fields and self.wave_chosen in self.AFTER_THE_LESSONS

    def clean(self):
        data = super().clean()
        if (
            "confirm_few_lessons" in self.fields
            and data.get("wave") in self.AFTER_THE_LESSONS
            and not data.get("confirm_few_lessons")
        ):
            wave = SurveyWindow.Wave(data["wave"]).label.split(" (")[0].lower()
            self.add_error(
                "confirm_few_lessons",
                f"Only {self.lessons_logged} of the {self.lessons_planned} lessons "
                f"{'is' if self.lessons_logged == 1 else 'are'} logged. Tick the box to schedule the {wave} "
                "survey anyway, or log the lessons you have taught first.",
            )
        data.pop("confirm_few_lessons", None)
        return data


class CardsForm(DescribedForm):
    count = forms.IntegerField(
        min_value=1,
        max_value=120,
        label="How many cards?",
        help_text="One per pupil, plus a few spares. Codes are shown only in this PDF: keep it safe.",
    )


class WithdrawalForm(DescribedForm):
    """A school lead withdraws one pupil's data: which school (if they lead more than one),
    which school year, and the card code from the class list."""

    school: forms.ModelChoiceField[School] = forms.ModelChoiceField(queryset=None, label="School", empty_label=None)
    academic_year = forms.TypedChoiceField(coerce=int, label="School year")
    card_code = forms.CharField(
        max_length=20,
        label="Card code",
        help_text="The 7 letters and numbers on the pupil's card, with or without the dashes, e.g. AB3-K9Q-X.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )

    def __init__(self, *args, schools, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["school"]).queryset = schools
        if schools.count() == 1:
            self.fields["school"].initial = schools.first()
            self.fields["school"].widget = forms.HiddenInput()
        cast(forms.ChoiceField, self.fields["academic_year"]).choices = [
            (year, academic_year_label(year)) for year in years
        ]
        self.fields["academic_year"].initial = years[0]
