"""Endpoints of availability: free slots and what the calendars know of a
building (docs/api.md, docs/availability.md)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Optional

from radicale_kamin.schedule import availability, calls
from radicale_kamin.api.busy import busy_time
from radicale_kamin.api.errors import ApiError
from radicale_kamin.api.models import (Building, BuildingContact, Slot, Slots, SlotsQuery,
                                       Window)
from radicale_kamin.api.request import Request

if TYPE_CHECKING:
    from radicale_kamin.api.service import Api


def _building_rows(api: Api, calendars: list[str], building: str) -> list:
    rows = api.index.building_entries(calendars, building)
    if not rows:
        raise ApiError(404, "no entries for building %s in the calendars you may read" % building)
    return rows


def _building_context(api: Api, calendars: list[str], building: Optional[str],
                      now: dt.datetime):
    """(near, window) for slots for a building: its street and PLZ, and the
    open Feuerstättenbescheid window if it has a deadline entry."""
    if not building:
        return None, None
    rows = _building_rows(api, calendars, building)
    located = [r for r in rows if r["street"] or r["postcode"]]
    near = (located[-1]["street"], located[-1]["postcode"]) if located else None
    today = now.astimezone(api.timezone).date()
    windows = []
    for row in rows:
        if row["kind"] != "deadline" or row["outcome"] is not None or row["start"] is None:
            continue
        due = dt.datetime.fromtimestamp(row["start"], api.timezone).date()
        opens = dt.date.fromisoformat(row["window_start"]) if row["window_start"] else today
        if due >= today:
            windows.append((max(opens, today), due))
    window = min(windows, key=lambda w: w[1]) if windows else None
    return near, window


def get_slots(api: Api, request: Request) -> tuple[int, Slots]:
    query: SlotsQuery = request.query
    duration = query.duration or api.slot_settings.duration_minutes
    part_hours = availability.part_of_day(query.part) if query.part else None
    now = api.now(query.now)
    staff_list = api.staff(request.user, request.groups, "r")
    if query.staff:
        staff_list = [api.staff_member(request.user, request.groups, query.staff, "r")]
    readable = api.calendars(request.user, request.groups)
    slots = []
    with api.storage.acquire_lock("r", request.user):
        api.index.sync([c for member in staff_list for c in member.calendars])
        near, window = _building_context(api, readable, query.building, now)
        if query.building and window is None and api.index.has_deadline(readable,
                                                                        query.building):
            return 200, Slots(slots=[], window=None,
                              note="the building's Feuerstättenbescheid window is closed")
        for member in staff_list:
            hours = api.working_hours.for_staff(member.id)
            busy = busy_time(api, member, query.frm, query.to, now)
            slots.extend(availability.free_slots(
                member.id, hours, busy, query.frm, query.to, now, api.slot_settings,
                duration=duration, near=near, window=window, part=part_hours))
    earliest = calls.earliest_start(query.work, now, api.call_settings)
    slots = [s for s in slots if s.start >= earliest]
    if near:
        slots.sort(key=lambda s: (-s.score, s.start, s.staff))
    else:
        slots.sort(key=lambda s: (s.start, s.staff))
    return 200, Slots(
        slots=[Slot(start=s.start.isoformat(), end=s.end.isoformat(), staff=s.staff,
                    score=s.score) for s in slots],
        window=Window(frm=window[0].isoformat(), to=window[1].isoformat()) if window else None)


def get_building(api: Api, request: Request) -> tuple[int, Building]:
    """Everything the calendars know of one building (Liegenschaft)."""
    building = request.path.building
    calendars = api.calendars(request.user, request.groups)
    with api.storage.acquire_lock("r", request.user):
        api.index.sync(calendars)
        rows = _building_rows(api, calendars, building)
    rows.sort(key=lambda r: (r["start"] is None, r["start"] or 0))
    appointments = [r for r in rows if r["kind"] != "deadline"]
    deadlines = [api.entry_json(r, window_start=r["window_start"])
                 for r in rows if r["kind"] == "deadline"]
    now = int(api.now(request.query.now).timestamp())
    upcoming = [r for r in appointments
                if r["start"] is not None and r["start"] >= now and r["blocks"]]
    latest = max(rows, key=lambda r: (r["customer"] is not None, r["phone"] is not None,
                                      r["start"] or 0))
    contact = BuildingContact(
        customer=latest["customer"], phone=latest["phone"], phone_type=latest["phone_type"],
        location=latest["location"], street=latest["street"], postcode=latest["postcode"],
        address=latest["address"])
    return 200, Building(building=building, contact=contact,
                         entries=[api.entry_json(r) for r in appointments],
                         deadlines=deadlines,
                         next=api.entry_json(upcoming[0]) if upcoming else None)
