"""Phone numbers as typed → E.164, with the rules of ADDRESS-RULES.md (P1–P4).

Interim version for the foundation; the full extraction (labels, several
numbers in one field, Fax) is issue 3's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

import phonenumbers


@dataclass(frozen=True)
class Phone:
    e164: str
    type: str  # lower-case phonenumbers number type: mobile, fixed_line, ...


def parse_phone(text: Optional[str], region: str = "DE") -> Optional[Phone]:
    """The number in ``text`` if it is a valid one, else None.

    A number without ``0``, ``+`` or ``00`` in front has no area code (P2),
    even where ``phonenumbers`` would guess one.
    """
    if not text:
        return None
    candidate = text.strip()
    if candidate.lower().startswith("tel:"):
        candidate = candidate[4:]
    digits_start = re.search(r"[+\d]", candidate)
    if not digits_start or not candidate[digits_start.start():].startswith(("0", "+")):
        return None
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    kind = phonenumbers.number_type(number)
    type_name = next((name for name, value in vars(phonenumbers.PhoneNumberType).items()
                      if value == kind and name.isupper()), "unknown")
    return Phone(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
                 type_name.lower())
