"""The admin's external calendars file (``kamin_subscriptions``): one
section per feed — its URL, the calendar it mirrors into, how often — checked
when read, so a mistake names the section and what is wrong
(docs/subscriptions.md)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence
from urllib.parse import urlsplit, urlunsplit

from radicale_kamin.schedule.inisections import Problem, calendar_path, read_sections



ALLOWED_SCHEMES = ("http", "https")
MIN_INTERVAL_MINUTES = 5
_KEYS = ("url", "calendar", "interval")


# --- the subscriptions file ---------------------------------------------------

@dataclass(frozen=True)
class Subscription:
    """One feed the admin subscribed a calendar to."""

    name: str                      # short id, letters, digits, - and _
    url: str = field(repr=False)   # may carry credentials: never in a repr
    calendar: str                  # target calendar path, "/anna/termine/"
    interval_minutes: int = 60

    @property
    def safe_url(self) -> str:
        """The URL as it may appear in logs and the status endpoint."""
        return redact_url(self.url)


def parse_subscriptions(text: str) -> list[Subscription]:
    """The subscriptions of an INI file, one section per subscription.

    Raises ValueError naming the section and the problem; every problem of
    the file is listed, not only the first.
    """
    return read_sections(text, "subscriptions file", _KEYS, _subscription)


def _subscription(name: str, section: Mapping[str, str], problem: Problem) -> Subscription:
    url = (section.get("url") or "").strip()
    if not url:
        problem("url is missing")
    else:
        reason = url_problem(url)
        if reason:
            problem("url %s" % reason)
    calendar = (section.get("calendar") or "").strip()
    if not calendar:
        problem("calendar is missing (the target calendar, e.g. /anna/termine/)")
    elif calendar_path(calendar) is None:
        problem("calendar must be a calendar path like /anna/termine/, not %r" % calendar)
    else:
        calendar = "/%s/" % calendar_path(calendar)
    interval = MIN_INTERVAL_MINUTES
    raw_interval = (section.get("interval") or "60").strip()
    try:
        interval = int(raw_interval)
    except ValueError:
        problem("interval must be whole minutes, not %r" % raw_interval)
    else:
        if interval < MIN_INTERVAL_MINUTES:
            problem("interval must be at least %d minutes" % MIN_INTERVAL_MINUTES)
    return Subscription(name, url, calendar, interval)


def url_problem(url: str) -> Optional[str]:
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises for a port that is no number
    except ValueError:
        return "is not a valid URL"
    if parts.scheme.lower() not in ALLOWED_SCHEMES:
        return "must start with http:// or https:// (not %s:)" % (parts.scheme or "(none)")
    if not parts.hostname:
        return "has no host"
    return None


# --- secrets out of messages -------------------------------------------------

# A path segment of 16+ token characters with letters and digits (Google's
# "private-0a1b…", Outlook's long ids) is a secret as much as a password.
_TOKEN = re.compile(r"(?=[A-Za-z0-9_.~%-]*\d)(?=[A-Za-z0-9_.~%-]*[A-Za-z])[A-Za-z0-9_.~%-]{16,}")


def redact_url(url: str) -> str:
    """``url`` without what grants access: user and password, the query
    and token-like path segments."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = ":%d" % parts.port if parts.port else ""
    except ValueError:
        return "(an invalid URL)"
    if ":" in host:
        host = "[%s]" % host
    path = "/".join(_TOKEN.sub("…", segment) for segment in parts.path.split("/"))
    return urlunsplit((parts.scheme, host + port, path, "…" if parts.query else "", ""))


def _secrets(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
    except ValueError:
        return [url]
    found = [parts.username, parts.password, parts.query, parts.fragment]
    found += [m.group() for m in _TOKEN.finditer(parts.path)]
    found = [s for s in found if s and len(s) >= 3]
    return sorted(set(found), key=len, reverse=True)


def scrub_secrets(text: str, urls: Sequence[str]) -> str:
    """``text`` with every secret of ``urls`` blanked (library messages
    quote the URL they failed on)."""
    for url in urls:
        text = text.replace(url, redact_url(url))
    for url in urls:
        for secret in _secrets(url):
            text = text.replace(secret, "…")
    return text
