"""iCalendar files from a third-party program → ``imported`` entries.

Parsed with the ``icalendar`` library, which resolves ``TZID`` through the
file's VTIMEZONE or zoneinfo (also Outlook's Windows zone names). Times are
given back in Europe/Berlin; floating times are read as Berlin local time,
since that is what a German office program means by them.

What the program knows about the customer is spread over several places:
``LOCATION`` is the address; the phone is in ``X-KAMIN-PHONE``, a
``tel:`` ATTENDEE, or a labelled line of the DESCRIPTION (``Tel.: …``);
the name in ``X-KAMIN-CUSTOMER``, an attendee's CN or a ``Kunde:`` line.

A series stays a series: its RRULE, RDATEs and EXDATEs and its changed
occurrences (VEVENTs with the master's UID and a RECURRENCE-ID) become one
record; a cancelled occurrence becomes an EXDATE. A series' times keep
their zone (renamed to the IANA name, Berlin for a zone the file defines
itself), so a weekly 09:00 stays 09:00 across the change to summer time.
A changed occurrence whose series is not in the file is an appointment of
its own.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Optional
from zoneinfo import ZoneInfo

import icalendar

from radicale_kamin.entries import timefacts
from radicale_kamin.importing.records import (ImportEntry, ImportRecord, ReadResult, Skipped, UnreadableFile, When,
                                              address_of, clean, hashed_id)
from radicale_kamin.schedule.recurrence import MAX_PER_DAY, rule_problem
from radicale_kamin.entries.timefacts import DEFAULT_TIMEZONE

UTC = dt.timezone.utc

_LABELLED = re.compile(r"^\s*(?P<label>Tel(?:efon)?\.?|Fon|Festnetz|Handy|Mobil(?:telefon)?|Kunde|Name|"
                       r"Eigentümer|Liegenschaft|Objekt)\s*:?\s*(?P<value>.+?)\s*$", re.IGNORECASE | re.MULTILINE)
_LABEL_FIELD = {"tel": "phone", "telefon": "phone", "fon": "phone", "festnetz": "phone", "handy": "mobile",
                "mobil": "mobile", "mobiltelefon": "mobile", "kunde": "customer", "name": "customer",
                "eigentümer": "customer", "liegenschaft": "building", "objekt": "building"}


@dataclass
class _Group:
    """The VEVENTs of one UID: the series (or single event) and its changed occurrences."""

    masters: list[tuple[int, icalendar.Event]] = field(default_factory=list)
    overrides: list[tuple[int, icalendar.Event]] = field(default_factory=list)


def read_ics(data: bytes, tz: dt.tzinfo = DEFAULT_TIMEZONE) -> ReadResult:
    """The events of an iCalendar file; floating times are local time of
    ``tz`` (the business's, ``kamin_timezone``)."""
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except ValueError as error:
        raise UnreadableFile(f"iCalendar-Datei nicht lesbar: {error}") from error
    groups: dict[object, _Group] = {}
    other: dict[str, int] = {}
    number = 0
    for calendar in calendars:
        for component in calendar.walk():
            if component.name in ("VCALENDAR", "VTIMEZONE", "STANDARD", "DAYLIGHT", "VALARM"):
                continue
            if component.name != "VEVENT":
                other[component.name] = other.get(component.name, 0) + 1
                continue
            number += 1
            group = groups.setdefault(clean(component.get("UID")) or number, _Group())
            (group.overrides if component.get("RECURRENCE-ID") is not None else group.masters).append(
                (number, component))
    records, skipped = [], []
    series = 0
    for group in groups.values():
        for result in _group_records(group, tz):
            (skipped if isinstance(result, Skipped) else records).append(result)
            series += isinstance(result, ImportRecord) and _is_series(result.entry)
    notes = [f"iCalendar: {number} Termine"]
    if series:
        notes.append(f"iCalendar: {series} Serientermin(e) als Serie übernommen (Regel, Ausnahmen, geänderte Termine)")
    for name, count in sorted(other.items()):
        notes.append(f"iCalendar: {count} {name} nicht übernommen (nur VEVENT)")
    return ReadResult("ics", records, skipped, notes)


def _is_series(entry: Optional[ImportEntry]) -> bool:
    return entry is not None and bool(entry.rrule or entry.rdates or entry.overrides)


def _group_records(group: _Group, tz: dt.tzinfo) -> list[ImportRecord | Skipped]:
    """One record for a series with its changed occurrences; occurrences without their series alone."""
    if not group.masters:
        return [_record(event, number, tz) for number, event in group.overrides]
    results: list[ImportRecord | Skipped] = []
    *older, (number, master) = sorted(group.masters, key=lambda item: timefacts.version(item[1]))
    for other_number, event in older:
        results.append(Skipped(_where(event, other_number), "UID kommt mehrfach vor – die neueste Fassung zählt"))
    results.append(_record(master, number, tz,
                           [event for _, event in sorted(group.overrides, key=lambda x: x[0])]))
    return results


def _where(event: icalendar.Event, number: int) -> str:
    summary = clean(event.get("SUMMARY"))
    return f"Termin {number}" + (f": {summary}" if summary else "")


def _record(event: icalendar.Event, number: int, tz: dt.tzinfo,
            overrides: Optional[list] = None) -> ImportRecord | Skipped:
    summary = clean(event.get("SUMMARY"))
    where = _where(event, number)
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return Skipped(where, "Termin abgesagt (STATUS:CANCELLED)")
    series = overrides is not None and (overrides or any(event.get(name) is not None for name in ("RRULE", "RDATE")))
    reader = _series_when if series else _when

    def when(prop) -> Optional[When]:
        return reader(prop, tz)
    try:
        start = when(event.get("DTSTART"))
        end = _end(event, start, when)
        recurrence = _recurrence(event, start, overrides or [], tz) if series else {}
    except (ValueError, TypeError, AttributeError) as error:
        return Skipped(where, f"Beginn/Ende nicht lesbar: {error}")
    if start is None:
        return Skipped(where, "Termin ohne Beginn (DTSTART fehlt)")
    if isinstance(recurrence, str):
        return Skipped(where, recurrence)
    description = clean(event.get("DESCRIPTION"))
    labelled = _labelled(description or "")
    customer = (clean(event.get("X-KAMIN-CUSTOMER")) or _attendee_name(event) or labelled.get("customer"))
    phone = clean(event.get("X-KAMIN-PHONE")) or _attendee_phone(event) or labelled.get("phone")
    address = address_of(address=clean(event.get("LOCATION")), phone=phone, mobile=labelled.get("mobile"))
    uid = clean(event.get("UID"))
    recurrence_id = event.get("RECURRENCE-ID")
    if uid:
        source_id = f"ics:{uid}" + (f"@{recurrence_id.dt.isoformat()}" if recurrence_id is not None else "")
    else:
        source_id = hashed_id("ics", event.get("DTSTART").to_ical().decode(), summary, event.get("LOCATION"))
    entry = ImportEntry(kind="imported", start=start, end=end, summary=summary, description=description,
                        **recurrence)
    return ImportRecord(source_id=source_id, line=f"{where} ({_day(start)})", address=address, customer=customer,
                        building=clean(event.get("X-KAMIN-BUILDING")) or labelled.get("building"), entry=entry)


def _recurrence(event: icalendar.Event, start, overrides: list, tz: dt.tzinfo) -> dict | str:
    """The series' fields of ImportEntry, or why the calendar would refuse the series (German)."""
    rule = event.get("RRULE")
    if isinstance(rule, list):
        return "mehr als eine Wiederholungsregel (RRULE) – Serie nicht lesbar"
    text = _rule(rule, start) if rule is not None else None
    problem = _rule_problem(text, start) if text else None
    if problem:
        return problem
    exdates = list(_dates(event.get("EXDATE"), tz))
    changed = []
    for override in overrides:
        occurrence = _series_when(override.get("RECURRENCE-ID"), tz)
        if str(override.get("STATUS", "")).upper() == "CANCELLED":
            exdates.append(occurrence)
            continue
        override_start = _series_when(override.get("DTSTART"), tz) or occurrence
        changed.append(ImportEntry(kind="imported", start=override_start,
                                   end=_end(override, override_start,
                                            lambda prop: _series_when(prop, tz)),
                                   summary=clean(override.get("SUMMARY")),
                                   description=clean(override.get("DESCRIPTION")), recurrence_id=occurrence))
    return {"rrule": text, "rdates": tuple(_dates(event.get("RDATE"), tz)), "exdates": tuple(exdates),
            "overrides": tuple(changed)}


def _rule(rule: icalendar.vRecur, start) -> str:
    """The RRULE's text with UNTIL as RFC 5545 wants it beside DTSTART: UTC for a zoned start,
    a date for an all-day one."""
    rule = icalendar.vRecur(rule)
    until = (rule.get("UNTIL") or [None])[0]
    if until is not None:
        if not isinstance(start, dt.datetime):
            until = until.date() if isinstance(until, dt.datetime) else until
        else:
            if not isinstance(until, dt.datetime):
                until = dt.datetime.combine(until, dt.time(23, 59, 59))
            if until.tzinfo is None:
                until = until.replace(tzinfo=start.tzinfo)
            until = until.astimezone(UTC)
        rule["UNTIL"] = [until]
    return rule.to_ical().decode()


# What the importer's German report says for each of the calendar's reasons
# to refuse a rule (``radicale_kamin.schedule.recurrence.rule_problem``).
_RULE_PROBLEMS_DE = {
    "sub-daily": "Serie wiederholt sich öfter als täglich – nicht übernommen",
    "too-dense": f"Serie wiederholt sich mehr als {MAX_PER_DAY}-mal am Tag – nicht übernommen",
    "invalid": "Wiederholungsregel (RRULE) nicht lesbar – Serie nicht übernommen",
    "no-occurrence": "Wiederholungsregel ohne Termin in den nächsten 8 Jahren – Serie nicht übernommen",
    "ends-before-start": "Wiederholungsregel endet vor ihrem ersten Termin – Serie nicht übernommen",
}


def _rule_problem(rule: str, start) -> Optional[str]:
    """Why the storage would refuse this rule, in German, or None."""
    problem = rule_problem(rule, start)
    return None if problem is None else _RULE_PROBLEMS_DE[problem.code]


def _dates(prop, tz: dt.tzinfo) -> list[When]:
    """The moments of RDATE/EXDATE properties (one or a list of them); periods count by their start."""
    found: list[When] = []
    for one in prop if isinstance(prop, list) else [prop] if prop is not None else []:
        for value in one.dts:
            moment = value.dt[0] if isinstance(value.dt, tuple) else value.dt
            found.append(_zoned(moment, tz))
    return found


def _series_when(prop, tz: dt.tzinfo) -> Optional[When]:
    return None if prop is None else _zoned(prop.dt, tz)


def _zoned(value, tz: dt.tzinfo) -> When:
    """A series' moment in its own zone when that is an IANA zone (UTC included); floating times
    are the business's local time (``timefacts``), zones the file defines itself shown in it."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return timefacts.moment(value, tz)
        if isinstance(value.tzinfo, ZoneInfo):
            return value
        return value.astimezone(tz)
    if isinstance(value, dt.date):
        return value
    raise ValueError(f"kein Datum: {value!r}")


def _when(prop, tz: dt.tzinfo) -> Optional[dt.date | dt.datetime]:
    if prop is None:
        return None
    value = prop.dt
    if isinstance(value, dt.datetime):
        return timefacts.moment(value, tz).astimezone(tz)
    if isinstance(value, dt.date):
        return value
    raise ValueError(f"kein Datum: {value!r}")


def _end(event: icalendar.Event, start, when) -> Optional[dt.date | dt.datetime]:
    end = when(event.get("DTEND"))
    if end is None and event.get("DURATION") is not None and start is not None:
        end = start + event.get("DURATION").dt
    if end is not None and start is not None and type(end) is not type(start):
        return None
    return end


def _day(start: dt.date | dt.datetime) -> str:
    return start.strftime("%d.%m.%Y %H:%M") if isinstance(start, dt.datetime) else start.strftime("%d.%m.%Y")


def _attendees(event: icalendar.Event) -> list:
    attendees = event.get("ATTENDEE") or []
    return attendees if isinstance(attendees, list) else [attendees]


def _attendee_name(event: icalendar.Event) -> Optional[str]:
    for attendee in _attendees(event):
        name = clean(attendee.params.get("CN"))
        if name:
            return name
    return None


def _attendee_phone(event: icalendar.Event) -> Optional[str]:
    for attendee in _attendees(event):
        if str(attendee).lower().startswith("tel:"):
            return str(attendee)
    return None


def _labelled(description: str) -> dict[str, str]:
    """``Tel.: 08161 1234`` / ``Kunde: Huber`` lines of a description; the first of each kind wins."""
    found: dict[str, str] = {}
    for match in _LABELLED.finditer(description):
        field = _LABEL_FIELD[match.group("label").lower().rstrip(".")]
        found.setdefault(field, match.group("value"))
    return found
