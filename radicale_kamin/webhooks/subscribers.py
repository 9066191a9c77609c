"""The admin's webhooks file (``[storage] kamin_webhooks``): one section per
subscriber — ``url``, ``secret``, ``events`` — checked when read, so a
mistake names the section and what is wrong, and never quotes a secret.

    [assistent]
    url = https://assistant.example.com/kamin/events
    secret = 2f6c0e…                 ; at least 16 characters
    events = call.due, booking.created, booking.moved, booking.cancelled
    calendars = /anna/termine/, /ben/termine/      ; optional: only these

``events`` is a comma-separated list of types (``events.EVENT_TYPES``) or
``*``. Events go over https; plain http only to this machine (loopback),
where nothing travels over a network.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence
from urllib.parse import urlsplit

from radicale_kamin.schedule.inisections import Problem, calendar_path, read_sections
from radicale_kamin.webhooks.events import EVENT_TYPES

MIN_SECRET = 16
_KEYS = ("url", "secret", "events", "calendars")


@dataclass(frozen=True)
class Subscriber:
    """One receiver of events."""

    name: str                                   # the section: letters, digits, - and _
    url: str = field(repr=False)                # may carry a token: never in a repr
    secret: str = field(repr=False)
    events: frozenset = frozenset(EVENT_TYPES)
    calendars: tuple[str, ...] = ()             # sane paths; empty = every calendar

    def wants(self, event_type: str, calendar: Optional[str]) -> bool:
        """Whether this subscriber gets an event of ``event_type`` about
        ``calendar`` (None: an event of no calendar)."""
        if event_type not in self.events:
            return False
        return (not self.calendars or calendar is None
                or any(calendar == c or calendar.startswith(c + "/") for c in self.calendars))


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Why a URL cannot receive events, as a reason code (the file's messages
# are English, the backend's German: ``webhooks/backend.py``).
URL_FAULTS = {
    "invalid": "is not a valid URL",
    "no-host": "has no host",
    "fragment": "must not have a #fragment",
    "http-remote": "must use https:// (plain http:// only to this machine: localhost, "
                   "127.0.0.1, ::1)",
    "scheme": "must start with https:// (not %s:)",
}


def url_fault(url: str) -> Optional[str]:
    """Why ``url`` cannot receive events (a key of ``URL_FAULTS``), or None."""
    try:
        parts = urlsplit(url)
        _ = parts.port              # raises for a port that is no number
    except ValueError:
        return "invalid"
    if not parts.hostname:
        return "no-host"
    if parts.fragment:
        return "fragment"
    scheme = parts.scheme.lower()
    if scheme == "https":
        return None
    if scheme == "http":
        return None if is_loopback(parts.hostname) else "http-remote"
    return "scheme"


def url_problem(url: str) -> Optional[str]:
    """Why ``url`` cannot receive events (English, for the file), or None."""
    fault = url_fault(url)
    if fault == "scheme":
        return URL_FAULTS[fault] % (urlsplit(url).scheme or "(none)")
    return URL_FAULTS[fault] if fault else None


def unknown_events(names: Sequence[str]) -> list[str]:
    """The names that are no event type (``*`` is every type)."""
    return [n for n in names if n not in EVENT_TYPES and n != "*"]


def event_set(names: Sequence[str]) -> frozenset:
    """The types ``names`` stands for: ``*`` every one."""
    if "*" in names:
        return frozenset(EVENT_TYPES)
    return frozenset(n for n in names if n in EVENT_TYPES)


def parse_subscribers(text: str) -> list[Subscriber]:
    """The subscribers of an INI file, one section per subscriber; an
    empty file has none. Raises ValueError naming every problem."""
    return read_sections(text, "webhooks file", _KEYS, _subscriber)


def _subscriber(name: str, section: Mapping[str, str], problem: Problem) -> Subscriber:
    url = (section.get("url") or "").strip()
    if not url:
        problem("url is missing")
    elif url_problem(url):
        problem("url %s" % url_problem(url))
    secret = (section.get("secret") or "").strip()
    if len(secret) < MIN_SECRET:
        problem("secret is missing or shorter than %d characters (e.g. the output of "
                "`openssl rand -hex 32`)" % MIN_SECRET)
    events = _events(section.get("events"), problem)
    calendars = []
    for raw in (section.get("calendars") or "").split(","):
        if not raw.strip():
            continue
        path = calendar_path(raw, whole_user=True)
        if path is None:
            problem("calendars must be paths like /anna/termine/ or /anna/, not %r" % raw.strip())
        else:
            calendars.append(path)
    return Subscriber(name, url, secret, events, tuple(calendars))


def _events(raw: Optional[str], problem) -> frozenset:
    names = [n.strip() for n in (raw or "").split(",") if n.strip()]
    if not names:
        problem("events is missing (a comma-separated list of %s, or *)" % ", ".join(EVENT_TYPES))
        return frozenset()
    if names == ["*"]:
        return frozenset(EVENT_TYPES)
    unknown = [n for n in names if n not in EVENT_TYPES]
    if unknown:
        problem("unknown event type %s (known: %s, or *)"
                % (", ".join(unknown), ", ".join(EVENT_TYPES)))
    return event_set(names)
