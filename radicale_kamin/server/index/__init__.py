"""The SQLite side index: what the rules and REPORTs need, without parsing
every file on every request.

The ``.ics`` files stay the only source of truth. The index is a cache of
``facts.item_facts`` per file, keyed by the file's (mtime, size) — like an
index keyed by etag, it cannot silently disagree with the file for long:

* every write path of the storage plugin updates it inside Radicale's write
  lock;
* before answering, a calendar whose directory changed (a file added,
  removed or replaced, also from outside Radicale) is compared file by file;
* every ``verify_seconds`` a background thread compares all calendars file
  by file, which also catches files edited in place;
* a missing or corrupt index file is rebuilt from the files.

One file, WAL mode, inside the storage folder (``kamin-index.sqlite``).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import sqlite3
import threading
import time
from dataclasses import dataclass, fields
from typing import Callable, ContextManager, Iterable, Optional, Sequence

from radicale_kamin.entries.contact import read_contact
from radicale_kamin.entries.entry import Settings
from radicale_kamin.schedule.calls import BOOKING_KINDS, CallSettings
from radicale_kamin.entries.facts import ItemFacts, item_facts
from radicale_kamin.schedule.due import due_period, settled_deadlines

logger = logging.getLogger("radicale")

SCHEMA_VERSION = "16"
INDEX_FILE = "kamin-index.sqlite"
RADICALE_CACHE = ".Radicale.cache"
CACHE_KIB = 64 * 1024
_FACT_COLUMNS = [f.name for f in fields(ItemFacts)]
SETTLEMENT_KINDS = (*BOOKING_KINDS, "deadline")      # the rows that settle or are settled
_SETTLEMENT_SQL = "(%s)" % ", ".join("'%s'" % kind for kind in SETTLEMENT_KINDS)

_SCHEMA = """
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
CREATE TABLE IF NOT EXISTS holds (
    id TEXT PRIMARY KEY,
    calendar TEXT NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    until INTEGER NOT NULL,           -- expiry (POSIX seconds)
    holder TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    phone TEXT PRIMARY KEY,
    uid TEXT NOT NULL,
    holder TEXT,
    until INTEGER NOT NULL
);
""" % ",\n    ".join(_FACT_COLUMNS)

Progress = Callable[[int, int], None]
_VERIFIERS: dict[str, threading.Thread] = {}
_VERIFIERS_LOCK = threading.Lock()


def etag_of(text: str) -> str:
    """Radicale's ETag of an item's text (``radicale.item.get_etag``)."""
    return '"%s"' % hashlib.sha256(text.encode("utf-8")).hexdigest()


def _is_item_file(entry: os.DirEntry) -> bool:
    return not entry.name.startswith(".") and entry.is_file(follow_symlinks=False)


class SideIndex:
    """The index of one Radicale storage folder."""

    def __init__(self, folder: str, collection_root: str,
                 settings: Settings = Settings(), verify_seconds: float = 60.0,
                 call_settings: CallSettings = CallSettings()):
        self.path = os.path.join(folder, INDEX_FILE)
        self.root = collection_root
        self.settings = settings
        self.call_settings = call_settings
        # The due periods depend on the calling options: other options, another index.
        self.version = "%s/%s" % (SCHEMA_VERSION, hashlib.sha256(
            repr(call_settings).encode()).hexdigest()[:12])
        self.verify_seconds = verify_seconds
        # Radicale's ETag of a file read from disk where it is not the hash
        # of its text, given (calendar, href, text, stat, plain): the
        # storage plugin sets it.
        self.etag_reader: Optional[Callable[..., Optional[str]]] = None
        self._local = threading.local()

    # --- connection ---------------------------------------------------------

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
        connection.executescript(_SCHEMA)
        row = connection.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None:
            connection.execute("INSERT INTO meta VALUES ('schema', ?)", (self.version,))
        elif row[0] != self.version:
            raise sqlite3.DatabaseError("index schema %s, expected %s (new version or "
                                        "calling options)" % (row[0], self.version))
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
        return connection

    def _discard_file(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            try:
                os.replace(self.path + suffix, self.path + suffix + ".corrupt")
            except FileNotFoundError:
                pass

    # --- keeping in step ----------------------------------------------------

    def _calendar_dir(self, calendar: str) -> str:
        return os.path.join(self.root, *calendar.split("/"))

    def _store(self, calendar: str, href: str, stat: os.stat_result, text: str,
               facts: ItemFacts, etag: Optional[str] = None) -> None:
        values = {name: getattr(facts, name) for name in _FACT_COLUMNS}     # asdict copies deeply
        due_since, due_until = due_period(values, self.call_settings)
        self._mark_unsettled("calendar=? AND href=?", (calendar, href))    # its old building
        if facts.building and facts.kind in SETTLEMENT_KINDS:
            self.db.execute("INSERT OR IGNORE INTO unsettled VALUES (?)", (facts.building,))
        self.db.execute(
            "INSERT OR REPLACE INTO items (calendar, href, mtime_ns, size, etag, due_since,"
            " due_until, %s) VALUES (?, ?, ?, ?, ?, ?, ?, %s)" % (
                ", ".join(_FACT_COLUMNS), ", ".join("?" * len(_FACT_COLUMNS))),
            (calendar, href, stat.st_mtime_ns, stat.st_size, etag or etag_of(text), due_since,
             due_until, *(values[name] for name in _FACT_COLUMNS)))

    def _index_file(self, calendar: str, href: str) -> None:
        path = os.path.join(self._calendar_dir(calendar), href)
        try:
            stat = os.stat(path)
            with open(path, "rb") as f:
                raw = f.read()
        except FileNotFoundError:
            self.remove_item(calendar, href)
            return
        try:
            text = raw.decode("utf-8")
            facts = item_facts(text, self.settings)
        except ValueError:                  # also UnicodeDecodeError
            logger.warning("Side index: %s/%s is not a readable iCalendar item", calendar, href)
            text = raw.decode("utf-8", "replace")
            facts = ItemFacts(uid=None, component=None, valid=False)
        self._store(calendar, href, stat, text, facts,
                    self._radicale_etag(calendar, href, text, stat, facts))

    def _radicale_etag(self, calendar: str, href: str, text: str, stat: os.stat_result,
                       facts: ItemFacts) -> Optional[str]:
        """The ETag Radicale gives a file read from disk, where it is not
        the hash of the text: an entry in Radicale's item cache from before
        the plugin, or vobject's re-serialisation of what is not plain —
        only the storage plugin (``etag_reader``) can tell."""
        if self.etag_reader is None or not facts.valid and facts.uid is None:
            return None
        try:
            return self.etag_reader(calendar, href, text, stat, facts.plain)
        except Exception as e:          # a broken file: Radicale skips it too
            logger.debug("Side index: no ETag from Radicale for %s/%s: %s", calendar, href, e)
            return None

    def update_item(self, calendar: str, href: str, text: str, settle: bool = True) -> None:
        """After the storage wrote ``href``: index what it wrote (``settle``:
        and decide its building's settlement now, else ``settle_pending``
        later — for many writes in a row)."""
        path = os.path.join(self._calendar_dir(calendar), href)
        facts = item_facts(text, self.settings)
        with self._transaction_unless_open():       # one commit, not four
            self._store(calendar, href, os.stat(path), text, facts)
            self._note_directory(calendar)
            if settle:
                self.settle_pending()

    def remove_item(self, calendar: str, href: str) -> None:
        with self._transaction_unless_open():
            self._delete_items("calendar=? AND href=?", (calendar, href))
            self._note_directory(calendar)
            self.settle_pending()

    def remove_collection(self, path: str) -> None:
        """A collection and everything below it was deleted."""
        prefix = path.rstrip("/") + "/"
        below = ("calendar=? OR substr(calendar, 1, ?)=?", (path, len(prefix), prefix))
        self._delete_items(*below)
        self.db.execute("DELETE FROM calendars WHERE " + below[0], below[1])
        self.settle_pending()

    def _delete_items(self, where: str, parameters: Sequence) -> None:
        """Rows go; their buildings' settlement is to be decided again."""
        self._mark_unsettled(where, parameters)
        self.db.execute("DELETE FROM items WHERE " + where, tuple(parameters))

    # --- deadlines settled by a booking -------------------------------------

    def _mark_unsettled(self, where: str, parameters: Sequence) -> None:
        """The buildings of the rows ``where`` selects need their
        settlement decided again (they are about to change or go)."""
        self.db.execute(
            "INSERT OR IGNORE INTO unsettled SELECT DISTINCT building FROM items"
            " WHERE building IS NOT NULL AND kind IN %s AND (%s)" % (_SETTLEMENT_SQL, where),
            tuple(parameters))

    def settle_pending(self) -> None:
        """Decide, for every building written since the last time, which of
        its deadlines a booking settles (``due.settled_deadlines``), so
        whom to call is one indexed query. The pending buildings are a
        table: a run cut short is finished by the next one."""
        pending = [r[0] for r in self.db.execute("SELECT building FROM unsettled")]
        for first in range(0, len(pending), 500):
            chunk = pending[first:first + 500]
            with self._transaction_unless_open():
                rows = self.db.execute(
                    "SELECT * FROM items INDEXED BY items_building WHERE building IN (%s)"
                    " AND valid AND kind IN %s" % (",".join("?" * len(chunk)), _SETTLEMENT_SQL),
                    chunk).fetchall()
                decided = settled_deadlines(rows, self.call_settings)
                self.db.executemany(
                    "UPDATE items SET settled=? WHERE calendar=? AND href=? AND settled != ?",
                    [(int(settled), calendar, href, int(settled))
                     for (calendar, href), settled in decided.items()])
                self.db.executemany("DELETE FROM unsettled WHERE building=?",
                                    [(b,) for b in chunk])

    def _transaction_unless_open(self):
        return contextlib.nullcontext() if self.db.in_transaction else self.transaction()

    def _note_directory(self, calendar: str) -> None:
        try:
            mtime = os.stat(self._calendar_dir(calendar)).st_mtime_ns
        except FileNotFoundError:
            return
        known = self.db.execute("SELECT dir_mtime_ns FROM calendars WHERE calendar=?",
                                (calendar,)).fetchone()
        if known is not None:
            self.db.execute("UPDATE calendars SET dir_mtime_ns=? WHERE calendar=?",
                            (mtime, calendar))

    def calendars_on_disk(self) -> list[str]:
        """Every calendar collection (sane path) under the collection root."""
        return self.collections_on_disk("VCALENDAR")

    def collections_on_disk(self, tag: str) -> list[str]:
        """Every collection with ``tag`` (sane path) under the collection root."""
        found = []

        def walk(directory: str, path: str) -> None:
            if path:
                try:
                    with open(os.path.join(directory, ".Radicale.props"), encoding="utf-8") as f:
                        props = f.read()
                except FileNotFoundError:
                    props = ""
                if '"%s"' % tag in props:
                    found.append(path)
                if '"tag"' in props:
                    return          # calendars and address books hold no collections
            try:
                entries = list(os.scandir(directory))
            except FileNotFoundError:
                return
            for entry in entries:
                if entry.is_dir(follow_symlinks=False) and not entry.name.startswith("."):
                    walk(entry.path, path + "/" + entry.name if path else entry.name)

        walk(self.root, "")
        return sorted(found)

    def sync(self, calendars: Optional[Sequence[str]] = None, full: bool = False,
             progress: Optional[Progress] = None) -> int:
        """Bring the index in step with the files; returns files re-indexed.

        Only calendars whose directory changed are compared file by file,
        unless ``full`` (or ``verify_seconds`` is 0: before every query).
        The periodic file-by-file check runs in the background
        (``start_verifier``), so no request pays for it.
        """
        if calendars is None:
            calendars = self.calendars_on_disk()
            self._forget_vanished(calendars)
            self.sync_contacts()
        full = full or self.verify_seconds <= 0
        plans = [(calendar, *self._stale_files(calendar, full)) for calendar in calendars]
        total = sum(len(hrefs) for _, hrefs, _ in plans)
        if progress is None and total >= 2000:
            progress = _log_progress
        done = 0
        for number, (calendar, hrefs, mtime) in enumerate(plans):
            # One thread indexes a calendar at a time (a request and the
            # background check would otherwise both read every new file);
            # a plan made before waiting is made again.
            lock = _calendar_lock(self.path, calendar)
            if not lock.acquire(blocking=False):
                lock.acquire()
                hrefs, mtime = self._stale_files(calendar, full)
            elif number > 0 and hrefs:
                hrefs, mtime = self._stale_files(calendar, full)
            try:
                for batch_start in range(0, len(hrefs), 500):
                    with self.transaction():
                        for href in hrefs[batch_start:batch_start + 500]:
                            self._index_file(calendar, href)
                            done += 1
                            if progress:
                                progress(min(done, total), total)
                if mtime is not None:
                    # Noted only once the files are in: an interrupted run
                    # is picked up again by the next query.
                    self.db.execute("INSERT OR REPLACE INTO calendars VALUES (?, ?)",
                                    (calendar, mtime))
            finally:
                lock.release()
        self.settle_pending()
        return done

    def transaction(self):
        """``with index.transaction():`` — one commit for many rows."""
        return _Transaction(self.db)

    def start_verifier(self, read_lock: Callable[[], ContextManager]) -> None:
        """Compare every indexed file with the disk every ``verify_seconds``
        in a background thread — one per process and index file, however
        many storage objects Radicale creates — calendar by calendar, each
        under the storage's read lock (``read_lock()``)."""
        if self.verify_seconds <= 0:
            return
        with _VERIFIERS_LOCK:
            running = _VERIFIERS.get(self.path)
            if running is not None and running.is_alive():
                return
            thread = threading.Thread(target=self._verify_forever, args=(read_lock,),
                                      name="kamin-index-check", daemon=True)
            _VERIFIERS[self.path] = thread
            thread.start()

    def _verify_forever(self, read_lock: Callable[[], ContextManager]) -> None:
        while os.path.isdir(self.root):
            time.sleep(self.verify_seconds)
            try:
                for calendar in self.calendars_on_disk():
                    with read_lock():
                        self.sync([calendar], full=True)
                with read_lock():
                    self.sync_contacts()
            except Exception as e:     # keep checking; the next query heals too
                logger.warning("Side index check failed: %s: %s", type(e).__name__, e)

    def _forget_vanished(self, calendars: Sequence[str]) -> None:
        known = [r[0] for r in self.db.execute(
            "SELECT calendar FROM calendars WHERE calendar NOT LIKE 'book:%'")]
        for calendar in set(known) - set(calendars):
            self.remove_collection(calendar)

    def _stale_files(self, calendar: str, full: bool) -> tuple[list[str], Optional[int]]:
        """Files of ``calendar`` whose index row is missing or outdated, and
        the directory's mtime to note once they are indexed."""
        directory = self._calendar_dir(calendar)
        try:
            # Radicale makes its cache folder on the first read: made now,
            # it does not change the directory's mtime after it is noted
            # (which would cost a compare of every file, 0.6 s at 65,000).
            with contextlib.suppress(FileExistsError):
                os.mkdir(os.path.join(directory, RADICALE_CACHE))
            mtime = os.stat(directory).st_mtime_ns
        except FileNotFoundError:
            self.remove_collection(calendar)
            return [], None
        known = self.db.execute("SELECT dir_mtime_ns FROM calendars WHERE calendar=?",
                                (calendar,)).fetchone()
        if known is not None and known[0] == mtime and not full:
            return [], None
        on_disk = {e.name: e.stat(follow_symlinks=False) for e in os.scandir(directory)
                   if _is_item_file(e)}
        indexed = {r["href"]: (r["mtime_ns"], r["size"]) for r in self.db.execute(
            "SELECT href, mtime_ns, size FROM items WHERE calendar=?", (calendar,))}
        for href in set(indexed) - set(on_disk):
            self._delete_items("calendar=? AND href=?", (calendar, href))
        return [href for href, stat in sorted(on_disk.items())
                if indexed.get(href) != (stat.st_mtime_ns, stat.st_size)], mtime

    def rebuild(self, progress: Optional[Progress] = None) -> int:
        """Forget everything and index every file again."""
        for table in ("items", "calendars", "contacts", "contact_buildings", "unsettled"):
            self.db.execute("DELETE FROM %s" % table)
        self.sync_contacts()
        return self.sync(full=True, progress=progress)

    def sync_contacts(self) -> None:
        """Bring the contacts in step with the address books' files (only
        books whose directory changed are read again)."""
        books = self.collections_on_disk("VADDRESSBOOK")
        known = {r[0][len("book:"):]: r[1] for r in self.db.execute(
            "SELECT calendar, dir_mtime_ns FROM calendars WHERE calendar LIKE 'book:%'")}
        for book in set(known) - set(books):
            self.remove_contact(book)
            self.db.execute("DELETE FROM calendars WHERE calendar=?", ("book:" + book,))
        for book in books:
            directory = self._calendar_dir(book)
            mtime = os.stat(directory).st_mtime_ns
            if known.get(book) == mtime:
                continue
            with self.transaction():
                self.remove_contact(book)
                for entry in os.scandir(directory):
                    if not _is_item_file(entry):
                        continue
                    try:
                        with open(entry.path, encoding="utf-8", newline="") as f:
                            _, facts, _ = read_contact(f.read(), self.settings.phone_region)
                    except (ValueError, UnicodeDecodeError):
                        logger.warning("Side index: %s/%s is not a readable vCard", book, entry.name)
                        continue
                    self.update_contact(book, entry.name, facts)
                self.db.execute("INSERT OR REPLACE INTO calendars VALUES (?, ?)",
                                ("book:" + book, mtime))

    # --- queries ------------------------------------------------------------

    def rows(self, where: str = "1", parameters: Iterable = ()) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM items WHERE %s" % where,
                               tuple(parameters)).fetchall()

    def has_uid(self, calendar: str, uid: str) -> bool:
        return self.db.execute("SELECT 1 FROM items WHERE calendar=? AND uid=? LIMIT 1",
                               (calendar, uid)).fetchone() is not None

    def candidates(self, calendar: str, component: Optional[str], start: int, end: int,
                   building: Optional["BuildingMatch"] = None) -> list[sqlite3.Row]:
        """Items that may match a REPORT: a superset of Radicale's prefilter,
        narrowed in SQL by a positive building text-match (the caller
        decides exactly)."""
        # Exact ranges are found on the range index, reaching back by the
        # calendar's longest one; the others (recurring, to-dos) are few.
        span = self.db.execute(
            "SELECT max(range_end - range_start) FROM items WHERE calendar=? AND exact=1",
            (calendar,)).fetchone()[0] or 0
        where = ["calendar=?", "((exact=1 AND range_start >= ? AND range_start < ?)"
                 " OR (exact=0 AND range_start < ?))", "range_end > ?"]
        parameters: list = [calendar, start - span, end, end, start]
        if component is not None:
            where.append("component=?")
            parameters.append(component)
        if building is not None and not building.negate:
            if building.case_sensitive:
                where.append("instr(buildings, ?) > 0")
                parameters.append(building.text)
            else:
                # LIKE folds ASCII only: rows with other characters are kept
                # for the exact (Python lower()) comparison.
                pattern = re.sub(r"([\\%_])", r"\\\1", building.text)
                where.append("(buildings LIKE ? ESCAPE '\\' OR buildings GLOB ?)")
                parameters += ["%" + pattern + "%", "*[^\x01-\x7f]*"]
        return self.db.execute(
            "SELECT href, exact, recurring, component, range_start, range_end, buildings"
            " FROM items WHERE " + " AND ".join(where), parameters).fetchall()

    def due_at(self, calendars: Sequence[str], moment: int) -> list[sqlite3.Row]:
        """Entries whose due period contains ``moment``, but for deadlines a
        booking settles: found on the due_since index, reaching back by the
        longest due period."""
        self.settle_pending()
        span = self.db.execute("SELECT max(due_until - due_since) FROM items").fetchone()[0] or 0
        return self.db.execute(
            "SELECT * FROM items INDEXED BY items_due WHERE due_since >= ? AND due_since <= ?"
            " AND due_until > ? AND valid AND NOT (kind = 'deadline' AND settled)"
            " AND calendar IN (%s)" % ",".join("?" * len(calendars)),
            (moment - span, moment, moment, *calendars)).fetchall()

    def blocking(self, calendar: str, low: int, high: int) -> list[sqlite3.Row]:
        """Entries of ``calendar`` that take time between ``low`` and
        ``high``: single entries overlapping it (found on the start index,
        reaching back by the calendar's longest entry) and every recurring
        one that has begun (its occurrences are for the rules to expand)."""
        span = self.db.execute("SELECT max(end - start) FROM items WHERE calendar=?",
                               (calendar,)).fetchone()[0] or 0
        single = self.db.execute(
            "SELECT * FROM items INDEXED BY items_start WHERE start >= ? AND start < ?"
            " AND calendar = ? AND valid AND blocks AND NOT recurring AND end > ?",
            (low - max(span, 0) - 1, high, calendar, low)).fetchall()
        recurring = self.db.execute(
            "SELECT * FROM items WHERE recurring AND calendar = ? AND valid AND blocks"
            " AND start < ?", (calendar, high)).fetchall()
        return single + recurring

    # --- queries of the JSON API --------------------------------------------
    # Each names what the API asks; the rules (calls.py) decide exactly
    # from the rows, so a query may return a superset.

    def _in_calendars(self, calendars: Sequence[str], where: str,
                      parameters: Sequence = ()) -> list[sqlite3.Row]:
        if not calendars:
            return []
        return self.rows("calendar IN (%s) AND (%s)" % (",".join("?" * len(calendars)), where),
                         (*calendars, *parameters))

    def entry(self, calendar: str, href: str) -> Optional[sqlite3.Row]:
        """The row of one file, or None."""
        return self.db.execute("SELECT * FROM items WHERE calendar=? AND href=?",
                               (calendar, href)).fetchone()

    def entries_with_uid(self, calendars: Sequence[str], uid: str) -> list[sqlite3.Row]:
        """Every row of ``uid`` in ``calendars`` (one per calendar holding it)."""
        return self._in_calendars(calendars, "uid = ?", (uid,))

    def building_entries(self, calendars: Sequence[str], building: str) -> list[sqlite3.Row]:
        """The valid entries of a building (X-KAMIN-BUILDING) in ``calendars``."""
        return self._in_calendars(calendars, "valid AND building = ?", (building,))

    def has_deadline(self, calendars: Sequence[str], building: str) -> bool:
        """Whether a building has a deadline entry in ``calendars``."""
        return bool(self._in_calendars(calendars, "kind = 'deadline' AND building = ?",
                                       (building,)))

    def _listable(self, calendars: Sequence[str], where: str,
                  parameters: Sequence = ()) -> list[sqlite3.Row]:
        """Rows for an office list: valid, dated, and no deadline a booking
        settles (``settle_pending`` decides those first)."""
        self.settle_pending()
        return self._in_calendars(
            calendars, "valid AND start IS NOT NULL AND NOT (kind = 'deadline' AND settled)"
            " AND (%s)" % where, parameters)

    def data_missing_candidates(self, calendars: Sequence[str],
                                orange_states: Sequence[str]) -> list[sqlite3.Row]:
        """Entries that may be on GET data-missing: orange ones, and deadlines
        without phone not yet answered, notified or proven by a Formblatt."""
        return self._listable(
            calendars, "state IN (%s) OR (kind = 'deadline' AND phone IS NULL AND outcome IS NULL"
            " AND notified IS NULL AND formblatt IS NULL)" % ",".join("?" * len(orange_states)),
            tuple(orange_states))

    def follow_up_candidates(self, calendars: Sequence[str], formblatt_before: int,
                             notice_works: Sequence[str]) -> list[sqlite3.Row]:
        """Entries that may be on GET follow-up: rejected, callback, failed
        attempts, deadlines due before ``formblatt_before`` without a
        Formblatt, and unanswered appointments of a work that needs notice."""
        works = ",".join("?" * len(notice_works)) or "NULL"
        return self._listable(
            calendars,
            "kind IN ('internal', 'deadline') AND (outcome IN ('rejected', 'callback')"
            " OR state IN ('rejected', 'callback') OR attempts > 0"
            " OR (kind = 'deadline' AND formblatt IS NULL AND start <= ?)"
            " OR (kind = 'internal' AND outcome IS NULL AND work IN (%s)))" % works,
            (formblatt_before, *notice_works))

    # --- contacts (vCards of address books) ----------------------------------

    def update_contact(self, addressbook: str, href: str, facts) -> None:
        self.remove_contact(addressbook, href)
        self.db.execute("INSERT INTO contacts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (addressbook, href, facts.uid, facts.name, facts.phone, facts.phone_type,
                         facts.location, facts.address, "\x1f".join(facts.buildings),
                         facts.address_key))
        self.db.executemany("INSERT INTO contact_buildings VALUES (?, ?, ?)",
                            [(addressbook, href, b) for b in facts.buildings])

    def remove_contact(self, addressbook: str, href: Optional[str] = None) -> None:
        for table in ("contacts", "contact_buildings"):
            if href is None:
                self.db.execute("DELETE FROM %s WHERE addressbook=?" % table, (addressbook,))
            else:
                self.db.execute("DELETE FROM %s WHERE addressbook=? AND href=?" % table,
                                (addressbook, href))

    def find_contact(self, uid: Optional[str], building: Optional[str]) -> Optional[sqlite3.Row]:
        """The contact an entry links to: by its UID, else by the building."""
        if uid:
            row = self.db.execute("SELECT * FROM contacts WHERE uid=? LIMIT 1", (uid,)).fetchone()
            if row is not None:
                return row
        if building:
            return self.db.execute(
                "SELECT c.* FROM contacts c JOIN contact_buildings b USING (addressbook, href)"
                " WHERE b.building=? ORDER BY c.addressbook, c.href LIMIT 1", (building,)).fetchone()
        return None

    def contacts_at(self, address_key: str) -> list[sqlite3.Row]:
        """The contacts at an address (``AddressResult.match_key``)."""
        return self.db.execute("SELECT * FROM contacts WHERE address_key=?"
                               " ORDER BY addressbook, href", (address_key,)).fetchall()

    def unlinked_entries_at(self, address_key: str, kinds: Sequence[str]) -> list[sqlite3.Row]:
        """Entries of ``kinds`` at an address linked to no contact and no
        building: the ones a contact living there may claim."""
        return self.rows("contact IS NULL AND building IS NULL AND address_key=? AND kind IN (%s)"
                         % ",".join("?" * len(kinds)), (address_key, *kinds))

    def linked_entries(self, uid: Optional[str], buildings: Iterable[str]) -> list[sqlite3.Row]:
        buildings = list(buildings)
        where, parameters = [], []
        if uid:
            where.append("contact = ?")
            parameters.append(uid)
        if buildings:
            where.append("(contact IS NULL AND building IN (%s))" % ",".join("?" * len(buildings)))
            parameters.extend(buildings)
        if not where:
            return []
        return self.rows(" OR ".join(where), parameters)

    # --- holds: tentative reservations while the assistant talks ------------

    def active_holds(self, calendar: str, start: int, end: int, now: int) -> list[sqlite3.Row]:
        self.db.execute("DELETE FROM holds WHERE until <= ?", (now,))
        return self.db.execute(
            "SELECT * FROM holds WHERE calendar=? AND start < ? AND end > ?",
            (calendar, end, start)).fetchall()

    def hold(self, hold_id: str, calendar: str, start: int, end: int, until: int,
             holder: str) -> None:
        self.db.execute("INSERT INTO holds VALUES (?, ?, ?, ?, ?, ?)",
                        (hold_id, calendar, start, end, until, holder))

    def get_hold(self, hold_id: str, now: int) -> Optional[sqlite3.Row]:
        return self.db.execute("SELECT * FROM holds WHERE id=? AND until > ?",
                               (hold_id, now)).fetchone()

    def drop_hold(self, hold_id: str) -> bool:
        return self.db.execute("DELETE FROM holds WHERE id=?", (hold_id,)).rowcount > 0

    # --- leases of handed-out calls ----------------------------------------

    def active_leases(self, now: int) -> dict[str, sqlite3.Row]:
        self.db.execute("DELETE FROM leases WHERE until <= ?", (now,))
        return {r["phone"]: r for r in self.db.execute("SELECT * FROM leases")}

    def lease(self, phone: str, uid: str, holder: str, until: int) -> None:
        self.db.execute("INSERT OR REPLACE INTO leases VALUES (?, ?, ?, ?)",
                        (phone, uid, holder, until))

    def release(self, phone: Optional[str] = None, uid: Optional[str] = None) -> int:
        if phone is not None:
            cursor = self.db.execute("DELETE FROM leases WHERE phone=?", (phone,))
        else:
            cursor = self.db.execute("DELETE FROM leases WHERE uid=?", (uid,))
        return cursor.rowcount


_CALENDAR_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_POOLS: dict[tuple, list[sqlite3.Connection]] = {}     # idle connections per index file


def _pool(path: str, version: str, identity: tuple[int, int]) -> list[sqlite3.Connection]:
    """The idle connections to this index file (a replaced file has
    another identity, so its old connections are never handed out)."""
    key = (path, version, *identity)
    with _VERIFIERS_LOCK:
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



def _calendar_lock(index_path: str, calendar: str) -> threading.Lock:
    with _VERIFIERS_LOCK:
        return _CALENDAR_LOCKS.setdefault((index_path, calendar), threading.Lock())


def _log_progress(done: int, total: int) -> None:
    """Progress of a large (re)indexing inside the server, for the log."""
    if done == 1 or done % 5000 == 0 or done == total:
        logger.info("Side index: %d of %d entries indexed", done, total)


class _Transaction:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, kind, value, traceback):
        self.db.execute("COMMIT" if kind is None else "ROLLBACK")
        return False


_CALDAV = "{urn:ietf:params:xml:ns:caldav}"


@dataclass(frozen=True)
class BuildingMatch:
    """A REPORT's text-match on X-KAMIN-BUILDING, evaluated like Radicale's
    ``radicale.item.filter.text_match`` (substring, Python ``lower()``
    unless the collation is ``i;octet``)."""

    text: str
    case_sensitive: bool
    negate: bool
    whole_filter: bool          # the REPORT asks for nothing else

    def matches(self, values: Sequence[str]) -> bool:
        """Whether any of an item's building values matches (negation
        aside: the caller only narrows on positive matches)."""
        text = self.text if self.case_sensitive else self.text.lower()
        return any(text in (value if self.case_sensitive else value.lower()) for value in values)


def building_match(filters: Sequence) -> Optional[BuildingMatch]:
    """The first text-match on X-KAMIN-BUILDING of a VEVENT in CalDAV REPORT
    filters — a necessary condition, as every child of a comp-filter must
    match — or None."""
    found = []
    for top in filters:
        for calendar_filter in top.findall(_CALDAV + "comp-filter"):
            if calendar_filter.get("name", "").upper() != "VCALENDAR":
                continue
            for event_filter in calendar_filter.findall(_CALDAV + "comp-filter"):
                if event_filter.get("name", "").upper() != "VEVENT":
                    continue
                for prop_filter in event_filter.findall(_CALDAV + "prop-filter"):
                    if prop_filter.get("name", "").upper() != "X-KAMIN-BUILDING":
                        continue
                    for match in prop_filter.findall(_CALDAV + "text-match"):
                        whole = (len(filters) == 1 and len(top) == 1 and len(calendar_filter) == 1
                                 and len(event_filter) == 1 and len(prop_filter) == 1)
                        found.append(BuildingMatch(
                            text=next(match.itertext(), ""),
                            case_sensitive=match.get("collation") == "i;octet",
                            negate=match.get("negate-condition") == "yes", whole_filter=whole))
    return found[0] if found else None
