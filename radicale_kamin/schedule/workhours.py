"""Working hours per employee: when someone can be booked at all.

The admin edits one INI text (``config/working-hours.ini``): a weekly
pattern per employee whose gaps are the breaks, dated exceptions (vacation,
a half day) and — from the ``[storage]`` options shared with the calling
rules — the Bundesland's public holidays and the office's closed days, on
which nobody works. ``docs/availability.md`` describes the format for the
office.

The same hours are published as an RFC 7953 ``VAVAILABILITY``
(``to_vavailability``) so a standards-minded client can see them; Radicale
refuses VAVAILABILITY items, so the INI text is the source and the
VAVAILABILITY is derived from it.

Pure: no Radicale, no I/O. Times in the file are local wall-clock times of
the business's time zone; ``WorkingHours.intervals_on`` turns them into
aware datetimes, so 07:00 stays 07:00 across a DST switch.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Mapping, Optional
from zoneinfo import ZoneInfo

from radicale_kamin.entries import icaltime
from radicale_kamin.schedule.calls import is_holiday
from radicale_kamin.schedule.callsettings import WEEKDAYS, CallSettings, weekdays_of

UTC = dt.timezone.utc
Interval = tuple[dt.time, dt.time]              # local wall-clock start, end (end may be 24:00)
Span = tuple[dt.datetime, dt.datetime]          # aware start, end

DEFAULT_SECTION = "default"
# The documented default (docs/availability.md): working hours Mon–Fri 07:00–16:00.
BUILTIN_WEEK: tuple[tuple[Interval, ...], ...] = (
    ((dt.time(7), dt.time(16)),),) * 5 + ((), ())
# 24:00 as an end time: midnight at the end of the day.
END_OF_DAY = dt.time.max
OFF_WORDS = ("off", "frei", "-", "none")
# Options of [storage] that decide which days are working days at all
# (shared with the calling rules, see calls.CallSettings).
_ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")

DEFAULT_WORKING_HOURS = """\
# Working hours of the staff (docs/availability.md).
# Times are local (Europe/Berlin). Breaks are the gaps between the intervals.
# [default] applies to everyone; a section per employee (their user name)
# lists only what differs. Public holidays of the Bundesland and the closed
# days of [storage] kamin_closed_days are off for everyone.
#
#   weekdays:  mon-fri = 07:00-12:00, 12:30-16:00      (German mo-fr works too)
#   one day:   2026-12-24 = off
#   a range:   2026-12-28..2026-12-31 = off             ; Urlaub
#   half day:  2027-01-15 = 07:00-11:00
#
# Example for an employee "anna":
# [anna]
# fri = 07:00-12:00

[default]
mon-fri = 07:00-16:00
"""


Week = tuple[tuple[Interval, ...], ...]         # index 0 = Monday


@dataclass(frozen=True)
class WorkingHours:
    """One employee's hours: a weekly pattern (index 0 = Monday) and dated
    exceptions (an empty tuple = off that day).

    A **rotating** pattern (week A / week B, or more weeks) is ``weekly``
    for the first week and ``rotation`` for the weeks after it, counted in
    whole weeks from the Monday ``rotation_start``: with one week in
    ``rotation`` and ``rotation_start`` 2026-01-05, the weeks of 5 and 19
    January are week A and the week of 12 January is week B. Without
    ``rotation`` every week is ``weekly``."""

    weekly: Week = BUILTIN_WEEK
    exceptions: Mapping[dt.date, tuple[Interval, ...]] = field(default_factory=dict)
    settings: CallSettings = CallSettings()
    rotation: tuple[Week, ...] = ()
    rotation_start: dt.date = dt.date(2026, 1, 5)

    def week_of(self, day: dt.date) -> Week:
        """The pattern of the week ``day`` lies in."""
        if not self.rotation:
            return self.weekly
        number = ((day - self.rotation_start).days // 7) % (len(self.rotation) + 1)
        return self.weekly if number == 0 else self.rotation[number - 1]

    @property
    def timezone(self) -> ZoneInfo:
        return self.settings.timezone

    def local_intervals(self, day: dt.date) -> tuple[Interval, ...]:
        """The wall-clock intervals of ``day``. A dated exception wins over
        everything (the admin wrote that date on purpose, e.g. emergency
        service on a holiday); else holidays and closed days are off; else
        the weekly pattern."""
        if day in self.exceptions:
            return self.exceptions[day]
        if is_holiday(day, self.settings):
            return ()
        return self.week_of(day)[day.weekday()]

    def intervals_on(self, day: dt.date) -> tuple[Span, ...]:
        """The working intervals of ``day`` as aware datetimes in the
        business's time zone (local wall-clock, DST-correct)."""
        return tuple((_at(day, start, self.timezone), _at(day, end, self.timezone))
                     for start, end in self.local_intervals(day))


@dataclass(frozen=True)
class WorkingHoursBook:
    """Every employee's hours as read from the working-hours file."""

    default: WorkingHours = WorkingHours()
    staff: Mapping[str, WorkingHours] = field(default_factory=dict)

    def for_staff(self, staff_id: str) -> WorkingHours:
        """The employee's hours; ``[default]`` for one without a section."""
        return self.staff.get(staff_id.casefold(), self.default)


def _at(day: dt.date, time: dt.time, tz: ZoneInfo) -> dt.datetime:
    """Wall-clock ``time`` on ``day`` (24:00 = the next midnight); a time
    inside a spring-forward gap becomes the first real moment after it."""
    if time == END_OF_DAY:
        day, time = day + dt.timedelta(days=1), dt.time(0)
    moment = dt.datetime.combine(day, time, tzinfo=tz)
    return moment.astimezone(UTC).astimezone(tz)


# --- parsing -------------------------------------------------------------------

class _Problem(ValueError):
    """A message without the section and line; the parser adds them."""


def _clock(raw: str, is_end: bool) -> dt.time:
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?", raw.strip())
    if not match:
        raise _Problem("%r is not a time like 07:30" % raw.strip())
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if is_end and (hour, minute) == (24, 0):
        return END_OF_DAY
    if hour > 23 or minute > 59:
        raise _Problem("%r is not a time of day (00:00 to 23:59, 24:00 as an end)"
                       % raw.strip())
    return dt.time(hour, minute)


def parse_intervals(raw: str) -> tuple[Interval, ...]:
    """``07:00-12:00, 12:30-16:00`` or ``off`` (also ``frei``)."""
    if raw.strip().casefold() in OFF_WORDS:
        return ()
    if not raw.strip():
        raise _Problem("no interval given; write e.g. 07:00-16:00 or off")
    intervals: list[Interval] = []
    for part in raw.split(","):
        if not part.strip():
            raise _Problem("empty interval in %r (a comma too many?)" % raw.strip())
        start, sep, end = part.partition("-")
        if not sep:
            raise _Problem("write an interval as start-end, e.g. 07:00-12:00, not %r"
                           % part.strip())
        interval = (_clock(start, False), _clock(end, True))
        if not interval[0] < interval[1]:
            raise _Problem("%s must start before it ends" % part.strip())
        if intervals and interval[0] < intervals[-1][1]:
            raise _Problem("%s overlaps or precedes the interval before it; list "
                           "intervals in order, breaks are the gaps" % part.strip())
        intervals.append(interval)
    return tuple(intervals)


def _dates(key: str) -> list[dt.date]:
    """``2026-12-24`` or the inclusive range ``2026-12-28..2026-12-31``."""
    first, sep, last = key.partition("..")
    try:
        a = dt.date.fromisoformat(first.strip())
        b = dt.date.fromisoformat(last.strip()) if sep else a
    except ValueError:
        raise _Problem("%r is not a date YYYY-MM-DD or a range YYYY-MM-DD..YYYY-MM-DD"
                       % key) from None
    if b < a:
        raise _Problem("the range %s runs backwards" % key)
    if (b - a).days > 366:
        raise _Problem("the range %s is longer than a year" % key)
    return [a + dt.timedelta(days=n) for n in range((b - a).days + 1)]


def _weekdays(key: str) -> tuple[int, ...]:
    """``mon-fri``, ``sat``, ``mon,wed`` (German ``mo-fr`` too)."""
    problem = "%r is neither weekdays (mon-fri, mo-fr, sat) nor a date" % key
    if not re.fullmatch(r"[^\W\d_]+(\s*-\s*[^\W\d_]+)?(\s*,\s*[^\W\d_]+(\s*-\s*[^\W\d_]+)?)*",
                        key):
        raise _Problem(problem)
    try:
        return weekdays_of(key)
    except ValueError as e:
        raise _Problem("%s: %s" % (problem, e)) from None


def _strip_comment(line: str) -> str:
    """``#`` or ``;`` start a comment: at the line start, or after a blank."""
    if line.lstrip().startswith(("#", ";")):
        return ""
    return re.split(r"\s[#;]", line, maxsplit=1)[0]


@dataclass
class _Section:
    name: str
    line: int
    weekly: dict[int, tuple[tuple[Interval, ...], int]] = field(default_factory=dict)
    exceptions: dict[dt.date, tuple[tuple[Interval, ...], int]] = field(default_factory=dict)

    def add(self, key: str, value: str, line: int) -> None:
        intervals = parse_intervals(value)
        if re.match(r"\d{4}-", key):
            target, keys = self.exceptions, _dates(key)
        else:
            target, keys = self.weekly, _weekdays(key)
        for k in keys:
            if k in target:
                shown = WEEKDAYS[k] if isinstance(k, int) else k.isoformat()
                raise _Problem("%s is already set in line %d" % (shown, target[k][1]))
            target[k] = (intervals, line)


def _read_sections(text: str) -> dict[str, _Section]:
    sections: dict[str, _Section] = {}
    current: Optional[_Section] = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw).strip()
        if not line:
            continue
        where = "working hours, line %d" % number
        if line.startswith("["):
            if not line.endswith("]") or not line[1:-1].strip():
                raise ValueError("%s: %r is not a section header like [anna]" % (where, line))
            name = line[1:-1].strip().casefold()
            if name in sections:
                raise ValueError("%s: section [%s] appears twice (first in line %d)"
                                 % (where, name, sections[name].line))
            current = sections[name] = _Section(name, number)
            continue
        if current is None:
            raise ValueError("%s: %r comes before any section; start with [default] or "
                             "[name]" % (where, line))
        key, sep, value = line.partition("=")
        try:
            if not sep or not key.strip():
                raise _Problem("expected 'days = intervals', e.g. mon-fri = 07:00-16:00, "
                               "got %r" % line)
            current.add(key.strip().casefold(), value, number)
        except _Problem as e:
            raise ValueError("working hours, section [%s], line %d: %s"
                             % (current.name, number, e)) from None
    return sections


def _hours(section: Optional[_Section], base: WorkingHours,
           settings: CallSettings) -> WorkingHours:
    """A section's hours: what it names, the rest inherited from ``base``
    (weekday by weekday, date by date)."""
    weekly = list(base.weekly)
    exceptions = dict(base.exceptions)
    if section is not None:
        for day, (intervals, _) in section.weekly.items():
            weekly[day] = intervals
        exceptions.update({d: v for d, (v, _) in section.exceptions.items()})
    return WorkingHours(tuple(weekly), exceptions, settings)


def parse_working_hours(text: str, settings: CallSettings = CallSettings()) -> WorkingHoursBook:
    """Read the working-hours file.

    ``settings`` gives the time zone, Bundesland, holiday categories and
    closed days (the calling rules' ``CallSettings``). ``[default]`` inherits
    from the built-in Mon–Fri 07:00–16:00, each employee's section from
    ``[default]``. Raises ValueError naming the section, the line and what
    is wrong.
    """
    sections = _read_sections(text)
    default = _hours(sections.get(DEFAULT_SECTION), WorkingHours(settings=settings), settings)
    staff = {name: _hours(section, default, settings)
             for name, section in sections.items() if name != DEFAULT_SECTION}
    return WorkingHoursBook(default, staff)


# --- RFC 7953 VAVAILABILITY ------------------------------------------------------

def _ical_local(day: dt.date, time: dt.time) -> str:
    moment = dt.datetime.combine(day, dt.time(0)) + dt.timedelta(
        days=1 if time == END_OF_DAY else 0, hours=0 if time == END_OF_DAY else time.hour,
        minutes=0 if time == END_OF_DAY else time.minute)
    return moment.strftime("%Y%m%dT%H%M%S")


def _weekly_groups(hours: WorkingHours) -> list[tuple[tuple[int, ...], tuple[Interval, ...]]]:
    """Weekdays with identical intervals, grouped (Mon–Fri in one rule)."""
    groups: dict[tuple[Interval, ...], list[int]] = {}
    for day, intervals in enumerate(hours.weekly):
        if intervals:
            groups.setdefault(intervals, []).append(day)
    return [(tuple(days), intervals) for intervals, days in groups.items()]


def _off_dates(hours: WorkingHours, start: dt.date, days: int) -> list[dt.date]:
    """Days in [start, start+days) whose hours differ from the weekly
    pattern (exceptions, holidays, closed days), plus every exception."""
    dates = {d for d in hours.exceptions if d >= start}
    for n in range(days):
        day = start + dt.timedelta(days=n)
        if hours.local_intervals(day) != hours.weekly[day.weekday()]:
            dates.add(day)
    return sorted(dates)


def to_vavailability(hours: WorkingHours, staff_id: str, start: Optional[dt.date] = None,
                     days: int = 400, stamp: Optional[dt.datetime] = None) -> str:
    """The hours as an iCalendar text (``VCALENDAR`` with one
    ``VAVAILABILITY``), for the calendar's ``calendar-availability``
    property (RFC 7953).

    Each group of weekdays with the same intervals becomes ``AVAILABLE``
    components with a weekly RRULE from the Monday of ``start``'s week;
    every day in [start, start + days) that differs (holiday, closed day,
    vacation, half day) is an EXDATE there, and a day with other hours gets
    its own ``AVAILABLE``. ``start`` defaults to 2026-01-01: pass today to
    publish the coming year's holidays. DTSTAMP is ``stamp`` (default:
    start's midnight UTC), so the text only changes when the hours do.
    """
    start = start or dt.date(2026, 1, 1)
    monday = start - dt.timedelta(days=start.weekday())
    tz = hours.timezone
    tzid = tz.key
    stamp_text = (stamp or dt.datetime.combine(start, dt.time(0), tzinfo=UTC)
                  ).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    off = _off_dates(hours, start, days)
    uid_base = "kamin-hours-%s" % staff_id
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//radicale_kamin//working hours//DE"]
    lines += icaltime.vtimezone_lines(tz, monday)
    lines += ["BEGIN:VAVAILABILITY", "UID:%s" % uid_base, "DTSTAMP:%s" % stamp_text,
              "DTSTART;TZID=%s:%s" % (tzid, _ical_local(monday, dt.time(0))),
              "SUMMARY:Arbeitszeiten %s" % staff_id]
    counter = 0
    for weekdays, intervals in _weekly_groups(hours):
        first = monday + dt.timedelta(days=weekdays[0])
        excluded = [d for d in off if d.weekday() in weekdays and d >= first]
        for begin, end in intervals:
            counter += 1
            lines += ["BEGIN:AVAILABLE", "UID:%s-%d" % (uid_base, counter),
                      "DTSTAMP:%s" % stamp_text,
                      "DTSTART;TZID=%s:%s" % (tzid, _ical_local(first, begin)),
                      "DTEND;TZID=%s:%s" % (tzid, _ical_local(first, end)),
                      "RRULE:FREQ=WEEKLY;BYDAY=%s" % ",".join(_ICAL_DAYS[d] for d in weekdays)]
            lines += ["EXDATE;TZID=%s:%s" % (tzid, _ical_local(d, begin)) for d in excluded]
            lines.append("END:AVAILABLE")
    for day in off:
        for begin, end in hours.local_intervals(day):
            counter += 1
            lines += ["BEGIN:AVAILABLE", "UID:%s-%d" % (uid_base, counter),
                      "DTSTAMP:%s" % stamp_text,
                      "DTSTART;TZID=%s:%s" % (tzid, _ical_local(day, begin)),
                      "DTEND;TZID=%s:%s" % (tzid, _ical_local(day, end)),
                      "SUMMARY:%s" % day.isoformat(), "END:AVAILABLE"]
    lines += ["END:VAVAILABILITY", "END:VCALENDAR"]
    return "\r\n".join(lines) + "\r\n"
