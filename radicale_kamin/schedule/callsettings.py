"""The office's calling options, read and checked: ``CallSettings``.

Every number of the calling rules is a ``[storage] kamin_*`` option (and,
with the backend, a setting the office changes at run time). This module
reads them from their text — English or German weekday names, ranges,
``08:00-18:00``, ``12-24`` for every year — and refuses a wrong one with a
message naming the option. The rules themselves are in ``calls``.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from radicale_kamin.entries.timefacts import DEFAULT_TIMEZONE

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_GERMAN_WEEKDAYS = ("mo", "di", "mi", "do", "fr", "sa", "so")


@functools.lru_cache(maxsize=1)
def _german_subdivisions() -> tuple[str, ...]:
    return tuple(holidays.list_supported_countries()["DE"])


@dataclass(frozen=True)
class CallSettings:
    """Everything the office can set about calling; defaults from the brief.

    Each field is the ``[storage]`` option ``kamin_<field>`` (see
    ``from_options``), except the window, which is ``kamin_calling_hours``,
    and the closed days, which are ``kamin_closed_days``.
    """

    timezone: ZoneInfo = DEFAULT_TIMEZONE
    bundesland: str = "BY"                 # holidays.country_holidays("DE", subdiv=...)
    calling_days: tuple[int, ...] = (0, 1, 2, 3, 4)   # Mon..Fri (datetime.weekday())
    window_start: dt.time = dt.time(8, 0)
    window_end: dt.time = dt.time(18, 0)
    announce_days: int = 7                 # internal appointment: call 7 days before
    deadline_days: int = 28                # deadline entry: call 4 weeks before its due date
    max_attempts: int = 2                  # after this many failed tries: no more calls
    retry_hours: int = 0                   # 0 = next calling day's window start; else calling hours later
    prefer_sms: bool = True                # deadline reminders to mobiles go out as SMS
    lease_minutes: int = 15                # a handed-out call is not handed out again for this long
    # a callback not made this long after its time (or the appointment,
    # if later) leaves the list for follow-up
    callback_days: int = 7
    # The Formblatt (proof the work of a Feuerstättenbescheid was done) is
    # due this many days after the window's end; then the deadline entry
    # goes to follow-up unless a booking in the window or the Formblatt
    # settles it.
    formblatt_days: int = 14
    # An internal appointment told by SMS and not confirmed this many hours
    # before it starts is called (reason retry): no one relies on an
    # unanswered SMS.
    sms_confirm_hours: int = 48
    # Working days' notice a Feuerstättenschau needs (§ 14 SchfHwG).
    feuerstaettenschau_notice_days: int = 5
    # "catholic" adds the holidays of predominantly Catholic municipalities
    # (Mariä Himmelfahrt in BY, Fronleichnam in parts of SN/TH): better one
    # call a day later than a call on a local holiday.
    holiday_categories: tuple[str, ...] = ("public", "catholic")
    closed_dates: tuple[dt.date, ...] = ()            # extra closed days (Betriebsferien)
    closed_yearly: tuple[tuple[int, int], ...] = ()   # (month, day) closed every year, e.g. (12, 24)

    def __post_init__(self) -> None:
        problems = []
        if self.bundesland not in _german_subdivisions():
            problems.append("bundesland %r is not a German subdivision; use one of %s"
                            % (self.bundesland, ", ".join(_german_subdivisions())))
        if not self.calling_days or any(d not in range(7) for d in self.calling_days):
            problems.append("calling_days must name at least one weekday 0 (Mon) .. 6 (Sun)")
        if not self.window_start < self.window_end:
            problems.append("the calling window must start before it ends")
        for name, least in (("announce_days", 0), ("deadline_days", 0),
                            ("max_attempts", 1), ("retry_hours", 0),
                            ("lease_minutes", 0), ("callback_days", 0),
                            ("formblatt_days", 0), ("sms_confirm_hours", 0),
                            ("feuerstaettenschau_notice_days", 0)):
            if getattr(self, name) < least:
                problems.append("%s must be %d or more" % (name, least))
        unknown = set(self.holiday_categories) - {"public", "catholic"}
        if unknown or "public" not in self.holiday_categories:
            problems.append("holiday_categories must contain 'public' and may add 'catholic'")
        if problems:
            raise ValueError("; ".join(problems))

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> "CallSettings":
        """Settings from ``[storage]`` options (strings); absent or empty
        options keep their defaults, options of other parts are ignored.

        Raises ValueError naming the option for a value it cannot read.
        """
        values: dict = {}
        for option, parse in _OPTION_PARSERS:
            raw = options.get(option)
            if raw is None or not str(raw).strip():
                continue
            try:
                values.update(parse(str(raw).strip()))
            except ValueError as e:
                raise ValueError("%s = %s: %s" % (option, raw, e)) from None
        try:
            return cls(**values)
        except ValueError as e:
            raise ValueError("kamin calling options: %s" % e) from None


def _parse_int(name: str) -> Callable[[str], dict]:
    def parse(raw: str) -> dict:
        if not re.fullmatch(r"\d+", raw):
            raise ValueError("must be a whole number 0 or more")
        return {name: int(raw)}
    return parse


def _parse_timezone(raw: str) -> dict:
    try:
        return {"timezone": ZoneInfo(raw)}
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("unknown time zone; use an IANA name like Europe/Berlin") from None


def _parse_bundesland(raw: str) -> dict:
    by_folded = {s.casefold(): s for s in _german_subdivisions()}
    if raw.casefold() not in by_folded:
        raise ValueError("unknown Bundesland; use one of %s" % ", ".join(_german_subdivisions()))
    return {"bundesland": by_folded[raw.casefold()]}


def _weekday(token: str) -> int:
    """English (mon, Monday) or German (mo, Montag) weekday names."""
    token = token.strip().casefold()
    if token[:3] in WEEKDAYS:
        return WEEKDAYS.index(token[:3])
    if token[:2] in _GERMAN_WEEKDAYS:
        return _GERMAN_WEEKDAYS.index(token[:2])
    raise ValueError("unknown weekday %r; use mon,tue,wed,thu,fri,sat,sun (or mo,di,mi,do,fr,sa,so)"
                     % token)


def weekdays_of(raw: str) -> tuple[int, ...]:
    """``mon,tue,wed`` or ranges like ``mon-fri`` (German ``mo-fr`` too) →
    weekday numbers 0 (Monday) … 6; ValueError naming what is wrong."""
    return _parse_calling_days(raw)["calling_days"]


def _parse_calling_days(raw: str) -> dict:
    """``mon,tue,wed`` or ranges like ``mon-fri``; German ``mo-fr`` too."""
    days: list[int] = []
    for part in raw.split(","):
        if not part.strip():
            continue
        first, _, last = part.partition("-")
        a = _weekday(first)
        b = _weekday(last) if last else a
        if b < a:
            raise ValueError("range %r runs backwards" % part.strip())
        days.extend(d for d in range(a, b + 1) if d not in days)
    if not days:
        raise ValueError("name at least one weekday")
    return {"calling_days": tuple(sorted(days))}


def _parse_clock(raw: str) -> dt.time:
    match = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?", raw.strip())
    if not match or int(match.group(1)) > 23 or int(match.group(2) or 0) > 59:
        raise ValueError("%r is not a time of day like 08:00" % raw.strip())
    return dt.time(int(match.group(1)), int(match.group(2) or 0))


def _parse_calling_hours(raw: str) -> dict:
    start, sep, end = raw.partition("-")
    if not sep:
        raise ValueError("write the window as start-end, e.g. 08:00-18:00")
    window_start, window_end = _parse_clock(start), _parse_clock(end)
    if not window_start < window_end:
        raise ValueError("the window must start before it ends")
    return {"window_start": window_start, "window_end": window_end}


def _parse_bool(name: str) -> Callable[[str], dict]:
    def parse(raw: str) -> dict:
        value = raw.casefold()
        if value in ("true", "yes", "on", "1", "ja"):
            return {name: True}
        if value in ("false", "no", "off", "0", "nein"):
            return {name: False}
        raise ValueError("must be true or false")
    return parse


def _parse_holiday_categories(raw: str) -> dict:
    categories = tuple(c.strip().casefold() for c in raw.split(",") if c.strip())
    if not set(categories) <= {"public", "catholic"} or "public" not in categories:
        raise ValueError("use 'public' or 'public,catholic'")
    return {"holiday_categories": categories}


def _parse_closed_days(raw: str) -> dict:
    """``2026-05-15, 12-24, 12-31``: a full date once, MM-DD every year."""
    dates: list[dt.date] = []
    yearly: list[tuple[int, int]] = []
    for token in (t.strip() for t in raw.split(",")):
        if not token:
            continue
        try:
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", token):
                dates.append(dt.date.fromisoformat(token))
                continue
            if re.fullmatch(r"\d{2}-\d{2}", token):
                month, day = int(token[:2]), int(token[3:])
                dt.date(2024, month, day)   # a leap year: 02-29 is allowed
                yearly.append((month, day))
                continue
        except ValueError:
            pass
        raise ValueError("%r is neither YYYY-MM-DD nor MM-DD" % token)
    return {"closed_dates": tuple(dates), "closed_yearly": tuple(yearly)}


_OPTION_PARSERS: Sequence[tuple[str, Callable[[str], dict]]] = (
    ("kamin_timezone", _parse_timezone),
    ("kamin_bundesland", _parse_bundesland),
    ("kamin_holiday_categories", _parse_holiday_categories),
    ("kamin_closed_days", _parse_closed_days),
    ("kamin_calling_days", _parse_calling_days),
    ("kamin_calling_hours", _parse_calling_hours),
    ("kamin_announce_days", _parse_int("announce_days")),
    ("kamin_deadline_days", _parse_int("deadline_days")),
    ("kamin_max_attempts", _parse_int("max_attempts")),
    ("kamin_retry_hours", _parse_int("retry_hours")),
    ("kamin_prefer_sms", _parse_bool("prefer_sms")),
    ("kamin_lease_minutes", _parse_int("lease_minutes")),
    ("kamin_callback_days", _parse_int("callback_days")),
    ("kamin_formblatt_days", _parse_int("formblatt_days")),
    ("kamin_sms_confirm_hours", _parse_int("sms_confirm_hours")),
    ("kamin_feuerstaettenschau_notice_days", _parse_int("feuerstaettenschau_notice_days")),
)
OPTION_NAMES = tuple(name for name, _ in _OPTION_PARSERS)
