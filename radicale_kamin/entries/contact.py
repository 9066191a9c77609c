"""The contact profile: a customer's vCard ⇄ plain data, normalised on write.

Customers (owners, administrators) live in a CardDAV address book. Their
address and phone numbers are judged and normalised like an entry's: ADR
becomes ``Straße Nr`` / PLZ / Ort, every TEL becomes E.164 when valid, and
``X-KAMIN-ADDRESS`` says complete / incomplete / unrecognised. A contact is
linked to appointments by its UID (the entry's ``X-KAMIN-CONTACT``) or by a
building (``X-KAMIN-BUILDING``, one line per building); see ``entry.Contact``
for what an entry takes from its contact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from radicale_kamin.entries import icslines
from radicale_kamin.address.verdict import AddressResult, normalise
from radicale_kamin.entries.entry import ADDRESS_BY_VERDICT, Contact
from radicale_kamin.address.names import fold
from radicale_kamin.address.phone import parse_phone

_FAX = "FAX"
_MOBILE = ("CELL", "MOBILE")


@dataclass(frozen=True)
class ContactFacts:
    """What the side index keeps of a contact."""

    uid: Optional[str]
    name: Optional[str]
    phone: Optional[str]            # E.164 of the number to call (valid only)
    phone_type: Optional[str]
    location: Optional[str]         # "Straße Nr, PLZ Ort" when recognised
    address: str                    # complete / incomplete / unrecognised
    buildings: tuple[str, ...]
    address_key: Optional[str] = None   # AddressResult.match_key: entries find it by this

    def as_contact(self) -> Contact:
        return Contact(uid=self.uid, customer=self.name, phone=self.phone,
                       location=self.location)


def _types(line: icslines.Line) -> set[str]:
    """TEL/ADR types, from ``TYPE=cell,voice`` (3.0/4.0) and ``;CELL`` (2.1)."""
    head = (line.raw or "").split(":", 1)[0] if line.raw else ""
    tokens = set(re.split(r"[;,=]", head.upper()))
    for key, value in line.params:
        if key == "TYPE":
            tokens.update(v.strip('"').upper() for v in value.split(","))
    return tokens


def phone_kind(line: icslines.Line) -> str:
    """``fax``, ``mobile`` or ``phone`` for a TEL line, by its types (a fax is never a number to call)."""
    types = _types(line)
    if _FAX in types:
        return "fax"
    return "mobile" if types & set(_MOBILE) else "phone"


def _name(card: icslines.Component) -> Optional[str]:
    for prop in ("FN", "ORG"):
        line = card.first(prop)
        if line is not None and icslines.unescape_text(line.value).strip(" ;"):
            return icslines.unescape_text(line.value).replace(";", " ").strip()
    line = card.first("N")
    if line is not None:
        family, _, rest = line.value.partition(";")
        given = rest.split(";")[0] if rest else ""
        name = " ".join(p for p in (icslines.unescape_text(given), icslines.unescape_text(family)) if p)
        return name or None
    return None


def _adr_parts(line: icslines.Line) -> list[str]:
    parts = [icslines.unescape_text(p) for p in re.split(r"(?<!\\);", line.value)]
    return (parts + [""] * 7)[:7]


def record_of(card: icslines.Component) -> dict[str, Optional[str]]:
    """The address normaliser's input from a vCard (ADDRESS-RULES.md)."""
    record: dict[str, Optional[str]] = {}
    adr = card.first("ADR")
    if adr is not None:
        _, extended, street, city, _, postcode, _ = _adr_parts(adr)
        record.update(street=" ".join(p for p in (street, extended) if p) or None,
                      zip=postcode or None, city=city or None)
    elif card.first("LABEL") is not None:
        record["address"] = icslines.unescape_text(card.first("LABEL").value)
    landlines = [icslines.unescape_text(p.value) for p in card.props("TEL") if phone_kind(p) == "phone"]
    mobiles = [icslines.unescape_text(p.value) for p in card.props("TEL") if phone_kind(p) == "mobile"]
    record["phone"] = " / ".join(landlines) or None
    record["mobile"] = " / ".join(mobiles) or None
    return record


def _escape_component(text: str) -> str:
    """One ADR component: like TEXT, but without newlines."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")


def read_contact(text: str, region: str = "DE") -> tuple[icslines.Component, ContactFacts, AddressResult]:
    card = icslines.parse(text)
    if card.name != "VCARD":
        raise ValueError("not a vCard")
    judged = normalise(record_of(card), region)
    uid = card.first("UID")
    buildings = tuple(icslines.unescape_text(line.value).strip()
                      for line in card.props("X-KAMIN-BUILDING") if line.value.strip())
    facts = ContactFacts(
        uid=icslines.unescape_text(uid.value) if uid else None, name=_name(card),
        phone=judged.phone_e164, phone_type=judged.phone_type,
        location=judged.location_line(), address=ADDRESS_BY_VERDICT[judged.verdict],
        buildings=buildings, address_key=judged.match_key())
    return card, facts, judged


def normalise_contact(text: str, region: str = "DE") -> tuple[str, ContactFacts]:
    """The vCard as stored: ADR and TEL normalised, the verdict added.

    Only recognised addresses are rewritten; numbers that are not valid stay
    as typed (nothing a person typed is lost).
    """
    card, facts, judged = read_contact(text, region)
    adr = card.first("ADR")
    if adr is not None and judged.verdict != "red" and judged.street:
        parts = _adr_parts(adr)
        street = " ".join(p for p in (judged.street, judged.number) if p)
        parts[1:7] = ["", street, judged.city or parts[3], parts[4], judged.postcode or parts[5],
                      parts[6]]
        value = ";".join(_escape_component(p) for p in parts)
        if value != adr.value:
            adr.value, adr.raw = value, None
    for line in card.props("TEL"):
        if _FAX in _types(line):
            continue
        raw = icslines.unescape_text(line.value)
        phone = parse_phone(raw, region)
        if phone is None:
            continue
        value = ("tel:" + phone.e164) if raw.strip().lower().startswith("tel:") else phone.e164
        if value != line.value:
            line.value, line.raw = value, None
    card.remove("X-KAMIN-ADDRESS")
    card.lines.append(icslines.Line("X-KAMIN-ADDRESS", [], facts.address))
    return icslines.serialize(card), facts


def new_contact_text(*, uid: str, name: Optional[str], street: Optional[str],
                     postcode: Optional[str], city: Optional[str], label: Optional[str],
                     phone: Optional[str], mobile: Optional[str], email: Optional[str],
                     buildings: tuple[str, ...], note: Optional[str],
                     name_parts: Optional[tuple[Optional[str], Optional[str], Optional[str]]] = None) -> str:
    """A vCard 3.0 as imports create it (before normalisation). ``name_parts``:
    (family name, given name, prefix such as "Herr Dr.") for ``N`` when the
    source gives the name in parts."""
    lines = [icslines.Line("VERSION", [], "3.0"), icslines.Line("UID", [], icslines.escape_text(uid)),
             icslines.Line("FN", [], icslines.escape_text(name or "Unbekannt"))]
    if name_parts:
        family, given, prefix = name_parts
        lines.append(icslines.Line("N", [], ";".join(_escape_component(p or "")
                                                     for p in (family, given, "", prefix, ""))))
    if street or postcode or city:
        value = ";".join(_escape_component(p or "") for p in
                         ("", "", street, city, "", postcode, "Deutschland"))
        lines.append(icslines.Line("ADR", [("TYPE", "WORK")], value))
    elif label:
        lines.append(icslines.Line("LABEL", [], icslines.escape_text(label)))
    for value, kind in ((phone, "VOICE"), (mobile, "CELL")):
        if value:
            lines.append(icslines.Line("TEL", [("TYPE", kind)], icslines.escape_text(value)))
    if email:
        lines.append(icslines.Line("EMAIL", [], icslines.escape_text(email)))
    lines.extend(icslines.Line("X-KAMIN-BUILDING", [], icslines.escape_text(b)) for b in buildings)
    if note:
        lines.append(icslines.Line("NOTE", [], icslines.escape_text(note)))
    return icslines.serialize(icslines.Component("VCARD", lines))


# --- an entry's contact found by its address ----------------------------------

# Words in customer names that say nothing about who it is.
_NOT_NAME_WORDS = frozenset(
    fold(w) for w in ("herr", "herrn", "frau", "familie", "fam", "eheleute", "ehepaar", "dr",
                      "prof", "und", "geb", "hr", "fr", "gmbh", "co", "kg", "ag", "ohg", "ev"))


def name_words(name: str) -> frozenset[str]:
    """The words that identify a customer: ``Familie Huber`` and ``Huber,
    Hans`` share ``huber``; salutations, titles and legal forms do not count."""
    words = (fold(w) for w in re.split(r"[^\w]+", name) if len(w) > 1)
    return frozenset(w for w in words if w and w not in _NOT_NAME_WORDS)


def same_customer(a: str, b: str) -> bool:
    return bool(name_words(a) & name_words(b))


def contacts_for_entry(customer: Optional[str], at_address: list) -> list:
    """The contacts (rows with a ``name``) at an entry's address (match key)
    that may be its customer: all of them when the entry names nobody, else
    those whose name shares a word with it. One is a link; several are
    ambiguous and never guessed."""
    if not customer or not name_words(customer):
        return list(at_address)
    return [c for c in at_address if c["name"] and same_customer(customer, c["name"])]
