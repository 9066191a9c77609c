"""German addresses and phones → canonical parts and a verdict (docs/address-rules.md).

``normalise(record)`` is the one entry point: it takes what a source gives
(free text in ``address`` and/or CSV-like columns, ``phone``, ``mobile``)
and returns an :class:`AddressResult` with the canonical parts, the verdict
``green`` / ``orange`` / ``red`` and the reasons. Pure: no I/O besides the
postcode table loaded once, no Radicale import.

The work is split by concern: ``address_text`` reads the structure out of
free text, ``places`` checks PLZ and city against the reference data
(repairs R1–R4, T, C), ``streets`` writes street and number canonically,
``phone`` applies P1–P4. This module assembles and judges.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Mapping, Optional

from radicale_kamin.address.text import RawAddress, read_address, unescape
from radicale_kamin.address.names import fold
from radicale_kamin.address.phone import Phone, find_phone, has_number_text
from radicale_kamin.address.places import PlaceResult, resolve, split_district
from radicale_kamin.address.postcodes import table
from radicale_kamin.address.streets import canonical_number, canonical_street


# Reason codes (stable, English) → German text for the office. Data, not branches:
# a new reason is a new row here and one line where it is detected.
REASON_TEXTS = {
    # red: nothing to import
    "address-empty": "Keine Adresse angegeben",
    "address-unrecognised": "Adresse nicht erkennbar",
    "street-missing": "Keine Straße erkennbar (nur PLZ/Ort)",
    "place-missing": "Weder PLZ noch Ort angegeben",
    "postbox": "Postfach/Packstation ist keine Gebäudeadresse",
    "phone-only": "Nur eine Telefonnummer, keine Adresse",
    # orange: needs rework
    "number-missing": "Hausnummer fehlt",
    "postcode-missing": "PLZ fehlt",
    "postcode-malformed": "PLZ ungültig geschrieben",
    "postcode-unknown": "PLZ existiert nicht",
    "city-missing": "Ort fehlt",
    "city-from-postcode": "Ort aus der PLZ ergänzt – bitte prüfen",
    "postcode-city-mismatch": "PLZ und Ort passen nicht zusammen",
    "foreign-address": "Adresse im Ausland",
    "several-addresses": "Mehrere Adressen im Feld – die erste wurde übernommen",
    "phone-missing": "Telefonnummer fehlt",
    "phone-invalid": "Telefonnummer ungültig",
}
# Repairs done on the way (informational; they do not change the verdict).
REPAIR_TEXTS = {
    "R1": "Führende Null der PLZ ergänzt",
    "R2": "PLZ aus Excel-Zahl repariert",
    "R3": "Umlaute im Ortsnamen wiederhergestellt",
    "R4": "Ortsname ausgeschrieben",
    "T": "Tippfehler im Ortsnamen korrigiert",
    "C": "Ort aus der PLZ ergänzt",
}
_EXCEL_NUMBER = re.compile(r"(?<=\d)\.0+$")  # house number 5.0 from a spreadsheet


@dataclass(frozen=True)
class Reason:
    code: str      # stable English code, e.g. "phone-missing"
    text: str      # German text for the office


def reason(code: str) -> Reason:
    return Reason(code, REASON_TEXTS[code])


@dataclass(frozen=True)
class AddressResult:
    street: Optional[str] = None
    number: Optional[str] = None
    postcode: Optional[str] = None
    city: Optional[str] = None
    district: Optional[str] = None
    country: Optional[str] = None
    phone_e164: Optional[str] = None
    phone_type: Optional[str] = None
    verdict: str = "red"
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    repairs: tuple[str, ...] = field(default_factory=tuple)

    def location_line(self) -> Optional[str]:
        """``Straße Nr, PLZ Ort`` — None when no address was recognised."""
        if self.verdict == "red" or not self.street:
            return None
        first = " ".join(p for p in (self.street, self.number) if p)
        second = " ".join(p for p in (self.postcode, self.city) if p)
        return ", ".join(p for p in (first, second) if p)

    def match_key(self) -> Optional[str]:
        """Street, number and town folded: how an entry's address finds the
        contact living there (a missing or mistyped PLZ does not matter)."""
        if self.verdict == "red" or not (self.street and self.number and self.city):
            return None
        return "%s %s, %s" % (fold(self.street), self.number.lower(), fold(self.city))

    def as_json(self) -> dict:
        """The flat JSON of ``kamin address --jsonl`` (docs/address-rules.md), plus German texts and repairs."""
        data = asdict(self)
        data["reasons"] = [r.code for r in self.reasons]
        data["reasons_de"] = [r.text for r in self.reasons]
        data["repairs"] = list(self.repairs)
        return data


def _text(record: Mapping[str, Optional[str]], key: str) -> str:
    value = record.get(key)
    return " ".join(str(value).split()) if value is not None else ""


def _is_city(name: str) -> bool:
    name, _ = split_district(name)
    return bool(name) and bool(table().named(name) or table().named(name.split("-")[0]))


def _columns_text(record: Mapping[str, Optional[str]]) -> str:
    """CSV columns as one address line; misplaced content is sorted out by the text reader."""
    street, number = _text(record, "street"), _EXCEL_NUMBER.sub("", _text(record, "housenumber"))
    if number and re.search(r"\s%s$" % re.escape(number), street):
        number = ""  # the number was typed into both columns
    street = " ".join(p for p in (street, number) if p)
    place = " ".join(p for p in (_text(record, "zip"), _text(record, "city")) if p)
    return "\n".join(p for p in (street, place) if p)


def read(record: Mapping[str, Optional[str]]) -> RawAddress:
    """The raw pieces of a record: columns when there are any, else the free text."""
    columns = _columns_text(record)
    free_text = unescape(str(record.get("address") or ""))
    raw = read_address(columns or free_text, _is_city)
    if columns and not raw.street and free_text.strip():
        raw = read_address(free_text, _is_city)
    district = _text(record, "district")
    if district:
        raw.district = split_district(district)[1] or district
    return raw


def find_record_phone(record: Mapping[str, Optional[str]]) -> tuple[Optional[Phone], bool]:
    """P1: phone, mobile, then labelled numbers in the address text; (phone, anything typed)."""
    for key in ("phone", "mobile"):
        phone = find_phone(_text(record, key))
        if phone:
            return phone, True
    phone = find_phone(unescape(str(record.get("address") or "")), labelled_only=True)
    typed = any(has_number_text(_text(record, k)) for k in ("phone", "mobile"))
    return phone, typed or phone is not None


def normalise(record: Mapping[str, Optional[str]], region: str = "DE") -> AddressResult:
    """Canonical parts and verdict for one record (see docs/address-rules.md)."""
    phone, phone_typed = find_record_phone(record)
    phone_parts = dict(phone_e164=phone.e164, phone_type=phone.type) if phone else {}
    raw = read(record)
    place = resolve(raw.postcode, raw.city, raw.district, raw.country_hint)
    parts = dict(street=canonical_street(raw.street) if raw.street else None,
                 number=canonical_number(raw.number) if raw.number else None,
                 postcode=place.postcode, city=place.city, district=_district(place),
                 repairs=tuple(place.repairs), **phone_parts)
    red = _red_reason(raw, phone)
    if red:
        # What was read is still shown to the clerk; without a country it is never importable.
        return AddressResult(verdict="red", reasons=(reason(red),), country=None, **parts)
    codes = _orange_reasons(raw, place, phone, phone_typed)
    return AddressResult(verdict="orange" if codes else "green", country=place.country,
                         reasons=tuple(reason(c) for c in codes), **parts)


def _district(place: PlaceResult) -> Optional[str]:
    if not place.district or (place.city and fold(place.district) == fold(place.city)):
        return None
    return place.district


def _red_reason(raw: RawAddress, phone: Optional[Phone]) -> Optional[str]:
    """Why no building address can be extracted, or None."""
    if raw.street and (raw.postcode or raw.city):
        return None
    if raw.street:
        return "place-missing"
    if raw.postfach:
        return "postbox"
    if raw.postcode or raw.city:
        return "street-missing"
    if not raw.had_text:
        return "phone-only" if raw.had_phone else "address-empty"
    return "address-unrecognised"


def _orange_reasons(raw: RawAddress, place: PlaceResult, phone: Optional[Phone], phone_typed: bool) -> list[str]:
    codes = []
    if not raw.number:
        codes.append("number-missing")
    codes += {"missing": ["postcode-missing"], "malformed": ["postcode-malformed"],
              "unknown": ["postcode-unknown"], "foreign": ["foreign-address"]}.get(place.postcode_status, [])
    codes += {"missing": ["city-missing"], "filled": ["city-from-postcode"],
              "mismatch": ["postcode-city-mismatch"]}.get(place.city_status, [])
    if raw.several:
        codes.append("several-addresses")
    if not phone:
        codes.append("phone-invalid" if phone_typed else "phone-missing")
    return codes
