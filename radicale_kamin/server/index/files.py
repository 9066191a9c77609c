"""Keeping the side index in step with the files: what every write path of
the storage reports, and what changed on disk since (a directory whose
mtime changed is compared file by file before a query). A request indexes
a few changed files itself; a calendar with more (a storage copied in, a
lost index) is left to the background indexer (``background.py``) and
answered from the files meanwhile (``stale``)."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from typing import Callable, NamedTuple, Optional, Sequence

from radicale_kamin.entries.facts import ItemFacts, PropertyValue, item_index
from radicale_kamin.schedule.due import due_period
from radicale_kamin.server.index.schema import (FACT_COLUMNS, PROPERTY_COLUMNS, RADICALE_CACHE,
                                                SETTLEMENT_KINDS, etag_of, is_item_file,
                                                property_values)

logger = logging.getLogger("radicale")

Progress = Callable[[int, int], None]
_CALENDAR_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCK = threading.Lock()
# Files a request (re)indexes itself before answering (about 0.3 s); a
# calendar with more is indexed in the background, answered from the files
# meanwhile.
INLINE_LIMIT = 300
_COLUMNS = ["calendar", "href", "mtime_ns", "size", "etag", "due_since", "due_until", "length",
            "listed", *FACT_COLUMNS, *(c + s for c in PROPERTY_COLUMNS.values()
                                       for s in ("", "_folded"))]
_INSERT = "INSERT OR REPLACE INTO items (%s) VALUES (%s)" % (", ".join(_COLUMNS),
                                                             ", ".join("?" * len(_COLUMNS)))


class Seen(NamedTuple):
    """What Radicale makes of a file read from disk, where the index cannot
    tell by itself (``SideIndex.etag_reader``)."""

    etag: Optional[str]         # None: the hash of the text
    length: Optional[int]       # getcontentlength; None: the text's
    listed: bool = True         # False: Radicale cannot read it and skips it


class IndexNotReady(RuntimeError):
    """A calendar asked for is still being indexed in the background; its
    answer would be incomplete. The JSON API answers 503 with this text."""

    def __init__(self, calendars: Sequence[str]):
        super().__init__("the side index of %s is still being built (a storage copied in or a "
                         "lost index): try again in a minute" % ", ".join(calendars))
        self.calendars = list(calendars)


class Files:
    """A mixin of ``SideIndex``."""

    def _calendar_dir(self, calendar: str) -> str:
        return os.path.join(self.root, *calendar.split("/"))

    def _store(self, calendar: str, href: str, stat: os.stat_result, text: str,
               facts: ItemFacts, properties: Sequence[PropertyValue] = (),
               seen: Seen = Seen(None, None)) -> None:
        values = {name: getattr(facts, name) for name in FACT_COLUMNS}     # asdict copies deeply
        values.update(property_values(properties))
        due_since, due_until = due_period(values, self.call_settings)
        self._mark_unsettled("calendar=? AND href=?", (calendar, href))    # its old building
        if facts.building and facts.kind in SETTLEMENT_KINDS:
            self.db.execute("INSERT OR IGNORE INTO unsettled VALUES (?)", (facts.building,))
        etag = seen.etag or etag_of(text)
        length = seen.length if seen.length is not None else len(text.encode("utf-8"))
        values.update(calendar=calendar, href=href, mtime_ns=stat.st_mtime_ns, size=stat.st_size,
                      etag=etag, due_since=due_since, due_until=due_until, length=length,
                      listed=seen.listed)
        self.db.execute(_INSERT, [values[name] for name in _COLUMNS])
        self._note_change(calendar, href, etag if seen.listed else "")
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
            facts, properties = item_index(text, self.settings)
        except ValueError:                  # also UnicodeDecodeError
            logger.warning("Side index: %s/%s is not a readable iCalendar item", calendar, href)
            text = raw.decode("utf-8", "replace")
            facts, properties = ItemFacts(uid=None, component=None, valid=False), []
        self._store(calendar, href, stat, text, facts, properties,
                    self._radicale_seen(calendar, href, text, stat, facts))

    def _radicale_seen(self, calendar: str, href: str, text: str, stat: os.stat_result,
                       facts: ItemFacts) -> Seen:
        """What Radicale makes of a file read from disk, where the index
        cannot tell: the ETag of an entry in Radicale's item cache from
        before the plugin, vobject's re-serialisation of what is not plain,
        a file Radicale cannot read — only the storage plugin
        (``etag_reader``) can tell."""
        if self.etag_reader is None:
            return Seen(None, None)
        try:
            return self.etag_reader(calendar, href, text, stat, facts.plain)
        except Exception as e:          # a broken file: Radicale skips it too
            logger.debug("Side index: Radicale cannot read %s/%s: %s", calendar, href, e)
            return Seen(None, None, listed=False)

    def update_item(self, calendar: str, href: str, text: str, settle: bool = True) -> None:
        """After the storage wrote ``href``: index what it wrote (``settle``:
        and decide its building's settlement now, else ``settle_pending``
        later — for many writes in a row)."""
        path = os.path.join(self._calendar_dir(calendar), href)
        facts, properties = item_index(text, self.settings)
        with self._transaction_unless_open():       # one commit, not four
            self._store(calendar, href, os.stat(path), text, facts, properties)
            self._note_directory(calendar)
            if settle:
                self.settle_pending()

    def note_etag(self, calendar: str, href: str, stat: os.stat_result, etag: str) -> None:
        """Radicale now gives the file (as it is, ``stat``) this ETag: an
        entry of its item cache from before the plugin was lost, and the
        file is served as it is. Clients learn of the change."""
        where = ("calendar=? AND href=? AND mtime_ns=? AND size=? AND etag != ? AND listed",
                 (calendar, href, stat.st_mtime_ns, stat.st_size, etag))
        if self.db.execute("SELECT 1 FROM items WHERE " + where[0], where[1]).fetchone() is None:
            return                      # the usual case: nothing to write
        with self._transaction_unless_open():
            if self.db.execute("UPDATE items SET etag=? WHERE " + where[0],
                               (etag, *where[1])).rowcount:
                self._note_change(calendar, href, etag)

    def remove_item(self, calendar: str, href: str) -> None:
        with self._transaction_unless_open():
            self._delete_items("calendar=? AND href=?", (calendar, href))
            self._note_directory(calendar)
            self.settle_pending()

    def remove_collection(self, path: str) -> None:
        """A collection and everything below it was deleted (its change
        history too: tokens of it are refused, as by Radicale)."""
        prefix = path.rstrip("/") + "/"
        below = ("calendar=? OR substr(calendar, 1, ?)=?", (path, len(prefix), prefix))
        with self._transaction_unless_open():
            self._delete_items(*below, note=False)
            self._forget_history(*below)
            self.db.execute("DELETE FROM calendars WHERE " + below[0], below[1])
        self.settle_pending()

    def _delete_items(self, where: str, parameters: Sequence, note: bool = True) -> None:
        """Rows go; their buildings' settlement is to be decided again, and
        (``note``) the history notes their items gone."""
        self._mark_unsettled(where, parameters)
        if self.observer is not None:           # webhooks: into the outbox before the commit
            self.observer.gone(self.db.execute("SELECT calendar, href FROM items WHERE " + where,
                                               tuple(parameters)).fetchall())
            if not self.db.in_transaction:
                self.observer.commit()
        if note:
            self._note_removals(where, parameters)
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
        In a server (``background``), a calendar with more than
        ``INLINE_LIMIT`` files to index is left to the background indexer:
        the others are brought in step, then ``IndexNotReady`` names it.
        """
        if calendars is None:
            calendars = self.calendars_on_disk()
            self._forget_vanished(calendars)
            self.sync_contacts()
        full = full or self.verify_seconds <= 0
        counter = _Counter(progress)
        if progress is not None:
            counter.total = sum(len(self._stale_files(c, full)[0]) for c in calendars)
        waiting = [calendar for calendar in calendars
                   if self._in_step(calendar, full, counter)]
        self.settle_pending()
        if waiting:
            raise IndexNotReady(waiting)
        return counter.done

    def stale(self, calendar: str) -> list[str]:
        """The files of ``calendar`` the index does not know as they are
        now; [] once it is in step. A request asks before it answers from
        the index: a few changed files are indexed at once; while a
        calendar is indexed in the background, the request reads these
        files itself (Radicale's own way) and the rest from the index."""
        left = self._in_step(calendar, self.verify_seconds <= 0, _Counter(None))
        if left:
            self.settle_pending()
        return left

    def _in_step(self, calendar: str, full: bool, counter: "_Counter") -> list[str]:
        """Index what changed in ``calendar``; the hrefs left to the
        background indexer ([] when none). One thread indexes a calendar
        at a time; a request never waits for the background indexer."""
        lock = _calendar_lock(self.path, calendar)
        while not lock.acquire(timeout=0.05):
            if self.background and self._indexing_in_background(calendar):
                return self._stale_files(calendar, full)[0]
        try:
            hrefs, mtime = self._stale_files(calendar, full)
            if self.background and not full and len(hrefs) > INLINE_LIMIT:
                self._index_later(calendar)
                return hrefs
            self._index_files(calendar, hrefs, counter)
            self._note_in_step(calendar, mtime)
        finally:
            lock.release()
        return []

    def _index_files(self, calendar: str, hrefs: Sequence[str], counter: "_Counter",
                     batch: int = 500) -> None:
        for start in range(0, len(hrefs), batch):
            with self.transaction():
                for href in hrefs[start:start + batch]:
                    self._index_file(calendar, href)
                    counter.step()

    def _note_in_step(self, calendar: str, mtime: Optional[int]) -> None:
        """Noted only once the files are in: an interrupted run is picked
        up again by the next query. A calendar indexed for the first time
        (a new or rebuilt index) may have lost items its history still
        names."""
        if mtime is None:
            return
        with self._transaction_unless_open():
            first = self.db.execute("SELECT 1 FROM calendars WHERE calendar=?",
                                    (calendar,)).fetchone() is None
            self.db.execute("INSERT OR REPLACE INTO calendars VALUES (?, ?)", (calendar, mtime))
            if first:
                self._settle_history(calendar)

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
        on_disk = {e.name: e.stat() for e in os.scandir(directory) if is_item_file(e)}
        indexed = {r["href"]: (r["mtime_ns"], r["size"]) for r in self.db.execute(
            "SELECT href, mtime_ns, size FROM items WHERE calendar=?", (calendar,))}
        for href in set(indexed) - set(on_disk):
            self._delete_items("calendar=? AND href=?", (calendar, href))
        return [href for href, stat in sorted(on_disk.items())
                if indexed.get(href) != (stat.st_mtime_ns, stat.st_size)], mtime

    def rebuild(self, progress: Optional[Progress] = None) -> int:
        """Forget everything and index every file again (the change
        history stays: what is unchanged is no change)."""
        for table in ("items", "calendars", "contacts", "contact_buildings", "unsettled"):
            self.db.execute("DELETE FROM %s" % table)
        self.sync_contacts()
        count = self.sync(full=True, progress=progress)
        with self.transaction():
            for calendar in self.calendars_on_disk():
                self._settle_history(calendar)
        return count


def _calendar_lock(index_path: str, calendar: str) -> threading.Lock:
    with _LOCK:
        return _CALENDAR_LOCKS.setdefault((index_path, calendar), threading.Lock())


class _Counter:
    """Files indexed so far, told to ``progress(done, total)``."""

    def __init__(self, progress: Optional[Progress]):
        self.progress = progress
        self.done = 0
        self.total = 0

    def step(self) -> None:
        self.done += 1
        if self.progress is not None:
            self.progress(min(self.done, self.total), self.total)
