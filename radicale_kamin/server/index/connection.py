"""Connections to the side index file: opened and checked once per process,
pooled across Radicale's request threads (each request is served in a
thread of its own; a fresh connection starts with an empty page cache,
10–25 ms more for due-calls at 20,000 buildings), never handing on a
half-done transaction; a damaged file is set aside and rebuilt, a file of
another layout too — but its change history (``history.py``) is carried
into the new one, so clients keep their sync tokens."""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
from typing import Optional

from radicale_kamin.server.index.schema import CACHE_KIB, SCHEMA

logger = logging.getLogger("radicale")
_LOCK = threading.Lock()


class Connection:
    """The index file's connection of the calling thread (a mixin of
    ``SideIndex``)."""

    def _open(self) -> sqlite3.Connection:
        # Used by one thread at a time, but not always the same (the pool).
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None,
                                     check_same_thread=False)
        try:
            self._prepare(connection)
        except BaseException:
            connection.close()
            raise
        return connection

    def _prepare(self, connection: sqlite3.Connection) -> None:
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        # SQLite's default 2 MB page cache makes indexing a large storage
        # seek for every row (an index of 265,000 entries is 200 MB).
        connection.execute("PRAGMA cache_size=-%d" % CACHE_KIB)
        # Radicale serves each request in a thread of its own, so connections
        # are opened often: the whole file is checked once per process (5 ms
        # at 265,000 entries), later connections only read its version.
        key = (self.path, self.version)
        if _CHECKED_FILES.get(key) == _file_identity(self.path):
            try:
                if connection.execute("SELECT value FROM meta WHERE key='schema'"
                                      ).fetchone() == (self.version,):
                    return
            except sqlite3.OperationalError:
                pass            # another file in its place: check it in full
        connection.executescript(SCHEMA)
        row = connection.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None:
            connection.execute("INSERT INTO meta VALUES ('schema', ?)", (self.version,))
        elif row[0] != self.version:
            self._carried = _read_history(connection)
            raise sqlite3.DatabaseError("index schema %s, expected %s (new version)"
                                        % (row[0], self.version))
        connection.execute("SELECT count(*) FROM items").fetchone()     # readable throughout
        _CHECKED_FILES[key] = _file_identity(self.path)

    @property
    def db(self) -> sqlite3.Connection:
        """This thread's connection. Radicale serves each request in a new
        thread; a connection opened afresh starts with an empty page cache
        (10–25 ms more for due-calls at 20,000 buildings), so a thread that
        ends gives its connection back to a pool for the next one."""
        held = getattr(self._local, "held", None)
        if held is not None and not os.path.exists(self.path):
            held.close()                # the file was deleted: start afresh
            held = None
        if held is None:
            connection = self._pooled_connection()
            held = _Held(connection, _pool(self.path, self.version, _file_identity(self.path)))
            self._local.held = held
        return held.connection

    def _pooled_connection(self) -> sqlite3.Connection:
        pool = _pool(self.path, self.version, _file_identity(self.path))
        while pool:
            try:
                connection = pool.pop()
            except IndexError:
                break
            try:
                connection.execute("SELECT 1")
                return connection
            except sqlite3.ProgrammingError:
                continue                # closed meanwhile
        try:
            connection = self._open()
        except sqlite3.DatabaseError as e:
            logger.warning("Side index %r unusable (%s): rebuilding it", self.path, e)
            self._discard_file()
            connection = self._open()
            carried, self._carried = getattr(self, "_carried", None), None
            if carried:
                _write_history(connection, carried)
        return connection

    def _discard_file(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            try:
                os.replace(self.path + suffix, self.path + suffix + ".corrupt")
            except FileNotFoundError:
                pass

    def transaction(self):
        """``with index.transaction():`` — one commit for many rows."""
        return _Transaction(self.db, self.observer)

    def _transaction_unless_open(self):
        return contextlib.nullcontext() if self.db.in_transaction else self.transaction()


_POOLS: dict[tuple, list[sqlite3.Connection]] = {}     # idle connections per index file


def _pool(path: str, version: str, identity: tuple[int, int]) -> list[sqlite3.Connection]:
    """The idle connections to this index file (a replaced file has
    another identity, so its old connections are never handed out)."""
    key = (path, version, *identity)
    with _LOCK:
        pool = _POOLS.get(key)
        if pool is None:
            for stale in [k for k in _POOLS if k[:2] == (path, version)]:
                for connection in _POOLS.pop(stale):
                    connection.close()
            pool = _POOLS[key] = []
        return pool


class _Held:
    """A thread's connection; given back to its pool when the thread ends
    (the thread's local data goes, and with it this object)."""

    def __init__(self, connection: sqlite3.Connection, pool: list):
        self.connection: Optional[sqlite3.Connection] = connection
        self.pool = pool

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def __del__(self) -> None:
        connection, self.connection = self.connection, None
        if connection is None:
            return
        try:
            if connection.in_transaction:
                connection.close()      # never hand on a half-done transaction
                return
        except sqlite3.ProgrammingError:
            return                      # closed by its user
        self.pool.append(connection)


_CHECKED_FILES: dict[tuple[str, str], tuple[int, int]] = {}   # (path, version) → file checked


def _file_identity(path: str) -> tuple[int, int]:
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return (-1, -1)
    return (stat.st_dev, stat.st_ino)


_HISTORY = (("sync_calendars", 4), ("sync_items", 5))


def _read_history(connection: sqlite3.Connection) -> Optional[dict]:
    """The change history of an index file of another layout, if it has one."""
    try:
        return {table: connection.execute("SELECT * FROM %s" % table).fetchall()
                for table, _ in _HISTORY}
    except sqlite3.Error:
        return None                     # a layout from before the history: clients resync


def _write_history(connection: sqlite3.Connection, carried: dict) -> None:
    with _Transaction(connection):
        for table, width in _HISTORY:
            connection.executemany("INSERT OR IGNORE INTO %s VALUES (%s)" % (
                table, ", ".join("?" * width)), [tuple(row) for row in carried[table]])
    logger.info("Side index: change history of %d calendars carried over",
                len(carried["sync_calendars"]))


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT; the webhooks' observer (if any) writes
    what the transaction saw to its outbox just before the commit, and
    forgets it on a rollback (``webhooks/observer.py``)."""

    def __init__(self, db: sqlite3.Connection, observer=None):
        self.db = db
        self.observer = observer

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, value, traceback):
        if kind is None and self.observer is not None:
            try:
                self.observer.commit()
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
        elif self.observer is not None:
            self.observer.discard()
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
        return False
