"""External calendars the office adds and removes in the backend, laid over
the subscriptions file (``kamin_subscriptions``, the source of the
defaults): a subscription added in the backend is kept in the state store
(``server/office.py``, table ``subscriptions``) and mirrored like the
file's; one of the file's removed in the backend stays in the file but is
not fetched any more (until the office adds it again). ``kamin sync`` and
the backend's "sync now" see the same list."""

from __future__ import annotations

from typing import Optional

from radicale_kamin.feeds.config import Subscription, url_problem
from radicale_kamin.server.office import OfficeStore


def office_subscriptions(from_file: list[Subscription], office: OfficeStore
                         ) -> list[tuple[Subscription, str]]:
    """(subscription, "file" or "backend") of every subscription in force."""
    with office.state.connection() as db:
        rows = {r["name"]: r for r in db.execute("SELECT * FROM subscriptions")}
    found = [(s, "file") for s in from_file if s.name not in rows]
    found += [(Subscription(r["name"], r["url"], r["calendar"], r["interval"]), "backend")
              for r in rows.values() if not r["removed"]]
    return sorted(found, key=lambda pair: pair[0].name)


def subscription_problem(name: str, url: str, calendar: str) -> Optional[str]:
    """Why a subscription cannot be added (German), or None."""
    problem = url_problem(url)
    if problem:
        return "Die Adresse %s." % {
            "is not a valid URL": "ist keine gültige URL",
            "has no host": "nennt keinen Server"}.get(problem, "muss mit http:// oder "
                                                               "https:// beginnen")
    parts = [p for p in calendar.split("/") if p]
    if not calendar.startswith("/") or len(parts) != 2:
        return "Der Kalender muss ein Pfad wie /anna/termine/ sein."
    return None


def add_subscription(office: OfficeStore, user: str, subscription: Subscription) -> None:
    with office.state.transaction() as db:
        db.execute("INSERT OR REPLACE INTO subscriptions VALUES (?, ?, ?, ?, 0, ?, "
                   "strftime('%s', 'now'))",
                   (subscription.name, subscription.url, subscription.calendar,
                    subscription.interval_minutes, user))
        office.changed(db, user, "subscriptions", "Externer Kalender %s hinzugefügt (%s → %s)"
                       % (subscription.name, subscription.safe_url, subscription.calendar))


def remove_subscription(office: OfficeStore, user: str, name: str) -> None:
    with office.state.transaction() as db:
        db.execute("INSERT OR REPLACE INTO subscriptions VALUES (?, NULL, NULL, NULL, 1, ?, "
                   "strftime('%s', 'now'))", (name, user))
        office.changed(db, user, "subscriptions", "Externer Kalender %s entfernt" % name)
