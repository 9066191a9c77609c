"""What the office changes in the backend, kept in the durable state store
(``state.py``, ``kamin-state.sqlite``) — never in a file an index rebuild
or a restart could lose:

* ``settings``: option values the office changed (``GET/PUT settings``),
  laid over the config file's defaults;
* ``working_hours``: an employee's hours edited in the browser, in place of
  the working-hours file's;
* ``subscriptions``: external calendars added or removed in the browser;
* ``imports``: uploaded files being previewed or imported, with progress;
* ``webhooks``: webhook subscribers added in the backend, laid over the
  webhooks file's (``server/webhook_subscribers.py``);
* ``changes``: who changed what when (the backend's *Protokoll*);
* ``office``: the **generation** — a number every change raises, so each
  server process notices any change with one look-up per request — and
  the secret the pages' CSRF tokens are signed with.

A change and its log line are written in one transaction.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from typing import Any, Optional

from radicale_kamin.server.state import StateStore, register_schema

register_schema("office", (
    """
    CREATE TABLE office (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO office VALUES ('generation', '0');
    CREATE TABLE settings (
        name TEXT PRIMARY KEY,            -- the option without kamin_
        value TEXT NOT NULL,              -- its wire value as JSON
        changed_by TEXT NOT NULL,
        changed_at INTEGER NOT NULL
    );
    CREATE TABLE working_hours (
        staff TEXT PRIMARY KEY,           -- the user name
        value TEXT NOT NULL,              -- the API's JSON (weekly, rotation, exceptions)
        changed_by TEXT NOT NULL,
        changed_at INTEGER NOT NULL
    );
    CREATE TABLE subscriptions (
        name TEXT PRIMARY KEY,
        url TEXT,                         -- NULL with removed: a file's subscription hidden
        calendar TEXT,
        interval INTEGER,
        removed INTEGER NOT NULL DEFAULT 0,
        changed_by TEXT NOT NULL,
        changed_at INTEGER NOT NULL
    );
    CREATE TABLE imports (
        id TEXT PRIMARY KEY,
        user TEXT NOT NULL,
        file TEXT NOT NULL,               -- the uploaded file's name
        calendar TEXT NOT NULL,
        options TEXT NOT NULL,            -- JSON: format, columns, addressbook
        status TEXT NOT NULL,             -- preview, running, done, failed
        done INTEGER NOT NULL DEFAULT 0,
        total INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        created INTEGER NOT NULL,
        updated INTEGER NOT NULL
    );
    CREATE TABLE changes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,              -- POSIX seconds
        user TEXT NOT NULL,
        area TEXT NOT NULL,               -- settings, staff, working-hours, subscriptions, imports, entries, contacts
        what TEXT NOT NULL,               -- German, for the page
        old TEXT,
        new TEXT
    );
    CREATE INDEX changes_at ON changes (at);
    """,
    # Never edit one that has shipped: add the next. (No semicolons in
    # comments: the state store splits scripts at them.)
    """
    CREATE TABLE webhooks (
        name TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        secret TEXT NOT NULL,             -- the signature's key, never shown or logged
        events TEXT NOT NULL,             -- JSON list of event types
        calendars TEXT NOT NULL,          -- JSON list of sane paths, empty for every calendar
        changed_by TEXT NOT NULL,
        changed_at INTEGER NOT NULL
    );
    """,
))


class OfficeStore:
    """The office's tables of one storage folder's state store."""

    def __init__(self, state: StateStore):
        self.state = state

    def generation(self) -> int:
        """Raised by every change: one indexed look-up (microseconds)."""
        with self.state.connection() as db:
            return int(db.execute("SELECT value FROM office WHERE key='generation'"
                                  ).fetchone()[0])

    def changed(self, db: sqlite3.Connection, user: str, area: str, what: str,
                old: Optional[str] = None, new: Optional[str] = None) -> None:
        """Log a change made in ``db``'s transaction and raise the generation."""
        db.execute("INSERT INTO changes (at, user, area, what, old, new) VALUES (?, ?, ?, ?, ?, ?)",
                   (int(time.time()), user, area, what, old, new))
        db.execute("UPDATE office SET value = CAST(value AS INTEGER) + 1 WHERE key='generation'")

    def changes(self, limit: int = 200, area: Optional[str] = None) -> list[sqlite3.Row]:
        """The latest changes first."""
        with self.state.connection() as db:
            if area:
                return db.execute("SELECT * FROM changes WHERE area=? ORDER BY id DESC LIMIT ?",
                                  (area, limit)).fetchall()
            return db.execute("SELECT * FROM changes ORDER BY id DESC LIMIT ?",
                              (limit,)).fetchall()

    def secret(self) -> bytes:
        """The key CSRF tokens are signed with: made once, kept."""
        with self.state.transaction() as db:
            row = db.execute("SELECT value FROM office WHERE key='csrf-secret'").fetchone()
            if row is None:
                value = secrets.token_hex(32)
                db.execute("INSERT INTO office VALUES ('csrf-secret', ?)", (value,))
                return bytes.fromhex(value)
        return bytes.fromhex(row[0])

    # --- settings -------------------------------------------------------------------

    def stored_settings(self, db: Optional[sqlite3.Connection] = None) -> dict[str, Any]:
        def read(db):
            return {r["name"]: json.loads(r["value"]) for r in db.execute("SELECT * FROM settings")}
        if db is not None:
            return read(db)
        with self.state.connection() as db:
            return read(db)

    # --- working hours --------------------------------------------------------------

    def stored_hours(self) -> dict[str, dict]:
        with self.state.connection() as db:
            return {r["staff"]: {**json.loads(r["value"]), "changed_by": r["changed_by"],
                                 "changed_at": r["changed_at"]}
                    for r in db.execute("SELECT * FROM working_hours")}
