"""Survey instruments and their versions.

An instrument (e.g. "Upstream attitudes survey") has numbered versions. A version holds
scales (constructs) and items. A version that has responses is frozen: edits are refused
and staff make a new version instead, so every stored answer keeps the wording it was
given to.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.models import Orderable


class ResponseScale(models.TextChoices):
    """Response presets. Values and labels live in surveys/response_scales.py."""

    AGREE_5 = "agree5", "5-point agree/disagree"
    FOUR_POINT = "four_point", "4-point (never to often)"
    FACES_3 = "faces3", "3 faces, for younger pupils"
    YES_NO = "yes_no", "Yes / no"
    GENDER = "gender", "Gender (demographic)"
    ETHNICITY = "ethnicity", "Broad ethnic group (demographic)"


class Instrument(ClusterableModel):
    class Licence(models.TextChoices):
        OWN = "own", "Written by the VRU (free to use)"
        PUBLIC_DOMAIN = "public_domain", "Public domain"
        PERMISSION_GRANTED = "permission_granted", "Permission granted"
        PERMISSION_PENDING = "permission_pending", "Permission pending"
        COMMERCIAL = "commercial", "Commercial licence"

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True, help_text="What the instrument measures, for VRU staff.")
    min_age = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(19)], help_text="Youngest pupil age it is suitable for."
    )
    max_age = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(5), MaxValueValidator(19)], help_text="Oldest pupil age it is suitable for."
    )
    licence_status = models.CharField(max_length=30, choices=Licence.choices, default=Licence.OWN)
    licence_reference = models.CharField(
        max_length=200, blank=True, help_text="Permission letter or licence number, if any."
    )
    source_url = models.URLField(blank=True, help_text="Where the instrument is published, if it is not our own.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def licence_allows_use(self) -> bool:
        return self.licence_status not in {self.Licence.PERMISSION_PENDING, self.Licence.COMMERCIAL}


class InstrumentVersion(ClusterableModel):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    notes = models.TextField(blank=True, help_text="What changed in this version.")
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["instrument", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "number"], name="instrumentversion_unique_number"),
        ]
        # Publishing is a moderator's (or officer's) act, like publishing a page (surveys/roles.py).
        permissions = [("publish_instrumentversion", "Can publish an instrument version")]

    def __str__(self) -> str:
        return f"{self.instrument.name} v{self.number}"


class Scale(Orderable):
    """A construct measured by several items, e.g. 'Willingness to seek help'."""

    version = ParentalKey(InstrumentVersion, on_delete=models.CASCADE, related_name="scales")
    code = models.SlugField(max_length=40, help_text="Short stable code, e.g. 'help_seeking'.")
    name = models.CharField(max_length=120)
    higher_is_better = models.BooleanField(
        default=True, help_text="Untick when a higher score is a worse outcome (e.g. approval of violence)."
    )

    class Meta(Orderable.Meta):
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="scale_unique_code")]

    def __str__(self) -> str:
        return self.name


class Item(Orderable):
    """One question. Demographic items have no scale and are never scored."""

    version = ParentalKey(InstrumentVersion, on_delete=models.CASCADE, related_name="items")
    code = models.SlugField(max_length=40, help_text="Stable code used in exports and imports, e.g. 'VIO_03'.")
    text = models.CharField(
        max_length=300, help_text="The question as the pupil reads it. Plain words for a 9-year-old."
    )
    scale_code = models.SlugField(
        max_length=40, blank=True, help_text="The code of the scale this item belongs to; empty for demographics."
    )
    response_scale = models.CharField(max_length=20, choices=ResponseScale, default=ResponseScale.AGREE_5)
    reverse_keyed = models.BooleanField(
        default=False, help_text="Tick when agreeing means less of the scale (scored as min + max - answer)."
    )

    class Meta(Orderable.Meta):
        constraints = [models.UniqueConstraint(fields=["version", "code"], name="item_unique_code")]

    def __str__(self) -> str:
        return f"{self.code}: {self.text}"

    @property
    def is_demographic(self) -> bool:
        return self.response_scale in {ResponseScale.GENDER, ResponseScale.ETHNICITY}
