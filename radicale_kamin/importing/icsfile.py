"""iCalendar files from a third-party program → ``imported`` entries.

Parsed with the ``icalendar`` library, which resolves ``TZID`` through the
file's VTIMEZONE or zoneinfo (also Outlook's Windows zone names). Times are
given back in Europe/Berlin; floating times are read as Berlin local time,
since that is what a German office program means by them.

What the program knows about the customer is spread over several places:
``LOCATION`` is the address; the phone is in ``X-KAMIN-PHONE``, a
``tel:`` ATTENDEE, or a labelled line of the DESCRIPTION (``Tel.: …``);
the name in ``X-KAMIN-CUSTOMER``, an attendee's CN or a ``Kunde:`` line.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Optional

import icalendar

from radicale_kamin.importing.records import (ImportEntry, ImportRecord, ReadResult, Skipped, UnreadableFile,
                                              address_of, clean, hashed_id)
from radicale_kamin.importing.when import BERLIN

_LABELLED = re.compile(r"^\s*(?P<label>Tel(?:efon)?\.?|Fon|Festnetz|Handy|Mobil(?:telefon)?|Kunde|Name|"
                       r"Eigentümer|Liegenschaft|Objekt)\s*:?\s*(?P<value>.+?)\s*$", re.IGNORECASE | re.MULTILINE)
_LABEL_FIELD = {"tel": "phone", "telefon": "phone", "fon": "phone", "festnetz": "phone", "handy": "mobile",
                "mobil": "mobile", "mobiltelefon": "mobile", "kunde": "customer", "name": "customer",
                "eigentümer": "customer", "liegenschaft": "building", "objekt": "building"}


def read_ics(data: bytes) -> ReadResult:
    try:
        calendars = icalendar.Calendar.from_ical(data, multiple=True)
    except ValueError as error:
        raise UnreadableFile(f"iCalendar-Datei nicht lesbar: {error}") from error
    records, skipped, notes = [], [], []
    other: dict[str, int] = {}
    recurring = 0
    number = 0
    for calendar in calendars:
        for component in calendar.walk():
            if component.name in ("VCALENDAR", "VTIMEZONE", "STANDARD", "DAYLIGHT", "VALARM"):
                continue
            if component.name != "VEVENT":
                other[component.name] = other.get(component.name, 0) + 1
                continue
            number += 1
            recurring += "RRULE" in component
            result = _record(component, number)
            (skipped if isinstance(result, Skipped) else records).append(result)
    notes.append(f"iCalendar: {number} Termine")
    if recurring:
        notes.append(f"iCalendar: {recurring} Serientermin(e) – nur der erste Termin der Serie wird übernommen")
    for name, count in sorted(other.items()):
        notes.append(f"iCalendar: {count} {name} nicht übernommen (nur VEVENT)")
    return ReadResult("ics", records, skipped, notes)


def _record(event: icalendar.Event, number: int) -> ImportRecord | Skipped:
    summary = clean(event.get("SUMMARY"))
    where = f"Termin {number}" + (f": {summary}" if summary else "")
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return Skipped(where, "Termin abgesagt (STATUS:CANCELLED)")
    try:
        start = _when(event.get("DTSTART"))
        end = _end(event, start)
    except (ValueError, TypeError, AttributeError) as error:
        return Skipped(where, f"Beginn/Ende nicht lesbar: {error}")
    if start is None:
        return Skipped(where, "Termin ohne Beginn (DTSTART fehlt)")
    description = clean(event.get("DESCRIPTION"))
    labelled = _labelled(description or "")
    customer = (clean(event.get("X-KAMIN-CUSTOMER")) or _attendee_name(event) or labelled.get("customer"))
    phone = clean(event.get("X-KAMIN-PHONE")) or _attendee_phone(event) or labelled.get("phone")
    address = address_of(address=clean(event.get("LOCATION")), phone=phone, mobile=labelled.get("mobile"))
    uid = clean(event.get("UID"))
    recurrence = event.get("RECURRENCE-ID")
    if uid:
        source_id = f"ics:{uid}" + (f"@{recurrence.dt.isoformat()}" if recurrence is not None else "")
    else:
        source_id = hashed_id("ics", event.get("DTSTART").to_ical().decode(), summary, event.get("LOCATION"))
    entry = ImportEntry(kind="imported", start=start, end=end, summary=summary, description=description)
    return ImportRecord(source_id=source_id, line=f"{where} ({_day(start)})", address=address, customer=customer,
                        building=clean(event.get("X-KAMIN-BUILDING")) or labelled.get("building"), entry=entry)


def _when(prop) -> Optional[dt.date | dt.datetime]:
    if prop is None:
        return None
    value = prop.dt
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=BERLIN) if value.tzinfo is None else value.astimezone(BERLIN)
    if isinstance(value, dt.date):
        return value
    raise ValueError(f"kein Datum: {value!r}")


def _end(event: icalendar.Event, start) -> Optional[dt.date | dt.datetime]:
    end = _when(event.get("DTEND"))
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
