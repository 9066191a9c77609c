"""CSV exports (Excel, customer lists, other programs' appointment lists) → import records.

The reader finds the encoding (``textfile``), the delimiter, the header row
and which column holds what (``columns``); every further row becomes one
record, and a row with a date becomes an ``imported`` entry. Line numbers
are the file's physical lines (the header is usually ``Zeile 1``), which is
what the office sees when it opens the file in an editor or Excel.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import Iterator, Mapping, Optional

from radicale_kamin.importing import columns as cols
from radicale_kamin.importing import when
from radicale_kamin.importing.records import (ADDRESS_KEYS, ImportEntry, ImportRecord, PersonName, ReadResult,
                                              Skipped, hashed_id)
from radicale_kamin.importing.textfile import decode
from radicale_kamin.entries.timefacts import DEFAULT_TIMEZONE

DELIMITERS = ";,\t|"
_NAMES = {";": "Semikolon", ",": "Komma", "\t": "Tabulator", "|": "senkrechter Strich"}
_SAMPLE_LINES = 50
_EXCEL_INTEGER = re.compile(r"^(\d+)\.0+$")


@dataclass
class _Row:
    line: int            # physical line of the row's first line, 1-based
    cells: list[str]


def read_csv(data: bytes, columns: Mapping[str, str] = {},
             tz: dt.tzinfo = DEFAULT_TIMEZONE) -> ReadResult:
    """The records of a CSV export; times are local time of ``tz`` (the
    business's, ``kamin_timezone``)."""
    text, encoding, notes = decode(data)
    lines = text.split("\n")
    start = next((index for index, line in enumerate(lines) if line.strip()), None)
    if start is None:
        return ReadResult("csv", [], [], [f"CSV: Datei ist leer (Kodierung {encoding})"])
    delimiter = detect_delimiter(lines[start:start + _SAMPLE_LINES])
    notes.insert(0, f"CSV: Kodierung {encoding}, Trennzeichen {_NAMES[delimiter]} ({delimiter!r})")
    rows = _rows(lines, start, delimiter)
    skipped: list[Skipped] = []
    header = next(rows)
    if isinstance(header, Skipped):
        return ReadResult("csv", [], [header], notes)
    fields = cols.map_headers(header.cells, columns)
    if not any(field for field in fields):
        notes.append("CSV: keine bekannte Spaltenüberschrift – jede Zeile wird als freie Adresse gelesen")
        return _headerless(header, rows, notes)
    notes.extend(_header_notes(header.cells, fields))
    records = []
    for row in rows:
        if isinstance(row, Skipped):
            skipped.append(row)
            continue
        result = _read_row(row, header.cells, fields, tz)
        if isinstance(result, Skipped):
            skipped.append(result)
        elif result is not None:
            records.append(result)
    records = _unique_aliases(_unique_ids(records, notes))
    return ReadResult("csv", records, skipped, notes)


def detect_delimiter(sample: list[str]) -> str:
    """``csv.Sniffer``'s guess when it splits the sample consistently, else the most consistent candidate.

    Sniffer alone is easily misled by commas inside addresses of a
    semicolon file; the check is that the header splits into at least two
    columns and most rows split into as many.
    """
    sample = [line for line in sample if line.strip()]
    try:
        guess = csv.Sniffer().sniff("\n".join(sample), delimiters=DELIMITERS).delimiter
    except csv.Error:
        guess = None
    scores = {delimiter: _consistency(sample, delimiter) for delimiter in DELIMITERS}
    if guess in scores and scores[guess][0] >= 0.8:
        return guess
    best = max(DELIMITERS, key=lambda delimiter: scores[delimiter])
    return best if scores[best][1] >= 2 else ";"


def _consistency(sample: list[str], delimiter: str) -> tuple[float, int]:
    counts = [len(cells) for cells in csv.reader(sample, delimiter=delimiter)]
    if not counts or counts[0] < 2:
        return (0.0, counts[0] if counts else 0)
    return (sum(count == counts[0] for count in counts) / len(counts), counts[0])


def _rows(lines: list[str], start: int, delimiter: str) -> Iterator[_Row | Skipped]:
    """Rows with their line numbers; a quoted cell may span lines.

    A quote that is never closed would swallow the rest of the file; when a
    continuation line looks like a row of its own (as many delimiters as the
    header), the opening line is reported as broken and reading goes on
    with the next line.
    """
    width = None
    index = start
    while index < len(lines):
        first, line = index, lines[index]
        if '"' not in line:
            cells = line.split(delimiter)
            index += 1
        else:
            chunk = [line]
            while chunk_open(chunk, delimiter) and index + 1 < len(lines):
                follower = lines[index + 1]
                if width and width >= 3 and follower.count(delimiter) >= width - 1:
                    break
                index += 1
                chunk.append(follower)
            if chunk_open(chunk, delimiter):
                yield Skipped(f"Zeile {first + 1}", "Anführungszeichen nicht geschlossen – Zeile nicht lesbar")
                index = first + 1
                continue
            cells = next(csv.reader([part + "\n" for part in chunk], delimiter=delimiter))
            index += 1
        if width is None:
            width = len(cells)
        yield _Row(first + 1, cells)


def chunk_open(chunk: list[str], delimiter: str) -> bool:
    """True while a quoted cell of these lines is not closed yet.

    Only a quote at the start of a cell opens one (``"Huber, Josef"``); a
    quote inside an unquoted cell (``Huber "Sepp"``) is text, as for the
    csv module, and ``""`` inside a quoted cell is an escaped quote.
    """
    quoted, at_start = False, True
    text = "\n".join(chunk)
    index = 0
    while index < len(text):
        char = text[index]
        if quoted:
            if char == '"':
                if text[index + 1:index + 2] == '"':
                    index += 1
                else:
                    quoted = False
        elif char == '"' and at_start:
            quoted = True
        at_start = not quoted and char in (delimiter, "\n")
        index += 1
    return quoted


def _header_notes(header: list[str], fields: list[Optional[str]]) -> list[str]:
    used = [f"{name!r}→{field}" for name, field in zip(header, fields) if field and field not in cols.UNUSED]
    notes = ["CSV: Spalten " + ", ".join(used)]
    unused = [repr(name) for name, field in zip(header, fields) if name.strip() and (not field or field in cols.UNUSED)]
    if unused:
        notes.append("CSV: nicht verwendete Spalten " + ", ".join(unused))
    return notes


def _read_row(row: _Row, header: list[str], fields: list[Optional[str]],
              tz: dt.tzinfo) -> ImportRecord | Skipped | None:
    cells = [cell.strip() for cell in row.cells]
    if not any(cells):
        return None                      # empty row (also ";;;;" from Excel): nothing to report
    where = f"Zeile {row.line}"
    extra = [cell for cell in cells[len(header):] if cell]
    if extra:
        return Skipped(where, f"{len(cells)} Felder statt {len(header)} – Trennzeichen im Text? "
                              "Zeile nicht eindeutig lesbar")
    if len(cells) == 1 and len(header) >= 3:
        return Skipped(where, f"nur ein Feld statt {len(header)} – Trennzeichen fehlt? Zeile nicht lesbar")
    values: dict[str, str] = {}
    id_header = None
    for name, field, cell in zip(header, fields, cells):
        if not field or field in cols.UNUSED or not cell:
            continue
        if field in cols.JOINED and field in values:
            values[field] += cols.JOINED[field] + cell
        elif field not in values:
            values[field] = cell
            if field in ("id", "building") and (field == "id" or id_header is None):
                id_header = (name.strip(), field)
    try:
        entry = _entry(values, tz)
    except ValueError as error:
        return Skipped(where, str(error))
    address = {key: values[key] for key in ADDRESS_KEYS if key in values}
    customer, name = _customer(values)
    if not address and not customer and entry is None:
        return Skipped(where, "keine Adresse, kein Name und kein Termin in dieser Zeile")
    building = _integer(values.get("building"))
    if id_header:
        source_id = f"csv:{id_header[0]}:{_integer(values[id_header[1]])}"
    else:
        source_id = hashed_id("csv", customer, *(address.get(key) for key in ADDRESS_KEYS[:6]),
                              values.get("date"), values.get("time"))
    return ImportRecord(source_id=source_id, line=where, address=address, customer=customer,
                        building=building, email=values.get("email"), entry=entry,
                        aliases=(row_key(header, cells),), name=name,
                        notes=_notes(values, with_description=entry is None))


def row_key(header: list[str], cells: list[str]) -> str:
    """The row's key from its raw cells under their header names, whatever the column mapping.

    Mapping a column that an earlier import left out (``--column "Gebäude-Nr=building"``)
    changes the record's ``source_id`` but not this key, so the earlier import's entry and
    contact are found and updated instead of duplicated. Column order does not count.
    """
    return hashed_id("csv-row", *sorted(f"{cols.key(name)}={cell}" for name, cell in zip(header, cells)
                                        if cell.strip()))


def _customer(values: dict[str, str]) -> tuple[Optional[str], Optional[PersonName]]:
    """The name to show and call (``Dr. Josef Huber``) and, when the source gives the name in
    parts, those parts for the vCard; without a name the administrator (Verwalter) stands in."""
    given, family = values.get("firstname"), values.get("customer")
    title, salutation = values.get("nametitle"), values.get("salutation")
    shown = " ".join(part for part in (title, given, family) if part) or values.get("manager")
    if not (given or title or salutation) or not (given or family):
        return shown, None
    prefix = " ".join(part for part in (salutation, title) if part) or None
    return shown, PersonName(family=family, given=given, prefix=prefix)


def _notes(values: dict[str, str], with_description: bool) -> Optional[str]:
    """Remarks on the customer for the contact: the administrator when someone else is the
    customer, and the row's notes when no entry takes them."""
    lines = []
    if _manager_line(values):
        lines.append(_manager_line(values))
    if with_description and values.get("description"):
        lines.append(values["description"])
    return "\n".join(lines) or None


def _integer(value: Optional[str]) -> Optional[str]:
    """``4711.0`` (an id through Excel) → ``4711``."""
    if value is None:
        return None
    match = _EXCEL_INTEGER.match(value)
    return match.group(1) if match else value


def _entry(values: dict[str, str], tz: dt.tzinfo) -> Optional[ImportEntry]:
    """An ``imported`` entry when the row has a date; ValueError (German) when it cannot be read."""
    date_text = values.get("date")
    if not date_text:
        return None
    try:
        parsed = when.parse_date(date_text)
    except ValueError:
        raise ValueError(f"Datum gibt es nicht: {date_text!r}") from None
    if parsed is None:
        raise ValueError(f"Datum nicht lesbar: {date_text!r}")
    day, rest = parsed
    try:
        times = when.parse_times(" ".join(part for part in (rest, values.get("time", "")) if part.strip()))
        end_times = when.parse_times(values.get("end", ""))
    except ValueError:
        raise ValueError(f"Uhrzeit nicht lesbar: {values.get('time') or rest!r}") from None
    if values.get("time") and not times:
        raise ValueError(f"Uhrzeit nicht lesbar: {values['time']!r}")
    start: dt.date | dt.datetime = day
    end: Optional[dt.date | dt.datetime] = None
    if times:
        start = when.local(day, times[0], tz)
        if len(times) > 1:
            end = when.local(day, times[1], tz)
    if end_times and isinstance(start, dt.datetime):
        end = when.local(day, end_times[-1], tz)
    if end is None and values.get("duration") and isinstance(start, dt.datetime):
        duration = when.parse_minutes(values["duration"])
        if duration:
            end = start + duration
    if end is not None and end <= start:
        end = None                       # "bis" before "von": keep the start, let the calendar's default apply
    description = "\n".join(part for part in (values.get("description"), _manager_line(values)) if part) or None
    return ImportEntry(kind="imported", start=start, end=end, summary=values.get("summary"),
                       description=description, staff=values.get("staff"))


def _manager_line(values: dict[str, str]) -> Optional[str]:
    if values.get("manager") and (values.get("customer") or values.get("firstname")):
        return f"Verwalter: {values['manager']}"
    return None


def _headerless(first: _Row, rows: Iterator[_Row | Skipped], notes: list[str]) -> ReadResult:
    records, skipped = [], []
    for row in (first, *rows):
        if isinstance(row, Skipped):
            skipped.append(row)
            continue
        text = ", ".join(cell.strip() for cell in row.cells if cell.strip())
        if text:
            records.append(ImportRecord(source_id=hashed_id("csv", text), line=f"Zeile {row.line}",
                                        address={"address": text}))
    return ReadResult("csv", _unique_ids(records, notes), skipped, notes)


def _unique_ids(records: list[ImportRecord], notes: list[str]) -> list[ImportRecord]:
    """Make ids unique without depending on row order.

    A customer number appears twice when a customer owns two buildings or
    has two appointments: such rows keep the number and add what tells them
    apart (the appointment's start, else a hash of the address). Rows that
    are identical even then are numbered in file order and noted.
    """
    counts: dict[str, int] = {}
    for record in records:
        counts[record.source_id] = counts.get(record.source_id, 0) + 1
    if all(count == 1 for count in counts.values()):
        return records
    result, seen = [], set()
    repeated = sorted(source_id for source_id, count in counts.items() if count > 1)
    notes.append(f"CSV: {len(repeated)} Kennung(en) mehrfach, durch Termin/Adresse unterschieden: "
                 + ", ".join(repeated[:5]) + (" …" if len(repeated) > 5 else ""))
    for record in records:
        source_id = record.source_id
        if counts[source_id] > 1:
            if record.entry is not None:
                source_id += ":" + record.entry.start.isoformat()[:16]
            else:
                source_id = hashed_id(source_id, *(record.address.get(key) for key in ADDRESS_KEYS[:6]))
        base, number = source_id, 1
        while source_id in seen:
            number += 1
            source_id = f"{base}#{number}"
        if number > 1:
            notes.append(f"CSV: {record.line} wiederholt eine frühere Zeile (Kennung {source_id})")
        seen.add(source_id)
        result.append(record if source_id == record.source_id else _with_id(record, source_id))
    return result


def _with_id(record: ImportRecord, source_id: str) -> ImportRecord:
    return replace(record, source_id=source_id)


def _unique_aliases(records: list[ImportRecord]) -> list[ImportRecord]:
    """Drop a row key that several rows share (identical rows): it would find the same earlier
    entry for all of them; their ids, made unique above, still tell them apart."""
    counts: dict[str, int] = {}
    for record in records:
        for alias in record.aliases:
            counts[alias] = counts.get(alias, 0) + 1
    return [record if all(counts[alias] == 1 for alias in record.aliases)
            else replace(record, aliases=tuple(alias for alias in record.aliases if counts[alias] == 1))
            for record in records]


def column_mapping(data: bytes, columns: Mapping[str, str] = {}) -> list[tuple[str, Optional[str]]]:
    """(header, field or None) of each column of a CSV export, as
    ``read_csv`` maps them with ``columns`` — what the backend shows the
    office to correct. Empty for a file without a header row."""
    text, _, _ = decode(data)
    lines = text.split("\n")
    start = next((index for index, line in enumerate(lines) if line.strip()), None)
    if start is None:
        return []
    delimiter = detect_delimiter(lines[start:start + _SAMPLE_LINES])
    header = next(_rows(lines, start, delimiter))
    if isinstance(header, Skipped):
        return []
    return list(zip(header.cells, cols.map_headers(header.cells, columns)))
