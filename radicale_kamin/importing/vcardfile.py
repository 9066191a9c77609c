"""vCard files (a phone's or mail program's contact export) → import records.

Read line by line rather than with vobject: phone exports mix vCard 2.1
(``TEL;CELL:``, ``ENCODING=QUOTED-PRINTABLE`` with ``=`` soft line breaks,
``CHARSET=ISO-8859-1``) and 3.0/4.0 (``TYPE=CELL,VOICE``), and one odd card
must not stop the other 300. What a card says about its customer — name,
address, numbers — is read by the same rules as a stored card's
(``entries.contact``); this module only undoes the file's encodings.
"""

from __future__ import annotations

import quopri
import re
from dataclasses import dataclass, field
from typing import Optional

from radicale_kamin.entries.contact import (CardProperty, address_record, building_address,
                                             customer_name)
from radicale_kamin.importing.records import (ImportRecord, ReadResult, Skipped, address_of, clean,
                                              hashed_id)
from radicale_kamin.importing.textfile import decode

_PARAM_SPLIT = re.compile(r';(?=(?:[^"]*"[^"]*")*[^"]*$)')
_GROUP = re.compile(r"^[A-Za-z0-9-]+\.")          # "item1.TEL" (Apple)


@dataclass
class Property:
    name: str
    params: dict[str, list[str]] = field(default_factory=dict)   # upper-case keys; bare 2.1 types under TYPE
    value: str = ""                                              # decoded, still vCard-escaped

    def types(self) -> set[str]:
        return {value.upper() for value in self.params.get("TYPE", [])}


@dataclass
class Card:
    line: int                       # line of BEGIN:VCARD, 1-based
    number: int                     # 1-based position in the file
    properties: list[Property] = field(default_factory=list)

    def all(self, name: str) -> list[Property]:
        return [prop for prop in self.properties if prop.name == name]

    def first(self, name: str) -> Optional[str]:
        found = self.all(name)
        return found[0].value if found else None


def read_vcard(data: bytes) -> ReadResult:
    text, encoding, notes = decode(data)
    cards, skipped = parse_cards(text)
    records = []
    for card in cards:
        record = to_record(card)
        if isinstance(record, Skipped):
            skipped.append(record)
        else:
            records.append(record)
    versions = sorted({card.first("VERSION") or "?" for card in cards})
    notes.insert(0, f"vCard: {len(cards)} Kontakte, Version {', '.join(versions)}, Kodierung {encoding}")
    return ReadResult("vcard", records, skipped, notes)


def parse_cards(text: str) -> tuple[list[Card], list[Skipped]]:
    cards: list[Card] = []
    skipped: list[Skipped] = []
    card: Optional[Card] = None
    for number, line in _logical_lines(text):
        name, params, value = _split(line)
        if name == "BEGIN" and value.strip().upper() == "VCARD":
            if card is not None:
                skipped.append(Skipped(_where(card), "Kontakt ohne END:VCARD abgebrochen – nicht gelesen"))
            card = Card(number, len(cards) + len(skipped) + 1)
        elif name == "END" and value.strip().upper() == "VCARD":
            if card is not None:
                cards.append(card)
            card = None
        elif card is not None and name:
            card.properties.append(Property(name, params, _decoded(params, value)))
    if card is not None:
        skipped.append(Skipped(_where(card), "Datei endet mitten im Kontakt (END:VCARD fehlt) – nicht gelesen"))
    return cards, skipped


def _logical_lines(text: str):
    """Unfolded lines with their first physical line number.

    RFC folding (a line starting with a space or tab continues the previous
    one) and vCard 2.1 quoted-printable soft breaks (a QP line ending in
    ``=`` continues on the next line) are both undone here.
    """
    current: Optional[str] = None
    start = 0
    for number, line in enumerate(text.split("\n"), 1):
        if current is not None and line[:1] in (" ", "\t"):
            current += line[1:]
            continue
        if current is not None and current.endswith("=") and _is_quoted_printable(current):
            current = current[:-1] + line
            continue
        if current is not None:
            yield start, current
        current, start = line, number
    if current is not None:
        yield start, current


def _is_quoted_printable(line: str) -> bool:
    head = line.split(":", 1)[0].upper()
    return "QUOTED-PRINTABLE" in head


def _split(line: str) -> tuple[str, dict[str, list[str]], str]:
    if ":" not in line:
        return "", {}, ""
    head, value = _split_head(line)
    parts = _PARAM_SPLIT.split(head)
    name = _GROUP.sub("", parts[0].strip()).upper()
    params: dict[str, list[str]] = {}
    for part in parts[1:]:
        if "=" in part:
            key, raw = part.split("=", 1)
            values = [item.strip('"').strip() for item in raw.split(",")]
            params.setdefault(key.strip().upper(), []).extend(values)
        elif part.strip():                                   # vCard 2.1: TEL;CELL;VOICE:
            params.setdefault("TYPE", []).append(part.strip())
    return name, params, value


def _split_head(line: str) -> tuple[str, str]:
    """Split at the first colon outside a quoted parameter value."""
    quoted = False
    for index, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return line[:index], line[index + 1:]
    return line, ""


def _decoded(params: dict[str, list[str]], value: str) -> str:
    encoding = {item.upper() for item in params.get("ENCODING", [])} | set(
        item.upper() for item in params.get("TYPE", []) if item.upper() == "QUOTED-PRINTABLE")
    if "QUOTED-PRINTABLE" not in encoding:
        return value
    raw = quopri.decodestring(value.encode("latin-1", errors="replace"))
    charset = (params.get("CHARSET") or ["utf-8"])[0]
    for candidate in (charset, "utf-8", "cp1252"):
        try:
            return raw.decode(candidate)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("latin-1")


def unescape(value: str) -> str:
    return (value.replace("\\n", "\n").replace("\\N", "\n").replace("\\,", ",")
            .replace("\\;", ";").replace("\\:", ":").replace("\\\\", "\\"))


def _components(value: str) -> list[str]:
    """Structured value (N, ADR) split at unescaped semicolons, each part unescaped."""
    return [unescape(part).strip() for part in re.split(r"(?<!\\);", value)]


def _where(card: Card) -> str:
    return f"Kontakt {card.number} (Zeile {card.line})"


def to_record(card: Card) -> ImportRecord | Skipped:
    props = [CardProperty(p.name, frozenset(p.types()), p.value,
                          "PREF" in p.types() or bool(p.params.get("PREF")))
             for p in card.properties]
    customer = clean(customer_name(props))
    found = address_record(props)
    address = address_of(**{key: value for key, value in found.items()})
    if not customer and not address:
        return Skipped(_where(card), "Kontakt ohne Namen, Adresse und Telefonnummer")
    where = _where(card) + (f": {customer}" if customer else "")
    uid = clean(card.first("UID"))
    adr = building_address(props)
    source_id = f"vcard:{uid}" if uid else hashed_id("vcard", customer,
                                                     adr.value if adr else card.first("LABEL"))
    emails = sorted(card.all("EMAIL"), key=lambda p: not ("PREF" in p.types() or p.params.get("PREF")))
    building = clean(unescape(card.first("X-KAMIN-BUILDING") or ""))
    return ImportRecord(source_id=source_id, line=where, address=address, customer=customer,
                        building=building, email=clean(emails[0].value) if emails else None)
