"""Endpoints of the calling workflow: whom to call, outcomes, the office's
lists, the staff (docs/api.md). Handlers get validated, typed requests
(``models.py``) and answer with answer models."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import radicale.item as radicale_item

from radicale_kamin.entries import profile, rules
from radicale_kamin.schedule import calls
from radicale_kamin.api.booking import check_free_for_entry
from radicale_kamin.api.errors import ApiError
from radicale_kamin.api.models import (ContactCandidate, DueCalls, EntryChanged, EntryList,
                                       OutcomeRequest, Released, StaffList)
from radicale_kamin.api.paths import calendar_url
from radicale_kamin.api.request import Request
from radicale_kamin.entries.contact import contacts_for_entry

if TYPE_CHECKING:
    from radicale_kamin.api.service import Api


def get_staff(api: Api, request: Request) -> tuple[int, StaffList]:
    return 200, StaffList(staff=[api.staff_json(s)
                                 for s in api.staff(request.user, request.groups, "r")])


def get_due_calls(api: Api, request: Request) -> tuple[int, DueCalls]:
    query = request.query
    now = api.now(query.now)
    holder = request.user if query.lease and not request.safe else None
    calendars = [c for c in api.calendars(request.user, request.groups) if api.is_staff(c)]
    due, etags = api.due_calls(calendars, now, holder, query.limit)
    return 200, DueCalls(now=now.isoformat(),
                         calling_time=calls.is_calling_time(now, api.call_settings),
                         calls=[api.call_json(c, etags) for c in due])


def _listed(api: Api, request: Request, rows_of):
    """(candidates, index row by (calendar, href)) for an office list: the
    rows ``rows_of(calendars)`` selects (a superset; the rules decide)."""
    calendars = api.calendars(request.user, request.groups)
    with api.storage.acquire_lock("r", request.user):
        api.index.sync(calendars)
        rows = rows_of(calendars)
    by_key = {(calendar_url(r["calendar"]), r["href"]): r for r in rows}
    return [api.candidate(r) for r in rows], by_key


def get_data_missing(api: Api, request: Request) -> tuple[int, EntryList]:
    now = api.now(request.query.now)
    candidates, by_key = _listed(api, request, lambda calendars: (
        api.index.data_missing_candidates(calendars, calls.ORANGE_STATES)))
    entries = []
    for candidate in calls.data_missing(candidates, now, api.call_settings):
        row = by_key[(candidate.calendar, candidate.href)]
        entries.append(api.entry_json(
            row, missing=row["missing"].split(",") if row["missing"] else [],
            contacts=_contact_candidates(api, row)))
    return 200, EntryList(now=now.isoformat(), entries=entries)


def _contact_candidates(api: Api, row) -> list[ContactCandidate]:
    """Contacts an unlinked entry may belong to by its address: several are
    listed for the office to choose (never guessed); one is linked already
    by the storage on the entry's next write."""
    if row["contact"] or row["building"] or not row["address_key"]:
        return []
    found = contacts_for_entry(row["customer"], api.index.contacts_at(row["address_key"]))
    return [ContactCandidate(uid=c["uid"], name=c["name"],
                             addressbook=calendar_url(c["addressbook"]), phone=c["phone"])
            for c in found]


def get_follow_up(api: Api, request: Request) -> tuple[int, EntryList]:
    settings = api.call_settings
    now = api.now(request.query.now)
    # Deadlines whose Formblatt may be overdue: due dates formblatt_days ago.
    formblatt_before = int(now.timestamp()) - settings.formblatt_days * 86400
    notice_works = [w.name for w in rules.WORKS.values() if w.notice]
    candidates, by_key = _listed(api, request, lambda calendars: (
        api.index.follow_up_candidates(calendars, formblatt_before, notice_works)))
    by_building: dict = {}
    for c in candidates:                # one pass: a district lists thousands of candidates
        by_building.setdefault(c.building, []).append(c)
    entries = []
    for candidate in calls.follow_up(candidates, now, settings):
        same_building = by_building[candidate.building]
        entries.append(api.entry_json(
            by_key[(candidate.calendar, candidate.href)],
            follow_up=calls.follow_up_reason(candidate, now, settings, same_building)))
    return 200, EntryList(now=now.isoformat(), entries=entries)


def post_outcome(api: Api, request: Request) -> tuple[int, EntryChanged]:
    body: OutcomeRequest = request.body
    now = api.now(request.query.now).replace(microsecond=0)
    expected_etag = request.if_match or body.etag
    uid = request.path.uid
    with api.storage.acquire_lock("w", request.user):
        row = api.find_entry(request.user, request.groups, uid, body.calendar)
        collection = api.collection(row["calendar"])
        item = collection.stored(row["href"])
        if item is None:
            raise ApiError(404, "the entry %s is gone" % uid)
        if expected_etag and expected_etag != item.etag:
            raise ApiError(409, "the entry changed since you read it; read it again",
                           etag=item.etag)
        candidate = api.candidate(row)
        try:
            update = calls.record_outcome(candidate, body.outcome, now, api.call_settings,
                                          at=body.at, new_start=body.start, note=body.note)
        except ValueError as e:     # the rules refuse it for this entry (e.g. a past callback)
            raise ApiError(400, str(e))
        if update.start is not None:        # rebooked: the same check as every booking
            start = row["start"] or 0
            length = dt.timedelta(seconds=max((row["end"] or start) - start, 0))
            check_free_for_entry(api, row, update.start, update.start + length, now)
        text = profile.apply_workflow(
            item.serialize(), outcome=update.outcome, attempts=update.attempts,
            callback=update.callback, last_attempt=update.last_attempt,
            notified=update.notified, new_start=update.start, formblatt=update.formblatt,
            log_line=update.log_line)
        collection.upload(row["href"], radicale_item.Item(collection_path=row["calendar"],
                                                          text=text))
        if candidate.phone:
            api.state.release(phone=candidate.phone)
        stored = api.stored(row["calendar"], row["href"])
    return 200, EntryChanged(entry=api.entry_json(stored), log=update.log_line)


def post_release(api: Api, request: Request) -> tuple[int, Released]:
    uid = request.path.uid
    with api.storage.acquire_lock("r", request.user):
        row = api.find_entry(request.user, request.groups, uid, request.body.calendar)
        released = api.state.release(phone=row["phone"]) if row["phone"] else 0
        released += api.state.release(uid=uid)
    return 200, Released(released=bool(released))
