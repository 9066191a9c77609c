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


# --- what a vCard says about a customer (stored cards and imports alike) -----

# TEL types that are no number to call: a fax never counts as a phone.
_NOT_CALLABLE = frozenset({"FAX", "PAGER", "MODEM", "BBS", "TEXTPHONE"})
_MOBILE_TYPES = frozenset({"CELL", "MOBILE", "IPHONE"})


@dataclass(frozen=True)
class CardProperty:
    """One property of a vCard as its readers hand it over: the stored
    card's (``icslines``) or an import's (``importing.vcardfile``, which
    undoes vCard 2.1's quoted-printable first). ``value`` is still escaped."""

    name: str
    types: frozenset = frozenset()          # TYPE values, upper-case (2.1 bare types too)
    value: str = ""
    preferred: bool = False                 # TYPE=PREF (2.1/3.0) or PREF=1 (4.0)


def _line_types(line: icslines.Line) -> set[str]:
    """TEL/ADR types, from ``TYPE=cell,voice`` (3.0/4.0) and ``;CELL`` (2.1)."""
    head = (line.raw or "").split(":", 1)[0] if line.raw else ""
    tokens = set(re.split(r"[;,=]", head.upper()))
    for key, value in line.params:
        if key == "TYPE":
            tokens.update(v.strip('"').upper() for v in value.split(","))
    return tokens


def card_properties(card: icslines.Component) -> list[CardProperty]:
    """A stored vCard's properties, for the rules below."""
    return [CardProperty(line.name, frozenset(_line_types(line)), line.value,
                         "PREF" in _line_types(line) or line.param("PREF") is not None)
            for line in card.lines if isinstance(line, icslines.Line)]


def phone_kind(line: icslines.Line) -> str:
    """``fax``, ``mobile`` or ``phone`` for a TEL line, by its types (a fax is never a number to call)."""
    return _kind(frozenset(_line_types(line)))


def _kind(types: frozenset) -> str:
    if types & _NOT_CALLABLE:
        return "fax"
    return "mobile" if types & _MOBILE_TYPES else "phone"


def _all(props: list[CardProperty], name: str) -> list[CardProperty]:
    """The ``name`` properties, preferred ones first, else in card order."""
    return sorted((p for p in props if p.name == name), key=lambda p: not p.preferred)


def _first(props: list[CardProperty], name: str) -> str:
    found = _all(props, name)
    return icslines.unescape_text(found[0].value).strip() if found else ""


def _parts(value: str) -> list[str]:
    """A structured value (N, ADR, ORG) split at unescaped semicolons."""
    return [icslines.unescape_text(part).strip() for part in re.split(r"(?<!\\);", value)]


def customer_name(props: list[CardProperty]) -> Optional[str]:
    """FN, else N; an organisation is added or taken when it says more
    (``FN: Hausverwaltung Berger``, ``ORG: Hausverwaltung Berger GmbH``)."""
    name = " ".join(_first(props, "FN").split())
    if not name and _all(props, "N"):
        family, given, additional, prefix, suffix = (_parts(_all(props, "N")[0].value) + [""] * 5)[:5]
        name = " ".join(p for p in (prefix, given, additional, family, suffix) if p)
    organisation = " ".join(" ".join(_parts(_all(props, "ORG")[0].value)).split()) \
        if _all(props, "ORG") else ""
    if name and organisation and name.casefold() in organisation.casefold():
        return organisation
    if name and organisation and organisation.casefold() not in name.casefold():
        return "%s (%s)" % (name, organisation)
    return name or organisation or None


def building_address(props: list[CardProperty]) -> Optional[CardProperty]:
    """The building address: a filled street before a post box, home before
    work, preferred before the rest."""
    adrs = [p for p in _all(props, "ADR") if any(_parts(p.value))]
    if not adrs:
        return None
    return min(adrs, key=lambda p: (not (_parts(p.value) + [""] * 3)[2], "HOME" not in p.types,
                                    not p.preferred))


def _best_adr(props: list[CardProperty]) -> Optional[list[str]]:
    best = building_address(props)
    return (_parts(best.value) + [""] * 7)[:7] if best is not None else None


def address_record(props: list[CardProperty]) -> dict[str, Optional[str]]:
    """The address normaliser's input from a vCard (docs/address-rules.md):
    the building address, else the printed label; landline and mobile
    numbers, preferred first, faxes and pagers left out. A post box is no
    building address: it is handed on as text, and the normaliser says so."""
    record: dict[str, Optional[str]] = {}
    label = _first(props, "LABEL") or None
    adr = _best_adr(props)
    if adr is not None:
        postbox, extended, street, city, _, postcode, _ = adr
        if street:
            record.update(street=" ".join(p for p in (street, extended) if p),
                          zip=postcode or None, city=city or None)
        elif postbox:
            box = postbox if postbox.lower().startswith(("postfach", "pf")) else "Postfach " + postbox
            label = label or ("%s, %s %s" % (box, postcode, city)).strip(", ")
        else:
            record.update(zip=postcode or None, city=city or None)
    if "street" not in record and label:
        record["address"] = label
    phones = {"phone": [], "mobile": []}
    for prop in _all(props, "TEL"):
        number = " ".join(icslines.unescape_text(prop.value).split())
        kind = _kind(prop.types)
        if number and kind != "fax":
            phones[kind].append(number)
    record["phone"] = " / ".join(phones["phone"]) or None
    record["mobile"] = " / ".join(phones["mobile"]) or None
    return record


def _adr_parts(line: icslines.Line) -> list[str]:
    parts = [icslines.unescape_text(p) for p in re.split(r"(?<!\\);", line.value)]
    return (parts + [""] * 7)[:7]


def _escape_component(text: str) -> str:
    """One ADR component: like TEXT, but without newlines."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")


def read_contact(text: str, region: str = "DE") -> tuple[icslines.Component, ContactFacts, AddressResult]:
    card = icslines.parse(text)
    if card.name != "VCARD":
        raise ValueError("not a vCard")
    props = card_properties(card)
    judged = normalise(address_record(props), region)
    uid = card.first("UID")
    buildings = tuple(icslines.unescape_text(line.value).strip()
                      for line in card.props("X-KAMIN-BUILDING") if line.value.strip())
    facts = ContactFacts(
        uid=icslines.unescape_text(uid.value) if uid else None, name=customer_name(props),
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
    best = building_address(card_properties(card))
    adr = next((line for line in card.props("ADR") if best is not None
                and line.value == best.value), None)
    if adr is not None and judged.verdict != "red" and judged.street:
        parts = _adr_parts(adr)
        street = " ".join(p for p in (judged.street, judged.number) if p)
        parts[1:7] = ["", street, judged.city or parts[3], parts[4], judged.postcode or parts[5],
                      parts[6]]
        value = ";".join(_escape_component(p) for p in parts)
        if value != adr.value:
            adr.value, adr.raw = value, None
    for line in card.props("TEL"):
        if phone_kind(line) == "fax":
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
