"""Phone numbers staff type into an entry's notes.

Thunderbird, iOS and Android show no ``X-KAMIN-*`` property: staff who make
an appointment there write the customer's number into the notes
(DESCRIPTION) or behind the address (LOCATION) — ``Tel.: 0871 123456``,
``Handy 0171/1234567``. A number counts only behind a phone label
(``phone.find_phone(labelled_only=True)``): unlabelled digit runs in notes
are dates, times, house numbers, PLZ and order numbers.

The notes are never rewritten: DESCRIPTION stays as typed, and a LOCATION's
phone part stays as typed behind its normalised address
(``location_keeping_phone``). Pure; no Radicale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional

from radicale_kamin.address.text import unescape
from radicale_kamin.address.phone import Phone, candidates, find_phone

# Where a phone may be found, in this order (the value of X-KAMIN-FROM).
FIELDS = ("DESCRIPTION", "LOCATION")
_SEPARATORS = " \t\n,;-–/"
# A cheap superset of the phone and fax labels of ``phone._LABEL`` (on
# lower-cased, unescaped text): notes are mostly log lines ("Anruf: …"), and the full label
# pattern costs 45 µs on ten of them, this one 9 µs.
_MAY_HAVE_LABEL = re.compile(r"(?<![a-zäöüß])(?:tel|fon|phone|handy|mob|festnetz|ruf|fax)")


def _may_have_label(text: str) -> bool:
    return _MAY_HAVE_LABEL.search(text.lower()) is not None


@dataclass(frozen=True)
class NotesPhone:
    phone: Phone
    field: str        # "DESCRIPTION" or "LOCATION"


def phone_in_notes(description: Optional[str], location: Optional[str],
                   region: str = "DE") -> Optional[NotesPhone]:
    """The first valid labelled phone number of DESCRIPTION, else of
    LOCATION (Fax numbers are skipped), or None."""
    for name, text in zip(FIELDS, (description, location)):
        text = unescape(text) if text else ""
        if not _may_have_label(text):
            continue
        phone = find_phone(text, region, labelled_only=True)
        if phone is not None:
            return NotesPhone(phone, name)
    return None


@dataclass(frozen=True)
class PhoneTail:
    """LOCATION split before its first labelled (phone or fax) number."""

    head: str         # the address part
    separator: str    # what stood between, as typed
    tail: str         # from the label (or an opening bracket before it) to the end


def phone_tail(location: str) -> Optional[PhoneTail]:
    """The LOCATION's phone part and what precedes it, or None when it
    holds no labelled number or nothing before it."""
    labelled = [c for c in candidates(location) if c.label] if _may_have_label(location) else []
    if not labelled:
        return None
    start = labelled[0].start
    opening = re.search(r"[(\[]\s*$", location[:start])
    if opening:
        start = opening.start()
    head = location[:start].rstrip(_SEPARATORS)
    if not head.strip():
        return None
    return PhoneTail(head, location[len(head):start], location[start:])


def labelled_parts(location: str) -> list[str]:
    """The labelled numbers of LOCATION as typed (label included)."""
    if not _may_have_label(location):
        return []
    return [location[c.start:c.end] for c in candidates(location) if c.label]


def location_keeping_phone(address_line: str, tail: Optional[PhoneTail],
                           head_line: Optional[str], location: str) -> str:
    """The normalised address with the LOCATION's phone part behind it, as
    typed. ``head_line`` is the normalised address of ``tail.head`` alone:
    when it is the whole address, everything from the phone label on stays
    verbatim (``Hauptstraße 5, 84028 Landshut, Tel. 0871 123456 (abends)``);
    otherwise (a number before or inside the address) the labelled numbers
    are kept behind it."""
    if tail is not None and head_line == address_line:
        separator = tail.separator
        if not separator or "\n" in separator:
            separator = ", "
        return address_line + separator + tail.tail
    parts = labelled_parts(location)
    return ", ".join([address_line, *parts]) if parts else address_line
