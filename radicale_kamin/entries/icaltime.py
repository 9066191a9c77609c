"""iCalendar date-time values of content lines (DTSTART, DTEND, DURATION)
read and written without vobject — see ``icslines`` for why."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from radicale_kamin.entries import icslines

UTC = dt.timezone.utc

_DATE = re.compile(r"\d{8}")
_DATE_TIME = re.compile(r"\d{8}T\d{6}[Zz]?")
_DURATION = re.compile(r"([+-])?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")


def duration_parts(value: str) -> tuple[int, dt.timedelta]:
    """(nominal days, exact time) of a DURATION: RFC 5545 3.3.6 counts
    weeks and days in wall-clock days, hours and less in exact time — a
    ``timedelta`` alone cannot tell ``P1D`` from ``PT24H``."""
    match = _DURATION.match(value.strip().upper())
    if not match or value.strip().upper() in ("P", "PT", "+P", "-P"):
        raise ValueError("not an iCalendar duration")
    sign, weeks, days, hours, minutes, seconds = match.groups()
    factor = -1 if sign == "-" else 1
    exact = dt.timedelta(hours=int(hours or 0), minutes=int(minutes or 0),
                         seconds=int(seconds or 0))
    return factor * (7 * int(weeks or 0) + int(days or 0)), factor * exact


def parse_duration(value: str) -> dt.timedelta:
    days, exact = duration_parts(value)
    return dt.timedelta(days=days) + exact


def parse_when(line: icslines.Line) -> tuple[dt.datetime, bool]:
    """A DTSTART/DTEND line → (aware datetime, is_date). Floating times and
    dates count as UTC, as in Radicale's filters. Raises ValueError (also for
    a TZID zoneinfo does not know)."""
    value = line.value.strip()
    if _DATE.fullmatch(value):
        return dt.datetime(int(value[:4]), int(value[4:6]), int(value[6:8]), tzinfo=UTC), True
    if not _DATE_TIME.fullmatch(value):
        raise ValueError("not an iCalendar DATE or DATE-TIME: %r" % value)
    moment = dt.datetime(int(value[:4]), int(value[4:6]), int(value[6:8]),   # strptime: 5x slower
                         int(value[9:11]), int(value[11:13]), int(value[13:15]))
    if value.endswith(("Z", "z")):
        return moment.replace(tzinfo=UTC), False
    tzid = line.param("TZID")
    if not tzid:
        return moment.replace(tzinfo=UTC), False
    try:
        return moment.replace(tzinfo=ZoneInfo(tzid)), False
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise ValueError("unknown TZID") from e


def format_when(line: icslines.Line, moment: dt.datetime) -> tuple[list, str]:
    """(params, value) writing ``moment`` the way ``line`` is written: as a
    date, in its TZID, or in UTC."""
    params = [p for p in line.params if p[0] not in ("TZID", "VALUE")]
    if line.param("VALUE") == "DATE" or re.fullmatch(r"\d{8}", line.value.strip()):
        return params + [("VALUE", "DATE")], moment.strftime("%Y%m%d")
    tzid = line.param("TZID")
    if tzid:
        try:
            local = moment.astimezone(ZoneInfo(tzid))
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            raw = next(p for p in line.params if p[0] == "TZID")
            return params + [raw], local.strftime("%Y%m%dT%H%M%S")
    return params, moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


# The rule-based VTIMEZONE of Europe/Berlin (valid since 1996, no end):
# weekly working hours and a series run for ever, so a VTIMEZONE listing a
# few years of transitions would be wrong later.
_VTIMEZONE_BERLIN = (
    "BEGIN:VTIMEZONE", "TZID:Europe/Berlin",
    "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST",
    "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3", "END:DAYLIGHT",
    "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET",
    "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10", "END:STANDARD",
    "END:VTIMEZONE")


def vtimezone_lines(tz: ZoneInfo, first: dt.date) -> list[str]:
    """The VTIMEZONE for ``tz``'s TZID, for text the server writes; for
    zones other than Berlin icalendar writes ten years of transitions from
    ``first``, and an unusual zone gets none (clients resolve the TZID)."""
    if tz.key == "Europe/Berlin":
        return list(_VTIMEZONE_BERLIN)
    import icalendar
    try:
        component = icalendar.Timezone.from_tzinfo(
            tz, first_date=first, last_date=first + dt.timedelta(days=3653))
    except Exception:   # an unusual zone: clients resolve the TZID themselves
        return []
    return component.to_ical().decode().splitlines()
