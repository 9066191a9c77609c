"""A ZIV-Schnittstelle 4.0 export (one SQLite file, see docs/ziv.md) → contacts and deadlines.

Per building (``Gebaeude_Gebaeudeteil``) one contact record: the address
from Strasse/Ort via the plot, the house number and PLZ of the building;
the person to call from ``Kommunikation``. Per Feuerstättenbescheid window
one ``deadline`` record on the window's last day — jobs of one building that
end on the same day are one visit, so they are one entry listing the jobs.

The draft is young: every table but the buildings is optional, missing
columns read as empty, and the notes say what was missing. The whole file
is read table by table into dictionaries and joined in Python — one pass per
table, so 20,000 buildings take well under a second of SQLite.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from radicale_kamin.importing import when
from radicale_kamin.importing.records import (ImportEntry, ImportRecord, ReadResult, Skipped, UnreadableFile,
                                              address_of, clean)

Row = dict[str, Any]

# The tables and columns docs/ziv.md names; anything missing is noted, never fatal (but the buildings).
EXPECTED: dict[str, tuple[str, ...]] = {
    "Meta": ("Abgabe", "Version_Modell", "Software", "Software_Version", "Geschaeftsjahr"),
    "Kehrbezirk": ("ID_Kehrbezirk", "bBSF_Vorname", "bBSF_Name", "Bundesland"),
    "Mitarbeiter": ("ID_Mitarbeiter", "Vorname", "Name"),
    "Ort": ("ID_Ort", "Name"),
    "Strasse": ("ID_Strasse", "Name", "ID_Ort"),
    "Grundstueck": ("ID_Grundstueck", "ID_Strasse", "ID_Kommunikation_Eigentuemer", "ID_Kommunikation_Verwalter"),
    "Gebaeude_Gebaeudeteil": ("ID_Gebaeude_Gebaeudeteil", "Hausnummer", "PLZ", "Gebaeude_ident", "ID_Grundstueck",
                              "ID_Kehrbezirk", "ID_Kommunikation_Verwalter"),
    "Gebaeude_Eigentuemer": ("ID_Gebaeude_Gebaeudeteil", "ID_Kommunikation", "Sprecher"),
    "Kommunikation": ("ID_Kommunikation", "Festnetz_1", "Festnetz_2", "Mobilfunk_1", "Mobilfunk_2",
                      "EMail_Kommunikation", "Ansprechpartner", "Zeile_1"),
    "Feuerstaettenbescheid_Grunddaten": ("ID_Feuerstaettenbescheid_Grunddaten", "ID_Gebaeude_Gebaeudeteil",
                                         "Ausstellungsdatum", "Nummer"),
    "Bescheid_Position": ("ID_Bescheid_Position", "ID_Feuerstaettenbescheid_Grunddaten", "Positionsnummer",
                          "Rechtsgrundlage", "Anlagetyp", "ID_Anlage", "Art_Standort_Anlage"),
    "Bescheid_Termin_Position": ("ID_Bescheid_Position", "Start_Zeitraum", "Ende_Zeitraum"),
    # Done work: docs/ziv.md names the path Kehrbuch_Taetigkeit → Kehrbuch_Anlage → Kehrbuch_Gebaeude → building;
    # the key columns follow the draft's ID_<Tabelle> pattern.
    "Kehrbuch_Taetigkeit": ("ID_Kehrbuch_Anlage", "Rechtsgrundlage", "Planungszeitraum_bis", "Ausfuehrungsdatum"),
    "Kehrbuch_Anlage": ("ID_Kehrbuch_Anlage", "ID_Kehrbuch_Gebaeude", "ID_Anlage"),
    "Kehrbuch_Gebaeude": ("ID_Kehrbuch_Gebaeude", "ID_Gebaeude_Gebaeudeteil"),
}
_TRUE = {"1", "true", "wahr", "ja", "j", "y", "yes", "x", "t"}


@dataclass(frozen=True)
class _Contact:
    kommunikation: Optional[Row]
    role: Optional[str]


@dataclass(frozen=True)
class _Job:
    position: Row
    start: dt.date
    end: dt.date


def read_ziv(path: str) -> ReadResult:
    try:
        uri = pathlib.Path(path).resolve().as_uri() + "?mode=ro"
        with sqlite3.connect(uri, uri=True) as db:
            tables = _Tables(db)
            if not tables.has("Gebaeude_Gebaeudeteil"):
                raise UnreadableFile("ZIV: Tabelle Gebaeude_Gebaeudeteil fehlt – keine Gebäude in der Datei")
            return _Reader(tables).read()
    except sqlite3.DatabaseError as error:
        raise UnreadableFile(f"ZIV: SQLite-Datei nicht lesbar: {error}") from error


class _Tables:
    """Whole tables as lists of dicts with lower-case keys; missing tables/columns noted."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db
        self.notes: list[str] = []
        found = db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')").fetchall()
        self.names = {name.lower(): name for (name,) in found}

    def has(self, table: str) -> bool:
        return table.lower() in self.names

    def rows(self, table: str, why_optional: str = "übersprungen") -> list[Row]:
        if not self.has(table):
            self.notes.append(f"ZIV: Tabelle {table} fehlt, {why_optional}")
            return []
        cursor = self.db.execute(f'SELECT * FROM "{self.names[table.lower()]}"')
        keys = [description[0].lower() for description in cursor.description]
        missing = [column for column in EXPECTED.get(table, ()) if column.lower() not in keys]
        if missing:
            self.notes.append(f"ZIV: in {table} fehlen die Spalten {', '.join(missing)} (als leer gelesen)")
        return [dict(zip(keys, values)) for values in cursor]


def _by(rows: Iterable[Row], column: str) -> dict[Any, Row]:
    return {row.get(column): row for row in rows if row.get(column) is not None}


def _text(value: Any) -> Optional[str]:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return clean(value)


def _date(value: Any) -> Optional[dt.date]:
    """A ZIV date: ``2026-06-30``, ``2026-06-30 00:00:00``, ``30.06.2026``; ValueError if unreadable."""
    text = _text(value)
    if text is None:
        return None
    parsed = when.parse_date(text)
    if parsed is None:
        raise ValueError(text)
    return parsed[0]


def _order(key: Any) -> tuple[int, Any]:
    """IDs in numeric order when they are numbers (101 before 1001), text after."""
    return (0, key) if isinstance(key, int) else (1, str(key))


def _german(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


class _Reader:
    def __init__(self, tables: _Tables):
        self.tables = tables
        self.notes = tables.notes
        self.skipped: list[Skipped] = []
        self.meta: dict[str, str] = {}

    def read(self) -> ReadResult:
        self._meta()
        districts = _by(self.tables.rows("Kehrbezirk", "Bundesland und Mitarbeiter unbekannt"), "id_kehrbezirk")
        self.staff = self._staff(districts)
        self.kommunikation = _by(self.tables.rows("Kommunikation", "keine Namen und Telefonnummern"),
                                 "id_kommunikation")
        places = _by(self.tables.rows("Ort", "Orte fehlen in den Adressen"), "id_ort")
        streets = _by(self.tables.rows("Strasse", "Straßen fehlen in den Adressen"), "id_strasse")
        self.plots = _by(self.tables.rows("Grundstueck", "Straßen und Grundstückseigentümer fehlen"),
                         "id_grundstueck")
        self.owners: dict[Any, list[Row]] = defaultdict(list)
        for row in self.tables.rows("Gebaeude_Eigentuemer", "Eigentümer nur über das Grundstück"):
            self.owners[row.get("id_gebaeude_gebaeudeteil")].append(row)
        buildings = sorted(self.tables.rows("Gebaeude_Gebaeudeteil"),
                           key=lambda row: _order(row.get("id_gebaeude_gebaeudeteil")))
        contacts: dict[Any, ImportRecord] = {}
        for building in buildings:
            record = self._contact(building, streets, places)
            if record is not None:
                contacts[building.get("id_gebaeude_gebaeudeteil")] = record
        district_of = {key: row.get("id_kehrbezirk") for key, row in _by(buildings, "id_gebaeude_gebaeudeteil").items()}
        deadlines = self._deadlines(contacts, district_of)
        self.notes.insert(0, f"ZIV: {len(contacts)} Gebäude, {len(deadlines)} Fristen")
        return ReadResult("ziv", list(contacts.values()) + deadlines, self.skipped, self.notes, self.meta)

    # --- file and district -------------------------------------------------------------------------

    def _meta(self) -> None:
        rows = self.tables.rows("Meta", "Herkunft der Datei unbekannt")
        if rows:
            row = rows[0]
            for key, column in (("abgabe", "abgabe"), ("version", "version_modell"), ("software", "software"),
                                ("software_version", "software_version"), ("geschaeftsjahr", "geschaeftsjahr")):
                if clean(row.get(column)) is not None:
                    self.meta[key] = str(clean(row.get(column)))
            meta = self.meta
            self.notes.append(f"ZIV: Datei von {meta.get('software', '?')} {meta.get('software_version', '')}".rstrip()
                              + f", abgegeben {meta.get('abgabe', '?')}, Datenmodell {meta.get('version', '?')}, "
                              f"Geschäftsjahr {meta.get('geschaeftsjahr', '?')}")
            version = self.meta.get("version", "")
            if version and not version.startswith("4"):
                self.notes.append(f"ZIV: Datenmodell-Version {version} – gelesen wie Version 4.0")

    def _staff(self, districts: dict[Any, Row]) -> dict[Any, Optional[str]]:
        """The employee per Kehrbezirk: an ``ID_Kehrbezirk`` column of Mitarbeiter if the program writes one,
        else the Mitarbeiter who is the district's bBSF (same first and last name), else the only Mitarbeiter."""
        employees = self.tables.rows("Mitarbeiter", "Fristen ohne Mitarbeiter")
        names = {row.get("id_mitarbeiter"): " ".join(part for part in (_text(row.get("vorname")),
                                                                      _text(row.get("name"))) if part)
                 for row in employees}
        staff: dict[Any, Optional[str]] = {}
        states = []
        for key, district in districts.items():
            states.append(_text(district.get("bundesland")))
            self.notes.append(f"ZIV: Kehrbezirk {key}, Bundesland {_text(district.get('bundesland')) or 'unbekannt'}")
            assigned = [row for row in employees if row.get("id_kehrbezirk") == key]
            master = " ".join(part for part in (_text(district.get("bbsf_vorname")), _text(district.get("bbsf_name")))
                              if part)
            if len(assigned) == 1:
                staff[key] = names[assigned[0].get("id_mitarbeiter")]
            elif master and master.casefold() in {name.casefold() for name in names.values()}:
                staff[key] = next(name for name in names.values() if name.casefold() == master.casefold())
            elif len(names) == 1:
                staff[key] = next(iter(names.values()))
            else:
                staff[key] = None
                self.notes.append(f"ZIV: Mitarbeiter für Kehrbezirk {key} nicht bestimmbar – Fristen ohne Zuordnung")
        known = sorted({state for state in states if state})
        if len(known) == 1:
            self.meta["bundesland"] = known[0]
        elif len(known) > 1:
            self.notes.append(f"ZIV: mehrere Bundesländer in der Datei ({', '.join(known)})")
        return staff

    # --- contacts ----------------------------------------------------------------------------------

    def _contact(self, building: Row, streets: dict, places: dict) -> Optional[ImportRecord]:
        key = building.get("id_gebaeude_gebaeudeteil")
        if key is None:
            self.skipped.append(Skipped("Gebäude ohne ID", "Zeile in Gebaeude_Gebaeudeteil ohne ID_Gebaeude_Gebaeudeteil"))
            return None
        plot = self.plots.get(building.get("id_grundstueck")) or {}
        street = streets.get(plot.get("id_strasse")) or {}
        place = places.get(street.get("id_ort")) or {}
        contact = self._person(building, plot)
        row = contact.kommunikation or {}
        address = address_of(street=_text(street.get("name")), housenumber=_text(building.get("hausnummer")),
                             zip=_text(building.get("plz")), city=_text(place.get("name")),
                             phone=_joined(row, "festnetz_1", "festnetz_2"),
                             mobile=_joined(row, "mobilfunk_1", "mobilfunk_2"))
        ident = _text(building.get("gebaeude_ident")) or _text(key)
        return ImportRecord(source_id=f"ziv:gebaeude:{_text(key)}", line=f"Gebäude {_text(key)}",
                            address=address, customer=_name(row), building=ident,
                            email=_text(row.get("email_kommunikation")), contact_role=contact.role)

    def _person(self, building: Row, plot: Row) -> _Contact:
        """Whom to call for a building (docs/ziv.md): the owners' Sprecher; a sole owner; the plot's owner;
        the Verwalter (building's, then plot's); with several owners and nobody else, the first owner."""
        owners = sorted(self.owners.get(building.get("id_gebaeude_gebaeudeteil"), []),
                        key=lambda row: str(row.get("id_kommunikation")))
        speakers = [row for row in owners if str(row.get("sprecher") or "").strip().lower() in _TRUE]
        candidates = [
            (speakers[0] if speakers else None, "Sprecher der Eigentümer"),
            (owners[0] if len(owners) == 1 else None, "Eigentümer"),
            ({"id_kommunikation": plot.get("id_kommunikation_eigentuemer")}, "Grundstückseigentümer"),
            ({"id_kommunikation": building.get("id_kommunikation_verwalter")}, "Verwalter"),
            ({"id_kommunikation": plot.get("id_kommunikation_verwalter")}, "Verwalter"),
            (owners[0] if owners else None, "Eigentümer (kein Sprecher bestimmt)"),
        ]
        for candidate, role in candidates:
            if candidate and candidate.get("id_kommunikation") in self.kommunikation:
                return _Contact(self.kommunikation[candidate["id_kommunikation"]], role)
        return _Contact(None, None)

    # --- deadlines ---------------------------------------------------------------------------------

    def _deadlines(self, contacts: dict[Any, ImportRecord], district_of: dict) -> list[ImportRecord]:
        bescheide = _by(self.tables.rows("Feuerstaettenbescheid_Grunddaten", "keine Fristen"),
                        "id_feuerstaettenbescheid_grunddaten")
        positions = _by(self.tables.rows("Bescheid_Position", "keine Fristen") if bescheide else [],
                        "id_bescheid_position")
        windows = self.tables.rows("Bescheid_Termin_Position", "keine Fristen") if positions else []
        groups: dict[tuple[Any, dt.date], list[_Job]] = defaultdict(list)
        for window in windows:
            where = f"Bescheid-Position {_text(window.get('id_bescheid_position'))}"
            position = positions.get(window.get("id_bescheid_position"))
            bescheid = bescheide.get((position or {}).get("id_feuerstaettenbescheid_grunddaten"))
            if position is None or bescheid is None:
                self.skipped.append(Skipped(where, "Position oder Feuerstättenbescheid fehlt – Frist nicht lesbar"))
                continue
            building = bescheid.get("id_gebaeude_gebaeudeteil")
            if building not in contacts:
                self.skipped.append(Skipped(where, f"Gebäude {_text(building)} fehlt – Frist ohne Adresse"))
                continue
            try:
                start, end = _date(window.get("start_zeitraum")), _date(window.get("ende_zeitraum"))
            except ValueError as error:
                self.skipped.append(Skipped(where, f"Datum des Zeitraums nicht lesbar: {error}"))
                continue
            if end is None:
                self.skipped.append(Skipped(where, "Zeitraum ohne Ende (Ende_Zeitraum leer)"))
                continue
            groups[(building, end)].append(_Job({**position, "bescheid": bescheid}, start or end, end))
        done = _Done(self.tables) if groups else None
        records, all_done = [], 0
        for (building, end), jobs in sorted(groups.items(), key=lambda item: (_order(item[0][0]), item[0][1])):
            open_jobs = [job for job in jobs if not (done and done.covers(building, job))]
            if not open_jobs:
                all_done += 1
                continue
            records.append(self._deadline(contacts[building], district_of.get(building), end, open_jobs,
                                          [job for job in jobs if job not in open_jobs]))
        if done is not None:
            self.notes.extend(done.notes)
        if all_done:
            self.notes.append(f"ZIV: {all_done} Frist(en) ausgelassen – alle Arbeiten laut Kehrbuch erledigt")
        return records

    def _deadline(self, contact: ImportRecord, district: Any, end: dt.date, jobs: list[_Job],
                  done: list[_Job]) -> ImportRecord:
        # One visit for all jobs: the entry's window is where all of them may be done.
        window_start = max(job.start for job in jobs)
        kinds = list(dict.fromkeys(_text(job.position.get("anlagetyp")) or _text(job.position.get("rechtsgrundlage"))
                                   or "Arbeit" for job in jobs))
        lines = []
        for bescheid in dict.fromkeys(id(job.position["bescheid"]) for job in jobs):
            row = next(job.position["bescheid"] for job in jobs if id(job.position["bescheid"]) == bescheid)
            lines.append("Feuerstättenbescheid" + (f" Nr. {_text(row.get('nummer'))}" if _text(row.get("nummer")) else "")
                         + (f" vom {_german_or_text(row.get('ausstellungsdatum'))}" if row.get("ausstellungsdatum") else ""))
        lines += [_job_line(job) for job in jobs]
        lines += ["erledigt: " + _job_line(job) for job in done]
        entry = ImportEntry(kind="deadline", start=end, summary="Frist: " + ", ".join(kinds),
                            description="\n".join(lines), window_start=window_start,
                            staff=self.staff.get(district))
        return ImportRecord(source_id=f"{contact.source_id.replace('ziv:gebaeude:', 'ziv:frist:')}:{end.isoformat()}",
                            line=f"{contact.line}, Frist {_german(end)}", address=contact.address,
                            customer=contact.customer, building=contact.building, email=contact.email,
                            entry=entry, contact_role=contact.contact_role)


class _Done:
    """Which Bescheid jobs the Kehrbuch shows as done (``Ausfuehrungsdatum`` filled).

    A job counts as done when a Kehrbuch activity of the same building — and
    the same installation and Rechtsgrundlage where both sides name one — was
    carried out inside the job's window, or was planned for a period ending
    on the window's end.
    """

    def __init__(self, tables: _Tables):
        self.notes: list[str] = []
        self.by_building: dict[Any, list[tuple[Optional[str], Any, Optional[dt.date], Optional[dt.date]]]] = \
            defaultdict(list)
        if not all(tables.has(name) for name in ("Kehrbuch_Taetigkeit", "Kehrbuch_Anlage", "Kehrbuch_Gebaeude")):
            missing = [name for name in ("Kehrbuch_Taetigkeit", "Kehrbuch_Anlage", "Kehrbuch_Gebaeude")
                       if not tables.has(name)]
            self.notes.append(f"ZIV: Tabelle(n) {', '.join(missing)} fehlen – erledigte Arbeiten nicht erkennbar, "
                              "alle Fristen übernommen")
            return
        buildings = {key: row.get("id_gebaeude_gebaeudeteil")
                     for key, row in _by(tables.rows("Kehrbuch_Gebaeude"), "id_kehrbuch_gebaeude").items()}
        installations = _by(tables.rows("Kehrbuch_Anlage"), "id_kehrbuch_anlage")
        unreadable = 0
        for row in tables.rows("Kehrbuch_Taetigkeit"):
            if not _text(row.get("ausfuehrungsdatum")):
                continue
            installation = installations.get(row.get("id_kehrbuch_anlage")) or {}
            building = buildings.get(installation.get("id_kehrbuch_gebaeude"))
            try:
                carried_out, planned_until = _date(row.get("ausfuehrungsdatum")), _date(row.get("planungszeitraum_bis"))
            except ValueError:
                unreadable += 1
                continue
            if building is not None:
                self.by_building[building].append((_text(row.get("rechtsgrundlage")), installation.get("id_anlage"),
                                                   carried_out, planned_until))
        if unreadable:
            self.notes.append(f"ZIV: {unreadable} Kehrbuch-Tätigkeit(en) mit unlesbarem Datum nicht berücksichtigt")

    def covers(self, building: Any, job: _Job) -> bool:
        basis, installation = _text(job.position.get("rechtsgrundlage")), job.position.get("id_anlage")
        for done_basis, done_installation, carried_out, planned_until in self.by_building.get(building, ()):
            if basis and done_basis and basis != done_basis:
                continue
            if installation is not None and done_installation is not None and installation != done_installation:
                continue
            if (carried_out and job.start <= carried_out <= job.end) or planned_until == job.end:
                return True
        return False


def _joined(row: Row, *columns: str) -> Optional[str]:
    return "; ".join(text for text in (_text(row.get(column)) for column in columns) if text) or None


def _name(row: Row) -> Optional[str]:
    name, person = _text(row.get("zeile_1")), _text(row.get("ansprechpartner"))
    if name and person and person.casefold() not in name.casefold():
        return f"{name} ({person})"
    return name or person


def _german_or_text(value: Any) -> str:
    try:
        day = _date(value)
    except ValueError:
        day = None
    return _german(day) if day else str(value)


def _job_line(job: _Job) -> str:
    position = job.position
    parts = [part for part in (_text(position.get("rechtsgrundlage")), _text(position.get("anlagetyp"))) if part]
    where = _text(position.get("art_standort_anlage"))
    number = _text(position.get("positionsnummer"))
    return ((f"Pos. {number}: " if number else "") + " – ".join(parts or ["Arbeit"])
            + (f" ({where})" if where else "") + f", Zeitraum {_german(job.start)}–{_german(job.end)}")
