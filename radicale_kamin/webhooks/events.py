"""What an event is, and which events a change of an entry makes.

An entry's change is judged against what the outbox last recorded of it
(``Observed``), never against the side index: the index is a cache that a
rebuild empties, the record is durable state. So an index rebuild
announces nothing, and the same change seen twice (a retry, two server
processes, a sync after a crash) makes no second event — the second look
finds the ETag already recorded.

Event ids are derived, not random: the subscriber's idempotency key is the
same however often a change is looked at (``entry_event_id``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional

from radicale_kamin.entries import rules
from radicale_kamin.schedule.calls import BOOKING_KINDS

STATE_CHANGED = "entry.state-changed"
CALL_DUE = "call.due"
BOOKING_CREATED = "booking.created"
BOOKING_MOVED = "booking.moved"
BOOKING_CANCELLED = "booking.cancelled"
IMPORT_FINISHED = "import.finished"
SUBSCRIPTION_FAILED = "subscription.failed"
EVENT_TYPES = (STATE_CHANGED, CALL_DUE, BOOKING_CREATED, BOOKING_MOVED, BOOKING_CANCELLED,
               IMPORT_FINISHED, SUBSCRIPTION_FAILED)
# Sent only when an admin asks for it (the backend's "Testereignis senden"),
# to the one subscriber named: nobody subscribes to it, so it is no EVENT_TYPE.
TEST = "webhook.test"

# An event's JSON at most this long; a longer one keeps only the fields its
# type promises (``REQUIRED``) and says ``"truncated": true``.
MAX_BODY = 64 * 1024
REQUIRED = {
    STATE_CHANGED: ("uid", "calendar", "href", "old_state", "state"),
    CALL_DUE: ("uid", "calendar", "href", "reason", "action", "phone", "start"),
    BOOKING_CREATED: ("uid", "calendar", "href", "start"),
    BOOKING_MOVED: ("uid", "calendar", "href", "start", "old_start"),
    BOOKING_CANCELLED: ("uid", "calendar", "href", "start"),
    IMPORT_FINISHED: ("calendar", "counts", "written"),
    SUBSCRIPTION_FAILED: ("name", "calendar", "error"),
    TEST: ("subscriber",),
}


@dataclass(frozen=True)
class Event:
    """One event, as queued for every subscriber that wants it."""

    id: str
    type: str
    stream: str                     # events of one stream are delivered in order
    created: dt.datetime            # aware
    data: Mapping[str, Any] = field(repr=False)     # may name a customer: never in a repr
    calendar: Optional[str] = None  # sane path, for a subscriber's ``calendars``

    def body(self) -> bytes:
        """The JSON every subscriber receives (the same bytes on every retry)."""
        return body_of(self.id, self.type, self.created, self.data)


def body_of(event_id: str, event_type: str, created: dt.datetime,
            data: Mapping[str, Any]) -> bytes:
    def encode(payload: Mapping[str, Any]) -> bytes:
        return json.dumps({"id": event_id, "type": event_type, "created": created.isoformat(),
                           "data": payload}, ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")

    raw = encode(data)
    if len(raw) <= MAX_BODY:
        return raw
    return encode({**{k: data.get(k) for k in REQUIRED[event_type]}, "truncated": True})


def digest(*parts: object) -> str:
    """A stable id from its parts (32 hex digits of SHA-256)."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


# --- entries ------------------------------------------------------------------

@dataclass(frozen=True)
class Observed:
    """What the outbox records of one entry file: enough to tell the next
    change from this one, and to describe the entry once it is deleted."""

    etag: str
    version: int                    # counts the changes seen: part of the event ids
    uid: Optional[str]
    kind: Optional[str]
    state: Optional[str]
    start: Optional[int]            # POSIX seconds
    all_day: bool
    booked: bool                    # a booking that takes its time (``is_booking``)


def is_booking(values: Mapping[str, Any]) -> bool:
    """A booking stands: an appointment with a customer (internal or
    external) that is valid, dated and takes its time — not cancelled
    (STATUS:CANCELLED, which a rejected entry also carries), not free."""
    return bool(values.get("kind") in BOOKING_KINDS and values.get("valid")
                and values.get("blocks") and values.get("start") is not None)


def observed_of(values: Mapping[str, Any], etag: str, version: int) -> Observed:
    """The record of an entry from its index facts (``entries.facts.ItemFacts``)."""
    return Observed(etag=etag, version=version, uid=values.get("uid"), kind=values.get("kind"),
                    state=values.get("state") if values.get("component") == "VEVENT" else None,
                    start=values.get("start"), all_day=bool(values.get("all_day")),
                    booked=is_booking(values))


def calendar_url(calendar: str) -> str:
    """``anna/termine`` → ``/anna/termine/``, as the API writes calendars."""
    return "/%s/" % calendar


def _iso(epoch: Optional[int], tz) -> Optional[str]:
    return None if epoch is None else dt.datetime.fromtimestamp(epoch, tz).isoformat()


def start_text(start: Optional[int], all_day: bool, tz) -> Optional[str]:
    """An entry's start as the API writes it: a date for all-day entries."""
    if start is not None and all_day:
        return dt.datetime.fromtimestamp(start, tz).date().isoformat()
    return _iso(start, tz)


def entry_fields(values: Mapping[str, Any], calendar: str, href: str, etag: str,
                 tz) -> dict[str, Any]:
    """The entry's fields as the JSON API shows them (``Entry`` of
    ``api/models.py``; a test holds the two alike)."""
    state = rules.STATES.get(values.get("state") or "")
    return {
        "uid": values.get("uid"), "calendar": calendar_url(calendar), "href": href,
        "etag": etag, "kind": values.get("kind"), "state": values.get("state"),
        "colour": state.colour if state else None, "label": state.label if state else None,
        "summary": values.get("summary"),
        "start": start_text(values.get("start"), bool(values.get("all_day")), tz),
        "end": None if values.get("all_day") else _iso(values.get("end"), tz),
        "customer": values.get("customer"), "phone": values.get("phone"),
        "building": values.get("building"), "address": values.get("address"),
        "attempts": values.get("attempts"), "outcome": values.get("outcome"),
        "callback": _iso(values.get("callback"), tz),
    }


def _gone_fields(old: Observed, calendar: str, href: str, tz) -> dict[str, Any]:
    """What is left to say of a deleted entry: no customer data."""
    return {"uid": old.uid, "calendar": calendar_url(calendar), "href": href, "etag": old.etag,
            "kind": old.kind, "start": start_text(old.start, old.all_day, tz)}


def entry_stream(calendar: str, href: str) -> str:
    return "entry:%s/%s" % (calendar, href)


def entry_event_id(generation: str, calendar: str, href: str, version: int, etag: str,
                   event_type: str) -> str:
    """Derived from the entry (calendar, href), the change (the entry's
    version in the outbox's record and its ETag) and the event's type."""
    return digest(generation, calendar, href, version, etag, event_type)


def entry_events(calendar: str, href: str, old: Optional[Observed], new: Optional[Observed],
                 fields: Optional[Mapping[str, Any]], generation: str, created: dt.datetime,
                 tz) -> list[Event]:
    """The events of one change of an entry file: ``old`` as recorded
    (None: the file is new), ``new`` as now stored (None: deleted), with
    the entry's API ``fields`` (``entry_fields``) unless deleted.

    * ``entry.state-changed`` when the state differs (``old_state`` null
      for a new entry; ``state`` null and ``deleted`` true for a deleted one);
    * ``booking.created`` when a booking starts to stand (``is_booking``),
      ``booking.moved`` when a standing booking's start changes,
      ``booking.cancelled`` when it stops standing (deleted, cancelled,
      rejected, set free, no longer a customer appointment).

    Per change the state event comes first, then the booking event.
    """
    if new is None and old is None:
        return []
    if new is not None:
        data = dict(fields or {})
        version, etag = new.version, new.etag
    else:
        data = _gone_fields(old, calendar, href, tz)
        version, etag = old.version + 1, old.etag
    stream = entry_stream(calendar, href)

    def event(event_type: str, payload: Mapping[str, Any]) -> Event:
        return Event(entry_event_id(generation, calendar, href, version, etag, event_type),
                     event_type, stream, created, payload, calendar)

    found = []
    old_state = old.state if old else None
    new_state = new.state if new else None
    if old_state != new_state:
        payload = {**data, "old_state": old_state, "state": new_state}
        if new is None:
            payload["deleted"] = True
        found.append(event(STATE_CHANGED, payload))
    was, stands = bool(old and old.booked), bool(new and new.booked)
    if stands and not was:
        found.append(event(BOOKING_CREATED, data))
    elif stands and was and old.start != new.start:
        found.append(event(BOOKING_MOVED, {
            **data, "old_start": start_text(old.start, old.all_day, tz)}))
    elif was and not stands:
        found.append(event(BOOKING_CANCELLED, {**data, "deleted": new is None}))
    return found


# --- events of a run: imports, external calendars ---------------------------------------

def run_event(event_type: str, stream: str, data: Mapping[str, Any], created: dt.datetime,
              calendar: Optional[str], token: str) -> Event:
    """An event of something that ran (an import, a subscription's sync):
    ``token`` makes it unique (the run's own id)."""
    if event_type not in (IMPORT_FINISHED, SUBSCRIPTION_FAILED):
        raise ValueError("unknown run event %r" % event_type)
    return Event(digest(event_type, stream, token), event_type, stream, created, dict(data),
                 calendar)


def ping_event(subscriber: str, created: dt.datetime, token: str) -> Event:
    """A signed ``webhook.test`` for ``subscriber``: proves the URL, the
    secret and the receiver's check of the signature, and says nothing
    of any entry. ``token`` makes it unique."""
    event_id = digest(TEST, subscriber, token)
    return Event(event_id, TEST, "test:" + event_id, created,
                 {"subscriber": subscriber,
                  "note": "Testereignis aus dem Kamin-Backend: die Signatur prüfen, mit 2xx "
                          "antworten, sonst nichts tun."})
