"""A ``PublishedTable`` as view-ready rows and charts, shared by the dashboard, its CSV
download and the PDF reports, so every surface words and rounds a figure the same way.

Nothing here reads the database or a request: it takes the table ``outcomes.selectors``
published (already through disclosure control) and only formats it.

- A hidden figure never reaches a page as a number: its row keeps its labels and every
  figure reads the reason, "fewer than 10" or "fewer than 3 schools" (``HIDDEN_TEXT``).
- The 95 % interval of each wave's mean is the t interval of the matched pupils' scores at
  that wave (mean ± t(0.975, n − 1) · sd / √n), the same pupils the change rests on. It is
  not widened for clustering; the design effect and effective n beside it say how much
  clustering costs.
- Means, changes and their intervals are shown to 2 decimal places, effect sizes to 2,
  p-values to 3 (below 0.001 as "< 0.001"), rates as whole percentages; the CSV keeps full
  precision (``outcomes.exports``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from scipy import stats as _scipy_stats

from . import charts
from .selectors import ALL, LEVELS, FigureRow, PublishedTable
from .stats.disclosure import Reason

HIDDEN_TEXT = {
    str(Reason.FEWER_THAN_10): "fewer than 10",
    str(Reason.FEWER_THAN_3_SCHOOLS): "fewer than 3 schools",
    str(Reason.SECONDARY): "hidden to protect a smaller group",
    str(Reason.BREAKDOWN_WITHHELD): "hidden to protect a smaller group",
}
SCOPE_LABELS = {
    "region": "Region",
    "local_authority": "Local authority",
    "school": "School",
    "class": "Class",
}
LATER_LABELS = {"post": "Post", "follow_up": "Follow-up"}
DASH = "–"  # shown where a figure exists but cannot be computed (e.g. no variance)

FLAG_TEXT = {
    "small_sample": "Small sample (fewer than 30 matched pupils): read with care.",
    "fragile": (
        "Fragile: comparing all baseline pupils with all later pupils (Welch) gives a change of the other "
        "sign or an interval that does not overlap this one."
    ),
    "lost_differ": "Pupils who were not matched differed at baseline from those matched (|g| above 0.25).",
    "low_match": "Fewer than 60% of baseline pupils were matched.",
}
LOW_MATCH_RATE = 0.6


def hidden_text(reason: str) -> str:
    return HIDDEN_TEXT.get(reason, "hidden to protect a smaller group")


def wave_interval(mean: float | None, sd: float | None, n: int) -> charts.Interval | None:
    """The 95 % t interval of one wave's mean over the matched pupils."""
    if mean is None:
        return None
    if sd is None or n < 2:
        return charts.Interval(mean)
    half = float(_scipy_stats.t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return charts.Interval(mean, mean - half, mean + half)


def number(value: float | None, digits: int = 2, *, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    text = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    return text.replace("-", "−")  # a real minus sign


def p_value(value: float | None) -> str:
    if value is None:
        return DASH
    return "< 0.001" if value < 0.001 else f"{value:.3f}"


def percent(value: float | None) -> str:
    return DASH if value is None else f"{value * 100:.0f}%"


def count(value: int | float | None) -> str:
    if value is None:
        return DASH
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}"


def interval_text(interval: charts.Interval | None, *, signed: bool = False) -> str:
    if interval is None:
        return DASH
    text = number(interval.mean, signed=signed)
    if interval.low is not None and interval.high is not None:
        text += f" ({number(interval.low, signed=signed)} to {number(interval.high, signed=signed)})"
    return text


@dataclass
class PresentedRow:
    """One published row, ready for a template, a PDF or a test. ``cells`` follows
    ``COLUMNS`` (key, heading); a hidden row's figure cells all read ``hidden_text``."""

    row: FigureRow
    hidden: bool
    hidden_text: str = ""
    baseline: charts.Interval | None = None
    post: charts.Interval | None = None
    change: charts.Interval | None = None
    flags: list[str] = field(default_factory=list)
    cells: dict[str, str] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.row.subgroup_name if self.row.subgroup != ALL else "All pupils"

    @property
    def scope_label(self) -> str:
        return f"{SCOPE_LABELS.get(self.row.scope, self.row.scope)}: {self.row.scope_name}"

    @property
    def is_total(self) -> bool:
        return self.row.subgroup == ALL

    @property
    def scope_and_label(self) -> str:
        return f"{self.row.scope_name}, {self.label}"

    @property
    def values(self) -> list[str]:
        """The figure cells in ``COLUMNS`` order."""
        return [self.cells.get(key, DASH) for key, _heading in COLUMNS]

    @property
    def change_values(self) -> list[str]:
        return [self.cells.get(key, DASH) for key, _heading in CHANGE_COLUMNS]

    @property
    def basis_values(self) -> list[str]:
        return [self.cells.get(key, DASH) for key, _heading in BASIS_COLUMNS]

    @property
    def notes(self) -> list[str]:
        """Flags and the matched-vs-lost sentence, for the notes under a table."""
        return [*self.flags, *([self.lost_sentence] if self.lost_sentence else [])]

    @property
    def lost_sentence(self) -> str:
        return matched_vs_lost(self)


# The dashboard's figure columns, in order: (key, heading). Two tables per scale: the
# figures the chart shows, and what they rest on.
CHANGE_COLUMNS = (
    ("baseline", "Baseline mean (95% interval)"),
    ("post", "Post mean (95% interval)"),
    ("change", "Change in scale points (95% interval)"),
    ("g_av", "Effect size g_av"),
    ("p_holm", "p (Holm-adjusted)"),
)
BASIS_COLUMNS = (
    ("n_baseline", "Pupils at baseline"),
    ("n_post", "Pupils at post"),
    ("n_matched", "Pupils matched"),
    ("match_rate", "Match rate"),
    ("design_effect", "Design effect"),
    ("n_effective", "Effective n"),
    ("n_schools", "Schools"),
    ("n_classes", "Classes"),
)
COLUMNS = CHANGE_COLUMNS + BASIS_COLUMNS


def present_row(row: FigureRow, *, compare: str = "post") -> PresentedRow:
    if row.suppressed or row.figures is None:
        text = hidden_text(row.suppressed or str(Reason.FEWER_THAN_10))
        return PresentedRow(row=row, hidden=True, hidden_text=text, cells={key: text for key, _ in COLUMNS})
    f = row.figures
    s = f.summary
    baseline = wave_interval(s.baseline_mean, s.baseline_sd, f.n_matched)
    post = wave_interval(s.post_mean, s.post_sd, f.n_matched)
    change = None if s.mean_change is None else charts.Interval(s.mean_change, s.ci_low, s.ci_high)
    flags = []
    if f.small_sample:
        flags.append(FLAG_TEXT["small_sample"])
    if f.fragile:
        flags.append(FLAG_TEXT["fragile"])
    if f.lost_differ:
        flags.append(FLAG_TEXT["lost_differ"])
    if f.match_rate is not None and f.match_rate < LOW_MATCH_RATE:
        flags.append(FLAG_TEXT["low_match"])
    cells = {
        "baseline": interval_text(baseline),
        "post": interval_text(post),
        "change": interval_text(change, signed=True),
        "g_av": number(s.g_av, signed=True),
        "n_baseline": count(f.n_baseline),
        "n_post": count(f.n_post),
        "n_matched": count(f.n_matched),
        "match_rate": percent(f.match_rate),
        "p_holm": p_value(row.p_holm),
        "design_effect": number(f.design_effect),
        "n_effective": count(f.n_effective),
        "n_schools": count(f.n_schools),
        "n_classes": count(f.n_classes),
    }
    return PresentedRow(row=row, hidden=False, baseline=baseline, post=post, change=change, flags=flags, cells=cells)


def matched_vs_lost(row: PresentedRow) -> str:
    """The matched-vs-lost sentence for a shown row ('' when there is nothing to say)."""
    f = row.row.figures
    if row.hidden or f is None:
        return ""
    lost = f.n_baseline - f.n_matched
    if f.matched_vs_lost_g is None:
        if lost <= 0:
            return "Every pupil who answered the baseline was matched."
        return f"{count(lost)} baseline pupils were not matched; too few to compare with those matched."
    verdict = (
        "they differed at baseline, so the change may not hold for every pupil who started"
        if f.lost_differ
        else "they did not differ much at baseline"
    )
    return (
        f"{count(lost)} baseline pupils were not matched (match rate {percent(f.match_rate)}). "
        f"Compared with the matched pupils, g = {number(f.matched_vs_lost_g, signed=True)}: {verdict}."
    )


@dataclass
class ScaleSection:
    """One programme's scale: the chart's rows (the top scope: all pupils and each category)
    and every scope's rows, in the table's order."""

    programme: str
    programme_title: str
    scale: str
    scale_name: str
    higher_is_better: bool
    top: list[PresentedRow]
    scopes: list[PresentedRow]
    chart: charts.ScaleChart | None = None
    svg: str = ""
    caption: str = ""
    areas_caption: str = ""

    @property
    def top_notes(self) -> list[tuple[str, str]]:
        return [(r.label, note) for r in self.top for note in r.notes]

    @property
    def other_notes(self) -> list[tuple[str, str]]:
        return [(r.scope_and_label, note) for r in self.others for note in r.notes]

    @property
    def others(self) -> list[PresentedRow]:
        """The rows of the scopes below the top one (local authorities under the region)."""
        top = {id(r) for r in self.top}
        return [r for r in self.scopes if id(r) not in top]

    @property
    def total(self) -> PresentedRow | None:
        return next((r for r in self.top if r.is_total), None)


def chart_spec(
    rows: list[PresentedRow],
    *,
    chart_id: str,
    title: str,
    scale_name: str,
    later: str,
    higher_is_better: bool,
    caveat: str,
) -> charts.ScaleChart:
    groups, omitted = [], []
    for r in rows:
        if r.hidden or r.baseline is None or r.post is None:
            omitted.append((r.label, r.hidden_text or "cannot be computed"))
        else:
            groups.append(charts.ChartGroup(r.label, r.baseline, r.post))
    return charts.ScaleChart(
        chart_id=chart_id,
        title=title,
        scale_name=scale_name,
        groups=tuple(groups),
        omitted=tuple(omitted),
        later_label=later,
        higher_is_better=higher_is_better,
        caveat=caveat,
    )


def sections(
    table: PublishedTable, *, chart_prefix: str = "chart", render: bool = True, suffix: str = ""
) -> list[ScaleSection]:
    """Per programme and scale, in the table's order. The chart shows the top scope shown
    (the region, or the chosen local authority); ``render`` draws its SVG (cached)."""
    compare = table.filter.filter.compare
    later = LATER_LABELS.get(compare, "Post")
    by_scale: dict[tuple[str, str], list[FigureRow]] = defaultdict(list)
    order: list[tuple[str, str]] = []
    for row in table.rows:
        key = (row.programme, row.scale)
        if key not in by_scale:
            order.append(key)
        by_scale[key].append(row)
    key_prefix = f"{sorted(table.data_versions.items())}|{table.filter.filter!r}|{table.rules_version}"
    out = []
    for index, key in enumerate(order, start=1):
        rows = [present_row(r, compare=compare) for r in by_scale[key]]
        first = rows[0].row
        top_level = min(LEVELS.index(r.row.scope) for r in rows)
        top_rows = [r for r in rows if LEVELS.index(r.row.scope) == top_level]
        top_scope = top_rows[0].row.scope_id
        top_rows = [r for r in top_rows if r.row.scope_id == top_scope]
        section = ScaleSection(
            programme=first.programme,
            programme_title=first.programme_title,
            scale=first.scale,
            scale_name=first.scale_name,
            higher_is_better=first.higher_is_better,
            top=top_rows,
            scopes=rows,
            caption=f"{first.scale_name}, {top_rows[0].row.scope_name}{suffix}",
            areas_caption=f"{first.scale_name} by local authority{suffix}",
        )
        section.chart = chart_spec(
            top_rows,
            chart_id=f"{chart_prefix}-{index}",
            title=f"{first.scale_name}: baseline and {later.lower()} means, {top_rows[0].row.scope_name}{suffix}",
            scale_name=first.scale_name,
            later=later,
            higher_is_better=first.higher_is_better,
            caveat=table.caveat,
        )
        if render:
            section.svg = charts.render_cached(section.chart, key_prefix=key_prefix)
        out.append(section)
    return out
