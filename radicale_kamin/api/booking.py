"""Endpoints of booking: holds, bookings, moving and cancelling
(docs/api.md). Every one that places an appointment runs ``busy.check_free``
under the storage write lock, so a slot is never given twice."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Optional

import radicale.item as radicale_item

from radicale_kamin.entries import profile
from radicale_kamin.api.busy import check_free, check_free_for_entry
from radicale_kamin.api.errors import ApiError
from radicale_kamin.api.models import (Booked, BookingRequest, CancelRequest, EntryChanged, Hold,
                                       HoldRequest, MoveRequest, Released)
from radicale_kamin.api.paths import calendar_url
from radicale_kamin.api.request import Request

if TYPE_CHECKING:
    from radicale_kamin.api.service import Api


def _stamp(api: Api, moment: dt.datetime) -> str:
    return moment.astimezone(api.timezone).strftime("%d.%m.%Y %H:%M")


def _end(api: Api, body: HoldRequest) -> dt.datetime:
    minutes = body.duration or api.slot_settings.duration_minutes
    return body.start + dt.timedelta(minutes=minutes)


def _own_hold(api: Api, request: Request, hold_id: str, now: dt.datetime, gone: int = 404):
    """The hold ``hold_id`` if it is alive and the user's (or the user is
    an admin): ``gone`` when expired or unknown, 403 when another user's."""
    held = api.state.get_hold(hold_id, int(now.timestamp()))
    if held is None:
        raise ApiError(gone, "hold %s has expired or does not exist" % hold_id)
    if held["holder"] != request.user and not api.is_admin(request.user):
        raise ApiError(403, "hold %s belongs to another user" % hold_id)
    return held


def post_hold(api: Api, request: Request) -> tuple[int, Hold]:
    body: HoldRequest = request.body
    start, end = body.start, _end(api, body)
    member = api.staff_member(request.user, request.groups, body.staff, "w")
    now = api.now(request.query.now)
    with api.storage.acquire_lock("w", request.user):
        api.index.sync(member.calendars)
        check_free(api, member, start, end, now)
        hold_id = uuid.uuid4().hex
        until = now + dt.timedelta(minutes=api.hold_minutes)
        api.state.hold(hold_id, member.bookable, int(start.timestamp()), int(end.timestamp()),
                       int(until.timestamp()), request.user)
    return 201, Hold(hold=hold_id, expires=until.isoformat(), staff=body.staff,
                     start=start.isoformat(), end=end.isoformat())


def post_hold_release(api: Api, request: Request) -> tuple[int, Released]:
    """Only the holder (or an admin) gives a hold back."""
    now = api.now(request.query.now)
    with api.storage.acquire_lock("w", request.user):
        _own_hold(api, request, request.path.hold, now)
        released = api.state.drop_hold(request.path.hold)
    return 200, Released(released=released)


def post_booking(api: Api, request: Request) -> tuple[int, Booked]:
    body: BookingRequest = request.body
    start, end = body.start, _end(api, body)
    member = api.staff_member(request.user, request.groups, body.staff, "w")
    calendar = member.bookable
    now = api.now(request.query.now)
    with api.storage.acquire_lock("w", request.user):
        api.index.sync(member.calendars)
        if body.hold is not None:
            held = _own_hold(api, request, body.hold, now, gone=409)
            if (held["calendar"], held["start"], held["end"]) != (
                    calendar, int(start.timestamp()), int(end.timestamp())):
                raise ApiError(400, "hold %s is for another slot" % body.hold)
        check_free(api, member, start, end, now, skip_hold=body.hold, work=body.work)
        uid = uuid.uuid4().hex
        log = "%s Termin gebucht (%s) von %s" % (
            _stamp(api, now), "vom Kunden" if body.kind == "external" else "Terminvorschlag",
            request.user)
        if body.note:
            log += " – " + body.note
        text = profile.new_entry_text(
            uid=uid, start=start, end=end, created=now, kind=body.kind,
            summary=body.summary or "Schornsteinfeger: %s" % (
                body.customer or body.building or "Termin"),
            customer=body.customer, phone=body.phone, building=body.building,
            location=body.location, log_line=log, extra={"X-KAMIN-WORK": body.work})
        href = uid + ".ics"
        api.collection(calendar).upload(
            href, radicale_item.Item(collection_path=calendar, text=text))
        if body.hold is not None:
            api.state.drop_hold(body.hold)
        row = api.stored(calendar, href)
    return 201, Booked(uid=uid, calendar=calendar_url(calendar), href=href, etag=row["etag"],
                       entry=api.entry_json(row))


def _booked_entry(api: Api, request: Request, calendar: Optional[str], etag: Optional[str]):
    """(row, item) of the entry of the path's UID, unless it changed since
    the ETag the client read (409)."""
    row = api.find_entry(request.user, request.groups, request.path.uid, calendar)
    expected = request.if_match or etag
    item = api.collection(row["calendar"]).stored(row["href"])
    if item is None:
        raise ApiError(404, "the entry %s is gone" % request.path.uid)
    if expected and expected != item.etag:
        raise ApiError(409, "the entry changed since you read it; read it again", etag=item.etag)
    return row, item


def _rewrite(api: Api, row, text: str):
    """Store the entry's new text; its index row as stored."""
    api.collection(row["calendar"]).upload(
        row["href"], radicale_item.Item(collection_path=row["calendar"], text=text))
    return api.stored(row["calendar"], row["href"])


def post_move(api: Api, request: Request) -> tuple[int, EntryChanged]:
    """Reschedule: the entry keeps its history, the move is logged."""
    body: MoveRequest = request.body
    now = api.now(request.query.now)
    with api.storage.acquire_lock("w", request.user):
        row, item = _booked_entry(api, request, body.calendar, body.etag)
        if row["start"] is None:
            raise ApiError(400, "the entry %s has no start to move" % request.path.uid)
        length = max((row["end"] or row["start"]) - row["start"], 0)
        end = body.start + dt.timedelta(seconds=length)
        check_free_for_entry(api, row, body.start, end, now)
        log = "%s verschoben auf %s von %s" % (_stamp(api, now), _stamp(api, body.start),
                                               request.user)
        stored = _rewrite(api, row, profile.move_text(item.serialize(), body.start, log))
    return 200, EntryChanged(entry=api.entry_json(stored), log=log)


def post_cancel(api: Api, request: Request) -> tuple[int, EntryChanged]:
    """Cancel: STATUS:CANCELLED frees the time; the entry and its history stay."""
    body: CancelRequest = request.body
    now = api.now(request.query.now)
    with api.storage.acquire_lock("w", request.user):
        row, item = _booked_entry(api, request, body.calendar, body.etag)
        log = "%s abgesagt von %s%s" % (_stamp(api, now), request.user,
                                       " – " + body.reason if body.reason else "")
        stored = _rewrite(api, row, profile.cancel_text(item.serialize(), log))
    return 200, EntryChanged(entry=api.entry_json(stored), log=log)
