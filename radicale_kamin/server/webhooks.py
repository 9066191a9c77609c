"""The webhooks of a storage (``webhooks/``), wired to the storage plugin.

The subscribers are the webhooks file's (``[storage] kamin_webhooks``,
optional) and those the office added in the backend
(``webhook_subscribers.py``). While there is none, nothing is recorded or
sent: the observer marks the outbox stale once, the dispatcher thread looks
again every few seconds (one ``stat`` and one SQLite read). Every storage
object

* registers the outbox's tables in the state store (``webhooks``);
* hangs an observer into its side index: what the index stores and drops
  goes into the outbox before the index commits (``webhooks/observer.py``);
* starts the dispatcher thread, once per process and storage folder
  (unless ``kamin_webhook_background = false``, or in the ``kamin``
  command's short-lived processes — the server or cron sends their events);
* queues the events of things that ran (``announce``: imports, external
  calendars).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from radicale_kamin.schedule import staff
from radicale_kamin.server.optionfiles import WatchedFile
from radicale_kamin.server.state import register_schema
from radicale_kamin.server.webhook_subscribers import Subscribers
from radicale_kamin.webhooks import events, outbox
from radicale_kamin.webhooks.dispatcher import Dispatcher, Options
from radicale_kamin.webhooks.observer import Observer
from radicale_kamin.webhooks.retry import RetryPolicy
from radicale_kamin.webhooks.subscribers import Subscriber, parse_subscribers

register_schema("webhooks", outbox.MIGRATIONS)

OPTION_NAMES = ("kamin_webhooks", "kamin_webhook_timeout", "kamin_webhook_retry_hours",
                "kamin_webhook_background")
_RUNNING: dict[str, Dispatcher] = {}            # storage folder → its dispatcher here
_LOCK = threading.Lock()
_BACKGROUND = [True]


def run_in_background(allowed: bool) -> None:
    """Whether storages of this process may start the dispatcher thread
    (the ``kamin`` command's short runs do not: they queue, others send)."""
    _BACKGROUND[0] = allowed


@dataclass(frozen=True)
class WebhookOptions:
    path: str = ""
    timeout: float = 10.0
    retry_hours: float = 24.0
    background: bool = True

    @classmethod
    def from_options(cls, get) -> "WebhookOptions":
        """From ``get(option)`` of [storage]; ValueError naming the option."""
        def number(name: str, low: float, high: float) -> float:
            raw = str(get(name)).strip()
            try:
                value = float(raw)
            except ValueError:
                raise ValueError("%s = %s: a number of %s is expected"
                                 % (name, raw, "seconds" if "timeout" in name else "hours"))
            if not low <= value <= high:
                raise ValueError("%s = %s: must be between %g and %g" % (name, raw, low, high))
            return value

        background = str(get("kamin_webhook_background")).strip().lower()
        if background not in ("true", "false", "yes", "no", "1", "0", "on", "off"):
            raise ValueError("kamin_webhook_background = %s: true or false" % background)
        return cls(path=str(get("kamin_webhooks")).strip(),
                   timeout=number("kamin_webhook_timeout", 1, 60),
                   retry_hours=number("kamin_webhook_retry_hours", 1, 24 * 14),
                   background=background in ("true", "yes", "1", "on"))


def watch_subscribers(path: str) -> WatchedFile[list[Subscriber]]:
    """The subscribers file ("" = none), read again when the admin edits it."""
    return WatchedFile("kamin_webhooks", path, parse_subscribers, list)


def wake(folder: str) -> None:
    """A write queued events: the dispatcher of this process sends them now."""
    running = _RUNNING.get(os.path.abspath(folder))
    if running is not None:
        running.woken.set()


def stop(folder: str) -> None:
    """Stop this process's dispatcher of ``folder`` (tests)."""
    with _LOCK:
        running = _RUNNING.pop(os.path.abspath(folder), None)
    if running is not None:
        running.stop()


class Webhooks:
    """The webhooks of one storage object."""

    def __init__(self, config: Any, storage: Any):
        get = functools.partial(config.get, "storage")
        try:
            self.options = WebhookOptions.from_options(get)
        except ValueError as e:
            raise RuntimeError("[storage] %s" % e) from e
        self.folder = os.path.abspath(storage.storage_folder)
        self.state = storage.state
        self.timezone = storage.settings.timezone
        self.subscribers = Subscribers(watch_subscribers(self.options.path), storage.office)
        self.observer = Observer(self.state, self.subscribers.get, self.timezone,
                                 storage.collection_root, functools.partial(wake, self.folder))
        storage.index.observer = self.observer
        non_staff = staff.StaffOptions.from_options(get("kamin_non_staff_calendars"), "", "")
        index = storage.index
        self.dispatcher = Dispatcher(
            state=self.state, index=index, subscribers=self.subscribers.get,
            options=Options(timeout=self.options.timeout,
                            retry=RetryPolicy(self.options.retry_hours)),
            calendars=lambda: [c for c in index.calendars_on_disk()
                               if staff.is_staff_calendar(c, non_staff.non_staff)],
            read_lock=lambda: storage.acquire_lock("r", "kamin-webhooks"),
            write_lock=lambda: storage.acquire_lock("w", "kamin-webhooks"))
        if self.subscribers.get():
            self._baseline_if_empty(index)
        if self.options.background and _BACKGROUND[0]:
            self._start(storage.collection_root)

    def _baseline_if_empty(self, index) -> None:
        """A storage without calendars has its baseline at once: its first
        write is announced (otherwise the dispatcher takes it at start)."""
        with self.state.connection() as db:
            if not outbox.needs_reconcile(db):
                return
        if not index.calendars_on_disk():
            with self.state.transaction() as db:
                outbox.reconcile(db, [], uuid.uuid4().hex)

    @property
    def enabled(self) -> bool:
        """Whether a subscriber is set up, in the file or the backend."""
        return bool(self.subscribers.get())

    def catch_up(self) -> None:
        """Take the baseline (or reconcile) now, not at the dispatcher's
        next round: the first subscriber added in the backend then gets the
        events of every change after the answer."""
        with self.state.connection() as db:
            if not outbox.needs_reconcile(db):
                return
        self.dispatcher.catch_up()

    def _start(self, root: str) -> None:
        with _LOCK:
            running = _RUNNING.get(self.folder)
            if running is not None and not running.stopped.is_set():
                return
            _RUNNING[self.folder] = self.dispatcher
        threading.Thread(target=self.dispatcher.run_forever, args=(self.timezone, root),
                         name="kamin-webhooks", daemon=True).start()

    def announce(self, event_type: str, data: Mapping[str, Any], stream: str,
                 calendar: Optional[str] = None) -> bool:
        """Queue an event of something that ran (``import.finished``,
        ``subscription.failed``); whether a subscriber wants it."""
        subscribers = self.subscribers.get()
        if not subscribers:
            return False
        now = dt.datetime.now(self.timezone).replace(microsecond=0)
        event = events.run_event(event_type, stream, data, now, calendar, uuid.uuid4().hex)
        with self.state.transaction() as db:
            queued = outbox.enqueue(db, event, subscribers)
        if queued:
            wake(self.folder)
        return bool(queued)
