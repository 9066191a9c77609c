"""One bounded download of a feed — the only side effect of the feeds
core: timeouts, a size limit, ETag/If-Modified-Since, bounded redirects,
http(s) only, and no secret of a private feed URL in any message."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import time
from dataclasses import dataclass
from typing import Any, Mapping, Optional
from urllib.parse import urljoin, urlsplit

import icalendar
import requests
import urllib3

from radicale_kamin.feeds.config import Subscription, redact_url, scrub_secrets, url_problem


UTC = dt.timezone.utc
TOTAL_TIMEOUT_FACTOR = 3      # the whole download: at most 3 × timeout
USER_AGENT = "radicale-kamin subscriptions (+https://radicale.org)"
_CHUNK = 64 * 1024


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
        message = scrub_secrets(str(e), [subscription.url])
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError,
            UnicodeError, ValueError) as e:
        message = scrub_secrets(_network_message(e, timeout), [subscription.url])
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
        reason = url_problem(url)
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


def is_due(subscription: Subscription, state: FetchState, now: dt.datetime) -> bool:
    """Whether the subscription's interval has passed since the last try
    (``kamin sync`` may run more often than any interval)."""
    if not state.last_attempt:
        return True
    last = dt.datetime.fromisoformat(state.last_attempt)
    return now - last >= dt.timedelta(minutes=subscription.interval_minutes)
