"""Phone numbers as typed → E.164, with the rules P1–P4 of docs/address-rules.md.

A phone field may hold several numbers, labels (``Tel. privat``, ``Handy``),
``tel:`` URIs, a Fax number or junk; an address text may carry a labelled
number too. The first *valid* number wins (P1); Fax numbers are skipped; a
number without ``0``, ``+`` or ``00`` in front has no area code and is
invalid (P2), even where ``phonenumbers`` would guess one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator, Optional

import phonenumbers

_TYPE_NAMES = {value: name.lower() for name, value in vars(phonenumbers.PhoneNumberType).items()
               if name.isupper()}

# Label words in front of a number. "Telefax" must be tried before "Tel".
_FAX = r"(?:tele)?fax"
_PHONE = (r"tel(?:efon(?:nummer)?|\.?nr)?|fon|phone|handy(?:nummer)?|mobil(?:funk|nummer|telefon)?"
          r"|mobile|mob|festnetz|ruf(?:nummer)?")
_LABEL = re.compile(r"(?<![^\W\d_])(?:(?P<fax>%s)|(?P<phone>%s))(?![^\W\d_])" % (_FAX, _PHONE),
                    re.IGNORECASE)
# A run of digits with the separators people type inside one number.
_RUN = re.compile(r"\+?\(?\d[\d \t()/\-–]*\d|\+?\d")
# Inside a run, a new number starts at a token beginning with 0 or + (German
# subscriber numbers never start with 0), unless only a country code precedes.
_NEW_NUMBER = re.compile(r"\s*/\s*(?=[+0])|\s+(?=\+|0(?!\)))")
_COUNTRY_CODE_ONLY = re.compile(r"^(\+|00)\d{1,3}$")
_PLAIN_DIGITS = re.compile(r"\d")
# What may stand between a label and its number: "Tel.: ", "Tel. privat ", "Handy (mobil): ".
_LABEL_GAP = re.compile(r"[^\n,;\d]{0,30}$")
_NATIONAL_ZERO = re.compile(r"^(\+|00)(\d{2})\s*\(0\)\s*")


@dataclass(frozen=True)
class Phone:
    e164: str
    type: str  # lower-case phonenumbers number type: mobile, fixed_line, ...


@dataclass(frozen=True)
class Candidate:
    """A number as it stands in the text, with the label in front of it."""
    text: str
    label: str   # "phone", "fax" or "" (unlabelled)
    start: int   # where the label (or the number) starts in the text
    end: int


@lru_cache(maxsize=8192)  # imports repeat numbers; the parse is the costly part
def parse_phone(text: Optional[str], region: str = "DE") -> Optional[Phone]:
    """The number in ``text`` if it is one valid number, else None (P2, P3, P4)."""
    if not text:
        return None
    candidate = text.strip()
    if candidate.lower().startswith("tel:"):
        candidate = candidate[4:]
    first = re.search(r"[+\d]", candidate)
    if not first or not candidate[first.start():].startswith(("0", "+")):
        return None  # P2: no area code
    candidate = _NATIONAL_ZERO.sub(r"+\2 ", candidate[first.start():].replace("–", "-"))
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return Phone(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
                 _TYPE_NAMES.get(phonenumbers.number_type(number), "unknown"))


def candidates(text: Optional[str]) -> Iterator[Candidate]:
    """The number runs of ``text`` in order, each with its label (if any).

    A label governs the one run right behind it on the same line and in the
    same comma-separated part (``Tel. privat 089 …``): ``Tel. 089 1, Fax 089 2``
    yields a phone and a fax candidate, while a PLZ on the next line after a
    ``Tel.`` line stays unlabelled.
    """
    if not text:
        return
    labels = [(m.start(), m.end(), "fax" if m.group("fax") else "phone")
              for m in _LABEL.finditer(text)]
    previous_end = 0
    for run in _RUN.finditer(text):
        label, start = "", run.start()
        for l_start, l_end, kind in labels:
            if previous_end <= l_start and l_end <= run.start() and _LABEL_GAP.match(text, l_end, run.start()):
                label, start = kind, l_start
        previous_end = run.end()
        yield Candidate(run.group().strip(), label, start, run.end())


def split_run(run: str) -> list[str]:
    """``089 123456 / 0171 1234567`` → the two numbers it holds."""
    parts: list[str] = []
    position = 0
    for boundary in _NEW_NUMBER.finditer(run):
        head = run[position:boundary.start()]
        if head and not _COUNTRY_CODE_ONLY.match(head.strip()) and "(" not in head[-2:]:
            parts.append(head)
            position = boundary.end()
    parts.append(run[position:])
    return [p.strip() for p in parts if p.strip()]


def _valid_in_run(run: str, region: str) -> Optional[Phone]:
    """First valid number in one run; a run may hold two numbers side by side."""
    for part in split_run(run):
        phone = parse_phone(part, region)
        if phone:
            return phone
    return None


def find_phone(text: Optional[str], region: str = "DE", labelled_only: bool = False) -> Optional[Phone]:
    """First valid number in a free-text field (P1); Fax skipped.

    With ``labelled_only`` (numbers inside an address text) a number counts
    only behind a phone label — an unlabelled scan would read a PLZ as a phone.
    """
    if not text or (labelled_only and not _LABEL.search(text)):
        return None
    for candidate in candidates(text):
        if candidate.label == "fax" or (labelled_only and candidate.label != "phone"):
            continue
        phone = _valid_in_run(candidate.text, region)
        if phone:
            return phone
    return None


def has_number_text(text: Optional[str]) -> bool:
    """Whether ``text`` holds anything that looks like an attempt at a number."""
    return bool(text and _PLAIN_DIGITS.search(text))


def labelled_spans(text: str) -> list[tuple[int, int]]:
    """Spans of labelled numbers (phone or fax, label included) inside an address text.

    The address parser removes them, so their digits are never read as a
    house number or PLZ.
    """
    if not _LABEL.search(text):
        return []
    spans = []
    for candidate in candidates(text):
        if candidate.label:
            spans.append((candidate.start, candidate.end))
    label_only = [(m.start(), m.end()) for m in _LABEL.finditer(text)]
    return spans + [s for s in label_only if not any(a <= s[0] < b for a, b in spans)]
