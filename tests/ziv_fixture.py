"""A ZIV-Schnittstelle 4.0 export (SQLite), built from the tables of docs/ziv.md.

``build_ziv(path)`` writes the hand-made district the reader tests rely on
(eight buildings in and around Freising, two Feuerstättenbescheide, one
job already done); ``buildings=20000`` adds generated buildings for
performance runs, ``omit_tables``/``omit_columns`` make the drafts' gaps.

The hand-made part, by building:

====  ==========================================  ===============================================
ID    address                                     whom to call (and why)
====  ==========================================  ===============================================
101   Hauptstraße 12, 85354 Freising              Maria Huber — the Sprecher of two owners
102   Obere Hauptstr. 5a, 85354 Freising          Anna Maier — the sole owner, no Sprecher flag
103   Am Wald 3, 85354 Freising                   Xaver Bäumler — no building owner, the plot's owner
104   Bahnhofstraße 20, 85399 Hallbergmoos        Hausverwaltung Berger — three owners, no Sprecher
105   Dorfstraße 7, 85375 Neufahrn b.Freising     Theresia Müller — Sprecher, mobile only
106   Ringstraße 1, 85386 Eching                  Franz Weiß — Sprecher ('true'), no phone at all
107   Erdinger Str. 7 1/2, 85356 Freising         Georg Schmid — Sprecher beats the building's Verwalter
108   (no plot: no street) 9, 85354               Otto Richter — Sprecher
====  ==========================================  ===============================================

Bescheid 2024-0101 (building 101): Öl-Zentralheizung kehren (01.01.–30.06.) and measure
(01.03.–30.06.), Kaminofen twice (01.01.–30.06., 01.07.–31.12.) → deadlines on 30.06.
(three jobs, window from 01.03.) and 31.12. (one job). Bescheid 2025-0104 (building 104):
Gastherme kehren (01.03.–31.08., done on 14.04. per Kehrbuch → no deadline), Abgasweg
(01.09.–30.11.) and offener Kamin (01.06.–30.11.) → one deadline on 30.11. from 01.09.
The district's bBSF Josef Kaminski is also Mitarbeiter 1, so deadlines are his.
"""

from __future__ import annotations

import pathlib
import sqlite3
from typing import Any, Iterable, Mapping

SCHEMA: dict[str, tuple[str, ...]] = {
    "Meta": ("Abgabe TEXT", "Version_Modell REAL", "Software TEXT", "Software_Version TEXT", "Geschaeftsjahr INTEGER"),
    "Kehrbezirk": ("ID_Kehrbezirk INTEGER PRIMARY KEY", "Bezeichnung TEXT", "bBSF_Vorname TEXT", "bBSF_Name TEXT",
                   "Bundesland TEXT"),
    "Mitarbeiter": ("ID_Mitarbeiter INTEGER PRIMARY KEY", "Vorname TEXT", "Name TEXT", "ID_Kommunikation INTEGER"),
    "Ort": ("ID_Ort INTEGER PRIMARY KEY", "Name TEXT"),
    "Strasse": ("ID_Strasse INTEGER PRIMARY KEY", "Name TEXT", "Strassencode TEXT", "ID_Ort INTEGER"),
    "Grundstueck": ("ID_Grundstueck INTEGER PRIMARY KEY", "ID_Strasse INTEGER", "ID_Kommunikation_Eigentuemer INTEGER",
                    "ID_Kommunikation_Verwalter INTEGER", "Flurnummer TEXT"),
    "Gebaeude_Gebaeudeteil": ("ID_Gebaeude_Gebaeudeteil INTEGER PRIMARY KEY", "Hausnummer TEXT", "PLZ",
                              "Gebaeude_ident TEXT", "ID_Grundstueck INTEGER", "ID_Kehrbezirk INTEGER",
                              "ID_Kommunikation_Verwalter INTEGER", "ID_Kommunikation_Mieter INTEGER"),
    "Gebaeude_Eigentuemer": ("ID_Gebaeude_Gebaeudeteil INTEGER", "ID_Kommunikation INTEGER", "Sprecher"),
    "Kommunikation": ("ID_Kommunikation INTEGER PRIMARY KEY", "Festnetz_1 TEXT", "Festnetz_2 TEXT", "Mobilfunk_1 TEXT",
                      "Mobilfunk_2 TEXT", "EMail_Kommunikation TEXT", "Ansprechpartner TEXT", "Strasse TEXT",
                      "Hausnummer TEXT", "Postfach TEXT", "PLZ TEXT", "Ort TEXT NOT NULL", "Land TEXT NOT NULL",
                      "Zeile_1 TEXT", "Zeile_2 TEXT", "Zeile_3 TEXT", "Zeile_4 TEXT", "Zeile_5 TEXT", "Zeile_6 TEXT"),
    "Feuerstaettenbescheid_Grunddaten": ("ID_Feuerstaettenbescheid_Grunddaten INTEGER PRIMARY KEY",
                                         "ID_Gebaeude_Gebaeudeteil INTEGER", "Ausstellungsdatum TEXT", "Nummer TEXT",
                                         "Naechste_FS INTEGER", "Art TEXT"),
    "Bescheid_Position": ("ID_Bescheid_Position INTEGER PRIMARY KEY", "ID_Feuerstaettenbescheid_Grunddaten INTEGER",
                          "Positionsnummer INTEGER", "Rechtsgrundlage TEXT", "Anlagetyp TEXT", "ID_Anlage INTEGER",
                          "Art_Standort_Anlage TEXT"),
    "Bescheid_Termin_Position": ("ID_Bescheid_Position INTEGER", "Start_Zeitraum TEXT", "Ende_Zeitraum TEXT"),
    "Kehrbuch_Gebaeude": ("ID_Kehrbuch_Gebaeude INTEGER PRIMARY KEY", "ID_Gebaeude_Gebaeudeteil INTEGER"),
    "Kehrbuch_Anlage": ("ID_Kehrbuch_Anlage INTEGER PRIMARY KEY", "ID_Kehrbuch_Gebaeude INTEGER", "ID_Anlage INTEGER"),
    "Kehrbuch_Taetigkeit": ("ID_Kehrbuch_Taetigkeit INTEGER PRIMARY KEY", "ID_Kehrbuch_Anlage INTEGER",
                            "Rechtsgrundlage TEXT", "Taetigkeit_Text TEXT", "Planungszeitraum_von TEXT",
                            "Planungszeitraum_bis TEXT", "Ausfuehrungsdatum TEXT", "Datum_Weiterleitung_Behoerde TEXT"),
}

KUEO_KEHREN = "§ 1 Abs. 1 Nr. 1 KÜO"
KUEO_KAMINOFEN = "§ 1 Abs. 1 Nr. 3 KÜO"
KUEO_ABGASWEG = "§ 1 Abs. 2 KÜO"
BIMSCHV_MESSUNG = "§ 15 1. BImSchV"

_PLACES = {1: ("Freising", "85354"), 2: ("Neufahrn b.Freising", "85375"), 3: ("Eching", "85386"),
           4: ("Hallbergmoos", "85399")}
_STREETS = {1: ("Hauptstraße", 1), 2: ("Obere Hauptstr.", 1), 3: ("Am Wald", 1), 4: ("Bahnhofstraße", 4),
            5: ("Dorfstraße", 2), 6: ("Ringstraße", 3), 7: ("Erdinger Str.", 1), 8: ("Gartenweg", 1)}
_FIRST = ("Josef", "Maria", "Franz", "Anna", "Georg", "Theresia", "Xaver", "Monika", "Peter", "Lena")
_LAST = ("Huber", "Maier", "Schmid", "Müller", "Weiß", "Bäumler", "Gruber", "Brunner", "Koch", "Lehner",
         "Wagner", "Fischer")


def _person(id_: int, name: str, *, fest1=None, fest2=None, mob1=None, mob2=None, email=None, partner=None,
            street="Hauptstraße", number="1", plz="85354", ort="Freising") -> dict[str, Any]:
    return {"ID_Kommunikation": id_, "Festnetz_1": fest1, "Festnetz_2": fest2, "Mobilfunk_1": mob1,
            "Mobilfunk_2": mob2, "EMail_Kommunikation": email, "Ansprechpartner": partner, "Strasse": street,
            "Hausnummer": number, "PLZ": plz, "Ort": ort, "Land": "DE", "Zeile_1": name,
            "Zeile_2": f"{street} {number}", "Zeile_3": f"{plz} {ort}"}


def district_rows(year: int = 2026, bundesland: str = "BY", orphan_window: bool = False) -> dict[str, list[dict]]:
    """The hand-made district as rows per table (see the module docstring)."""
    rows: dict[str, list[dict]] = {table: [] for table in SCHEMA}
    rows["Meta"].append({"Abgabe": f"{year}-03-15 10:00:00", "Version_Modell": 4.0, "Software": "KehrPro",
                         "Software_Version": "12.3", "Geschaeftsjahr": year})
    rows["Kehrbezirk"].append({"ID_Kehrbezirk": 7, "Bezeichnung": "Freising 7", "bBSF_Vorname": "Josef",
                               "bBSF_Name": "Kaminski", "Bundesland": bundesland})
    rows["Mitarbeiter"] += [{"ID_Mitarbeiter": 1, "Vorname": "Josef", "Name": "Kaminski", "ID_Kommunikation": 1},
                            {"ID_Mitarbeiter": 2, "Vorname": "Anna", "Name": "Berger", "ID_Kommunikation": 2},
                            {"ID_Mitarbeiter": 3, "Vorname": "Ben", "Name": "Schuster", "ID_Kommunikation": 3}]
    rows["Ort"] += [{"ID_Ort": key, "Name": name} for key, (name, _plz) in _PLACES.items()]
    rows["Strasse"] += [{"ID_Strasse": key, "Name": name, "Strassencode": f"{key:05d}", "ID_Ort": ort}
                        for key, (name, ort) in _STREETS.items()]
    rows["Kommunikation"] += [
        _person(1, "Josef Kaminski", fest1="08161 9000"),
        _person(2, "Anna Berger", mob1="0171 5550002"),
        _person(3, "Ben Schuster", mob1="0171 5550003"),
        _person(11, "Josef Huber", fest1="08161/12345"),
        _person(12, "Maria Huber", fest1="08161 / 12 34 5", mob1="0171-2345678", email="maria.huber@example.de"),
        _person(21, "Anna Maier", fest1="+49 (0) 8161 98765"),
        _person(31, "Xaver Bäumler", fest1="08161-55 44 33"),
        _person(40, "Hausverwaltung Berger GmbH", fest1="089 / 123 456 - 0", fest2="Fax 089 123456-99",
                partner="Frau Huber", email="info@hv-berger.example", street="Leopoldstraße", number="1",
                plz="80802", ort="München"),
        _person(41, "Eigentümer Whg. 1 Bauer", fest1="08161 1111"),
        _person(42, "Eigentümer Whg. 2 Kraus", fest1="08161 2222"),
        _person(43, "Eigentümer Whg. 3 Sommer"),
        _person(51, "Theresia Müller", mob1="0151-23456789"),
        _person(61, "Franz Weiß"),
        _person(71, "Georg Schmid", fest1="(08161) 12 34 567", fest2="priv. 08161/998877"),
        _person(81, "Otto Richter", fest1="+49 (0)8161 4711"),
    ]
    plots = [(1, 1, None, None), (2, 2, None, None), (3, 3, 31, None), (4, 4, None, 40), (5, 5, None, None),
             (6, 6, None, None), (7, 7, None, None)]
    rows["Grundstueck"] += [{"ID_Grundstueck": key, "ID_Strasse": street, "ID_Kommunikation_Eigentuemer": owner,
                             "ID_Kommunikation_Verwalter": manager, "Flurnummer": f"{100 + key}/2"}
                            for key, street, owner, manager in plots]
    buildings = [(101, "12", "85354", "FS-0101", 1, None), (102, "5a", "85354", "FS-0102", 2, None),
                 (103, "3", "85354", "FS-0103", 3, None), (104, "20", "85399", "FS-0104", 4, None),
                 (105, "7", "85375", "FS-0105", 5, None), (106, "1", "85386", "FS-0106", 6, None),
                 (107, "7 1/2", "85356", None, 7, 40), (108, "9", 85354, "FS-0108", None, None)]
    rows["Gebaeude_Gebaeudeteil"] += [{"ID_Gebaeude_Gebaeudeteil": key, "Hausnummer": number, "PLZ": plz,
                                       "Gebaeude_ident": ident, "ID_Grundstueck": plot, "ID_Kehrbezirk": 7,
                                       "ID_Kommunikation_Verwalter": manager, "ID_Kommunikation_Mieter": None}
                                      for key, number, plz, ident, plot, manager in buildings]
    owners = [(101, 11, 0), (101, 12, 1), (102, 21, None), (104, 41, 0), (104, 42, 0), (104, 43, None),
              (105, 51, 1), (106, 61, "true"), (107, 71, 1), (108, 81, 1)]
    rows["Gebaeude_Eigentuemer"] += [{"ID_Gebaeude_Gebaeudeteil": b, "ID_Kommunikation": k, "Sprecher": s}
                                     for b, k, s in owners]
    rows["Feuerstaettenbescheid_Grunddaten"] += [
        {"ID_Feuerstaettenbescheid_Grunddaten": 1, "ID_Gebaeude_Gebaeudeteil": 101, "Ausstellungsdatum": "2024-05-10",
         "Nummer": "2024-0101", "Naechste_FS": year + 1, "Art": "Erstbescheid"},
        {"ID_Feuerstaettenbescheid_Grunddaten": 2, "ID_Gebaeude_Gebaeudeteil": 104, "Ausstellungsdatum": "2025-02-01",
         "Nummer": "2025-0104", "Naechste_FS": year + 2, "Art": "Änderungsbescheid"}]
    positions = [(1001, 1, 1, KUEO_KEHREN, "Öl-Zentralheizung", 501, "Keller"),
                 (1002, 1, 2, BIMSCHV_MESSUNG, "Öl-Zentralheizung", 501, "Keller"),
                 (1003, 1, 3, KUEO_KAMINOFEN, "Kaminofen", 502, "Wohnzimmer"),
                 (2001, 2, 1, KUEO_KEHREN, "Gas-Brennwerttherme", 601, "Dachgeschoss"),
                 (2002, 2, 2, KUEO_ABGASWEG, "Gas-Brennwerttherme", 601, "Dachgeschoss"),
                 (2003, 2, 3, KUEO_KEHREN, "Offener Kamin", 602, "Wohnzimmer")]
    rows["Bescheid_Position"] += [{"ID_Bescheid_Position": p, "ID_Feuerstaettenbescheid_Grunddaten": b,
                                   "Positionsnummer": n, "Rechtsgrundlage": law, "Anlagetyp": kind, "ID_Anlage": a,
                                   "Art_Standort_Anlage": where} for p, b, n, law, kind, a, where in positions]
    windows = [(1001, "01-01", "06-30"), (1002, "03-01", "06-30"), (1003, "01-01", "06-30"), (1003, "07-01", "12-31"),
               (2001, "03-01", "08-31"), (2002, "09-01", "11-30"), (2003, "06-01", "11-30")]
    if orphan_window:
        windows.append((9999, "01-01", "12-31"))
    rows["Bescheid_Termin_Position"] += [{"ID_Bescheid_Position": p, "Start_Zeitraum": f"{year}-{start}",
                                          "Ende_Zeitraum": f"{year}-{end}"} for p, start, end in windows]
    rows["Kehrbuch_Gebaeude"] += [{"ID_Kehrbuch_Gebaeude": 1, "ID_Gebaeude_Gebaeudeteil": 104},
                                  {"ID_Kehrbuch_Gebaeude": 2, "ID_Gebaeude_Gebaeudeteil": 101}]
    rows["Kehrbuch_Anlage"] += [{"ID_Kehrbuch_Anlage": 11, "ID_Kehrbuch_Gebaeude": 1, "ID_Anlage": 601},
                                {"ID_Kehrbuch_Anlage": 12, "ID_Kehrbuch_Gebaeude": 1, "ID_Anlage": 602},
                                {"ID_Kehrbuch_Anlage": 13, "ID_Kehrbuch_Gebaeude": 2, "ID_Anlage": 501}]
    rows["Kehrbuch_Taetigkeit"] += [
        # Done inside its window: the Gastherme's deadline on 31.08. disappears.
        {"ID_Kehrbuch_Taetigkeit": 1, "ID_Kehrbuch_Anlage": 11, "Rechtsgrundlage": KUEO_KEHREN,
         "Taetigkeit_Text": "Kehren Abgasanlage Gastherme", "Planungszeitraum_von": f"{year}-03-01",
         "Planungszeitraum_bis": f"{year}-08-31", "Ausfuehrungsdatum": f"{year}-04-14"},
        # Done, but for last year's window: the Kamin's deadline on 30.11. stays.
        {"ID_Kehrbuch_Taetigkeit": 2, "ID_Kehrbuch_Anlage": 12, "Rechtsgrundlage": KUEO_KEHREN,
         "Taetigkeit_Text": "Kehren offener Kamin", "Planungszeitraum_von": f"{year - 1}-06-01",
         "Planungszeitraum_bis": f"{year - 1}-11-30", "Ausfuehrungsdatum": f"{year}-01-10"},
        # Planned, not done yet.
        {"ID_Kehrbuch_Taetigkeit": 3, "ID_Kehrbuch_Anlage": 13, "Rechtsgrundlage": KUEO_KEHREN,
         "Taetigkeit_Text": "Kehren Öl-Zentralheizung", "Planungszeitraum_von": f"{year}-01-01",
         "Planungszeitraum_bis": f"{year}-05-31", "Ausfuehrungsdatum": None},
    ]
    return rows


def add_generated(rows: dict[str, list[dict]], count: int, year: int = 2026, windows: int = 1) -> None:
    """``count`` more buildings (IDs from 10000 on): one owner who is
    Sprecher, a landline, one Bescheid with ``windows`` jobs ending on different days."""
    ends = ("06-30", "12-31", "09-30", "03-31")
    for index in range(count):
        key = 10_000 + index
        street_id = index % len(_STREETS) + 1
        place = _PLACES[_STREETS[street_id][1]]
        person = 100_000 + index
        name = f"{_FIRST[index % len(_FIRST)]} {_LAST[(index // len(_FIRST)) % len(_LAST)]}"
        rows["Kommunikation"].append(_person(person, name, fest1=f"08161 {200000 + index % 700000}"))
        rows["Grundstueck"].append({"ID_Grundstueck": key, "ID_Strasse": street_id, "ID_Kommunikation_Eigentuemer": None,
                                    "ID_Kommunikation_Verwalter": None, "Flurnummer": f"{key}/1"})
        rows["Gebaeude_Gebaeudeteil"].append({"ID_Gebaeude_Gebaeudeteil": key, "Hausnummer": str(index % 180 + 1),
                                              "PLZ": place[1], "Gebaeude_ident": f"G-{key}", "ID_Grundstueck": key,
                                              "ID_Kehrbezirk": 7, "ID_Kommunikation_Verwalter": None,
                                              "ID_Kommunikation_Mieter": None})
        rows["Gebaeude_Eigentuemer"].append({"ID_Gebaeude_Gebaeudeteil": key, "ID_Kommunikation": person,
                                             "Sprecher": 1})
        rows["Feuerstaettenbescheid_Grunddaten"].append(
            {"ID_Feuerstaettenbescheid_Grunddaten": key, "ID_Gebaeude_Gebaeudeteil": key,
             "Ausstellungsdatum": f"{year - 1}-10-01", "Nummer": f"{year - 1}-{key}", "Naechste_FS": year + 2,
             "Art": "Erstbescheid"})
        for job in range(windows):
            position = key * 10 + job
            rows["Bescheid_Position"].append(
                {"ID_Bescheid_Position": position, "ID_Feuerstaettenbescheid_Grunddaten": key,
                 "Positionsnummer": job + 1, "Rechtsgrundlage": KUEO_KEHREN, "Anlagetyp": "Gas-Brennwerttherme",
                 "ID_Anlage": position, "Art_Standort_Anlage": "Keller"})
            rows["Bescheid_Termin_Position"].append(
                {"ID_Bescheid_Position": position, "Start_Zeitraum": f"{year}-01-01",
                 "Ende_Zeitraum": f"{year}-{ends[job % len(ends)]}"})


def write(path: pathlib.Path | str, rows: Mapping[str, list[dict]], omit_tables: Iterable[str] = (),
          omit_columns: Mapping[str, Iterable[str]] = {}) -> pathlib.Path:
    """Write ``rows`` as a fresh SQLite file at ``path`` with the SCHEMA's tables, minus the omitted ones."""
    path = pathlib.Path(path)
    if path.exists():
        path.unlink()
    skip_tables = set(omit_tables)
    with sqlite3.connect(path) as db:
        for table, columns in SCHEMA.items():
            if table in skip_tables:
                continue
            dropped = set(omit_columns.get(table, ()))
            kept = [column for column in columns if column.split()[0] not in dropped]
            names = [column.split()[0] for column in kept]
            db.execute(f'CREATE TABLE "{table}" ({", ".join(kept)})')
            db.executemany(f'INSERT INTO "{table}" ({", ".join(names)}) VALUES ({", ".join("?" * len(names))})',
                           ([row.get(name) for name in names] for row in rows.get(table, [])))
    db.close()
    return path


def build_ziv(path: pathlib.Path | str, buildings: int = 8, *, year: int = 2026, bundesland: str = "BY",
              windows: int = 1, omit_tables: Iterable[str] = (), omit_columns: Mapping[str, Iterable[str]] = {},
              orphan_window: bool = False) -> pathlib.Path:
    """Build a ZIV export at ``path``: the hand-made district, plus ``buildings - 8`` generated buildings.

    ``windows``: deadlines per generated building (each one contact + ``windows`` deadline records).
    ``orphan_window``: add a Bescheid window whose position does not exist (a reader reports it skipped).
    """
    rows = district_rows(year, bundesland, orphan_window)
    if buildings > 8:
        add_generated(rows, buildings - 8, year, windows)
    return write(path, rows, omit_tables, omit_columns)
