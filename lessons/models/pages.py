"""Wagtail page types: home, programme index, programme and lesson; and the Theme snippet.

Programme overviews are public. Lesson detail is for approved school staff and VRU staff
only (``LessonPage.serve``): anonymous visitors are sent to the login page, a teacher
waiting for approval gets the "you need to be approved first" page.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.functional import cached_property
from modelcluster.fields import ParentalManyToManyField
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from accounts.decorators import not_approved_response
from accounts.selectors import can_read_lessons

from ..admin_forms import StreamFieldPageForm
from ..blocks import GROUPING_CHOICES, LessonBodyBlock, PublicPageBlock, VocabularyBlock
from ..evidence import Evidence, ToolkitEntry, evidence_for

YEAR_GROUPS = [(n, f"Year {n}") for n in range(4, 12)]


def _evidence_field() -> StreamField:
    """The optional evidence section of a public page (home, programme index, programme):
    editors add a programme's headline results (``blocks.ProgrammeResultsBlock``)."""
    return StreamField(
        PublicPageBlock(),
        blank=True,
        verbose_name="results from pupils' surveys",
        help_text="Optional: show a programme's latest regional results from pupils' surveys on this page.",
    )


class KeyStage(models.TextChoices):
    KS2 = "ks2", "Key Stage 2 (Years 3–6)"
    KS3 = "ks3", "Key Stage 3 (Years 7–9)"
    KS4 = "ks4", "Key Stage 4 (Years 10–11)"


KEY_STAGE_YEARS: dict[str, tuple[int, int]] = {
    KeyStage.KS2: (3, 6),
    KeyStage.KS3: (7, 9),
    KeyStage.KS4: (10, 11),
}


class ProgrammeStatus(models.TextChoices):
    PILOT = "pilot", "Pilot"
    EVALUATED = "evaluated", "Evaluated"
    SCALED = "scaled", "Scaled"


class Theme(models.Model):
    """A topic used to filter programmes, e.g. 'Conflict resolution'. Managed as a snippet."""

    name = models.CharField(max_length=60, unique=True, help_text="The theme as teachers see it in filters.")
    slug = models.SlugField(max_length=60, unique=True, help_text="Used in filter links; letters, numbers and hyphens.")

    panels = [FieldPanel("name"), FieldPanel("slug")]

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HomePage(Page):
    intro = RichTextField(blank=True, help_text="A short welcome shown at the top of the home page.")
    evidence_blocks = _evidence_field()

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("evidence_blocks")]
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["lessons.ProgrammeIndexPage"]
    max_count = 1
    base_form_class = StreamFieldPageForm

    def get_context(self, request, *args, **kwargs):
        from .. import selectors

        context = super().get_context(request, *args, **kwargs)
        context["programme_index"] = selectors.programme_index()
        context["programmes"] = selectors.live_programmes()[:6]
        return context


class ProgrammeIndexPage(Page):
    intro = RichTextField(blank=True, help_text="Shown above the list of programmes.")
    evidence_blocks = _evidence_field()

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("evidence_blocks")]
    parent_page_types = ["lessons.HomePage"]
    subpage_types = ["lessons.ProgrammePage"]
    max_count = 1
    base_form_class = StreamFieldPageForm

    def get_context(self, request, *args, **kwargs):
        from .. import selectors
        from ..forms import ProgrammeFilterForm

        context = super().get_context(request, *args, **kwargs)
        form = ProgrammeFilterForm(request.GET or None)
        filters = form.cleaned_data if form.is_valid() else {}
        context["filter_form"] = form
        context["programmes"] = selectors.programmes_search(index_page=self, **filters)
        context["is_filtered"] = any(filters.values()) if filters else False
        return context


class ProgrammePage(Page):
    summary = models.TextField(help_text="Two or three sentences for teachers browsing programmes.")
    aims = RichTextField(
        blank=True,
        features=["bold", "italic", "ul", "ol", "link"],
        help_text="What the programme sets out to change for pupils, as a short list.",
    )
    year_from = models.PositiveSmallIntegerField(
        "from year group",
        choices=YEAR_GROUPS,
        default=7,
        help_text="The youngest year group the programme is written for.",
    )
    year_to = models.PositiveSmallIntegerField(
        "to year group",
        choices=YEAR_GROUPS,
        default=9,
        help_text="The oldest year group the programme is written for (the same as 'from' for one year).",
    )
    status = models.CharField(
        max_length=20,
        choices=ProgrammeStatus,
        default=ProgrammeStatus.PILOT,
        help_text="Pilot: being tried in a few schools. Evaluated: outcomes measured. Scaled: offered region-wide.",
    )
    themes = ParentalManyToManyField(
        Theme, blank=True, related_name="programmes", help_text="Topics teachers can filter by."
    )
    toolkit_entry = models.CharField(
        "Youth Endowment Fund Toolkit entry",
        max_length=40,
        choices=ToolkitEntry.choices,
        blank=True,
        help_text=(
            "The YEF Toolkit approach this programme most resembles. Its headline is shown to "
            "teachers automatically, so it cannot drift from what the Toolkit says."
        ),
    )
    evidence_note = RichTextField(
        blank=True,
        features=["bold", "italic", "link"],
        help_text="Optional: how this programme relates to the evidence, and any local evaluation so far.",
    )
    safeguarding_guidance = RichTextField(
        features=["bold", "italic", "ul", "ol", "link"],
        help_text=(
            "Guidance for the whole programme: preparing the designated safeguarding lead, pupils "
            "who may be affected, what to do after a disclosure, and where to signpost pupils."
        ),
    )
    evidence_blocks = _evidence_field()

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("aims"),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("year_from"), FieldPanel("year_to")]), FieldPanel("themes")],
            heading="Who it is for",
        ),
        MultiFieldPanel(
            [
                FieldPanel("status"),
                FieldPanel("toolkit_entry"),
                FieldPanel("evidence_note"),
                FieldPanel("evidence_blocks"),
            ],
            heading="Evidence",
        ),
        FieldPanel("safeguarding_guidance"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("aims"),
        index.FilterField("status"),
        index.FilterField("year_from"),
        index.FilterField("year_to"),
    ]
    parent_page_types = ["lessons.ProgrammeIndexPage"]
    subpage_types = ["lessons.LessonPage"]
    base_form_class = StreamFieldPageForm

    def clean(self):
        super().clean()
        if self.year_from and self.year_to and self.year_from > self.year_to:
            raise ValidationError({"year_to": "The oldest year group cannot be younger than the youngest."})

    @property
    def year_groups(self) -> list[int]:
        return list(range(self.year_from, self.year_to + 1))

    @property
    def year_range_display(self) -> str:
        if self.year_from == self.year_to:
            return f"Year {self.year_from}"
        return f"Years {self.year_from}–{self.year_to}"

    @property
    def key_stages(self) -> list[str]:
        return [
            label
            for value, label in KeyStage.choices
            if KEY_STAGE_YEARS[value][0] <= self.year_to and self.year_from <= KEY_STAGE_YEARS[value][1]
        ]

    @property
    def evidence(self) -> Evidence | None:
        return evidence_for(self.toolkit_entry)

    @cached_property
    def live_lessons(self) -> list[LessonPage]:
        """The programme's published lessons in the order editors arranged them."""
        return list(LessonPage.objects.child_of(self).live().order_by("path"))

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["lessons"] = self.live_lessons
        context["evidence"] = self.evidence
        return context


class LessonPage(Page):
    summary = models.TextField(blank=True, help_text="One or two sentences shown in the programme's list of lessons.")
    learning_objectives = models.TextField(
        help_text="One objective per line, starting with a verb, e.g. 'Explain what a bystander can do'."
    )
    duration_minutes = models.PositiveSmallIntegerField(
        default=50,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
        help_text="How long the lesson takes to teach, in minutes.",
    )
    key_vocabulary = StreamField(
        [("term", VocabularyBlock())],
        blank=True,
        help_text="Key words pupils will meet, each with a definition they would understand.",
    )
    body = StreamField(
        LessonBodyBlock(),
        help_text=(
            "The lesson, in teaching order: timed activities, discussion prompts, scenarios, "
            "teacher and safeguarding notes, media, resources and checks for understanding."
        ),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("learning_objectives"),
        FieldPanel("duration_minutes"),
        FieldPanel("key_vocabulary"),
        FieldPanel("body"),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("learning_objectives"),
        index.SearchField("body"),
    ]
    parent_page_types = ["lessons.ProgrammePage"]
    subpage_types: list[str] = []
    base_form_class = StreamFieldPageForm  # a POST missing StreamField counts is a 400, not a 500

    def serve(self, request, *args, **kwargs):
        # Lesson detail is for approved school staff and VRU staff; pupils never have
        # accounts. The same rule guards lesson plans, packs and documents.
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not can_read_lessons(request.user):
            return not_approved_response(request)
        return super().serve(request, *args, **kwargs)

    @property
    def objectives(self) -> list[str]:
        return [line.strip(" -•\t") for line in self.learning_objectives.splitlines() if line.strip(" -•\t")]

    @property
    def activities(self) -> list:
        return [block.value for block in self.body if block.block_type == "activity"]

    @property
    def timings(self) -> list[dict]:
        """Rows for the timings table: each activity with its start and end minute."""
        rows, start = [], 0
        for activity in self.activities:
            end = start + activity["minutes"]
            rows.append(
                {
                    "heading": activity["heading"],
                    "minutes": activity["minutes"],
                    "grouping": dict(GROUPING_CHOICES).get(activity["grouping"], ""),
                    "start": start,
                    "end": end,
                }
            )
            start = end
        return rows

    @property
    def activity_minutes(self) -> int:
        return sum(activity["minutes"] for activity in self.activities)

    @cached_property
    def programme(self) -> ProgrammePage | None:
        parent = self.get_parent()
        return parent.specific if parent is not None else None

    @cached_property
    def position(self) -> tuple[int, int] | None:
        """(n, of) among the programme's live lessons, or None for an unpublished lesson."""
        programme = self.programme
        if programme is None:
            return None
        ids = [lesson.pk for lesson in programme.live_lessons]
        return (ids.index(self.pk) + 1, len(ids)) if self.pk in ids else None

    def get_context(self, request, *args, **kwargs):
        from .. import selectors

        context = super().get_context(request, *args, **kwargs)
        programme = self.programme
        context["programme"] = programme
        siblings = programme.live_lessons if programme is not None else []
        ids = [lesson.pk for lesson in siblings]
        if self.pk in ids:
            i = ids.index(self.pk)
            context["previous_lesson"] = siblings[i - 1] if i > 0 else None
            context["next_lesson"] = siblings[i + 1] if i + 1 < len(siblings) else None
        context["log_groups"] = selectors.groups_to_log(request.user, self) if self.live else []
        return context
