"""The signature of a delivery: HMAC-SHA256 over ``"<t>.<raw body>"``.

``X-Kamin-Signature: t=<unix seconds>,v1=<hex>``. The timestamp is the
moment of sending (each retry signs anew), so a receiver refuses anything
older than a few minutes (``TOLERANCE_SECONDS``): a recorded request
replayed later fails, and within the window the event id
(``X-Kamin-Delivery``) lets it drop what it has seen.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Optional

HEADER = "X-Kamin-Signature"
TOLERANCE_SECONDS = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>.<body>"`` with ``secret``."""
    message = str(int(timestamp)).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def header(secret: str, timestamp: int, body: bytes) -> str:
    """The value of ``X-Kamin-Signature`` for ``body`` sent at ``timestamp``."""
    return "t=%d,v1=%s" % (int(timestamp), sign(secret, timestamp, body))


def parse(value: str) -> tuple[Optional[int], list[str]]:
    """(t, every v1) of a header value; t None when missing or no number."""
    timestamp, signatures = None, []
    for part in value.split(","):
        key, _, item = part.strip().partition("=")
        if key == "t" and item.isdigit():
            timestamp = int(item)
        elif key == "v1" and item:
            signatures.append(item)
    return timestamp, signatures


def verify(value: str, secret: str, body: bytes, now: float,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """Whether ``value`` signs ``body`` with ``secret`` and was made within
    ``tolerance`` seconds of ``now`` (what a receiver checks)."""
    timestamp, signatures = parse(value)
    if timestamp is None or abs(now - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, s) for s in signatures)
