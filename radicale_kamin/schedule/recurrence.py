"""Refuse recurrence rules that never occur or would cost unbounded work.

Radicale expands recurrences with dateutil, which walks a rule period by
period from DTSTART and stops only at an occurrence past UNTIL/COUNT — or at
the year 9999. A rule whose filters never match therefore walks ~8,000
years: measured on stock Radicale 3.9, ``FREQ=SECONDLY;BYMONTH=2;
BYMONTHDAY=30`` makes one PUT take 19 s and every later time-range REPORT
12.7 s. So:

* rules more frequent than daily are refused — no client of a chimney-sweep
  office writes them, and dateutil needs 24 ms (HOURLY) to 0.3 s (SECONDLY)
  per calendar day such a rule spans;
* so are daily (or coarser) rules that BYHOUR × BYMINUTE × BYSECOND lists
  make denser than ``MAX_PER_DAY`` occurrences a day: ``FREQ=DAILY`` with
  every hour, minute and second is 86,400 a day, and every later time-range
  REPORT cost ~6 s of CPU per month of the event's age;
* every rule must produce its first occurrence within ``HORIZON`` (eight
  years: room for leap-day and Friday-the-13th rules) — and before its UNTIL;
* a bounded rule whose every occurrence is excluded (EXDATE) is refused.

The check itself must not walk to the year 9999 either. The Gregorian
calendar repeats exactly every 400 years (146,097 days, a whole number of
weeks), so the rule is probed with its DTSTART moved by a multiple of
400 × INTERVAL years to just before 9999: the same pattern of days, but
dateutil gives up after at most ~400 years instead of ~8,000.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import Any, Optional

from dateutil import rrule as dateutil_rrule

HORIZON = dt.timedelta(days=8 * 366)
DAILY_OR_COARSER = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")
_CYCLE_YEARS = 400
MAX_PER_DAY = 24            # occurrences a day a rule may produce (hourly at most)
_LAST_YEAR = dt.MAXYEAR - 9


class RecurrenceRejected(ValueError):
    """A recurrence rule the server will not store; the text says why."""


def _rule_parts(value: str) -> dict[str, str]:
    parts = {}
    for part in value.split(";"):
        key, _, part_value = part.partition("=")
        if key.strip():
            parts[key.strip().upper()] = part_value.strip()
    return parts


def occurrences_per_day(parts: dict[str, str]) -> int:
    """How many occurrences a day a daily (or coarser) rule's BYHOUR,
    BYMINUTE and BYSECOND lists produce at most (``_rule_parts`` form)."""
    per_day = 1
    for name in ("BYHOUR", "BYMINUTE", "BYSECOND"):
        values = [v for v in parts.get(name, "").split(",") if v.strip()]
        per_day *= max(1, len(values))
    return per_day


def _wall_clock(value: Any) -> dt.datetime:
    if not isinstance(value, dt.datetime):
        return dt.datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=None)


def _until(value: str) -> dt.datetime:
    """UNTIL as naive wall-clock time (a few hours of zone don't matter
    for "is there any occurrence before it")."""
    digits = value.strip().rstrip("Zz").replace("T", "")
    if not digits.isdigit() or len(digits) not in (8, 14):
        raise ValueError("UNTIL is not a date or date-time")
    return dt.datetime.strptime(digits.ljust(14, "0"), "%Y%m%d%H%M%S")


def first_occurrence_offset(rule: str, dtstart: dt.datetime) -> Optional[dt.timedelta]:
    """How long after ``dtstart`` (naive wall-clock) the rule's first
    occurrence falls, ignoring COUNT and UNTIL; None if it has none.

    Raises ValueError for a rule dateutil cannot read.
    """
    parts = _rule_parts(rule)
    parts.pop("COUNT", None)
    parts.pop("UNTIL", None)
    interval = int(parts.get("INTERVAL", "1") or "1")
    if interval < 1:
        raise ValueError("INTERVAL must be positive")
    shift = _CYCLE_YEARS * interval
    cycles = max(0, (_LAST_YEAR - dtstart.year) // shift)
    probe_start = dtstart.replace(year=dtstart.year + cycles * shift)
    probe = dateutil_rrule.rrulestr(
        ";".join("%s=%s" % item for item in parts.items()), dtstart=probe_start)
    first = next(iter(probe), None)
    return None if first is None else first - probe_start


@dataclass(frozen=True)
class RuleProblem:
    """Why a rule is refused: ``code`` for callers that word it themselves
    (the importer's German report), ``message`` in English for the rest."""

    code: str       # sub-daily | too-dense | invalid | no-occurrence | ends-before-start
    message: str


def dense(rule: str) -> bool:
    """Whether the rule repeats more often than ``MAX_PER_DAY`` times a day
    (sub-daily FREQ, or BYHOUR×BYMINUTE×BYSECOND above it)."""
    parts = _rule_parts(rule)
    return (parts.get("FREQ", "").upper() not in DAILY_OR_COARSER
            or occurrences_per_day(parts) > MAX_PER_DAY)


def rule_problem(rule: str, dtstart: Any) -> Optional[RuleProblem]:
    """Why the calendar refuses ``rule`` (RRULE text) starting at ``dtstart``
    (a date or date-time; its zone does not matter here), or None."""
    parts = _rule_parts(rule)
    freq = parts.get("FREQ", "").upper()
    if freq not in DAILY_OR_COARSER:
        return RuleProblem("sub-daily", "RRULE: FREQ=%s is not accepted; recurrences may repeat at "
                           "most daily (DAILY, WEEKLY, MONTHLY, YEARLY)" % (freq or "(missing)"))
    if occurrences_per_day(parts) > MAX_PER_DAY:
        return RuleProblem("too-dense", "RRULE: BYHOUR, BYMINUTE and BYSECOND make %d occurrences "
                           "a day; at most %d are accepted" % (occurrences_per_day(parts), MAX_PER_DAY))
    start = _wall_clock(dtstart)
    try:
        offset = first_occurrence_offset(rule, start)
        until = _until(parts["UNTIL"]) if "UNTIL" in parts else None
    except (ValueError, TypeError, OverflowError) as e:
        return RuleProblem("invalid", "RRULE: not a valid recurrence rule (%s)" % type(e).__name__)
    if offset is None or offset > HORIZON:
        return RuleProblem("no-occurrence", "RRULE: the rule produces no occurrence within 8 years "
                           "of DTSTART (it may never produce one)")
    if until is not None and start + offset > until:
        return RuleProblem("ends-before-start", "RRULE: the rule never produces an occurrence "
                           "before its UNTIL")
    return None


def check_recurrence(component: Any) -> None:
    """Raise ``RecurrenceRejected`` for a VEVENT whose RRULE we refuse."""
    rrules = component.contents.get("rrule", [])
    if not rrules or not hasattr(component, "dtstart"):
        return
    for line in rrules:
        problem = rule_problem(line.value, component.dtstart.value)
        if problem is not None:
            raise RecurrenceRejected(problem.message)
    _check_not_all_excluded(component, rrules)


def _check_not_all_excluded(component: Any, rrules: list) -> None:
    bounded = all("COUNT" in _rule_parts(line.value) or "UNTIL" in _rule_parts(line.value)
                  for line in rrules)
    if not bounded or not component.contents.get("exdate"):
        return
    try:
        ruleset = component.getrruleset(addRDate=True)
    except Exception as e:
        raise RecurrenceRejected("RRULE: not a valid recurrence rule (%s)"
                                 % type(e).__name__) from e
    if ruleset is not None and next(itertools.islice(iter(ruleset), 1), None) is None:
        raise RecurrenceRejected(
            "RRULE/EXDATE: every occurrence is excluded; the entry would "
            "never appear")
