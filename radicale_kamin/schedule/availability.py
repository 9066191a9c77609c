"""Free slots: when can we come? Working hours minus everything busy.

The assistant asks "Tuesday morning next week, for building X". This module
answers with ``free_slots``: whole appointments of the wanted length that fit
into an employee's working hours (``workhours``), keep a buffer (travel time)
to every busy time, start no earlier than the minimum notice, on a day that
has not reached the daily maximum, inside the building's open
Feuerstättenbescheid window (the official notice that fixes, per building,
the window in which the chimney work is due) — and, for a building, with a
score that prefers days when the same employee is already in that street or
PLZ.

Busy time comes from calendar entries (``busy_from_event``): opaque events,
recurring ones expanded with ``recurring-ical-events`` under a bounded work
budget; transparent, cancelled and deadline entries do not block.

Pure: no Radicale, no SQLite, no I/O; "now" is always a parameter; every
datetime in and out is aware. ``docs/availability.md`` explains the rules.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional, Sequence, Union
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from radicale_kamin.entries import timefacts
from radicale_kamin.schedule.recurrence import dense
from radicale_kamin.schedule.workhours import WorkingHours

UTC = dt.timezone.utc
APPOINTMENT_KINDS = ("internal", "external", "imported")   # count towards max_per_day
MAX_OCCURRENCES = 1000       # occurrences per entry and query, at most
MAX_RANGE_DAYS = 400         # no slot query looks further than this
SCORE_SAME_STREET = 2
SCORE_SAME_POSTCODE = 1

PARTS_OF_DAY: Mapping[str, tuple[dt.time, dt.time]] = {
    "morning": (dt.time(7), dt.time(12)),
    "afternoon": (dt.time(12), dt.time(18)),
    "allday": (dt.time(0), dt.time.max),
}
_PART_NAMES: Mapping[str, str] = {
    "morning": "morning", "vormittag": "morning", "vormittags": "morning",
    "afternoon": "afternoon", "nachmittag": "afternoon", "nachmittags": "afternoon",
    "allday": "allday", "all-day": "allday", "all_day": "allday", "ganztags": "allday",
    "ganztägig": "allday", "any": "allday",
}


# --- settings -------------------------------------------------------------------

@dataclass(frozen=True)
class SlotSettings:
    """What the office can set about slots; each field is a ``[storage]``
    option (``OPTIONS``)."""

    duration_minutes: int = 60          # default appointment length
    buffer_minutes: int = 15            # kept free before and after every busy time
    min_notice_hours: int = 24          # no slot starts earlier than now + this
    max_per_day: int = 6                # appointments per employee and day; 0 = no limit
    step_minutes: int = 15              # slot starts on this grid (local time)

    def __post_init__(self) -> None:
        problems = []
        for name, least in (("duration_minutes", 1), ("buffer_minutes", 0),
                            ("min_notice_hours", 0), ("max_per_day", 0),
                            ("step_minutes", 1)):
            if getattr(self, name) < least:
                problems.append("%s must be %d or more" % (name, least))
        if self.step_minutes > 0 and 1440 % self.step_minutes:
            problems.append("step_minutes must divide a day (5, 10, 15, 20, 30, 60, ...)")
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> "SlotSettings":
        """Settings from ``[storage]`` options (strings); absent or empty
        options keep their defaults. Raises ValueError naming the option."""
        values = {}
        for option, name in OPTIONS.items():
            raw = options.get(option)
            if raw is None or not str(raw).strip():
                continue
            text = str(raw).strip()
            if not re.fullmatch(r"\d+", text):
                raise ValueError("%s = %s: must be a whole number 0 or more" % (option, raw))
            values[name] = int(text)
        try:
            return cls(**values)
        except ValueError as e:
            raise ValueError("kamin slot options: %s (%s)" % (
                e, ", ".join("%s = %s" % (o, options[o]) for o in OPTIONS if o in options))
            ) from None


OPTIONS: Mapping[str, str] = {
    "kamin_slot_duration": "duration_minutes",
    "kamin_slot_buffer": "buffer_minutes",
    "kamin_min_notice_hours": "min_notice_hours",
    "kamin_max_appointments_per_day": "max_per_day",
    "kamin_slot_step": "step_minutes",
}


# --- plain data -------------------------------------------------------------------

@dataclass(frozen=True)
class Busy:
    """Something that blocks time in one employee's calendar."""

    start: dt.datetime                  # aware
    end: dt.datetime                    # aware
    counts: bool = True                 # an appointment (counts towards max_per_day)
    street: Optional[str] = None        # where, for the same street/PLZ preference
    postcode: Optional[str] = None


@dataclass(frozen=True)
class Slot:
    start: dt.datetime
    end: dt.datetime
    staff: str
    score: int = 0                      # 2 same street, 1 same PLZ, 0 other


def part_of_day(name: str) -> tuple[dt.time, dt.time]:
    """(from, until) local time of "morning"/"vormittags" (07:00–12:00),
    "afternoon"/"nachmittags" (12:00–18:00) or "allday"/"ganztags". A slot
    belongs to the part its start lies in."""
    key = _PART_NAMES.get(name.strip().casefold())
    if key is None:
        raise ValueError("unknown part of the day %r; use morning, afternoon or allday "
                         "(vormittags, nachmittags, ganztags)" % name)
    return PARTS_OF_DAY[key]


# --- location ------------------------------------------------------------------

_POSTCODE = re.compile(r"\b(\d{5})\b")
_HOUSE_NUMBER = re.compile(r"\s+\d+\s*[a-zA-Z]?(?:\s*[-/]\s*\d*\s*[a-zA-Z]?)?$")


def street_and_postcode(location: Optional[str]) -> tuple[Optional[str], Optional[str]]:
    """(street without number, PLZ) of a LOCATION in the server's normal form
    ``Straße Nr, PLZ Ort``; None for what is not there."""
    if not location or not location.strip():
        return None, None
    head, sep, tail = location.rpartition(",")
    if not sep:
        head, tail = location, ""
    postcode = _POSTCODE.search(tail) or _POSTCODE.search(location)
    street = _HOUSE_NUMBER.sub("", head.strip()).strip() if sep else None
    if street and _POSTCODE.fullmatch(street):
        street = None
    return street or None, postcode.group(1) if postcode else None


def _same_street(a: Optional[str], b: Optional[str]) -> bool:
    if not a or not b:
        return False
    return _fold_street(a) == _fold_street(b)


def _fold_street(street: str) -> str:
    """Case, spaces, ß/ss and a trailing "Str." do not make another street."""
    return re.sub(r"str\.?$", "strasse", " ".join(street.casefold().split()))


def proximity_score(busy: Iterable[Busy], near: tuple[Optional[str], Optional[str]]) -> int:
    """2 when one of the appointments is in the same street (and PLZ, when
    both are known), 1 when one is in the same PLZ, else 0."""
    street, postcode = near
    score = 0
    for b in busy:
        if not b.counts:
            continue
        same_postcode = bool(postcode and b.postcode == postcode)
        postcode_ok = same_postcode or not (postcode and b.postcode)
        if _same_street(street, b.street) and postcode_ok:
            return SCORE_SAME_STREET
        if same_postcode:
            score = SCORE_SAME_POSTCODE
    return score


# --- free slots ----------------------------------------------------------------------

def _require_aware(moment: dt.datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("%s must be a timezone-aware datetime" % name)


def _subtract(spans: list[tuple[dt.datetime, dt.datetime]],
              blocked: Sequence[tuple[dt.datetime, dt.datetime]]
              ) -> list[tuple[dt.datetime, dt.datetime]]:
    """``spans`` minus ``blocked`` (both in UTC, blocked sorted by start)."""
    free = []
    for start, end in spans:
        cursor = start
        for b_start, b_end in blocked:
            if b_end <= cursor:
                continue
            if b_start >= end:
                break
            if b_start > cursor:
                free.append((cursor, b_start))
            cursor = max(cursor, b_end)
            if cursor >= end:
                break
        if cursor < end:
            free.append((cursor, end))
    return free


def _grid_starts(start: dt.datetime, end: dt.datetime, length: dt.timedelta,
                 step: int, tz: ZoneInfo) -> Iterable[dt.datetime]:
    """Starts s with start <= s and s + length <= end, on the local grid of
    ``step`` minutes from midnight (UTC in, UTC out)."""
    local = start.astimezone(tz)
    minutes = local.hour * 60 + local.minute + (1 if (local.second or local.microsecond) else 0)
    minutes = -(-minutes // step) * step
    first = dt.datetime.combine(local.date(), dt.time(0), tzinfo=tz) + dt.timedelta(minutes=minutes)
    current = first.astimezone(UTC)
    delta = dt.timedelta(minutes=step)
    while current + length <= end:
        yield current
        current += delta


def _day_bounds(day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def _in_part(start: dt.datetime, part: Optional[tuple[dt.time, dt.time]], tz: ZoneInfo) -> bool:
    if part is None:
        return True
    clock = start.astimezone(tz).time()
    return part[0] <= clock < part[1]


def taken_by(busy: Iterable[Busy], start: dt.datetime, end: dt.datetime,
             settings: SlotSettings = SlotSettings()) -> Optional[Busy]:
    """The earliest busy time that keeps [start, end) from being booked
    (it overlaps, or lies closer than the buffer), or None."""
    pad = dt.timedelta(minutes=settings.buffer_minutes)
    clashing = [b for b in busy if b.start - pad < end and b.end + pad > start
                and b.end > b.start]
    return min(clashing, key=lambda b: b.start.astimezone(UTC), default=None)


def free_slots(staff: str, hours: WorkingHours, busy: Iterable[Busy], frm: dt.datetime,
               to: dt.datetime, now: dt.datetime, settings: SlotSettings = SlotSettings(),
               duration: Optional[int] = None,
               near: Optional[tuple[Optional[str], Optional[str]]] = None,
               window: Optional[tuple[dt.date, dt.date]] = None,
               part: Optional[tuple[dt.time, dt.time]] = None) -> list[Slot]:
    """The free slots of one employee in [frm, to), sorted by time.

    A slot is ``duration`` minutes (default ``settings.duration_minutes``)
    inside one working interval, starting on the local step grid, at least
    ``buffer_minutes`` away from every busy time, starting no earlier than
    ``now + min_notice_hours``, on a day with fewer than ``max_per_day``
    counting busy entries. ``window`` (first, last day, inclusive; local
    dates) keeps only slots starting inside a Feuerstättenbescheid window;
    ``part`` (``part_of_day``) only slots starting in that part of the day.
    With ``near`` = (street, PLZ) each slot is scored by ``proximity_score``
    of the employee's appointments that day.
    """
    for moment, name in ((frm, "frm"), (to, "to"), (now, "now")):
        _require_aware(moment, name)
    length = dt.timedelta(minutes=settings.duration_minutes if duration is None else duration)
    if length <= dt.timedelta(0):
        raise ValueError("duration must be 1 minute or more")
    tz = hours.timezone
    frm, to = frm.astimezone(UTC), to.astimezone(UTC)
    if to - frm > dt.timedelta(days=MAX_RANGE_DAYS):
        raise ValueError("the range may span at most %d days" % MAX_RANGE_DAYS)
    earliest = max(frm, now.astimezone(UTC) + dt.timedelta(hours=settings.min_notice_hours))
    pad = dt.timedelta(minutes=settings.buffer_minutes)
    entries = list(busy)
    for b in entries:
        _require_aware(b.start, "busy start")
        _require_aware(b.end, "busy end")
    blocked = sorted((b.start.astimezone(UTC) - pad, b.end.astimezone(UTC) + pad)
                     for b in entries)
    slots: list[Slot] = []
    day = frm.astimezone(tz).date()
    last_day = (to - dt.timedelta(microseconds=1)).astimezone(tz).date()
    while day <= last_day and earliest < to:
        if window is None or window[0] <= day <= window[1]:
            slots.extend(_slots_of_day(staff, hours, entries, blocked, day, earliest, to,
                                       length, settings, near, part, tz))
        day += dt.timedelta(days=1)
    return slots


def _slots_of_day(staff, hours, entries, blocked, day, earliest, to, length, settings,
                  near, part, tz) -> list[Slot]:
    working = [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in hours.intervals_on(day)]
    working = [(max(s, earliest), min(e, to)) for s, e in working]
    working = [(s, e) for s, e in working if e - s >= length]
    if not working:
        return []
    day_start, day_end = _day_bounds(day, tz)
    todays = [b for b in entries
              if b.start.astimezone(UTC) < day_end and b.end.astimezone(UTC) > day_start]
    if settings.max_per_day and sum(1 for b in todays if b.counts) >= settings.max_per_day:
        return []
    score = proximity_score(todays, near) if near is not None else 0
    slots = []
    for start, end in _subtract(working, [b for b in blocked if b[1] > day_start
                                          and b[0] < day_end]):
        for s in _grid_starts(start, end, length, settings.step_minutes, tz):
            if _in_part(s, part, tz):
                slots.append(Slot(s.astimezone(tz), (s + length).astimezone(tz), staff, score))
    return slots


# --- busy time from calendar entries ------------------------------------------------

ItemLike = Union[icalendar.cal.Component, str, bytes]


def _text(component: icalendar.cal.Component, name: str) -> str:
    value = component.get(name)
    return str(value).strip() if value is not None else ""


def _to_busy(event: icalendar.cal.Component, tz: ZoneInfo) -> Optional[Busy]:
    """An occurrence as busy time (``timefacts``: floating and all-day times
    are local), or None when it takes no time."""
    if event.get("DTSTART") is None or not timefacts.takes_time(
            _text(event, "TRANSP"), _text(event, "STATUS"), _text(event, "X-KAMIN-KIND")):
        return None
    end, duration = event.get("DTEND"), event.get("DURATION")
    span = timefacts.span(event["DTSTART"].dt, end.dt if end is not None else None,
                          duration.dt if duration is not None else None, tz)
    if span.end <= span.start:
        return None
    street, postcode = street_and_postcode(_text(event, "LOCATION"))
    counts = _text(event, "X-KAMIN-KIND").casefold() in APPOINTMENT_KINDS
    return Busy(span.start, span.end, counts, street, postcode)


def _calendar(item: ItemLike) -> icalendar.Calendar:
    if isinstance(item, (str, bytes)):
        return icalendar.Calendar.from_ical(item)
    if item.name == "VCALENDAR":
        return item
    calendar = icalendar.Calendar()
    calendar.add_component(item)
    return calendar


def _is_recurring(events: Sequence[icalendar.cal.Component]) -> bool:
    return len(events) != 1 or any(events[0].get(p) is not None
                                   for p in ("RRULE", "RDATE", "RECURRENCE-ID"))


def busy_from_event(item: ItemLike, frm: dt.datetime, to: dt.datetime, tz: ZoneInfo = timefacts.DEFAULT_TIMEZONE,
                    max_occurrences: int = MAX_OCCURRENCES) -> list[Busy]:
    """The busy times an entry (a VEVENT, a VCALENDAR or an item's text)
    puts into [frm, to), sorted by start.

    Recurring entries are expanded with ``recurring-ical-events`` (moved
    and cancelled occurrences included) and cut after ``max_occurrences``.
    Rules denser than ``recurrence.MAX_PER_DAY`` occurrences a day (sub-daily
    FREQ, or BYHOUR×BYMINUTE×BYSECOND above it) are not expanded — the
    storage refuses sub-daily rules, and expanding one would cost work
    proportional to its age in minutes — so such an entry blocks only its
    first occurrence, its RDATEs and its moved occurrences. All-day entries
    block their whole local days; floating times are local. Raises
    ValueError for text that is no iCalendar.
    """
    _require_aware(frm, "frm")
    _require_aware(to, "to")
    calendar = _calendar(item)
    events = list(calendar.walk("VEVENT"))
    if not events:
        return []
    if not _is_recurring(events):
        busy = _to_busy(events[0], tz)
        return [busy] if busy and busy.start < to and busy.end > frm else []
    if any(not _expandable(e) for e in events):
        calendar = _without_dense_rules(calendar)
    occurrences = recurring_ical_events.of(calendar, skip_bad_series=True).between(frm, to)
    busy = [b for b in (_to_busy(o, tz) for o in occurrences)
            if b is not None and b.start < to and b.end > frm]
    busy.sort(key=lambda b: b.start.astimezone(UTC))
    return busy[:max_occurrences]


def _expandable(event: icalendar.cal.Component) -> bool:
    """A rule of at most ``recurrence.MAX_PER_DAY`` occurrences a day (or no
    rule): what the storage accepts; denser ones come only from files
    written outside Radicale."""
    rule = event.get("RRULE")
    if rule is None:
        return True
    rule = rule[0] if isinstance(rule, list) else rule
    return not dense(rule.to_ical().decode())


def _without_dense_rules(calendar: icalendar.Calendar) -> icalendar.Calendar:
    copy = icalendar.Calendar.from_ical(calendar.to_ical())
    for event in copy.walk("VEVENT"):
        if not _expandable(event):
            del event["RRULE"]
    return copy


