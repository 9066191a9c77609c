"""The shell that sends: a background thread in each server process (and
``kamin webhooks deliver-once`` for cron).

Each round it

1. looks at the due list when it may have changed — a write (the index
   file changed), the next calling window opening or closing, the next
   entry's due period starting (``duecalls.next_change``), at least every
   minute — and queues ``call.due`` for calls that entered it;
2. claims the deliveries that are due (``outbox.claim``: oldest first,
   one per entry and subscriber, never one another process holds) and
   sends them one after the other, recording each answer;
3. sleeps until the next of these moments, at most ``POLL_SECONDS`` (a
   write in another process), or until the observer wakes it (a write in
   this one).

At start it catches up (``catch_up``): the index's sync finds files
written just before a crash (their events are queued then), and the first
start with webhooks takes the baseline.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable, ContextManager, Optional, Sequence

from radicale_kamin.webhooks import delivery, duecalls, outbox
from radicale_kamin.webhooks.retry import RetryPolicy
from radicale_kamin.webhooks.subscribers import Subscriber

logger = logging.getLogger("radicale")

POLL_SECONDS = 1.0
IDLE_SECONDS = 5.0              # no subscribers: how often to look at the file again
MAX_DUE_INTERVAL = 60.0
HOUSEKEEPING_SECONDS = 3600.0
BATCH = 10


@dataclass(frozen=True)
class Options:
    """``[storage] kamin_webhook_timeout`` and ``…_retry_hours``."""
    timeout: float = 10.0
    retry: RetryPolicy = RetryPolicy()


@dataclass
class Round:
    """What one delivery round did."""
    delivered: int = 0
    failed: int = 0
    parked: int = 0
    queued_due: int = 0


def _alive(owner: str, mine: str) -> bool:
    """Whether the process that claimed deliveries still runs: on this
    machine its pid tells; of another machine its claim must expire."""
    if owner == mine:
        return True
    host, _, rest = owner.rpartition("@")
    if host != socket.gethostname():
        return True
    try:
        os.kill(int(rest.split(":")[0]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


class Dispatcher:
    """The webhooks of one storage folder, as one process sends them."""

    def __init__(self, *, state, index, subscribers: Callable[[], Sequence[Subscriber]],
                 options: Options,
                 calendars: Callable[[], list[str]],
                 read_lock: Callable[[], ContextManager], write_lock: Callable[[], ContextManager]):
        self.state = state
        self.index = index
        self.subscribers = subscribers
        self.options = options
        self.calendars = calendars
        self.read_lock = read_lock
        self.write_lock = write_lock
        self.owner = "%s@%d:%s" % (socket.gethostname(), os.getpid(), uuid.uuid4().hex[:8])
        self.woken = threading.Event()
        self.stopped = threading.Event()
        self.next_due_check = 0.0
        self._http = None

    # --- catching up ------------------------------------------------------------

    def catch_up(self) -> None:
        """Sync the index with the files (events of files written just
        before a crash are queued now), then take the baseline if there is
        none, or reconcile after a process without webhooks wrote."""
        with self.read_lock():
            self.index.sync()
        with self.state.connection() as db:
            if not outbox.needs_reconcile(db):
                return
        with self.write_lock():         # no write between the index's rows and the record
            self.index.sync()
            rows = [dict(row) for row in self.index.rows()]
            with self.state.transaction() as db:
                first = outbox.generation(db) is None
                changed, dropped = outbox.reconcile(db, rows, uuid.uuid4().hex)
        if first:
            logger.info("Webhooks: baseline of %d entries taken; changes from now on are "
                        "announced", len(rows))
        else:
            logger.info("Webhooks: %d entries changed and %d deleted while webhooks were off "
                        "(not announced)", changed, dropped)

    # --- the due list -----------------------------------------------------------

    def check_due(self, now: dt.datetime) -> int:
        """Queue ``call.due`` for the calls that entered the due list since
        the last look; returns the events queued."""
        calendars = self.calendars()
        epoch = int(now.timestamp())
        due, etags, upcoming = [], {}, None
        with self.read_lock():
            # the calling options in force now: the storage's lock applies
            # what the office changed, in any process, to the index
            settings = self.index.call_settings
            window = duecalls.window_start(now, settings)
            if calendars:
                self.index.sync(calendars)
                if window is not None:
                    rows = self.index.due_rows(calendars, epoch)
                    due = duecalls.due_now(rows, now, settings)
                    etags = {(r["calendar"], r["href"]): r["etag"] for r in rows}
                upcoming = self.index.next_due_since(calendars, epoch)
        self.next_due_check = min(duecalls.next_change(now, settings, upcoming).timestamp(),
                                  time.time() + MAX_DUE_INTERVAL)
        queued = 0
        with self.state.transaction() as db:
            token = outbox.generation(db)
            if token is None:
                return 0
            entered = outbox.due_entered(db, now, window, duecalls.keys_of(due))
            if entered:
                subscribers = self.subscribers()
                for event in duecalls.entered_events(due, entered, etags, token, now, window):
                    queued += outbox.enqueue(db, event, subscribers)
        return queued

    # --- delivering -------------------------------------------------------------

    @property
    def http(self):
        if self._http is None:
            self._http = delivery.session()
        return self._http

    def deliver(self, budget: Optional[float] = None) -> Round:
        """Send every delivery that is due now (within ``budget`` seconds).

        Claimed in batches (each the oldest undelivered event of its entry,
        so a batch holds no two events of one entry), sent one after the
        other, and the batch's answers recorded in one transaction: a crash
        in between sends the batch again (at least once), and a burst costs
        one commit per batch instead of one per event."""
        done = Round()
        subscribers = {s.name: s for s in self.subscribers()}
        if not subscribers:
            return done
        deadline = None if budget is None else time.monotonic() + budget
        seconds_each = int(self.options.timeout) + 5
        while not self.stopped.is_set():
            now = int(time.time())
            with self.state.transaction() as db:
                outbox.release_dead_claims(db, now, lambda owner: _alive(owner, self.owner))
                batch = outbox.claim(db, self.owner, now, sorted(subscribers), BATCH, seconds_each)
            if not batch:
                break
            failing: set[str] = set()
            answers = []
            for row in batch:
                late = deadline is not None and time.monotonic() > deadline
                if row["subscriber"] in failing or late or self.stopped.is_set():
                    answers.append((row, None))         # given back untried
                    continue
                attempt = delivery.post(self.http, subscribers[row["subscriber"]], row["type"],
                                        row["event"], row["body"], self.options.timeout)
                answers.append((row, attempt))
                if not attempt.ok:
                    failing.add(row["subscriber"])
            self._record(answers, done)
            if deadline is not None and time.monotonic() > deadline:
                break
        return done

    def _record(self, answers, done: Round) -> None:
        now = int(time.time())
        parked = []
        with self.state.transaction() as db:
            for row, attempt in answers:
                if attempt is None:
                    outbox.unclaim(db, row["seq"], self.owner)
                elif attempt.ok:
                    outbox.delivered(db, row["seq"], row["subscriber"], now, attempt.status)
                    done.delivered += 1
                else:
                    next_at = outbox.failed(db, row["seq"], self.owner, row["subscriber"], now,
                                            attempt.status, attempt.error, self.options.retry)
                    done.failed += 1
                    parked.append((row, attempt, next_at))
        for row, attempt, next_at in parked:
            if next_at is None:
                done.parked += 1
                logger.error("Webhook %s: %s %s parked after %d attempts: %s (kamin webhooks "
                             "retry sends it again)", row["subscriber"], row["type"],
                             row["event"], row["attempts"] + 1, attempt.error)
            else:
                logger.warning("Webhook %s: %s %s not delivered: %s; next attempt at %s",
                               row["subscriber"], row["type"], row["event"], attempt.error,
                               time.strftime("%H:%M:%S", time.localtime(next_at)))

    def housekeeping(self) -> None:
        names = [s.name for s in self.subscribers()]
        with self.state.transaction() as db:
            outbox.housekeeping(db, int(time.time()), names)

    def next_delivery(self) -> Optional[float]:
        with self.state.connection() as db:
            return outbox.next_due(db, [s.name for s in self.subscribers()])

    # --- running ----------------------------------------------------------------

    def run_once(self, now: dt.datetime, budget: Optional[float] = None) -> Round:
        """One round for cron (``kamin webhooks deliver-once``): catch up,
        look at the due list, send what is due."""
        self.catch_up()
        queued = self.check_due(now)
        done = self.deliver(budget)
        done.queued_due = queued
        self.housekeeping()
        return done

    def run_forever(self, timezone, root: str) -> None:
        """The background thread: until the storage folder goes or ``stop``.
        While the file lists no subscriber it only watches the file; when
        one appears it catches up first."""
        caught_up = False
        index_seen = None
        last_housekeeping = 0.0
        while os.path.isdir(root) and not self.stopped.is_set():
            self.woken.clear()
            if not self.subscribers():
                caught_up = False
                self.woken.wait(IDLE_SECONDS)
                continue
            try:
                if not caught_up:
                    self.catch_up()
                    caught_up = True
                index_now = self._index_state()
                if index_now != index_seen or time.time() >= self.next_due_check:
                    self.check_due(dt.datetime.now(timezone))
                    index_seen = self._index_state()
                self.deliver()
                if time.time() - last_housekeeping >= HOUSEKEEPING_SECONDS:
                    self.housekeeping()
                    last_housekeeping = time.time()
                pause = min(POLL_SECONDS, max(self.next_due_check - time.time(), 0.0))
                upcoming = self.next_delivery()
                if upcoming is not None:
                    pause = min(pause, max(upcoming - time.time(), 0.0))
            except Exception as e:      # keep going; say what failed, not with which data
                logger.warning("Webhooks: round failed: %s", type(e).__name__,
                               exc_info=logger.isEnabledFor(logging.DEBUG))
                pause = 5 * POLL_SECONDS
            self.woken.wait(max(pause, 0.05))

    def _index_state(self) -> tuple:
        """The index file's mtime and size (and its WAL's): they change
        with every commit of any process."""
        found = []
        for suffix in ("", "-wal"):
            try:
                stat = os.stat(self.index.path + suffix)
                found.append((stat.st_mtime_ns, stat.st_size))
            except FileNotFoundError:
                found.append(None)
        return tuple(found)

    def stop(self) -> None:
        self.stopped.set()
        self.woken.set()
