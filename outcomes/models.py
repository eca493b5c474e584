"""Rollups: the sufficient statistics every published outcome figure is combined from.

Three tiers, each built only from the one below (docs/outcomes-engine.md):

- ``ClassPair``: one class and one wave pair (baseline to post, or baseline to follow-up),
  the key of a refresh. It records the matching (responses on each side, pupils linked,
  exact or fuzzy), the fidelity numbers (lessons delivered against the programme's plan)
  and whether the pair is frozen because its raw responses or linkage were purged.
- ``ClassRollup``: per class pair, scale and subgroup category, the exact integer sums of
  the matched pairs (baseline x, later y, cross-product), of the baseline scores of pupils
  lost to follow-up, of the later scores nobody was matched to, and the histogram of the
  change. Scores are in grid units (``outcomes.stats.scoring.grid_unit``), so every sum is
  an integer and combining is exact.
- ``AreaRollup``: the same sums added up per programme, academic year, local authority and
  year group, plus what the clustering statistics need (per-school change sums and the
  between-class sum of squares), so a regional table reads a few hundred rows, not every
  class, and never an answer. Its ``dose`` dimension adds up the classes' "all pupils" rows
  by the class's dose band, so the change by lessons delivered reads area rows too.

Scope columns (programme, school, local authority, academic year, year group, instrument)
are copied onto the rollups so filtered aggregation needs no joins. They are plain ids
without foreign-key constraints: the rows they name are protected elsewhere (classes
protect their programme and school), and a rollup must outlive the raw data it came from.

Every sum is a 64-bit integer. ``services`` refuses to store a sum beyond that range rather
than wrap (a 25-item scale in a class of 1,000 pupils stays well inside it).
"""

from __future__ import annotations

from django.db import models


class Compare(models.TextChoices):
    POST = "post", "Baseline to post"
    FOLLOW_UP = "follow_up", "Baseline to follow-up"


class Dimension(models.TextChoices):
    """Subgroup dimensions stored on rollups. The year-group breakdown needs no rows of its
    own: a class has one year group, copied onto every rollup row. Nor does the dose on class
    rollups: a class has one dose band, copied onto every row (``ClassRollup.dose_band``).
    Area rollups carry ``DOSE`` rows, whose categories are the dose band codes
    (``services.DOSE_BANDS``, ``NOT_RECORDED`` without a lesson plan): each the sum of the
    ``ALL`` rows of the area's classes in that band."""

    ALL = "all", "All pupils"
    GENDER = "gender", "Gender"
    ETHNICITY = "ethnicity", "Ethnic group"
    DOSE = "dose", "Lessons delivered"


ALL_CATEGORY = ""
NOT_RECORDED = "not_recorded"


def _scope_id(model: str, **extra) -> models.ForeignKey:
    return models.ForeignKey(model, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", **extra)


class ClassPair(models.Model):
    """One class and wave pair: what a refresh rebuilds as a unit."""

    group = models.ForeignKey("lessons.TeachingGroup", on_delete=models.CASCADE, related_name="outcome_pairs")
    compare = models.CharField(max_length=12, choices=Compare)
    programme = _scope_id("lessons.ProgrammePage")
    school = _scope_id("accounts.School")
    local_authority = _scope_id("accounts.LocalAuthority")
    academic_year = models.PositiveSmallIntegerField()
    year_group = models.PositiveSmallIntegerField()
    baseline_window = models.ForeignKey(
        "surveys.SurveyWindow", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    later_window = models.ForeignKey(
        "surveys.SurveyWindow", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Matching, counted over completed responses (any scale): how many on each side, how
    # many pupils were linked, and how (cards and identical own codes are exact).
    n_baseline_responses = models.PositiveIntegerField(default=0)
    n_later_responses = models.PositiveIntegerField(default=0)
    n_linked = models.PositiveIntegerField(default=0)
    n_exact = models.PositiveIntegerField(default=0)
    n_fuzzy = models.PositiveIntegerField(default=0)
    n_ambiguous = models.PositiveIntegerField(default=0, help_text="Later responses with several possible partners.")
    # Fidelity: the programme's lessons logged as delivered between the two windows.
    lessons_planned = models.PositiveSmallIntegerField(null=True, blank=True)
    lessons_delivered = models.PositiveSmallIntegerField(null=True, blank=True)
    digest = models.CharField(max_length=64, blank=True, help_text="Hash of the rollup rows last written.")
    refreshed_at = models.DateTimeField(null=True, blank=True)
    frozen_at = models.DateTimeField(
        null=True, blank=True, help_text="Raw responses or linkage purged: kept as they are, never rebuilt."
    )
    frozen_reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "compare"], name="classpair_unique_group_compare")]
        indexes = [models.Index(fields=["programme", "compare"], name="classpair_programme_idx")]

    def __str__(self) -> str:
        return f"{self.group_id} {self.compare}"

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None


class _Sums(models.Model):
    """The integer sufficient statistics shared by class and area rollups (grid units)."""

    programme = _scope_id("lessons.ProgrammePage")
    local_authority = _scope_id("accounts.LocalAuthority")
    academic_year = models.PositiveSmallIntegerField()
    year_group = models.PositiveSmallIntegerField()
    compare = models.CharField(max_length=12, choices=Compare)
    instrument = _scope_id("surveys.Instrument")
    scale_code = models.SlugField(max_length=40)
    scale_name = models.CharField(max_length=120)
    scale_order = models.PositiveSmallIntegerField(default=0)
    higher_is_better = models.BooleanField(default=True)
    unit = models.BigIntegerField(help_text="Scores are stored times this grid unit.")
    dimension = models.CharField(max_length=12, choices=Dimension, default=Dimension.ALL)
    category = models.CharField(max_length=40, blank=True)
    # Matched pupils: x = baseline score, y = later score.
    n_matched = models.PositiveIntegerField(default=0)
    sum_x = models.BigIntegerField(default=0)
    sum_y = models.BigIntegerField(default=0)
    sum_xx = models.BigIntegerField(default=0)
    sum_yy = models.BigIntegerField(default=0)
    sum_xy = models.BigIntegerField(default=0)
    n_exact = models.PositiveIntegerField(default=0)
    n_fuzzy = models.PositiveIntegerField(default=0)
    # Baseline scores of pupils with no scored later partner (lost to follow-up).
    n_lost = models.PositiveIntegerField(default=0)
    sum_lost = models.BigIntegerField(default=0)
    sumsq_lost = models.BigIntegerField(default=0)
    # Later scores with no scored baseline partner.
    n_unmatched = models.PositiveIntegerField(default=0)
    sum_unmatched = models.BigIntegerField(default=0)
    sumsq_unmatched = models.BigIntegerField(default=0)
    histogram = models.JSONField(default=dict, help_text="Change x unit -> pupils (string keys).")

    class Meta:
        abstract = True


class ClassRollup(_Sums):
    pair = models.ForeignKey(ClassPair, on_delete=models.CASCADE, related_name="rollups")
    school = _scope_id("accounts.School")
    group = _scope_id("lessons.TeachingGroup")
    dose_band = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The class's dose band (services.dose_band); empty without a lesson plan."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["pair", "instrument", "scale_code", "dimension", "category"], name="classrollup_unique_cell"
            )
        ]
        indexes = [
            models.Index(fields=["programme", "compare", "dimension"], name="classrollup_scope_idx"),
            models.Index(fields=["school", "compare"], name="classrollup_school_idx"),
        ]


class AreaRollup(_Sums):
    """Class rollups summed per programme, academic year, local authority, year group,
    instrument, scale, unit and subgroup category. Rebuilt from ``ClassRollup`` whenever one
    of its classes changes (``services``), so it is always their exact sum. Rows with
    ``year_group = 0`` (``services.ALL_YEAR_GROUPS``) sum an authority's year groups. Rows
    of the ``dose`` dimension sum the ``all`` rows of the classes in each dose band, so a
    class whose band changes moves its pupils from one category to another."""

    n_classes = models.PositiveIntegerField(default=0, help_text="Classes with matched pupils in this cell.")
    sum_class_n2 = models.BigIntegerField(default=0, help_text="Sum over classes of matched n squared.")
    class_between = models.FloatField(
        default=0.0, help_text="Sum over classes of (sum of change)^2 / n, in units squared (ICC between classes)."
    )
    # Per school (ICC between schools, the number of schools): two flat maps of integers,
    # which decode and add up much faster than a map of pairs.
    school_n = models.JSONField(default=dict, help_text="School id -> matched pupils in this cell.")
    school_change = models.JSONField(default=dict, help_text="School id -> sum of change in units.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "programme",
                    "academic_year",
                    "local_authority",
                    "year_group",
                    "compare",
                    "instrument",
                    "scale_code",
                    "unit",
                    "dimension",
                    "category",
                ],
                name="arearollup_unique_cell",
            )
        ]
        indexes = [models.Index(fields=["programme", "compare", "dimension"], name="arearollup_scope_idx")]


class DataVersion(models.Model):
    """A counter per programme that moves whenever any of its figures changes, so caches
    (PDF reports, later) can key on it."""

    programme = models.OneToOneField(
        "lessons.ProgrammePage", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    version = models.PositiveBigIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.programme_id} v{self.version}"


# PDF reports and the analyst export's background jobs (issue 9) live in their own modules;
# imported here so Django registers them.
from .analyst_models import AnalystExportJob  # noqa: E402, F401
from .reports.models import OutcomeReport, OutcomeReportRequest  # noqa: E402, F401
