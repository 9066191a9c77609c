"""Keeping the side index in step with the files: what every write path of
the storage reports, what changed on disk since (a directory whose mtime
changed is compared file by file before a query), and a background
verifier that compares every calendar every ``verify_seconds`` (files
edited in place)."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from typing import Callable, ContextManager, Optional, Sequence

from radicale_kamin.entries.facts import ItemFacts, item_facts
from radicale_kamin.schedule.due import due_period
from radicale_kamin.server.index.schema import (FACT_COLUMNS, RADICALE_CACHE, SETTLEMENT_KINDS, etag_of,
                                                is_item_file)

logger = logging.getLogger("radicale")

Progress = Callable[[int, int], None]
_VERIFIERS: dict[str, threading.Thread] = {}
_CALENDAR_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCK = threading.Lock()


class Files:
    """A mixin of ``SideIndex``."""

    def _calendar_dir(self, calendar: str) -> str:
        return os.path.join(self.root, *calendar.split("/"))

    def _store(self, calendar: str, href: str, stat: os.stat_result, text: str,
               facts: ItemFacts, etag: Optional[str] = None) -> None:
        values = {name: getattr(facts, name) for name in FACT_COLUMNS}     # asdict copies deeply
        due_since, due_until = due_period(values, self.call_settings)
        self._mark_unsettled("calendar=? AND href=?", (calendar, href))    # its old building
        if facts.building and facts.kind in SETTLEMENT_KINDS:
            self.db.execute("INSERT OR IGNORE INTO unsettled VALUES (?)", (facts.building,))
        etag = etag or etag_of(text)
        self.db.execute(
            "INSERT OR REPLACE INTO items (calendar, href, mtime_ns, size, etag, due_since,"
            " due_until, %s) VALUES (?, ?, ?, ?, ?, ?, ?, %s)" % (
                ", ".join(FACT_COLUMNS), ", ".join("?" * len(FACT_COLUMNS))),
            (calendar, href, stat.st_mtime_ns, stat.st_size, etag, due_since,
             due_until, *(values[name] for name in FACT_COLUMNS)))
        if self.observer is not None:           # webhooks: into the outbox before the commit
            self.observer.seen(calendar, href, etag, values)

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
        if self.observer is not None:           # webhooks: into the outbox before the commit
            self.observer.gone(self.db.execute("SELECT calendar, href FROM items WHERE " + where,
                                               tuple(parameters)).fetchall())
            if not self.db.in_transaction:
                self.observer.commit()
        self.db.execute("DELETE FROM items WHERE " + where, tuple(parameters))

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

    def start_verifier(self, read_lock: Callable[[], ContextManager]) -> None:
        """Compare every indexed file with the disk every ``verify_seconds``
        in a background thread — one per process and index file, however
        many storage objects Radicale creates — calendar by calendar, each
        under the storage's read lock (``read_lock()``)."""
        if self.verify_seconds <= 0:
            return
        with _LOCK:
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
                   if is_item_file(e)}
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


def _calendar_lock(index_path: str, calendar: str) -> threading.Lock:
    with _LOCK:
        return _CALENDAR_LOCKS.setdefault((index_path, calendar), threading.Lock())


def _log_progress(done: int, total: int) -> None:
    """Progress of a large (re)indexing inside the server, for the log."""
    if done == 1 or done % 5000 == 0 or done == total:
        logger.info("Side index: %d of %d entries indexed", done, total)
