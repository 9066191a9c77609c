"""Re-importing a record: a three-way merge of the source's new version into the stored item.

For every field (``fields``) three versions meet: the source's value now,
the source's value at the last import and the server's value now (the
last two as digests in the item's ``X-KAMIN-IMPORT`` line, ``mark``):

* the source did not change it → the server's value stays, whatever staff,
  the assistant or a linked contact made of it;
* the source changed it and the server did not → the source's value is taken;
* both changed it → the server's value stays and the field is reported as a
  conflict (unless both changed it to the same value).

Notes (DESCRIPTION, NOTE) are merged line by line and **no line is ever
dropped**: lines the source added are put after the source's own block,
lines it removed stay (and are counted), and every line staff or the
assistant wrote (the call log) survives. An item whose source is unchanged
is left alone byte for byte (``MergeResult.text`` is None), so clients do
not download it again.

An item an import wrote before marks existed has no earlier state: the
server's values stay and every field where the source now says something
else is reported, once — the mark written then makes later imports merge.

Pure: texts in, text out; the shell (``radicale_kamin.importing.run``) reads and
writes the storage, and derives the stored form (``stamp_stored``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable, Optional

from radicale_kamin.entries import icslines, profile
from radicale_kamin.importing import fields as F
from radicale_kamin.importing.mark import PROPERTY, Mark, digest, mark_of, read_mark, write_mark

UTC = dt.timezone.utc


@dataclass(frozen=True)
class Conflict:
    """A field both the source and the server changed; the server's value was kept."""

    field: str
    label: str                      # German
    server: Optional[str]           # what stays
    source: Optional[str]           # what the source says now
    occurrence: str = ""            # the changed occurrence of a series ("" = the entry itself)

    def as_json(self) -> dict:
        return {"field": self.field, "label": self.label, "server": self.server, "source": self.source,
                "occurrence": self.occurrence or None}

    def text(self) -> str:
        where = " (Termin %s)" % self.occurrence if self.occurrence else ""
        return "%s%s: Server %s behalten, Quelle %s" % (self.label, where, _shown(self.server),
                                                         _shown(self.source))


def _shown(value: Optional[str]) -> str:
    return "'%s'" % value if value is not None else "(leer)"


@dataclass(frozen=True)
class Import:
    """Where a record comes from, for the mark and the log lines."""

    now: dt.datetime
    source: str                     # the file's name
    line: str                       # "Zeile 17", "Gebäude 101"
    keys: tuple[str, ...]           # the record's keys (source id, aliases)


@dataclass
class MergeResult:
    text: Optional[str]             # what to store; None = leave the stored item alone
    created: bool = False
    changed: list[str] = field(default_factory=list)       # German labels of fields taken from the source
    conflicts: list[Conflict] = field(default_factory=list)
    kept_lines: int = 0             # note lines the source removed that stay on the server


def merge(stored_text: Optional[str], fresh_text: str, derive: Callable[[str], str],
          record: Import) -> MergeResult:
    """The item to store for a record whose source now reads ``fresh_text``.

    ``derive`` gives a text as the server would store it (phone in E.164,
    address normalised): the server's values are compared with the derived
    fresh text, so a number the office typed as the source gives it counts
    as the same.
    """
    fresh = icslines.parse(fresh_text)
    if stored_text is None:
        return MergeResult(_created(fresh, record), created=True)
    stored = icslines.parse(stored_text)
    result = MergeResult(None)
    touched = False
    fresh_parts, stored_parts = _parts(fresh), _parts(stored)
    derived: list[dict[str, icslines.Component]] = []

    def compared(key: str) -> icslines.Component:
        """The derived fresh component, derived only when a value is compared (not for an
        unchanged source, the common case)."""
        if not derived:
            derived.append(_parts(icslines.parse(derive(fresh_text))))
        return derived[0].get(key, fresh_parts[key])

    for key, component in fresh_parts.items():
        master = key == ""
        mark = _mark(component, record.keys if master else ())
        existing = stored_parts.get(key)
        if existing is None:
            _add(stored, component, mark)
            result.changed.append("Termin %s" % _occurrence(component))
            touched = True
            continue
        touched |= _merge_component(existing, component, lambda key=key: compared(key), mark, result,
                                    "" if master else _occurrence(component))
    for key, component in stored_parts.items():
        if key not in fresh_parts and _own_mark(component, key == "") is not None:
            touched |= _retracted(stored, component, result)
    if not touched:
        return result
    master = stored_parts.get("")
    if master is not None and stored.name == "VCALENDAR":
        _stamp_time(master, record.now)
        if result.changed or result.conflicts:
            _log(master, _update_line(record, result))
    _copy_timezones(fresh, stored)
    result.text = icslines.serialize(stored)
    return result


def stamp_stored(text: str) -> str:
    """``text`` (as the server stores it, after derivation) with every mark's stored digests
    set from it: the next import tells the server's later changes from what it wrote now."""
    item = icslines.parse(text)
    changed = False
    for key, component in _parts(item).items():
        mark = _own_mark(component, key == "")
        if mark is None:
            continue
        values = F.read_fields(component)
        stored = {name: digest(values.get(name)) for name in mark.source}
        if stored != dict(mark.stored):
            write_mark(component, Mark(mark.keys, mark.source, stored, mark.notes))
            changed = True
    return icslines.serialize(item) if changed else text


# --- the parts of an item --------------------------------------------------------------------------

def _parts(item: icslines.Component) -> dict[str, icslines.Component]:
    """The merged components by occurrence: '' for the master VEVENT (or the vCard)."""
    if item.name == "VCARD":
        return {"": item}
    return {profile.event_key(event): event for event in profile.events(item)}


def _occurrence(event: icslines.Component) -> str:
    line = event.first("RECURRENCE-ID") or event.first("DTSTART")
    if line is None:
        return "?"
    value = line.value.strip()
    day = "%s.%s.%s" % (value[6:8], value[4:6], value[:4])
    return day + (" %s:%s" % (value[9:11], value[11:13]) if "T" in value else "")


def _own_mark(component: icslines.Component, master: bool) -> Optional[Mark]:
    """The component's mark — but not on a changed occurrence that carries the series' mark
    (with its keys): a client copied it there when someone moved one occurrence, and that
    occurrence is staff's own."""
    mark = read_mark(component)
    return None if mark is not None and mark.keys and not master else mark


def _mark(component: icslines.Component, keys: tuple[str, ...]) -> Mark:
    return mark_of(keys, F.read_fields(component), F.note_lines(component))


def _created(item: icslines.Component, record: Import) -> str:
    for key, component in _parts(item).items():
        mark = _mark(component, record.keys if key == "" else ())
        if key == "":
            _log(component, _created_line(record, component.name))
        write_mark(component, mark)
    return icslines.serialize(item)


def _add(stored: icslines.Component, component: icslines.Component, mark: Mark) -> None:
    copy = icslines.parse("\r\n".join(component.serialize()))
    write_mark(copy, mark)
    stored.lines.append(copy)


def _retracted(stored: icslines.Component, component: icslines.Component, result: MergeResult) -> bool:
    """A changed occurrence the source no longer has: gone when the server left it as imported;
    else it stays, reported once, and is the server's own from then on (its mark goes)."""
    mark = read_mark(component)
    values = F.read_fields(component)
    if all(digest(values.get(name)) == stored_digest for name, stored_digest in mark.stored.items()):
        stored.lines = [line for line in stored.lines if line is not component]
        result.changed.append("Termin %s entfernt" % _occurrence(component))
        return True
    result.conflicts.append(Conflict("occurrence", "geänderter Termin", "behalten", "entfernt",
                                     _occurrence(component)))
    component.remove(PROPERTY)
    return True


# --- one component ---------------------------------------------------------------------------------

def _merge_component(stored: icslines.Component, fresh: icslines.Component,
                     compare: Callable[[], icslines.Component], mark: Mark, result: MergeResult,
                     occurrence: str) -> bool:
    """Merge ``fresh`` into ``stored`` in place; True when the stored text must be written."""
    earlier = _own_mark(stored, not occurrence)
    new, server = F.read_fields(fresh), F.read_fields(stored)
    where = " (Termin %s)" % occurrence if occurrence else ""
    changes = len(result.changed) + len(result.conflicts)
    for one in F.fields_of(stored):
        name = one.name
        source, current = new[name], server[name]
        if earlier is not None and name in earlier.source:
            if digest(source) == earlier.source[name]:
                continue                                   # the source did not change it
            if digest(current) == earlier.stored[name]:
                F.take(stored, fresh, one)                 # only the source changed it
                result.changed.append(one.label + where)
                continue
        elif source is None:
            continue                                       # no earlier state, and the source says nothing
        shown = one.read(compare())
        if current not in (source, shown):
            result.conflicts.append(Conflict(name, one.label, current, shown, occurrence))
    touched = _merge_notes(stored, fresh, earlier, result) or changes != len(result.changed) + len(result.conflicts)
    if touched or earlier is None or (earlier.keys, dict(earlier.source), earlier.notes) != (
            mark.keys, dict(mark.source), mark.notes):
        # The stored digests are set from the derived text when it is written (``stamp_stored``).
        write_mark(stored, Mark(mark.keys, mark.source, earlier.stored if earlier else mark.source, mark.notes))
        return True
    return False


def _merge_notes(stored: icslines.Component, fresh: icslines.Component, earlier: Optional[Mark],
                 result: MergeResult) -> bool:
    """Add the source's new note lines after its own block; never remove a line."""
    lines, incoming = F.note_lines(stored), [line for line in F.note_lines(fresh) if line.strip()]
    known = set(earlier.notes) if earlier is not None else set()
    wanted = {digest(line) for line in incoming}
    present = {digest(line) for line in lines}
    added = [line for line in incoming if digest(line) not in known and digest(line) not in present]
    result.kept_lines += sum(1 for line in lines if digest(line) in known - wanted)
    if not added:
        return False
    ours = known | wanted
    anchor = max((index for index, line in enumerate(lines) if digest(line) in ours), default=-1)
    F.set_note_lines(stored, lines[:anchor + 1] + added + lines[anchor + 1:])
    result.changed.append("Notizen")
    return True


# --- log lines, stamps and time zones ----------------------------------------------------------------

def _created_line(record: Import, name: str) -> str:
    if name == "VCARD":
        return "Importiert aus %s (%s)" % (record.source, record.line)
    return "%s importiert aus %s (%s)" % (_local(record.now), record.source, record.line)


def _update_line(record: Import, result: MergeResult) -> str:
    parts = []
    if result.changed:
        parts.append("übernommen: " + ", ".join(dict.fromkeys(result.changed)))
    if result.conflicts:
        parts.append("Konflikt, Wert auf dem Server behalten: "
                     + ", ".join(dict.fromkeys(c.label for c in result.conflicts)))
    return "%s Import %s (%s): %s" % (_local(record.now), record.source, record.line, "; ".join(parts))


def _local(now: dt.datetime) -> str:
    return now.strftime("%d.%m.%Y %H:%M")


def _log(component: icslines.Component, line: str) -> None:
    """Append a line to the notes: the entry's log every client shows (a contact's NOTE)."""
    lines = F.note_lines(component)
    while lines and not lines[-1].strip():
        lines.pop()
    F.set_note_lines(component, lines + [line])


def _stamp_time(event: icslines.Component, now: dt.datetime) -> None:
    stamp = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    for name in ("DTSTAMP", "LAST-MODIFIED"):
        line = event.first(name)
        if line is not None:
            line.params, line.value, line.raw = [], stamp, None
        else:
            event.lines.append(icslines.Line(name, [], stamp))


def _copy_timezones(fresh: icslines.Component, stored: icslines.Component) -> None:
    """VTIMEZONEs the merged lines now refer to and the stored item lacks."""
    if fresh.name != "VCALENDAR":
        return
    have = {_tzid(zone) for zone in stored.components("VTIMEZONE")}
    used = {line.param("TZID") for event in stored.components("VEVENT") for line in event.lines
            if type(line) is icslines.Line and line.param("TZID")}
    missing = [zone for zone in fresh.components("VTIMEZONE") if _tzid(zone) in used - have]
    if missing:
        first = next((i for i, line in enumerate(stored.lines) if isinstance(line, icslines.Component)),
                     len(stored.lines))
        stored.lines[first:first] = missing


def _tzid(zone: icslines.Component) -> Optional[str]:
    line = zone.first("TZID")
    return line.value.strip() if line is not None else None
