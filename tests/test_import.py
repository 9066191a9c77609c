"""``kamin import`` through the real storage: contacts and entries with
their verdicts, idempotent re-imports, dry runs and reports."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from conftest import FIXTURES, ROOT, Client, prop
from radicale_kamin.importing import run as importer
from radicale_kamin.importing import read_file
from ziv_fixture import build_ziv

IMPORTS = FIXTURES / "imports"
NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
KAMIN = str(Path(sys.executable).with_name("kamin"))


@pytest.fixture
def store(app, client):
    Client(app, "ben").mkcalendar("/ben/termine/")
    return app._web.api.storage


def run(store, path, dry_run=False, staff=None, records=None):
    result = read_file(str(path))
    if records is not None:
        result = replace(result, records=records(result.records))
    return importer.run(store, result, Path(path).name, "anna/termine", "anna/kontakte",
                        dry_run, NOW, staff or {"anna": "anna/termine", "ben": "ben/termine"})


def files(storage_folder, collection):
    folder = storage_folder / "collection-root" / collection
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith("."))


def test_customer_csv_becomes_normalised_contacts_with_verdicts(store, storage_folder):
    report = run(store, IMPORTS / "customers_cp1252_semicolon_messy.csv")
    counts = report.counts()
    assert counts["green"] > 0 and counts["orange"] > 0
    assert report.written["created"] == len(files(storage_folder, "anna/kontakte"))
    huber = next(r for r in report.records if r.customer and "Huber" in r.customer)
    text = (storage_folder / "collection-root/anna/kontakte" / (huber.uid + ".vcf")).read_text()
    assert "ADR;TYPE=WORK:;;Hauptstraße 12;Freising;;85354;Deutschland" in text
    assert "+49816112345" in text and "X-KAMIN-ADDRESS:complete" in text


def test_appointments_are_imported_entries_coloured_by_verdict(store, app):
    client = Client(app, "assistant")
    report = run(store, IMPORTS / "appointments_utf8_comma_datetime.csv")
    states = {}
    for record in (r for r in report.records if r.kind == "imported"):
        text = client.get(record.target + record.uid + ".ics").text
        states[record.verdict] = (prop(text, "X-KAMIN-STATUS"), prop(text, "COLOR"))
    assert states["green"] == ("import-ok", "green")
    assert states["orange"] == ("import-rework", "orange")


def test_reimport_updates_nothing_and_duplicates_nothing(store, storage_folder):
    first = run(store, IMPORTS / "appointments_utf8_comma_datetime.csv")
    entries = files(storage_folder, "anna/termine")
    second = run(store, IMPORTS / "appointments_utf8_comma_datetime.csv")
    assert second.written == {"created": 0, "updated": 0, "unchanged": first.written["created"],
                              "deleted": 0}
    assert files(storage_folder, "anna/termine") == entries


def test_interrupted_import_completes_without_duplicates(store, storage_folder):
    run(store, IMPORTS / "customers_cp1252_semicolon_messy.csv", records=lambda r: r[: len(r) // 2])
    partial = files(storage_folder, "anna/kontakte")
    full = run(store, IMPORTS / "customers_cp1252_semicolon_messy.csv")
    assert full.written["unchanged"] == len(partial)
    assert len(files(storage_folder, "anna/kontakte")) == len(partial) + full.written["created"]


def test_dry_run_writes_nothing(store, storage_folder):
    report = run(store, IMPORTS / "phone_export_mixed_21_30.vcf", dry_run=True)
    assert report.records and not (storage_folder / "collection-root/anna/kontakte").exists()


def test_vcards_and_ics_events(store, app, storage_folder):
    client = Client(app, "assistant")
    contacts = run(store, IMPORTS / "phone_export_mixed_21_30.vcf")
    assert contacts.written["created"] == len(files(storage_folder, "anna/kontakte"))
    events = run(store, IMPORTS / "thirdparty_program_events.ics")
    kinds = {prop(client.get(r.target + r.uid + ".ics").text, "X-KAMIN-KIND")
             for r in events.records if r.kind == "imported"}
    assert kinds == {"imported"}


def test_ziv_export_gives_contacts_and_light_blue_deadlines_in_staff_calendars(store, app, tmp_path):
    client = Client(app, "assistant")
    path = build_ziv(tmp_path / "export.sqlite")
    report = run(store, path)
    deadlines = [r for r in report.records if r.kind == "deadline"]
    assert deadlines and any(r.target == "/anna/termine/" for r in deadlines)
    for record in deadlines:
        text = client.get(record.target + record.uid + ".ics").text
        assert (prop(text, "X-KAMIN-STATUS"), prop(text, "COLOR")) == ("deadline", "lightblue")
        assert "DTSTART;VALUE=DATE:" in text
        assert prop(text, "X-KAMIN-WINDOW-START")
    contacts = [r for r in report.records if r.kind == "contact"]
    assert len(contacts) == 8


def test_deadline_takes_the_phone_of_its_buildings_contact(store, app, tmp_path):
    client = Client(app, "assistant")
    report = run(store, build_ziv(tmp_path / "export.sqlite"))
    record = next(r for r in report.records if r.kind == "deadline" and r.verdict == "green")
    text = client.get(record.target + record.uid + ".ics").text
    assert prop(text, "X-KAMIN-PHONE").startswith("+49")
    assert prop(text, "X-KAMIN-CONTACT")


def test_import_command_with_reports(tmp_path, storage_folder):
    config = (ROOT / "config" / "radicale.conf").read_text().replace(
        "filesystem_folder = var/collections", "filesystem_folder = %s" % storage_folder)
    (tmp_path / "radicale.conf").write_text(config)
    subprocess.run([KAMIN, "setup", "--config", str(tmp_path / "radicale.conf")], cwd=ROOT,
                   check=True, capture_output=True)
    source = IMPORTS / "customers_cp1252_semicolon_messy.csv"
    result = subprocess.run(
        [KAMIN, "import", "--config", str(tmp_path / "radicale.conf"), "--calendar", "/anna/termine/",
         "--report", str(tmp_path / "r.json"), "--quiet", str(source)],
        cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "grün" in result.stdout and "neu" in result.stdout
    report = json.loads((tmp_path / "r.json").read_text())
    assert sum(report["counts"].values()) == len(report["records"])
    orange = [r for r in report["records"] if r["verdict"] == "orange"]
    assert orange and all(r["reasons"] and r["reasons_de"] for r in orange)
    again = subprocess.run(
        [KAMIN, "import", "--config", str(tmp_path / "radicale.conf"), "--calendar", "/anna/termine/",
         "--report", str(tmp_path / "r.csv"), "--dry-run", str(source)],
        cwd=ROOT, capture_output=True, text=True)
    assert "Probelauf" in again.stdout
    rows = list(csv.reader((tmp_path / "r.csv").read_text(encoding="utf-8-sig").splitlines(),
                           delimiter=";"))
    assert rows[0][:4] == ["Quelle", "Stelle", "Art", "Ampel"] and len(rows) > 10


def test_import_command_refuses_a_missing_calendar(tmp_path):
    config = (ROOT / "config" / "radicale.conf").read_text().replace(
        "filesystem_folder = var/collections", "filesystem_folder = %s" % (tmp_path / "c"))
    (tmp_path / "radicale.conf").write_text(config)
    result = subprocess.run(
        [KAMIN, "import", "--config", str(tmp_path / "radicale.conf"), "--calendar", "/zoe/termine/",
         str(IMPORTS / "thirdparty_program_events.ics")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode != 0 and "does not exist" in result.stderr
