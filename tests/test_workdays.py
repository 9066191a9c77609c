"""Working days and the Feuerstättenschau notice (``radicale_kamin.schedule.workdays``).

Calendar facts: 2026-12-07 is a Monday; Good Friday 2026 is 3 April and
Easter Monday 6 April; 2026-01-06 (Heilige Drei Könige) is a Tuesday, a
holiday in Bayern but not in Berlin; 2026-12-25/26 are Friday/Saturday.
"""

import datetime as dt

import pytest

from radicale_kamin.schedule.calls import CallSettings
from radicale_kamin.schedule.workdays import (first_day_after_notice, is_working_day,
                                              working_days_before)

BY = CallSettings()
BE = CallSettings(bundesland="BE")
D = dt.date


@pytest.mark.parametrize("day,working", [
    (D(2026, 12, 7), True), (D(2026, 12, 11), True), (D(2026, 12, 12), False),
    (D(2026, 12, 13), False), (D(2026, 4, 3), False), (D(2026, 4, 6), False),
    (D(2026, 1, 6), False), (D(2026, 12, 25), False), (D(2026, 12, 24), True)])
def test_working_days_are_weekdays_without_public_holidays(day, working):
    assert is_working_day(day, BY) is working


def test_holidays_are_the_bundeslands():
    assert not is_working_day(D(2026, 1, 6), BY)
    assert is_working_day(D(2026, 1, 6), BE)


def test_closed_days_of_the_office_are_still_working_days():
    closed = CallSettings(closed_dates=(D(2026, 12, 8),))
    assert is_working_day(D(2026, 12, 8), closed)


@pytest.mark.parametrize("day,count,expected", [
    (D(2026, 12, 14), 5, D(2026, 12, 7)),     # Monday → the Monday before
    (D(2026, 12, 18), 5, D(2026, 12, 11)),    # Friday → the Friday before
    (D(2026, 12, 13), 5, D(2026, 12, 7)),     # Sunday: Fri, Thu, Wed, Tue, Mon
    (D(2026, 4, 10), 5, D(2026, 4, 1)),       # across Good Friday and Easter Monday
    (D(2026, 1, 12), 5, D(2026, 1, 2)),       # across Heilige Drei Könige
    (D(2026, 12, 14), 0, D(2026, 12, 14)),
])
def test_last_day_of_notice(day, count, expected):
    assert working_days_before(day, count, BY) == expected


def test_last_day_of_notice_in_berlin_counts_the_sixth_of_january():
    assert working_days_before(D(2026, 1, 12), 5, BE) == D(2026, 1, 5)


@pytest.mark.parametrize("notice_day,expected", [
    (D(2026, 12, 7), D(2026, 12, 12)),        # Monday: Mon..Fri count, Saturday is free
    (D(2026, 12, 11), D(2026, 12, 18)),       # Friday: Fri, Mon, Tue, Wed, Thu
    (D(2026, 12, 12), D(2026, 12, 19)),       # Saturday does not count
    (D(2026, 4, 1), D(2026, 4, 10)),          # Easter in between
])
def test_first_day_after_notice(notice_day, expected):
    assert first_day_after_notice(notice_day, 5, BY) == expected


def test_first_day_after_notice_is_the_inverse_of_the_last_day_of_notice():
    """The first day D with working_days_before(D, n) >= notice_day, checked
    day by day over a year with Easter, Christmas and Bavarian holidays."""
    for offset in range(400):
        notice_day = D(2026, 1, 1) + dt.timedelta(days=offset)
        for count in (1, 3, 5):
            first = first_day_after_notice(notice_day, count, BY)
            assert working_days_before(first, count, BY) >= notice_day
            assert working_days_before(first - dt.timedelta(days=1), count, BY) < notice_day
