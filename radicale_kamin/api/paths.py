"""Where the API lives and how it writes calendar paths."""

from __future__ import annotations

PREFIX = "/.web/kamin/api/"


def calendar_url(sane: str) -> str:
    """``anna/termine`` → ``/anna/termine/`` (as CalDAV clients see it)."""
    return "/%s/" % sane


def sane_path(calendar: str) -> str:
    """``/anna/termine/`` → ``anna/termine`` (as the index keys it)."""
    return calendar.strip("/")
