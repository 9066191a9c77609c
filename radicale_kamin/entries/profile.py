"""The entry profile: VEVENT ⇄ ``Entry``/``Derived``.

The only module that knows the property names of docs/entry-profile.md.
It reads and rewrites an item's text line by line (``icslines``), so every
property the server does not own stays exactly as the client wrote it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Optional

from radicale_kamin.entries import icslines
from radicale_kamin.entries.icaltime import format_when, parse_when
from radicale_kamin.entries.entry import Contact, Derived, Entry, EntryRejected, Settings, derive

# Entry field → property, for the facts clients write.
FACT_PROPERTIES = {
    "kind": "X-KAMIN-KIND",
    "building": "X-KAMIN-BUILDING",
    "customer": "X-KAMIN-CUSTOMER",
    "phone": "X-KAMIN-PHONE",
    "outcome": "X-KAMIN-OUTCOME",
    "attempts": "X-KAMIN-ATTEMPTS",
    "callback": "X-KAMIN-CALLBACK",
    "last_attempt": "X-KAMIN-LAST-ATTEMPT",
    "notified": "X-KAMIN-NOTIFIED",
    "window_start": "X-KAMIN-WINDOW-START",
    "contact": "X-KAMIN-CONTACT",
    "work": "X-KAMIN-WORK",
    "formblatt": "X-KAMIN-FORMBLATT",
}
STATE_PROPERTY = "X-KAMIN-STATUS"
ADDRESS_PROPERTY = "X-KAMIN-ADDRESS"
COLOR_PROPERTY = "COLOR"
MARK_PROPERTY = "X-KAMIN-MARK"
# Parameter of X-KAMIN-PHONE: the notes property the server read the number
# from (DESCRIPTION or LOCATION). Without it the number was written as such.
PHONE_FROM_PARAM = "X-KAMIN-FROM"

# Appended in this order after the client's own lines.
_SERVER_LINES = tuple(FACT_PROPERTIES.values()) + (
    STATE_PROPERTY, ADDRESS_PROPERTY, COLOR_PROPERTY, MARK_PROPERTY)


def events(calendar: icslines.Component) -> list[icslines.Component]:
    return list(calendar.components("VEVENT"))


def event_key(event: icslines.Component) -> str:
    """Which occurrence a VEVENT is: '' for the master, else the digits of
    its RECURRENCE-ID (the same whatever the client's TZID spelling)."""
    line = event.first("RECURRENCE-ID")
    return re.sub(r"\D", "", line.value)[:14] if line else ""


def _text(event: icslines.Component, name: str) -> Optional[str]:
    line = event.first(name)
    return icslines.unescape_text(line.value) if line else None


def read_event(event: icslines.Component) -> Entry:
    # One pass over the lines (indexing reads every entry of a district).
    first: dict[str, icslines.Line] = {}
    categories: list[str] = []
    for line in event.lines:
        if type(line) is not icslines.Line:
            continue
        first.setdefault(line.name, line)
        if line.name == "CATEGORIES":
            categories.extend(c for c in icslines.split_list(line.value) if c.strip())

    def text(name: str) -> Optional[str]:
        line = first.get(name)
        return icslines.unescape_text(line.value) if line else None

    phone_line = first.get("X-KAMIN-PHONE")
    stamp = first.get("LAST-MODIFIED") or first.get("DTSTAMP")
    return Entry(
        **{field: text(name) for field, name in FACT_PROPERTIES.items()},
        location=text("LOCATION"),
        summary=text("SUMMARY"),
        status=text("STATUS"),
        categories=tuple(categories),
        state=text(STATE_PROPERTY),
        description=text("DESCRIPTION"),
        phone_from=phone_line.param(PHONE_FROM_PARAM) if phone_line else None,
        mark=text(MARK_PROPERTY),
        stamp=stamp.value.strip() if stamp else None,
    )


def link_of(text: str) -> Optional[tuple[Optional[str], Optional[str]]]:
    """(contact UID, building) an item's master VEVENT links to, if any."""
    calendar = icslines.parse(text)
    masters = [e for e in events(calendar) if e.first("RECURRENCE-ID") is None]
    if not masters:
        return None
    uid, building = _text(masters[0], "X-KAMIN-CONTACT"), _text(masters[0], "X-KAMIN-BUILDING")
    return (uid, building) if uid or building else None


def master_entry(text: str) -> Optional[Entry]:
    """The master VEVENT of an item (the one without RECURRENCE-ID)."""
    masters = [e for e in events(icslines.parse(text)) if e.first("RECURRENCE-ID") is None]
    return read_event(masters[0]) if masters else None


def read_entries(text: str) -> dict[str, Entry]:
    """Every VEVENT of an item by ``event_key``."""
    return {event_key(e): read_event(e) for e in events(icslines.parse(text))}


# Server-written lines, appended in this order after the client's other
# lines. Always re-appended: Radicale hands us vobject's canonical order of
# the client's lines, so the stored text of an unchanged entry is the same
# byte for byte however often it is written (same ETag, no sync churn).
_WRITTEN = ("SUMMARY", "LOCATION", "STATUS", "CATEGORIES") + _SERVER_LINES


def _values(derived: Derived) -> dict[str, Optional[str]]:
    """Escaped property values of a derived entry; None = no such line."""
    text = {
        "SUMMARY": derived.summary,
        "LOCATION": derived.location,
        "STATUS": derived.status,
        "X-KAMIN-KIND": derived.kind,
        "X-KAMIN-BUILDING": derived.building,
        "X-KAMIN-CUSTOMER": derived.customer,
        "X-KAMIN-PHONE": derived.phone,
        "X-KAMIN-OUTCOME": derived.outcome,
        "X-KAMIN-ATTEMPTS": str(derived.attempts) if derived.attempts else None,
        "X-KAMIN-CALLBACK": derived.callback,
        "X-KAMIN-LAST-ATTEMPT": derived.last_attempt,
        "X-KAMIN-NOTIFIED": derived.notified,
        "X-KAMIN-WINDOW-START": derived.window_start,
        "X-KAMIN-CONTACT": derived.contact,
        "X-KAMIN-WORK": derived.work,
        "X-KAMIN-FORMBLATT": derived.formblatt,
        STATE_PROPERTY: derived.state.name,
        ADDRESS_PROPERTY: derived.address,
        COLOR_PROPERTY: derived.state.colour,
        MARK_PROPERTY: derived.mark,
    }
    values = {name: icslines.escape_text(value) if value is not None else None
              for name, value in text.items()}
    values["CATEGORIES"] = ",".join(icslines.escape_text(c) for c in derived.categories)
    return values


def write_event(event: icslines.Component, derived: Derived) -> None:
    """Replace the server-written lines of ``event`` by ``derived``'s.

    Parameters of the client's SUMMARY, LOCATION and CATEGORIES (language,
    ALTREP) are kept. X-KAMIN-PHONE carries X-KAMIN-FROM exactly when the
    server read the number from the notes.
    """
    values = _values(derived)
    params = {}
    for name in _WRITTEN:
        line = event.first(name)
        params[name] = list(line.params) if line else []
        event.remove(name)
    params["X-KAMIN-PHONE"] = [p for p in params["X-KAMIN-PHONE"] if p[0] != PHONE_FROM_PARAM]
    if derived.phone_from:
        params["X-KAMIN-PHONE"].append((PHONE_FROM_PARAM, derived.phone_from))
    event.lines.extend(icslines.Line(name, params[name], values[name])
                       for name in _WRITTEN if values[name] is not None)


def derive_text(text: str, stored_text: Optional[str] = None,
                settings: Settings = Settings(),
                contact: Optional[Contact] = None) -> tuple[str, list[Derived]]:
    """The item to store for a client's ``text``: every VEVENT derived, the
    stored version (if any) supplying what the client omitted.

    Raises ``EntryRejected`` naming every problem of every VEVENT.
    """
    calendar = icslines.parse(text)
    stored = read_entries(stored_text) if stored_text else {}
    problems: list[str] = []
    results = []
    for event in events(calendar):
        key = event_key(event)
        try:
            derived = derive(read_event(event), stored.get(key), settings, contact=contact)
        except EntryRejected as e:
            where = " (occurrence %s)" % key if key else ""
            problems.extend(p + where for p in e.problems)
            continue
        results.append((event, derived))
    if problems:
        raise EntryRejected(problems)
    for event, derived in results:
        write_event(event, derived)
    return icslines.serialize(calendar), [d for _, d in results]


# --- workflow changes made by the server (the JSON API) ----------------------

def _set(event: icslines.Component, name: str, value: Optional[str]) -> None:
    """Replace every ``name`` line by one with ``value`` (None: remove)."""
    event.remove(name)
    if value is not None:
        event.lines.append(icslines.Line(name, [], icslines.escape_text(value)))


def _move(event: icslines.Component, new_start: dt.datetime) -> None:
    """Move DTSTART to ``new_start``, DTEND along by the same amount."""
    start_line = event.first("DTSTART")
    if start_line is None:
        raise ValueError("the entry has no DTSTART to move")
    old_start, _ = parse_when(start_line)
    end_line = event.first("DTEND")
    if end_line is not None:
        old_end, _ = parse_when(end_line)
        end_line.params, end_line.value = format_when(end_line, new_start + (old_end - old_start))
        end_line.raw = None
    start_line.params, start_line.value = format_when(start_line, new_start)
    start_line.raw = None


def apply_workflow(text: str, *, outcome: Optional[str], attempts: int,
                   callback: Optional[dt.datetime], last_attempt: Optional[dt.datetime],
                   notified: Optional[dt.datetime], new_start: Optional[dt.datetime],
                   formblatt: Optional[str], log_line: str) -> str:
    """The item with its master VEVENT's workflow facts replaced and
    ``log_line`` added to DESCRIPTION (the notes every client shows).

    The result still goes through the storage, which derives state, colour
    and labels from the new facts.
    """
    calendar = icslines.parse(text)
    event = _master(calendar)
    _set(event, "X-KAMIN-OUTCOME", outcome)
    _set(event, "X-KAMIN-ATTEMPTS", str(attempts))
    _set(event, "X-KAMIN-CALLBACK", callback.isoformat() if callback else None)
    _set(event, "X-KAMIN-LAST-ATTEMPT", last_attempt.isoformat() if last_attempt else None)
    _set(event, "X-KAMIN-NOTIFIED", notified.isoformat() if notified else None)
    _set(event, "X-KAMIN-FORMBLATT", formblatt)
    if new_start is not None:
        _move(event, new_start)
    _append_log(event, log_line)
    return icslines.serialize(calendar)


def _master(calendar: icslines.Component) -> icslines.Component:
    """The VEVENT without RECURRENCE-ID: the one the workflow facts live on."""
    masters = [e for e in events(calendar) if e.first("RECURRENCE-ID") is None]
    if not masters:
        raise ValueError("the item has no VEVENT")
    return masters[0]


def _append_log(event: icslines.Component, log_line: str) -> None:
    """Add a dated line to DESCRIPTION (the notes every client shows)."""
    line = event.first("DESCRIPTION")
    params = list(line.params) if line else []
    description = _text(event, "DESCRIPTION")
    event.remove("DESCRIPTION")
    value = log_line if not description else description.rstrip("\n") + "\n" + log_line
    event.lines.append(icslines.Line("DESCRIPTION", params, icslines.escape_text(value)))


def _when_line(name: str, moment) -> icslines.Line:
    if isinstance(moment, dt.datetime):
        return icslines.Line(name, [], moment.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
    return icslines.Line(name, [("VALUE", "DATE")], moment.strftime("%Y%m%d"))


def new_entry_text(*, uid: str, start, end, created: dt.datetime,
                   kind: str, summary: str, customer: Optional[str], phone: Optional[str],
                   building: Optional[str], location: Optional[str], log_line: Optional[str],
                   extra: Optional[dict[str, Optional[str]]] = None) -> str:
    """A new entry as the server itself creates it (bookings, imports),
    before derivation. ``start``/``end`` are aware datetimes — written in
    UTC, so no VTIMEZONE has to be carried along and every client shows
    its own zone — or dates for all-day entries. ``extra``: more
    properties by name (``X-KAMIN-WINDOW-START``, ``X-KAMIN-CONTACT``, …)."""
    stamp = created.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    texts = [("UID", uid), ("DTSTAMP", None), ("CREATED", None), ("DTSTART", None),
             ("DTEND", None), ("SUMMARY", summary), ("LOCATION", location),
             ("DESCRIPTION", log_line), ("X-KAMIN-KIND", kind), ("X-KAMIN-CUSTOMER", customer),
             ("X-KAMIN-PHONE", phone), ("X-KAMIN-BUILDING", building),
             *(extra or {}).items()]
    lines = []
    for name, value in texts:
        if name in ("DTSTAMP", "CREATED"):
            lines.append(icslines.Line(name, [], stamp))
        elif name == "DTSTART":
            lines.append(_when_line(name, start))
        elif name == "DTEND":
            if end is not None:
                lines.append(_when_line(name, end))
        elif value:
            lines.append(icslines.Line(name, [], icslines.escape_text(value)))
    calendar = icslines.Component("VCALENDAR", [
        icslines.Line("VERSION", [], "2.0"),
        icslines.Line("PRODID", [], "-//radicale_kamin//DE"),
        icslines.Component("VEVENT", lines)])
    return icslines.serialize(calendar)


def cancel_text(text: str, log_line: str) -> str:
    """The entry cancelled (STATUS:CANCELLED frees its time) with the
    reason in its notes; nothing else is lost."""
    calendar = icslines.parse(text)
    event = _master(calendar)
    _set(event, "STATUS", "CANCELLED")
    _append_log(event, log_line)
    return icslines.serialize(calendar)


def move_text(text: str, new_start: dt.datetime, log_line: str) -> str:
    """The entry moved to ``new_start`` (duration kept), the move logged."""
    calendar = icslines.parse(text)
    event = _master(calendar)
    _move(event, new_start)
    _append_log(event, log_line)
    return icslines.serialize(calendar)


def fix_text(text: str, phone: Optional[str], location: Optional[str], log_line: str) -> str:
    """The entry with the phone (``X-KAMIN-PHONE``) and/or address
    (``LOCATION``) the office entered from the data-missing list, the fix
    logged; the storage derives the new state (orange leaves)."""
    calendar = icslines.parse(text)
    event = _master(calendar)
    if phone is not None:
        _set(event, "X-KAMIN-PHONE", phone)
    if location is not None:
        _set(event, "LOCATION", location)
    _append_log(event, log_line)
    return icslines.serialize(calendar)


def notes_of(text: str) -> tuple[Optional[str], Optional[str]]:
    """(LOCATION, DESCRIPTION) of the entry's master VEVENT, unescaped."""
    event = _master(icslines.parse(text))
    return _text(event, "LOCATION"), _text(event, "DESCRIPTION")
