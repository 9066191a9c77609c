"""What every reader of ``kamin import`` hands to the shell: plain records.

A reader turns a third-party file (CSV, vCard, iCalendar, ZIV SQLite) into
:class:`ImportRecord` values and nothing else — no Radicale, no storage, no
verdicts. The shell normalises each record's ``address`` with
``radicale_kamin.address.verdict.normalise`` and writes contacts and entries.

``source_id`` is the record's identity across re-imports of the same export:
it becomes the UID, so importing the file again updates instead of
duplicating. Readers derive it from an id the source gives; only when the
source has none do they hash the identifying columns (:func:`hashed_id`).
``aliases`` are further keys of the same record that do not depend on how
the columns were mapped (a CSV row's raw cells): the shell finds what an
earlier import created under any of them (``docs/imports.md``, "Importing
again").
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Mapping, Optional, Union

# The keys of docs/address-rules.md "Input" — exactly what ``address.normalise`` reads.
ADDRESS_KEYS = ("address", "street", "housenumber", "zip", "city", "district", "phone", "mobile")


When = Union[dt.datetime, dt.date]


@dataclass(frozen=True)
class ImportEntry:
    """A calendar entry to create for a record.

    ``imported``: an appointment from a third-party program; ``start`` is an
    aware datetime (Europe/Berlin when the source gives local times) or a date
    when the source gives no time. ``deadline``: the last day of a
    Feuerstättenbescheid window, an all-day ``date``; ``window_start`` is the
    first day on which every job of the entry may be done.
    """

    kind: str
    start: When
    end: Optional[When] = None
    summary: Optional[str] = None
    description: Optional[str] = None
    window_start: Optional[dt.date] = None
    staff: Optional[str] = None          # employee's name as the source gives it; the shell maps it to a calendar
    # A series (iCalendar): its rule and extra/left-out dates as the source gives them, and its
    # changed occurrences, each an ImportEntry with ``recurrence_id`` (the occurrence it replaces).
    # Times of a series keep their zone (a ZoneInfo or UTC), so weekly 09:00 stays 09:00 across DST.
    rrule: Optional[str] = None
    rdates: tuple[When, ...] = ()
    exdates: tuple[When, ...] = ()
    overrides: tuple["ImportEntry", ...] = ()
    recurrence_id: Optional[When] = None


@dataclass(frozen=True)
class ImportRecord:
    """One contact (and optionally one entry) read from the source."""

    source_id: str
    line: str                                  # where in the source, for the office: "Zeile 17", "Gebäude 123"
    address: Mapping[str, Optional[str]]       # keys from ADDRESS_KEYS only
    customer: Optional[str] = None
    building: Optional[str] = None
    email: Optional[str] = None
    entry: Optional[ImportEntry] = None
    contact_role: Optional[str] = None         # ZIV: whose contact this is ("Sprecher", "Verwalter", …)
    aliases: tuple[str, ...] = ()              # more keys of this record, independent of the column mapping
    name: Optional["PersonName"] = None        # the name in parts, when the source gives them apart
    notes: Optional[str] = None                # remarks on the customer (a contact without an entry keeps them)


@dataclass(frozen=True)
class PersonName:
    """A name as separate columns give it (Anrede, Titel, Vorname, Nachname), for the vCard's ``N``."""

    family: Optional[str] = None
    given: Optional[str] = None
    prefix: Optional[str] = None               # "Herr Dr.", "Frau", "Eheleute", "Firma"


@dataclass(frozen=True)
class Skipped:
    """A part of the source that could not be read at all; reported, never fatal."""

    line: str
    reason: str                                # German, for the office


@dataclass(frozen=True)
class ReadResult:
    format: str                                # "csv", "vcard", "ics", "ziv"
    records: list[ImportRecord]
    skipped: list[Skipped]
    notes: list[str]                           # what the reader noticed or left out, for the summary
    meta: Mapping[str, str] = field(default_factory=dict)   # e.g. {"bundesland": "BY"} from a ZIV file


class UnreadableFile(ValueError):
    """The whole file cannot be read in the requested/detected format (message in German)."""


def address_of(**values: Optional[str]) -> dict[str, Optional[str]]:
    """An address mapping with only the keys of docs/address-rules.md "Input", blanks dropped."""
    unknown = set(values) - set(ADDRESS_KEYS)
    if unknown:
        raise TypeError(f"not address keys: {sorted(unknown)}")
    return {key: value.strip() for key, value in values.items() if value is not None and value.strip()}


def hashed_id(prefix: str, *parts: object) -> str:
    """``prefix:`` + a short hash of the parts — the id of a record whose source has none.

    Whitespace and case are folded first, so a re-export that only changed
    spacing keeps the id.
    """
    text = "\x1f".join(" ".join(str(part or "").split()).casefold() for part in parts)
    return f"{prefix}:{hashlib.sha1(text.encode('utf-8')).hexdigest()[:16]}"


def clean(value: object) -> Optional[str]:
    """A source value as stripped text, or None when blank."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None
