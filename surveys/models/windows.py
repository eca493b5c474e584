"""Survey windows (a wave of a survey for one class) and pseudonymous participants."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class WindowState(models.TextChoices):
    """Where a survey window stands at a moment: the one rule every page, selector and
    service that shows or acts on a window's state uses (``window_state``, or
    ``SurveyWindow.state()`` for a window instance); none works it out itself."""

    NOT_YET_OPEN = "not_yet_open", "Not yet open"
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


def window_state(*, opens_at, closes_at, closed_at, at=None) -> WindowState:
    """A window is open from ``opens_at`` until ``closes_at`` (exclusive) unless the teacher
    closed it by hand (``closed_at``). Takes the three values rather than a window, so
    selectors that read them as annotations apply the same rule."""
    at = at or timezone.now()
    if closed_at is not None or at >= closes_at:
        return WindowState.CLOSED
    if at < opens_at:
        return WindowState.NOT_YET_OPEN
    return WindowState.OPEN


def window_ended_at(*, closes_at, closed_at):
    """When a window stopped (or will stop) taking answers: its closing time, or when the
    teacher closed it by hand if that was earlier."""
    return min(closes_at, closed_at) if closed_at is not None else closes_at


class SurveyWindow(models.Model):
    State = WindowState

    class Wave(models.TextChoices):
        BASELINE = "baseline", "Baseline (before the lessons)"
        POST = "post", "Post (after the lessons)"
        FOLLOW_UP = "follow_up", "Follow-up (some months later)"

    class Linkage(models.TextChoices):
        CARDS = "cards", "Participant cards (recommended)"
        SGIC = "sgic", "Pupils make their own code"

    class Layout(models.TextChoices):
        SCALE_PER_PAGE = "scale", "One group of questions per page"
        ITEM_PER_PAGE = "item", "One question per page (younger or weaker readers)"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    group = models.ForeignKey("lessons.TeachingGroup", on_delete=models.PROTECT, related_name="survey_windows")
    wave = models.CharField(max_length=20, choices=Wave.choices)
    instrument_version = models.ForeignKey(
        "surveys.InstrumentVersion", on_delete=models.PROTECT, related_name="windows"
    )
    linkage = models.CharField(max_length=10, choices=Linkage.choices, default=Linkage.CARDS)
    layout = models.CharField(max_length=10, choices=Layout.choices, default=Layout.SCALE_PER_PAGE)
    include_demographics = models.BooleanField(default=True)
    join_code = models.CharField(max_length=8, unique=True)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Set when the teacher closes it by hand.")
    optout_letter_sent_on = models.DateField(
        help_text="The day the parental opt-out letter went home; the survey can open 10 school days later."
    )
    dpia_reference = models.CharField(max_length=60)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_at"]
        permissions = [
            (
                "view_participation",
                "Can see delivery and participation (lessons taught, survey windows, response counts) in every school",
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["group", "wave"], name="surveywindow_one_per_wave"),
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="surveywindow_closes_after_opens"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.group} – {self.get_wave_display()}"

    def state(self, at=None) -> WindowState:
        return window_state(opens_at=self.opens_at, closes_at=self.closes_at, closed_at=self.closed_at, at=at)

    def is_open(self, at=None) -> bool:
        return self.state(at) == WindowState.OPEN

    def ended_at(self):
        return window_ended_at(closes_at=self.closes_at, closed_at=self.closed_at)


class CardBatch(models.Model):
    """A printed set of participant cards. The codes themselves are never stored in plain:
    the PDF is produced once, at creation, and only keyed hashes remain."""

    group = models.ForeignKey("lessons.TeachingGroup", on_delete=models.CASCADE, related_name="card_batches")
    count = models.PositiveSmallIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)


class Participant(models.Model):
    """A pseudonymous pupil: a card code (hashed) or a self-generated code (hashed element by
    element). Never a name. Unique per school and academic year."""

    school = models.ForeignKey("accounts.School", on_delete=models.CASCADE, related_name="participants")
    academic_year = models.PositiveSmallIntegerField()
    card_batch = models.ForeignKey(
        CardBatch, null=True, blank=True, on_delete=models.SET_NULL, related_name="participants"
    )
    code_hash = models.CharField(max_length=64, help_text="HMAC of the card code, or of the whole SGIC.")
    sgic_element_hashes = models.JSONField(
        default=list, blank=True, help_text="Keyed hashes of each SGIC element, for one-element-tolerant matching."
    )
    year_group = models.PositiveSmallIntegerField(null=True, blank=True)
    created_on = models.DateField(default=timezone.localdate)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["school", "academic_year", "code_hash"], name="participant_unique_code"),
        ]
