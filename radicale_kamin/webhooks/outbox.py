"""The webhook outbox: tables in the durable state store (``kamin-state.sqlite``,
``synchronous=FULL``, shared by every server process) and the statements
over them. Every function takes an open connection; callers hold the
transaction, so what belongs together commits together:

* ``webhook_observed`` — per entry file, what was last announced of it
  (``events.Observed``); changes are judged against this record;
* ``webhook_due`` — the entries on the due list at the last look;
* ``webhook_events`` — each event's JSON, once;
* ``webhook_deliveries`` — one row per event and subscriber: pending,
  delivered or parked, with attempts, the next try, and a claim (owner and
  expiry) while one process sends it;
* ``webhook_subscribers`` — per subscriber, failures in a row and the
  pause they earned.

The server's wiring registers ``MIGRATIONS`` under ``webhooks``
(``server/state.py``: forward only, never rebuilt).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Callable, Iterable, Mapping, Optional, Sequence

from radicale_kamin.webhooks import duecalls, events
from radicale_kamin.webhooks.events import Event, Observed
from radicale_kamin.webhooks.retry import RetryPolicy, pause_after
from radicale_kamin.webhooks.subscribers import Subscriber

# Never edit one that has shipped: add the next. (No semicolons in
# comments: the state store splits scripts at them.)
MIGRATIONS = (
    """
    CREATE TABLE webhook_observed (
        calendar TEXT NOT NULL,
        href TEXT NOT NULL,
        etag TEXT NOT NULL,
        version INTEGER NOT NULL,
        uid TEXT, kind TEXT, state TEXT,
        start INTEGER,
        all_day INTEGER NOT NULL DEFAULT 0,
        booked INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (calendar, href)
    );
    CREATE TABLE webhook_due (
        calendar TEXT NOT NULL,
        href TEXT NOT NULL,
        entered INTEGER NOT NULL,
        PRIMARY KEY (calendar, href)
    );
    CREATE TABLE webhook_events (
        id TEXT PRIMARY KEY,
        type TEXT NOT NULL,
        stream TEXT NOT NULL,
        created INTEGER NOT NULL,
        body BLOB NOT NULL
    );
    CREATE TABLE webhook_deliveries (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        event TEXT NOT NULL,
        subscriber TEXT NOT NULL,
        stream TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        created INTEGER NOT NULL,
        retry_from INTEGER NOT NULL,
        next_at INTEGER NOT NULL,
        owner TEXT,
        claimed_until INTEGER,
        last_attempt INTEGER,
        last_status INTEGER,
        last_error TEXT,
        done_at INTEGER,
        UNIQUE (subscriber, event)
    );
    CREATE INDEX webhook_deliveries_stream ON webhook_deliveries (subscriber, stream, state, seq);
    CREATE INDEX webhook_deliveries_next ON webhook_deliveries (state, next_at);
    CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event);
    CREATE TABLE webhook_subscribers (
        name TEXT PRIMARY KEY,
        failures INTEGER NOT NULL DEFAULT 0,
        paused_until INTEGER NOT NULL DEFAULT 0,
        last_success INTEGER,
        last_failure INTEGER
    );
    """,
)

GENERATION = "webhooks:generation"      # set by the first baseline
STALE = "webhooks:stale"                # a process without webhooks ran: reconcile
DUE_CHECKED = "webhooks:due-checked"    # the moment of the last due-list look
DUE_WINDOW = "webhooks:due-window"      # the calling window of that look
KEEP_DELIVERED_DAYS = 7
KEEP_PARKED_DAYS = 30


def _meta(db: sqlite3.Connection, key: str) -> Optional[str]:
    row = db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
    return row[0] if row else None


def _set_meta(db: sqlite3.Connection, key: str, value: Optional[str]) -> None:
    if value is None:
        db.execute("DELETE FROM meta WHERE key=?", (key,))
    else:
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))


def generation(db: sqlite3.Connection) -> Optional[str]:
    """The baseline's token; None before the first baseline (nothing is
    announced then)."""
    return _meta(db, GENERATION)


def needs_reconcile(db: sqlite3.Connection) -> bool:
    return generation(db) is None or _meta(db, STALE) is not None


def mark_stale(db: sqlite3.Connection) -> None:
    """A process without webhooks opened this storage: what it writes is
    not observed, so the next start with webhooks reconciles."""
    if generation(db) is not None:
        _set_meta(db, STALE, "1")


# --- entries -------------------------------------------------------------------

def _observed(row: sqlite3.Row) -> Observed:
    return Observed(etag=row["etag"], version=row["version"], uid=row["uid"], kind=row["kind"],
                    state=row["state"], start=row["start"], all_day=bool(row["all_day"]),
                    booked=bool(row["booked"]))


def _record(db: sqlite3.Connection, calendar: str, href: str, new: Observed) -> None:
    db.execute("INSERT OR REPLACE INTO webhook_observed VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (calendar, href, new.etag, new.version, new.uid, new.kind, new.state, new.start,
                int(new.all_day), int(new.booked)))


Change = Optional[tuple[str, Mapping]]      # (etag, index facts), None: the file is gone


def observe(db: sqlite3.Connection, changes: Mapping[tuple[str, str], Change],
            subscribers: Sequence[Subscriber], now: dt.datetime, tz) -> int:
    """Record what the index saw of entry files and queue the events of
    every real change; returns the events queued. Nothing before the
    first baseline."""
    token = generation(db)
    if token is None:
        return 0
    queued = 0
    for (calendar, href), change in changes.items():
        row = db.execute("SELECT * FROM webhook_observed WHERE calendar=? AND href=?",
                         (calendar, href)).fetchone()
        old = _observed(row) if row else None
        if change is None:
            if old is None:
                continue
            found = events.entry_events(calendar, href, old, None, None, token, now, tz)
            db.execute("DELETE FROM webhook_observed WHERE calendar=? AND href=?",
                       (calendar, href))
        else:
            etag, values = change
            if old is not None and old.etag == etag:
                continue                # seen before: the same change twice
            new = events.observed_of(values, etag, old.version + 1 if old else 1)
            found = events.entry_events(
                calendar, href, old, new, events.entry_fields(values, calendar, href, etag, tz),
                token, now, tz)
            _record(db, calendar, href, new)
        for event in found:
            queued += enqueue(db, event, subscribers)
    return queued


def reconcile(db: sqlite3.Connection, rows: Iterable[Mapping], token: str) -> tuple[int, int]:
    """Take the index's rows as announced without announcing them: the
    first baseline, or after a process without webhooks wrote. Returns
    (rows recorded anew or changed, rows dropped)."""
    known = {(r["calendar"], r["href"]): r["etag"] for r in db.execute(
        "SELECT calendar, href, etag FROM webhook_observed")}
    changed = 0
    seen = set()
    for row in rows:
        key = (row["calendar"], row["href"])
        seen.add(key)
        if known.get(key) == row["etag"]:
            continue
        version = db.execute("SELECT version FROM webhook_observed WHERE calendar=? AND href=?",
                             key).fetchone()
        _record(db, *key, events.observed_of(row, row["etag"], (version[0] if version else 0) + 1))
        changed += 1
    dropped = set(known) - seen
    for key in dropped:
        db.execute("DELETE FROM webhook_observed WHERE calendar=? AND href=?", key)
    if generation(db) is None:
        _set_meta(db, GENERATION, token)
    _set_meta(db, STALE, None)
    return changed, len(dropped)


# --- the due list ---------------------------------------------------------------

def due_entered(db: sqlite3.Connection, now: dt.datetime, window: Optional[dt.datetime],
                current: set[duecalls.Key]) -> Optional[set[duecalls.Key]]:
    """Record the due list seen at ``now`` and return the entries that
    entered it; None when another process looked at a later moment
    already (this look is stale: it changes nothing)."""
    moment = int(now.timestamp())
    checked = _meta(db, DUE_CHECKED)
    if checked is not None and moment < int(checked):
        return None
    window_key = str(int(window.timestamp())) if window is not None else ""
    if _meta(db, DUE_WINDOW) != window_key:
        db.execute("DELETE FROM webhook_due")      # a new window: everything enters again
    previous = {(r[0], r[1]) for r in db.execute("SELECT calendar, href FROM webhook_due")}
    for key in previous - current:
        db.execute("DELETE FROM webhook_due WHERE calendar=? AND href=?", key)
    entered = current - previous
    db.executemany("INSERT INTO webhook_due VALUES (?, ?, ?)",
                   [(c, h, moment) for c, h in sorted(entered)])
    _set_meta(db, DUE_CHECKED, str(moment))
    _set_meta(db, DUE_WINDOW, window_key)
    return entered


# --- queueing -------------------------------------------------------------------

def enqueue(db: sqlite3.Connection, event: Event, subscribers: Sequence[Subscriber]) -> int:
    """Queue ``event`` for every subscriber that wants it; 1 if queued,
    0 if nobody wants it or it was queued before (its id is known)."""
    wanted = [s.name for s in subscribers if s.wants(event.type, event.calendar)]
    if not wanted:
        return 0
    created = int(event.created.timestamp())
    inserted = db.execute("INSERT OR IGNORE INTO webhook_events VALUES (?, ?, ?, ?, ?)",
                          (event.id, event.type, event.stream, created, event.body())).rowcount
    if not inserted:
        return 0
    db.executemany(
        "INSERT OR IGNORE INTO webhook_deliveries (event, subscriber, stream, created,"
        " retry_from, next_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(event.id, name, event.stream, created, created, created) for name in wanted])
    return 1


# --- delivering -----------------------------------------------------------------

def release_dead_claims(db: sqlite3.Connection, now: int, alive: Callable[[str], bool]) -> int:
    """Claims of owners that no longer run (a killed process) end now."""
    owners = [r[0] for r in db.execute(
        "SELECT DISTINCT owner FROM webhook_deliveries WHERE owner IS NOT NULL"
        " AND state='pending' AND claimed_until > ?", (now,))]
    released = 0
    for owner in owners:
        if not alive(owner):
            released += db.execute("UPDATE webhook_deliveries SET owner=NULL, claimed_until=NULL"
                                   " WHERE owner=? AND state='pending'", (owner,)).rowcount
    return released


def claim(db: sqlite3.Connection, owner: str, now: int, names: Sequence[str], limit: int,
          seconds_each: int) -> list[sqlite3.Row]:
    """Claim up to ``limit`` deliveries that are due, each the oldest
    undelivered one of its entry (stream) for its subscriber — a pending
    or parked earlier one holds it back — of subscribers in ``names`` that
    are not paused. A claim lasts long enough to send them all one after
    the other; until then no other process takes them."""
    paused = {r[0] for r in db.execute("SELECT name FROM webhook_subscribers"
                                       " WHERE paused_until > ?", (now,))}
    active = [n for n in names if n not in paused]
    if not active or limit <= 0:
        return []
    rows = db.execute(
        "SELECT d.seq, d.event, d.subscriber, d.stream, d.attempts, d.retry_from, e.type, e.body"
        " FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event"
        " WHERE d.state='pending' AND d.next_at <= ?"
        " AND (d.claimed_until IS NULL OR d.claimed_until <= ?)"
        " AND d.subscriber IN (%s)"
        " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.subscriber=d.subscriber"
        "   AND p.stream=d.stream AND p.state != 'delivered' AND p.seq < d.seq)"
        " ORDER BY d.seq LIMIT ?" % ",".join("?" * len(active)),
        (now, now, *active, limit)).fetchall()
    until = now + seconds_each * max(len(rows), 1)
    db.executemany("UPDATE webhook_deliveries SET owner=?, claimed_until=? WHERE seq=?",
                   [(owner, until, row["seq"]) for row in rows])
    return rows


def unclaim(db: sqlite3.Connection, seq: int, owner: str) -> None:
    """Give a claimed delivery back untried (its subscriber just failed)."""
    db.execute("UPDATE webhook_deliveries SET owner=NULL, claimed_until=NULL"
               " WHERE seq=? AND owner=? AND state='pending'", (seq, owner))


def delivered(db: sqlite3.Connection, seq: int, subscriber: str, now: int, status: int) -> None:
    """Acknowledged (2xx): done, whoever held the claim."""
    db.execute("UPDATE webhook_deliveries SET state='delivered', attempts=attempts+1,"
               " last_attempt=?, last_status=?, last_error=NULL, done_at=?, owner=NULL,"
               " claimed_until=NULL WHERE seq=? AND state='pending'", (now, status, now, seq))
    db.execute("INSERT INTO webhook_subscribers (name, last_success) VALUES (?, ?)"
               " ON CONFLICT (name) DO UPDATE SET failures=0, paused_until=0, last_success=?",
               (subscriber, now, now))


def failed(db: sqlite3.Connection, seq: int, owner: str, subscriber: str, now: int,
           status: Optional[int], error: str, policy: RetryPolicy) -> Optional[int]:
    """A failed attempt: the delivery waits (``policy``) or is parked, the
    subscriber is paused, and every delivery of it queued longer ago than
    the retry period is parked too (it would fail alike). Returns the next
    attempt's moment, None when parked."""
    row = db.execute("SELECT attempts, retry_from, event FROM webhook_deliveries"
                     " WHERE seq=? AND owner=? AND state='pending'", (seq, owner)).fetchone()
    next_at = None
    if row is not None:
        attempts = row["attempts"] + 1
        next_at = policy.next_attempt(attempts, row["retry_from"], now, row["event"])
        db.execute("UPDATE webhook_deliveries SET attempts=?, last_attempt=?, last_status=?,"
                   " last_error=?, next_at=?, state=?, done_at=?, owner=NULL, claimed_until=NULL"
                   " WHERE seq=?", (attempts, now, status, error, next_at or now,
                                    "pending" if next_at else "parked",
                                    None if next_at else now, seq))
    failures = (db.execute("SELECT failures FROM webhook_subscribers WHERE name=?",
                           (subscriber,)).fetchone() or (0,))[0] + 1
    db.execute("INSERT OR REPLACE INTO webhook_subscribers (name, failures, paused_until,"
               " last_success, last_failure) VALUES (?, ?, ?, (SELECT last_success FROM"
               " webhook_subscribers WHERE name=?), ?)",
               (subscriber, failures, now + pause_after(failures, subscriber), subscriber, now))
    db.execute("UPDATE webhook_deliveries SET state='parked', done_at=?, owner=NULL,"
               " claimed_until=NULL, last_error=coalesce(last_error, ?) WHERE subscriber=?"
               " AND state='pending' AND (owner IS NULL OR owner=?) AND retry_from < ?",
               (now, "the receiver failed for longer than the retry period", subscriber, owner,
                policy.park_before(now)))
    return next_at


def next_due(db: sqlite3.Connection, names: Sequence[str]) -> Optional[int]:
    """When the next pending delivery of these subscribers may go (POSIX
    seconds; a paused subscriber's pause and a claim count; only the oldest
    undelivered one of each entry can go), or None."""
    if not names:
        return None
    row = db.execute(
        "SELECT min(max(d.next_at, coalesce(s.paused_until, 0), coalesce(d.claimed_until, 0)))"
        " FROM webhook_deliveries d LEFT JOIN webhook_subscribers s ON s.name = d.subscriber"
        " WHERE d.state='pending' AND d.subscriber IN (%s)"
        " AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.subscriber=d.subscriber"
        "   AND p.stream=d.stream AND p.state != 'delivered' AND p.seq < d.seq)"
        % ",".join("?" * len(names)), tuple(names)).fetchone()
    return row[0] if row and row[0] is not None else None


# --- what the admin sees and does -------------------------------------------------

def summary(db: sqlite3.Connection) -> dict[str, dict]:
    """Per subscriber name: deliveries by state, the last success and
    failure, the pause, the last error."""
    found: dict[str, dict] = {}
    for row in db.execute("SELECT subscriber, state, count(*) FROM webhook_deliveries"
                          " GROUP BY subscriber, state"):
        found.setdefault(row[0], {})[row[1]] = row[2]
    for row in db.execute("SELECT * FROM webhook_subscribers"):
        found.setdefault(row["name"], {}).update(
            failures=row["failures"], paused_until=row["paused_until"] or None,
            last_success=row["last_success"], last_failure=row["last_failure"])
    for name in found:
        last = db.execute("SELECT last_error, last_status FROM webhook_deliveries"
                          " WHERE subscriber=? AND last_attempt IS NOT NULL"
                          " ORDER BY last_attempt DESC, seq DESC LIMIT 1", (name,)).fetchone()
        found[name]["last_error"] = last["last_error"] if last else None
        found[name]["last_status"] = last["last_status"] if last else None
    return found


def parked(db: sqlite3.Connection, subscriber: Optional[str] = None,
           limit: int = 100) -> list[sqlite3.Row]:
    """Parked deliveries, oldest first."""
    where, parameters = "d.state='parked'", []
    if subscriber is not None:
        where += " AND d.subscriber=?"
        parameters.append(subscriber)
    return db.execute(
        "SELECT d.seq, d.event, d.subscriber, d.attempts, d.created, d.last_attempt,"
        " d.last_status, d.last_error, d.done_at, e.type,"
        " (SELECT count(*) FROM webhook_deliveries w WHERE w.subscriber=d.subscriber"
        "  AND w.stream=d.stream AND w.state='pending' AND w.seq > d.seq) AS waiting"
        " FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event"
        " WHERE %s ORDER BY d.seq LIMIT ?" % where, (*parameters, limit)).fetchall()


def retry(db: sqlite3.Connection, now: int, subscriber: Optional[str] = None,
          seq: Optional[int] = None) -> int:
    """Parked deliveries (all, a subscriber's, or one) go out again now,
    with a fresh retry period. Without ``seq`` the subscribers' pauses end
    too and their waiting deliveries are due now ("the receiver is back").
    Returns the parked deliveries queued again."""
    scope, parameters = "1", []
    if subscriber is not None:
        scope, parameters = "subscriber=?", [subscriber]
    if seq is not None:
        scope += " AND seq=?"
        parameters.append(seq)
    names = [r[0] for r in db.execute("SELECT DISTINCT subscriber FROM webhook_deliveries"
                                      " WHERE state='parked' AND " + scope, parameters)]
    count = db.execute("UPDATE webhook_deliveries SET state='pending', retry_from=?, next_at=?,"
                       " done_at=NULL WHERE state='parked' AND " + scope,
                       (now, now, *parameters)).rowcount
    if seq is None:
        db.execute("UPDATE webhook_deliveries SET next_at=? WHERE state='pending' AND next_at > ?"
                   " AND " + scope, (now, now, *parameters))
        names = [r[0] for r in db.execute("SELECT name FROM webhook_subscribers WHERE " + (
            "name=?" if subscriber is not None else "1"), parameters[:1])]
    db.executemany("UPDATE webhook_subscribers SET paused_until=0 WHERE name=?",
                   [(n,) for n in names])
    return count


def forget(db: sqlite3.Connection, subscriber: str) -> int:
    """A subscriber the office removed in the backend, or one it adds
    anew: its deliveries and its pause go, so nothing queued before is
    sent to whoever has the name next. Returns the undelivered ones
    dropped. (Events nobody waits for go with the next housekeeping.)"""
    undelivered = db.execute("SELECT count(*) FROM webhook_deliveries WHERE subscriber=?"
                             " AND state != 'delivered'", (subscriber,)).fetchone()[0]
    db.execute("DELETE FROM webhook_deliveries WHERE subscriber=?", (subscriber,))
    db.execute("DELETE FROM webhook_subscribers WHERE name=?", (subscriber,))
    return undelivered


def housekeeping(db: sqlite3.Connection, now: int, names: Sequence[str]) -> None:
    """Delivered rows go after a week, parked ones after a month, events
    nobody waits for with them; deliveries of a subscriber no longer in
    the file are parked (visible; a retry needs it back in the file).
    ``names``: the subscribers in force, the file's and the backend's."""
    db.execute("DELETE FROM webhook_deliveries WHERE state='delivered' AND done_at < ?",
               (now - KEEP_DELIVERED_DAYS * 86400,))
    db.execute("DELETE FROM webhook_deliveries WHERE state='parked' AND done_at < ?",
               (now - KEEP_PARKED_DAYS * 86400,))
    db.execute("DELETE FROM webhook_events WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d"
               " WHERE d.event = webhook_events.id)")
    db.execute("UPDATE webhook_deliveries SET state='parked', done_at=?, last_error="
               "'the subscriber is no longer in the webhooks file' WHERE state='pending'"
               " AND subscriber NOT IN (%s)" % ",".join("?" * len(names)), (now, *names))
