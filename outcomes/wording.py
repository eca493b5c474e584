"""Outcome figures in plain words, for the people who teach and lead schools.

One published row (``selectors.FigureRow``) becomes a ``Statement``: a sentence a teacher
can read between lessons ("Pupils' confidence to help as a bystander went up by 0.4 points
on a 1 to 5 scale") and the numbers beside it (baseline mean, later mean, change with its
95% interval, pupils who answered both surveys, match rate). No request and no template
here, so the staff pages, the per-school PDF and the public evidence block all say the same
thing in the same words. The only database read is ``scale_ranges`` (which answers the
scale's items use, for "on a 1 to 5 scale"); everything else works on rows already read
through ``outcomes.selectors``, the one way to read a figure.

How the sentence is chosen (docs/outcomes-for-schools.md explains why):

- the 95% interval of the change excludes 0: the score "went up" or "went down" by the
  mean change, and the scale's direction (``higher_is_better``) says whether that is the
  change the programme hopes for;
- the interval includes 0: "stayed about the same", with the size of the change beside it
  and the reason (within what chance alone could give for this many pupils). Saying "went
  up" there would claim more than the numbers show;
- a hidden row never carries a number: "fewer than 10" pupils, "fewer than 3 schools", or
  hidden so that a smaller group's figure cannot be worked out from it.

Every surface that shows a statement also shows ``MONITORING``: a pre/post change without a
comparison group is monitoring, not proof that the lessons caused it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .stats.disclosure import Reason

FEWER_THAN_10 = "fewer than 10"
MONITORING = (
    "This is monitoring, not proof of impact. It compares the same pupils' answers before and after "
    "the programme, without a comparison group of pupils who did not take part, so it cannot show "
    "that the lessons caused the change: pupils' answers also change for other reasons over time."
)
HIDDEN_SENTENCES = {
    str(Reason.FEWER_THAN_10): "fewer than 10 pupils answered both surveys, so the result is not shown.",
    str(Reason.FEWER_THAN_3_SCHOOLS): "fewer than 3 schools have results yet, so the result is not shown.",
    str(Reason.SECONDARY): "not shown, so that a smaller group's result cannot be worked out from it.",
    str(Reason.BREAKDOWN_WITHHELD): "not shown for this group, to protect smaller groups.",
}
LATER_WAVE = {"post": "after the programme", "follow_up": "at the follow-up"}


@dataclass(frozen=True)
class Statement:
    """One scale's result for one group of pupils, in words and numbers.

    ``shown`` False means every number is None and ``hidden_reason`` says why (the words of
    ``stats.disclosure.Reason``); ``pupils`` then reads "fewer than 10" when that is the
    reason. ``direction`` is "up", "down" or "same" (the interval includes 0), and
    ``hoped_for`` whether a clear change went the way the programme hopes (None when there is
    no clear change)."""

    scale: str
    scale_name: str
    sentence: str
    shown: bool
    hidden_reason: str = ""
    direction: str = ""
    hoped_for: bool | None = None
    higher_is_better: bool = True
    scale_range: tuple[int, int] | None = None
    baseline_mean: float | None = None
    later_mean: float | None = None
    change: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n_matched: int | None = None
    n_baseline: int | None = None
    match_rate: float | None = None
    n_schools: int | None = None
    small_sample: bool = False

    # --- The numbers beside the words, formatted the same way everywhere ---------------

    @property
    def pupils(self) -> str:
        """Pupils who answered both surveys: a number only when the row is shown."""
        if self.shown and self.n_matched is not None:
            return str(self.n_matched)
        return FEWER_THAN_10 if self.hidden_reason == str(Reason.FEWER_THAN_10) else "Not shown"

    @property
    def baseline_display(self) -> str:
        return _fixed(self.baseline_mean)

    @property
    def later_display(self) -> str:
        return _fixed(self.later_mean)

    @property
    def change_display(self) -> str:
        return _signed(self.change)

    @property
    def interval_display(self) -> str:
        if self.ci_low is None or self.ci_high is None:
            return ""
        return f"{_signed(self.ci_low)} to {_signed(self.ci_high)}"

    @property
    def match_rate_display(self) -> str:
        return f"{round(self.match_rate * 100)}%" if self.match_rate is not None else ""

    @property
    def range_display(self) -> str:
        return f"{self.scale_range[0]} to {self.scale_range[1]}" if self.scale_range else ""


def scale_ranges(rows: Iterable) -> dict[tuple[str, str], tuple[int, int]]:
    """(instrument slug, scale code) -> (lowest, highest) answer value of the scale's items,
    for every scale of ``rows`` whose items (in every version of the instrument) share one
    response range. A scale mixing ranges (a 3-face item among 5-point ones) is left out:
    its score is a mean of differently sized answers, so no "1 to 5" describes it."""
    from surveys.models import Item
    from surveys.response_scales import PRESETS, value_range

    wanted = {(row.instrument, row.scale) for row in rows}
    if not wanted:
        return {}
    found: dict[tuple[str, str], set[tuple[int, int]]] = {}
    items = Item.objects.filter(
        version__instrument__slug__in={instrument for instrument, _ in wanted},
        scale_code__in={scale for _, scale in wanted},
    ).values_list("version__instrument__slug", "scale_code", "response_scale")
    for instrument, scale, response_scale in items.distinct():
        if (instrument, scale) in wanted and response_scale in PRESETS:
            found.setdefault((instrument, scale), set()).add(value_range(response_scale))
    return {key: next(iter(ranges)) for key, ranges in found.items() if len(ranges) == 1}


def statement(row, *, scale_range: tuple[int, int] | None = None, compare: str = "post") -> Statement:
    """The statement for one published row (a ``selectors.FigureRow``)."""
    name = row.scale_name
    common = {
        "scale": row.scale,
        "scale_name": name,
        "higher_is_better": row.higher_is_better,
        "scale_range": scale_range,
    }
    figures = row.figures
    if row.suppressed or figures is None:
        reason = row.suppressed or str(Reason.FEWER_THAN_10)
        hidden = HIDDEN_SENTENCES.get(reason, "not shown.")
        return Statement(sentence=f"{name}: {hidden}", shown=False, hidden_reason=reason, **common)
    summary = figures.summary
    change = summary.mean_change
    direction, hoped_for = _direction(change, summary.ci_low, summary.ci_high, row.higher_is_better)
    return Statement(
        sentence=_sentence(
            subject=pupils_subject(name),
            change=change,
            direction=direction,
            hoped_for=hoped_for,
            higher_is_better=row.higher_is_better,
            on_scale=_on_scale(scale_range),
            later=LATER_WAVE.get(compare, "after the programme"),
        ),
        shown=True,
        direction=direction,
        hoped_for=hoped_for,
        baseline_mean=summary.baseline_mean,
        later_mean=summary.post_mean,
        change=change,
        ci_low=summary.ci_low,
        ci_high=summary.ci_high,
        n_matched=figures.n_matched,
        n_baseline=figures.n_baseline,
        match_rate=figures.match_rate,
        n_schools=figures.n_schools,
        small_sample=figures.small_sample,
        **common,
    )


def statements(rows: Iterable, *, compare: str = "post", ranges: dict | None = None) -> list[Statement]:
    """Statements for rows of one group of pupils, in the table's order of scales.
    ``ranges`` defaults to ``scale_ranges(rows)`` (one query)."""
    rows = list(rows)
    if ranges is None:
        ranges = scale_ranges(rows)
    return [statement(row, scale_range=ranges.get((row.instrument, row.scale)), compare=compare) for row in rows]


def pupils_subject(scale_name: str) -> str:
    """ "Confidence to help as a bystander" -> "Pupils' confidence to help as a bystander"
    (an initial capital is lowered unless the word is an abbreviation, e.g. "PSHE")."""
    name = scale_name.strip()
    if name[:2].isupper() and len(name) > 1 and name[1].isalpha():
        return f"Pupils' {name}"
    return f"Pupils' {name[:1].lower()}{name[1:]}"


# --- Helpers --------------------------------------------------------------------------


def _direction(
    change: float | None, low: float | None, high: float | None, higher_is_better: bool
) -> tuple[str, bool | None]:
    if change is None or change == 0:
        return "same", None
    if low is not None and high is not None and low <= 0 <= high:
        return "same", None
    # An interval that excludes 0, or none at all because every pupil changed by exactly
    # the same amount (no spread): the direction is then certain for these pupils.
    direction = "up" if change > 0 else "down"
    return direction, (direction == "up") == higher_is_better


def _sentence(
    *,
    subject: str,
    change: float | None,
    direction: str,
    hoped_for: bool | None,
    higher_is_better: bool,
    on_scale: str,
    later: str,
) -> str:
    if change is None or change == 0:
        return f"{subject} stayed the same: the average score {later} was the same as before."
    moved = "up" if change > 0 else "down"
    if direction == "same":
        if round(abs(change), 2) == 0:
            return (
                f"{subject} stayed about the same: the average {later} was within 0.01 points of the "
                f"average before, {on_scale}."
            )
        return (
            f"{subject} stayed about the same: the average went {moved} by {_points(abs(change))} {on_scale}, "
            "which is within what chance alone could give for this many pupils."
        )
    amount = _points(abs(change))
    if hoped_for and higher_is_better:
        why = "the change the programme hopes for"
    elif hoped_for:
        why = "on this scale lower is better, so this is the change the programme hopes for"
    else:
        better = "higher" if higher_is_better else "lower"
        why = f"on this scale {better} is better, so this is the opposite of the change the programme hopes for"
    return f"{subject} went {moved} by {amount} {on_scale}: {why}."


def _on_scale(scale_range: tuple[int, int] | None) -> str:
    if scale_range is None:
        return "on this scale's score"
    return f"on a {scale_range[0]} to {scale_range[1]} scale"


def _points(value: float) -> str:
    """0.4 -> "0.4 points", 0.35 -> "0.35 points", 1.0 -> "1 point", under 0.005 -> "less
    than 0.01 points" (a clear but tiny change must not read as 0)."""
    rounded = round(value, 2)
    if rounded == 0:
        return "less than 0.01 points"
    text = f"{rounded:.2f}".rstrip("0").rstrip(".")
    return f"{text} point" if text == "1" else f"{text} points"


def _fixed(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else ""


def _signed(value: float | None) -> str:
    if value is None:
        return ""
    text = f"{value:+.2f}"
    return "0.00" if text in ("+0.00", "-0.00") else text
