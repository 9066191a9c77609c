"""JSON API endpoints of the calling workflow: whom to call, outcomes,
the office's lists, the staff (CONTRACT.md section 3)."""

from __future__ import annotations

import datetime as dt
from typing import Optional
from zoneinfo import ZoneInfo

import radicale.item as radicale_item

from radicale_kamin import calls, profile, rules
from radicale_kamin.api import Api, ApiError, Request, calendar_url, route
from radicale_kamin.api_booking import check_free_for_entry
from radicale_kamin.contact import contacts_for_entry
from radicale_kamin.entry import parse_moment


@route("GET", r"staff")
def get_staff(api: Api, request: Request) -> tuple[int, dict]:
    return 200, {"staff": [api.staff_json(s) for s in api.staff(request, "r")]}


def _parse_bool_query(request: Request, name: str, default: bool) -> bool:
    raw = request.query.get(name)
    if raw is None:
        return default
    if raw.lower() == "true":
        return True
    if raw.lower() == "false":
        return False
    raise ApiError(400, "%s: use true or false" % name)


@route("GET", r"due-calls", query=("now", "lease", "limit"))
def get_due_calls(api: Api, request: Request) -> tuple[int, dict]:
    now = api.now(request)
    lease = _parse_bool_query(request, "lease", True) and not request.safe
    holder = request.user if lease else None
    limit = request.query.get("limit")
    if limit is not None and (not limit.isdigit() or int(limit) < 1):
        raise ApiError(400, "limit: a whole number 1 or more")
    calendars = [c for c in api.calendars(request) if api.is_staff(c)]
    due, etags = api.due_calls(calendars, now, holder, int(limit) if limit else None)
    return 200, {"now": now.isoformat(),
                 "calling_time": calls.is_calling_time(now, api.call_settings),
                 "calls": [api.call_json(c, etags) for c in due]}


def _sql_list(values) -> str:
    return ",".join("'%s'" % value for value in values)


def _listed(api: Api, request: Request, where: str, parameters=()):
    """(now, candidates, index row by (calendar, href)) for an office list:
    the rows ``where`` selects (a superset; the rules decide)."""
    now = api.now(request)
    calendars = api.calendars(request)
    with api.storage.acquire_lock("r", request.user):
        api.index.sync(calendars)
        # Deadlines a booking settles are never on a list (the index decides).
        rows = api.rows(calendars, "valid AND start IS NOT NULL AND NOT (kind = 'deadline'"
                        " AND settled) AND (%s)" % where, parameters)
    by_key = {(calendar_url(r["calendar"]), r["href"]): r for r in rows}
    return now, [api.candidate(r) for r in rows], by_key


@route("GET", r"data-missing", query=("now",))
def get_data_missing(api: Api, request: Request) -> tuple[int, dict]:
    now, candidates, by_key = _listed(
        api, request, "state IN (%s) OR (kind = 'deadline' AND phone IS NULL"
        " AND outcome IS NULL AND notified IS NULL AND formblatt IS NULL)"
        % _sql_list(calls.ORANGE_STATES))
    entries = []
    for candidate in calls.data_missing(candidates, now, api.call_settings):
        row = by_key[(candidate.calendar, candidate.href)]
        entry = api.entry_json(row)
        entry["missing"] = row["missing"].split(",") if row["missing"] else []
        entry["contacts"] = _contact_candidates(api, row)
        entries.append(entry)
    return 200, {"now": now.isoformat(), "entries": entries}


def _contact_candidates(api: Api, row) -> list[dict]:
    """Contacts an unlinked entry may belong to by its address: several are
    listed for the office to choose (never guessed); one is linked already
    by the storage on the entry's next write."""
    if row["contact"] or row["building"] or not row["address_key"]:
        return []
    found = contacts_for_entry(row["customer"], api.index.contacts_at(row["address_key"]))
    return [{"uid": c["uid"], "name": c["name"], "addressbook": calendar_url(c["addressbook"]),
             "phone": c["phone"]} for c in found]


@route("GET", r"follow-up", query=("now",))
def get_follow_up(api: Api, request: Request) -> tuple[int, dict]:
    settings = api.call_settings
    # Deadlines whose Formblatt may be overdue: due dates formblatt_days ago.
    formblatt_before = int(api.now(request).timestamp()) - settings.formblatt_days * 86400
    notice_works = [w.name for w in rules.WORKS.values() if w.notice]
    now, candidates, by_key = _listed(
        api, request,
        "kind IN ('internal', 'deadline') AND (outcome IN ('rejected', 'callback')"
        " OR state IN ('rejected', 'callback') OR attempts > 0"
        " OR (kind = 'deadline' AND formblatt IS NULL AND start <= ?)"
        " OR (kind = 'internal' AND outcome IS NULL AND work IN (%s)))" % _sql_list(notice_works),
        (formblatt_before,))
    entries = []
    for candidate in calls.follow_up(candidates, now, settings):
        same_building = [c for c in candidates if c.building == candidate.building]
        entry = api.entry_json(by_key[(candidate.calendar, candidate.href)])
        entry["follow_up"] = calls.follow_up_reason(candidate, now, settings, same_building)
        entries.append(entry)
    return 200, {"now": now.isoformat(), "entries": entries}


def _optional_string(body: dict, name: str) -> Optional[str]:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ApiError(400, "%s: a string is expected" % name)
    return value or None


def _optional_moment(body: dict, name: str, tz: ZoneInfo) -> Optional[dt.datetime]:
    raw = body.get(name)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise ApiError(400, "%s: an ISO 8601 date-time string is expected" % name)
    try:
        return parse_moment(raw, tz)
    except ValueError:
        raise ApiError(400, "%s: not an ISO 8601 date-time, e.g. 2026-12-01T09:30:00+01:00" % name)


@route("POST", r"calls/(?P<uid>[^/]+)/outcome", query=("now",))
def post_outcome(api: Api, request: Request) -> tuple[int, dict]:
    body = request.json()
    outcome = body.get("outcome")
    if outcome not in calls.OUTCOMES:
        raise ApiError(400, "outcome: one of %s is required" % ", ".join(calls.OUTCOMES))
    tz = api.timezone
    at = _optional_moment(body, "at", tz)
    new_start = _optional_moment(body, "start", tz)
    note = _optional_string(body, "note")
    calendar = _optional_string(body, "calendar")
    now = api.now(request).replace(microsecond=0)
    expected_etag = request.environ.get("HTTP_IF_MATCH") or _optional_string(body, "etag")
    uid = request.params["uid"]
    with api.storage.acquire_lock("w", request.user):
        row = api.find_entry(request, uid, calendar)
        collection = next(iter(api.storage.discover(calendar_url(row["calendar"]))), None)
        item = collection._get(row["href"], verify_href=False) if collection else None
        if item is None:
            raise ApiError(404, "the entry %s is gone" % uid)
        if expected_etag and expected_etag != item.etag:
            raise ApiError(409, "the entry changed since you read it; read it again",
                           etag=item.etag)
        candidate = api.candidate(row)
        try:
            update = calls.record_outcome(candidate, outcome, now, api.call_settings,
                                          at=at, new_start=new_start, note=note)
        except ValueError as e:
            raise ApiError(400, str(e))
        if update.start is not None:        # rebooked: the same check as every booking
            length = dt.timedelta(seconds=max(row["end"] - row["start"], 0))
            check_free_for_entry(api, row, update.start, update.start + length, now)
        text = profile.apply_workflow(
            item.serialize(), outcome=update.outcome, attempts=update.attempts,
            callback=update.callback, last_attempt=update.last_attempt,
            notified=update.notified, new_start=update.start, formblatt=update.formblatt,
            log_line=update.log_line)
        new_item = radicale_item.Item(collection_path=row["calendar"], text=text)
        collection.upload(row["href"], new_item)
        api.index.release(phone=candidate.phone) if candidate.phone else None
        stored = api.rows([row["calendar"]], "href=?", (row["href"],))[0]
    return 200, {"entry": api.entry_json(stored), "log": update.log_line}


@route("POST", r"calls/(?P<uid>[^/]+)/release")
def post_release(api: Api, request: Request) -> tuple[int, dict]:
    uid = request.params["uid"]
    with api.storage.acquire_lock("r", request.user):
        row = api.find_entry(request, uid, _optional_string(request._body or {}, "calendar"))
        released = api.index.release(phone=row["phone"]) if row["phone"] else 0
        released += api.index.release(uid=uid)
    return 200, {"released": bool(released)}
