"""Classes (teaching groups) and the delivery log: which lesson, which version, when, to
which class. That record is what later relates outcomes to what was actually taught."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from accounts.school_year import academic_year_label

from .pages import YEAR_GROUPS, LessonPage, ProgrammePage

__all__ = ["YEAR_GROUPS", "LessonDelivery", "TeachingGroup", "academic_year_label"]


class TeachingGroup(models.Model):
    """A class taught a programme: the unit surveys are opened for."""

    school = models.ForeignKey("accounts.School", on_delete=models.PROTECT, related_name="teaching_groups")
    name = models.CharField(max_length=80, help_text="How your school names the class, e.g. '8R' or 'Year 6 Oak'.")
    year_group = models.PositiveSmallIntegerField(choices=YEAR_GROUPS)
    pupil_count = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(60)], help_text="How many pupils are in the class."
    )
    programme = models.ForeignKey(ProgrammePage, on_delete=models.PROTECT, related_name="teaching_groups")
    teacher = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="teaching_groups")
    co_teachers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="co_taught_groups")
    academic_year = models.PositiveSmallIntegerField(
        help_text="The year the academic year starts, e.g. 2026 for 2026/27."
    )
    archived_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["school", "year_group", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.school.name})"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def academic_year_display(self) -> str:
        return academic_year_label(self.academic_year)


class LessonDelivery(models.Model):
    """One lesson taught to one class. The revision live on the delivery date is recorded
    automatically, so outcomes can be related to the exact version taught."""

    group = models.ForeignKey(TeachingGroup, on_delete=models.CASCADE, related_name="deliveries")
    lesson = models.ForeignKey(LessonPage, on_delete=models.PROTECT, related_name="deliveries")
    revision = models.ForeignKey(
        "wagtailcore.Revision",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The published version of the lesson that was live on the delivery date.",
    )
    delivered_on = models.DateField("date taught", help_text="The day you taught the lesson.")
    minutes = models.PositiveSmallIntegerField(
        "minutes taught",
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text="How long the lesson took in practice.",
    )
    adaptations = models.TextField(
        "adaptations made",
        blank=True,
        help_text="What you changed and why, e.g. 'Skipped the video; extended the scenario discussion'.",
    )
    note = models.TextField(
        blank=True,
        help_text="Optional. Do not write pupils' names or anything that identifies a pupil.",
    )
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="lesson_deliveries"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["delivered_on", "pk"]
        verbose_name_plural = "lesson deliveries"
        constraints = [
            models.UniqueConstraint(fields=["group", "lesson"], name="lessondelivery_unique_group_lesson"),
        ]

    def __str__(self) -> str:
        return f"{self.lesson.title} to {self.group.name} on {self.delivered_on:%d %b %Y}"
