"""Lesson content (Wagtail pages) and its delivery: teaching groups, the fidelity log and
printable programme packs, and the moderators' approval step. Split by role; import from ``lessons.models``."""

from .classes import YEAR_GROUPS, LessonDelivery, TeachingGroup, academic_year_label
from .packs import ProgrammePack
from .pages import HomePage, KeyStage, LessonPage, ProgrammeIndexPage, ProgrammePage, ProgrammeStatus, Theme
from .workflow import ModeratorApprovalTask

__all__ = [
    "YEAR_GROUPS",
    "HomePage",
    "KeyStage",
    "LessonDelivery",
    "LessonPage",
    "ModeratorApprovalTask",
    "ProgrammeIndexPage",
    "ProgrammePack",
    "ProgrammePage",
    "ProgrammeStatus",
    "TeachingGroup",
    "Theme",
    "academic_year_label",
]
