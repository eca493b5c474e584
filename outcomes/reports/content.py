"""What goes into an outcome report: every figure through ``outcomes.selectors`` (so the
PDF's numbers are the dashboard's and ``export_outcomes``'s for the same filters), plus the
fidelity counts, the plain-English summary and the methods statement.

``report_filters`` gives the filters of a report's main table; ``export_outcomes`` with
the same options prints the same rows (``tests/outcomes/test_reports.py`` checks the PDF's
text against it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone

from lessons.models import ProgrammePage, academic_year_label
from surveys.models import SurveyWindow

from ..filters import OutcomeFilter
from ..models import ClassPair, Compare
from ..selectors import CAVEAT, FigureRow, PublishedTable, outcome_table
from ..stats.disclosure import MIN_SCHOOLS, RULES_VERSION, THRESHOLD

HIDDEN_TEXT = {
    "fewer than 10": "fewer than 10",
    "fewer than 3 schools": "fewer than 3 schools",
    "secondary": "hidden (protects a smaller group)",
    "breakdown withheld": "hidden (breakdown withheld)",
}


def report_filters(*, kind: str, programme: str, academic_year: int, school_urn: str | None = None) -> dict:
    """The filters of a report's main table, as ``OutcomeFilter.parse`` keywords (and as
    ``export_outcomes`` options): the region and its local authorities for a regional
    report; the school and its classes for a school report."""
    filters: dict = {"programme": programme, "academic_year": academic_year, "compare": Compare.POST}
    if kind == "school":
        filters["school"] = school_urn
        filters["scopes"] = "school,class"
    else:
        filters["scopes"] = "region,local_authority"
    return filters


def export_arguments(filters: dict) -> list[str]:
    """The ``export_outcomes`` options that print the same table as these filters."""
    names = {"scopes": "--scope"}
    args: list[str] = []
    for key in (
        "programme",
        "academic_year",
        "local_authority",
        "school",
        "year_group",
        "breakdown",
        "compare",
        "scopes",
    ):
        if filters.get(key) not in (None, ""):
            args += [names.get(key, "--" + key.replace("_", "-")), str(filters[key])]
    return args


def number(value, places: int = 2) -> str:
    """How the report prints a figure: fixed decimals, a true minus sign."""
    if value is None:
        return "–"
    text = f"{value:.{places}f}"
    return text.replace("-", "\u2212") if text.startswith("-") else text


def p_text(value) -> str:
    if value is None:
        return "–"
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def percent(value) -> str:
    return "–" if value is None else f"{round(100 * value)}%"


@dataclass
class RowView:
    """One table row as the PDF prints it."""

    scope: str
    scope_name: str
    scale: str
    scale_name: str
    subgroup_name: str
    hidden: str = ""
    cells: dict[str, str] = field(default_factory=dict)
    sentence: str = ""
    flags: list[str] = field(default_factory=list)
    row: FigureRow | None = None


def sentence(row: FigureRow) -> str:
    """A plain-English sentence for one shown figure (monitoring language: "went up", never
    "the programme raised")."""
    f = row.figures
    if f is None:
        return ""
    s = f.summary
    if s.mean_change is None:
        return f"{row.scale_name}: {f.n_matched} pupils answered both surveys; the change could not be worked out."
    size = abs(s.mean_change)
    if s.ci_low is not None and s.ci_high is not None and s.ci_low <= 0 <= s.ci_high:
        direction = "changed little"
        how = f"(on average {number(s.mean_change)} points; the 95% interval, {number(s.ci_low)} to {number(s.ci_high)}, includes no change)"
    else:
        went = "up" if s.mean_change > 0 else "down"
        better = (s.mean_change > 0) == row.higher_is_better
        direction = f"went {went} by {number(size)} points"
        how = (
            f"(95% interval {number(s.ci_low)} to {number(s.ci_high)}); "
            f"{'higher is better' if row.higher_is_better else 'lower is better'} on this scale, so this is "
            f"{'the hoped-for direction' if better else 'the opposite of the hoped-for direction'}"
        )
    who = f"{f.n_matched} pupils who answered both surveys"
    return f"{row.scale_name} {direction} for the {who} {how}."


def row_view(row: FigureRow) -> RowView:
    view = RowView(
        scope=row.scope,
        scope_name=row.scope_name,
        scale=row.scale,
        scale_name=row.scale_name,
        subgroup_name=row.subgroup_name,
        row=row,
    )
    if row.suppressed or row.figures is None:
        view.hidden = HIDDEN_TEXT.get(row.suppressed, row.suppressed or "fewer than 10")
        return view
    f, s = row.figures, row.figures.summary
    view.cells = {
        "n_schools": str(f.n_schools),
        "n_baseline": str(f.n_baseline),
        "n_post": str(f.n_post),
        "n_matched": str(f.n_matched),
        "match_rate": percent(f.match_rate),
        "baseline_mean": number(s.baseline_mean),
        "post_mean": number(s.post_mean),
        "mean_change": number(s.mean_change),
        "ci": f"{number(s.ci_low)} to {number(s.ci_high)}",
        "g_av": number(s.g_av),
        "p_holm": p_text(row.p_holm),
        "design_effect": number(f.design_effect),
        "n_effective": number(f.n_effective, 1),
    }
    if f.small_sample:
        view.flags.append("small sample (under 30)")
    if f.fragile:
        view.flags.append("fragile (the sensitivity test disagrees)")
    if f.lost_differ:
        view.flags.append("pupils lost to follow-up differed at baseline")
    view.sentence = sentence(row)
    return view


@dataclass
class Section:
    """One published table with its views, grouped by scale for the charts."""

    title: str
    table: PublishedTable
    rows: list[RowView]
    blocks: list[dict]  # per scale: scale, scale_name, rows, chart (SVG text or "")


def _section(title: str, table: PublishedTable, *, chart_prefix: str | None) -> Section:
    rows = [row_view(r) for r in table.rows]
    by_scale: dict[str, list[RowView]] = defaultdict(list)
    for view in rows:
        by_scale[view.scale].append(view)
    svgs = charts_by_scale(table, chart_prefix=chart_prefix) if chart_prefix else {}
    blocks = [
        {"scale": scale, "scale_name": views[0].scale_name, "rows": views, "chart": svgs.get(scale, "")}
        for scale, views in by_scale.items()
    ]
    return Section(title=title, table=table, rows=rows, blocks=blocks)


def charts_by_scale(table: PublishedTable, *, chart_prefix: str) -> dict[str, str]:
    """Scale -> the dashboard's chart of it as SVG text (``outcomes.presentation`` and
    ``outcomes.charts``: the same picture as on screen, text kept as text). The template
    puts it beside its data table. Empty until the charts module is part of the code."""
    try:
        from .. import presentation
    except ImportError:  # the dashboard's charts are merged separately (issue 9)
        return {}
    return {
        section.scale: section.svg for section in presentation.sections(table, chart_prefix=chart_prefix) if section.svg
    }


def _table(filters: dict) -> PublishedTable:
    return outcome_table(OutcomeFilter.parse(**filters).resolve())


def fidelity(*, programme: ProgrammePage, academic_year: int, school_id: int | None = None) -> dict:
    """Lessons delivered against the programme's plan, per class (a school report) and as
    bands (both reports). These are lesson counts, not pupils' data. Read from the class
    pairs, whose numbers the dose breakdown of ``outcome_table`` uses too."""
    pairs = ClassPair.objects.filter(programme_id=programme.pk, academic_year=academic_year, compare=Compare.POST)
    if school_id is not None:
        pairs = pairs.filter(school_id=school_id)
    classes = []
    bands = {"all": 0, "half": 0, "under_half": 0, "not_recorded": 0}
    delivered_total = planned_total = 0
    rows = pairs.order_by("group__name", "group_id").values_list(
        "group__name", "year_group", "lessons_planned", "lessons_delivered"
    )
    for name, year_group, planned, delivered in rows.iterator(chunk_size=2000):
        if not planned:
            bands["not_recorded"] += 1
            share = None
        else:
            share = min(1.0, (delivered or 0) / planned)
            delivered_total += min(delivered or 0, planned)
            planned_total += planned
            bands["all" if share >= 1 else "half" if share >= 0.5 else "under_half"] += 1
        classes.append(
            {
                "name": name,
                "year_group": year_group,
                "planned": planned,
                "delivered": delivered,
                "share": percent(share) if share is not None else "not recorded",
            }
        )
    return {
        "classes": classes if school_id is not None else [],
        "n_classes": len(classes),
        "bands": bands,
        "share": percent(delivered_total / planned_total) if planned_total else "not recorded",
        "planned_total": planned_total,
        "delivered_total": delivered_total,
    }


def instruments(*, programme: ProgrammePage, academic_year: int, school_id: int | None = None) -> list[str]:
    """The instrument versions the report's surveys used, e.g. "Upstream attitudes, version 2"."""
    windows = SurveyWindow.objects.filter(group__programme=programme, group__academic_year=academic_year)
    if school_id is not None:
        windows = windows.filter(group__school_id=school_id)
    seen = (
        windows.values_list("instrument_version__instrument__name", "instrument_version__number")
        .distinct()
        .order_by("instrument_version__instrument__name", "instrument_version__number")
    )
    return [f"{name}, version {number}" for name, number in seen]


def _match_summary(table: PublishedTable, top: str) -> dict:
    tops = [
        (r.figures, r.scale_name)
        for r in table.rows
        if r.scope == top and r.subgroup == "all" and r.figures is not None
    ]
    if not tops:
        return {"rate": None, "exact": None, "fuzzy": None}
    f, scale_name = max(tops, key=lambda pair: pair[0].n_matched)
    return {"rate": percent(f.match_rate), "exact": f.n_exact, "fuzzy": f.n_fuzzy, "scale": scale_name}


def build(report) -> dict:
    """The template context of a report (``report`` is an ``OutcomeReport``)."""
    programme = report.programme
    kind = report.kind
    filters = dict(report.filters)
    main = _section("Change per scale", _table(filters), chart_prefix="report-main")
    # Change by lessons delivered adds up class rollups (the dose bands are per class): quick
    # for one school, but for the whole region it reads every class's rows (about 10 s on the
    # benchmark region when it also read them again for the disclosure complement; area
    # tables now take disclosure from ``outcomes.canonical`` instead, not re-measured).
    # The regional report leaves it out and names the export that gives it.
    dose = None
    if kind == "school":
        dose_filters = {**filters, "scopes": "school", "breakdown": "dose"}
        dose = _section("Change by lessons delivered", _table(dose_filters), chart_prefix=None)
    top = "school" if kind == "school" else "region"
    school_id = report.school_id if kind == "school" else None
    summary = [v for v in main.rows if v.scope == top and v.row and v.row.subgroup == "all"]
    evidence = programme.evidence if hasattr(programme, "evidence") else None
    return {
        "report": report,
        "kind": kind,
        "programme": programme,
        "school": report.school,
        "region_name": settings.UPSTREAM_REGION_NAME,
        "year_label": academic_year_label(report.academic_year),
        "generated_at": timezone.localtime(),
        "main": main,
        "dose": dose,
        "dose_command": " ".join(
            [
                "python manage.py export_outcomes",
                *export_arguments({**filters, "scopes": "region", "breakdown": "dose"}),
            ]
        ),
        "summary": summary,
        "top": top,
        "fidelity": fidelity(programme=programme, academic_year=report.academic_year, school_id=school_id),
        "instruments": instruments(programme=programme, academic_year=report.academic_year, school_id=school_id),
        "match": _match_summary(main.table, top),
        "data_version": main.table.data_versions.get(programme.slug, report.data_version),
        "rules_version": RULES_VERSION,
        "threshold": THRESHOLD,
        "min_schools": MIN_SCHOOLS,
        "caveat": CAVEAT,
        "evidence": evidence,
        "evidence_note": getattr(programme, "evidence_note", ""),
        "filters": filters,
        "export_command": " ".join(["python manage.py export_outcomes", *export_arguments(filters)]),
    }
