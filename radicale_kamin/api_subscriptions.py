"""JSON API endpoint of the external calendars: how their last fetch went."""

from __future__ import annotations

from radicale_kamin.api import Api, Request, calendar_url, route
from radicale_kamin.subscriptions import FetchState, is_due
from radicale_kamin.syncing import load_states


@route("GET", r"subscriptions", query=("now",))
def get_subscriptions(api: Api, request: Request) -> tuple[int, dict]:
    """The external calendars mirrored into calendars the user may read, and
    how their last fetch went (a failing feed keeps its last good copy)."""
    readable = set(api.calendars(request))
    states = load_states(api.storage._filesystem_folder)
    now = api.now(request)
    answer = []
    for subscription in api.subscriptions:
        if subscription.calendar.strip("/") not in readable:
            continue
        state = states.get(subscription.name, FetchState())
        answer.append({
            "name": subscription.name, "calendar": calendar_url(subscription.calendar.strip("/")),
            "url": subscription.safe_url, "interval_minutes": subscription.interval_minutes,
            "last_success": state.last_success, "last_attempt": state.last_attempt,
            "last_error": state.last_error, "events": state.event_count,
            "ok": state.last_error is None and state.last_success is not None,
            "due": is_due(subscription, state, now)})
    return 200, {"subscriptions": answer}
