"""Who the staff are: one person per Radicale user.

A staff member is a **user** (the first segment of a calendar's path), not
a calendar: the assistant keeps using the id ``anna`` when Anna makes a
second calendar in her app, her busy time comes from all of her calendars,
and bookings go into exactly one of them — her *bookable* calendar:

1. the calendar the admin chose (``[storage] kamin_booking_calendars``,
   e.g. ``anna: /anna/arbeit/``), if Anna owns it;
2. else her calendar ``termine`` (the one ``kamin setup`` creates);
3. else the first of her calendars in path order.

Calendars the admin marks as non-staff (``kamin_non_staff_calendars``: a
calendar ``/meister/privat/`` or a whole home ``/buero/``) belong to nobody.
Pure: calendars are sane paths (``anna/termine``), no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping, Optional, Sequence

DEFAULT_CALENDAR = "termine"


@dataclass(frozen=True)
class Staff:
    id: str                         # the user name; never changes with calendars
    name: str                       # shown to the assistant and the office
    calendars: tuple[str, ...]      # every staff calendar of the user, in path order
    bookable: str                   # where bookings go

    def owns(self, calendar: str) -> bool:
        return calendar in self.calendars


def _sane(path: str) -> str:
    return path.strip().strip("/")


def parse_names(raw: str) -> dict[str, str]:
    """``anna: Anna Huber, ben: Ben Maier`` → {user: display name}."""
    names = {}
    for part in raw.split(","):
        if ":" in part:
            user, _, name = part.partition(":")
            if user.strip() and name.strip():
                names[user.strip()] = name.strip()
    return names


def parse_booking_calendars(raw: str) -> dict[str, str]:
    """``anna: /anna/arbeit/, ben: /ben/termine/`` → {user: calendar}.
    Raises ValueError for an entry that is not ``user: /user/calendar/``."""
    chosen = {}
    for part in (p.strip() for p in raw.split(",")):
        if not part:
            continue
        user, colon, calendar = part.partition(":")
        user, calendar = user.strip(), _sane(calendar)
        if not colon or not user or calendar.count("/") != 1 or calendar.split("/")[0] != user:
            raise ValueError("%r: write user: /user/calendar/ (a calendar of that user)" % part)
        chosen[user] = calendar
    return chosen


def is_staff_calendar(calendar: str, non_staff: Sequence[str]) -> bool:
    """A calendar directly in a user's home that the admin did not mark."""
    calendar = _sane(calendar)
    if calendar.count("/") != 1:
        return False
    return not any(calendar == p or calendar.startswith(p + "/") for p in map(_sane, non_staff))


def bookable_calendar(user: str, owned: Sequence[str], choice: Optional[str]) -> str:
    """The rule of the module docstring; ``owned`` is in path order."""
    if choice is not None and choice in owned:
        return choice
    default = "%s/%s" % (user, DEFAULT_CALENDAR)
    return default if default in owned else owned[0]


def staff_of(calendars: Iterable[str], non_staff: Sequence[str] = (),
             names: Mapping[str, str] = {}, choices: Mapping[str, str] = {}) -> list[Staff]:
    """Every staff member among the owners of ``calendars``, by id."""
    owned: dict[str, list[str]] = {}
    for calendar in sorted(_sane(c) for c in calendars):
        if is_staff_calendar(calendar, non_staff):
            owned.setdefault(calendar.split("/")[0], []).append(calendar)
    return [Staff(id=user, name=names.get(user, user.capitalize()), calendars=tuple(mine),
                  bookable=bookable_calendar(user, mine, choices.get(user)))
            for user, mine in sorted(owned.items())]


@dataclass(frozen=True)
class StaffOptions:
    """The admin's staff options: ``kamin_non_staff_calendars``,
    ``kamin_staff_names``, ``kamin_booking_calendars``."""

    non_staff: tuple[str, ...] = ()
    names: Mapping[str, str] = field(default_factory=dict)
    choices: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_options(cls, non_staff: str, names: str, choices: str) -> "StaffOptions":
        """Raises ValueError for a booking calendar that is not the user's."""
        return cls(tuple(_sane(p) for p in non_staff.split(",") if p.strip()),
                   parse_names(names), parse_booking_calendars(choices))

    def staff_of(self, calendars: Iterable[str]) -> list[Staff]:
        return staff_of(calendars, self.non_staff, self.names, self.choices)


def staff_for_calendar(staff: Iterable[Staff], calendar: str) -> Optional[Staff]:
    """The staff member who owns ``calendar``, if any."""
    return next((s for s in staff if s.owns(_sane(calendar))), None)
