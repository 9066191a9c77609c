"""German addresses and phones → canonical parts and a verdict.

Interim version for the foundation: recognises ``Straße Nr, PLZ Ort`` and
``PLZ Ort, Straße Nr`` and judges completeness only. The full normaliser of
ADDRESS-RULES.md (reference data, repairs) is issue 3's; it keeps this
interface.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Mapping, Optional

from radicale_kamin.phone import parse_phone

VERDICTS = ("green", "orange", "red")


@dataclass(frozen=True)
class Reason:
    code: str      # stable English code, e.g. "phone-missing"
    text: str      # German text for the office


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

    def location_line(self) -> Optional[str]:
        """``Straße Nr, PLZ Ort`` — None when no address was recognised."""
        if self.verdict == "red" or not self.street:
            return None
        first = " ".join(p for p in (self.street, self.number) if p)
        second = " ".join(p for p in (self.postcode, self.city) if p)
        return ", ".join(p for p in (first, second) if p)

    def as_json(self) -> dict:
        data = asdict(self)
        data["reasons"] = [r.code for r in self.reasons]
        return data


_STREET = r"(?P<street>[^\d,]*[^\d\s,])\s*(?P<number>\d+\s*[a-zA-Z]?)"
_PLACE = r"(?P<postcode>\d{5})\s+(?P<city>[^,\d]+)"
_PATTERNS = (re.compile(r"^\s*%s\s*,?\s*%s\s*$" % (_STREET, _PLACE)),
             re.compile(r"^\s*%s\s*,?\s*%s\s*$" % (_PLACE, _STREET)))


def normalise(record: Mapping[str, Optional[str]], region: str = "DE") -> AddressResult:
    text = (record.get("address") or "").replace("\\,", ",").replace("\\n", ", ")
    phone = parse_phone(record.get("phone"), region) or parse_phone(record.get("mobile"), region)
    phone_parts = dict(phone_e164=phone.e164, phone_type=phone.type) if phone else {}
    match = next((m for m in (p.match(text) for p in _PATTERNS) if m), None)
    if match is None:
        return AddressResult(verdict="red", reasons=(Reason("address-unrecognised", "Adresse nicht erkannt"),),
                             **phone_parts)
    parts = {k: " ".join(v.split()) for k, v in match.groupdict().items()}
    parts["number"] = parts["number"].replace(" ", "").lower()
    reasons = () if phone else (Reason("phone-missing", "Telefonnummer fehlt oder ungültig"),)
    return AddressResult(country="DE", verdict="orange" if reasons else "green",
                         reasons=reasons, **parts, **phone_parts)
