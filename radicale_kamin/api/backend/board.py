"""Endpoints of the office's boards: deadlines ahead, holds in progress, the
week board, one entry with its building, contact and call log, and fixing
an orange entry in place (docs/backend.md)."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Optional

import radicale.item as radicale_item

from radicale_kamin.api.backend.models import (Board, BoardDay, BoardRow, ContactOut,
                                               EntryDetail, FixRequest, HoldOut, Holds,
                                               IntervalOut, Legend)
from radicale_kamin.api.errors import ApiError
from radicale_kamin.api.models import EntryChanged, EntryList
from radicale_kamin.api.paths import calendar_url, sane_path
from radicale_kamin.api.request import Request
from radicale_kamin.entries import profile, rules
from radicale_kamin.schedule import availability
from radicale_kamin.schedule.hoursplan import clock, days_off
from radicale_kamin.schedule.staff import staff_for_calendar

if TYPE_CHECKING:
    from radicale_kamin.api.service import Api

DEADLINE_DAYS = 56
LOG_LINE = re.compile(r"^\d{2}\.\d{2}\.\d{4}( \d{2}:\d{2})? ")
MEANINGS = {
    "data-missing": "Daten fehlen: kein Anruf möglich",
    "planned": "geplant, noch nicht mitgeteilt",
    "confirmed": "bestätigt",
    "callback": "Rückruf gewünscht",
    "rejected": "abgelehnt: Nacharbeit",
    "unreached-1": "nicht erreicht (1×)",
    "unreached-2": "nicht erreicht (2×): Nacharbeit",
    "booked": "vom Kunden gebucht",
    "individual": "privat / extern",
    "deadline": "Frist (Feuerstättenbescheid)",
    "import-ok": "Import vollständig",
    "import-rework": "Import nacharbeiten",
    "import-unrecognised": "Import nicht erkannt",
}


def legend() -> list[Legend]:
    return [Legend(state=name, label=state.label, colour=state.colour,
                   meaning=MEANINGS.get(name, state.label))
            for name, state in rules.STATES.items()]


def get_deadlines(api: Api, request: Request) -> tuple[int, EntryList]:
    """Deadline entries due in the coming ``days`` (soonest first)."""
    now = api.now(request.query.now)
    days = request.query.days or DEADLINE_DAYS
    calendars = api.calendars(request.user, request.groups)
    low = int(now.timestamp()) - 86400
    with api.storage.acquire_lock("r", request.user):
        api.index.sync(calendars)
        rows = api.index.rows(
            "calendar IN (%s) AND valid AND kind = 'deadline' AND start >= ? AND start < ?"
            % ",".join("?" * len(calendars)), (*calendars, low, low + (days + 1) * 86400)) \
            if calendars else []
    rows.sort(key=lambda r: r["start"])
    return 200, EntryList(now=now.isoformat(), entries=[
        api.entry_json(r, window_start=r["window_start"]) for r in rows])


def get_holds(api: Api, request: Request) -> tuple[int, Holds]:
    now = api.now(request.query.now)
    staff = api.all_staff()
    found = []
    for row in api.state.every_hold(int(now.timestamp())):
        member = staff_for_calendar(staff, row["calendar"])
        found.append(HoldOut(
            hold=row["id"], staff=member.id if member else None,
            calendar=calendar_url(row["calendar"]),
            start=_iso(api, row["start"]), end=_iso(api, row["end"]),
            expires=_iso(api, row["until"]), holder=row["holder"]))
    return 200, Holds(now=now.isoformat(), holds=found)


def _iso(api: Api, epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, api.timezone).isoformat()


# --- the week board -----------------------------------------------------------------

def get_week(api: Api, request: Request) -> tuple[int, Board]:
    query = request.query
    now = api.now(query.now)
    day = query.start or now.astimezone(api.timezone).date()
    monday = day - dt.timedelta(days=day.weekday())
    members = api.staff(request.user, request.groups, "r")
    if query.staff:
        members = [api.staff_member(request.user, request.groups, query.staff, "r")]
    frm = dt.datetime.combine(monday, dt.time(0), api.timezone)
    to = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0), api.timezone)
    off = dict(days_off(api.call_settings, monday, 7))
    rows_out = []
    with api.storage.acquire_lock("r", request.user):
        api.index.sync([c for m in members for c in m.calendars])
        for member in members:
            entries = _week_entries(api, member, frm, to)
            hours = api.working_hours.for_staff(member.id)
            days = []
            for n in range(7):
                date = monday + dt.timedelta(days=n)
                low = dt.datetime.combine(date, dt.time(0), api.timezone)
                high = low + dt.timedelta(days=1)
                mine = [e for start, end, e in entries if start < high and end > low
                        or (start == end and low <= start < high)]
                days.append(BoardDay(
                    date=date.isoformat(), holiday=off.get(date),
                    hours=[IntervalOut(start=clock(a), end=clock(b))
                           for a, b in hours.local_intervals(date)],
                    entries=mine))
            rows_out.append(BoardRow(staff=member.id, name=member.name, days=days))
    return 200, Board(**{"from": monday.isoformat(),
                         "to": (monday + dt.timedelta(days=6)).isoformat()},
                      rows=rows_out, legend=legend())


def _week_entries(api: Api, member, frm: dt.datetime, to: dt.datetime) -> list:
    """(start, end, Entry) of everything in the member's calendars between
    ``frm`` and ``to``: single entries from the index, recurring ones
    expanded (each occurrence at its own time)."""
    low, high = int(frm.timestamp()), int(to.timestamp())
    found = []
    for calendar in member.calendars:
        rows = api.index.rows("calendar = ? AND valid AND start IS NOT NULL AND ("
                              "(NOT recurring AND start < ? AND end >= ?) OR "
                              "(recurring AND start < ?))", (calendar, high, low, high))
        for row in rows:
            if not row["recurring"]:
                start = dt.datetime.fromtimestamp(row["start"], api.timezone)
                end = dt.datetime.fromtimestamp(max(row["end"], row["start"]), api.timezone)
                found.append((start, end, api.entry_json(row)))
                continue
            for busy in availability.busy_from_event(api.read_item(calendar, row["href"]),
                                                     frm, to, api.timezone):
                entry = api.entry_json(row)
                entry.start, entry.end = busy.start.isoformat(), busy.end.isoformat()
                found.append((busy.start, busy.end, entry))
    found.sort(key=lambda item: item[0])
    return found


# --- one entry ------------------------------------------------------------------------

def _find(api: Api, request: Request, calendar: Optional[str], permission: str):
    calendars = api.calendars(request.user, request.groups, permission)
    if calendar:
        if sane_path(calendar) not in calendars:
            raise ApiError(404, "no calendar %s you may use" % calendar)
        calendars = [sane_path(calendar)]
    api.index.sync(calendars)
    found = api.index.entries_with_uid(calendars, request.path.uid)
    if not found:
        raise ApiError(404, "no entry with UID %s in the calendars you may use" % request.path.uid)
    if len(found) > 1:
        raise ApiError(409, "UID %s is in several calendars; say which with calendar"
                       % request.path.uid, calendars=[calendar_url(r["calendar"]) for r in found])
    return found[0]


def contact_json(row) -> ContactOut:
    return ContactOut(uid=row["uid"], addressbook=calendar_url(row["addressbook"]),
                      href=row["href"], name=row["name"], phone=row["phone"],
                      phone_type=row["phone_type"], location=row["location"],
                      address=row["address"],
                      buildings=[b for b in (row["buildings"] or "").split("\x1f") if b])


def get_entry(api: Api, request: Request) -> tuple[int, EntryDetail]:
    with api.storage.acquire_lock("r", request.user):
        row = _find(api, request, request.query.calendar, "r")
        location, description = profile.notes_of(api.read_item(row["calendar"], row["href"]))
        contact = api.index.find_contact(row["contact"], row["building"])
        readable = api.calendars(request.user, request.groups)
        others = api.index.building_entries(readable, row["building"]) if row["building"] else []
    others = sorted((r for r in others if (r["calendar"], r["href"]) != (row["calendar"],
                                                                        row["href"])),
                    key=lambda r: r["start"] or 0)
    log = [line for line in (description or "").splitlines() if LOG_LINE.match(line)]
    return 200, EntryDetail(entry=api.entry_json(row), location=location,
                            description=description, log=log,
                            contact=contact_json(contact) if contact is not None else None,
                            building=[api.entry_json(r) for r in others])


def post_fix(api: Api, request: Request) -> tuple[int, EntryChanged]:
    """The data-missing list's fix: the phone or address typed in the office
    goes into the entry through the storage, which derives its new state."""
    body: FixRequest = request.body
    if body.phone is None and body.location is None:
        raise ApiError(400, "Bitte eine Telefonnummer oder eine Adresse angeben.",
                       problems={"phone": "Bitte eine Telefonnummer oder eine Adresse angeben."})
    now = api.now(None)
    with api.storage.acquire_lock("w", request.user):
        row = _find(api, request, body.calendar, "w")
        collection = api.collection(row["calendar"])
        item = collection.stored(row["href"])
        if item is None:
            raise ApiError(404, "the entry %s is gone" % request.path.uid)
        if body.etag and body.etag != item.etag:
            raise ApiError(409, "the entry changed since you read it; read it again",
                           etag=item.etag)
        what = " und ".join(w for w, v in (("Telefon", body.phone), ("Adresse", body.location))
                            if v is not None)
        log = "%s %s ergänzt im Büro von %s" % (now.strftime("%d.%m.%Y %H:%M"), what,
                                               request.user)
        text = profile.fix_text(item.serialize(), body.phone, body.location, log)
        collection.upload(row["href"], radicale_item.Item(collection_path=row["calendar"],
                                                          text=text))
        stored = api.stored(row["calendar"], row["href"])
        with api.office.state.transaction() as db:
            api.office.changed(db, request.user, "entries",
                               "%s eines Eintrags ergänzt (%s)" % (what, calendar_url(
                                   row["calendar"])))
    return 200, EntryChanged(entry=api.entry_json(stored), log=log)
