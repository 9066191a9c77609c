"""Dates and times as German exports write them.

``24.12.2026``, ``24.12.26``, ``2026-12-24``, ``Do, 24.12.2026``; times
``9:30``, ``09:30 Uhr``, ``9.30``, ``9 Uhr``, ranges ``9:30-10:30``. Local
times are the business's (``kamin_timezone``), aware and DST-correct
(``timefacts``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Optional

from radicale_kamin.entries import timefacts

_DATE_DE = re.compile(r"(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4}|\d{2})(?!\d)")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")
_DATE_SLASH = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")          # 12/24/2026 from English programs
_TIME = re.compile(r"(?<![\d.])(\d{1,2})(?:[:.](\d{2}))?(?::\d{2})?\s*(?:Uhr|h)?(?![\d.])", re.IGNORECASE)
_HAS_TIME = re.compile(r"\d{1,2}[:.]\d{2}(?![.\d])|\d\s*Uhr", re.IGNORECASE)


def parse_date(text: str) -> Optional[tuple[dt.date, str]]:
    """The first date in ``text`` and what follows it; None when there is none.

    Raises ValueError for a date that is written like one but does not exist
    (``31.02.2026``), so the row is reported instead of read wrongly.
    """
    for pattern, order in ((_DATE_DE, "dmy"), (_DATE_ISO, "ymd"), (_DATE_SLASH, "mdy")):
        match = pattern.search(text)
        if match:
            parts = dict(zip(order, (int(group) for group in match.groups())))
            year = parts["y"] + 2000 if parts["y"] < 100 else parts["y"]
            return dt.date(year, parts["m"], parts["d"]), text[match.end():]
    return None


def parse_times(text: str) -> list[dt.time]:
    """Times in ``text`` in order: one for ``9:30``, two for ``9:30-10:30``.

    A bare number counts only with ``Uhr`` (``9 Uhr``) or in a range, so the
    text of a time column is read, not any digits. Raises ValueError for
    ``25:00``.
    """
    if not _HAS_TIME.search(text) and not re.fullmatch(r"\s*\d{1,2}\s*[-–]\s*\d{1,2}\s*(Uhr)?\s*", text, re.I):
        return []
    times = []
    for match in _TIME.finditer(text):
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        times.append(dt.time(hour, minute))
    return times


def local(day: dt.date, time: dt.time, tz: dt.tzinfo) -> dt.datetime:
    return timefacts.moment(dt.datetime.combine(day, time), tz)


def parse_minutes(text: str) -> Optional[dt.timedelta]:
    """A duration column: ``90``, ``90 min``, ``1:30``, ``1,5 h``."""
    text = text.strip().lower()
    match = re.fullmatch(r"(\d{1,2}):(\d{2})\s*(?:h|std\.?)?", text)
    if match:
        return dt.timedelta(hours=int(match.group(1)), minutes=int(match.group(2)))
    match = re.fullmatch(r"(\d+(?:[.,]\d+)?)\s*(min\.?|minuten|h|std\.?|stunden)?", text)
    if not match:
        return None
    amount = float(match.group(1).replace(",", "."))
    unit = match.group(2) or "min"
    return dt.timedelta(hours=amount) if unit[0] in "hs" else dt.timedelta(minutes=amount)
