"""Pupil responses. No names, IP addresses or exact times: dates only (docs/decisions.md#8)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class Response(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        CONFLICT = "conflict", "Second submission (kept, not counted)"
        OVER_QUOTA = "over_quota", "Beyond the class size (kept, not counted)"

    class Gender(models.TextChoices):
        GIRL = "girl", "Girl"
        BOY = "boy", "Boy"
        OTHER = "other", "In another way"
        PNS = "pns", "Prefer not to say"

    class EthnicGroup(models.TextChoices):
        ASIAN = "asian", "Asian or Asian British"
        BLACK = "black", "Black, Black British, Caribbean or African"
        MIXED = "mixed", "Mixed or multiple ethnic groups"
        WHITE = "white", "White"
        OTHER = "other", "Other ethnic group"
        PNS = "pns", "Prefer not to say"

    class Source(models.TextChoices):
        ONLINE = "online", "Online"
        PAPER = "paper", "Paper (imported)"

    window = models.ForeignKey("surveys.SurveyWindow", on_delete=models.PROTECT, related_name="responses")
    participant = models.ForeignKey(
        "surveys.Participant", on_delete=models.PROTECT, related_name="responses", null=True, blank=True
    )
    submission_key = models.UUIDField(unique=True, help_text="Idempotency key made by the pupil's device.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.IN_PROGRESS)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.ONLINE)
    gender = models.CharField(max_length=10, choices=Gender.choices, blank=True)
    ethnic_group = models.CharField(max_length=10, choices=EthnicGroup.choices, blank=True)
    final_hash = models.CharField(max_length=64, blank=True, help_text="Hash of the final submission body.")
    started_on = models.DateField(default=timezone.localdate)
    submitted_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            # One counted response per window and participant; a second is kept as a conflict.
            models.UniqueConstraint(
                fields=["window", "participant"],
                condition=~models.Q(status="conflict"),
                name="response_one_per_participant",
            ),
        ]


class Answer(models.Model):
    class Missing(models.TextChoices):
        DONT_KNOW = "dk", "Don't know"
        PREFER_NOT = "pns", "Prefer not to say"
        SKIPPED = "skip", "Skipped"

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey("surveys.Item", on_delete=models.PROTECT, related_name="answers")
    value = models.SmallIntegerField(null=True, blank=True)
    missing = models.CharField(max_length=4, choices=Missing.choices, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "item"], name="answer_unique_item"),
            models.CheckConstraint(
                condition=(
                    models.Q(value__isnull=False, missing="") | models.Q(value__isnull=True) & ~models.Q(missing="")
                ),
                name="answer_value_xor_missing",
            ),
            models.CheckConstraint(
                condition=models.Q(value__isnull=True) | models.Q(value__gte=0, value__lte=10),
                name="answer_value_in_range",
            ),
        ]


class PageSave(models.Model):
    """The idempotency record of one page save: a replay with the same body returns the
    original success, the same key with a different body is refused (422)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="page_saves")
    page_no = models.PositiveSmallIntegerField()
    client_seq = models.PositiveIntegerField()
    body_hash = models.CharField(max_length=64)
    saved_on = models.DateField(default=timezone.localdate)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["response", "page_no", "client_seq"], name="pagesave_unique_key"),
        ]


class TalkRequest(models.Model):
    """ "I'd like to talk to someone": the safeguarding lead sees the card code, never answers."""

    school = models.ForeignKey("accounts.School", on_delete=models.CASCADE, related_name="talk_requests")
    window = models.ForeignKey("surveys.SurveyWindow", on_delete=models.CASCADE, related_name="talk_requests")
    card_code = models.CharField(max_length=7, blank=True)
    requested_on = models.DateField(default=timezone.localdate)
    seen_at = models.DateTimeField(null=True, blank=True)
    seen_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    leads_notified = models.BooleanField(
        default=False, help_text="The school's leads have been e-mailed (one e-mail covers every untold request)."
    )
