"""An index row as the calling rules see it, and when they would offer it.

The side index keeps ``entries.facts.ItemFacts`` per item; the calling
rules (``calls``) work on ``Candidate`` values. This module translates one
into the other and answers the two questions the index stores the answers
to: each entry's due period (so whom to call now is one indexed query) and
which deadlines a booking of their building settles.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Mapping, Optional

from radicale_kamin.schedule.calls import (BOOKING_KINDS, Candidate, CallSettings, due_window,
                                           is_settled)


def _moment_of(epoch: Optional[int], tz) -> Optional[dt.datetime]:
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, tz)


def candidate_from(values: Mapping, calendar: str, href: str, tz) -> Candidate:
    """An index row (or ``asdict(ItemFacts)``) as the calling rules see it.
    ``calendar`` is the URL path ("/anna/termine/")."""
    start = dt.datetime.fromtimestamp(values["start"], tz)
    window = values["window_start"]
    return Candidate(
        uid=values["uid"], calendar=calendar, href=href, kind=values["kind"],
        state=values["state"], start=start, phone=values["phone"],
        phone_type=values["phone_type"], customer=values["customer"],
        building=values["building"], attempts=values["attempts"] or 0,
        outcome=values["outcome"], callback=_moment_of(values["callback"], tz),
        last_attempt=_moment_of(values["last_attempt"], tz),
        notified=_moment_of(values["notified"], tz),
        window_start=dt.date.fromisoformat(window) if window else None,
        work=values["work"], formblatt=values["formblatt"])


def due_period(values: Mapping, settings: CallSettings) -> tuple[Optional[int], Optional[int]]:
    """(since, until) in POSIX seconds when the calling rules would offer
    this entry, whatever the moment — None when never. The index keeps it,
    so whom to call now is one indexed query; settlement by a booking and
    leases are for the rules to check at the moment itself."""
    if (not values["valid"] or values["start"] is None
            or values["kind"] not in ("internal", "deadline")):
        return None, None
    due = due_window(candidate_from(values, "", "", settings.timezone), settings)
    if due is None:
        return None, None
    return int(due.since.timestamp()), int(due.until.timestamp())


def settled_deadlines(rows: Iterable[Mapping], settings: CallSettings
                      ) -> dict[tuple[str, str], bool]:
    """For each deadline among ``rows`` (index rows holding every
    appointment of the deadlines' buildings), keyed by (calendar, href):
    whether a booking settles it (``calls.is_settled``)."""
    candidates = [candidate_from(r, r["calendar"], r["href"], settings.timezone)
                  for r in rows if r["start"] is not None]
    bookings: dict[Optional[str], list[Candidate]] = {}
    for c in candidates:
        if c.kind in BOOKING_KINDS:
            bookings.setdefault(c.building, []).append(c)
    return {(c.calendar, c.href): is_settled(c, settings, bookings.get(c.building, ()))
            for c in candidates if c.kind == "deadline"}
