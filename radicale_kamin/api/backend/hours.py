"""Endpoints of the working hours: ``GET/PUT staff/{id}/working-hours`` and
back to the file's. An employee may read and change their own, an admin
everyone's (``access="self"`` in the table)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from radicale_kamin.api.backend.models import (Absence, ExceptionOut, Holiday, IntervalOut,
                                               RotationOut, WorkingHoursAnswer)
from radicale_kamin.api.errors import ApiError
from radicale_kamin.api.paths import calendar_url
from radicale_kamin.api.request import Request
from radicale_kamin.schedule.hoursplan import (PlanRejected, days_off, hours_from_plan, notes_of,
                                               plan_of)

if TYPE_CHECKING:
    from radicale_kamin.api.service import Api

AHEAD_DAYS = 366


def _member(api: Api, staff_id: str):
    member = next((m for m in api.all_staff() if m.id == staff_id), None)
    if member is None:
        raise ApiError(404, "no staff member %s (a user with a staff calendar); see GET staff"
                       % staff_id)
    return member


def _intervals(items) -> list[IntervalOut]:
    return [IntervalOut(**item) for item in items]


def _week(week: dict) -> dict[str, list[IntervalOut]]:
    return {day: _intervals(items) for day, items in week.items()}


def working_hours(api: Api, staff_id: str, now: dt.datetime) -> WorkingHoursAnswer:
    """The hours in force for ``staff_id`` as a plan, with the days off and
    the all-day entries ahead beside them."""
    member = _member(api, staff_id)
    settings = api.call_settings
    stored = api.hours.stored(settings).get(staff_id)
    if stored is not None:
        plan = plan_of(hours_from_plan(stored, settings), notes_of(stored))
    else:
        plan = plan_of(api.working_hours.for_staff(staff_id))
    today = now.astimezone(api.timezone).date()
    changed_at = None
    if stored is not None:
        changed_at = dt.datetime.fromtimestamp(stored["changed_at"], api.timezone).isoformat()
    rotation = plan["rotation"]
    return WorkingHoursAnswer(
        staff=staff_id, name=member.name, source="backend" if stored else "file",
        changed_by=stored["changed_by"] if stored else None, changed_at=changed_at,
        weekly=_week(plan["weekly"]),
        rotation=RotationOut(start=rotation["start"], weeks=[_week(w) for w in rotation["weeks"]])
        if rotation else None,
        exceptions=[ExceptionOut(**{"from": e["from"], "to": e["to"],
                                    "hours": _intervals(e["hours"]), "kind": e["kind"],
                                    "note": e["note"]}) for e in plan["exceptions"]],
        holidays=[Holiday(date=day.isoformat(), name=name)
                  for day, name in days_off(settings, today, AHEAD_DAYS)],
        absences=_absences(api, member, today))


def _absences(api: Api, member, today: dt.date) -> list[Absence]:
    """All-day entries ahead in the member's calendars (vacation, sick days
    entered in a calendar app)."""
    low = int(dt.datetime.combine(today, dt.time(0), api.timezone).timestamp())
    high = low + AHEAD_DAYS * 86400
    rows = api.index.rows(
        "calendar IN (%s) AND valid AND all_day AND blocks AND start < ? AND end > ?"
        % ",".join("?" * len(member.calendars)), (*member.calendars, high, low))
    found = []
    for row in sorted(rows, key=lambda r: r["start"]):
        first = dt.datetime.fromtimestamp(row["start"], api.timezone).date()
        last = dt.datetime.fromtimestamp(max(row["end"] - 1, row["start"]), api.timezone).date()
        found.append(Absence(start=first.isoformat(), end=last.isoformat(),
                             summary=row["summary"], calendar=calendar_url(row["calendar"])))
    return found


def get_working_hours(api: Api, request: Request) -> tuple[int, WorkingHoursAnswer]:
    with api.storage.acquire_lock("r", request.user):
        api.index.sync(_member(api, request.path.staff).calendars)
        return 200, working_hours(api, request.path.staff, api.now(request.query.now))


def put_working_hours(api: Api, request: Request) -> tuple[int, WorkingHoursAnswer]:
    staff_id = request.path.staff
    _member(api, staff_id)
    plan = request.body.model_dump(mode="json", by_alias=True, exclude_none=True)
    try:
        api.hours.save(request.user, staff_id, plan, api.call_settings)
    except PlanRejected as e:
        raise ApiError(400, str(e), problems={"hours": str(e)}) from None
    _publish(api, staff_id, request)
    return get_working_hours(api, request)


def post_reset_hours(api: Api, request: Request) -> tuple[int, WorkingHoursAnswer]:
    _member(api, request.path.staff)
    api.hours.reset(request.user, request.path.staff)
    _publish(api, request.path.staff, request)
    return get_working_hours(api, request)


def _publish(api: Api, staff_id: str, request: Request) -> None:
    """The changed hours on the employee's calendars, as ``kamin setup``
    publishes them, so a client showing them need not wait for a restart."""
    today = api.now(request.query.now).date()
    with api.storage.acquire_lock("w", request.user):
        api.publish_working_hours(_member(api, staff_id).calendars, today)
