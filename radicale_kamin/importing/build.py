"""An import record as the vCard and the VEVENTs the source stands for ("fresh" texts).

These texts say what the source says now — nothing of what the server or an
earlier import made of the record: a new record is stored as it is (with a
log line and its ``X-KAMIN-IMPORT`` mark, ``merge``), an existing one is
merged field by field. They depend on the source alone (and on the UIDs an
earlier import gave), so an unchanged source gives the same fields again.

A single appointment is written in UTC like the booking API's entries; a
series in its own zone with a VTIMEZONE, so weekly 09:00 stays 09:00 across
the change to summer time.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Optional
from zoneinfo import ZoneInfo

from radicale_kamin.entries import icslines, profile
from radicale_kamin.address.verdict import AddressResult
from radicale_kamin.entries.contact import new_contact_text
from radicale_kamin.importing.records import ImportEntry, ImportRecord, When
from radicale_kamin.entries.icaltime import vtimezone_lines


def location(judged: AddressResult, record: ImportRecord) -> Optional[str]:
    line = judged.location_line()
    if line:
        return line
    address = record.address
    parts = [address.get("address"),
             " ".join(p for p in (address.get("street"), address.get("housenumber")) if p),
             " ".join(p for p in (address.get("zip"), address.get("city")) if p)]
    return ", ".join(p for p in parts if p and p.strip()) or None


def contact_text(record: ImportRecord, judged: AddressResult, uid: str,
                 buildings: Iterable[str] = ()) -> str:
    """The customer's vCard; ``buildings``: every building the source gives this contact."""
    address = record.address
    street = " ".join(p for p in (judged.street, judged.number) if p) if judged.street else \
        " ".join(p for p in (address.get("street"), address.get("housenumber")) if p) or None
    name = record.name
    return new_contact_text(
        uid=uid, name=record.customer, street=street,
        postcode=judged.postcode or address.get("zip"), city=judged.city or address.get("city"),
        label=address.get("address") if not street else None,
        phone=address.get("phone"), mobile=address.get("mobile"), email=record.email,
        buildings=tuple(buildings) or ((record.building,) if record.building else ()),
        note=record.notes, name_parts=(name.family, name.given, name.prefix) if name else None)


def entry_text(record: ImportRecord, judged: AddressResult, uid: str, contact_uid: Optional[str],
               now: dt.datetime) -> str:
    """The entry (a VCALENDAR with one VEVENT, or a series with its changed occurrences)."""
    entry = record.entry
    master = _event(record, entry, judged, uid, contact_uid, now)
    if not (entry.rrule or entry.rdates or entry.overrides):
        return master
    calendar = icslines.parse(master)
    event = next(calendar.components("VEVENT"))
    _zoned(event, entry)
    if entry.rrule:
        event.lines.append(icslines.Line("RRULE", [], entry.rrule))
    event.lines += _moment_lines("RDATE", entry.rdates) + _moment_lines("EXDATE", entry.exdates)
    for override in entry.overrides:
        changed = next(icslines.parse(_event(record, override, judged, uid, contact_uid, now,
                                             fallback=entry)).components("VEVENT"))
        _zoned(changed, override)
        changed.lines.insert(1, _moment_lines("RECURRENCE-ID", (override.recurrence_id,))[0])
        calendar.lines.append(changed)
    zones = _zones(entry)
    calendar.lines[2:2] = [icslines.parse("\r\n".join(vtimezone_lines(zone, _first_day(entry))))
                           for zone in zones]
    return icslines.serialize(calendar)


def _event(record: ImportRecord, entry: ImportEntry, judged: AddressResult, uid: str,
           contact_uid: Optional[str], now: dt.datetime, fallback: Optional[ImportEntry] = None) -> str:
    end = entry.end or _default_end(entry.start)
    phone = judged.phone_e164 or record.address.get("phone") or record.address.get("mobile")
    summary = entry.summary or (fallback.summary if fallback else None) or (
        "Frist: %s" % (record.customer or record.building or "Liegenschaft") if entry.kind == "deadline"
        else "Termin: %s" % (record.customer or "Kunde"))
    return profile.new_entry_text(
        uid=uid, start=entry.start, end=end, created=now, kind=entry.kind, summary=summary,
        customer=record.customer, phone=phone, building=record.building,
        location=location(judged, record), log_line=entry.description,
        extra={"X-KAMIN-WINDOW-START": entry.window_start.isoformat() if entry.window_start else None,
               "X-KAMIN-CONTACT": contact_uid})


def _default_end(start: When) -> When:
    return start + (dt.timedelta(hours=1) if isinstance(start, dt.datetime) else dt.timedelta(days=1))


def _zoned(event: icslines.Component, entry: ImportEntry) -> None:
    """DTSTART/DTEND of a series' VEVENT in the series' own zone instead of UTC."""
    for name, moment in (("DTSTART", entry.start), ("DTEND", entry.end or _default_end(entry.start))):
        line = event.first(name)
        zoned = _moment_lines(name, (moment,))[0]
        line.params, line.value, line.raw = zoned.params, zoned.value, None


def _moment_lines(name: str, moments: Iterable[When]) -> list[icslines.Line]:
    lines = []
    for moment in moments:
        if not isinstance(moment, dt.datetime):
            lines.append(icslines.Line(name, [("VALUE", "DATE")], moment.strftime("%Y%m%d")))
        elif _zone_key(moment) in (None, "UTC"):
            lines.append(icslines.Line(name, [], moment.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")))
        else:
            lines.append(icslines.Line(name, [("TZID", _zone_key(moment))], moment.strftime("%Y%m%dT%H%M%S")))
    return lines


def _zone_key(moment: dt.datetime) -> Optional[str]:
    return moment.tzinfo.key if isinstance(moment.tzinfo, ZoneInfo) else None


def _zones(entry: ImportEntry) -> list[ZoneInfo]:
    moments = [entry.start, entry.end, *entry.rdates, *entry.exdates]
    for override in entry.overrides:
        moments += [override.start, override.end, override.recurrence_id]
    keys = sorted({_zone_key(m) for m in moments if isinstance(m, dt.datetime)} - {None, "UTC"})
    return [ZoneInfo(key) for key in keys]


def _first_day(entry: ImportEntry) -> dt.date:
    start = entry.start
    return start.date() if isinstance(start, dt.datetime) else start
