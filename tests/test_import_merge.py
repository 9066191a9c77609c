"""Importing again through the real storage: what an earlier import made is
found whatever the column mapping, an unchanged record stays byte for byte,
series stay series, and a three-way merge takes the source's changes while
keeping what staff, the office and the assistant changed on the server.

Each test says which finding of the district export it holds closed.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
import icalendar

from conftest import FIXTURES, ROOT, Client, prop, props
from radicale_kamin.entries import icslines
from radicale_kamin.importing import run as importer
from radicale_kamin.importing import read_file
from ziv_fixture import build_ziv, district_rows, write

IMPORTS = FIXTURES / "imports"
DISTRICT = IMPORTS / "district_export_cp1252_building_numbers.csv"
SERIES = IMPORTS / "thirdparty_program_series.ics"
PHONES = IMPORTS / "phone_export_mixed_21_30.vcf"
BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=BERLIN)
LATER = dt.datetime(2026, 12, 2, 16, 45, tzinfo=BERLIN)
KAMIN = str(Path(sys.executable).with_name("kamin"))
STAFF = {"anna": "anna/termine", "ben": "ben/termine"}


@pytest.fixture
def store(app, client):
    Client(app, "ben").mkcalendar("/ben/termine/")
    return app._web.api.storage


@pytest.fixture
def office(app, client):
    return Client(app, "meister")                   # the master's office: reads and edits every calendar


def run(store, path, now=NOW, columns=None, dry_run=False):
    result = read_file(str(path), columns=columns or {})
    return importer.run(store, result, Path(path).name, "anna/termine", "anna/kontakte", dry_run, now, STAFF)


def files(storage_folder, *collections):
    found = {}
    for collection in collections:
        folder = storage_folder / "collection-root" / collection
        if folder.is_dir():
            found.update({"%s/%s" % (collection, p.name): p.read_bytes()
                          for p in sorted(folder.iterdir()) if p.is_file() and not p.name.startswith(".")})
    return found


def everything(storage_folder):
    return files(storage_folder, "anna/kontakte", "anna/termine", "ben/termine")


def row(report, line):
    return next(r for r in report.records if r.line == line)


def get(client, record):
    return client.get(record.target + record.uid + (".vcf" if record.kind == "contact" else ".ics")).text


def edit(client, path, replace=(), append_note=None, note="DESCRIPTION"):
    """Change an item the way a client does: GET, change lines, PUT the whole text back."""
    response = client.get(path)
    item = icslines.parse(response.text)
    part = item if item.name == "VCARD" else next(item.components("VEVENT"))
    for name, value in replace:
        line = part.first(name)
        line.value, line.raw = icslines.escape_text(value) if name != "TEL" else value, None
    if append_note:
        line = part.first(note)
        line.value, line.raw = line.value + "\\n" + icslines.escape_text(append_note), None
    content = "text/vcard" if item.name == "VCARD" else "text/calendar"
    answer = client.request("PUT", path, icslines.serialize(item), content_type=content,
                            if_match=response.headers["etag"])
    assert answer.status in (201, 204), answer.text


def changed_copy(tmp_path, source, *replacements, encoding="cp1252"):
    text = source.read_bytes().decode(encoding)
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / source.name
    path.write_bytes(text.encode(encoding))
    return path


# --- finding 1: the district export's columns ------------------------------------------------------

def test_district_export_keeps_building_ids_names_and_administrator(store, office):
    report = run(store, DISTRICT)
    assert not any("nicht verwendete Spalten 'Gebäude-Nr'" in note for note in report.notes)
    maier = row(report, "Zeile 4")
    assert (maier.customer, maier.building) == ("Dr. Anna Maier", "FS-0102")
    entry = get(office, maier)
    assert prop(entry, "X-KAMIN-BUILDING") == "FS-0102"
    contact = office.get("/anna/kontakte/%s.vcf" % prop(entry, "X-KAMIN-CONTACT")).text
    assert prop(contact, "X-KAMIN-BUILDING") == "FS-0102"
    assert prop(contact, "N") == "Maier;Anna;;Frau Dr.;"
    assert props(contact, "TEL") == ["+49816198765"]                          # Telefon geschäftlich
    berger = get(office, row(report, "Zeile 6"))
    assert "Verwalter: Hausverwaltung Berger GmbH" in icslines.unescape_text(prop(berger, "DESCRIPTION"))
    fischer = row(report, "Zeile 13")                                         # no date: a contact only
    assert fischer.kind == "contact" and fischer.building == "FS-0110"
    assert "Eigentümerwechsel gemeldet" in get(office, fischer)


# --- finding 2: identity independent of the column mapping ---------------------------------------

@pytest.mark.parametrize("first", [
    {"Gebäude-Nr": "ignore"},                                                # the building column left out
    {"Gebäude-Nr": "ignore", "Vorname": "ignore", "Telefon privat": "ignore", "Verwalter": "ignore"},
])
def test_mapping_more_columns_later_updates_the_same_entries_and_contacts(store, office, storage_folder, first):
    run(store, DISTRICT, columns=first)
    before = everything(storage_folder)
    report = run(store, DISTRICT, now=LATER, columns={"Gebäude-Nr": "building"})
    assert sorted(everything(storage_folder)) == sorted(before)              # not one new file
    assert report.written["created"] == 0
    huber = get(office, row(report, "Zeile 2"))
    assert prop(huber, "X-KAMIN-BUILDING") == "FS-0101"
    assert prop(huber, "X-KAMIN-CUSTOMER") == "Josef Huber"


def test_forgetting_the_mapping_again_still_finds_the_entries(store, storage_folder):
    run(store, DISTRICT, columns={"Gebäude-Nr": "ignore"})
    run(store, DISTRICT, now=LATER)
    names = sorted(everything(storage_folder))
    again = run(store, DISTRICT, now=LATER + dt.timedelta(days=1), columns={"Gebäude-Nr": "ignore"})
    assert sorted(everything(storage_folder)) == names and again.written["created"] == 0


def test_an_entry_moved_to_another_staff_calendar_is_updated_where_it_is(store, office, app, storage_folder):
    report = run(store, DISTRICT)
    huber = row(report, "Zeile 2")
    moved = office.request("MOVE", huber.target + huber.uid + ".ics",
                           destination="http://localhost:5232/ben/termine/%s.ics" % huber.uid)
    assert moved.status in (201, 204), moved.text
    again = run(store, DISTRICT, now=LATER)
    assert again.written["created"] == 0
    assert row(again, "Zeile 2").target == "/ben/termine/"
    assert not (storage_folder / "collection-root/anna/termine" / (huber.uid + ".ics")).exists()


# --- finding 3: an unchanged re-import changes no byte --------------------------------------------

@pytest.mark.parametrize("source", ["district", "ziv", "vcard", "ics", "series"])
def test_unchanged_reimport_leaves_every_file_byte_identical(store, office, storage_folder, tmp_path, source):
    path = {"district": DISTRICT, "ziv": build_ziv(tmp_path / "bezirk.sqlite"), "vcard": PHONES,
            "ics": IMPORTS / "thirdparty_program_events.ics", "series": SERIES}[source]
    first = run(store, path)
    before = everything(storage_folder)
    etags = {name: office.get("/" + name).headers["etag"] for name in before}
    again = run(store, path, now=LATER)
    assert everything(storage_folder) == before
    assert {name: office.get("/" + name).headers["etag"] for name in before} == etags
    total = sum(first.written.values())
    assert again.written == {"created": 0, "updated": 0, "unchanged": total, "deleted": 0}
    assert {record.written for record in again.records} == {"unchanged"}


# --- finding 4: series stay series ----------------------------------------------------------------

def occurrences(text, start, end):
    calendar = icalendar.Calendar.from_ical(text)
    return sorted(e["DTSTART"].dt.astimezone(BERLIN).strftime("%d.%m. %H:%M")
                  for e in recurring_ical_events.of(calendar).between(start, end))


def master(text):
    return next(e for e in icslines.parse(text).components("VEVENT") if e.first("RECURRENCE-ID") is None)


def test_ics_series_keep_rule_exceptions_extra_dates_and_changed_occurrences(store, office):
    report = run(store, SERIES)
    berger = get(office, row(report, "Termin 1: Kehrtour Wohnanlage Berger (09.03.2027 09:00)"))
    assert master(berger).first("RRULE").value == "FREQ=WEEKLY;COUNT=8;BYDAY=TU"
    assert "BEGIN:VTIMEZONE" in berger and "TZID:Europe/Berlin" in berger
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20270330T090000" in berger
    # across the change to summer time (28.03.2027) the series stays at 09:00 local time
    assert occurrences(berger, dt.datetime(2027, 3, 1), dt.datetime(2027, 5, 1)) == [
        "01.04. 09:00",                      # RDATE
        "06.04. 09:00", "09.03. 09:00", "16.03. 09:00",
        "20.04. 09:00", "27.04. 09:00",
        "30.03. 10:30",                      # the moved occurrence; 23.03. and 13.04. (cancelled) left out
    ]
    moved = [e for e in icslines.parse(berger).components("VEVENT") if e.first("RECURRENCE-ID")]
    assert [prop("\r\n".join(e.serialize()), "X-KAMIN-STATUS") for e in moved] == ["import-ok"]
    maier = get(office, row(report, "Termin 4: Abgasmessung Maier (monatlich) (03.03.2027 14:00)"))
    assert master(maier).first("RRULE").value == "FREQ=MONTHLY;UNTIL=20270630T220000Z;BYDAY=1WE"  # local UNTIL
    assert len(occurrences(maier, dt.datetime(2027, 3, 1), dt.datetime(2027, 12, 1))) == 4
    alone = get(office, row(report, "Termin 6: Einzeln verschobener Termin Bäumler (17.03.2027 08:00)"))
    assert "RECURRENCE-ID" not in alone and "RRULE" not in alone


def test_calendar_queries_see_the_series_occurrences(store, office):
    from test_index import hrefs, time_range_query
    report = run(store, SERIES)
    uid = row(report, "Termin 1: Kehrtour Wohnanlage Berger (09.03.2027 09:00)").uid + ".ics"
    found = lambda start, end: [h.rsplit("/", 1)[-1] for h in hrefs(office.request(
        "REPORT", "/anna/termine/", time_range_query(start, end), depth="1", content_type="application/xml"))]
    assert uid in found("20270419T000000Z", "20270426T000000Z")
    assert uid not in found("20270412T000000Z", "20270419T000000Z")      # only the cancelled 13.04.


# --- finding 5: what staff, the office and the assistant changed survives --------------------------

def test_reimport_keeps_staff_edits_of_an_entry(store, office):
    report = run(store, DISTRICT)
    huber = row(report, "Zeile 2")
    path = huber.target + huber.uid + ".ics"
    edit(office, path, replace=[("SUMMARY", "Kehren und Dach prüfen"), ("X-KAMIN-PHONE", "08161 99999")],
         append_note="Büro: Hund im Hof, bitte klingeln")
    before = office.get(path)
    again = run(store, DISTRICT, now=LATER)
    after = office.get(path)
    assert after.text == before.text and after.headers["etag"] == before.headers["etag"]
    assert prop(after.text, "SUMMARY") == "Kehren und Dach prüfen"
    assert prop(after.text, "X-KAMIN-PHONE") == "+49816199999"
    assert "Büro: Hund im Hof\\, bitte klingeln" in prop(after.text, "DESCRIPTION")
    assert row(again, "Zeile 2").conflicts == []


def test_source_changes_are_taken_and_staff_changes_kept(store, office, tmp_path):
    report = run(store, DISTRICT)
    gruber = row(report, "Zeile 11")
    path = gruber.target + gruber.uid + ".ics"
    edit(office, path, replace=[("X-KAMIN-PHONE", "08161 99999")], append_note="Büro: Hund im Hof")
    newer = changed_copy(tmp_path, DISTRICT, ("11.12.2026;08:00;30;Kehren;Anna Berger;",
                                              '11.12.2026;10:00;30;Kehren;Anna Berger;"Bitte klingeln\r\n'
                                              'Zählerschrank im Keller"'))
    again = run(store, newer, now=LATER)
    text = office.get(path).text
    assert prop(text, "DTSTART") == "20261211T090000Z"                      # the source moved it
    assert prop(text, "X-KAMIN-PHONE") == "+49816199999"                    # the office's number stays
    notes = icslines.unescape_text(prop(text, "DESCRIPTION")).split("\n")
    assert notes[:2] == ["Bitte klingeln", "Zählerschrank im Keller"]      # the source's notes, at the top
    assert notes[2:4] == ["28.11.2026 09:00 importiert aus district_export_cp1252_building_numbers.csv "
                          "(Zeile 11)", "Büro: Hund im Hof"]
    assert notes[4] == ("02.12.2026 16:45 Import district_export_cp1252_building_numbers.csv (Zeile 11): "
                        "übernommen: Beginn, Ende, Notizen")
    result = row(again, "Zeile 11")
    assert result.written == "updated" and result.conflicts == []
    assert {"Termin: Beginn", "Termin: Ende", "Termin: Notizen"} <= set(result.changed)


def test_a_note_line_the_source_dropped_stays(store, office, tmp_path):
    run(store, DISTRICT)
    newer = changed_copy(tmp_path, DISTRICT, ("Hund\"", "Hund bissig\""))
    again = run(store, newer, now=LATER)
    text = get(office, row(again, "Zeile 4"))
    notes = icslines.unescape_text(prop(text, "DESCRIPTION")).split("\n")
    assert notes[:2] == ["Zufahrt über Hof; Hund", "Zufahrt über Hof; Hund bissig"]
    assert row(again, "Zeile 4").kept_lines == 1


def config_file(tmp_path, storage_folder):
    """The bundled config on the test's storage folder, for the ``kamin`` commands."""
    config = (ROOT / "config" / "radicale.conf").read_text().replace(
        "filesystem_folder = var/collections", "filesystem_folder = %s" % storage_folder)
    (tmp_path / "radicale.conf").write_text(config)
    return str(tmp_path / "radicale.conf")


def kamin_import(config, *args):
    return subprocess.run([KAMIN, "import", "--config", config, "--calendar", "/anna/termine/", "--quiet", *args],
                          cwd=ROOT, capture_output=True, text=True)


def reindexed_and_imported_again(tmp_path, storage_folder):
    """``kamin reindex``, then ``kamin import`` of the district file again."""
    config = config_file(tmp_path, storage_folder)
    reindex = subprocess.run([KAMIN, "reindex", "--config", config, "--quiet"], cwd=ROOT,
                             capture_output=True, text=True)
    assert reindex.returncode == 0, reindex.stderr
    result = kamin_import(config, str(DISTRICT))
    assert result.returncode == 0, result.stderr
    return result


def test_a_true_conflict_keeps_the_server_value_and_is_reported(store, office, tmp_path, storage_folder):
    report = run(store, DISTRICT)
    gruber = row(report, "Zeile 11")
    edit(office, gruber.target + gruber.uid + ".ics", replace=[("X-KAMIN-PHONE", "08161 4444")])
    newer = changed_copy(tmp_path, DISTRICT, ("08161 1234;;0171 9876543", "08161 5555;;0171 9876543"))
    config = config_file(tmp_path, storage_folder)
    result = kamin_import(config, "--report", str(tmp_path / "r.json"), str(newer))
    assert result.returncode == 0, result.stderr
    assert "Konflikte: 1" in result.stdout
    assert "Zeile 11 (Lena Gruber): Termin Telefon: Server '+4981614444' behalten, " \
           "Quelle '+4981615555'" in result.stdout
    assert prop(get(office, gruber), "X-KAMIN-PHONE") == "+4981614444"
    data = json.loads((tmp_path / "r.json").read_text())
    record = next(r for r in data["records"] if r["line"] == "Zeile 11")
    assert data["conflicts"] == 1
    assert record["conflicts"] == [{"field": "phone", "label": "Telefon", "server": "+4981614444",
                                    "source": "+4981615555", "occurrence": None, "item": "Termin"}]
    assert "Kontakt: Telefon" in record["changed"]                 # nobody touched the contact's number
    # the conflict is reported once: the next run knows the source's value
    again = kamin_import(config, "--report", str(tmp_path / "r.csv"), str(newer))
    assert "Konflikt" not in again.stdout and "0 neu, 0 geändert" in again.stdout
    rows = list(csv.reader((tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    assert rows[0][-3:] == ["Geschrieben", "Übernommen", "Konflikte"]


def test_the_conflict_is_in_the_csv_report_too(store, office, tmp_path, storage_folder):
    report = run(store, DISTRICT)
    gruber = row(report, "Zeile 11")
    edit(office, gruber.target + gruber.uid + ".ics", replace=[("X-KAMIN-PHONE", "08161 4444")])
    newer = changed_copy(tmp_path, DISTRICT, ("08161 1234;;0171 9876543", "08161 5555;;0171 9876543"))
    assert kamin_import(config_file(tmp_path, storage_folder), "--report", str(tmp_path / "r.csv"),
                        str(newer)).returncode == 0
    rows = list(csv.reader((tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines(), delimiter=";"))
    line = next(r for r in rows if r[1] == "Zeile 11")
    assert line[-1] == "Termin Telefon: Server '+4981614444' behalten, Quelle '+4981615555'"
    assert line[-3] == "geändert"


def test_reimported_ziv_file_keeps_the_call_log(store, office, app, tmp_path):
    from test_api_calls import post
    path = build_ziv(tmp_path / "bezirk.sqlite")
    report = run(store, path)
    june = next(r for r in report.records if r.source_id == "ziv:frist:101:2026-06-30")
    answer = post(Client(app, "assistant"), "calls/%s/outcome" % june.uid, {"outcome": "unreached"},
                  "2026-12-01T10:15:00+01:00")
    assert answer.status == 200, answer.text
    log = json.loads(answer.text)["log"]
    before = get(office, june)
    assert log in icslines.unescape_text(prop(before, "DESCRIPTION"))
    run(store, path, now=LATER)
    assert get(office, june) == before                                      # the same file
    # a newer export: the Öl-Zentralheizung got another job in the same window
    rows = district_rows()
    rows["Bescheid_Position"].append({"ID_Bescheid_Position": 1004, "ID_Feuerstaettenbescheid_Grunddaten": 1,
                                      "Positionsnummer": 4, "Rechtsgrundlage": "§ 1 Abs. 1 Nr. 2 KÜO",
                                      "Anlagetyp": "Öl-Zentralheizung", "ID_Anlage": 501,
                                      "Art_Standort_Anlage": "Keller"})
    rows["Bescheid_Termin_Position"].append({"ID_Bescheid_Position": 1004, "Start_Zeitraum": "2026-03-01",
                                             "Ende_Zeitraum": "2026-06-30"})
    again = run(store, write(tmp_path / "bezirk.sqlite", rows), now=LATER)
    text = get(office, june)
    notes = icslines.unescape_text(prop(text, "DESCRIPTION")).split("\n")
    assert notes[4] == "Pos. 4: § 1 Abs. 1 Nr. 2 KÜO – Öl-Zentralheizung (Keller), Zeitraum 01.03.2026–30.06.2026"
    assert log in notes                                                     # the call log stays
    assert prop(text, "X-KAMIN-ATTEMPTS") == "1" and prop(text, "X-KAMIN-STATUS") == "deadline"
    assert row(again, june.line).changed == ["Termin: Notizen"]


def test_a_phone_the_office_corrected_on_a_contact_survives(store, office):
    report = run(store, PHONES)
    huber = next(r for r in report.records if r.customer == "Josef Huber")
    path = "/anna/kontakte/%s.vcf" % huber.uid
    assert props(office.get(path).text, "TEL")[0] == "+49816112345"         # as the export has it
    edit(office, path, replace=[("TEL", "+49 8161 77777")])
    corrected = office.get(path).text
    assert props(corrected, "TEL")[0] == "+49816177777"
    again = run(store, PHONES, now=LATER)                                   # the export still has the old one
    assert office.get(path).text == corrected
    assert next(r for r in again.records if r.customer == "Josef Huber").written == "unchanged"


def test_a_phone_corrected_on_a_ziv_contact_survives_and_its_deadline_follows(store, office, tmp_path):
    path = build_ziv(tmp_path / "bezirk.sqlite")
    report = run(store, path)
    contact = next(r for r in report.records if r.source_id == "ziv:gebaeude:101")
    card = "/anna/kontakte/%s.vcf" % contact.uid
    edit(office, card, replace=[("TEL", "+49 8161 77777")])
    deadline = next(r for r in report.records if r.source_id == "ziv:frist:101:2026-06-30")
    assert prop(get(office, deadline), "X-KAMIN-PHONE") == "+49816177777"   # the entry follows its contact
    run(store, path, now=LATER)
    assert "+49816177777" in office.get(card).text
    assert prop(get(office, deadline), "X-KAMIN-PHONE") == "+49816177777"


def test_what_was_last_imported_survives_a_reindex(store, office, tmp_path, storage_folder):
    report = run(store, DISTRICT)
    huber = row(report, "Zeile 2")
    path = huber.target + huber.uid + ".ics"
    edit(office, path, replace=[("X-KAMIN-PHONE", "08161 99999")], append_note="Büro: Hund im Hof")
    before = everything(storage_folder)
    # the side index and Radicale's caches are gone: only the files remain
    (storage_folder / "kamin-index.sqlite").unlink()
    for cache in storage_folder.rglob(".Radicale.cache"):
        shutil.rmtree(cache)
    result = reindexed_and_imported_again(tmp_path, storage_folder)
    assert "0 neu, 0 geändert" in result.stdout and "Konflikt" not in result.stdout
    assert everything(storage_folder) == before


def test_items_imported_before_marks_keep_their_values_and_report_once(store, office, storage_folder, tmp_path):
    report = run(store, DISTRICT)
    gruber = row(report, "Zeile 11")
    for name, data in everything(storage_folder).items():     # as the earlier import code left them
        text = data.decode("utf-8")
        lines = [l for l in icslines.unfold(text) if not l.startswith("X-KAMIN-IMPORT")]
        (storage_folder / "collection-root" / name).write_text(
            "\r\n".join(icslines.fold(l) for l in lines) + "\r\n", encoding="utf-8", newline="")
    edit(office, gruber.target + gruber.uid + ".ics", replace=[("X-KAMIN-PHONE", "08161 4444")])
    newer = changed_copy(tmp_path, DISTRICT, ("08161 1234;;0171 9876543", "08161 5555;;0171 9876543"))
    again = run(store, newer, now=LATER)
    assert again.written["created"] == 0
    assert prop(get(office, gruber), "X-KAMIN-PHONE") == "+4981614444"
    assert [c["field"] for c in row(again, "Zeile 11").conflicts] == ["phone", "phone"]   # entry and contact
    third = run(store, newer, now=LATER + dt.timedelta(days=1))
    assert third.written["updated"] == 0 and not third.conflicts()


def test_dry_run_tells_what_would_change_and_writes_nothing(store, office, storage_folder, tmp_path):
    report = run(store, DISTRICT)
    gruber = row(report, "Zeile 11")
    edit(office, gruber.target + gruber.uid + ".ics", replace=[("X-KAMIN-PHONE", "08161 4444")])
    before = everything(storage_folder)
    newer = changed_copy(tmp_path, DISTRICT, ("08161 1234;;0171 9876543", "08161 5555;;0171 9876543"))
    dry = run(store, newer, now=LATER, dry_run=True)
    assert everything(storage_folder) == before
    assert dry.written == {"created": 0, "updated": 2, "unchanged": len(before) - 2, "deleted": 0}
    assert [c["field"] for c in row(dry, "Zeile 11").conflicts] == ["phone"]


# --- what the office deleted ---------------------------------------------------------------------

def test_what_the_office_deleted_stays_deleted_on_reimport(store, office, storage_folder, tmp_path):
    report = run(store, DISTRICT)
    huber = row(report, "Zeile 2")
    entry = huber.target + huber.uid + ".ics"
    contact = "/" + next(name for name in files(storage_folder, "anna/kontakte") if "FS-0102" in name)
    assert office.request("DELETE", entry).status == 200 and office.request("DELETE", contact).status == 200
    before = everything(storage_folder)
    dry = run(store, DISTRICT, now=LATER, dry_run=True)
    assert dry.written["deleted"] == 2 and dry.written["created"] == 0
    again = run(store, DISTRICT, now=LATER)
    assert everything(storage_folder) == before                     # nothing came back
    assert again.written["created"] == 0 and again.written["deleted"] == 2
    assert row(again, "Zeile 2").written == "deleted"
    assert row(again, "Zeile 3").written == "unchanged"             # Huber's other appointment
    assert office.get(entry).status == 404 and office.get(contact).status == 404
    result = kamin_import(config_file(tmp_path, storage_folder), str(DISTRICT))
    assert result.returncode == 0, result.stderr
    assert "2 auf dem Server gelöscht (nicht wieder angelegt)" in result.stdout
    assert everything(storage_folder) == before


def test_a_deleted_entry_comes_back_when_the_source_changed_it(store, office, tmp_path):
    report = run(store, DISTRICT)
    gruber = row(report, "Zeile 11")
    path = gruber.target + gruber.uid + ".ics"
    assert office.request("DELETE", path).status == 200
    newer = changed_copy(tmp_path, DISTRICT, ("11.12.2026;08:00;30;Kehren;Anna Berger;",
                                              "11.12.2026;10:00;30;Kehren;Anna Berger;"))
    again = run(store, newer, now=LATER)
    result = row(again, "Zeile 11")
    assert result.written == "created" and again.written["deleted"] == 0
    assert result.changed == ["Termin: auf dem Server gelöscht, in der Quelle geändert – neu angelegt"]
    assert prop(office.get(path).text, "DTSTART") == "20261211T090000Z"


def test_the_import_ledger_outlives_an_index_rebuild(store, office, storage_folder, tmp_path):
    report = run(store, DISTRICT)
    huber = row(report, "Zeile 2")
    assert office.request("DELETE", huber.target + huber.uid + ".ics").status == 200
    (storage_folder / "kamin-index.sqlite").unlink()
    result = reindexed_and_imported_again(tmp_path, storage_folder)
    assert "0 neu" in result.stdout and "1 auf dem Server gelöscht" in result.stdout


def test_a_deleted_contact_stays_deleted_when_only_its_appointment_changed(store, office,
                                                                          storage_folder, tmp_path):
    run(store, DISTRICT)
    contact = "/" + next(name for name in files(storage_folder, "anna/kontakte") if "FS-0101" in name)
    assert office.request("DELETE", contact).status == 200
    newer = changed_copy(tmp_path, DISTRICT, ("Messung Gastherme", "Messung Gastherme im Keller"))
    again = run(store, newer, now=LATER)
    assert again.written["deleted"] == 1 and again.written["created"] == 0
    assert row(again, "Zeile 3").written == "updated"             # the appointment's notes changed
    assert office.get(contact).status == 404
