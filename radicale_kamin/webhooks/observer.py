"""What the side index sees of entry files, into the outbox before the
index commits it.

Every way an entry reaches the disk ends in the side index: the storage's
writes (PUT, MOVE, DELETE, whole calendars, imports, the API) report to it
after Radicale wrote the file, and files changed behind Radicale's back
are found by its sync. The index tells this observer each row it stores
(``seen``) and each it drops (``gone``), and calls ``commit`` just before
its own transaction commits (``discard`` when it rolls back). ``commit``
writes the changes and their events to the outbox in one transaction of
the state store. Hence:

* no event for a write that did not happen — only files on disk are seen;
* no lost event for one that did: if the process dies after the file was
  written but before the outbox committed, the index did not commit either,
  still describes the old file, and its next sync (at the latest at the
  next start, ``Dispatcher.catch_up``) sees the file again;
* an index row dropped while its file is still there (a whole calendar
  written anew, a rebuild) is no deletion: the file is looked at.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from typing import Callable, Mapping, Sequence

from radicale_kamin.webhooks import outbox
from radicale_kamin.webhooks.subscribers import Subscriber


class Observer:
    """One per storage; the changes of a transaction are kept per thread."""

    def __init__(self, state, subscribers: Callable[[], Sequence[Subscriber]], timezone,
                 collection_root: str, wake: Callable[[], None]):
        self.state = state                  # server.state.StateStore (its ``transaction()``)
        self.subscribers = subscribers
        self.timezone = timezone
        self.root = collection_root
        self.wake = wake
        self._local = threading.local()

    def _changes(self) -> dict:
        changes = getattr(self._local, "changes", None)
        if changes is None:
            changes = self._local.changes = {}
        return changes

    def seen(self, calendar: str, href: str, etag: str, values: Mapping) -> None:
        """The index stores ``values`` (``ItemFacts``) for this file."""
        self._changes()[(calendar, href)] = (etag, values)

    def gone(self, rows: Sequence[tuple[str, str]]) -> None:
        """The index drops the rows of these (calendar, href)."""
        changes = self._changes()
        for calendar, href in rows:
            changes[(calendar, href)] = None

    def discard(self) -> None:
        """The index's transaction rolled back: it saw nothing."""
        self._local.changes = {}

    def commit(self) -> int:
        """Record the changes and queue their events (before the index
        commits); returns the events queued. Without subscribers (neither
        the file nor the backend has one yet) nothing is recorded — not
        even a file looked at: the outbox is marked stale instead, so the
        first dispatcher to see a subscriber takes the entries as they are
        then."""
        changes, self._local.changes = self._changes(), {}
        if not changes:
            return 0
        subscribers = self.subscribers()
        if not subscribers:
            self._mark_stale()
            return 0
        changes = {key: change for key, change in changes.items()
                   if change is not None or not self._on_disk(*key)}
        if not changes:
            return 0
        self._stale_marked = False
        now = dt.datetime.now(self.timezone).replace(microsecond=0)
        with self.state.transaction() as db:
            queued = outbox.observe(db, changes, subscribers, now, self.timezone)
        if queued:
            self.wake()
        return queued

    def _mark_stale(self) -> None:
        if getattr(self, "_stale_marked", False) or not os.path.exists(self.state.path):
            return                      # no state file: no baseline to outdate
        with self.state.transaction() as db:
            outbox.mark_stale(db)
        self._stale_marked = True

    def _on_disk(self, calendar: str, href: str) -> bool:
        return os.path.isfile(os.path.join(self.root, *calendar.split("/"), href))
