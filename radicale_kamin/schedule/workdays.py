"""Working days: Monday to Friday without the Bundesland's public holidays.

A Feuerstättenschau (the inspection of every fireplace of a building) must
be announced at least five working days ahead. "Working day" here is the
office's: Monday–Friday, minus the public holidays of the configured
Bundesland and holiday categories (``kamin_bundesland``,
``kamin_holiday_categories``). The office's own closed days
(``kamin_closed_days``) are working days in this sense: they close the
office, not the customer's week.

Pure: dates in, dates out; the holidays come from the ``holidays`` package.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Protocol

import holidays

_MAX_SCAN_DAYS = 800


class HolidaySettings(Protocol):
    """What working days depend on (``calls.CallSettings`` has both)."""

    bundesland: str
    holiday_categories: tuple[str, ...]


@functools.lru_cache(maxsize=512)
def holiday_dates(bundesland: str, categories: tuple[str, ...], year: int) -> frozenset:
    """One year's public holidays, computed once: ``holidays`` objects fill
    themselves lazily and are not meant to be shared between threads."""
    table = holidays.country_holidays("DE", subdiv=bundesland, years=year,
                                      categories=categories)
    return frozenset(table.keys())


def is_public_holiday(day: dt.date, settings: HolidaySettings) -> bool:
    return day in holiday_dates(settings.bundesland, settings.holiday_categories, day.year)


def is_working_day(day: dt.date, settings: HolidaySettings) -> bool:
    return day.weekday() < 5 and not is_public_holiday(day, settings)


def _step(day: dt.date, direction: int, settings: HolidaySettings) -> dt.date:
    """The next working day after (``direction`` 1) or before (-1) ``day``."""
    for offset in range(1, _MAX_SCAN_DAYS):
        candidate = day + dt.timedelta(days=offset * direction)
        if is_working_day(candidate, settings):
            return candidate
    raise ValueError("no working day within %d days of %s" % (_MAX_SCAN_DAYS, day))


def working_days_before(day: dt.date, count: int, settings: HolidaySettings) -> dt.date:
    """The ``count``-th working day before ``day`` (``day`` itself not
    counted): the last day a notice of ``count`` working days can be given
    for something on ``day``. ``count`` 0 is ``day`` itself."""
    for _ in range(count):
        day = _step(day, -1, settings)
    return day


def first_day_after_notice(notice_day: dt.date, count: int,
                           settings: HolidaySettings) -> dt.date:
    """The first day something may take place when it is announced on
    ``notice_day`` with ``count`` working days' notice: the smallest day D
    with ``working_days_before(D, count) >= notice_day``. The notice day
    counts when it is a working day (announced on Monday, the notice's
    fifth working day is Friday, and Saturday is the first day after it)."""
    if count == 0:
        return notice_day
    day = notice_day if is_working_day(notice_day, settings) else _step(notice_day, 1, settings)
    for _ in range(count - 1):
        day = _step(day, 1, settings)
    return day + dt.timedelta(days=1)
