"""Endpoints of the webhooks' outbox for the admins (docs/webhooks.md):
each subscriber's deliveries and the parked ones; a retry. The secret of a
subscriber is never shown — only whether one is set — and its URL only
without credentials, query and tokens."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Optional

from pydantic import Field

from radicale_kamin.api.errors import ApiError
from radicale_kamin.api.fields import Instant, Name
from radicale_kamin.api.models import Answer, RequestPart
from radicale_kamin.api.request import Request
from radicale_kamin.feeds.config import redact_url
from radicale_kamin.webhooks import outbox

if TYPE_CHECKING:
    from radicale_kamin.api.service import Api


class WebhookSubscriber(Answer):
    """One section of the webhooks file and what it received."""
    name: str
    url: str = Field(description="without credentials, query and tokens")
    events: list[str]
    calendars: list[str] = Field(description="only events of these calendars (empty: all)")
    secret_set: bool = Field(description="whether a secret is set (it is never shown)")
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
    enabled: bool = Field(description="whether [storage] kamin_webhooks names a file")
    subscribers: list[WebhookSubscriber]
    parked: list[ParkedDelivery] = Field(description="oldest first, at most 100")


class RetryRequest(RequestPart):
    """Which parked events to send again: all (`{}`), a subscriber's, or one."""
    subscriber: Optional[Name] = Field(None, description="only this subscriber's")
    delivery: Optional[int] = Field(None, ge=1, description="only this delivery "
                                                            "(`parked[].delivery`)")


class Retried(Answer):
    retried: int = Field(description="parked events queued to be sent again now")


def _admin(api: Api, request: Request) -> None:
    if not api.is_admin(request.user):
        raise ApiError(403, "only admins ([storage] kamin_admins) may see and retry webhooks")


def _iso(epoch: Optional[int], tz) -> Optional[str]:
    return dt.datetime.fromtimestamp(epoch, tz).isoformat() if epoch else None


def get_webhooks(api: Api, request: Request) -> tuple[int, Webhooks]:
    _admin(api, request)
    hooks = api.storage.webhooks
    if not hooks.enabled:
        return 200, Webhooks(enabled=False, subscribers=[], parked=[])
    tz = api.timezone
    with api.state.connection() as db:
        counts = outbox.summary(db)
        parked = outbox.parked(db)
    now = dt.datetime.now(tz).timestamp()
    subscribers = []
    for subscriber in hooks.subscribers.get():
        known = counts.get(subscriber.name, {})
        paused = known.get("paused_until")
        subscribers.append(WebhookSubscriber(
            name=subscriber.name, url=redact_url(subscriber.url), events=sorted(subscriber.events),
            calendars=["/%s/" % c for c in subscriber.calendars],
            secret_set=bool(subscriber.secret), pending=known.get("pending", 0),
            delivered=known.get("delivered", 0), parked=known.get("parked", 0),
            last_success=_iso(known.get("last_success"), tz),
            last_failure=_iso(known.get("last_failure"), tz),
            last_error=known.get("last_error"),
            paused_until=_iso(paused, tz) if paused and paused > now else None))
    return 200, Webhooks(enabled=True, subscribers=subscribers, parked=[ParkedDelivery(
        delivery=row["seq"], event=row["event"], type=row["type"], subscriber=row["subscriber"],
        created=_iso(row["created"], tz), attempts=row["attempts"],
        last_attempt=_iso(row["last_attempt"], tz), last_status=row["last_status"],
        last_error=row["last_error"], waiting=row["waiting"]) for row in parked])


def post_retry(api: Api, request: Request) -> tuple[int, Retried]:
    _admin(api, request)
    hooks = api.storage.webhooks
    body: RetryRequest = request.body or RetryRequest()
    if not hooks.enabled:
        raise ApiError(404, "no webhooks are set up ([storage] kamin_webhooks)")
    if body.subscriber is not None and body.subscriber not in {
            s.name for s in hooks.subscribers.get()}:
        raise ApiError(404, "no subscriber %s in the webhooks file" % body.subscriber)
    with api.state.transaction() as db:
        count = outbox.retry(db, int(dt.datetime.now(api.timezone).timestamp()),
                             body.subscriber, body.delivery)
    return 200, Retried(retried=count)
