"""What changed in a calendar since a client last synced (RFC 6578
sync-collection), kept in the side index instead of Radicale's history files.

Radicale answers a sync-collection by reading every item and one history
file per item, and scans its history folder on every PUT and DELETE — at
3,500 buildings 0.6 s for ten changes and 50–450 ms for a write, growing
with every item ever synced. Here every change of an item's ETag — a write
of the storage, a file changed outside and picked up, a deletion — counts
up its calendar's revision and notes it on the item's history row, in the
transaction that writes the item's index row. A sync token names a
revision; the changes since are one indexed query.

The semantics are Radicale's (``multifilesystem/sync.py``): the same token
while nothing changed; the items changed since a token, deleted ones among
them (answered 404) while their deletion is kept (``max_sync_token_age``);
a token it cannot answer for is refused (``ValueError``: 403
valid-sync-token) and the client syncs afresh. A token carries its revision
and a hash of it keyed by the calendar's history (``epoch``), so a token of
another calendar, of a lost history or of stock Radicale is refused, never
misread.

The history survives ``rebuild`` (``kamin reindex``) and a new index layout
(carried over by ``connection.py``); only a damaged index file loses it,
and then clients sync afresh, as after Radicale loses its cache. The index
may lose its last transactions in a power loss (``synchronous=NORMAL``):
the files changed meanwhile are indexed again at the next start, and their
changes get revisions beyond any token handed out before (``LEAP``).
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from typing import Iterator, Optional, Sequence

TOKEN_PREFIX = "http://radicale.org/ns/sync/"
LEAP = 1 << 32                  # revisions skipped at a process's first change of a calendar
_CHANGED: set[tuple[str, str]] = set()      # (index file, calendar) changed by this process
_LOCK = threading.Lock()


class History:
    """A mixin of ``SideIndex``."""

    clock = staticmethod(time.time)

    def _note_change(self, calendar: str, href: str, etag: str) -> None:
        """``href`` has ``etag`` now ('' = gone): a change if it differs."""
        known = self.db.execute("SELECT etag FROM sync_items WHERE calendar=? AND href=?",
                                (calendar, href)).fetchone()
        if (known[0] if known is not None else "") == etag:
            return
        self.db.execute("INSERT OR REPLACE INTO sync_items VALUES (?, ?, ?, ?, ?)",
                        (calendar, href, etag, self._next_revision(calendar), int(self.clock())))

    def _next_revision(self, calendar: str) -> int:
        """The calendar's next revision. A process's first change of a
        calendar leaps ahead (``LEAP``): the index may lose its last
        transactions in a power loss, and a token handed out before must
        never name a revision that is given again to other changes."""
        with _LOCK:
            first = (self.path, calendar) not in _CHANGED
            _CHANGED.add((self.path, calendar))
        row = self.db.execute("UPDATE sync_calendars SET revision = revision + ?"
                              " WHERE calendar=? RETURNING revision",
                              (LEAP + 1 if first else 1, calendar)).fetchone()
        if row is not None:
            return row[0]
        self._start_history(calendar, 1)
        return 1

    def _start_history(self, calendar: str, revision: int = 0) -> None:
        self.db.execute("INSERT OR IGNORE INTO sync_calendars VALUES (?, ?, ?, 0)",
                        (calendar, os.urandom(16).hex(), revision))

    def _note_removals(self, where: str, parameters: Sequence) -> None:
        """The rows ``where`` selects are about to go: their items are gone."""
        for calendar, href in self.db.execute("SELECT calendar, href FROM items WHERE "
                                              + where, tuple(parameters)).fetchall():
            self._note_change(calendar, href, "")

    def _forget_history(self, where: str, parameters: Sequence) -> None:
        """Whole calendars went (``where`` on ``calendar``): so do their
        histories, and every token of them — as Radicale's cache goes with
        a deleted collection."""
        for table in ("sync_items", "sync_calendars"):
            self.db.execute("DELETE FROM %s WHERE %s" % (table, where), tuple(parameters))

    def _settle_history(self, calendar: str) -> None:
        """After a whole calendar was compared with its files: items the
        history still names but the index no longer has are gone (a rebuild
        forgets rows without noting it)."""
        vanished = self.db.execute(
            "SELECT href FROM sync_items s WHERE calendar=? AND etag != '' AND NOT EXISTS"
            " (SELECT 1 FROM items i WHERE i.calendar=s.calendar AND i.href=s.href"
            " AND i.listed)", (calendar,)).fetchall()
        for (href,) in vanished:
            self._note_change(calendar, href, "")

    def changes(self, calendar: str, token: str = "") -> tuple[str, Iterator[str]]:
        """The calendar's current sync token and the hrefs changed since
        ``token`` (every href the history names, deleted ones too, for no
        token). Raises ValueError for a token it cannot answer for."""
        state = "SELECT epoch, revision, pruned FROM sync_calendars WHERE calendar=?"
        known = self.db.execute(state, (calendar,)).fetchone()
        if known is None:                           # a calendar never written to
            with self._transaction_unless_open():
                self._start_history(calendar)
            known = self.db.execute(state, (calendar,)).fetchone()
        epoch, revision, pruned = known
        since = 0
        if token:
            since = _token_revision(token, epoch, calendar)
            if since is None or since > revision:
                raise ValueError("Token not found: %r" % token)
            if since < pruned:
                raise ValueError("Token too old (deletions since forgotten): %r" % token)
        current = _token(epoch, calendar, revision)
        if since == revision:
            return current, iter(())
        return current, (href for (href,) in self.db.execute(
            "SELECT href FROM sync_items WHERE calendar=? AND revision > ? ORDER BY revision",
            (calendar, since)).fetchall())

    def history_etags(self, calendar: str, hrefs: Sequence[str]) -> dict[str, str]:
        """The ETag the history knows of each of ``hrefs`` ('' = deleted)."""
        found = {}
        for start in range(0, len(hrefs), 500):
            chunk = list(hrefs[start:start + 500])
            found.update(self.db.execute(
                "SELECT href, etag FROM sync_items WHERE calendar=? AND href IN (%s)"
                % ",".join("?" * len(chunk)), (calendar, *chunk)).fetchall())
        return found

    def prune_history(self, max_age: float) -> int:
        """Forget deletions older than ``max_age`` seconds (Radicale's
        ``max_sync_token_age``); tokens from before them are refused from
        now on. Returns how many were forgotten."""
        limit = int(self.clock() - max_age)
        with self._transaction_unless_open():
            old = self.db.execute(
                "SELECT calendar, max(revision), count(*) FROM sync_items INDEXED BY"
                " sync_items_deleted WHERE etag = '' AND changed < ? GROUP BY calendar",
                (limit,)).fetchall()
            for calendar, revision, _ in old:
                self.db.execute("UPDATE sync_calendars SET pruned = max(pruned, ?)"
                                " WHERE calendar=?", (revision, calendar))
            self.db.execute("DELETE FROM sync_items WHERE etag = '' AND changed < ?", (limit,))
        return sum(count for _, _, count in old)


def _mac(epoch: str, calendar: str, revision: int) -> str:
    return hashlib.sha256(("%s/%s/%d" % (epoch, calendar, revision)).encode()).hexdigest()[:48]


def _token(epoch: str, calendar: str, revision: int) -> str:
    """Radicale's form of a token (64 hex digits): the revision, then a
    hash of it keyed by the history."""
    return TOKEN_PREFIX + "%016x" % revision + _mac(epoch, calendar, revision)


def _token_revision(token: str, epoch: str, calendar: str) -> Optional[int]:
    if not token.startswith(TOKEN_PREFIX):
        return None
    name = token[len(TOKEN_PREFIX):]
    if len(name) != 64 or any(c not in "0123456789abcdef" for c in name):
        return None
    revision = int(name[:16], 16)
    return revision if name[16:] == _mac(epoch, calendar, revision) else None
