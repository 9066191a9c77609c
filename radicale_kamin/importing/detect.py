"""Which reader a file needs, told from its first bytes, not its name.

Offices rename exports (``kunden.txt``, ``export.dat``); the content is
reliable: SQLite's magic header is a ZIV export, ``BEGIN:VCARD`` a vCard
file, ``BEGIN:VCALENDAR`` an iCalendar file, anything else is read as CSV.
"""

from __future__ import annotations

import codecs
FORMATS = ("csv", "vcard", "ics", "ziv")
ALIASES = {"vcf": "vcard", "vcards": "vcard", "ical": "ics", "icalendar": "ics",
           "sqlite": "ziv", "zivschnittstelle": "ziv", "txt": "csv", "tsv": "csv"}
SQLITE_MAGIC = b"SQLite format 3\x00"


def format_name(name: str) -> str:
    """A ``--format`` value → one of FORMATS; ValueError for anything else."""
    folded = name.strip().lower().lstrip(".").replace("-", "").replace(" ", "")
    folded = ALIASES.get(folded, folded)
    if folded not in FORMATS:
        raise ValueError(f"unbekanntes Format {name!r}; erlaubt: {', '.join(FORMATS)}")
    return folded


def detect_format(head: bytes) -> str:
    """The format of a file whose first few kilobytes are ``head``."""
    if head.startswith(SQLITE_MAGIC):
        return "ziv"
    text = _text(head)
    start = text.lstrip().upper()
    if start.startswith("BEGIN:VCARD"):
        return "vcard"
    if start.startswith("BEGIN:VCALENDAR"):
        return "ics"
    return "csv"


def _text(head: bytes) -> str:
    for bom, encoding in ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
                          (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom):].decode(encoding, errors="ignore")
    return head.decode("latin-1")

