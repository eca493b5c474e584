"""The CSV column contract of outcome exports (``export_outcomes`` now, the dashboard's
download later): UTF-8, one header line, no comment lines, one row per scope, scale and
subgroup.

The first 37 columns are fixed, in this order, for tools that read them by position; more
columns may only ever be added after them. The last column, ``caveat``, repeats on every row
that pre/post change without a comparison group is monitoring, not proof of impact, so the
statement travels with any row copied out of the file.

- A suppressed row keeps its labels (programme, scope, scale, subgroup) and ``suppressed``
  says why (``fewer than 10``, ``fewer than 3 schools``, ``secondary``, ``breakdown
  withheld``); every figure in it is empty.
- Numbers are written as numbers (full precision, ``.`` decimal point, no thousands
  separator); booleans as ``true``/``false``; a figure that cannot be computed is empty.
- A text cell starting with ``=``, ``+``, ``-``, ``−``, ``@``, a tab or a carriage return
  could start a spreadsheet formula; it is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import TextIO

from .selectors import FigureRow, PublishedTable

COLUMNS = (
    "programme",
    "scope",
    "scope_name",
    "scale",
    "scale_name",
    "higher_is_better",
    "subgroup",
    "n_schools",
    "n_baseline",
    "n_post",
    "n_matched",
    "match_rate",
    "baseline_mean",
    "baseline_sd",
    "post_mean",
    "post_sd",
    "mean_change",
    "ci_low",
    "ci_high",
    "t",
    "df",
    "p_value",
    "p_holm",
    "wilcoxon_p",
    "wilcoxon_method",
    "d_z",
    "g_av",
    "r_pre_post",
    "welch_p",
    "fragile",
    "small_sample",
    "matched_vs_lost_g",
    "icc",
    "design_effect",
    "n_effective",
    "suppressed",
    "rules_version",
    # Added after the fixed columns:
    "compare",
    "academic_year",
    "scope_id",
    "instrument",
    "subgroup_name",
    "n_exact",
    "n_fuzzy",
    "median_change",
    "wilcoxon_v",
    "d_av",
    "d_rm",
    "welch_t",
    "welch_df",
    "p_bh",
    "lost_differ",
    "icc_school",
    "data_version",
    "caveat",
)
FORMULA_STARTS = ("=", "+", "-", "\u2212", "@", "\t", "\r")
TEXT_COLUMNS = {
    "programme",
    "scope",
    "scope_name",
    "scale",
    "scale_name",
    "subgroup",
    "wilcoxon_method",
    "suppressed",
    "rules_version",
    "compare",
    "scope_id",
    "instrument",
    "subgroup_name",
    "caveat",
}


def neutralise(text: str) -> str:
    """Make a text cell inert in spreadsheets (OWASP CSV injection)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _number(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        return repr(value)
    return str(value)


def _figures(row: FigureRow) -> dict:
    f = row.figures
    if f is None:
        return {}
    s = f.summary
    w = s.wilcoxon
    welch = f.welch
    return {
        "n_schools": f.n_schools,
        "n_baseline": f.n_baseline,
        "n_post": f.n_post,
        "n_matched": f.n_matched,
        "match_rate": f.match_rate,
        "baseline_mean": s.baseline_mean,
        "baseline_sd": s.baseline_sd,
        "post_mean": s.post_mean,
        "post_sd": s.post_sd,
        "mean_change": s.mean_change,
        "ci_low": s.ci_low,
        "ci_high": s.ci_high,
        "t": s.t,
        "df": s.df,
        "p_value": s.p_value,
        "p_holm": row.p_holm,
        "wilcoxon_p": w.p if w else None,
        "wilcoxon_method": w.method if w else "",
        "d_z": s.d_z,
        "g_av": s.g_av,
        "r_pre_post": s.r_pre_post,
        "welch_p": welch.p_value if welch else None,
        "fragile": f.fragile,
        "small_sample": f.small_sample,
        "matched_vs_lost_g": f.matched_vs_lost_g,
        "icc": f.icc,
        "design_effect": f.design_effect,
        "n_effective": f.n_effective,
        "n_exact": f.n_exact,
        "n_fuzzy": f.n_fuzzy,
        "median_change": s.median_change,
        "wilcoxon_v": w.v if w else None,
        "d_av": s.d_av,
        "d_rm": s.d_rm,
        "welch_t": welch.t if welch else None,
        "welch_df": welch.df if welch else None,
        "p_bh": row.p_bh,
        "lost_differ": f.lost_differ,
        "icc_school": f.icc_school,
    }


def table_rows(table: PublishedTable) -> list[dict[str, str]]:
    """The table as CSV-ready dicts of strings, in ``COLUMNS`` order."""
    compare = table.filter.filter.compare
    year = table.filter.filter.academic_year
    out = []
    for row in table.rows:
        values = {
            "programme": row.programme,
            "scope": row.scope,
            "scope_name": row.scope_name,
            "scale": row.scale,
            "scale_name": row.scale_name,
            "higher_is_better": row.higher_is_better,
            "subgroup": row.subgroup,
            "suppressed": row.suppressed,
            "rules_version": table.rules_version,
            "compare": compare,
            "academic_year": year if year is not None else "",
            "scope_id": row.scope_id,
            "instrument": row.instrument,
            "subgroup_name": row.subgroup_name,
            "data_version": table.data_versions.get(row.programme, 0),
            "caveat": table.caveat,
            **_figures(row),
        }
        cells = {}
        for column in COLUMNS:
            value = values.get(column)
            if column in TEXT_COLUMNS:
                cells[column] = neutralise("" if value is None else str(value))
            else:
                cells[column] = _number(value)
        out.append(cells)
    return out


def write_csv(table: PublishedTable, stream: TextIO, *, on_row: Callable[[int], None] | None = None) -> int:
    """Write the header and every row; returns the number of rows written."""
    writer = csv.DictWriter(stream, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    rows = table_rows(table)
    for number, row in enumerate(rows, start=1):
        writer.writerow(row)
        if on_row:
            on_row(number)
    return len(rows)
