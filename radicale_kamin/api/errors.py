"""A refusal of the JSON API: raised where the reason is known, answered
as ``{"error": "...", ...}`` with its status (``dispatch.py``)."""

from __future__ import annotations

from typing import Any

from radicale_kamin.entries.entry import EntryRejected
from radicale_kamin.schedule.recurrence import RecurrenceRejected

# Refusals of the rules, raised with their reason (never customer data)
# wherever a write is refused: each is a 400 for every endpoint.
REFUSALS = (EntryRejected, RecurrenceRejected)


class ApiError(Exception):
    """``status`` and a plain-words ``message``; ``extra`` fields of the
    error object (``etag``, ``calendars``, ``conflict``, ``allow``)."""

    def __init__(self, status: int, message: str, **extra: Any):
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra
