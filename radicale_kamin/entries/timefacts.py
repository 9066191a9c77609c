"""An entry's times with one business meaning, for every reader.

Clients write times in many shapes: UTC (Google), IANA zones (Thunderbird,
iOS, DAVx5), Windows zone names (Outlook: ``W. Europe Standard Time``),
zones defined only by the item's own VTIMEZONE (``Mitteleuropäische Zeit``,
``/freeassociation.sourceforge.net/Tzfile/Europe/Berlin``, ``(UTC+01:00)
Amsterdam, Berlin, …``), floating local times, all-day dates, DURATION
instead of DTEND. Slots, due-calls, the office's lists, buildings,
settlement, feeds and imports must all read them alike, so this module is
the one place that says what an entry's time *means* for the business:

* a time with a zone is that moment, whatever the zone's name;
* a floating time is wall-clock time of the business (``kamin_timezone``);
* an all-day date is the business's local day, midnight to midnight;
* an end is DTEND, else DTSTART + DURATION (days nominal, the rest exact),
  else the start itself (a timed entry) or the next day (an all-day one).

Radicale's own time-range semantics for REPORT filters (floating = UTC) are
a different, exact fact, kept apart by ``facts``. Reading is fast (content
lines and ``zoneinfo``); only a zone known by its VTIMEZONE alone is built
by ``icalendar``, once per distinct VTIMEZONE text.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from radicale_kamin.entries import icslines
from radicale_kamin.entries.icaltime import duration_parts

DEFAULT_TIMEZONE = ZoneInfo("Europe/Berlin")       # the contract's default kamin_timezone
UTC = dt.timezone.utc

When = Union[dt.date, dt.datetime]
# Prefixes clients put before an IANA name (Evolution, old Thunderbird/Lightning).
_TZID_PREFIXES = re.compile(
    r"^/(?:freeassociation\.sourceforge\.net/(?:Tzfile/)?|mozilla\.org/[^/]+/"
    r"|softwarestudio\.org/[^/]+/|citadel\.org/[^/]+/)")
_DATE = re.compile(r"\d{8}")
_DATE_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})([Zz]?)")


@dataclass(frozen=True)
class Span:
    """When an entry takes place, as aware moments; ``all_day``: whole
    local days (``start`` and ``end`` are local midnights)."""

    start: dt.datetime
    end: dt.datetime
    all_day: bool


def moment(value: When, tz: dt.tzinfo) -> dt.datetime:
    """A DTSTART/DTEND value as an aware moment: a date is its local
    midnight, a floating time is local wall-clock time."""
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else _local(value, tz)
    return _local(dt.datetime.combine(value, dt.time()), tz)


def _local(naive: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """Wall-clock time in ``tz``; a time in a spring-forward gap takes the
    offset before the gap (RFC 5545 3.3.5: 02:30 on the change day is
    03:30 summer time)."""
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)


Duration = tuple[int, dt.timedelta]        # (nominal days, exact time), icaltime.duration_parts


def _plus(start_value: When, duration: Duration, tz: dt.tzinfo) -> dt.datetime:
    """RFC 5545 3.3.6: days (and weeks) are nominal — the same wall-clock
    time days later, across a DST change — the rest is exact time."""
    days, exact = dt.timedelta(days=duration[0]), duration[1]
    if not isinstance(start_value, dt.datetime):
        zone, wall = tz, dt.datetime.combine(start_value + days, dt.time())
    else:
        zone, wall = start_value.tzinfo or tz, start_value.replace(tzinfo=None) + days
    # Aware + timedelta is wall-clock arithmetic in Python: exact time via UTC.
    return (_local(wall, zone).astimezone(UTC) + exact).astimezone(zone)


def span(start_value: When, end_value: Optional[When] = None,
         duration: Optional[Union[Duration, dt.timedelta]] = None,
         tz: dt.tzinfo = DEFAULT_TIMEZONE) -> Span:
    """The business meaning of DTSTART with DTEND or DURATION (or neither);
    a ``timedelta`` duration (as icalendar gives it) counts its days as
    nominal."""
    all_day = not isinstance(start_value, dt.datetime)
    start = moment(start_value, tz)
    if end_value is not None:
        end = moment(end_value, tz)
    elif duration is not None:
        if isinstance(duration, dt.timedelta):
            duration = (duration.days, duration - dt.timedelta(days=duration.days))
        end = _plus(start_value, duration, tz)
    elif all_day:
        end = moment(start_value + dt.timedelta(days=1), tz)
    else:
        end = start
    if all_day and end <= start:
        end = moment(start_value + dt.timedelta(days=1), tz)
    return Span(start, max(start, end), all_day)


# --- zones ----------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def _iana_names() -> frozenset:
    return frozenset(available_timezones())


@functools.lru_cache(maxsize=256)
def _zone_from_vtimezone(text: str) -> Optional[dt.tzinfo]:
    import icalendar       # only for zones no name identifies

    try:
        return icalendar.Timezone.from_ical(text).to_tz()
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None


def _windows_zone(tzid: str) -> Optional[str]:
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    return WINDOWS_TO_OLSON.get(tzid)


@functools.lru_cache(maxsize=512)
def iana_name(tzid: str) -> Optional[str]:
    """The IANA name a TZID stands for without its VTIMEZONE: itself, an
    IANA name behind a client's prefix, or a Windows zone name's."""
    for name in (tzid, _TZID_PREFIXES.sub("", tzid), _windows_zone(tzid)):
        if name and name in _iana_names():
            return name
    return None


@functools.lru_cache(maxsize=512)
def _named_zone(tzid: str) -> Optional[dt.tzinfo]:
    name = iana_name(tzid)
    try:
        return ZoneInfo(name) if name else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def zone(tzid: str, vtimezones: Mapping[str, str] = {}) -> Optional[dt.tzinfo]:
    """The zone of a TZID parameter, or None when nothing defines it. An
    IANA name is taken as is; otherwise the item's own VTIMEZONE decides
    (it is what the client meant), then a prefixed IANA or Windows name."""
    if tzid in _iana_names():
        return _named_zone(tzid)
    definition = vtimezones.get(tzid)
    if definition is not None:
        found = _zone_from_vtimezone(definition)
        if found is not None:
            return found
    return _named_zone(tzid)


def vtimezones(calendar: icslines.Component) -> dict[str, str]:
    """The VTIMEZONE definitions of an item, by TZID."""
    found = {}
    for component in calendar.components("VTIMEZONE"):
        tzid = component.first("TZID")
        if tzid is not None:
            found[icslines.unescape_text(tzid.value.strip())] = \
                "\r\n".join(component.serialize()) + "\r\n"
    return found


def value_of(line: icslines.Line, zones: Mapping[str, str] = {}) -> When:
    """A DATE or DATE-TIME line's value: a date, an aware datetime, or a
    naive one for floating time. Raises ValueError (also for a TZID nothing
    defines)."""
    text = line.value.strip()
    if _DATE.fullmatch(text):
        return dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    match = _DATE_TIME.fullmatch(text)
    if not match:
        raise ValueError("not an iCalendar DATE or DATE-TIME")
    year, month, day, hour, minute, second, utc = match.groups()
    value = dt.datetime(int(year), int(month), int(day), int(hour), int(minute),
                        min(int(second), 59))
    if utc:
        return value.replace(tzinfo=UTC)
    tzid = line.param("TZID")
    if not tzid:
        return value
    found = zone(icslines.unescape_text(tzid), zones)
    if found is None:
        raise ValueError("unknown TZID")
    return value.replace(tzinfo=found)


def event_span(event: icslines.Component, zones: Mapping[str, str] = {},
               tz: dt.tzinfo = DEFAULT_TIMEZONE) -> Optional[Span]:
    """The span of one VEVENT (``zones``: the item's VTIMEZONEs), or None
    when it has no readable DTSTART."""
    start_line = event.first("DTSTART")
    if start_line is None:
        return None
    try:
        start_value = value_of(start_line, zones)
        end_line, duration_line = event.first("DTEND"), event.first("DURATION")
        end_value = value_of(end_line, zones) if end_line is not None else None
        duration = (duration_parts(duration_line.value)
                    if end_value is None and duration_line is not None else None)
    except ValueError:
        return None
    if isinstance(end_value, dt.datetime) != isinstance(start_value, dt.datetime) \
            and end_value is not None:
        end_value = None            # a DATE end of a timed start (or back): not meaningful
    return span(start_value, end_value, duration, tz)


def version(event: Any) -> tuple:
    """How new one copy of an event (an icalendar component) is, for
    choosing among copies of one UID: SEQUENCE, then LAST-MODIFIED (RFC
    5545 3.8.7.4; UTC text compares in time order)."""
    try:
        sequence = int(event.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        sequence = 0
    modified = event.get("LAST-MODIFIED")
    return (sequence, modified.to_ical().decode() if modified is not None else "")


def takes_time(transp: Optional[str], status: Optional[str], kind: Optional[str]) -> bool:
    """Whether an entry blocks its time: not transparent (free), not
    cancelled, not a deadline marker (it sits on a date as a reminder)."""
    return not ((transp or "").strip().upper() == "TRANSPARENT"
                or (status or "").strip().upper() == "CANCELLED"
                or (kind or "").strip().casefold() == "deadline")
