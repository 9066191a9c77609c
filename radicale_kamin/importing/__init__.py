"""Readers of ``kamin import``: third-party files → plain import records.

One entry point, :func:`read_file`; it detects the format from the content
(``detect``) and hands the bytes to the reader of that format:

* ``csvfile`` — CSV exports, encoding/delimiter detected, columns by header name (``columns``);
* ``vcardfile`` — vCard 2.1/3.0/4.0 contact exports;
* ``icsfile`` — iCalendar files of other programs' appointments;
* ``ziv`` — ZIV-Schnittstelle 4.0 SQLite exports (buildings, owners, Bescheid deadlines).

Readers are pure apart from reading the file: no Radicale, no storage, no
address verdicts (the shell calls ``radicale_kamin.address.verdict.normalise``).

What the shell (``radicale_kamin.importing.run``) writes, also pure:

* ``build`` — a record as the vCard and VEVENTs the source stands for;
* ``fields`` — the parts of a stored item an import owns, as comparable values;
* ``mark`` — ``X-KAMIN-IMPORT``, what the last import of an item wrote;
* ``merge`` — the three-way merge of a re-import into the stored item.
A row that cannot be read becomes a :class:`Skipped`; only a file that
cannot be read at all raises :class:`UnreadableFile`.
"""

from __future__ import annotations

import datetime as dt
from typing import Mapping, Optional

from radicale_kamin.importing.detect import FORMATS, detect_format, format_name
from radicale_kamin.importing.records import (ADDRESS_KEYS, ImportEntry, ImportRecord, ReadResult, Skipped,
                                              UnreadableFile)
from radicale_kamin.entries.timefacts import DEFAULT_TIMEZONE

__all__ = ["ADDRESS_KEYS", "FORMATS", "ImportEntry", "ImportRecord", "ReadResult", "Skipped", "UnreadableFile",
           "detect_format", "read_file"]


def read_file(path: str, format: Optional[str] = None, columns: Mapping[str, str] = {},
              tz: dt.tzinfo = DEFAULT_TIMEZONE) -> ReadResult:
    """Read ``path`` as ``format`` (detected from the content when None).

    ``columns`` maps CSV header names to fields ({"Tel. privat": "phone"},
    "ignore" to drop a column); other formats ignore it. Local and floating
    times are local time of ``tz`` (``kamin_timezone``). Raises ValueError
    for an unknown format or field, UnreadableFile for a file that is not
    what it claims to be, OSError when it cannot be opened.
    """
    chosen = format_name(format) if format else None
    if chosen == "ziv" or chosen is None:
        with open(path, "rb") as handle:
            head = handle.read(4096)
        chosen = chosen or detect_format(head)
    if chosen == "ziv":
        from radicale_kamin.importing.ziv import read_ziv
        return read_ziv(path)
    with open(path, "rb") as handle:
        data = handle.read()
    if chosen == "vcard":
        from radicale_kamin.importing.vcardfile import read_vcard
        return read_vcard(data)
    if chosen == "ics":
        from radicale_kamin.importing.icsfile import read_ics
        return read_ics(data, tz)
    from radicale_kamin.importing.csvfile import read_csv
    return read_csv(data, columns, tz)
