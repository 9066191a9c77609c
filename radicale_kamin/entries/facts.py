"""What the side index knows of one stored item, read from its text.

Reading uses ``icslines`` (no vobject): indexing a district's 47,000 entries
must take seconds, not the minutes a full vobject parse with time-zone
conversion costs (3.9 ms per entry). The state is derived from the entry's
facts, not read from its ``X-KAMIN-STATUS``, so a file edited outside
Radicale is indexed as the server would store it.

The time range follows RFC 4791 section 9.9 exactly as Radicale computes it
for a single, non-recurring VEVENT (``exact``); for anything else (recurring
entries, unknown time zones, to-dos) the range is "always a candidate" and
Radicale's own filter decides.

The entry's own properties a CalDAV REPORT may filter on
(``INDEXED_PROPERTIES``) are read as vobject reads them for Radicale's
text-match (``text_values``), per VEVENT of the item (``item_index``); an
item whose lines this reader might take otherwise than vobject (a group
prefix, an ENCODING, parameters it cannot split) is marked inexact, and
Radicale judges it itself.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Optional

from radicale_kamin.entries import icslines, profile, timefacts
from radicale_kamin.entries.entry import EntryRejected, Settings, derive
from radicale_kamin.entries.icaltime import parse_duration, parse_when

TIMESTAMP_MIN = 0
TIMESTAMP_MAX = 253402214400        # 9999-12-31, as Radicale's filter uses


@dataclass(frozen=True)
class ItemFacts:
    uid: Optional[str]
    component: Optional[str]            # VEVENT, VTODO, …
    range_start: int = TIMESTAMP_MIN    # enclosing time range (POSIX seconds)
    range_end: int = TIMESTAMP_MAX
    exact: bool = False                 # range equals Radicale's own
    plain: bool = False                 # read without vobject (plain_item)
    recurring: bool = False
    valid: bool = True                  # False: derivation refused the entry
    kind: Optional[str] = None
    state: Optional[str] = None
    address: Optional[str] = None
    # When the master takes place for the business (timefacts: floating and
    # all-day times are kamin_timezone's local time), POSIX seconds.
    start: Optional[int] = None
    all_day: bool = False               # start and end are local midnights
    end: Optional[int] = None
    phone: Optional[str] = None         # E.164 only when valid
    phone_type: Optional[str] = None
    customer: Optional[str] = None
    building: Optional[str] = None
    attempts: int = 0
    outcome: Optional[str] = None
    callback: Optional[int] = None
    last_attempt: Optional[int] = None
    notified: Optional[int] = None
    window_start: Optional[str] = None  # ISO date
    summary: Optional[str] = None
    blocks: bool = True                 # takes the time (not transparent, cancelled or a deadline marker)
    location: Optional[str] = None      # LOCATION as stored ("Straße Nr, PLZ Ort")
    contact: Optional[str] = None       # UID of the linked vCard
    source: Optional[str] = None        # the subscription a mirrored entry comes from
    fingerprint: Optional[str] = None   # the mirror's fingerprint of the upstream event
    street: Optional[str] = None        # normalised address parts, for "same street/PLZ"
    postcode: Optional[str] = None
    address_key: Optional[str] = None   # AddressResult.match_key, to find its contact
    work: Optional[str] = None          # X-KAMIN-WORK (rules.WORKS)
    formblatt: Optional[str] = None     # deadline: the day the Formblatt came in
    missing: str = ""                   # what to ask for (missing.FIELDS), comma-joined
    phone_from: Optional[str] = None    # the notes field the phone was read from
    vevents: int = 0                    # VEVENTs in the item (a REPORT's prop-filter: any of them)
    props_exact: bool = False           # INDEXED_PROPERTIES read exactly as vobject reads them


# The properties of an entry a CalDAV REPORT may filter on and the side
# index answers: the contract's own and those staff search by.
INDEXED_PROPERTIES = ("X-KAMIN-STATUS", "X-KAMIN-KIND", "X-KAMIN-CUSTOMER", "X-KAMIN-PHONE",
                      "X-KAMIN-ADDRESS", "X-KAMIN-BUILDING", "CATEGORIES", "SUMMARY", "LOCATION")
LIST_PROPERTIES = ("CATEGORIES",)       # vobject keeps every comma-separated value
_ESCAPABLE = '\\;,Nn"'
# A content line whose name and parameters this reader splits as vobject does.
_PLAIN_LINE = re.compile(r'[A-Za-z0-9-]+(?:;[A-Za-z0-9-]+=(?:"[^"]*"|[^";:,]*)'
                         r'(?:,(?:"[^"]*"|[^";:,]*))*)*:')
_GROUPED = re.compile(r"[A-Za-z0-9-]+\.")


@dataclass(frozen=True)
class PropertyValue:
    """One value of an indexed property, as Radicale's text-match sees it."""

    component: int          # which VEVENT of the item (0: the first)
    name: str               # upper-case
    value: str


def text_values(raw: str) -> list[str]:
    """A TEXT value as vobject reads it (``stringToTextValues``), which is
    what Radicale's text-match compares: ``\\,`` ``\\;`` ``\\\\`` ``\\"``
    undone, ``\\n`` and ``\\N`` a newline, any other backslash kept, split at
    unescaped commas — a single-valued property (X-…) keeps only the part
    before the first one (SUMMARY and LOCATION have theirs escaped first:
    ``icslines.escape_separators``). A backslash at the very end
    reads as ``\\eof``, as vobject has it."""
    values, current, escaped = [], [], False
    for char in raw:
        if escaped:
            escaped = False
            if char in _ESCAPABLE:
                current.append("\n" if char in "nN" else char)
            else:
                current.append("\\" + char)
        elif char == "\\":
            escaped = True
        elif char == ",":
            values.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\eof")
    if current or not values:
        values.append("".join(current))
    return values


def event_properties(events: list) -> tuple[list[PropertyValue], bool]:
    """The values of ``INDEXED_PROPERTIES`` of each VEVENT (``icslines``
    components), and whether they are exactly vobject's."""
    found, exact = [], True
    for number, event in enumerate(events):
        for line in event.lines:
            if not isinstance(line, icslines.Line):
                continue
            raw = line.raw or ""
            if _GROUPED.match(raw):
                exact = False               # "item1.SUMMARY": vobject reads a SUMMARY
            if line.name not in INDEXED_PROPERTIES:
                continue
            if not _PLAIN_LINE.match(raw) or line.param("ENCODING") is not None:
                exact = False
            value = line.value
            if line.name in icslines.SINGLE_TEXT:
                # Radicale reads it so (compat: a client's unescaped comma kept)
                value = icslines.escape_separators(value)
            values = text_values(value)
            if line.name not in LIST_PROPERTIES:
                values = values[:1]
            found.extend(PropertyValue(number, line.name, value) for value in values)
    return found, exact


def _epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


def _event_range(event: icslines.Component) -> Optional[tuple[int, int, int, bool]]:
    """(start, end, enclosing end, all-day) of a single VEVENT, or None."""
    start_line = event.first("DTSTART")
    if start_line is None:
        return None
    start, is_date = parse_when(start_line)
    end_line, duration_line = event.first("DTEND"), event.first("DURATION")
    if end_line is not None:
        end, end_is_date = parse_when(end_line)
        floating = [not line.param("TZID") and not line.value.strip().upper().endswith("Z")
                    and not is_d for line, is_d in ((start_line, is_date), (end_line, end_is_date))]
        if floating[0] != floating[1]:
            return None      # Radicale mixes zones here in its own way
        return _epoch(start), _epoch(end), _epoch(end), is_date
    if duration_line is not None:
        duration = parse_duration(duration_line.value)
        end = start + duration if duration.total_seconds() > 0 else start + dt.timedelta(seconds=1)
        return _epoch(start), _epoch(start + duration), _epoch(end), is_date
    if is_date:
        return _epoch(start), _epoch(start + dt.timedelta(days=1)), _epoch(start + dt.timedelta(days=1)), True
    return _epoch(start), _epoch(start), _epoch(start) + 1, False


def _moment(value: Optional[str]) -> Optional[int]:
    if not value:
        return None
    return _epoch(dt.datetime.fromisoformat(value))


_NOT_PLAIN = ("RRULE", "RDATE", "EXDATE", "EXRULE", "RECURRENCE-ID")
# Properties vobject allows once (its VEVENT and VCALENDAR knownChildren):
# a file with one twice is one Radicale cannot read, so it is not plain.
SINGLE_EVENT_PROPERTIES = (
    "DTSTART", "CLASS", "CREATED", "DESCRIPTION", "GEO", "LAST-MODIFIED", "LOCATION",
    "ORGANIZER", "PRIORITY", "DTSTAMP", "SEQUENCE", "STATUS", "SUMMARY", "TRANSP", "UID", "URL",
    "RECURRENCE-ID", "DTEND", "DURATION")
SINGLE_CALENDAR_PROPERTIES = ("CALSCALE", "METHOD", "VERSION", "PRODID")


def plain_item(text: str) -> Optional[tuple[str, str, tuple[int, int]]]:
    """(UID, component, time range) of an item whose text Radicale may keep
    as it is — one single VEVENT (time zones and alarms aside), CRLF lines,
    a time range ``_event_range`` computes exactly as Radicale — or None
    when only vobject can tell (recurring, to-dos, odd files).

    The storage plugin reads such a file without vobject when Radicale's
    item cache lacks it: its text is served as stored and its ETag is the
    hash of that text, so the ETag is a function of the file alone — the
    same whether or not Radicale's cache survived, and the same the side
    index keeps (``index.etag_of``).
    """
    try:
        calendar = icslines.parse(text)
    except ValueError:
        return None
    return _plain_header(text, calendar)


def _plain_header(text: str, calendar: icslines.Component
                  ) -> Optional[tuple[str, str, tuple[int, int]]]:
    if not text.endswith("\r\n") or text.count("\n") != text.count("\r\n") \
            or text.count("\r") != text.count("\r\n"):
        return None
    if calendar.name != "VCALENDAR":
        return None
    components = [c for c in calendar.lines if isinstance(c, icslines.Component)]
    events = [c for c in components if c.name == "VEVENT"]
    if len(events) != 1 or any(c.name not in ("VEVENT", "VTIMEZONE") for c in components):
        return None
    event = events[0]
    if any(c.name != "VALARM" for c in event.lines if isinstance(c, icslines.Component)):
        return None
    if _repeats(event, SINGLE_EVENT_PROPERTIES) or _repeats(calendar, SINGLE_CALENDAR_PROPERTIES):
        return None
    uid_line = event.first("UID")
    uid = uid_line.value if uid_line is not None else ""
    if (not uid or uid != uid.strip() or "\\" in uid or any(event.first(name) for name in _NOT_PLAIN)
            or (event.first("DTEND") and event.first("DURATION"))):
        return None
    try:
        timing = _event_range(event)
    except ValueError:
        return None
    if timing is None:
        return None
    return uid, "VEVENT", (timing[0], timing[2])


def _repeats(component: icslines.Component, names: tuple[str, ...]) -> bool:
    seen = set()
    for line in component.lines:
        if type(line) is icslines.Line and line.name in names:
            if line.name in seen:
                return True
            seen.add(line.name)
    return False


def item_facts(text: str, settings: Settings = Settings()) -> ItemFacts:
    """The index row of an item. Raises ValueError for text that is not an
    iCalendar object at all."""
    return item_index(text, settings)[0]


def item_index(text: str, settings: Settings = Settings()
               ) -> tuple[ItemFacts, list[PropertyValue]]:
    """The index row of an item and the values of its indexed properties
    (one parse for both). Raises ValueError for text that is not an
    iCalendar object at all."""
    calendar = icslines.parse(text)
    components = [c for c in calendar.lines
                  if isinstance(c, icslines.Component) and c.name != "VTIMEZONE"]
    events = [c for c in calendar.lines if isinstance(c, icslines.Component) and c.name == "VEVENT"]
    values, exact = event_properties(events)
    if not components:
        return ItemFacts(uid=None, component=None, props_exact=exact), values
    first = components[0]
    uid_line = first.first("UID")
    uid = icslines.unescape_text(uid_line.value) if uid_line else None
    if first.name != "VEVENT":
        return ItemFacts(uid=uid, component=first.name, vevents=len(events),
                         props_exact=exact), values
    return _event_facts(text, calendar, components, settings,
                        uid=uid, vevents=len(events), props_exact=exact), values


def _event_facts(text: str, calendar: icslines.Component, components: list,
                 settings: Settings, **extra) -> ItemFacts:
    plain = _plain_header(text, calendar) is not None
    masters = [e for e in components if e.first("RECURRENCE-ID") is None]
    master = masters[0] if masters else components[0]
    recurring = (len(components) > 1 or any(master.first(n) for n in ("RRULE", "RDATE")))
    try:
        timing = _event_range(master)
    except ValueError:
        timing = None
    facts: dict = dict(component="VEVENT", recurring=recurring, plain=plain, **extra)
    if timing is not None and not recurring:
        start, _, enclosing_end, _ = timing
        facts.update(range_start=start, range_end=enclosing_end, exact=True)
    span = timefacts.event_span(master, timefacts.vtimezones(calendar), settings.timezone)
    if span is not None:
        facts.update(start=_epoch(span.start), end=_epoch(span.end), all_day=span.all_day)
    for field_name, prop in (("source", "X-KAMIN-SOURCE"), ("fingerprint", "X-KAMIN-FINGERPRINT")):
        line = master.first(prop)
        facts[field_name] = icslines.unescape_text(line.value) if line else None
    transp = master.first("TRANSP")
    transp = transp.value if transp is not None else None
    entry = profile.read_event(master)
    try:
        # Derived as if written back unchanged: its own label is no pick.
        derived = derive(entry, entry, settings)
    except EntryRejected:
        return ItemFacts(valid=False, blocks=timefacts.takes_time(transp, entry.status, None),
                         **facts)
    phone_ok = derived.phone_type is not None
    return ItemFacts(
        kind=derived.kind, state=derived.state.name, address=derived.address,
        phone=derived.phone if phone_ok else None, phone_type=derived.phone_type,
        customer=derived.customer, building=derived.building,
        attempts=derived.attempts, outcome=derived.outcome,
        callback=_moment(derived.callback), last_attempt=_moment(derived.last_attempt),
        notified=_moment(derived.notified), window_start=derived.window_start,
        summary=derived.summary, location=derived.location, contact=derived.contact,
        street=derived.address_result.street,
        postcode=derived.address_result.postcode,
        address_key=derived.address_result.match_key(),
        work=derived.work, formblatt=derived.formblatt, missing=",".join(derived.missing),
        phone_from=derived.phone_from,
        blocks=timefacts.takes_time(transp, derived.status, derived.kind), **facts)
