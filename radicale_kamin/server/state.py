"""Durable state the calendar files cannot give back.

The side index is a cache: it is rebuilt from the ``.ics``/``.vcf`` files
whenever its layout or the calling options change, when it is damaged, and
by ``kamin reindex``. Some state is no cache: a **hold** is a promise made to
a customer on the phone ("I keep Tuesday 9:00 for you"), a **lease** keeps a
call from being handed to a second assistant. Rebuilding the index must not
drop them, so they live here, in ``kamin-state.sqlite`` beside the index:

* never rebuilt — a newer layout is reached by migrations that keep the
  rows. Each concern (holds and leases here; settings, the change log,
  the webhook outbox, the import ledger in their own modules) registers
  its own list of migrations under a name (``register_schema``), applied
  in order, its version kept in ``meta`` — so concerns grow independently;
* ``synchronous=FULL``: what was acknowledged survives a power loss;
* shared by every server process (SQLite's locking), each request borrowing
  a connection from a small pool for as long as it needs one.
"""

from __future__ import annotations

import contextlib
import os
import queue
import sqlite3
import threading
from typing import Iterator, Optional

STATE_FILE = "kamin-state.sqlite"
_OPENING = threading.Lock()           # see StateStore._open

# name → migrations; entry i brings that concern from version i to i + 1.
# Never edit one that has shipped — add the next.
_SCHEMAS: dict[str, tuple[str, ...]] = {}


def register_schema(name: str, migrations: tuple[str, ...]) -> None:
    """Declare a concern's tables (at import time of its module)."""
    known = _SCHEMAS.get(name)
    if known is not None and known != migrations:
        raise ValueError("state schema %r declared twice" % name)
    _SCHEMAS[name] = migrations


register_schema("bookings", (
    """
    CREATE TABLE holds (
        id TEXT PRIMARY KEY,
        calendar TEXT NOT NULL,           -- sane path of the bookable calendar
        start INTEGER NOT NULL,           -- POSIX seconds
        end INTEGER NOT NULL,
        until INTEGER NOT NULL,           -- expiry
        holder TEXT NOT NULL              -- the user who holds it
    );
    CREATE INDEX holds_calendar ON holds (calendar, start);
    CREATE TABLE leases (
        phone TEXT PRIMARY KEY,           -- E.164: one call per customer phone
        uid TEXT NOT NULL,
        holder TEXT,
        until INTEGER NOT NULL
    );
    """,
))


class StateStore:
    """The state of one storage folder."""

    def __init__(self, folder: str, pool_size: int = 8):
        self.path = os.path.join(folder, STATE_FILE)
        self._idle: "queue.LifoQueue[sqlite3.Connection]" = queue.LifoQueue(pool_size)
        self._migrated = 0              # how many schemas this process checked
        self._lock = threading.Lock()

    # --- connections ----------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                     check_same_thread=False)
        connection.row_factory = sqlite3.Row
        # Switching a new file to WAL needs it to itself and SQLite does not
        # wait for that (no busy handler): threads opening at once take turns.
        with _OPENING:
            connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        return connection

    def _migrate(self, connection: sqlite3.Connection) -> None:
        with self._lock:
            if self._migrated == len(_SCHEMAS):
                return
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
                for name, migrations in sorted(_SCHEMAS.items()):
                    self._migrate_schema(connection, name, migrations)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            self._migrated = len(_SCHEMAS)

    def _migrate_schema(self, connection: sqlite3.Connection, name: str,
                        migrations: tuple[str, ...]) -> None:
        key = "version:" + name
        row = connection.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        version = int(row[0]) if row else 0
        if version > len(migrations):
            raise sqlite3.DatabaseError(
                "%s: %s is of a newer version (%d) than this plugin knows (%d)"
                % (self.path, name, version, len(migrations)))
        for script in migrations[version:]:
            for statement in (s for s in script.split(";") if s.strip()):
                connection.execute(statement)
        connection.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, str(len(migrations))))

    @contextlib.contextmanager
    def connection(self) -> Iterator[sqlite3.Connection]:
        """A connection for the caller alone until the block ends."""
        try:
            connection = self._idle.get_nowait()
        except queue.Empty:
            connection = self._open()
        try:
            self._migrate(connection)
            yield connection
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise
        finally:
            try:
                self._idle.put_nowait(connection)
            except queue.Full:
                connection.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One transaction (taken at once: no other writer in between)."""
        with self.connection() as connection:
            connection.execute("BEGIN IMMEDIATE")
            yield connection
            connection.execute("COMMIT")

    # --- holds: tentative reservations while the assistant talks --------------

    def active_holds(self, calendar: str, start: int, end: int, now: int) -> list[sqlite3.Row]:
        with self.connection() as db:
            db.execute("DELETE FROM holds WHERE until <= ?", (now,))
            return db.execute("SELECT * FROM holds WHERE calendar=? AND start < ? AND end > ?",
                              (calendar, end, start)).fetchall()

    def hold(self, hold_id: str, calendar: str, start: int, end: int, until: int,
             holder: str) -> None:
        with self.connection() as db:
            db.execute("INSERT INTO holds VALUES (?, ?, ?, ?, ?, ?)",
                       (hold_id, calendar, start, end, until, holder))

    def get_hold(self, hold_id: str, now: int) -> Optional[sqlite3.Row]:
        with self.connection() as db:
            return db.execute("SELECT * FROM holds WHERE id=? AND until > ?",
                              (hold_id, now)).fetchone()

    def drop_hold(self, hold_id: str) -> bool:
        with self.connection() as db:
            return db.execute("DELETE FROM holds WHERE id=?", (hold_id,)).rowcount > 0

    # --- leases of handed-out calls -------------------------------------------

    def active_leases(self, now: int, db: Optional[sqlite3.Connection] = None) -> dict:
        with (contextlib.nullcontext(db) if db else self.connection()) as db:
            db.execute("DELETE FROM leases WHERE until <= ?", (now,))
            return {r["phone"]: r for r in db.execute("SELECT * FROM leases")}

    def lease(self, phone: str, uid: str, holder: str, until: int,
              db: Optional[sqlite3.Connection] = None) -> None:
        with (contextlib.nullcontext(db) if db else self.connection()) as db:
            db.execute("INSERT OR REPLACE INTO leases VALUES (?, ?, ?, ?)",
                       (phone, uid, holder, until))

    def release(self, phone: Optional[str] = None, uid: Optional[str] = None) -> int:
        with self.connection() as db:
            if phone is not None:
                return db.execute("DELETE FROM leases WHERE phone=?", (phone,)).rowcount
            return db.execute("DELETE FROM leases WHERE uid=?", (uid,)).rowcount

    def every_hold(self, now: int) -> list[sqlite3.Row]:
        """Every hold still alive (the backend's list), soonest first."""
        with self.connection() as db:
            return db.execute("SELECT * FROM holds WHERE until > ? ORDER BY start",
                              (now,)).fetchall()
