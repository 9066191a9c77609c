"""Endpoints of the external calendars in the backend: add one, remove one
(its mirrored entries go too), and "sync now"."""

from __future__ import annotations

from typing import TYPE_CHECKING

from radicale_kamin.api.backend.models import NewSubscription, Removed, SyncResult
from radicale_kamin.api.errors import ApiError
from radicale_kamin.api.models import Subscription as SubscriptionOut
from radicale_kamin.api.paths import calendar_url, sane_path
from radicale_kamin.api.request import Request
from radicale_kamin.feeds.config import Subscription
from radicale_kamin.feeds.fetch import FetchState
from radicale_kamin.feeds.office import (add_subscription, remove_subscription,
                                         subscription_problem)
from radicale_kamin.feeds.sync import load_states, sync_all

if TYPE_CHECKING:
    from radicale_kamin.api.service import Api


def _named(api: Api, name: str) -> Subscription:
    found = next((s for s in api.subscriptions if s.name == name), None)
    if found is None:
        raise ApiError(404, "no external calendar %s" % name)
    return found


def post_subscription(api: Api, request: Request) -> tuple[int, SubscriptionOut]:
    body: NewSubscription = request.body
    problem = subscription_problem(body.name, body.url, body.calendar)
    calendar = "/%s/" % sane_path(body.calendar)
    if problem is None and sane_path(calendar) not in api.index.calendars_on_disk():
        problem = "Den Kalender %s gibt es nicht." % calendar
    if problem is None and any(s.name == body.name for s in api.subscriptions):
        raise ApiError(409, "Den Namen %s gibt es schon." % body.name,
                       problems={"name": "Den Namen %s gibt es schon." % body.name})
    if problem:
        field = "url" if "Adresse" in problem else "calendar"
        raise ApiError(400, problem, problems={field: problem})
    subscription = Subscription(body.name, body.url, calendar, body.interval)
    add_subscription(api.office, request.user, subscription)
    return 201, SubscriptionOut(
        name=body.name, calendar=calendar, url=subscription.safe_url,
        interval_minutes=body.interval, last_success=None, last_attempt=None, last_error=None,
        events=0, ok=False, due=True, source="backend")


def post_remove(api: Api, request: Request) -> tuple[int, Removed]:
    subscription = _named(api, request.path.name)
    remove_subscription(api.office, request.user, subscription.name)
    calendar = sane_path(subscription.calendar)
    with api.storage.acquire_lock("w", request.user):
        api.index.sync([calendar])
        rows = api.index.rows("calendar = ? AND source = ?", (calendar, subscription.name))
        collection = next(iter(api.storage.discover(calendar_url(calendar))), None)
        for row in rows if collection is not None else ():
            collection.delete(row["href"])
    return 200, Removed(removed=True)


def post_sync(api: Api, request: Request) -> tuple[int, SyncResult]:
    subscription = _named(api, request.path.name)
    now = api.now(None)
    outcome, = sync_all(api.storage, [subscription], api.storage.storage_folder, now,
                        force=True)
    state = load_states(api.storage.storage_folder).get(subscription.name, FetchState())
    with api.office.state.transaction() as db:
        api.office.changed(db, request.user, "subscriptions",
                           "Externer Kalender %s abgeglichen: %s" % (
                               subscription.name, outcome.status))
    return 200, SyncResult(name=outcome.name, status=outcome.status, created=outcome.created,
                           updated=outcome.updated, deleted=outcome.deleted,
                           error=outcome.error or state.last_error)
