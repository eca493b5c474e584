"""The school year in England, the one place its arithmetic lives (every app imports it
from here; accounts is upstream of them all).

- An academic year is named by the calendar year it starts in: 2026 is 2026/27, from
  1 September 2026 to 31 August 2027.
- Pupils in Year Y are Y+4 on 1 September and turn Y+5 during the year (Year 7: 11,
  turning 12).
"""

from __future__ import annotations

import datetime as dt

START_MONTH = 9  # September


def academic_year_for(day: dt.date) -> int:
    """The academic year a day falls in: 1 September 2026 to 31 August 2027 is 2026."""
    return day.year if day.month >= START_MONTH else day.year - 1


def academic_year_label(year: int) -> str:
    """2026 -> '2026/27'."""
    return f"{year}/{(year + 1) % 100:02d}"


def academic_year_start(year: int) -> dt.date:
    """The first day of an academic year (2026: 1 September 2026)."""
    return dt.date(year, START_MONTH, 1)


def academic_year_end(year: int) -> dt.date:
    """The last day of an academic year (2026: 31 August 2027)."""
    return academic_year_start(year + 1) - dt.timedelta(days=1)


def year_group_ages(year_group: int) -> tuple[int, int]:
    """The youngest and oldest age in a year group over the school year (Year 7: 11, 12)."""
    return year_group + 4, year_group + 5


def year_group_age(year_group: int) -> int:
    """The age pupils in a year group reach during the school year (Year 7: 12)."""
    return year_group_ages(year_group)[1]
