"""The side index's own thread: indexes in the background what is too much
for a request (a storage copied in, a lost or new index: 10 s a calendar at
3,500 buildings, a minute at 20,000), and every ``verify_seconds``
compares every indexed file with the disk (files edited in place).

A request never waits for it: while a calendar is indexed here, requests
read the files not yet indexed through Radicale and the rest from the
index (``Files.stale``); only the JSON API, whose answers need every
entry, says "try again in a minute" (``IndexNotReady``). Files are indexed
in batches, each under Radicale's storage read lock, so writes go on in
between; progress goes to the log.

One thread per process and index file, however many storage objects
Radicale creates.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Callable, ContextManager, Optional

from radicale_kamin.server.index.files import _calendar_lock

logger = logging.getLogger("radicale")

ReadLock = Callable[[], ContextManager]
BATCH = 500
BATCH_SECONDS = 0.2
LOG_EVERY = 5000


class _Worker:
    def __init__(self, read_lock: ReadLock):
        self.read_lock = read_lock
        self.wake = threading.Event()
        self.queue: list[str] = []      # calendars asked for, first come first
        self.busy: Optional[str] = None  # the calendar being indexed
        self.lock = threading.Lock()
        self.thread: Optional[threading.Thread] = None


_WORKERS: dict[str, _Worker] = {}
_LOCK = threading.Lock()


class Background:
    """A mixin of ``SideIndex``."""

    background = False          # a server: requests leave big jobs to the thread
    max_sync_token_age = 30 * 24 * 3600.0

    def start_background(self, read_lock: ReadLock) -> None:
        """Start this index file's thread (once per process), taking the
        storage's read lock (``read_lock()``) for each batch of work."""
        with _LOCK:
            worker = _WORKERS.get(self.path)
            if worker is not None and worker.thread is not None and worker.thread.is_alive():
                return
            worker = _WORKERS[self.path] = _Worker(read_lock)
            worker.thread = threading.Thread(target=self._work, args=(worker,),
                                             name="kamin-index", daemon=True)
            worker.thread.start()

    def _worker(self) -> Optional[_Worker]:
        worker = _WORKERS.get(self.path)
        return worker if worker is not None and worker.thread is not None \
            and worker.thread.is_alive() else None

    def _indexing_in_background(self, calendar: str) -> bool:
        worker = self._worker()
        return worker is not None and worker.busy == calendar

    def _index_later(self, calendar: str) -> None:
        worker = self._worker()
        if worker is None:
            raise RuntimeError("side index: no background indexer running")
        with worker.lock:
            if calendar not in worker.queue and worker.busy != calendar:
                worker.queue.append(calendar)
                logger.info("Side index: %s will be indexed in the background; until then "
                            "requests read its files", calendar)
        worker.wake.set()

    def _work(self, worker: _Worker) -> None:
        timeout = self.verify_seconds if self.verify_seconds > 0 else None
        while os.path.isdir(self.root):
            asked = worker.wake.wait(timeout)
            worker.wake.clear()
            try:
                if asked:
                    self._catch_up(worker)
                else:
                    self._check_all(worker)
            except Exception as e:     # keep going; the next query heals too
                logger.warning("Side index: background work failed: %s: %s",
                               type(e).__name__, e)

    def _catch_up(self, worker: _Worker) -> None:
        """Index the calendars asked for, then every other calendar with
        files to index (a storage copied in is indexed as a whole)."""
        done: set[str] = set()
        while True:
            with worker.lock:
                calendar = worker.queue.pop(0) if worker.queue else None
            if calendar is None:
                calendar = next((c for c in self._calendars(worker) if c not in done), None)
            if calendar is None:
                return
            done.add(calendar)
            self._index_in_background(worker, calendar, full=False, loud=True)

    def _calendars(self, worker: _Worker) -> list[str]:
        with worker.read_lock():
            return self.calendars_on_disk()

    def _check_all(self, worker: _Worker) -> None:
        """The periodic check: every calendar compared file by file, the
        address books read again where changed, old deletions forgotten."""
        with worker.read_lock():
            calendars = self.calendars_on_disk()
            self._forget_vanished(calendars)
        for calendar in calendars:
            self._index_in_background(worker, calendar, full=True)
        with worker.read_lock():
            self.sync_contacts()
            self.prune_history(self.max_sync_token_age)

    def _index_in_background(self, worker: _Worker, calendar: str, full: bool,
                             loud: bool = False) -> None:
        with _calendar_lock(self.path, calendar):
            with worker.read_lock():
                hrefs, mtime = self._stale_files(calendar, full)
            if not hrefs:
                with worker.read_lock():
                    self._note_in_step(calendar, mtime)
                return
            worker.busy = calendar
            try:
                self._index_batches(worker, calendar, hrefs, loud or len(hrefs) > BATCH)
            finally:
                worker.busy = None
            with worker.read_lock():
                self._note_in_step(calendar, mtime)
                self.settle_pending()

    def _index_batches(self, worker: _Worker, calendar: str, hrefs: list[str],
                       loud: bool) -> None:
        """Index ``hrefs`` in short batches, each under the storage's read
        lock (a write waits at most one batch), each after the requests
        being served right now (one Python thread runs at a time); with
        ``loud``, progress goes to the log."""
        started = time.monotonic()
        if loud:
            logger.info("Side index: indexing %d files of %s in the background", len(hrefs),
                        calendar)
        done, logged = 0, 0
        while done < len(hrefs):
            _wait_for_requests(self.path)
            with worker.read_lock(), self.transaction():
                deadline = time.monotonic() + BATCH_SECONDS
                for href in hrefs[done:done + BATCH]:
                    self._index_file(calendar, href)
                    done += 1
                    if time.monotonic() > deadline:
                        break
            if loud and (done - logged >= LOG_EVERY or done == len(hrefs)):
                logged = done
                logger.info("Side index: %s: %d of %d files indexed (%.0f s)", calendar,
                            done, len(hrefs), time.monotonic() - started)

    def serving(self):
        """``with index.serving():`` around a request (the storage lock),
        so the background indexer lets it go first."""
        return _Serving(self.path)


_SERVING: dict[str, int] = {}           # index file → requests being served now


class _Serving:
    def __init__(self, path: str):
        self.path = path
        self.counted = threading.current_thread().name != "kamin-index"

    def __enter__(self):
        if self.counted:
            with _LOCK:
                _SERVING[self.path] = _SERVING.get(self.path, 0) + 1

    def __exit__(self, *exc):
        if self.counted:
            with _LOCK:
                _SERVING[self.path] -= 1
        return False


def _wait_for_requests(path: str, limit: float = 1.0) -> None:
    """Let requests being served go first, for at most ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while _SERVING.get(path, 0) > 0 and time.monotonic() < deadline:
        time.sleep(0.01)
