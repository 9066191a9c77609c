"""The parts of a stored entry or contact that an import writes, read as comparable values.

A re-import merges three versions per field (``merge``): what the source
says now, what it said at the last import, and what the server holds now.
Each field here is a set of content lines (``props``, narrowed by
``select``) and a reader that turns them into one text that is the same
however a client wrote them: DTSTART as the moment it means (Thunderbird
rewrites a UTC time into its own TZID when someone only edits the notes),
SUMMARY without the server's status mark, RRULE parts in any order.

The notes (DESCRIPTION of an entry, NOTE of a contact) are no field: they
are merged line by line and no line is ever dropped (``merge``).

Pure: iCalendar/vCard text in, plain values out; no Radicale, no storage.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable, Optional

from radicale_kamin.entries import icslines, profile, rules
from radicale_kamin.entries.contact import phone_kind
from radicale_kamin.entries.icaltime import parse_duration, parse_when

UTC = dt.timezone.utc
Reader = Callable[[icslines.Component], Optional[str]]


def _everything(line: icslines.Line) -> bool:
    return True


@dataclass(frozen=True)
class Field:
    name: str
    label: str                                    # German, for the report and the entry's log line
    props: tuple[str, ...]                        # the content lines this field consists of
    read: Reader
    select: Callable[[icslines.Line], bool] = _everything
    clear: bool = False                           # absent = an explicit empty line (an X-KAMIN fact)

    def lines(self, component: icslines.Component) -> list[icslines.Line]:
        return [line for line in component.lines
                if type(line) is icslines.Line and line.name in self.props and self.select(line)]


# --- values as clients write them --------------------------------------------------------------

def _moment(line: icslines.Line) -> str:
    """A DATE or DATE-TIME as the moment it means: ``2026-12-07`` or ``2026-12-07T08:00:00Z``."""
    try:
        moment, is_date = parse_when(line)
    except ValueError:
        return line.value.strip()
    return _canonical(moment, is_date)


def _canonical(moment: dt.datetime, is_date: bool) -> str:
    return moment.date().isoformat() if is_date else moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _start(event: icslines.Component) -> Optional[str]:
    line = event.first("DTSTART")
    return _moment(line) if line is not None else None


def _end(event: icslines.Component) -> Optional[str]:
    """DTEND, or DTSTART + DURATION: a client may write either for the same end."""
    line, duration, start = event.first("DTEND"), event.first("DURATION"), event.first("DTSTART")
    if line is not None:
        return _moment(line)
    if duration is None or start is None:
        return None
    try:
        moment, is_date = parse_when(start)
        return _canonical(moment + parse_duration(duration.value), is_date)
    except ValueError:
        return "DURATION:" + duration.value.strip()


def _text(name: str) -> Reader:
    def read(component: icslines.Component) -> Optional[str]:
        line = component.first(name)
        return (icslines.unescape_text(line.value).strip() or None) if line is not None else None
    return read


def _summary(event: icslines.Component) -> Optional[str]:
    """SUMMARY without the status mark the server put in front (``✓ Kehren``
    is ``Kehren``; the mark written is kept in X-KAMIN-MARK)."""
    text = _text("SUMMARY")(event)
    written = _text(profile.MARK_PROPERTY)(event)
    return (rules.marked_summary(text, "", written) or "").strip() or None


def _recurrence(event: icslines.Component) -> Optional[str]:
    """RRULE (parts sorted) and the moments of RDATE and EXDATE."""
    rules_ = sorted(";".join(sorted(line.value.strip().upper().split(";"))) for line in event.props("RRULE"))
    parts = ["RRULE:" + "|".join(rules_)] if rules_ else []
    for name in ("RDATE", "EXDATE"):
        moments = sorted({_moment(icslines.Line(name, line.params, value.strip()))
                          for line in event.props(name) for value in line.value.split(",") if value.strip()})
        if moments:
            parts.append(name + ":" + ",".join(moments))
    return " ".join(parts) or None


def _components(line: icslines.Line) -> list[str]:
    return [icslines.unescape_text(part).strip() for part in re.split(r"(?<!\\);", line.value)]


def _n(card: icslines.Component) -> Optional[str]:
    line = card.first("N")
    if line is None:
        return None
    parts = _components(line)
    while parts and not parts[-1]:
        parts.pop()
    return "|".join(parts) or None


def _address(card: icslines.Component) -> Optional[str]:
    """Street, town and PLZ of every ADR (what the import writes and the office corrects), or the LABEL."""
    found = []
    for line in card.props("ADR"):
        parts = (_components(line) + [""] * 7)[:7]
        found.append("|".join((parts[2], parts[3], parts[5])))
    for line in card.props("LABEL"):
        found.append("label:" + icslines.unescape_text(line.value).strip())
    return " / ".join(part for part in found if part.strip("|")) or None


def _values(name: str, select: Callable[[icslines.Line], bool] = _everything, ordered: bool = True) -> Reader:
    def read(component: icslines.Component) -> Optional[str]:
        values = [icslines.unescape_text(line.value).strip() for line in component.props(name) if select(line)]
        values = [value for value in values if value]
        return " / ".join(values if ordered else sorted(values)) or None
    return read


def _is_phone(line: icslines.Line) -> bool:
    return phone_kind(line) == "phone"


def _is_mobile(line: icslines.Line) -> bool:
    return phone_kind(line) == "mobile"


# --- the fields ----------------------------------------------------------------------------------

def _fact(name: str, label: str, prop: str) -> Field:
    return Field(name, label, (prop,), _text(prop), clear=True)


EVENT_FIELDS: tuple[Field, ...] = (
    Field("start", "Beginn", ("DTSTART",), _start),
    Field("end", "Ende", ("DTEND", "DURATION"), _end),
    Field("recurrence", "Wiederholung", ("RRULE", "RDATE", "EXDATE"), _recurrence),
    Field("summary", "Titel", ("SUMMARY",), _summary),
    Field("location", "Adresse", ("LOCATION",), _text("LOCATION")),
    _fact("kind", "Art", "X-KAMIN-KIND"),
    _fact("customer", "Kunde", "X-KAMIN-CUSTOMER"),
    _fact("phone", "Telefon", "X-KAMIN-PHONE"),
    _fact("building", "Liegenschaft", "X-KAMIN-BUILDING"),
    _fact("window_start", "Fristbeginn", "X-KAMIN-WINDOW-START"),
    _fact("contact", "Kontakt", "X-KAMIN-CONTACT"),
)
CARD_FIELDS: tuple[Field, ...] = (
    Field("name", "Name", ("FN",), _text("FN")),
    Field("n", "Namensteile", ("N",), _n),
    Field("address", "Adresse", ("ADR", "LABEL"), _address),
    Field("phone", "Telefon", ("TEL",), _values("TEL", _is_phone), _is_phone),
    Field("mobile", "Mobilnummer", ("TEL",), _values("TEL", _is_mobile), _is_mobile),
    Field("email", "E-Mail", ("EMAIL",), _values("EMAIL")),
    Field("buildings", "Liegenschaften", ("X-KAMIN-BUILDING",), _values("X-KAMIN-BUILDING", ordered=False)),
)
NOTES = {"VEVENT": "DESCRIPTION", "VCARD": "NOTE"}


def fields_of(component: icslines.Component) -> tuple[Field, ...]:
    return CARD_FIELDS if component.name == "VCARD" else EVENT_FIELDS


def read_fields(component: icslines.Component) -> dict[str, Optional[str]]:
    """Every field's comparable value."""
    return {field.name: field.read(component) for field in fields_of(component)}


def note_lines(component: icslines.Component) -> list[str]:
    """The notes (DESCRIPTION/NOTE) as lines; several NOTE properties one after the other."""
    lines: list[str] = []
    for line in component.props(NOTES[component.name]):
        lines.extend(icslines.unescape_text(line.value).split("\n"))
    return lines


def set_note_lines(component: icslines.Component, lines: list[str]) -> None:
    """Replace the notes by ``lines`` (one property; the first one's parameters kept)."""
    name = NOTES[component.name]
    existing = component.props(name)
    params = list(existing[0].params) if existing else []
    position = component.lines.index(existing[0]) if existing else len(component.lines)
    component.lines = [line for line in component.lines if not (type(line) is icslines.Line and line.name == name)]
    if any(line.strip() for line in lines):
        component.lines.insert(min(position, len(component.lines)),
                               icslines.Line(name, params, icslines.escape_text("\n".join(lines))))


def take(stored: icslines.Component, fresh: icslines.Component, field: Field) -> None:
    """Put ``fresh``'s lines of ``field`` in place of ``stored``'s; an X-KAMIN fact the source no
    longer has becomes an empty line, which clears it (a missing one would be carried over)."""
    old = field.lines(stored)
    position = stored.lines.index(old[0]) if old else len(stored.lines)
    kept = [line for line in stored.lines if not any(line is gone for gone in old)]
    new = [icslines.Line(line.name, list(line.params), line.value) for line in field.lines(fresh)]
    if not new and field.clear:
        new = [icslines.Line(field.props[0], [], "")]
    position = min(position, len(kept))
    stored.lines = kept[:position] + new + kept[position:]
