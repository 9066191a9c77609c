"""Endpoint of the external calendars: how their last fetch went."""

from __future__ import annotations

from typing import TYPE_CHECKING

from radicale_kamin.api.models import Subscription, Subscriptions
from radicale_kamin.api.paths import calendar_url, sane_path
from radicale_kamin.api.request import Request
from radicale_kamin.feeds.fetch import FetchState, is_due
from radicale_kamin.feeds.sync import load_states

if TYPE_CHECKING:
    from radicale_kamin.api.service import Api


def get_subscriptions(api: Api, request: Request) -> tuple[int, Subscriptions]:
    """The external calendars mirrored into calendars the user may read, and
    how their last fetch went (a failing feed keeps its last good copy)."""
    readable = set(api.calendars(request.user, request.groups))
    states = load_states(api.storage.storage_folder)
    now = api.now(request.query.now)
    answer = []
    for subscription, source in api.subscription_sources():
        calendar = sane_path(subscription.calendar)
        if calendar not in readable:
            continue
        state = states.get(subscription.name, FetchState())
        answer.append(Subscription(
            name=subscription.name, calendar=calendar_url(calendar),
            url=subscription.safe_url, interval_minutes=subscription.interval_minutes,
            last_success=state.last_success, last_attempt=state.last_attempt,
            last_error=state.last_error, events=state.event_count,
            ok=state.last_error is None and state.last_success is not None,
            due=is_due(subscription, state, now), source=source))
    return 200, Subscriptions(subscriptions=answer)
