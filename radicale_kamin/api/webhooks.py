"""Webhooks in the API (docs/webhooks.md): the events the server posts —
their models, a table the OpenAPI document's ``webhooks`` section is written
from — and the endpoints of the outbox for the admins: each subscriber's
deliveries and the parked ones; a retry. (Adding and removing subscribers
is the backend's: ``backend/webhooks.py``.) The secret of a subscriber is never
shown — only whether one is set — and its URL only without credentials,
query and tokens."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Optional

from pydantic import BaseModel, Field, create_model

from radicale_kamin.api.errors import ApiError
from radicale_kamin.api.fields import Instant, Name
from radicale_kamin.api.models import Answer, DueCall, RequestPart
from radicale_kamin.api.request import Request
from radicale_kamin.feeds.config import redact_url
from radicale_kamin.server.webhooks import wake
from radicale_kamin.webhooks import events, outbox
from radicale_kamin.webhooks.subscribers import Subscriber

if TYPE_CHECKING:
    from radicale_kamin.api.service import Api


class WebhookSubscriber(Answer):
    """One subscriber — of the webhooks file or added in the backend — and
    what it received."""
    name: str
    url: str = Field(description="without credentials, query and tokens")
    events: list[str]
    calendars: list[str] = Field(description="only events of these calendars (empty: all)")
    secret_set: bool = Field(description="whether a secret is set (it is never shown)")
    source: Literal["file", "backend"] = Field(description=(
        "file: a section of the webhooks file (read-only here); backend: added in the backend"))
    pending: int = Field(description="events waiting to be sent (or sent again)")
    delivered: int = Field(description="events acknowledged in the last 7 days")
    parked: int = Field(description="events given up on after the retry period")
    last_success: Optional[Instant]
    last_failure: Optional[Instant]
    last_error: Optional[str] = Field(description="why the last failed attempt failed "
                                                  "(`HTTP 503`, `no answer within 10 s`, …)")
    paused_until: Optional[Instant] = Field(description="no attempt before this moment "
                                                        "(the subscriber failed)")


class ParkedDelivery(Answer):
    """An event a subscriber did not acknowledge within the retry period."""
    delivery: int = Field(description="the number to retry it by")
    event: str = Field(description="the event id (X-Kamin-Delivery)")
    type: str
    subscriber: str
    created: Instant
    attempts: int
    last_attempt: Optional[Instant]
    last_status: Optional[int] = Field(description="the last HTTP status, null without answer")
    last_error: Optional[str]
    waiting: int = Field(description="later events of the same entry held back by this one")


class Webhooks(Answer):
    enabled: bool = Field(description="whether a subscriber is set up (in the webhooks file "
                                      "or the backend); without one nothing is recorded or "
                                      "sent")
    subscribers: list[WebhookSubscriber]
    parked: list[ParkedDelivery] = Field(description="oldest first, at most 100")


class RetryRequest(RequestPart):
    """Which parked events to send again: all (`{}`), a subscriber's, or one."""
    subscriber: Optional[Name] = Field(None, description="only this subscriber's")
    delivery: Optional[int] = Field(None, ge=1, description="only this delivery "
                                                            "(`parked[].delivery`)")


class Retried(Answer):
    retried: int = Field(description="parked events queued to be sent again now")


def _iso(epoch: Optional[int], tz) -> Optional[str]:
    return dt.datetime.fromtimestamp(epoch, tz).isoformat() if epoch else None


def subscriber_json(subscriber: Subscriber, source: str, known: dict, tz,
                    now: float) -> WebhookSubscriber:
    """A subscriber as the API shows it: no secret, the URL without tokens."""
    paused = known.get("paused_until")
    return WebhookSubscriber(
        name=subscriber.name, url=redact_url(subscriber.url), events=sorted(subscriber.events),
        calendars=["/%s/" % c for c in subscriber.calendars],
        secret_set=bool(subscriber.secret), source=source, pending=known.get("pending", 0),
        delivered=known.get("delivered", 0), parked=known.get("parked", 0),
        last_success=_iso(known.get("last_success"), tz),
        last_failure=_iso(known.get("last_failure"), tz),
        last_error=known.get("last_error"),
        paused_until=_iso(paused, tz) if paused and paused > now else None)


def get_webhooks(api: Api, request: Request) -> tuple[int, Webhooks]:
    hooks = api.storage.webhooks
    tz = api.timezone
    sources = hooks.subscribers.sources()
    with api.state.connection() as db:
        counts = outbox.summary(db)
        parked = outbox.parked(db)
    now = dt.datetime.now(tz).timestamp()
    return 200, Webhooks(enabled=bool(sources), subscribers=[
        subscriber_json(subscriber, source, counts.get(subscriber.name, {}), tz, now)
        for subscriber, source in sources], parked=[ParkedDelivery(
            delivery=row["seq"], event=row["event"], type=row["type"],
            subscriber=row["subscriber"], created=_iso(row["created"], tz),
            attempts=row["attempts"], last_attempt=_iso(row["last_attempt"], tz),
            last_status=row["last_status"], last_error=row["last_error"],
            waiting=row["waiting"]) for row in parked])


def post_retry(api: Api, request: Request) -> tuple[int, Retried]:
    hooks = api.storage.webhooks
    body: RetryRequest = request.body or RetryRequest()
    names = {s.name for s in hooks.subscribers.get()}
    if not names:
        raise ApiError(404, "Es ist kein Webhook-Empfänger eingerichtet (weder in der "
                            "Webhooks-Datei, [storage] kamin_webhooks, noch im Backend).")
    if body.subscriber is not None and body.subscriber not in names:
        raise ApiError(404, "Den Webhook-Empfänger %s gibt es nicht (weder in der "
                            "Webhooks-Datei noch im Backend)." % body.subscriber)
    with api.state.transaction() as db:
        count = outbox.retry(db, int(dt.datetime.now(api.timezone).timestamp()),
                             body.subscriber, body.delivery)
    if count:
        wake(hooks.folder)              # this process sends them now, not at its next look
    return 200, Retried(retried=count)


# --- the events the server posts --------------------------------------------------------------

class EventData(Answer):
    truncated: bool = Field(None, description="present (true) when the event was larger than "
                                              "64 KiB: only the fields its type promises are "
                                              "left")


class EntryEventData(EventData):
    """The entry's fields as the API shows them (`Entry`). A deleted entry
    says only `uid`, `calendar`, `href`, `etag`, `kind` and `start`."""
    uid: Optional[str]
    calendar: str = Field(examples=["/anna/termine/"])
    href: str
    etag: str = Field(None)
    kind: Optional[str] = Field(None)
    state: Optional[str] = Field(None)
    colour: Optional[str] = Field(None)
    label: Optional[str] = Field(None)
    summary: Optional[str] = Field(None)
    start: Optional[str] = Field(None, description="date-time, or a date for all-day entries")
    end: Optional[Instant] = Field(None)
    customer: Optional[str] = Field(None)
    phone: Optional[str] = Field(None)
    building: Optional[str] = Field(None)
    address: Optional[Literal["complete", "incomplete", "unrecognised"]] = Field(None)
    attempts: Optional[int] = Field(None)
    outcome: Optional[str] = Field(None)
    callback: Optional[Instant] = Field(None)


class StateChangedData(EntryEventData):
    old_state: Optional[str] = Field(description="null: the entry is new")
    state: Optional[str] = Field(description="null: the entry was deleted")
    deleted: bool = Field(None, description="present (true) when the entry was deleted")


class BookingData(EntryEventData):
    deleted: bool = Field(None, description="(booking.cancelled) whether the entry was "
                                            "deleted rather than cancelled")


class BookingMovedData(EntryEventData):
    old_start: Optional[str] = Field(description="the start before the move")


class CallDueData(DueCall):
    truncated: bool = Field(None, description="present (true) when the call listed so many "
                                              "entries that the event was cut to 64 KiB")


class PingData(EventData):
    subscriber: str = Field(description="the subscriber it was sent to")
    note: str = Field(description="a German sentence: this is a test, nothing happened")


class ImportCounts(Answer):
    green: int
    orange: int
    red: int


class ImportWritten(Answer):
    created: int
    updated: int
    unchanged: int
    deleted: int = Field(description="deleted on the server since an earlier import; left deleted")


class ImportFinishedData(EventData):
    file: str = Field(description="the imported file's name")
    format: str = Field(examples=["csv", "vcard", "ics", "ziv"])
    calendar: str
    addressbook: str
    records: int
    counts: ImportCounts = Field(description="records per verdict")
    written: ImportWritten = Field(description="items written")
    skipped: int
    conflicts: int = Field(description="fields both the source and the server changed (the "
                                       "server's value kept)")


class SubscriptionFailedData(EventData):
    name: str = Field(description="the subscription's section in the subscriptions file")
    calendar: str
    url: str = Field(description="without credentials, query and tokens")
    error: Optional[str]
    last_success: Optional[str] = Field(description="the last successful fetch, if any")


def _event_model(event_type: str, data: type[BaseModel], name: str) -> type[BaseModel]:
    """The posted object of one type: ``{id, type, created, data}``."""
    return create_model(
        name, __base__=Answer, __doc__="The body of the `%s` webhook (docs/webhooks.md)."
        % event_type,
        id=(str, Field(description="the event id, also in X-Kamin-Delivery: the same on "
                                   "every retry")),
        type=(Literal[event_type], ...),             # type: ignore[valid-type]
        created=(Instant, Field(description="when the event was queued")),
        data=(data, ...))


@dataclass(frozen=True)
class Webhook:
    """One type of event, as the OpenAPI document's ``webhooks`` names it."""
    type: str
    operation_id: str
    summary: str
    model: type[BaseModel]


WEBHOOKS: tuple[Webhook, ...] = (
    Webhook(events.STATE_CHANGED, "entryStateChanged",
            "An entry's state changed (also when it was created or deleted)",
            _event_model(events.STATE_CHANGED, StateChangedData, "EntryStateChangedEvent")),
    Webhook(events.CALL_DUE, "callDue",
            "A call entered the due list (by a write, or because the time came)",
            _event_model(events.CALL_DUE, CallDueData, "CallDueEvent")),
    Webhook(events.BOOKING_CREATED, "bookingCreated", "A booking was made",
            _event_model(events.BOOKING_CREATED, BookingData, "BookingCreatedEvent")),
    Webhook(events.BOOKING_MOVED, "bookingMoved", "A booking's start changed",
            _event_model(events.BOOKING_MOVED, BookingMovedData, "BookingMovedEvent")),
    Webhook(events.BOOKING_CANCELLED, "bookingCancelled",
            "A booking was deleted, cancelled, rejected or set free",
            _event_model(events.BOOKING_CANCELLED, BookingData, "BookingCancelledEvent")),
    Webhook(events.IMPORT_FINISHED, "importFinished", "kamin import finished, with its counts",
            _event_model(events.IMPORT_FINISHED, ImportFinishedData, "ImportFinishedEvent")),
    Webhook(events.SUBSCRIPTION_FAILED, "subscriptionFailed",
            "kamin sync could not mirror an external calendar",
            _event_model(events.SUBSCRIPTION_FAILED, SubscriptionFailedData,
                         "SubscriptionFailedEvent")),
    Webhook(events.TEST, "webhookTest",
            "A test an admin sent to one subscriber (POST webhooks/subscribers/{name}/test)",
            _event_model(events.TEST, PingData, "WebhookTestEvent")),
)
MODELS = {hook.type: hook.model for hook in WEBHOOKS}
