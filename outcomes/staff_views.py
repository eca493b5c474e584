"""Teachers' and school leads' outcome pages on the staff site.

- ``my_results``: each of the user's own classes (taught or co-taught), per scale in plain
  words, and a link to each school they lead.
- ``class_results``: one class. Its teacher, co-teachers and the school's lead only.
- ``school_results``: the school and each of its classes for one academic year. The
  school's lead only.

Authorization, the same rule as every other staff page: approved school staff only
(``approved_staff_required``: a pending teacher gets the "not approved yet" page), and the
object is looked up inside what the user may see, so another class or school is a 404
(``lessons.selectors.group_for_user``, ``accounts.selectors.schools_led_by``). Query
parameters never choose a place: a class page's figures are always its own class's, a
school page's always its own school's; the only filters are the academic year (school
page) and the wave compared, both validated.

Figures come only from ``outcomes.selectors.outcome_table`` at school scope (the school and
its classes, one academic year), so a class reads the same on its teacher's page and its
lead's page, and the disclosure rules run over the school and all its classes together: a
hidden class cannot be worked out from the school's figure less the others'. No pupil's
answers or scores are read or shown, only the published rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from accounts.decorators import approved_staff_required
from accounts.models import School
from accounts.selectors import schools_led_by
from lessons import selectors as lesson_selectors
from lessons.models import TeachingGroup, academic_year_label
from surveys import selectors as survey_selectors
from surveys.models import SurveyWindow

from .filters import OutcomeFilter
from .models import Compare
from .selectors import ALL, FigureRow, outcome_table
from .wording import MONITORING, Statement, scale_ranges, statements

COMPARE_LABELS: dict[str, str] = {
    Compare.POST: "Before and after the programme",
    Compare.FOLLOW_UP: "Before and at the follow-up",
}
LATER_LABELS: dict[str, str] = {Compare.POST: "After", Compare.FOLLOW_UP: "Follow-up"}
LATER_WAVES: dict[str, str] = {Compare.POST: SurveyWindow.Wave.POST, Compare.FOLLOW_UP: SurveyWindow.Wave.FOLLOW_UP}


@dataclass
class ClassResult:
    group: TeachingGroup
    statements: list[Statement] = field(default_factory=list)
    waiting_for: str = ""  # why there is nothing yet

    @property
    def table_id(self) -> str:
        return f"class-{self.group.pk}"


@dataclass
class ProgrammeResult:
    title: str
    slug: str
    school: list[Statement]
    classes: list[ClassResult]


# --- Reading ---------------------------------------------------------------------------


def _compare(request) -> str:
    """The wave compared with the baseline: ``?compare=post`` (default) or ``follow_up``;
    anything else is a 404, like any other address that names nothing."""
    value = (request.GET.get("compare") or Compare.POST).strip().lower().replace("-", "_")
    if value not in Compare.values:
        raise Http404("No such comparison.")
    return value


def school_rows(school: School, academic_year: int, compare: str, programme: str | None = None) -> list[FigureRow]:
    """The published rows of ``school`` and its classes for one academic year (all
    programmes unless ``programme`` is given: the disclosure rules run per programme, so
    the rows are the same either way). The only figure read of these pages."""
    resolved = OutcomeFilter.parse(
        programme=programme,
        school=school.urn,
        academic_year=academic_year,
        compare=compare,
        scopes=("school", "class"),
    ).resolve()
    return [row for row in outcome_table(resolved).rows if row.subgroup == ALL]


def _waiting_for(group: TeachingGroup, compare: str) -> str:
    """Why a class has no figures yet, in words a teacher can act on."""
    windows = {w.wave: w for w in survey_selectors.windows_for_group(group=group)}
    later_wave = LATER_WAVES[compare]
    later_name = "post" if compare == Compare.POST else "follow-up"
    baseline, later = windows.get(SurveyWindow.Wave.BASELINE), windows.get(later_wave)
    if baseline is None:
        return "No results yet: run the baseline survey before the first lesson."
    if later is None:
        return f"No results yet: after the lessons, run the {later_name} survey."
    if baseline.state() != SurveyWindow.State.CLOSED or later.state() != SurveyWindow.State.CLOSED:
        return f"No results yet: results appear once the baseline and the {later_name} survey have both closed."
    return (
        f"No results yet: both surveys have closed, and results are added up within a few minutes. "
        f"If none appear, no pupil answered both the baseline and the {later_name} survey."
    )


def _class_results(
    groups: list[TeachingGroup], compare: str, rows_by_key: dict[tuple[int, int], list[FigureRow]]
) -> list[ClassResult]:
    ranges = scale_ranges(row for rows in rows_by_key.values() for row in rows)
    results = []
    for group in groups:
        rows = [
            row
            for row in rows_by_key[(group.school_id, group.academic_year)]
            if row.scope == "class" and row.scope_id == str(group.pk)
        ]
        result = ClassResult(group=group, statements=statements(rows, compare=compare, ranges=ranges))
        if not rows:
            result.waiting_for = _waiting_for(group, compare)
        results.append(result)
    return results


def _rows_for(groups: list[TeachingGroup], compare: str) -> dict[tuple[int, int], list[FigureRow]]:
    """One school table per (school, academic year) the groups belong to."""
    by_key: dict[tuple[int, int], list[FigureRow]] = {}
    for group in groups:
        key = (group.school_id, group.academic_year)
        if key not in by_key:
            by_key[key] = school_rows(group.school, group.academic_year, compare)
    return by_key


def _context(compare: str, **extra) -> dict:
    return {
        "compare": compare,
        "compare_label": COMPARE_LABELS[compare],
        "compare_phrase": COMPARE_LABELS[compare].lower(),
        "later_label": LATER_LABELS[compare],
        "compare_choices": list(COMPARE_LABELS.items()),
        "monitoring": MONITORING,
        **extra,
    }


# --- Views -----------------------------------------------------------------------------


@approved_staff_required
@require_GET
@never_cache
def my_results(request):
    """Every class the user teaches or co-teaches, with its results, newest year first."""
    compare = _compare(request)
    groups = list(
        lesson_selectors.groups_visible_to(request.user)
        .filter(Q(teacher=request.user) | Q(co_teachers=request.user), archived_at__isnull=True)
        .order_by("-academic_year", "school__name", "year_group", "name")
    )
    results = _class_results(groups, compare, _rows_for(groups, compare))
    return render(
        request,
        "outcomes/staff/my_results.html",
        _context(compare, results=results, led_schools=list(schools_led_by(request.user).order_by("name"))),
    )


@approved_staff_required
@require_GET
@never_cache
def class_results(request, pk: int):
    """One class's results: its teacher, co-teachers and school lead (404 for anyone else)."""
    group = lesson_selectors.group_for_user(request.user, pk)
    compare = _compare(request)
    result = _class_results([group], compare, _rows_for([group], compare))[0]
    is_lead = schools_led_by(request.user).filter(pk=group.school_id).exists()
    return render(request, "outcomes/staff/class_results.html", _context(compare, result=result, is_lead=is_lead))


@approved_staff_required
@require_GET
@never_cache
def school_results(request, school_pk: int):
    """The school and each of its classes, per programme, for one academic year: the
    school's lead only (404 for anyone else, its teachers included)."""
    school = schools_led_by(request.user).filter(pk=school_pk).select_related("local_authority").first()
    if school is None:
        raise Http404("No such school.")
    compare = _compare(request)
    years = sorted(
        set(TeachingGroup.objects.filter(school=school).values_list("academic_year", flat=True)), reverse=True
    )
    year = _year(request, years)
    groups = list(
        TeachingGroup.objects.filter(school=school, academic_year=year)
        .select_related("programme", "teacher", "school")
        .order_by("programme__title", "year_group", "name")
        if year is not None
        else []
    )
    programmes: list[ProgrammeResult] = []
    if year is not None:
        rows = school_rows(school, year, compare)
        ranges = scale_ranges(rows)
        by_programme: dict[str, list[FigureRow]] = defaultdict(list)
        for row in rows:
            by_programme[row.programme].append(row)
        groups_by_programme: dict[int, list[TeachingGroup]] = defaultdict(list)
        for group in groups:
            groups_by_programme[group.programme_id].append(group)
        for programme_groups in groups_by_programme.values():
            programme = programme_groups[0].programme
            programme_rows = by_programme.get(programme.slug, [])
            classes = _class_results(programme_groups, compare, {(school.pk, year): programme_rows})
            school_statements = statements(
                [row for row in programme_rows if row.scope == "school"], compare=compare, ranges=ranges
            )
            programmes.append(ProgrammeResult(programme.title, programme.slug, school_statements, classes))
    return render(
        request,
        "outcomes/staff/school_results.html",
        _context(
            compare,
            school=school,
            year=year,
            year_label=academic_year_label(year) if year is not None else "",
            year_choices=[(y, academic_year_label(y)) for y in years],
            programmes=programmes,
        ),
    )


def _year(request, years: list[int]) -> int | None:
    """``?year=2026`` among the school's academic years (a 404 for any other), else the
    latest; None when the school has no class yet."""
    raw = (request.GET.get("year") or "").strip()
    if not raw:
        return years[0] if years else None
    if not raw.isdigit() or int(raw) not in years:
        raise Http404("The school has no classes in that academic year.")
    return int(raw)
