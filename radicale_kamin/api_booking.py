"""JSON API endpoints of availability and booking: buildings, free slots,
holds and bookings (CONTRACT.md section 3).

Booking is atomic across threads and processes: the check that a slot is
free and the write of the new entry happen under Radicale's storage write
lock (a file lock), and every write path — ours and any CalDAV client's —
updates the side index inside that lock. Two bookings of one slot give one
201 and one 409, never two entries.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Optional

import radicale.item as radicale_item

from radicale_kamin import availability, calls, profile, rules
from radicale_kamin.api import Api, ApiError, Request, calendar_url, route
from radicale_kamin.entry import parse_moment
from radicale_kamin.staff import Staff, staff_for_calendar

MAX_RANGE_DAYS = 62
BOOKING_KINDS = ("external", "internal")


# --- reading the request ------------------------------------------------------

def _moment(api: Api, raw, name: str) -> dt.datetime:
    if not isinstance(raw, str) or not raw.strip():
        raise ApiError(400, "%s: an ISO 8601 date-time is required, e.g. 2026-12-01T09:00" % name)
    try:
        return parse_moment(raw, api.timezone)
    except ValueError:
        raise ApiError(400, "%s: not an ISO 8601 date-time, e.g. 2026-12-01T09:00" % name)


def _duration(api: Api, raw) -> int:
    if raw is None or raw == "":
        return api.slot_settings.duration_minutes
    try:
        minutes = int(raw)
    except (TypeError, ValueError):
        raise ApiError(400, "duration: whole minutes are expected, e.g. 60")
    if isinstance(raw, bool) or not 5 <= minutes <= 600:
        raise ApiError(400, "duration: between 5 and 600 minutes")
    return minutes


def _text(body: dict, name: str, required: bool = False) -> Optional[str]:
    value = body.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ApiError(400, "%s is required" % name)
        return None
    if not isinstance(value, str):
        raise ApiError(400, "%s: a string is expected" % name)
    if len(value) > 500:
        raise ApiError(400, "%s: at most 500 characters" % name)
    return value.strip()


def _work(raw) -> Optional[str]:
    """The work (X-KAMIN-WORK) a slot or booking is for, or None."""
    if raw is None or raw == "":
        return None
    work = rules.work_of(raw) if isinstance(raw, str) else None
    if work is None:
        raise ApiError(400, "work: one of %s" % ", ".join(rules.WORKS))
    return work.name


# --- busy time ---------------------------------------------------------------------

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
        for hold in api.index.active_holds(calendar, low, high, int(now.timestamp())):
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


def _building_context(api: Api, calendars: list[str], building: Optional[str], now: dt.datetime):
    """(near, window) for slots for a building: its street and PLZ, and the
    open Feuerstättenbescheid window if it has a deadline entry."""
    if not building:
        return None, None
    rows = api.rows(calendars, "valid AND building = ?", (building,))
    if not rows:
        raise ApiError(404, "no entries for building %s in the calendars you may read" % building)
    located = [r for r in rows if r["street"] or r["postcode"]]
    near = (located[-1]["street"], located[-1]["postcode"]) if located else None
    today = now.astimezone(api.timezone).date()
    windows = []
    for row in rows:
        if row["kind"] != "deadline" or row["outcome"] is not None:
            continue
        due = dt.datetime.fromtimestamp(row["start"], api.timezone).date()
        opens = dt.date.fromisoformat(row["window_start"]) if row["window_start"] else today
        if due >= today:
            windows.append((max(opens, today), due))
    window = min(windows, key=lambda w: w[1]) if windows else None
    return near, window


# --- endpoints -----------------------------------------------------------------------

@route("GET", r"slots", query=("from", "to", "duration", "staff", "building", "part", "now",
                              "work"))
def get_slots(api: Api, request: Request) -> tuple[int, dict]:
    frm = _moment(api, request.query.get("from"), "from")
    to = _moment(api, request.query.get("to"), "to")
    if not frm < to:
        raise ApiError(400, "from must be before to")
    if to - frm > dt.timedelta(days=MAX_RANGE_DAYS):
        raise ApiError(400, "at most %d days per query" % MAX_RANGE_DAYS)
    duration = _duration(api, request.query.get("duration"))
    part = request.query.get("part")
    try:
        part_hours = availability.part_of_day(part) if part else None
    except ValueError as e:
        raise ApiError(400, "part: %s" % e) from None
    now = api.now(request)
    work = _work(request.query.get("work"))
    staff_list = api.staff(request, "r")
    if request.query.get("staff"):
        staff_list = [api.staff_member(request, request.query["staff"], "r")]
    slots = []
    with api.storage.acquire_lock("r", request.user):
        api.index.sync([c for member in staff_list for c in member.calendars])
        near, window = _building_context(api, api.calendars(request),
                                         request.query.get("building"), now)
        if request.query.get("building") and window is None and api.has_deadline(
                api.calendars(request), request.query["building"]):
            return 200, {"slots": [], "window": None,
                         "note": "the building's Feuerstättenbescheid window is closed"}
        for member in staff_list:
            hours = api.working_hours.for_staff(member.id)
            busy = busy_time(api, member, frm, to, now)
            slots.extend(availability.free_slots(
                member.id, hours, busy, frm, to, now, api.slot_settings,
                duration=duration, near=near, window=window, part=part_hours))
    earliest = calls.earliest_start(work, now, api.call_settings)
    slots = [s for s in slots if s.start >= earliest]
    if near:
        slots.sort(key=lambda s: (-s.score, s.start, s.staff))
    else:
        slots.sort(key=lambda s: (s.start, s.staff))
    return 200, {
        "slots": [{"start": s.start.isoformat(), "end": s.end.isoformat(), "staff": s.staff,
                   "score": s.score} for s in slots],
        "window": {"from": window[0].isoformat(), "to": window[1].isoformat()} if window else None,
    }


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


@route("POST", r"holds", query=("now",))
def post_hold(api: Api, request: Request) -> tuple[int, dict]:
    body = request.json()
    start = _moment(api, body.get("start"), "start")
    end = start + dt.timedelta(minutes=_duration(api, body.get("duration")))
    staff_id = _text(body, "staff", required=True)
    member = api.staff_member(request, staff_id, "w")
    calendar = member.bookable
    now = api.now(request)
    with api.storage.acquire_lock("w", request.user):
        api.index.sync(member.calendars)
        check_free(api, member, start, end, now)
        hold_id = uuid.uuid4().hex
        until = now + dt.timedelta(minutes=api.hold_minutes)
        api.index.hold(hold_id, calendar, int(start.timestamp()), int(end.timestamp()),
                       int(until.timestamp()), request.user)
    return 201, {"hold": hold_id, "expires": until.isoformat(), "staff": staff_id,
                 "start": start.isoformat(), "end": end.isoformat()}


@route("POST", r"holds/(?P<hold>[^/]+)/release")
def post_hold_release(api: Api, request: Request) -> tuple[int, dict]:
    with api.storage.acquire_lock("w", request.user):
        released = api.index.drop_hold(request.params["hold"])
    return 200, {"released": released}


@route("POST", r"bookings", query=("now",))
def post_booking(api: Api, request: Request) -> tuple[int, dict]:
    body = request.json()
    start = _moment(api, body.get("start"), "start")
    end = start + dt.timedelta(minutes=_duration(api, body.get("duration")))
    kind = body.get("kind", "external")
    if kind not in BOOKING_KINDS:
        raise ApiError(400, "kind: external (the customer booked) or internal (we proposed)")
    staff_id = _text(body, "staff", required=True)
    work = _work(body.get("work"))
    fields = {name: _text(body, name) for name in
              ("customer", "phone", "building", "location", "summary", "note", "hold")}
    member = api.staff_member(request, staff_id, "w")
    calendar = member.bookable
    now = api.now(request)
    with api.storage.acquire_lock("w", request.user):
        api.index.sync(member.calendars)
        hold = fields["hold"]
        if hold is not None:
            held = api.index.get_hold(hold, int(now.timestamp()))
            if held is None:
                raise ApiError(409, "hold %s has expired or does not exist" % hold)
            if (held["calendar"], held["start"], held["end"]) != (
                    calendar, int(start.timestamp()), int(end.timestamp())):
                raise ApiError(400, "hold %s is for another slot" % hold)
        check_free(api, member, start, end, now, skip_hold=hold, work=work)
        uid = uuid.uuid4().hex
        stamp = now.astimezone(api.timezone).strftime("%d.%m.%Y %H:%M")
        log = "%s Termin gebucht (%s) von %s" % (
            stamp, "vom Kunden" if kind == "external" else "Terminvorschlag", request.user)
        if fields["note"]:
            log += " – " + fields["note"]
        text = profile.new_entry_text(
            uid=uid, start=start, end=end, created=now, kind=kind,
            summary=fields["summary"] or "Schornsteinfeger: %s" % (
                fields["customer"] or fields["building"] or "Termin"),
            customer=fields["customer"], phone=fields["phone"], building=fields["building"],
            location=fields["location"], log_line=log, extra={"X-KAMIN-WORK": work})
        collection = api.collection(calendar)
        href = uid + ".ics"
        collection.upload(href, radicale_item.Item(collection_path=calendar, text=text))
        if hold is not None:
            api.index.drop_hold(hold)
        row = api.rows([calendar], "href = ?", (href,))[0]
    entry = api.entry_json(row)
    return 201, {"uid": uid, "calendar": calendar_url(calendar), "href": href,
                 "etag": row["etag"], "entry": entry}


def _booked_entry(api: Api, request: Request, body: dict):
    row = api.find_entry(request, request.params["uid"], _text(body, "calendar"))
    expected = request.environ.get("HTTP_IF_MATCH") or _text(body, "etag")
    item = api.collection(row["calendar"])._get(row["href"], verify_href=False)
    if item is None:
        raise ApiError(404, "the entry %s is gone" % request.params["uid"])
    if expected and expected != item.etag:
        raise ApiError(409, "the entry changed since you read it; read it again", etag=item.etag)
    return row, item


@route("POST", r"bookings/(?P<uid>[^/]+)/move", query=("now",))
def post_move(api: Api, request: Request) -> tuple[int, dict]:
    """Reschedule: the entry keeps its history, the move is logged."""
    body = request.json()
    start = _moment(api, body.get("start"), "start")
    now = api.now(request)
    with api.storage.acquire_lock("w", request.user):
        row, item = _booked_entry(api, request, body)
        end = start + dt.timedelta(seconds=row["end"] - row["start"])
        check_free_for_entry(api, row, start, end, now)
        stamp = now.astimezone(api.timezone).strftime("%d.%m.%Y %H:%M")
        log = "%s verschoben auf %s von %s" % (
            stamp, start.astimezone(api.timezone).strftime("%d.%m.%Y %H:%M"), request.user)
        text = profile.move_text(item.serialize(), start, log)
        api.collection(row["calendar"]).upload(
            row["href"], radicale_item.Item(collection_path=row["calendar"], text=text))
        stored = api.rows([row["calendar"]], "href = ?", (row["href"],))[0]
    return 200, {"entry": api.entry_json(stored), "log": log}


@route("POST", r"bookings/(?P<uid>[^/]+)/cancel", query=("now",))
def post_cancel(api: Api, request: Request) -> tuple[int, dict]:
    """Cancel: STATUS:CANCELLED frees the time; the entry and its history stay."""
    body = request.json()
    reason = _text(body, "reason")
    now = api.now(request)
    with api.storage.acquire_lock("w", request.user):
        row, item = _booked_entry(api, request, body)
        stamp = now.astimezone(api.timezone).strftime("%d.%m.%Y %H:%M")
        log = "%s abgesagt von %s%s" % (stamp, request.user, " – " + reason if reason else "")
        text = profile.cancel_text(item.serialize(), log)
        api.collection(row["calendar"]).upload(
            row["href"], radicale_item.Item(collection_path=row["calendar"], text=text))
        stored = api.rows([row["calendar"]], "href = ?", (row["href"],))[0]
    return 200, {"entry": api.entry_json(stored), "log": log}


@route("GET", r"buildings/(?P<building>[^/]+)", query=("now",))
def get_building(api: Api, request: Request) -> tuple[int, dict]:
    """Everything the calendars know of one building (Liegenschaft)."""
    building = request.params["building"]
    calendars = api.calendars(request)
    with api.storage.acquire_lock("r", request.user):
        api.index.sync(calendars)
        rows = api.rows(calendars, "valid AND building = ?", (building,))
    if not rows:
        raise ApiError(404, "no entries for building %s in the calendars you may read" % building)
    rows.sort(key=lambda r: (r["start"] is None, r["start"] or 0))
    appointments = [r for r in rows if r["kind"] != "deadline"]
    deadlines = []
    for row in (r for r in rows if r["kind"] == "deadline"):
        deadline = api.entry_json(row)
        deadline["window_start"] = row["window_start"]
        deadlines.append(deadline)
    now = int(api.now(request).timestamp())
    upcoming = [r for r in appointments
                if r["start"] is not None and r["start"] >= now and r["blocks"]]
    latest = max(rows, key=lambda r: (r["customer"] is not None, r["phone"] is not None,
                                      r["start"] or 0))
    contact = {"customer": latest["customer"], "phone": latest["phone"],
               "phone_type": latest["phone_type"], "location": latest["location"],
               "street": latest["street"], "postcode": latest["postcode"],
               "address": latest["address"]}
    return 200, {"building": building, "contact": contact,
                 "entries": [api.entry_json(r) for r in appointments],
                 "deadlines": deadlines,
                 "next": api.entry_json(upcoming[0]) if upcoming else None}

