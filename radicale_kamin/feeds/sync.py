"""The shell of ``kamin sync``: external calendars (``subscriptions.py``)
mirrored into staff calendars through the storage plugin.

Per subscription: fetch (conditional, bounded), mirror, compare with what is
stored from it (the ``X-KAMIN-SOURCE`` and ``X-KAMIN-FINGERPRINT`` lines of
its entries, kept in the side index), then create, update and delete under
Radicale's write lock. The fetch state is saved only after the writes: a
failing feed changes nothing and keeps the last good copy.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from typing import Optional

import requests
from radicale.log import logger

from radicale_kamin.entries import icslines
from radicale_kamin.feeds import config, fetch, mirror
from radicale_kamin.feeds.config import Subscription
from radicale_kamin.feeds.fetch import FetchState
from radicale_kamin.feeds.plan import plan_sync
from radicale_kamin.server.optionfiles import WatchedFile, load_option_file

STATE_FILE = "kamin-subscriptions.json"


def load_subscriptions(path: str) -> list[Subscription]:
    """The admin's subscriptions file ("" = none); a mistake stops with a
    message naming the file and the section."""
    if not path:
        return []
    return load_option_file("kamin_subscriptions", path, config.parse_subscriptions)


def watch_subscriptions(path: str) -> WatchedFile[list[Subscription]]:
    """The subscriptions file, read again when the admin changes it."""
    return WatchedFile("kamin_subscriptions", path, config.parse_subscriptions, list)


def load_states(folder: str) -> dict[str, FetchState]:
    try:
        with open(os.path.join(folder, STATE_FILE), encoding="utf-8") as f:
            data = json.load(f)
    except (FileNotFoundError, ValueError):
        return {}
    return {name: FetchState.from_dict(value) for name, value in data.items()}


def save_states(folder: str, states: dict[str, FetchState]) -> None:
    path = os.path.join(folder, STATE_FILE)
    temporary = path + ".tmp"
    with open(temporary, "w", encoding="utf-8") as f:
        json.dump({name: state.to_dict() for name, state in states.items()}, f, indent=1)
    os.replace(temporary, path)


def _with_fingerprint(text: str, fingerprint: str) -> str:
    calendar = icslines.parse(text)
    for event in calendar.components("VEVENT"):
        event.remove("X-KAMIN-FINGERPRINT")
        event.lines.append(icslines.Line("X-KAMIN-FINGERPRINT", [], fingerprint))
    return icslines.serialize(calendar)


@dataclass
class SyncOutcome:
    name: str
    status: str                     # changed, unchanged, failed, skipped (not due)
    created: int = 0
    updated: int = 0
    deleted: int = 0
    error: Optional[str] = None


def _failed(store, subscription: Subscription, error: Optional[str],
            state: FetchState) -> SyncOutcome:
    """A failed sync: the ``subscription.failed`` webhook (the error is
    free of the feed's secrets: ``fetch`` scrubs it)."""
    store.announce("subscription.failed", {
        "name": subscription.name, "calendar": subscription.calendar,
        "url": subscription.safe_url, "error": error, "last_success": state.last_success},
        "subscription:" + subscription.name, subscription.calendar.strip("/"))
    return SyncOutcome(subscription.name, "failed", error=error)


def sync_one(store, subscription: Subscription, state: FetchState, now: dt.datetime,
             session: Optional[requests.Session] = None) -> tuple[SyncOutcome, FetchState]:
    result = fetch.fetch(subscription, state, now, session)
    if result.status == "failed":
        logger.warning("Subscription %s: %s (keeping the last good copy)",
                       subscription.name, result.error)
        return _failed(store, subscription, result.error, state), result.state
    if result.status == "unchanged":
        return SyncOutcome(subscription.name, "unchanged"), result.state
    try:
        entries = mirror.mirror_entries(subscription, result.body, now)
    except ValueError as e:
        failed = FetchState(**{**state.to_dict(), "last_attempt": now.isoformat(),
                               "last_error": str(e)})
        return _failed(store, subscription, str(e), state), failed
    calendar = subscription.calendar.strip("/")
    outcome = SyncOutcome(subscription.name, "changed")
    with store.acquire_lock("w", "kamin-sync"):
        collection = next(iter(store.discover("/%s/" % calendar)), None)
        if collection is None or collection.tag != "VCALENDAR":
            error = "the calendar /%s/ does not exist" % calendar
            return (_failed(store, subscription, error, state),
                    FetchState(**{**state.to_dict(), "last_error": error}))
        store.index.sync([calendar])
        rows = store.index.rows("calendar = ? AND source = ?", (calendar, subscription.name))
        existing = {r["uid"]: r["fingerprint"] or "" for r in rows
                    if mirror.is_mirror_uid(subscription.name, r["uid"] or "")}
        plan = plan_sync(existing, entries)
        texts = [(entry.uid + ".ics", _with_fingerprint(entry.text, entry.fingerprint))
                 for entry in plan.create + plan.update]
        counts = store.bulk_write(collection, texts) if texts else {}
        outcome.created, outcome.updated = counts.get("created", 0), counts.get("updated", 0)
        hrefs = {r["uid"]: r["href"] for r in rows}
        for uid in plan.delete:
            if uid in hrefs:
                collection.delete(hrefs[uid])
                outcome.deleted += 1
    return outcome, result.state


def sync_all(store, subscription_list: list[Subscription], folder: str, now: dt.datetime,
             names: Optional[list[str]] = None, force: bool = False) -> list[SyncOutcome]:
    states = load_states(folder)
    outcomes = []
    with requests.Session() as session:
        for subscription in subscription_list:
            if names and subscription.name not in names:
                continue
            state = states.get(subscription.name, FetchState())
            if not force and not fetch.is_due(subscription, state, now):
                outcomes.append(SyncOutcome(subscription.name, "skipped"))
                continue
            outcome, states[subscription.name] = sync_one(store, subscription, state, now, session)
            save_states(folder, states)        # after the writes of this subscription
            outcomes.append(outcome)
    return outcomes
