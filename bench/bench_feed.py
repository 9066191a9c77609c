"""Time mirroring a 2,000-event feed: ``mirror_entries`` + ``plan_sync``.

The feed is generated like a busy private Google calendar: 1,700 single
events (a third in a named zone) spread over a year around "now", 300
weekly series in Europe/Berlin, 60 of them with a moved occurrence.
Also timed: the validity check ``fetch`` runs on every changed body.

    .venv/bin/python bench/bench_feed.py [EVENTS]
"""

from __future__ import annotations

import datetime as dt
import sys
import time

from radicale_kamin.entries.timefacts import DEFAULT_TIMEZONE as BERLIN
from radicale_kamin.feeds.config import Subscription
from radicale_kamin.feeds.fetch import parse_feed
from radicale_kamin.feeds.mirror import mirror
from radicale_kamin.feeds.plan import plan_sync

NOW = dt.datetime(2026, 7, 1, 8, 0, tzinfo=BERLIN)
ZONE = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE"""


def generate(events: int = 2000, stamp: str = "20260701T060000Z", shift: int = 0) -> bytes:
    """A feed of ``events`` VEVENTs; ``shift`` moves every 20th single event
    by an hour (an upstream change)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//feed//DE",
             "X-WR-TIMEZONE:Europe/Berlin", ZONE]
    series = events * 15 // 100
    for n in range(events - series):
        start = NOW + dt.timedelta(days=(n * 7) % 365 - 60, hours=n % 9)
        if shift and n % 20 == 0:
            start += dt.timedelta(hours=shift)
        end = start + dt.timedelta(minutes=45)
        if n % 3:
            when = ["DTSTART:" + start.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
                    "DTEND:" + end.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")]
        else:
            when = ["DTSTART;TZID=Europe/Berlin:" + start.strftime("%Y%m%dT%H%M%S"),
                    "DTEND;TZID=Europe/Berlin:" + end.strftime("%Y%m%dT%H%M%S")]
        lines += ["BEGIN:VEVENT", "UID:single-%d@bench" % n, "DTSTAMP:" + stamp, *when,
                  "SUMMARY:Termin %d" % n, "LOCATION:Hauptstraße %d\\, 12345 Musterstadt" % n,
                  "LAST-MODIFIED:20260601T100000Z", "TRANSP:OPAQUE", "END:VEVENT"]
    for n in range(series):
        first = dt.datetime(2026, 3, 2 + n % 7, 17 + n % 3, 0)
        lines += ["BEGIN:VEVENT", "UID:series-%d@bench" % n, "DTSTAMP:" + stamp,
                  "DTSTART;TZID=Europe/Berlin:" + first.strftime("%Y%m%dT%H%M%S"),
                  "DTEND;TZID=Europe/Berlin:" + (first + dt.timedelta(hours=1)).strftime("%Y%m%dT%H%M%S"),
                  "RRULE:FREQ=WEEKLY", "SUMMARY:Serie %d" % n,
                  "LAST-MODIFIED:20260301T100000Z", "END:VEVENT"]
        if n % 5 == 0:
            moved = first + dt.timedelta(weeks=20)
            lines += ["BEGIN:VEVENT", "UID:series-%d@bench" % n, "DTSTAMP:" + stamp,
                      "RECURRENCE-ID;TZID=Europe/Berlin:" + moved.strftime("%Y%m%dT%H%M%S"),
                      "DTSTART;TZID=Europe/Berlin:" + (moved + dt.timedelta(days=1)).strftime("%Y%m%dT%H%M%S"),
                      "DTEND;TZID=Europe/Berlin:" + (moved + dt.timedelta(days=1, hours=1)).strftime("%Y%m%dT%H%M%S"),
                      "SUMMARY:Serie %d (verschoben)" % n,
                      "LAST-MODIFIED:20260401T100000Z", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def timed(label: str, function, repeat: int = 3):
    best, result = None, None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        elapsed = time.perf_counter() - started
        best = elapsed if best is None else min(best, elapsed)
    print("%-58s %7.3f s" % (label, best))
    return result


def main() -> None:
    events = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    subscription = Subscription("bench", "https://calendar.example/bench.ics", "/anna/termine/")
    body = generate(events)
    restamped = generate(events, stamp="20260701T070000Z")
    changed = generate(events, stamp="20260701T080000Z", shift=1)
    print("feed: %d VEVENTs, %d bytes" % (events, len(body)))
    timed("fetch's validity check (parse_feed)", lambda: parse_feed(body))
    first = timed("mirror_entries, first run", lambda: mirror(subscription, body, NOW))
    print("  %d entries, %d outside the window, %d skipped"
          % (len(first.entries), first.outside_window, len(first.skipped)))
    plan = timed("plan_sync against an empty calendar", lambda: plan_sync({}, first.entries))
    print("  create %d" % len(plan.create))
    stored = {e.uid: e.fingerprint for e in first.entries}
    again = timed("mirror_entries, Google re-stamped every DTSTAMP",
                  lambda: mirror(subscription, restamped, NOW))
    plan = timed("plan_sync, nothing changed", lambda: plan_sync(stored, again.entries))
    print("  unchanged %d, create/update/delete %d/%d/%d"
          % (plan.unchanged, len(plan.create), len(plan.update), len(plan.delete)))
    moved = timed("mirror_entries, every 20th single event moved",
                  lambda: mirror(subscription, changed, NOW))
    plan = timed("plan_sync, after the move", lambda: plan_sync(stored, moved.entries))
    print("  unchanged %d, create/update/delete %d/%d/%d"
          % (plan.unchanged, len(plan.create), len(plan.update), len(plan.delete)))


if __name__ == "__main__":
    main()
