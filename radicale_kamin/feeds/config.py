"""The admin's external calendars file (``kamin_subscriptions``): one
section per feed — its URL, the calendar it mirrors into, how often — checked
when read, so a mistake names the section and what is wrong
(docs/subscriptions.md)."""

from __future__ import annotations

import configparser
import re
from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence
from urllib.parse import urlsplit, urlunsplit



ALLOWED_SCHEMES = ("http", "https")
MIN_INTERVAL_MINUTES = 5
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
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
    parser = configparser.ConfigParser(interpolation=None, strict=True,
                                       inline_comment_prefixes=(";", "#"))
    try:
        parser.read_string(text, source="subscriptions")
    except configparser.DuplicateSectionError as e:
        raise ValueError("[%s]: the name is used twice; names must be unique"
                         % e.section) from None
    except configparser.DuplicateOptionError as e:
        raise ValueError("[%s]: %s is given twice" % (e.section, e.option)) from None
    except configparser.Error as e:
        raise ValueError("subscriptions file: %s" % e.message.splitlines()[0]) from None
    problems: list[str] = []
    found = []
    for name in parser.sections():
        section = parser[name]
        before = len(problems)
        subscription = _subscription(name, section, problems)
        if len(problems) == before and subscription is not None:
            found.append(subscription)
    if problems:
        raise ValueError("; ".join(problems))
    return found


def _subscription(name: str, section: Mapping[str, str],
                  problems: list[str]) -> Optional[Subscription]:
    def problem(text: str) -> None:
        problems.append("[%s]: %s" % (name, text))

    if not _NAME.fullmatch(name):
        problem("the name may only hold letters, digits, - and _ (at most 64)")
    for key in section:
        if key not in _KEYS:
            problem("unknown key %r (known: %s)" % (key, ", ".join(_KEYS)))
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
    else:
        parts = [p for p in calendar.split("/") if p]
        if not calendar.startswith("/") or len(parts) < 2 or any(p in (".", "..") for p in parts):
            problem("calendar must be a calendar path like /anna/termine/, not %r" % calendar)
        calendar = "/" + "/".join(parts) + "/"
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
