"""One delivery: a signed POST of an event's JSON to a subscriber.

Bounded in every direction: a connect and a read timeout and a deadline
for the whole answer (``timeout``), at most ``MAX_ANSWER`` bytes of the
answer read, no redirect followed (a 3xx is a failure: the admin fixes the
URL), no proxy or ``.netrc`` from the environment. What is said of a
failure names its kind and the HTTP status — never the URL (it may carry
a token), the answer's text or the payload (both may name a customer).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Optional

import requests

from radicale_kamin.webhooks import signature
from radicale_kamin.webhooks.subscribers import Subscriber

MAX_ANSWER = 64 * 1024
USER_AGENT = "radicale-kamin-webhooks/1"


@dataclass(frozen=True)
class Attempt:
    ok: bool
    status: Optional[int]           # the HTTP status, None without an answer
    error: Optional[str]            # why it failed, free of URL and payload
    seconds: float


def session() -> requests.Session:
    """A session for deliveries: nothing taken from the environment."""
    made = requests.Session()
    made.trust_env = False
    return made


def headers(subscriber: Subscriber, event_type: str, event_id: str, body: bytes,
            now: float) -> dict[str, str]:
    return {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": USER_AGENT,
        "X-Kamin-Event": event_type,
        "X-Kamin-Delivery": event_id,
        signature.HEADER: signature.header(subscriber.secret, int(now), body),
    }


def post(http: requests.Session, subscriber: Subscriber, event_type: str, event_id: str,
         body: bytes, timeout: float, now: Optional[float] = None) -> Attempt:
    """Send one event; a 2xx acknowledges it."""
    started = time.monotonic()
    sent_at = time.time() if now is None else now
    try:
        response = http.post(subscriber.url, data=body, timeout=(min(timeout, 5.0), timeout),
                             headers=headers(subscriber, event_type, event_id, body, sent_at),
                             allow_redirects=False, stream=True)
    except requests.exceptions.SSLError:
        return _failed(None, "TLS error (certificate or protocol)", started)
    except requests.exceptions.ConnectTimeout:
        return _failed(None, "no connection within %g s" % min(timeout, 5.0), started)
    except requests.exceptions.ReadTimeout:
        return _failed(None, "no answer within %g s" % timeout, started)
    except requests.exceptions.ConnectionError:
        return _failed(None, "connection failed (refused, reset or unknown host)", started)
    except requests.exceptions.RequestException as e:
        return _failed(None, "request failed (%s)" % type(e).__name__, started)
    try:
        _drain(response, started + timeout)
    except (requests.exceptions.RequestException, TimeoutError, OSError):
        pass                            # the status counts; a cut-off answer does not matter
    finally:
        response.close()
    status = response.status_code
    if 200 <= status < 300:
        return Attempt(True, status, None, time.monotonic() - started)
    if 300 <= status < 400:
        return _failed(status, "HTTP %d: redirects are not followed; give the final URL"
                       % status, started)
    return _failed(status, "HTTP %d" % status, started)


def _drain(response: requests.Response, deadline: float) -> None:
    """Read at most ``MAX_ANSWER`` bytes of the answer, until ``deadline``
    (a receiver dribbling bytes does not hold the dispatcher)."""
    read = 0
    for chunk in response.iter_content(4096):
        read += len(chunk)
        if read >= MAX_ANSWER or time.monotonic() > deadline:
            return


def _failed(status: Optional[int], error: str, started: float) -> Attempt:
    return Attempt(False, status, error, time.monotonic() - started)
