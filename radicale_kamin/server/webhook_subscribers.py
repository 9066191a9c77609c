"""The webhook subscribers in force: the webhooks file's (``kamin_webhooks``,
read again when it changes) and those the office added in the backend
(table ``webhooks`` of the state store, ``office.py``); the rules, German
refusals and which wins are ``webhooks/backend.py``.

Every process applies a change the office made on its next look, without a
restart: adding or removing raises the office generation, and ``get`` —
called by the observer at each index commit, by the dispatcher each round
and by the API — compares it (one indexed SQLite read) and the file's
identity (one ``stat``) with what it read last.

A secret is written once and read only to sign: no answer, page, log line
or change-log entry quotes it.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Optional

from radicale_kamin.server.office import OfficeStore
from radicale_kamin.server.optionfiles import WatchedFile
from radicale_kamin.webhooks import outbox
from radicale_kamin.webhooks.backend import lay_over, name_taken
from radicale_kamin.webhooks.subscribers import Subscriber


class NameTaken(ValueError):
    """The name is the file's, or the backend's and not to be replaced (German)."""


class Subscribers:
    """The subscribers of one storage folder, as this process sees them."""

    def __init__(self, file: WatchedFile, office: OfficeStore):
        self.file = file
        self.office = office
        self._lock = threading.Lock()
        self._key: Optional[tuple] = None
        self._sources: list[tuple[Subscriber, str]] = []

    def sources(self) -> list[tuple[Subscriber, str]]:
        """(subscriber, ``file`` or ``backend``) of each one in force, by name."""
        from_file = self.file.get()
        key = (id(from_file), self.office.generation())
        if key != self._key:
            with self._lock:
                if key != self._key:
                    with self.office.state.connection() as db:
                        stored = backend_subscribers(db)
                    self._sources = lay_over(from_file, stored)
                    self._key = key
        return self._sources

    def get(self) -> list[Subscriber]:
        return [subscriber for subscriber, _ in self.sources()]


def backend_subscribers(db: sqlite3.Connection) -> list[Subscriber]:
    return [Subscriber(r["name"], r["url"], r["secret"], frozenset(json.loads(r["events"])),
                       tuple(json.loads(r["calendars"])))
            for r in db.execute("SELECT * FROM webhooks ORDER BY name")]


def _described(subscriber: Subscriber, safe_url: str) -> str:
    """For the change log: never the secret; the URL as ``safe_url`` (without tokens)."""
    calendars = ", ".join("/%s/" % c for c in subscriber.calendars) or "alle Kalender"
    return "%s; %s; %s" % (safe_url, ", ".join(sorted(subscriber.events)), calendars)


def add(office: OfficeStore, user: str, subscriber: Subscriber, file_names: set[str],
        safe_url: str, replace: bool = False) -> bool:
    """Store a subscriber added in the backend and log it; True when it
    replaced one of the same name (whose queue it keeps — the events
    waiting go to the new URL, signed with the new secret). A new one
    starts with nothing queued. ``NameTaken`` when the file has the name,
    or the backend has it and ``replace`` is not given."""
    if subscriber.name in file_names:
        raise NameTaken(name_taken(subscriber.name, True))
    row = (subscriber.name, subscriber.url, subscriber.secret,
           json.dumps(sorted(subscriber.events)), json.dumps(list(subscriber.calendars)), user)
    with office.state.transaction() as db:
        before = db.execute("SELECT secret FROM webhooks WHERE name=?",
                            (subscriber.name,)).fetchone()
        if before is not None and not replace:
            raise NameTaken(name_taken(subscriber.name, False))
        db.execute("INSERT OR REPLACE INTO webhooks VALUES (?, ?, ?, ?, ?, ?, "
                   "strftime('%s', 'now'))", row)
        if before is None:
            outbox.forget(db, subscriber.name)
            what = "Webhook-Empfänger %s hinzugefügt" % subscriber.name
        else:
            what = "Webhook-Empfänger %s ersetzt%s" % (
                subscriber.name, "" if before["secret"] == subscriber.secret
                else " (neues Geheimnis)")
        office.changed(db, user, "webhooks", what, None, _described(subscriber, safe_url))
    return before is not None


def remove(office: OfficeStore, user: str, name: str, file_names: set[str]) -> Optional[int]:
    """Remove a subscriber added in the backend: nothing more is sent to
    it, its waiting events are dropped (returned: how many); None when the
    backend has no such subscriber. The file's stay (``NameTaken``)."""
    with office.state.transaction() as db:
        gone = db.execute("DELETE FROM webhooks WHERE name=?", (name,)).rowcount
        if not gone:
            if name in file_names:
                raise NameTaken(name_taken(name, True))
            return None
        # Hidden behind a file subscriber of the same name: the queue is the file's.
        dropped = 0 if name in file_names else outbox.forget(db, name)
        office.changed(db, user, "webhooks", "Webhook-Empfänger %s entfernt%s" % (
            name, " (%d wartende Ereignisse verworfen)" % dropped if dropped else ""))
    return dropped

