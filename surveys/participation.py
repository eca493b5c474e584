"""Delivery and participation across schools, for VRU officers and analysts: per class, the
programme, lessons logged against lessons planned, when they were taught, each survey
window's state and how many pupils sent a response against the class size.

Operational counts (how many took part), never outcomes and never answers or card codes.
This is outside a school's own staff pages, so a response count under ``SMALL_COUNT``
reads "fewer than 10", in the table and its CSV alike (design.md, "Disclosure control").

It reads lessons and surveys data, so it lives here, in the downstream app of the two.
``participation_rows`` is one statement however many classes a region has: every figure
is a correlated subquery on the class row (indexed by the class or window foreign key).
``TABLE`` turns rows into the cells both the admin page and its CSV show, so the two
cannot drift apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import Count, F, IntegerField, Max, Min, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import LocalAuthority, School
from accounts.school_year import academic_year_label
from lessons.models import LessonDelivery, LessonPage, ProgrammePage, TeachingGroup

from .models import Response, SurveyWindow, WindowState, window_ended_at, window_state

SMALL_COUNT = 10
SMALL_COUNT_TEXT = "fewer than 10"
WAVES = tuple(SurveyWindow.Wave.values)
_WAVE_NAMES: dict[str, str] = {
    SurveyWindow.Wave.BASELINE: "Baseline",
    SurveyWindow.Wave.POST: "Post",
    SurveyWindow.Wave.FOLLOW_UP: "Follow-up",
}


@dataclass(frozen=True)
class WaveCell:
    """One class's survey window for one wave (``state`` None: the class has none)."""

    state: WindowState | None = None
    opens_on: dt.date | None = None
    closes_on: dt.date | None = None
    sent: int = 0


@dataclass(frozen=True)
class ParticipationRow:
    local_authority: str
    school: str
    urn: str
    group: str
    year_group: int
    academic_year: int
    programme: str
    lessons_logged: int
    lessons_planned: int
    first_taught: dt.date | None
    last_taught: dt.date | None
    pupil_count: int
    waves: dict[str, WaveCell]


def _count(queryset, key: str):
    """A correlated COUNT(*) over ``queryset`` grouped by ``key``, 0 when there is no row."""
    counted = queryset.order_by().values(key).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _live_deliveries():
    """Deliveries of the class's programme's live lessons: what the teacher's own page counts
    as delivered (``lessons.selectors.group_progress``)."""
    return LessonDelivery.objects.filter(
        group=OuterRef("pk"),
        lesson__live=True,
        lesson__path__startswith=OuterRef("programme__path"),
        lesson__depth=OuterRef("programme__depth") + 1,
    )


def participation_queryset(
    *,
    academic_year: int,
    programme: ProgrammePage | None = None,
    local_authority: LocalAuthority | None = None,
    school: School | None = None,
):
    groups = TeachingGroup.objects.filter(academic_year=academic_year)
    if programme is not None:
        groups = groups.filter(programme=programme)
    if local_authority is not None:
        groups = groups.filter(school__local_authority=local_authority)
    if school is not None:
        groups = groups.filter(school=school)
    deliveries = _live_deliveries()
    planned = LessonPage.objects.filter(
        live=True, path__startswith=OuterRef("programme__path"), depth=OuterRef("programme__depth") + 1
    )
    annotations = {
        "la_name": F("school__local_authority__name"),
        "school_name": F("school__name"),
        "school_urn": F("school__urn"),
        "programme_title": F("programme__title"),
        "lessons_logged": _count(deliveries, "group"),
        "lessons_planned": _count(planned, "depth"),
        "first_taught": Subquery(deliveries.order_by().values("group").annotate(d=Min("delivered_on")).values("d")[:1]),
        "last_taught": Subquery(deliveries.order_by().values("group").annotate(d=Max("delivered_on")).values("d")[:1]),
    }
    for wave in WAVES:
        window = SurveyWindow.objects.filter(group=OuterRef("pk"), wave=wave)
        for field in ("opens_at", "closes_at", "closed_at"):
            annotations[f"{wave}_{field}"] = Subquery(window.values(field)[:1])
        sent = Response.objects.filter(
            window__group=OuterRef("pk"), window__wave=wave, status=Response.Status.COMPLETED
        )
        annotations[f"{wave}_sent"] = _count(sent, "window")
    return (
        groups.annotate(**annotations)
        .values("name", "year_group", "academic_year", "pupil_count", *annotations)
        .order_by("la_name", "school_name", "year_group", "name", "pk")
    )


def _wave_cell(values: dict, wave: str, now: dt.datetime) -> WaveCell:
    opens_at, closes_at, closed_at = (values[f"{wave}_{field}"] for field in ("opens_at", "closes_at", "closed_at"))
    if opens_at is None:
        return WaveCell()
    ended = window_ended_at(closes_at=closes_at, closed_at=closed_at)
    return WaveCell(
        state=window_state(opens_at=opens_at, closes_at=closes_at, closed_at=closed_at, at=now),
        opens_on=timezone.localtime(opens_at).date(),
        closes_on=timezone.localtime(ended).date(),
        sent=values[f"{wave}_sent"],
    )


def participation_rows(*, now: dt.datetime | None = None, **filters) -> list[ParticipationRow]:
    """The table's rows for the filters of ``participation_queryset``, in one query."""
    now = now or timezone.now()
    return [
        ParticipationRow(
            local_authority=values["la_name"],
            school=values["school_name"],
            urn=values["school_urn"],
            group=values["name"],
            year_group=values["year_group"],
            academic_year=values["academic_year"],
            programme=values["programme_title"],
            lessons_logged=values["lessons_logged"],
            lessons_planned=values["lessons_planned"],
            first_taught=values["first_taught"],
            last_taught=values["last_taught"],
            pupil_count=values["pupil_count"],
            waves={wave: _wave_cell(values, wave, now) for wave in WAVES},
        )
        for values in participation_queryset(**filters)
    ]


def academic_years_with_classes() -> list[int]:
    return sorted(set(TeachingGroup.objects.values_list("academic_year", flat=True).distinct()), reverse=True)


# --- The cells the page and the CSV show ----------------------------------------------


def day(value: dt.date | None) -> str:
    return f"{value.day} {value:%b %Y}" if value else ""


def suppressed(count: int) -> str:
    """A count of pupils as shown outside the school: under 10 reads "fewer than 10"."""
    return SMALL_COUNT_TEXT if count < SMALL_COUNT else str(count)


def survey_cell(cell: WaveCell) -> str:
    if cell.state is None:
        return "No survey"
    return f"{cell.state.label} ({day(cell.opens_on)} to {day(cell.closes_on)})"


def sent_cell(cell: WaveCell) -> str:
    if cell.state is None or cell.state == WindowState.NOT_YET_OPEN:
        return ""
    return suppressed(cell.sent)


@dataclass(frozen=True)
class Column:
    heading: str
    cell: Callable[[ParticipationRow], str]
    numeric: bool = False


def _wave_columns(wave: str) -> list[Column]:
    name = _WAVE_NAMES[wave]
    return [
        Column(f"{name} survey", lambda row: survey_cell(row.waves[wave])),
        Column(f"{name} responses sent", lambda row: sent_cell(row.waves[wave]), numeric=True),
    ]


TABLE: list[Column] = [
    Column("Local authority", lambda row: row.local_authority),
    Column("School", lambda row: row.school),
    Column("URN", lambda row: row.urn),
    Column("Class", lambda row: row.group),
    Column("Year group", lambda row: f"Year {row.year_group}"),
    Column("Academic year", lambda row: academic_year_label(row.academic_year)),
    Column("Programme", lambda row: row.programme),
    Column("Lessons logged", lambda row: str(row.lessons_logged), numeric=True),
    Column("Lessons planned", lambda row: str(row.lessons_planned), numeric=True),
    Column("First lesson taught", lambda row: day(row.first_taught)),
    Column("Last lesson taught", lambda row: day(row.last_taught)),
    Column("Class size", lambda row: str(row.pupil_count), numeric=True),
    *(column for wave in WAVES for column in _wave_columns(wave)),
]


def table_cells(rows: list[ParticipationRow]) -> list[list[str]]:
    return [[column.cell(row) for column in TABLE] for row in rows]


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula (CSV injection): text starting with
    = + - @ or a tab or carriage return gets a leading apostrophe."""
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text
