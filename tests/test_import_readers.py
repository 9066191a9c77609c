"""The readers of ``kamin import``: real files in, plain records out.

Fixtures live in ``tests/fixtures/imports/`` (named for the situation they
capture); the ZIV SQLite file is built by ``tests/ziv_fixture.py``.
"""

from __future__ import annotations

import datetime as dt
import pathlib
import sys
import time
from zoneinfo import ZoneInfo

import pytest

from radicale_kamin.address.verdict import normalise
from radicale_kamin.importing import ADDRESS_KEYS, UnreadableFile, detect_format, read_file
from radicale_kamin.importing.columns import field_for, map_headers
from radicale_kamin.importing.csvfile import detect_delimiter, read_csv
from radicale_kamin.importing.textfile import decode

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from ziv_fixture import build_ziv  # noqa: E402

IMPORTS = pathlib.Path(__file__).parent / "fixtures" / "imports"
MESSY_CSV = IMPORTS / "customers_cp1252_semicolon_messy.csv"
APPOINTMENTS_CSV = IMPORTS / "appointments_utf8_comma_datetime.csv"
PHONE_VCF = IMPORTS / "phone_export_mixed_21_30.vcf"
PROGRAM_ICS = IMPORTS / "thirdparty_program_events.ics"
BERLIN = ZoneInfo("Europe/Berlin")


def by_id(result):
    return {record.source_id: record for record in result.records}


@pytest.fixture(scope="module")
def ziv_file(tmp_path_factory):
    return build_ziv(tmp_path_factory.mktemp("ziv") / "bezirk.sqlite")


# --- format, encoding, delimiter, headers ---------------------------------------------------------

@pytest.mark.parametrize("path, expected", [(MESSY_CSV, "csv"), (APPOINTMENTS_CSV, "csv"), (PHONE_VCF, "vcard"),
                                            (PROGRAM_ICS, "ics")])
def test_format_is_detected_from_the_content(path, expected):
    assert detect_format(path.read_bytes()[:4096]) == expected


def test_ziv_file_is_recognised_by_the_sqlite_header_whatever_its_name(tmp_path):
    path = build_ziv(tmp_path / "export.dat")
    assert read_file(str(path)).format == "ziv"


def test_vcard_with_bom_and_blank_lines_is_still_a_vcard():
    assert detect_format(b"\xef\xbb\xbf\r\n\r\nbegin:vcard\r\nVERSION:3.0\r\n") == "vcard"


def test_forced_format_wins_and_unknown_format_is_refused(tmp_path):
    path = tmp_path / "contacts.txt"
    path.write_bytes(b"BEGIN:VCARD\r\nFN:Josef Huber\r\nEND:VCARD\r\n")
    assert read_file(str(path)).format == "vcard"
    assert read_file(str(path), format="csv").format == "csv"
    assert read_file(str(path), format="VCF").format == "vcard"
    with pytest.raises(ValueError):
        read_file(str(path), format="xlsx")


def test_text_file_forced_as_ziv_is_unreadable_not_a_crash():
    with pytest.raises(UnreadableFile):
        read_file(str(MESSY_CSV), format="ziv")


@pytest.mark.parametrize("data, encoding", [
    ("Straße;Ort\nMühlweg;München\n".encode("cp1252"), "windows-1252"),
    ("Straße;Ort\nMühlweg;München\n".encode("utf-8"), "utf-8"),
    ("Straße;Ort\nMühlweg;München\n".encode("utf-8-sig"), "utf-8 (BOM)"),
    ("Straße\tOrt\nMühlweg\tMünchen\n".encode("utf-16"), "utf-16"),
])
def test_encoding_is_detected(data, encoding):
    text, found, _notes = decode(data)
    assert found == encoding
    assert "Mühlweg" in text and "München" in text


def test_double_encoded_umlauts_are_repaired():
    mojibake = "Name;Ort\nMüller;München\n".encode("utf-8").decode("cp1252").encode("utf-8")
    text, _encoding, notes = decode(mojibake)
    assert "Müller;München" in text
    assert any("repariert" in note for note in notes)


@pytest.mark.parametrize("lines, delimiter", [
    (["Name;Straße;PLZ;Ort", "Huber, Josef;Hauptstr. 1;85354;Freising", "Maier;Am Wald 3;85354;Freising"], ";"),
    (["Name,Straße,PLZ,Ort", '"Huber; Josef",Hauptstr. 1,85354,Freising', "Maier,Am Wald 3,85354,Freising"], ","),
    (["Name\tStraße\tPLZ", "Huber, Josef\tHauptstr. 1\t85354", "Maier\tAm Wald 3\t85354"], "\t"),
    # commas inside the addresses outnumber the semicolons in the data rows
    (["Name;Adresse", "Huber, Josef;Hauptstr. 1, 85354 Freising, OT Vötting", "Maier, Anna;Am Wald 3, Freising"], ";"),
])
def test_delimiter_is_detected(lines, delimiter):
    assert detect_delimiter(lines) == delimiter


@pytest.mark.parametrize("header, field", [
    ("Name", "customer"), ("Kunde", "customer"), ("EIGENTÜMER", "customer"), ("Eigentuemer", "customer"),
    ("Kundenname", "customer"), ("Straße", "street"), ("Strasse", "street"), ("Str.", "street"),
    ("Hausnummer", "housenumber"), ("Hausnr.", "housenumber"), ("Nr", "housenumber"), ("PLZ", "zip"),
    ("Postleitzahl", "zip"), ("zip", "zip"), ("Ort", "city"), ("Stadt", "city"), ("Wohnort", "city"),
    ("city", "city"), ("Ortsteil", "district"), ("Telefon", "phone"), ("Tel.", "phone"), ("Festnetz", "phone"),
    ("phone", "phone"), ("Tel. geschäftlich 2", "phone"), ("Handy", "mobile"), ("Mobil", "mobile"),
    ("Mobiltelefon", "mobile"), ("Telefax", "fax"), ("Fax privat", "fax"), ("Telefax privat", "fax"), ("Telefon mobil", "mobile"), ("Adresse", "address"),
    ("Anschrift", "address"), ("Liegenschaft", "building"), ("Objekt", "building"), ("Gebäude", "building"),
    ("LG-Nr.", "building"), ("Kundennummer", "id"), ("Kd-Nr.", "id"), ("ID", "id"), ("Termin", "date"),
    ("Datum", "date"), ("Uhrzeit", "time"), ("Zeit", "time"), ("E-Mail", "email"), ("Lieblingsfarbe", None),
    # German district programs and the offices' spreadsheets
    ("Gebäude-Nr", "building"), ("Gebäudenummer", "building"), ("Objekt-Nr", "building"),
    ("Objektnummer", "building"), ("Liegenschafts-Nr", "building"), ("Anlage", "building"),
    ("Anlagen-Nr", "building"), ("Kehrbezirk-Objekt", "building"), ("GEBAEUDE_NR", "building"),
    ("Geb.-Nr.", "building"), ("gebaeude nr", "building"), ("Gebäude-Nr. 2", "building"),
    ("Gebäudeart", None), ("Kehrbezirk", None),
    ("Verwalter", "manager"), ("Hausverwaltung", "manager"), ("Hausverwalter Name", "manager"),
    ("Mobilfunk", "mobile"), ("Festnetz", "phone"), ("Telefon privat", "phone"),
    ("Telefon geschäftlich", "phone"), ("Anrede", "salutation"), ("Vorname", "firstname"),
    ("Nachname", "customer"), ("Straße und Hausnummer", "street"), ("Anschrift", "address"),
    ("KundenID", "id"),
])
def test_header_names_map_to_fields(header, field):
    assert field_for(header) == field


def test_titel_beside_the_name_columns_is_the_persons_title():
    assert map_headers(["Anrede", "Titel", "Vorname", "Name"], {}) == ["salutation", "nametitle", "firstname",
                                                                       "customer"]
    assert map_headers(["Datum", "Titel"], {}) == ["date", "summary"]
    assert map_headers(["Vorname", "Titel"], {"Titel": "summary"}) == ["firstname", "summary"]


def test_column_override_wins_and_unknown_field_is_refused():
    assert map_headers(["Name", "Tel. privat", "Notruf"], {"tel. PRIVAT": "mobile", "Notruf": "phone"}) == \
        ["customer", "mobile", "phone"]
    assert map_headers(["Name", "Telefon"], {"Telefon": "ignore"}) == ["customer", None]
    with pytest.raises(ValueError):
        map_headers(["Name"], {"Name": "kunde"})


def test_override_through_read_file_maps_an_unknown_header():
    data = "Name;Rufnummer Büro;Objektlage\nHuber;08161 12345;Hauptstr. 1, 85354 Freising\n".encode("cp1252")
    plain = read_csv(data)
    overridden = read_csv(data, {"Objektlage": "address"})
    assert "address" not in plain.records[0].address
    assert overridden.records[0].address["address"] == "Hauptstr. 1, 85354 Freising"
    assert overridden.records[0].address["phone"] == "08161 12345"


# --- CSV ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def messy():
    return read_file(str(MESSY_CSV))


def test_messy_csv_is_read_as_windows_1252_with_semicolons(messy):
    assert messy.format == "csv"
    assert messy.notes[0] == "CSV: Kodierung windows-1252, Trennzeichen Semikolon (';')"
    assert len(messy.records) == 24                     # 27 rows: one empty, two broken
    assert all(set(record.address) <= set(ADDRESS_KEYS) for record in messy.records)


def test_messy_csv_rows_by_hand(messy):
    records = by_id(messy)
    huber = records["csv:Kd-Nr.:1001"]
    assert huber.line == "Zeile 2"
    assert huber.customer == "Josef Huber"
    assert huber.address == {"street": "Hauptstr.", "housenumber": "12", "zip": "85354", "city": "Freising",
                             "phone": "08161/12345", "mobile": "0171 2345678"}
    assert huber.entry is None
    # Excel float PLZ and lost leading zero are passed on for the normaliser to repair
    assert records["csv:Kd-Nr.:1004"].address["zip"] == "85375.0"
    assert records["csv:Kd-Nr.:1008"].address["zip"] == "1069"
    # the fax column is never a phone
    assert records["csv:Kd-Nr.:1002"].address == {"street": "Obere Hauptstraße", "housenumber": "5a",
                                                  "zip": "85354", "city": "Freising", "phone": "+49 (0)8161 98765"}
    assert "phone" not in records["csv:Kd-Nr.:1021"].address
    # a quoted cell with the delimiter inside, and an id through Excel (1025.0)
    assert records["csv:Kd-Nr.:1020"].customer == "Schneider, Heinz"
    assert "csv:Kd-Nr.:1025" in records
    assert records["csv:Kd-Nr.:1012"].address["district"] == "Lerchenfeld"


def test_messy_csv_verdicts_come_out_as_the_rules_say(messy):
    records = by_id(messy)
    verdicts = {key: normalise(record.address).verdict for key, record in records.items()}
    assert verdicts["csv:Kd-Nr.:1001"] == "green"
    assert verdicts["csv:Kd-Nr.:1004"] == "green"        # 85375.0 repaired
    assert verdicts["csv:Kd-Nr.:1008"] == "green"        # 1069 Dresden → 01069
    assert verdicts["csv:Kd-Nr.:1007"] == "green"        # PLZ first, all in the street column
    assert verdicts["csv:Kd-Nr.:1009"] == "green"        # Fax-labelled number skipped, Tel. taken
    assert verdicts["csv:Kd-Nr.:1006"] == "orange"       # house number missing
    assert verdicts["csv:Kd-Nr.:1021"] == "orange"       # only a fax
    assert verdicts["csv:Kd-Nr.:1014"] == "red"          # Postfach
    assert verdicts["csv:Kd-Nr.:1016"] == "red"          # "siehe Rechnung"


def test_empty_row_is_skipped_silently_and_broken_rows_are_reported(messy):
    lines = {record.line for record in messy.records}
    assert "Zeile 9" not in lines                          # ;;;;;;;;;;;
    assert [(skip.line, skip.reason.split(" –")[0]) for skip in messy.skipped] == [
        ("Zeile 15", "14 Felder statt 12"),                 # delimiters inside the remark
        ("Zeile 27", "Anführungszeichen nicht geschlossen"),
    ]
    assert "Zeile 28" in lines                              # the row after the open quote is read


def test_appointments_csv_gives_imported_entries_in_berlin_time():
    result = read_file(str(APPOINTMENTS_CSV))
    records = by_id(result)
    assert result.notes[0] == "CSV: Kodierung utf-8, Trennzeichen Komma (',')"
    first = records["csv:Termin-Nr:A-1001"]
    assert first.customer == "Huber, Josef"
    assert first.address == {"address": "Hauptstr. 12, 85354 Freising", "phone": "08161 12345"}
    assert first.entry.kind == "imported"
    assert first.entry.start == dt.datetime(2026, 3, 24, 9, 30, tzinfo=BERLIN)
    assert first.entry.end == dt.datetime(2026, 3, 24, 10, 15, tzinfo=BERLIN)       # Dauer 45
    assert (first.entry.summary, first.entry.staff) == ("Kehren", "Anna Berger")
    assert records["csv:Termin-Nr:A-1002"].entry.start == dt.datetime(2026, 3, 24, 10, 30, tzinfo=BERLIN)  # 24.03.26
    dst_day = records["csv:Termin-Nr:A-1003"].entry                                    # 2026-03-29, 9:00-10:00
    assert dst_day.start.utcoffset() == dt.timedelta(hours=2)
    assert dst_day.end == dt.datetime(2026, 3, 29, 10, 0, tzinfo=BERLIN)
    assert records["csv:Termin-Nr:A-1004"].entry.start == dt.date(2026, 3, 25)       # no time: all day
    assert records["csv:Termin-Nr:A-1006"].entry.start.time() == dt.time(8, 15)       # 8.15
    assert records["csv:Termin-Nr:A-1007"].entry.start == dt.datetime(2026, 3, 26, 14, 0, tzinfo=BERLIN)
    assert records["csv:Termin-Nr:A-1008"].entry.start.time() == dt.time(9, 0)        # 9 Uhr
    assert [(skip.line, skip.reason) for skip in result.skipped] == [
        ("Zeile 7", "Datum gibt es nicht: '31.02.2026'"), ("Zeile 11", "Uhrzeit nicht lesbar: '25:00'")]
    assert len(result.records) == 7


def test_csv_ids_are_stable_when_read_twice_and_when_rows_are_reordered():
    data = MESSY_CSV.read_bytes()
    header, *rows = data.split(b"\r\n")
    shuffled = b"\r\n".join([header, *reversed([row for row in rows if row])])
    first, again, reordered = read_csv(data), read_csv(data), read_csv(shuffled)
    assert [r.source_id for r in first.records] == [r.source_id for r in again.records]
    by_first, by_reordered = by_id(first), by_id(reordered)
    assert set(by_first) == set(by_reordered)
    assert all(by_first[key].address == by_reordered[key].address for key in by_first)


def test_csv_without_id_column_hashes_the_row_and_survives_reordering():
    rows = ["Name;Straße;PLZ;Ort", "Huber;Hauptstr. 1;85354;Freising", "Maier;Am Wald 3;85354;Freising"]
    forward = read_csv("\n".join(rows).encode())
    backward = read_csv("\n".join([rows[0], rows[2], rows[1]]).encode())
    assert {r.source_id for r in forward.records} == {r.source_id for r in backward.records}
    assert all(r.source_id.startswith("csv:") for r in forward.records)
    # spacing and case do not change the id
    respaced = read_csv("\n".join([rows[0], "HUBER ;Hauptstr.  1;85354;Freising"]).encode())
    assert respaced.records[0].source_id == by_name(forward, "Huber").source_id


def by_name(result, name):
    return next(record for record in result.records if record.customer == name)


def test_repeated_customer_number_is_told_apart_by_address_not_by_order():
    rows = ["Kundennummer;Name;Straße;PLZ;Ort", "7;Huber;Hauptstr. 1;85354;Freising", "7;Huber;Am Wald 3;85354;Freising"]
    forward = read_csv("\n".join(rows).encode())
    backward = read_csv("\n".join([rows[0], rows[2], rows[1]]).encode())
    ids = {record.address["street"]: record.source_id for record in forward.records}
    assert len(set(ids.values())) == 2
    assert all(source_id.startswith("csv:Kundennummer:7:") for source_id in ids.values())
    assert ids == {record.address["street"]: record.source_id for record in backward.records}


def test_csv_without_known_headers_reads_each_row_as_free_address():
    result = read_csv("Hauptstr. 1, 85354 Freising\nAm Wald 3, 85354 Freising\n".encode())
    assert [record.address for record in result.records] == [{"address": "Hauptstr. 1, 85354 Freising"},
                                                             {"address": "Am Wald 3, 85354 Freising"}]


def test_several_phone_columns_are_all_candidates():
    result = read_csv("Name;Tel. privat;Tel. geschäftlich;Fax\nHuber;;08161 12345;08161 12346\n".encode())
    assert result.records[0].address == {"phone": "08161 12345"}


def test_quote_inside_an_unquoted_cell_is_text_and_a_quoted_cell_may_span_lines():
    data = ('Name;Adresse;Telefon\nHuber "Sepp";Hauptstr. 1, 85354 Freising;08161 1\n'
            '"Maier; Anna";"Am Wald 3\n85354 Freising";08161 2\nBrunner;"Isarstr. ""Alt"" 2";08161 3\n')
    result = read_csv(data.encode())
    assert [(r.line, r.customer, r.address["address"]) for r in result.records] == [
        ("Zeile 2", 'Huber "Sepp"', "Hauptstr. 1, 85354 Freising"),
        ("Zeile 3", "Maier; Anna", "Am Wald 3\n85354 Freising"),
        ("Zeile 5", "Brunner", 'Isarstr. "Alt" 2')]
    assert result.skipped == []


def test_empty_file_is_no_crash():
    assert read_csv(b"").records == []
    assert read_csv(b"\r\n\r\n").records == []


DISTRICT_CSV = IMPORTS / "district_export_cp1252_building_numbers.csv"


def test_district_export_is_read_with_building_ids_names_and_administrator():
    result = read_file(str(DISTRICT_CSV))
    assert result.notes[0] == "CSV: Kodierung windows-1252, Trennzeichen Semikolon (';')"
    assert "CSV: nicht verwendete Spalten 'Kehrbezirk'" in result.notes
    assert len(result.records) == 11 and result.skipped == []
    assert all(record.building for record in result.records)
    maier = next(r for r in result.records if r.line == "Zeile 4")
    assert (maier.customer, maier.building, maier.name.prefix) == ("Dr. Anna Maier", "FS-0102", "Frau Dr.")
    assert maier.address == {"street": "Obere Hauptstraße 5a", "zip": "85354", "city": "Freising",
                             "phone": "08161 98765"}
    berger = next(r for r in result.records if r.line == "Zeile 6")
    assert berger.customer == "Wohnbau Berger GmbH"
    assert berger.entry.description == "Schlüssel beim Hausmeister\nVerwalter: Hausverwaltung Berger GmbH"
    assert next(r for r in result.records if r.line == "Zeile 10").building == "0815"   # leading zero kept
    fischer = next(r for r in result.records if r.line == "Zeile 13")
    assert fischer.entry is None and fischer.notes == "Eigentümerwechsel gemeldet"


def test_administrator_stands_in_when_the_row_names_no_owner():
    result = read_csv("Objekt-Nr;Hausverwaltung;Anschrift\n7;HV Berger GmbH;Bahnhofstr. 20, 85399 Hallbergmoos\n"
                      .encode())
    assert (result.records[0].customer, result.records[0].notes) == ("HV Berger GmbH", None)


def test_a_rows_key_does_not_depend_on_the_column_mapping():
    data = DISTRICT_CSV.read_bytes()
    plain = read_csv(data)
    remapped = read_csv(data, {"Gebäude-Nr": "ignore", "Vorname": "ignore", "Verwalter": "ignore"})
    assert [r.source_id for r in plain.records] != [r.source_id for r in remapped.records]
    assert [r.aliases for r in plain.records] == [r.aliases for r in remapped.records]
    assert all(len(r.aliases) == 1 and r.aliases[0].startswith("csv-row:") for r in plain.records)


def test_identical_rows_share_no_row_key():
    result = read_csv("Name;Straße;Ort\nHuber;Hauptstr. 1;Freising\nHuber;Hauptstr. 1;Freising\n".encode())
    assert [r.aliases for r in result.records] == [(), ()]
    assert len({r.source_id for r in result.records}) == 2


# --- vCard ----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cards():
    return read_file(str(PHONE_VCF))


def test_phone_export_reads_all_versions(cards):
    assert cards.format == "vcard"
    assert cards.notes[0] == "vCard: 10 Kontakte, Version 2.1, 3.0, 4.0, Kodierung utf-8"
    assert len(cards.records) == 9
    assert sorted(skip.line for skip in cards.skipped) == ["Kontakt 11 (Zeile 91)", "Kontakt 9 (Zeile 76)"]


def test_vcard_30_with_uid_fax_and_types(cards):
    huber = by_id(cards)["vcard:5f1c2a9e-0001-4c1e-9d7a-huber"]
    assert huber.customer == "Josef Huber"
    assert huber.address == {"street": "Hauptstr. 12", "zip": "85354", "city": "Freising",
                             "phone": "08161/12345", "mobile": "0171 2345678"}       # WORK,FAX left out
    assert huber.email == "josef.huber@example.de"
    assert normalise(huber.address).verdict == "green"


def test_vcard_21_quoted_printable_with_soft_breaks_and_charsets(cards):
    names = {record.customer: record for record in cards.records}
    mueller = names["Theresia Müller"]
    assert mueller.address["street"] == "Dorfstraße 7"
    assert mueller.address["city"] == "Neufahrn b.Freising"       # QP soft line break inside the value
    assert mueller.address["mobile"] == "+4915123456789"
    weiss = names["Franz Weiß"]                                     # CHARSET=ISO-8859-1
    assert weiss.address == {"street": "Ringstraße 1", "zip": "85386", "city": "Eching", "phone": "08165 4711"}


def test_vcard_fax_only_label_only_postbox_and_uri_phones(cards):
    names = {record.customer: record for record in cards.records}
    assert "phone" not in names["Peter Fischer"].address and "mobile" not in names["Peter Fischer"].address
    assert names["Hausverwaltung Berger GmbH"].address == {"address": "Bahnhofstraße 20\n85399 Hallbergmoos",
                                                          "phone": "089 / 123 456 - 0"}
    assert normalise(names["Monika Lehner"].address).verdict == "red"
    gruber = names["Lena Gruber"]
    assert gruber.address["mobile"] == "tel:+49-171-9876543"
    assert (gruber.email, gruber.building) == ("lena@example.org", "FS-0815")
    assert names["Georg Schmid (Schmid Bau GmbH)"].address["phone"] == "089 123456-0"   # Apple item1.TEL


def test_vcard_without_uid_gets_a_stable_hash(cards):
    again = read_file(str(PHONE_VCF))
    assert [r.source_id for r in cards.records] == [r.source_id for r in again.records]
    fischer = next(record for record in cards.records if record.customer == "Peter Fischer")
    assert fischer.source_id.startswith("vcard:") and len(fischer.source_id) == len("vcard:") + 16


# --- iCalendar ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def events():
    return read_file(str(PROGRAM_ICS))


def test_ics_events_become_imported_entries(events):
    assert events.format == "ics"
    assert len(events.records) == 7
    assert [skip.reason for skip in events.skipped] == ["Termin abgesagt (STATUS:CANCELLED)"]
    assert any("Serientermin" in note for note in events.notes)
    assert any("VTODO" in note for note in events.notes)
    assert all(record.entry.kind == "imported" for record in events.records)


def test_ics_event_with_custom_vtimezone_and_labelled_description(events):
    huber = by_id(events)["ics:kp-2026-000101@kehrplan.example"]
    assert huber.entry.start == dt.datetime(2026, 3, 24, 9, 30, tzinfo=BERLIN)
    assert huber.entry.end == dt.datetime(2026, 3, 24, 10, 15, tzinfo=BERLIN)
    assert huber.customer == "Josef Huber"
    assert huber.address == {"address": "Hauptstr. 12, 85354 Freising", "phone": "08161/12345",
                             "mobile": "0171 2345678"}
    assert huber.building == "FS-0101"
    assert normalise(huber.address).verdict == "green"


def test_ics_utc_windows_zone_all_day_and_floating(events):
    records = by_id(events)
    maier = records["ics:kp-2026-000102@kehrplan.example"]
    assert maier.entry.start == dt.datetime(2026, 3, 24, 10, 30, tzinfo=BERLIN)      # 09:30Z
    assert maier.entry.end - maier.entry.start == dt.timedelta(hours=1)               # DURATION
    assert (maier.customer, maier.address["phone"]) == ("Anna Maier", "tel:+49-8161-98765")
    schmid = records["ics:kp-2026-000103@kehrplan.example"]
    assert schmid.entry.start == dt.datetime(2026, 3, 29, 9, 0, tzinfo=BERLIN)        # W. Europe Standard Time
    assert (schmid.customer, schmid.address["phone"]) == ("Georg Schmid", "089 1234560")
    assert records["ics:kp-2026-000104@kehrplan.example"].entry.start == dt.date(2026, 3, 25)
    floating = records["ics:kp-2026-000105@kehrplan.example"]
    assert floating.entry.start == dt.datetime(2026, 3, 26, 8, 15, tzinfo=BERLIN)
    assert floating.address["phone"] == "08161 55443"


def test_ics_event_without_uid_gets_a_stable_id(events):
    again = read_file(str(PROGRAM_ICS))
    assert [r.source_id for r in events.records] == [r.source_id for r in again.records]
    assert sum(not r.source_id.startswith("ics:kp-") for r in events.records) == 1


SERIES_ICS = IMPORTS / "thirdparty_program_series.ics"


def test_ics_series_keep_rule_dates_and_changed_occurrences_in_their_zone():
    result = read_file(str(SERIES_ICS))
    berger = by_id(result)["ics:kp-serie-2027-0042@kehrplan.example"].entry
    assert berger.start == dt.datetime(2027, 3, 9, 9, 0, tzinfo=BERLIN) and berger.start.tzinfo.key == "Europe/Berlin"
    assert berger.rrule == "FREQ=WEEKLY;COUNT=8;BYDAY=TU"
    assert berger.rdates == (dt.datetime(2027, 4, 1, 9, 0, tzinfo=BERLIN),)
    assert berger.exdates == (dt.datetime(2027, 3, 23, 9, 0, tzinfo=BERLIN),       # EXDATE
                              dt.datetime(2027, 4, 13, 9, 0, tzinfo=BERLIN))       # a cancelled occurrence
    moved, = berger.overrides
    assert (moved.recurrence_id, moved.start, moved.summary) == (
        dt.datetime(2027, 3, 30, 9, 0, tzinfo=BERLIN), dt.datetime(2027, 3, 30, 10, 30, tzinfo=BERLIN),
        "Kehrtour Wohnanlage Berger (später)")
    outlook = next(r for r in result.records if "Abgasmessung Maier" in r.line).entry
    assert outlook.start.tzinfo.key == "Europe/Berlin"                               # W. Europe Standard Time
    assert outlook.rrule == "FREQ=MONTHLY;UNTIL=20270630T220000Z;BYDAY=1WE"          # local UNTIL → UTC
    alone = by_id(result)["ics:kp-serie-2027-0099@kehrplan.example@2027-03-16T08:00:00+01:00"].entry
    assert (alone.rrule, alone.overrides, alone.start) == (None, (), dt.datetime(2027, 3, 17, 8, 0, tzinfo=BERLIN))
    assert len(result.records) == 4 and result.skipped == []


@pytest.mark.parametrize("rule, reason", [
    ("FREQ=HOURLY;COUNT=5", "öfter als täglich"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "ohne Termin in den nächsten 8 Jahren"),
])
def test_series_the_calendar_would_refuse_are_reported(rule, reason):
    data = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20270101T090000Z\r\n"
            "RRULE:%s\r\nSUMMARY:Serie\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n" % rule).encode()
    result = read_file_bytes(data)
    assert result.records == [] and reason in result.skipped[0].reason


def read_file_bytes(data):
    from radicale_kamin.importing.icsfile import read_ics
    return read_ics(data)


def test_garbage_forced_as_ics_is_unreadable():
    with pytest.raises(UnreadableFile):
        read_file(str(MESSY_CSV), format="ics")


# --- ZIV ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ziv(ziv_file):
    return read_file(str(ziv_file))


def contacts(result):
    return {r.source_id: r for r in result.records if r.entry is None}


def deadlines(result):
    return {r.source_id: r for r in result.records if r.entry is not None}


def test_ziv_gives_one_contact_per_building_and_notes_meta_and_bundesland(ziv):
    assert ziv.format == "ziv"
    assert len(contacts(ziv)) == 8 and len(deadlines(ziv)) == 3
    assert ziv.meta["bundesland"] == "BY"
    assert "ZIV: Kehrbezirk 7, Bundesland BY" in ziv.notes
    assert any("KehrPro 12.3" in note and "Datenmodell 4.0" in note for note in ziv.notes)
    assert ziv.skipped == []


def test_ziv_contact_of_a_building_by_hand(ziv):
    huber = contacts(ziv)["ziv:gebaeude:101"]
    assert (huber.line, huber.building, huber.customer) == ("Gebäude 101", "FS-0101", "Maria Huber")
    assert huber.address == {"street": "Hauptstraße", "housenumber": "12", "zip": "85354", "city": "Freising",
                             "phone": "08161 / 12 34 5", "mobile": "0171-2345678"}
    assert huber.email == "maria.huber@example.de"
    assert normalise(huber.address).verdict == "green"


def test_ziv_whom_to_call(ziv):
    found = {key: (r.customer, r.contact_role) for key, r in contacts(ziv).items()}
    assert found["ziv:gebaeude:101"] == ("Maria Huber", "Sprecher der Eigentümer")      # not the first owner
    assert found["ziv:gebaeude:102"] == ("Anna Maier", "Eigentümer")                    # sole owner
    assert found["ziv:gebaeude:103"] == ("Xaver Bäumler", "Grundstückseigentümer")
    assert found["ziv:gebaeude:104"] == ("Hausverwaltung Berger GmbH (Frau Huber)", "Verwalter")
    assert found["ziv:gebaeude:106"] == ("Franz Weiß", "Sprecher der Eigentümer")      # Sprecher = 'true'
    assert found["ziv:gebaeude:107"] == ("Georg Schmid", "Sprecher der Eigentümer")    # beats the Verwalter
    assert contacts(ziv)["ziv:gebaeude:107"].building == "107"                          # no Gebaeude_ident


def test_ziv_phones_in_odd_formats_reach_the_normaliser(ziv):
    verdicts = {key: normalise(r.address) for key, r in contacts(ziv).items()}
    assert verdicts["ziv:gebaeude:104"].phone_e164.startswith("+4989123456")   # "089 / 123 456 - 0", not the fax
    assert verdicts["ziv:gebaeude:105"].phone_type == "mobile"
    assert verdicts["ziv:gebaeude:106"].verdict == "orange"              # no phone
    assert verdicts["ziv:gebaeude:108"].verdict == "red"                 # no plot, no street
    assert contacts(ziv)["ziv:gebaeude:108"].address["zip"] == "85354"   # PLZ stored as a number


def test_ziv_one_deadline_per_building_and_window_end(ziv):
    found = deadlines(ziv)
    assert sorted(found) == ["ziv:frist:101:2026-06-30", "ziv:frist:101:2026-12-31", "ziv:frist:104:2026-11-30"]
    june = found["ziv:frist:101:2026-06-30"]
    assert june.entry.kind == "deadline"
    assert june.entry.start == dt.date(2026, 6, 30)
    assert june.entry.window_start == dt.date(2026, 3, 1)             # all three jobs may be done from 01.03.
    assert june.entry.staff == "Josef Kaminski"
    assert june.entry.description.splitlines() == [
        "Feuerstättenbescheid Nr. 2024-0101 vom 10.05.2024",
        "Pos. 1: § 1 Abs. 1 Nr. 1 KÜO – Öl-Zentralheizung (Keller), Zeitraum 01.01.2026–30.06.2026",
        "Pos. 2: § 15 1. BImSchV – Öl-Zentralheizung (Keller), Zeitraum 01.03.2026–30.06.2026",
        "Pos. 3: § 1 Abs. 1 Nr. 3 KÜO – Kaminofen (Wohnzimmer), Zeitraum 01.01.2026–30.06.2026"]
    assert june.entry.summary == "Frist: Öl-Zentralheizung, Kaminofen"
    assert (june.customer, june.address, june.building) == ("Maria Huber", contacts(ziv)["ziv:gebaeude:101"].address,
                                                            "FS-0101")
    assert found["ziv:frist:101:2026-12-31"].entry.window_start == dt.date(2026, 7, 1)


def test_ziv_window_whose_jobs_are_all_done_gives_no_deadline(ziv):
    found = deadlines(ziv)
    assert "ziv:frist:104:2026-08-31" not in found                   # Gastherme done on 14.04.
    november = found["ziv:frist:104:2026-11-30"]                     # done last year's window: still open
    assert "Offener Kamin" in november.entry.description
    assert november.entry.window_start == dt.date(2026, 9, 1)
    assert any("alle Arbeiten laut Kehrbuch erledigt" in note for note in ziv.notes)


def test_ziv_ids_are_stable(ziv_file, ziv):
    assert [r.source_id for r in read_file(str(ziv_file)).records] == [r.source_id for r in ziv.records]


def test_ziv_missing_optional_tables_are_noted_not_fatal(tmp_path):
    path = build_ziv(tmp_path / "lean.sqlite", omit_tables=("Meta", "Kehrbuch_Taetigkeit", "Gebaeude_Eigentuemer",
                                                           "Mitarbeiter"))
    result = read_file(str(path))
    assert "ZIV: Tabelle Meta fehlt, Herkunft der Datei unbekannt" in result.notes
    assert any("Kehrbuch_Taetigkeit" in note and "alle Fristen übernommen" in note for note in result.notes)
    assert len(contacts(result)) == 8
    assert "ziv:frist:104:2026-08-31" in deadlines(result)           # done jobs no longer recognisable
    found = contacts(result)
    assert found["ziv:gebaeude:101"].customer is None                 # no owners table, no plot owner
    assert found["ziv:gebaeude:103"].customer == "Xaver Bäumler"
    assert found["ziv:gebaeude:104"].contact_role == "Verwalter"
    assert all(r.entry.staff is None for r in deadlines(result).values())


def test_ziv_missing_columns_read_as_empty(tmp_path):
    path = build_ziv(tmp_path / "draft.sqlite", omit_columns={"Gebaeude_Eigentuemer": ["Sprecher"],
                                                              "Gebaeude_Gebaeudeteil": ["Gebaeude_ident"]})
    result = read_file(str(path))
    assert any("Gebaeude_Eigentuemer fehlen die Spalten Sprecher" in note for note in result.notes)
    found = contacts(result)
    assert found["ziv:gebaeude:101"].building == "101"
    assert found["ziv:gebaeude:101"].contact_role == "Eigentümer (kein Sprecher bestimmt)"


def test_ziv_without_buildings_is_unreadable(tmp_path):
    path = build_ziv(tmp_path / "empty.sqlite", omit_tables=("Gebaeude_Gebaeudeteil",))
    with pytest.raises(UnreadableFile):
        read_file(str(path))


def test_ziv_window_of_a_missing_position_is_reported(tmp_path):
    result = read_file(str(build_ziv(tmp_path / "orphan.sqlite", orphan_window=True)))
    assert [skip.line for skip in result.skipped] == ["Bescheid-Position 9999"]


# --- speed ----------------------------------------------------------------------------------------

def test_reading_20000_csv_rows_takes_seconds(tmp_path):
    rows = ["Kundennummer;Name;Straße;Hausnr.;PLZ;Ort;Telefon;Handy;Datum;Uhrzeit"]
    rows += [f"{n};Kunde {n};Hauptstr.;{n % 200 + 1};85354;Freising;08161 {100000 + n};;{n % 28 + 1:02d}.04.2026;"
             f"{8 + n % 8}:30" for n in range(20_000)]
    path = tmp_path / "big.csv"
    path.write_bytes("\r\n".join(rows).encode("cp1252"))
    started = time.perf_counter()
    result = read_file(str(path))
    elapsed = time.perf_counter() - started
    assert len(result.records) == 20_000
    assert elapsed < 5, elapsed


def test_reading_20000_ziv_records_takes_seconds(tmp_path):
    path = build_ziv(tmp_path / "big.sqlite", buildings=10_000)
    started = time.perf_counter()
    result = read_file(str(path))
    elapsed = time.perf_counter() - started
    assert len(result.records) == 10_000 + 9_992 + 3
    assert elapsed < 5, elapsed
