"""Working hours as the backend and the API write them — a **plan** — and
the ``WorkingHours`` the slot rules read (``workhours.py``).

A plan is plain JSON (``GET/PUT staff/{id}/working-hours``)::

    {"weekly": {"mon": [{"start": "07:00", "end": "12:00"},
                        {"start": "12:30", "end": "16:00"}], "fri": [...]},
     "rotation": {"start": "2026-01-05", "weeks": [{"mon": [...], ...}]},
     "exceptions": [{"from": "2026-12-28", "to": "2026-12-31", "hours": [],
                     "kind": "vacation", "note": "Weihnachtsurlaub"}]}

A weekday missing from a week or with ``[]`` is off; the gaps between
intervals are the breaks. ``rotation`` (optional) lists the weeks after the
first (week B, …), counted from the Monday ``start``. An exception covers
``from`` to ``to`` (inclusive; one day without ``to``) with its own
``hours`` — ``[]`` for a day off (vacation, sick), a shorter interval for a
half day. Refusals are German sentences: the office reads them beside the
field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Mapping, Optional

from radicale_kamin.schedule.callsettings import WEEKDAYS, CallSettings
from radicale_kamin.schedule.workhours import (END_OF_DAY, Interval, Week, WorkingHours)

KINDS = {"vacation": "Urlaub", "sick": "krank", "half-day": "halber Tag",
         "other": "Sonstiges"}
WEEKDAY_NAMES = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
MAX_WEEKS = 4                       # a rotation of at most four weeks
MAX_EXCEPTION_DAYS = 366


class PlanRejected(ValueError):
    """A plan the slot rules cannot use; the message is German."""


def clock(time: dt.time) -> str:
    return "24:00" if time == END_OF_DAY else time.strftime("%H:%M")


def _time(text: str, is_end: bool, where: str) -> dt.time:
    match = re.fullmatch(r"([01]\d|2[0-4]):([0-5]\d)", text or "")
    if not match or (match.group(1) == "24" and (not is_end or match.group(2) != "00")):
        raise PlanRejected("%s: %r ist keine Uhrzeit wie 07:30 (24:00 nur als Ende)."
                           % (where, text))
    if match.group(1) == "24":
        return END_OF_DAY
    return dt.time(int(match.group(1)), int(match.group(2)))


def intervals_of(items: Any, where: str) -> tuple[Interval, ...]:
    """``[{"start": "07:00", "end": "12:00"}, …]`` in order, without overlaps."""
    intervals: list[Interval] = []
    for item in items or ():
        start = _time(item.get("start", ""), False, where)
        end = _time(item.get("end", ""), True, where)
        if not start < end:
            raise PlanRejected("%s: %s–%s endet nicht nach seinem Beginn."
                               % (where, clock(start), clock(end)))
        if intervals and start < intervals[-1][1]:
            raise PlanRejected("%s: %s–%s überschneidet sich mit der Zeit davor oder steht "
                               "vor ihr; die Zeiten bitte der Reihe nach, Pausen sind die "
                               "Lücken." % (where, clock(start), clock(end)))
        intervals.append((start, end))
    return tuple(intervals)


def week_of(data: Mapping[str, Any], label: str = "") -> Week:
    unknown = set(data) - set(WEEKDAYS)
    if unknown:
        raise PlanRejected("Unbekannter Wochentag %s; erlaubt: %s."
                           % (sorted(unknown)[0], ", ".join(WEEKDAYS)))
    return tuple(intervals_of(data.get(key), (label + WEEKDAY_NAMES[n]).strip())
                 for n, key in enumerate(WEEKDAYS))


def _day(text: Any, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        raise PlanRejected("%s: %r ist kein Datum wie 2026-12-24." % (where, text)) from None


def exceptions_of(items: Any) -> dict[dt.date, tuple[Interval, ...]]:
    days: dict[dt.date, tuple[Interval, ...]] = {}
    for item in items or ():
        first = _day(item.get("from"), "Ausnahme")
        last = _day(item.get("to"), "Ausnahme") if item.get("to") else first
        where = "Ausnahme %s" % first.strftime("%d.%m.%Y")
        if last < first:
            raise PlanRejected("%s: das Ende liegt vor dem Beginn." % where)
        if (last - first).days >= MAX_EXCEPTION_DAYS:
            raise PlanRejected("%s: höchstens %d Tage am Stück." % (where, MAX_EXCEPTION_DAYS))
        hours = intervals_of(item.get("hours"), where)
        for n in range((last - first).days + 1):
            day = first + dt.timedelta(days=n)
            if day in days:
                raise PlanRejected("Der %s steht in zwei Ausnahmen." % day.strftime("%d.%m.%Y"))
            days[day] = hours
    return days


def hours_from_plan(plan: Mapping[str, Any], settings: CallSettings = CallSettings()
                    ) -> WorkingHours:
    """The ``WorkingHours`` a plan stands for; raises PlanRejected."""
    weekly = week_of(plan.get("weekly") or {}, "")
    rotation: tuple[Week, ...] = ()
    start = dt.date(2026, 1, 5)
    if plan.get("rotation"):
        start = _day(plan["rotation"].get("start"), "Wechselschicht")
        if start.weekday() != 0:
            raise PlanRejected("Wechselschicht: die erste Woche beginnt an einem Montag, "
                               "nicht am %s." % start.strftime("%d.%m.%Y"))
        weeks = plan["rotation"].get("weeks") or []
        if not 1 <= len(weeks) <= MAX_WEEKS - 1:
            raise PlanRejected("Wechselschicht: 1 bis %d weitere Wochen angeben." % (MAX_WEEKS - 1))
        rotation = tuple(week_of(week, "Woche %s, " % "BCD"[n]) for n, week in enumerate(weeks))
    return WorkingHours(weekly, exceptions_of(plan.get("exceptions")), settings,
                        rotation, start)


# --- the other way: hours as a plan (for GET) ------------------------------------

def _week_json(week: Week) -> dict[str, list[dict[str, str]]]:
    return {key: [{"start": clock(a), "end": clock(b)} for a, b in week[n]]
            for n, key in enumerate(WEEKDAYS)}


def plan_of(hours: WorkingHours, notes: Optional[Mapping[dt.date, tuple[str, str]]] = None
            ) -> dict[str, Any]:
    """``hours`` as a plan; consecutive exception days with the same hours
    become one range (``notes`` gives a day's kind and note)."""
    notes = notes or {}
    exceptions: list[dict[str, Any]] = []
    for day in sorted(hours.exceptions):
        intervals = hours.exceptions[day]
        kind, note = notes.get(day, ("vacation" if not intervals else "other", ""))
        last = exceptions[-1] if exceptions else None
        if (last is not None and dt.date.fromisoformat(last["to"]) + dt.timedelta(days=1) == day
                and last["_hours"] == intervals and (last["kind"], last["note"]) == (kind, note)):
            last["to"] = day.isoformat()
            continue
        exceptions.append({"from": day.isoformat(), "to": day.isoformat(), "_hours": intervals,
                           "hours": [{"start": clock(a), "end": clock(b)} for a, b in intervals],
                           "kind": kind, "note": note})
    for item in exceptions:
        del item["_hours"]
    plan: dict[str, Any] = {"weekly": _week_json(hours.weekly), "rotation": None,
                            "exceptions": exceptions}
    if hours.rotation:
        plan["rotation"] = {"start": hours.rotation_start.isoformat(),
                            "weeks": [_week_json(week) for week in hours.rotation]}
    return plan


def notes_of(plan: Mapping[str, Any]) -> dict[dt.date, tuple[str, str]]:
    """Each exception day's (kind, note) of a stored plan, for ``plan_of``."""
    found = {}
    for item in plan.get("exceptions") or ():
        first = dt.date.fromisoformat(item["from"])
        last = dt.date.fromisoformat(item.get("to") or item["from"])
        for n in range((last - first).days + 1):
            found[first + dt.timedelta(days=n)] = (item.get("kind") or "other",
                                                   item.get("note") or "")
    return found


def days_off(settings: CallSettings, start: dt.date, days: int) -> list[tuple[dt.date, str]]:
    """The public holidays (German names) and the office's closed days in
    [start, start + days): nobody works then (``WorkingHours``)."""
    import holidays

    end = start + dt.timedelta(days=days)
    found: dict[dt.date, str] = {}
    for year in range(start.year, end.year + 1):
        table = holidays.country_holidays("DE", subdiv=settings.bundesland, years=year,
                                          categories=settings.holiday_categories,
                                          language="de")
        found.update({day: name for day, name in table.items() if start <= day < end})
        for month, day in settings.closed_yearly:
            try:
                found.setdefault(dt.date(year, month, day), "Betriebsruhe")
            except ValueError:          # 29 February of a common year
                continue
    for day in settings.closed_dates:
        found.setdefault(day, "Betriebsruhe")
    return sorted((day, name) for day, name in found.items() if start <= day < end)
