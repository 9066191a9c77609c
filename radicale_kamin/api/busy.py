"""Whether a staff member is free: the busy time of all their calendars
and holds, and the one check every path runs that places or moves an
appointment — booking, hold, hold → booking, move, rebooked outcome.

Run under Radicale's storage write lock (a file lock): every write path,
ours and any CalDAV client's, updates the side index inside that lock, so
two bookings of one slot give one 201 and one 409, never two entries.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Optional

from radicale_kamin.schedule import availability, calls
from radicale_kamin.api.errors import ApiError
from radicale_kamin.api.paths import calendar_url
from radicale_kamin.schedule.staff import Staff, staff_for_calendar

if TYPE_CHECKING:
    from radicale_kamin.api.service import Api


def busy_time(api: Api, member: Staff, frm: dt.datetime, to: dt.datetime, now: dt.datetime,
              skip: Optional[tuple[str, str]] = None,
              skip_hold: Optional[str] = None) -> list[availability.Busy]:
    """Everything that blocks a staff member between ``frm`` and ``to``: the
    entries of all their calendars (recurring ones expanded, bounded) but
    ``skip`` (calendar, href) — the entry being moved — and holds but
    ``skip_hold``."""
    margin = dt.timedelta(days=1, minutes=api.slot_settings.buffer_minutes)
    low, high = int((frm - margin).timestamp()), int((to + margin).timestamp())
    busy = []
    for calendar in member.calendars:
        for row in api.index.blocking(calendar, low, high):
            if (calendar, row["href"]) == skip:
                continue
            if row["recurring"]:
                busy.extend(availability.busy_from_event(
                    api.read_item(calendar, row["href"]), frm - margin, to + margin,
                    api.timezone))
            else:
                busy.append(_busy_from_row(row, api.timezone))
        for hold in api.state.active_holds(calendar, low, high, int(now.timestamp())):
            if hold["id"] != skip_hold:
                busy.append(availability.Busy(
                    start=dt.datetime.fromtimestamp(hold["start"], api.timezone),
                    end=dt.datetime.fromtimestamp(hold["end"], api.timezone), counts=True))
    return busy


def _busy_from_row(row, tz) -> "availability.Busy":
    """An index row of a single entry as busy time (all-day entries are
    indexed as whole local days)."""
    start = dt.datetime.fromtimestamp(row["start"], tz)
    end = dt.datetime.fromtimestamp(max(row["end"], row["start"]), tz)
    return availability.Busy(start=start, end=end,
                             counts=row["kind"] in ("internal", "external", "imported"),
                             street=row["street"], postcode=row["postcode"])


def _never_bookable(api: Api, hours, start: dt.datetime, end: dt.datetime,
                    now: dt.datetime, work: Optional[str] = None) -> Optional[str]:
    """Why [start, end) can never be booked (400, not 409): in the past,
    sooner than the minimum notice or the notice ``work`` needs, or outside
    the working hours."""
    if start < now:
        return "start lies in the past"
    notice_problem = calls.notice_problem(work, start, now, api.call_settings)
    if notice_problem:
        return notice_problem
    notice = api.slot_settings.min_notice_hours
    if start < now + dt.timedelta(hours=notice):
        return "start is sooner than the minimum notice of %d hours" % notice
    local = start.astimezone(api.timezone)
    step = api.slot_settings.step_minutes
    if (local.hour * 60 + local.minute) % step or local.second:
        return "start must lie on the %d-minute grid (e.g. 09:00, 09:%02d), as GET slots offers" % (
            step, step % 60)
    day = local.date()
    intervals = hours.intervals_on(day)
    if not any(low <= start and end <= high for low, high in intervals):
        shown = ", ".join("%s-%s" % (low.astimezone(api.timezone).strftime("%H:%M"),
                                     high.astimezone(api.timezone).strftime("%H:%M"))
                          for low, high in intervals) or "no working hours (day off)"
        return "outside the working hours of %s: %s" % (day.strftime("%d.%m.%Y"), shown)
    return None


def check_free(api: Api, member: Staff, start: dt.datetime, end: dt.datetime,
               now: dt.datetime, skip: Optional[tuple[str, str]] = None,
               skip_hold: Optional[str] = None, work: Optional[str] = None) -> None:
    """Raise 409 (taken, naming what takes it) or 400 (never bookable, also
    too short a notice for ``work``) unless [start, end) is a free slot of
    ``member`` — the one check of every path that places or moves an
    appointment (booking, hold, move, rebook). Call inside the storage write
    lock, after syncing the member's calendars."""
    hours = api.working_hours.for_staff(member.id)
    settings = api.slot_settings
    duration = int((end - start).total_seconds() // 60)
    problem = _never_bookable(api, hours, start, end, now, work)
    if problem:
        raise ApiError(400, problem)
    busy = busy_time(api, member, start, end, now, skip=skip, skip_hold=skip_hold)
    free = availability.free_slots(member.id, hours, busy, start, end, now, settings,
                                   duration=duration)
    if any(s.start == start for s in free):
        return
    tz = api.timezone
    slot = "%s–%s" % (start.astimezone(tz).strftime("%d.%m.%Y %H:%M"),
                      end.astimezone(tz).strftime("%H:%M"))
    taken = availability.taken_by(busy, start, end, settings)
    if taken is None:
        raise ApiError(409, "the slot %s of %s is no longer free: %d appointments that day "
                       "already" % (slot, member.id, settings.max_per_day))
    raise ApiError(409, "the slot %s of %s is no longer free: busy %s–%s (with %d minutes "
                   "buffer)" % (slot, member.id, taken.start.astimezone(tz).strftime(
                       "%d.%m.%Y %H:%M"), taken.end.astimezone(tz).strftime("%H:%M"),
                                settings.buffer_minutes),
                   conflict={"start": taken.start.astimezone(tz).isoformat(),
                             "end": taken.end.astimezone(tz).isoformat()})


def check_free_for_entry(api: Api, row, start: dt.datetime, end: dt.datetime,
                         now: dt.datetime) -> None:
    """``check_free`` for moving the entry of index ``row`` to [start, end):
    its owner's availability, the entry itself not counting as busy."""
    member = staff_for_calendar(api.all_staff(), row["calendar"])
    if member is None:
        raise ApiError(400, "%s is not a staff calendar: its entries are not booked by the "
                       "API" % calendar_url(row["calendar"]))
    api.index.sync(member.calendars)
    check_free(api, member, start, end, now, skip=(row["calendar"], row["href"]),
               work=row["work"])
