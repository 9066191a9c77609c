"""``call.due``: a call enters the due list — also when nothing was written.

The due list is what ``GET due-calls`` lists (``schedule.calls.due_calls``),
without leases: a lease keeps one poller from handing a call out twice, it
does not make the call less due, so a pushed call is not pulled back when
someone polls. It changes by time only at moments known in advance — a
calling window opens or closes, an entry's due period starts (the index
keeps it: ``due_since``) — and otherwise only by writes; the dispatcher
evaluates it at those moments (``next_change``).

Each entry of the list is remembered (with the calling window it entered
in); an event goes out for each call that holds an entry not there at the
last look. So a call is announced again when it comes back: the next
calling day, after a failed attempt's retry time, a callback's time.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable, Mapping, Optional

from radicale_kamin.schedule import calls
from radicale_kamin.schedule.callsettings import CallSettings
from radicale_kamin.schedule.due import candidate_from
from radicale_kamin.webhooks.events import CALL_DUE, Event, calendar_url, digest, entry_stream

Key = tuple[str, str]           # (sane calendar path, href)


def window_start(now: dt.datetime, settings: CallSettings) -> Optional[dt.datetime]:
    """The start of the calling window ``now`` lies in, or None outside one."""
    if not calls.is_calling_time(now, settings):
        return None
    local = now.astimezone(settings.timezone)
    start = dt.datetime.combine(local.date(), settings.window_start, tzinfo=settings.timezone)
    return start.astimezone(dt.timezone.utc).astimezone(settings.timezone)


def next_change(now: dt.datetime, settings: CallSettings,
                next_due_since: Optional[int]) -> dt.datetime:
    """The first moment after ``now`` the due list may change without a
    write: the current window's end or the next one's start, or the next
    due period starting (``next_due_since``, POSIX seconds)."""
    start = window_start(now, settings)
    if start is not None:
        local = now.astimezone(settings.timezone)
        boundary = dt.datetime.combine(local.date(), settings.window_end,
                                       tzinfo=settings.timezone)
    else:
        boundary = calls.next_calling_time(now, settings)
    if next_due_since is not None and next_due_since > now.timestamp():
        boundary = min(boundary, dt.datetime.fromtimestamp(next_due_since, settings.timezone))
    return boundary


def due_now(rows: Iterable[Mapping], now: dt.datetime, settings: CallSettings) -> list[calls.Call]:
    """The calls due at ``now`` from index rows (``SideIndex.due_rows``)."""
    candidates = [candidate_from(row, calendar_url(row["calendar"]), row["href"],
                                 settings.timezone) for row in rows]
    return calls.due_calls(candidates, now, settings)


def entry_key(candidate: calls.Candidate) -> Key:
    return candidate.calendar.strip("/"), candidate.href


def keys_of(due: Iterable[calls.Call]) -> set[Key]:
    """Every entry on the list."""
    return {entry_key(entry) for call in due for entry in call.entries}


def call_item(call: calls.Call, etags: Mapping[Key, str]) -> dict:
    """The call as ``GET due-calls`` lists it (``DueCall`` of
    ``api/models.py``; a test holds the two alike)."""
    primary = call.entries[0]
    reasons = call.reasons or (call.reason,) * len(call.entries)
    return {
        "uid": call.uid, "calendar": call.calendar, "href": primary.href,
        "etag": etags.get(entry_key(primary)), "reason": call.reason, "action": call.action,
        "phone": call.phone, "customer": call.customer, "building": call.building,
        "start": call.start.isoformat(), "due_since": call.due_at.isoformat(),
        "kind": call.kind,
        "entries": [{"uid": c.uid, "calendar": c.calendar, "href": c.href,
                     "etag": etags.get(entry_key(c)), "kind": c.kind, "state": c.state,
                     "start": c.start.isoformat(), "reason": reason}
                    for c, reason in zip(call.entries, reasons)],
    }


def entered_events(due: Iterable[calls.Call], entered: set[Key], etags: Mapping[Key, str],
                   generation: str, now: dt.datetime, window: dt.datetime) -> list[Event]:
    """One ``call.due`` per call holding an entry that ``entered`` the list,
    in the list's order (most urgent first); ordered with the primary
    entry's other events. Its id: the entries that entered, their ETags
    and reasons, the window they entered in and since when they are due."""
    found = []
    for call in due:
        new = [(entry_key(c), c) for c in call.entries if entry_key(c) in entered]
        if not new:
            continue
        primary = entry_key(call.entries[0])
        event_id = digest(generation, CALL_DUE, int(window.timestamp()),
                          int(call.due_at.timestamp()), call.reason,
                          *("%s/%s@%s" % (k[0], k[1], etags.get(k)) for k, _ in sorted(
                              new, key=lambda pair: pair[0])))
        found.append(Event(event_id, CALL_DUE, entry_stream(*primary), now,
                           call_item(call, etags), primary[0]))
    return found
