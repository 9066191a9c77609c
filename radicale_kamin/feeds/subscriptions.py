"""External calendar subscriptions: fetch an ICS feed, mirror its events.

A subscription (an employee's private Google or Outlook feed) is pulled
periodically; every upstream event becomes a white ``individual`` entry in
the employee's calendar, so it blocks the times the booking API offers.
This module is the functional core of that: reading the admin's
subscriptions file, one bounded HTTP download (the only side effect), the
mirror entries a feed body stands for, and the plan that brings a
calendar's stored mirror in line with them. Storing the plan, the
``kamin sync`` command and the status endpoint are the shell's job; no
Radicale import here.

Why a mirror entry is rewritten rather than copied (``docs/subscriptions.md``
has every decision):

* its UID is ours (``sub-<name>-<hash>``): two feeds that share an event
  may land in one calendar, and a UID is unique per calendar;
* ATTENDEE and ORGANIZER are dropped — a mirror must never send invitations
  — and so are alarms, attachments and any ``X-KAMIN-*`` or ``Kamin:``
  category a feed carries (a feed must not pick a workflow state);
* DTSTAMP is taken from LAST-MODIFIED: Google stamps every event with the
  download time, which would make every entry look changed on every run;
* single events are written in UTC (no VTIMEZONE to carry, like the booking
  API's entries); recurring ones keep their zone, renamed to the IANA name
  when the feed uses a Windows one ("W. Europe Standard Time"), so weekly
  09:00 stays 09:00 across the DST change.
"""

from __future__ import annotations

import configparser
import copy
import dataclasses
import datetime as dt
import hashlib
import re
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Optional, Sequence
from urllib.parse import urljoin, urlsplit, urlunsplit

import icalendar
import recurring_ical_events
import requests
import urllib3
import x_wr_timezone

from radicale_kamin.entries import rules, timefacts
from radicale_kamin.schedule.recurrence import (DAILY_OR_COARSER, HORIZON, MAX_PER_DAY,
                                                first_occurrence_offset, occurrences_per_day)

UTC = dt.timezone.utc

KIND_PROPERTY = "X-KAMIN-KIND"
SOURCE_PROPERTY = "X-KAMIN-SOURCE"          # the subscription's name
SOURCE_UID_PROPERTY = "X-KAMIN-SOURCE-UID"  # the upstream UID, for people reading the item
MIRROR_KIND = "individual"
PRIVATE_SUMMARY = "Privater Termin"

ALLOWED_SCHEMES = ("http", "https")
MIN_INTERVAL_MINUTES = 5
TOTAL_TIMEOUT_FACTOR = 3      # the whole download: at most 3 × timeout
USER_AGENT = "radicale-kamin subscriptions (+https://radicale.org)"
_CHUNK = 64 * 1024
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_HASH_LENGTH = 24             # hex digits of the UID hash: 96 bits
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
        reason = _url_problem(url)
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


def _url_problem(url: str) -> Optional[str]:
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


def is_due(subscription: Subscription, state: "FetchState", now: dt.datetime) -> bool:
    """Whether the subscription's interval has passed since the last try
    (``kamin sync`` may run more often than any interval)."""
    if not state.last_attempt:
        return True
    last = dt.datetime.fromisoformat(state.last_attempt)
    return now - last >= dt.timedelta(minutes=subscription.interval_minutes)


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


def _scrub(text: str, urls: Sequence[str]) -> str:
    """``text`` with every secret of ``urls`` blanked (library messages
    quote the URL they failed on)."""
    for url in urls:
        text = text.replace(url, redact_url(url))
    for url in urls:
        for secret in _secrets(url):
            text = text.replace(secret, "…")
    return text


# --- fetching ----------------------------------------------------------------

@dataclass(frozen=True)
class FetchState:
    """What is remembered per subscription between runs (stored as JSON)."""

    etag: Optional[str] = None
    last_modified: Optional[str] = None     # the server's Last-Modified, verbatim
    last_success: Optional[str] = None      # ISO: the last run that got a usable answer
    last_attempt: Optional[str] = None      # ISO
    last_error: Optional[str] = None        # None after a success
    event_count: int = 0                    # VEVENTs in the last good feed
    content_hash: Optional[str] = None      # sha256 of the last good body

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "FetchState":
        """Read stored JSON, ignoring keys an older or newer version wrote."""
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class FetchResult:
    status: str                    # "changed" | "unchanged" | "failed"
    body: Optional[bytes]          # only for "changed"
    state: FetchState              # to store once the mirror is applied
    error: Optional[str]           # only for "failed": readable, no secrets


class FetchError(Exception):
    """A download that gave no usable feed; the text is safe to show."""


def fetch(subscription: Subscription, state: FetchState, now: dt.datetime,
          session: Optional[requests.Session] = None, timeout: float = 20.0,
          max_bytes: int = 10_000_000, max_redirects: int = 5) -> FetchResult:
    """Download the feed once.

    ``timeout`` bounds connecting and each wait for data; the whole download
    may take ``TOTAL_TIMEOUT_FACTOR`` × ``timeout``. The body is cut off at
    ``max_bytes`` (after decompression). Redirects are followed by hand, at
    most ``max_redirects``, each hop only to http/https. A 304, or a body
    with the hash of the last good one, is "unchanged". Never raises for
    network or server problems: those are "failed" with a state that keeps
    everything of the last success and records the error.

    Store the returned state only after the mirror has been applied: a state
    with the new ETag but an old mirror would make the next run "unchanged".
    """
    attempt = now.isoformat()
    own_session = session is None
    session = session or requests.Session()
    try:
        status, body, headers = _download(subscription.url, state, session, timeout,
                                          max_bytes, max_redirects)
        if status == "not-modified":
            if state.last_success is None:
                raise FetchError("the server answered 304 Not Modified, but there is "
                                 "no earlier copy of the feed")
            return FetchResult("unchanged", None, dataclasses.replace(
                state, etag=headers.get("ETag") or state.etag,
                last_modified=headers.get("Last-Modified") or state.last_modified,
                last_success=attempt, last_attempt=attempt, last_error=None), None)
        content_hash = hashlib.sha256(body).hexdigest()
        if content_hash == state.content_hash and state.last_success is not None:
            count, unchanged = state.event_count, "unchanged"
        else:
            count, unchanged = _event_count(body), "changed"
        new_state = FetchState(
            etag=headers.get("ETag"), last_modified=headers.get("Last-Modified"),
            last_success=attempt, last_attempt=attempt, last_error=None,
            event_count=count, content_hash=content_hash)
        return FetchResult(unchanged, body if unchanged == "changed" else None, new_state, None)
    except FetchError as e:
        message = _scrub(str(e), [subscription.url])
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError,
            UnicodeError, ValueError) as e:
        message = _scrub(_network_message(e, timeout), [subscription.url])
    finally:
        if own_session:
            session.close()
    return FetchResult("failed", None, dataclasses.replace(
        state, last_attempt=attempt, last_error=message), message)


def _download(url: str, state: FetchState, session: requests.Session, timeout: float,
              max_bytes: int, max_redirects: int) -> tuple[str, Optional[bytes], Mapping]:
    headers = {"User-Agent": USER_AGENT, "Accept": "text/calendar, */*;q=0.5"}
    if state.etag:
        headers["If-None-Match"] = state.etag
    if state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    origin = urlsplit(url)
    auth = requests.utils.get_auth_from_url(url)
    deadline = time.monotonic() + TOTAL_TIMEOUT_FACTOR * timeout
    for hop in range(max_redirects + 1):
        reason = _url_problem(url)
        if reason:
            where = "the feed URL" if hop == 0 else "a redirect to %s" % redact_url(url)
            raise FetchError("%s %s" % (where, reason))
        target = urlsplit(url)
        # Credentials only go back to the host they were given for.
        same_origin = (target.scheme, target.hostname, target.port) == (
            origin.scheme, origin.hostname, origin.port)
        response = session.get(url, headers=headers, timeout=(timeout, timeout), stream=True,
                               allow_redirects=False,
                               auth=auth if same_origin and any(auth) else None)
        with response:
            if response.is_redirect:
                if hop == max_redirects:
                    raise FetchError("more than %d redirects (the last to %s)"
                                     % (max_redirects, redact_url(url)))
                url = urljoin(url, response.headers["Location"])
                continue
            if response.status_code == 304:
                return "not-modified", None, response.headers
            if not 200 <= response.status_code < 300:
                raise FetchError("the server answered HTTP %d %s for %s"
                                 % (response.status_code, response.reason or "",
                                    redact_url(url)))
            body = _read_body(response, max_bytes, deadline, timeout)
            _check_icalendar(body, response.headers.get("Content-Type", ""))
            return "ok", body, response.headers
    raise AssertionError("unreachable")


def _read_body(response: requests.Response, max_bytes: int, deadline: float,
               timeout: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError("feed larger than %d bytes (the server announced %s)"
                         % (max_bytes, declared))
    chunks, size = [], 0
    for chunk in response.iter_content(_CHUNK):
        size += len(chunk)
        if size > max_bytes:
            raise FetchError("feed larger than %d bytes; download stopped" % max_bytes)
        if time.monotonic() > deadline:
            raise FetchError("download took longer than %g s; stopped"
                             % (TOTAL_TIMEOUT_FACTOR * timeout))
        chunks.append(chunk)
    return b"".join(chunks)


def _network_message(error: BaseException, timeout: float) -> str:
    """A readable text for a failed connection (secrets scrubbed later)."""
    inner = error.args[0] if error.args else None
    if isinstance(error, requests.ConnectTimeout):
        return "no connection within %g s (connect timeout)" % timeout
    if isinstance(error, requests.ReadTimeout) or isinstance(
            inner, urllib3.exceptions.ReadTimeoutError):
        return "the server sent nothing for %g s (read timeout)" % timeout
    if isinstance(error, requests.exceptions.SSLError):
        return "TLS error: %s" % _reason(inner)
    if isinstance(error, requests.exceptions.InvalidURL) or isinstance(error, UnicodeError):
        return "the URL is not valid"
    if isinstance(error, requests.ConnectionError):
        return "cannot connect: %s" % _reason(inner)
    return "download failed: %s: %s" % (type(error).__name__, error)


def _reason(inner: Any) -> str:
    reason = getattr(inner, "reason", None) or inner
    return str(reason) if reason is not None else "unknown reason"


def _check_icalendar(body: bytes, content_type: str) -> None:
    """Refuse what is not an iCalendar feed: an HTML login page (what an
    expired Google link answers, with 200), JSON, a cut-off file."""
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:15].upper()
    tail = body.rstrip(b" \t\r\n\x00")[-13:].upper()
    if head != b"BEGIN:VCALENDAR" or tail != b"END:VCALENDAR":
        kind = content_type.split(";")[0].strip() or "no content type"
        raise FetchError("the answer is not an iCalendar feed (%s, %d bytes)" % (kind, len(body)))
    try:
        parse_feed(body)
    except ValueError as e:
        raise FetchError("the feed is not valid iCalendar: %s" % e) from None


def _event_count(body: bytes) -> int:
    return sum(len(list(c.walk("VEVENT"))) for c in parse_feed(body))


# --- reading a feed ------------------------------------------------------------

def decode_feed(body: bytes) -> str:
    """iCalendar is UTF-8; a few Windows tools still write Windows-1252."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def parse_feed(body: bytes) -> list[icalendar.Calendar]:
    """The VCALENDAR objects of a feed body. Raises ValueError."""
    try:
        calendars = icalendar.Calendar.from_ical(decode_feed(body), multiple=True)
    except Exception as e:  # icalendar raises ValueError, IndexError, KeyError …
        raise ValueError("%s" % type(e).__name__) from None
    calendars = [c for c in calendars if c.name == "VCALENDAR"]
    if not calendars:
        raise ValueError("no VCALENDAR")
    return calendars


@dataclass(frozen=True)
class MirrorEntry:
    uid: str            # "sub-<name>-<24 hex>", safe as a file name
    text: str           # the VCALENDAR item to store
    fingerprint: str    # sha256 of ``text``


@dataclass(frozen=True)
class Skipped:
    upstream_uid: str
    reason: str


@dataclass(frozen=True)
class Mirror:
    """What one feed body stands for."""

    entries: list[MirrorEntry]
    skipped: list[Skipped]          # invalid upstream events (for the log)
    outside_window: int             # valid events with no occurrence in the window
    cancelled: int = 0              # upstream events (or series) marked STATUS:CANCELLED


def mirror_entries(subscription: Subscription, body: bytes, now: dt.datetime,
                   past_days: int = 31, future_days: int = 730) -> list[MirrorEntry]:
    """One entry per upstream UID that touches the window; see ``mirror``."""
    return mirror(subscription, body, now, past_days, future_days).entries


def mirror(subscription: Subscription, body: bytes, now: dt.datetime,
           past_days: int = 31, future_days: int = 730) -> Mirror:
    """The mirror entries of a feed body, sorted by UID, and what was left out.

    Events are grouped by UID: a master with its moved or cancelled
    occurrences is one recurring entry. An occurrence whose master is not in
    the feed (Google does this for single invitations of a series) becomes
    an entry of its own. An event is kept when one of its occurrences
    touches [now - past_days, now + future_days]; floating times and dates
    are local time of ``now``'s zone (the business's, ``timefacts``).
    Raises ValueError for a body that is no iCalendar at all (``fetch`` has
    refused those already).
    """
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    tz = now.tzinfo
    window = (now - dt.timedelta(days=past_days), now + dt.timedelta(days=future_days))
    skipped: list[Skipped] = []
    groups: dict[str, _Group] = {}
    for calendar in parse_feed(body):
        if calendar.get("X-WR-TIMEZONE"):
            try:
                calendar = x_wr_timezone.to_standard(calendar)
            except Exception:
                pass  # an unknown X-WR-TIMEZONE: times stay as written
        zones = {str(tz.get("TZID")): tz for tz in calendar.walk("VTIMEZONE")}
        for event in calendar.walk("VEVENT"):
            _collect(event, zones, groups, skipped, tz)
    entries: dict[str, MirrorEntry] = {}
    outside = cancelled = 0
    for group in groups.values():
        for key, events in group.items(skipped):
            if _status(events[0]) == "CANCELLED":
                cancelled += 1      # blocks nothing; gone like a deleted event
                continue
            try:
                if not _touches(events, window, tz):
                    outside += 1
                    continue
                entry = _entry(subscription, key, events, group.zones)
            except Exception as e:  # one bad event must not stop the feed
                skipped.append(Skipped(group.uid, "unreadable (%s)" % type(e).__name__))
                continue
            entries[entry.uid] = entry
    return Mirror([entries[uid] for uid in sorted(entries)], skipped, outside, cancelled)


def _status(event: Any) -> str:
    return str(event.get("STATUS", "")).strip().upper()


@dataclass
class _Group:
    """The VEVENTs of one upstream UID."""

    uid: str
    masters: list = field(default_factory=list)
    overrides: dict = field(default_factory=dict)   # normalised RECURRENCE-ID → VEVENT
    zones: dict = field(default_factory=dict)       # TZID → upstream VTIMEZONE

    def items(self, skipped: list[Skipped]) -> list[tuple[str, list]]:
        """(hash key, VEVENTs) of every entry this UID gives."""
        if not self.masters:
            return [(self.uid + "\x00" + rid, [event])
                    for rid, event in sorted(self.overrides.items())]
        masters = sorted(self.masters, key=_sequence)
        for _ in masters[:-1]:
            skipped.append(Skipped(self.uid, "the UID occurs twice; the later version is kept"))
        return [(self.uid, [masters[-1]] + [e for _, e in sorted(self.overrides.items())])]


def _sequence(event: Any) -> tuple:
    try:
        sequence = int(event.get("SEQUENCE", 0))
    except (TypeError, ValueError):
        sequence = 0
    modified = event.get("LAST-MODIFIED")
    return (sequence, modified.to_ical().decode() if modified is not None else "")


def _collect(event: Any, zones: dict, groups: dict[str, _Group], skipped: list[Skipped],
             tz: dt.tzinfo) -> None:
    uid_value = event.get("UID")
    uid = str(uid_value).strip() if uid_value is not None else ""
    try:
        if not uid:
            uid = "nouid-" + _content_hash(event)
        reason = _problem(event, tz)
        rid = _rid(event)
    except Exception as e:
        skipped.append(Skipped(uid or "(no UID)", "unreadable (%s)" % type(e).__name__))
        return
    if reason:
        skipped.append(Skipped(uid, reason))
        return
    group = groups.setdefault(uid, _Group(uid))
    group.zones.update(zones)
    if rid is None:
        group.masters.append(event)
    else:
        group.overrides[rid] = event


def _content_hash(event: Any) -> str:
    """A UID for an event without one, from what identifies it to a person."""
    parts = []
    for name in ("DTSTART", "DTEND", "DURATION", "RRULE", "RECURRENCE-ID", "SUMMARY", "LOCATION"):
        value = event.get(name)
        values = value if isinstance(value, list) else [value]
        parts.append(name + ":" + "|".join(v.to_ical().decode() if hasattr(v, "to_ical")
                                            else str(v) for v in values if v is not None))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:_HASH_LENGTH]


def _rid(event: Any) -> Optional[str]:
    value = event.get("RECURRENCE-ID")
    return None if value is None else _moment_key(value.dt)


def _moment_key(value: Any) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return value.strftime("%Y%m%dT%H%M%S")
    return value.strftime("%Y%m%d")


def _problem(event: Any, tz: dt.tzinfo) -> Optional[str]:
    """Why the calendar would refuse this VEVENT, or None."""
    start = event.get("DTSTART")
    if start is None:
        return "no DTSTART"
    start_value = start.dt
    end = event.get("DTEND")
    if end is not None and timefacts.moment(end.dt, tz) < timefacts.moment(start_value, tz):
        return "DTEND before DTSTART"
    rule = event.get("RRULE")
    if rule is None:
        return None
    if isinstance(rule, list):
        return "more than one RRULE"
    freq = str((rule.get("FREQ") or [""])[0]).upper()
    if freq not in DAILY_OR_COARSER:
        return "RRULE FREQ=%s repeats more often than daily (the calendar refuses it)" % freq
    parts = {name: ",".join(str(v) for v in rule.get(name) or ())
             for name in ("BYHOUR", "BYMINUTE", "BYSECOND")}
    if occurrences_per_day(parts) > MAX_PER_DAY:
        return "RRULE repeats more than %d times a day (the calendar refuses it)" % MAX_PER_DAY
    naive = (start_value.replace(tzinfo=None) if isinstance(start_value, dt.datetime)
             else dt.datetime.combine(start_value, dt.time()))
    try:
        offset = first_occurrence_offset(rule.to_ical().decode(), naive)
    except (ValueError, TypeError, OverflowError):
        return "RRULE is not a valid recurrence rule"
    if offset is None or offset > HORIZON:
        return "RRULE has no occurrence within 8 years"
    return None


def _is_recurring(events: list) -> bool:
    return len(events) > 1 or any(events[0].get(n) is not None for n in ("RRULE", "RDATE"))


def _touches(events: list, window: tuple[dt.datetime, dt.datetime], tz: dt.tzinfo) -> bool:
    """Whether an occurrence of the entry lies in the window. Lazy: at most
    the occurrences up to the first one in the window are computed."""
    frm, to = window
    if not _is_recurring(events):
        start, end = _span(events[0], tz)
        return end > frm and start < to if end > start else frm <= start < to
    calendar = icalendar.Calendar()
    for event in events:
        calendar.add_component(event)
    query = recurring_ical_events.of(calendar, skip_bad_series=True)
    for occurrence in query.after(frm):
        start, end = _span(occurrence, tz)
        return start < to
    return False


def _span(event: Any, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    end, duration = event.get("DTEND"), event.get("DURATION")
    found = timefacts.span(event["DTSTART"].dt, end.dt if end is not None else None,
                           duration.dt if duration is not None else None, tz)
    return found.start, found.end


# --- writing a mirror entry -----------------------------------------------------

# Upstream properties a mirror keeps, in this order; everything else goes.
_KEPT = ("DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID",
         "SEQUENCE", "CREATED", "LAST-MODIFIED", "SUMMARY", "LOCATION", "DESCRIPTION",
         "CATEGORIES", "CLASS", "TRANSP", "STATUS")
_DETAILS = ("SUMMARY", "LOCATION", "DESCRIPTION", "CATEGORIES")
_ZONED = ("DTSTART", "DTEND", "RDATE", "EXDATE", "RECURRENCE-ID")


def mirror_uid(subscription_name: str, key: str) -> str:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:_HASH_LENGTH]
    return "sub-%s-%s" % (subscription_name, digest)


def is_mirror_uid(subscription_name: str, uid: str) -> bool:
    """Whether ``uid`` is an entry mirrored from this subscription (the
    fixed-length hash keeps "a" from claiming the entries of "a-b")."""
    return re.fullmatch("sub-%s-[0-9a-f]{%d}" % (re.escape(subscription_name), _HASH_LENGTH),
                        uid) is not None


def _entry(subscription: Subscription, key: str, events: list, zones: dict) -> MirrorEntry:
    uid = mirror_uid(subscription.name, key)
    recurring = _is_recurring(events)
    calendar = icalendar.Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", "-//radicale_kamin//subscription//DE")
    used: dict[str, str] = {}      # TZID written → upstream TZID
    written = []
    for event in events:
        written.append(_mirror_event(event, uid, subscription.name, recurring,
                                     orphan=not recurring and event.get("RECURRENCE-ID") is not None,
                                     used=used))
    for tzid in sorted(used):
        timezone = _vtimezone(tzid, used[tzid], zones)
        if timezone is not None:
            calendar.add_component(timezone)
    for event in written:
        calendar.add_component(event)
    text = calendar.to_ical().decode("utf-8")
    return MirrorEntry(uid, text, hashlib.sha256(text.encode("utf-8")).hexdigest())


def _mirror_event(event: Any, uid: str, name: str, recurring: bool, orphan: bool,
                  used: dict[str, str]) -> Any:
    out = icalendar.Event()
    out.add("UID", uid)
    stamp = event.get("LAST-MODIFIED") or event.get("CREATED")
    out.add("DTSTAMP", timefacts.moment(stamp.dt, UTC).astimezone(UTC) if stamp is not None
            else dt.datetime(1970, 1, 1, tzinfo=UTC))
    private = str(event.get("CLASS", "")).upper() in ("PRIVATE", "CONFIDENTIAL")
    for prop_name in _KEPT:
        if private and prop_name in _DETAILS or orphan and prop_name == "RECURRENCE-ID":
            continue
        value = event.get(prop_name)
        if value is None:
            continue
        for one in value if isinstance(value, list) else [value]:
            one = _kept_value(prop_name, one, recurring, used)
            if one is not None:
                out.add(prop_name, one, encode=False)
    if private:
        out.add("SUMMARY", PRIVATE_SUMMARY)
    out.add(KIND_PROPERTY, MIRROR_KIND)
    out.add(SOURCE_PROPERTY, name)
    upstream = str(event.get("UID", "")).strip()
    if upstream:
        out.add(SOURCE_UID_PROPERTY, upstream)
    return out


def _kept_value(prop_name: str, value: Any, recurring: bool, used: dict[str, str]) -> Any:
    if prop_name == "CATEGORIES":
        # A feed must not pick a workflow state by carrying a Kamin label.
        kept = [c for c in value.cats if str(c).strip() and not rules.is_kamin_label(str(c))]
        return icalendar.prop.vCategory(kept) if kept else None
    if prop_name not in _ZONED:
        return value
    value = copy.deepcopy(value)
    tzid = value.params.get("TZID")
    if not recurring and prop_name in ("DTSTART", "DTEND") and tzid is not None:
        moment = value.dt
        if isinstance(moment, dt.datetime) and moment.tzinfo is not None:
            return icalendar.prop.vDDDTypes(moment.astimezone(UTC))
    if tzid is None:
        return value
    moments = [value.dt] if hasattr(value, "dt") else [v.dt for v in getattr(value, "dts", [])]
    if any(isinstance(m, dt.datetime) and m.tzinfo is None for m in moments):
        # A TZID nobody defines: read as floating, the business's local time.
        del value.params["TZID"]
        return value
    iana = _iana(str(tzid))
    value.params["TZID"] = iana or str(tzid)
    used[iana or str(tzid)] = str(tzid)
    return value


_iana = timefacts.iana_name


def _vtimezone(tzid: str, upstream_tzid: str, zones: dict) -> Optional[Any]:
    """The feed's definition of a zone (renamed to ``tzid``), or one built
    from the tz database when the feed has none."""
    timezone = zones.get(upstream_tzid)
    if timezone is not None:
        timezone = copy.deepcopy(timezone)
        timezone["TZID"] = tzid
        return timezone
    try:
        return icalendar.Timezone.from_tzid(tzid)
    except Exception:
        return None


# --- the plan -------------------------------------------------------------------

@dataclass(frozen=True)
class SyncPlan:
    create: list[MirrorEntry]
    update: list[MirrorEntry]
    delete: list[str]          # UIDs stored from this subscription, gone upstream
    unchanged: int


def plan_sync(existing: Mapping[str, str], wanted: Sequence[MirrorEntry]) -> SyncPlan:
    """What to write so the stored mirror equals ``wanted``.

    ``existing`` maps the UIDs stored from this subscription (and only
    those: see ``is_mirror_uid``) to their fingerprints. Raises ValueError
    for two wanted entries with one UID.
    """
    by_uid: dict[str, MirrorEntry] = {}
    for entry in wanted:
        if entry.uid in by_uid:
            raise ValueError("two mirror entries with UID %s" % entry.uid)
        by_uid[entry.uid] = entry
    create = [e for uid, e in sorted(by_uid.items()) if uid not in existing]
    update = [e for uid, e in sorted(by_uid.items())
              if uid in existing and existing[uid] != e.fingerprint]
    delete = sorted(uid for uid in existing if uid not in by_uid)
    unchanged = len(by_uid) - len(create) - len(update)
    return SyncPlan(create, update, delete, unchanged)
