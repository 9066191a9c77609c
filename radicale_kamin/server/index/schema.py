"""The side index's tables: one row of ``entries.facts.ItemFacts`` per item
(keyed by calendar and href, with the file's mtime and size), each entry's
due period and settlement, contacts, and the buildings whose settlement is
to be decided again. ``SCHEMA_VERSION`` changes with any change here (or in
``ItemFacts``): the index is a cache and is rebuilt then."""

from __future__ import annotations

import hashlib
import os
from dataclasses import fields

from radicale_kamin.entries.facts import ItemFacts
from radicale_kamin.schedule.calls import BOOKING_KINDS

SCHEMA_VERSION = "18"
INDEX_FILE = "kamin-index.sqlite"
RADICALE_CACHE = ".Radicale.cache"
CACHE_KIB = 64 * 1024
FACT_COLUMNS = [f.name for f in fields(ItemFacts)]
SETTLEMENT_KINDS = (*BOOKING_KINDS, "deadline")      # the rows that settle or are settled
SETTLEMENT_SQL = "(%s)" % ", ".join("'%s'" % kind for kind in SETTLEMENT_KINDS)

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
    %s,
    PRIMARY KEY (calendar, href)
);
CREATE INDEX IF NOT EXISTS items_uid ON items (calendar, uid);
CREATE INDEX IF NOT EXISTS items_range ON items (calendar, exact, range_start);
CREATE INDEX IF NOT EXISTS items_range_span ON items (calendar, exact, (range_end - range_start));
CREATE INDEX IF NOT EXISTS items_building ON items (building);
-- A building text-match is a substring search: it scans this narrow index
-- (covering what candidates() reads) instead of the wide rows, 5x faster.
CREATE INDEX IF NOT EXISTS items_buildings_text ON items (
    calendar, buildings, href, exact, recurring, component, range_start, range_end);
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
""" % ",\n    ".join(FACT_COLUMNS)


def etag_of(text: str) -> str:
    """Radicale's ETag of an item's text (``radicale.item.get_etag``)."""
    return '"%s"' % hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_item_file(entry: os.DirEntry) -> bool:
    return not entry.name.startswith(".") and entry.is_file(follow_symlinks=False)
