"""``kamin import``: a third-party export (CSV, vCard, iCalendar, ZIV SQLite)
into the calendar and the customers' address book, with a verdict per record.

Works while the server runs: it writes through the storage plugin in
batches, each under Radicale's storage lock.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys

from radicale_kamin.commands import kamin_storage, radicale_config, staff_members

FORMATS = ("csv", "vcard", "ics", "ziv")


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "import", help="import a CSV, vCard, iCalendar or ZIV file",
        description="Import a third-party export. Every record gets the address "
                    "verdict green/orange/red; re-importing the same export updates "
                    "instead of duplicating, takes over what the source changed and keeps "
                    "what was changed on the server (conflicts are listed).")
    parser.add_argument("--config", required=True, metavar="RADICALE_CONFIG")
    parser.add_argument("--calendar", required=True, metavar="/user/calendar/",
                        help="the calendar for the file's entries (ZIV deadlines go to the "
                             "calendar of their employee when one matches)")
    parser.add_argument("--addressbook", metavar="/user/book/",
                        help="the address book for the customers (default: /USER/kontakte/ "
                             "of the calendar's owner; created when missing)")
    parser.add_argument("--format", choices=FORMATS, help="force the format (default: detect)")
    parser.add_argument("--column", action="append", default=[], metavar="HEADER=FIELD",
                        help="CSV: map a column, e.g. \"Tel. privat=phone\" (see docs/imports.md)")
    parser.add_argument("--report", metavar="FILE",
                        help="write every record's verdict and reasons (.json or .csv)")
    parser.add_argument("--dry-run", action="store_true", help="read and judge, write nothing")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("file")
    parser.set_defaults(func=run)


def _columns(pairs: list[str]) -> dict[str, str]:
    columns = {}
    for pair in pairs:
        header, sep, field = pair.rpartition("=")
        if not sep or not header.strip() or not field.strip():
            raise SystemExit("kamin import: --column expects HEADER=FIELD, got %r" % pair)
        columns[header.strip()] = field.strip()
    return columns


SHOWN_CONFLICTS = 20


def _write_report(path: str, report) -> None:
    from radicale_kamin.importing.report import report_csv

    if path.lower().endswith(".csv"):
        with open(path, "w", encoding="utf-8", newline="") as f:   # Excel wants the BOM
            f.write(report_csv(report.as_json()))
    else:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(report.as_json(), f, ensure_ascii=False, indent=2)


def _print_summary(name: str, report) -> None:
    from radicale_kamin.importing.report import conflict_text

    counts = report.counts()
    print("%s: %d Datensätze (%s) – grün %d, orange %d, rot %d%s" % (
        name, len(report.records), report.format,
        counts["green"], counts["orange"], counts["red"],
        ", %d übersprungen" % len(report.skipped) if report.skipped else ""))
    written = report.written
    print("%s: %d neu, %d geändert, %d unverändert%s" % (
        "Probelauf (nichts geschrieben)" if report.dry_run else "geschrieben",
        written["created"], written["updated"], written["unchanged"],
        ", %d auf dem Server gelöscht (nicht wieder angelegt)" % written["deleted"]
        if written["deleted"] else ""))
    conflicts = report.conflicts()
    if conflicts:
        print("Konflikte: %d – Quelle und Server haben dasselbe Feld geändert, der Wert auf dem "
              "Server bleibt:" % len(conflicts))
        for record, conflict in conflicts[:SHOWN_CONFLICTS]:
            print("  %s%s: %s" % (record.line, " (%s)" % record.customer if record.customer else "",
                                  conflict_text(conflict)))
        if len(conflicts) > SHOWN_CONFLICTS:
            print("  … %d weitere im Bericht (--report)" % (len(conflicts) - SHOWN_CONFLICTS))
    kept = sum(record.kept_lines for record in report.records)
    if kept:
        print("Notizen: %d Zeile(n), die die Quelle nicht mehr hat, bleiben auf dem Server" % kept)


def _staff_calendars(store, calendars: list[str]) -> dict[str, str]:
    """Each staff member's bookable calendar by their user name and display
    name (casefolded), for sources that name the employee."""
    found = {}
    for member in staff_members(store, calendars):
        found[member.id.casefold()] = member.bookable
        found[member.name.casefold()] = member.bookable
    return found


def run(args) -> int:
    from tqdm import tqdm

    from radicale_kamin.importing import run as importer
    from radicale_kamin.importing import read_file

    if not os.path.isfile(args.file):
        raise SystemExit("kamin import: no such file: %s" % args.file)
    calendar = args.calendar.strip("/")
    if calendar.count("/") != 1:
        raise SystemExit("kamin import: --calendar must look like /user/calendar/")
    book = (args.addressbook or "/%s/kontakte/" % calendar.split("/")[0]).strip("/")
    configuration = radicale_config(args.config)
    store = kamin_storage(configuration)
    try:
        result = read_file(args.file, args.format, _columns(args.column), store.settings.timezone)
    except ValueError as e:
        raise SystemExit("kamin import: %s" % e)
    existing = store.index.calendars_on_disk()
    if calendar not in existing and not args.dry_run:
        raise SystemExit("kamin import: the calendar /%s/ does not exist (create it first, "
                         "e.g. with kamin setup)" % calendar)
    staff_calendars = _staff_calendars(store, existing)
    now = dt.datetime.now(store.settings.timezone).replace(microsecond=0)
    with tqdm(unit=" Einträge", disable=args.quiet or args.dry_run, file=sys.stderr) as bar:
        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)
        report = importer.run(store, result, os.path.basename(args.file), calendar, book,
                              args.dry_run, now, staff_calendars, progress)
    _print_summary(os.path.basename(args.file), report)
    for note in report.notes:
        print("Hinweis:", note)
    if args.report:
        _write_report(args.report, report)
        print("Bericht:", args.report)
    return 0
