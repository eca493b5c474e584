"""The school-year arithmetic every app uses (accounts/school_year.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts import school_year


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (dt.date(2026, 8, 31), 2025),
        (dt.date(2026, 9, 1), 2026),
        (dt.date(2026, 12, 31), 2026),
        (dt.date(2027, 1, 1), 2026),
        (dt.date(2027, 8, 31), 2026),
    ],
)
def test_a_day_belongs_to_the_academic_year_that_started_the_september_before(day, year):
    assert school_year.academic_year_for(day) == year


def test_an_academic_year_runs_from_1_september_to_31_august():
    assert school_year.academic_year_start(2026) == dt.date(2026, 9, 1)
    assert school_year.academic_year_end(2026) == dt.date(2027, 8, 31)
    assert school_year.academic_year_end(2027) == dt.date(2028, 8, 31)  # 2028 is a leap year; August is not
    for year in (2025, 2026, 2099):
        start, end = school_year.academic_year_start(year), school_year.academic_year_end(year)
        assert school_year.academic_year_for(start) == school_year.academic_year_for(end) == year
        assert school_year.academic_year_for(end + dt.timedelta(days=1)) == year + 1


@pytest.mark.parametrize(("year", "label"), [(2026, "2026/27"), (2099, "2099/00"), (2009, "2009/10")])
def test_the_label_names_both_calendar_years(year, label):
    assert school_year.academic_year_label(year) == label


def test_year_group_ages_follow_the_english_school_year():
    assert school_year.year_group_ages(7) == (11, 12)
    assert school_year.year_group_age(7) == 12
    assert school_year.year_group_ages(4) == (8, 9)
