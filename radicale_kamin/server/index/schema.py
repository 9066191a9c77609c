"""The side index's tables: one row of ``entries.facts.ItemFacts`` per item
(keyed by calendar and href, with the file's mtime and size), what a
listing answers of it (ETag, length, whether Radicale lists it), the values
of its indexed properties, each entry's due period and settlement,
contacts, the buildings whose settlement is to be decided again, and each
calendar's change history for sync-collection. ``SCHEMA_VERSION`` changes
with any change here (or in ``ItemFacts``): the index is a cache and is
rebuilt then — the change history is carried over (``history.py``)."""

from __future__ import annotations

import hashlib
import os
from dataclasses import fields
from typing import Optional

from radicale_kamin.entries.facts import INDEXED_PROPERTIES, ItemFacts
from radicale_kamin.schedule.calls import BOOKING_KINDS
from radicale_kamin.server.compat import is_item_name

SCHEMA_VERSION = "22"
INDEX_FILE = "kamin-index.sqlite"
RADICALE_CACHE = ".Radicale.cache"
CACHE_KIB = 16 * 1024
FACT_COLUMNS = [f.name for f in fields(ItemFacts)]
SETTLEMENT_KINDS = (*BOOKING_KINDS, "deadline")      # the rows that settle or are settled
SETTLEMENT_SQL = "(%s)" % ", ".join("'%s'" % kind for kind in SETTLEMENT_KINDS)
# An indexed property's column (its values as Radicale's text-match sees
# them, \x1f-joined; NULL when no VEVENT has it) and the same lower-cased
# (NULL when that is the same text): a REPORT's text-match is one instr().
PROPERTY_COLUMNS = {name: "p_" + name.lower().replace("x-kamin-", "").replace("-", "_")
                    for name in INDEXED_PROPERTIES}
FOLDED = "_folded"
PROPERTY_SQL = ",\n    ".join("%s TEXT, %s%s TEXT" % (column, column, FOLDED)
                              for column in PROPERTY_COLUMNS.values())

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS calendars (
    calendar TEXT PRIMARY KEY,        -- sane path, e.g. anna/termine
    dir_mtime_ns INTEGER
);
CREATE TABLE IF NOT EXISTS items (
    calendar TEXT NOT NULL,
    href TEXT NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,               -- Radicale's ETag of the file
    due_since INTEGER,                -- when the calling rules offer it (schedule.due.due_period)
    due_until INTEGER,
    settled INTEGER NOT NULL DEFAULT 0, -- a deadline a booking of its building settles
    length INTEGER NOT NULL DEFAULT 0,  -- Radicale's getcontentlength
    listed INTEGER NOT NULL DEFAULT 1,  -- 0: Radicale skips it (a file it cannot read)
    %s,
    %s,
    PRIMARY KEY (calendar, href)
);
CREATE INDEX IF NOT EXISTS items_uid ON items (calendar, uid);
-- What a listing (PROPFIND, sync-collection, CTag) reads, without the wide rows.
CREATE INDEX IF NOT EXISTS items_listing ON items (
    calendar, listed, href, etag, component, mtime_ns, length, size);
CREATE INDEX IF NOT EXISTS items_range ON items (calendar, exact, range_start);
CREATE INDEX IF NOT EXISTS items_range_span ON items (calendar, exact, (range_end - range_start));
CREATE INDEX IF NOT EXISTS items_building ON items (building);
-- A building text-match is a substring search: it scans this narrow index
-- (covering what candidates() reads) instead of the wide rows, 5x faster.
CREATE INDEX IF NOT EXISTS items_buildings_text ON items (
    calendar, listed, p_building, p_building_folded, href, exact, recurring, component,
    range_start, range_end, vevents, props_exact);
CREATE INDEX IF NOT EXISTS items_state ON items (state);
CREATE INDEX IF NOT EXISTS items_start ON items (start);
CREATE INDEX IF NOT EXISTS items_contact ON items (contact);
CREATE INDEX IF NOT EXISTS items_outcome ON items (outcome);
CREATE INDEX IF NOT EXISTS items_span ON items (calendar, (end - start));
CREATE INDEX IF NOT EXISTS items_due ON items (due_since);
CREATE INDEX IF NOT EXISTS items_due_span ON items ((due_until - due_since));
CREATE INDEX IF NOT EXISTS items_recurring ON items (recurring, calendar);
CREATE TABLE IF NOT EXISTS unsettled (  -- buildings whose deadlines' settlement is to be checked
    building TEXT PRIMARY KEY
);
CREATE TABLE IF NOT EXISTS contacts (
    addressbook TEXT NOT NULL,        -- sane path, e.g. anna/kontakte
    href TEXT NOT NULL,
    uid TEXT, name TEXT, phone TEXT, phone_type TEXT, location TEXT, address TEXT,
    buildings TEXT NOT NULL,          -- \x1f-joined
    address_key TEXT,                 -- AddressResult.match_key
    PRIMARY KEY (addressbook, href)
);
CREATE INDEX IF NOT EXISTS contacts_uid ON contacts (uid);
CREATE INDEX IF NOT EXISTS contacts_address_key ON contacts (address_key);
CREATE INDEX IF NOT EXISTS items_address_key ON items (address_key) WHERE contact IS NULL;
CREATE TABLE IF NOT EXISTS contact_buildings (
    addressbook TEXT NOT NULL, href TEXT NOT NULL, building TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS contact_buildings_building ON contact_buildings (building);
CREATE TABLE IF NOT EXISTS sync_calendars (   -- history.py
    calendar TEXT PRIMARY KEY,
    epoch TEXT NOT NULL,              -- random: tokens of another history are refused
    revision INTEGER NOT NULL,        -- counts every change of an item's ETag
    pruned INTEGER NOT NULL DEFAULT 0 -- deletions up to this revision forgotten
);
CREATE TABLE IF NOT EXISTS sync_items (
    calendar TEXT NOT NULL,
    href TEXT NOT NULL,
    etag TEXT NOT NULL,               -- '' once deleted
    revision INTEGER NOT NULL,        -- of its last change
    changed INTEGER NOT NULL,         -- when (POSIX seconds)
    PRIMARY KEY (calendar, href)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sync_items_revision ON sync_items (calendar, revision);
CREATE INDEX IF NOT EXISTS sync_items_deleted ON sync_items (changed) WHERE etag = '';
""" % (",\n    ".join(FACT_COLUMNS), PROPERTY_SQL)


def property_values(values) -> dict[str, Optional[str]]:
    """The property columns of an item from its ``facts.PropertyValue``s."""
    grouped: dict[str, list[str]] = {}
    for value in values:
        grouped.setdefault(value.name, []).append(value.value)
    columns: dict[str, Optional[str]] = {}
    for name, column in PROPERTY_COLUMNS.items():
        found = grouped.get(name)
        text = "\x1f".join(found) if found is not None else None
        folded = "\x1f".join(v.lower() for v in found) if found is not None else None
        columns[column] = text
        columns[column + FOLDED] = folded if folded != text else None
    return columns


def etag_of(text: str) -> str:
    """Radicale's ETag of an item's text (``radicale.item.get_etag``)."""
    return '"%s"' % hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_item_file(entry: os.DirEntry) -> bool:
    """A file Radicale lists as an item (``compat.is_item_name``)."""
    return is_item_name(entry.name) and entry.is_file()
