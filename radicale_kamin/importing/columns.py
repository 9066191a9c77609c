"""CSV column names → the fields of an import record.

Data, not branches: a header the office meets in a new export is a new
entry in ``HEADERS``. Headers are compared folded (case, umlauts, ``ß``,
punctuation and spaces ignored), so ``Straße``, ``STRASSE`` and ``Str.``
find the same field. ``docs/imports.md`` prints this table for the office.
"""

from __future__ import annotations

import re
from typing import Mapping, Optional

from radicale_kamin.address.names import fold

# field → header names (as written in exports; folded before comparing). The names come from
# German district programs (Kehrbuch/ZIV field names: Gebäude-Nr, Eigentümer, Verwalter,
# Festnetz, Mobilfunk), spreadsheets the offices keep (Anrede, Vorname, Nachname, Straße und
# Hausnummer) and phone/mail programs' English exports.
HEADERS: dict[str, tuple[str, ...]] = {
    "id": ("Kundennummer", "Kundennr", "Kunden-Nr", "Kd-Nr", "KdNr", "Kunden-ID", "ID", "Customer ID",
           "Customer number", "Termin-Nr", "Termin-ID", "Auftragsnummer", "Auftrags-Nr"),
    "salutation": ("Anrede", "Salutation"),
    "nametitle": ("Akad. Titel", "Akademischer Titel", "Namenstitel"),
    "firstname": ("Vorname", "Vornamen", "First name", "Given name"),
    "customer": ("Name", "Nachname", "Familienname", "Kunde", "Kundenname", "Eigentümer", "Eigentuemer",
                 "Eigentümername", "Eigentümer Name", "Besitzer", "Firma", "Firmenname", "Ansprechpartner",
                 "Customer", "Owner", "Last name", "Family name", "Full name"),
    "manager": ("Verwalter", "Hausverwaltung", "Hausverwalter", "WEG-Verwalter", "Verwaltung", "Verwalter Name",
                "Property manager"),
    "address": ("Adresse", "Anschrift", "Address", "Objektadresse", "Objektanschrift", "Gebäudeadresse",
                "Liegenschaftsadresse", "Ort des Termins", "Einsatzort"),
    "street": ("Straße", "Strasse", "Str", "Straße und Hausnummer", "Straße Hausnummer", "Straße/Hausnummer",
               "Straße und Nr", "Straße Nr", "Street"),
    "housenumber": ("Hausnummer", "Hausnr", "Haus-Nr", "HNr", "Nr", "Number", "House number"),
    "zip": ("PLZ", "Postleitzahl", "Zip", "Zip code", "Postcode", "Postal code"),
    "city": ("Ort", "Stadt", "Wohnort", "Gemeinde", "City", "Town", "PLZ Ort", "PLZ/Ort"),
    "district": ("Ortsteil", "Stadtteil", "OT", "District"),
    "phone": ("Telefon", "Tel", "Telefonnummer", "Festnetz", "Festnetznummer", "Telefon Festnetz", "Rufnummer",
              "Telefon privat", "Tel privat", "Telefon geschäftlich", "Tel geschäftlich", "Telefon dienstlich",
              "Phone", "Telephone", "Fon"),
    "mobile": ("Handy", "Mobil", "Mobilfunk", "Mobilfunknummer", "Mobiltelefon", "Mobilnummer", "Handynummer",
               "Mobile", "Cell"),
    "fax": ("Fax", "Telefax", "Faxnummer"),
    "email": ("E-Mail", "Email", "Mail", "E-Mail-Adresse"),
    "building": ("Liegenschaft", "Liegenschafts-Nr", "Liegenschaftsnummer", "LG-Nr", "Objekt", "Objekt-Nr",
                 "Objektnummer", "Objekt-ID", "Gebäude", "Gebaeude", "Gebäude-Nr", "Gebäudenummer", "Gebäude-ID",
                 "Gebäude-Ident", "Geb.-Nr", "Anlage", "Anlagen-Nr", "Anlagennummer", "Kehrbezirk-Objekt",
                 "Kehrobjekt", "Building", "Building ID"),
    "date": ("Termin", "Datum", "Termindatum", "Date", "Appointment", "Start"),
    "time": ("Uhrzeit", "Zeit", "Beginn", "Von", "Time", "Start time"),
    "end": ("Ende", "Bis", "Uhrzeit bis", "End", "End time"),
    "duration": ("Dauer", "Dauer Min", "Dauer (Min)", "Minuten", "Duration"),
    "summary": ("Betreff", "Titel", "Tätigkeit", "Arbeit", "Leistung", "Art", "Subject", "Title"),
    "description": ("Bemerkung", "Bemerkungen", "Anmerkung", "Anmerkungen", "Notiz", "Notizen", "Hinweis", "Info",
                    "Note", "Notes", "Description", "Beschreibung"),
    "staff": ("Mitarbeiter", "Monteur", "Geselle", "Bearbeiter", "Staff", "Employee"),
}
# Headers not listed exactly ("Tel. geschäftlich 2", "Telefon mobil", "Telefax privat"): words found
# anywhere first, so a fax or mobile number never lands in ``phone``; then numbered ids of a
# building or customer ("Gebäude-Nr. 2", "Objektkennung", "KundenID"); then word stems at the start.
ANYWHERE: tuple[tuple[str, str], ...] = (("fax", "fax"), ("handy", "mobile"), ("mobil", "mobile"))
PATTERNS: tuple[tuple[str, str], ...] = (
    (r"(geb|gebaude|objekt|liegenschafts?|lg|anlagen?|kehrobjekt)(nr|nummer|id|ident|kennung)\d*", "building"),
    (r"(kunden?|kd)(nr|nummer|id|kennung)\d*", "id"),
)
STEMS: tuple[tuple[str, str], ...] = (
    ("telefon", "phone"), ("tel", "phone"), ("rufnummer", "phone"), ("email", "email"), ("strase", "street"),
    ("plz", "zip"), ("kundennummer", "id"), ("verwalt", "manager"), ("hausverwalt", "manager"),
)
# A header whose meaning depends on its neighbours: "Titel" next to Anrede or Vorname is the
# person's title (Dr.), elsewhere an appointment's title.
BESIDE_NAMES: dict[str, str] = {"titel": "nametitle"}
NAME_FIELDS = ("salutation", "firstname")
# Values a ``columns`` override may name besides the fields above.
IGNORE = "ignore"
FIELDS = tuple(HEADERS) + (IGNORE,)
# Fields read but not passed on: a fax number is never a phone to call.
UNUSED = ("fax", IGNORE)
# Several columns for one field: numbers are all candidates (the first valid one wins),
# notes are kept together; for any other field the first filled column counts.
JOINED = {"phone": "; ", "mobile": "; ", "description": "\n", "address": ", ", "manager": ", "}


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
    for pattern, field in PATTERNS:
        if re.fullmatch(pattern, folded):
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
    if any(field in NAME_FIELDS for field in fields):
        fields = [field if key(header) in wanted else BESIDE_NAMES.get(key(header), field)
                  for header, field in zip(headers, fields)]
    return [None if field == IGNORE else field for field in fields]
