"""Endpoints of the webhook subscribers in the backend: add one, remove one,
send one a test event (docs/webhooks.md). The list and the retry are
``api/webhooks.py``. A secret is taken here and never given back."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from radicale_kamin.api.backend.models import NewWebhookSubscriber, Removed, WebhookTested
from radicale_kamin.api.errors import ApiError
from radicale_kamin.api.request import Request
from radicale_kamin.api.webhooks import WebhookSubscriber, subscriber_json
from radicale_kamin.feeds.config import redact_url
from radicale_kamin.server import webhook_subscribers as stored
from radicale_kamin.server.webhooks import wake
from radicale_kamin.webhooks import delivery, events, outbox
from radicale_kamin.webhooks.backend import (BACKEND, FILE, SubscriberRefused, delivery_error,
                                             new_subscriber)

if TYPE_CHECKING:
    from radicale_kamin.api.service import Api


def _file_names(api: Api) -> set[str]:
    return {s.name for s, source in api.storage.webhooks.subscribers.sources()
            if source == FILE}


def post_subscriber(api: Api, request: Request) -> tuple[int, WebhookSubscriber]:
    body: NewWebhookSubscriber = request.body
    hooks = api.storage.webhooks
    try:
        subscriber = new_subscriber(body.name.strip(), body.url.strip(), body.secret.strip(),
                                    [e.strip() for e in body.events if e.strip()],
                                    [c.strip() for c in body.calendars if c.strip()],
                                    api.index.calendars_on_disk())
    except SubscriberRefused as e:
        raise ApiError(400, str(e), problems=e.problems) from None
    try:
        stored.add(api.office, request.user, subscriber, _file_names(api),
                   redact_url(subscriber.url), body.replace)
    except stored.NameTaken as e:
        raise ApiError(409, str(e), problems={"name": str(e)}) from None
    # The first subscriber takes the baseline now: every change after this
    # answer is announced, in every process.
    hooks.catch_up()
    wake(hooks.folder)
    now = dt.datetime.now(api.timezone).timestamp()
    with api.state.connection() as db:
        known = outbox.summary(db).get(subscriber.name, {})
    return 201, subscriber_json(subscriber, BACKEND, known, api.timezone, now)


def post_remove(api: Api, request: Request) -> tuple[int, Removed]:
    name = request.path.name
    try:
        dropped = stored.remove(api.office, request.user, name, _file_names(api))
    except stored.NameTaken as e:
        raise ApiError(409, str(e)) from None
    if dropped is None:
        raise ApiError(404, "Den Webhook-Empfänger %s gibt es nicht." % name)
    return 200, Removed(removed=True)


def post_test(api: Api, request: Request) -> tuple[int, WebhookTested]:
    """Sign and send a ``webhook.test`` now, once, and say how it went."""
    hooks = api.storage.webhooks
    subscriber = next((s for s in hooks.subscribers.get() if s.name == request.path.name), None)
    if subscriber is None:
        raise ApiError(404, "Den Webhook-Empfänger %s gibt es nicht." % request.path.name)
    now = dt.datetime.now(api.timezone).replace(microsecond=0)
    event = events.ping_event(subscriber.name, now, uuid.uuid4().hex)
    http = delivery.session()
    try:
        attempt = delivery.post(http, subscriber, event.type, event.id, event.body(),
                                hooks.options.timeout)
    finally:
        http.close()
    outcome = ("zugestellt (HTTP %d)" % attempt.status if attempt.ok
               else "fehlgeschlagen: %s" % delivery_error(attempt.error))
    with api.office.state.transaction() as db:
        api.office.changed(db, request.user, "webhooks", "Testereignis an Webhook-Empfänger "
                           "%s: %s" % (subscriber.name, outcome))
    return 200, WebhookTested(delivered=attempt.ok, status=attempt.status, error=attempt.error,
                              event=event.id)
