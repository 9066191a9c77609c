"""``X-KAMIN-IMPORT``: what the last import of a record wrote, kept in the entry or contact itself.

A re-import needs, per record, the state of the last import: which keys
found it and, per field, what the source said and what the server stored
right after writing it. That is kept in the item's own file, one line per
VEVENT (and one per vCard), so a rebuilt side index, a restored backup or a
copied storage folder still have it; clients keep unknown ``X-`` lines.

Only digests are kept — eight hex digits of a value's SHA-1, twelve of a
key's — because the merge only asks "is this still the same?"; the line
stays short (about 200 characters) and reveals no customer data:

    X-KAMIN-IMPORT:v1 key=3f2a9c1b0d4e start=1a2b3c4d end=… phone=9f8e7d6c/51a0b3c2 note=…

``field=S`` says the source's and the stored value had digest S;
``field=S/T`` that the source said S and the server stored T (it
normalised the value, or kept its own in a conflict); ``-`` is "no
value"; each ``note=`` is one line of the source's notes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional

from radicale_kamin.entries import icslines

PROPERTY = "X-KAMIN-IMPORT"
VERSION = "v1"
NONE = "-"


def digest(value: Optional[str]) -> str:
    return NONE if value is None else hashlib.sha1(value.encode("utf-8")).hexdigest()[:8]


def key_digest(key: str) -> str:
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class Mark:
    keys: tuple[str, ...] = ()                                  # digests of the record's keys
    source: Mapping[str, str] = field(default_factory=dict)     # field → digest the source gave
    stored: Mapping[str, str] = field(default_factory=dict)     # field → digest stored after the import
    notes: frozenset[str] = frozenset()                         # digests of the source's note lines


def mark_of(keys: Iterable[str], source: Mapping[str, Optional[str]], notes: Iterable[str]) -> Mark:
    """The mark of a source's values (the stored side is filled in after derivation)."""
    digests = {name: digest(value) for name, value in source.items()}
    return Mark(tuple(dict.fromkeys(key_digest(key) for key in keys)), digests, dict(digests),
                frozenset(digest(line) for line in notes if line.strip()))


def format_mark(mark: Mark) -> str:
    tokens = [VERSION] + ["key=" + key for key in mark.keys]
    for name, source in mark.source.items():
        stored = mark.stored.get(name, source)
        tokens.append("%s=%s" % (name, source if stored == source else source + "/" + stored))
    tokens += ["note=" + note for note in sorted(mark.notes)]
    return " ".join(tokens)


def parse_mark(value: str) -> Optional[Mark]:
    """The mark in a line's value; None for another version or something unreadable."""
    tokens = icslines.unescape_text(value).split()
    if not tokens or tokens[0] != VERSION:
        return None
    keys, source, stored, notes = [], {}, {}, set()
    for token in tokens[1:]:
        name, sep, rest = token.partition("=")
        if not sep:
            return None
        if name == "key":
            keys.append(rest)
        elif name == "note":
            notes.add(rest)
        else:
            source[name], _, after = rest.partition("/")
            stored[name] = after or source[name]
    return Mark(tuple(keys), source, stored, frozenset(notes))


def read_mark(component: icslines.Component) -> Optional[Mark]:
    line = component.first(PROPERTY)
    return parse_mark(line.value) if line is not None else None


def write_mark(component: icslines.Component, mark: Mark) -> None:
    """Replace the component's mark (appended last, after the server's own lines)."""
    component.remove(PROPERTY)
    component.lines.append(icslines.Line(PROPERTY, [], format_mark(mark)))


def identity(text: str) -> tuple[Optional[str], tuple[str, ...]]:
    """(UID, key digests) of a stored item, read without parsing all of it — an import looks
    at every item of its calendars and address book to find what earlier imports wrote."""
    uid, keys = None, ()
    for raw in icslines.unfold(text):
        head = raw[:15].upper()
        if uid is None and head.startswith("UID") and raw[3:4] in (":", ";"):
            uid = icslines.unescape_text(icslines.parse_line(raw).value).strip()
        elif head.startswith(PROPERTY) and not keys:
            mark = parse_mark(icslines.parse_line(raw).value)
            keys = mark.keys if mark else ()
    return uid, keys
