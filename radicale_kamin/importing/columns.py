"""CSV column names → the fields of an import record.

Data, not branches: a header the office meets in a new export is a new
entry in ``HEADERS``. Headers are compared folded (case, umlauts, ``ß``,
punctuation and spaces ignored), so ``Straße``, ``STRASSE`` and ``Str.``
find the same field. ``docs/imports.md`` prints this table for the office.
"""

from __future__ import annotations

import re
from typing import Mapping, Optional

from radicale_kamin.names import fold

# field → header names (as written in exports; folded before comparing).
HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("Kundennummer", "Kundennr", "Kd-Nr", "KdNr", "Kunden-ID", "ID", "Customer ID",
           "Customer number", "Termin-Nr", "Termin-ID", "Auftragsnummer", "Auftrags-Nr"),
    "customer": ("Name", "Kunde", "Kundenname", "Eigentümer", "Eigentuemer", "Nachname", "Firma",
                 "Ansprechpartner", "Customer", "Owner", "Last name", "Full name"),
    "firstname": ("Vorname", "First name", "Given name"),
    "address": ("Adresse", "Anschrift", "Address", "Objektadresse", "Ort des Termins", "Einsatzort"),
    "street": ("Straße", "Strasse", "Str", "Straße und Hausnummer", "Straße Nr", "Street"),
    "housenumber": ("Hausnummer", "Hausnr", "Haus-Nr", "HNr", "Nr", "Number", "House number"),
    "zip": ("PLZ", "Postleitzahl", "Zip", "Zip code", "Postcode", "Postal code"),
    "city": ("Ort", "Stadt", "Wohnort", "Gemeinde", "City", "Town", "PLZ Ort", "PLZ/Ort"),
    "district": ("Ortsteil", "Stadtteil", "OT", "District"),
    "phone": ("Telefon", "Tel", "Telefonnummer", "Festnetz", "Rufnummer", "Telefon privat", "Tel privat",
              "Telefon geschäftlich", "Phone", "Telephone", "Fon"),
    "mobile": ("Handy", "Mobil", "Mobiltelefon", "Mobilnummer", "Handynummer", "Mobile", "Cell"),
    "fax": ("Fax", "Telefax", "Faxnummer"),
    "email": ("E-Mail", "Email", "Mail", "E-Mail-Adresse"),
    "building": ("Liegenschaft", "Objekt", "Gebäude", "Gebaeude", "LG-Nr", "Liegenschaftsnummer",
                 "Objektnummer", "Objekt-Nr", "Building"),
    "date": ("Termin", "Datum", "Termindatum", "Date", "Appointment", "Start"),
    "time": ("Uhrzeit", "Zeit", "Beginn", "Von", "Time", "Start time"),
    "end": ("Ende", "Bis", "Uhrzeit bis", "End", "End time"),
    "duration": ("Dauer", "Dauer Min", "Dauer (Min)", "Minuten", "Duration"),
    "summary": ("Betreff", "Titel", "Tätigkeit", "Arbeit", "Leistung", "Art", "Subject", "Title"),
    "description": ("Bemerkung", "Bemerkungen", "Notiz", "Notizen", "Hinweis", "Info", "Note", "Notes",
                    "Description", "Beschreibung"),
    "staff": ("Mitarbeiter", "Monteur", "Geselle", "Bearbeiter", "Staff", "Employee"),
}
# Headers not listed exactly ("Tel. geschäftlich 2", "Telefon mobil", "Telefax privat"): words found
# anywhere first, so a fax or mobile number never lands in ``phone``; then word stems at the start.
ANYWHERE: tuple[tuple[str, str], ...] = (("fax", "fax"), ("handy", "mobile"), ("mobil", "mobile"))
STEMS: tuple[tuple[str, str], ...] = (
    ("telefon", "phone"), ("tel", "phone"), ("rufnummer", "phone"), ("email", "email"), ("strase", "street"),
    ("plz", "zip"), ("kundennummer", "id"),
)
# Values a ``columns`` override may name besides the fields above.
IGNORE = "ignore"
FIELDS = tuple(HEADERS) + (IGNORE,)
# Fields read but not passed on: a fax number is never a phone to call.
UNUSED = ("fax", IGNORE)
# Several columns for one field: numbers are all candidates (the first valid one wins),
# notes are kept together; for any other field the first filled column counts.
JOINED = {"phone": "; ", "mobile": "; ", "description": "\n", "address": ", "}


def key(header: str) -> str:
    """The comparison key of a header: folded, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", fold(header))


_EXACT = {key(name): field for field, names in HEADERS.items() for name in names}


def field_for(header: str) -> Optional[str]:
    """The field a header names, or None for a column we do not use."""
    folded = key(header)
    if not folded:
        return None
    if folded in _EXACT:
        return _EXACT[folded]
    for word, field in ANYWHERE:
        if word in folded:
            return field
    for stem, field in STEMS:
        if folded.startswith(stem):
            return field
    return None


def map_headers(headers: list[str], overrides: Mapping[str, str]) -> list[Optional[str]]:
    """Field per column; ``overrides`` ({"Tel. privat": "phone"}) win over the table.

    Raises ValueError for an override naming an unknown field, so a typo in
    ``--column`` is reported instead of silently ignored.
    """
    wanted = {}
    for header, field in overrides.items():
        if field not in FIELDS:
            raise ValueError(f"unbekanntes Feld {field!r} für Spalte {header!r}; erlaubt: {', '.join(FIELDS)}")
        wanted[key(header)] = field
    fields = [wanted.get(key(header)) or field_for(header) for header in headers]
    return [None if field == IGNORE else field for field in fields]
