"""When a failed delivery is tried again, and when it is parked.

A receiver that is down gets everything once it is back: each event is
retried with growing pauses (``SCHEDULE``, then hourly) until
``retry_hours`` after it was queued (or retried by hand), then parked —
kept, listed, and sent again only when someone retries it. A subscriber
that fails is paused as a whole on the same schedule, so a receiver that
hangs costs one timeout per pause, not one per waiting event.

Pauses are spread by ±10 % (derived from the event id, so a test can
know them), so many processes and events do not all knock at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from radicale_kamin.webhooks.events import digest

# Seconds after the 1st, 2nd, … failure; later failures wait the last.
SCHEDULE = (10, 30, 90, 300, 900, 1800, 3600)
JITTER = 0.10


def pause_after(failures: int, key: str = "") -> int:
    """Seconds to wait after ``failures`` failures in a row (≥ 1)."""
    base = SCHEDULE[min(max(failures, 1), len(SCHEDULE)) - 1]
    spread = int(digest("jitter", key, failures)[:8], 16) / 0xFFFFFFFF   # 0 … 1
    return max(1, round(base * (1 - JITTER + 2 * JITTER * spread)))


@dataclass(frozen=True)
class RetryPolicy:
    retry_hours: float = 24.0

    def next_attempt(self, attempts: int, retry_from: int, now: int,
                     key: str = "") -> Optional[int]:
        """When to try again after the ``attempts``-th failed attempt at
        ``now`` (POSIX seconds), or None: park it — ``retry_hours`` have
        passed since ``retry_from`` (queued, or retried by hand)."""
        if now - retry_from >= self.retry_hours * 3600:
            return None
        return now + pause_after(attempts, key)

    def park_before(self, now: int) -> int:
        """Events queued (or retried) before this moment are parked when
        their subscriber fails."""
        return int(now - self.retry_hours * 3600)
