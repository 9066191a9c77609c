"""Endpoints of the staff: add an employee (a user who can log in over
CalDAV at once, with a bookable calendar), reset a password, and every
account with its calendars for the *Mitarbeiter* page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from radicale_kamin.api.backend.models import (Account, AccountCalendar, Accounts, NewStaff,
                                               PasswordChanged)
from radicale_kamin.api.backend.settings import change_settings, users_file
from radicale_kamin.api.errors import ApiError
from radicale_kamin.api.models import Staff
from radicale_kamin.api.paths import calendar_url
from radicale_kamin.api.request import Request
from radicale_kamin.schedule import staff as staff_rules
from radicale_kamin.server import accounts

if TYPE_CHECKING:
    from radicale_kamin.api.service import Api



def _refused(e: accounts.AccountRefused) -> ApiError:
    field = "password" if "Passwort" in str(e) else "id"
    return ApiError(e.status, str(e), problems={field: str(e)})


def post_staff(api: Api, request: Request) -> tuple[int, Staff]:
    body: NewStaff = request.body
    try:
        accounts.set_password(users_file(api), body.id, body.password, create=True)
    except accounts.AccountRefused as e:
        raise _refused(e) from None
    calendar = "/%s/%s/" % (body.id, staff_rules.DEFAULT_CALENDAR)
    with api.storage.acquire_lock("w", request.user):
        if next(iter(api.storage.discover(calendar)), None) is None:
            api.storage.create_collection(calendar, props={
                "tag": "VCALENDAR", "D:displayname": "Termine",
                "C:supported-calendar-component-set": "VEVENT"})
        with api.office.state.transaction() as db:
            api.office.changed(db, request.user, "staff",
                               "Mitarbeiter %s angelegt (Kalender %s)" % (body.id, calendar))
    names = dict(api.settings.values["staff_names"])
    if names.get(body.id) != body.name:
        change_settings(api, request.user, {"staff_names": {**names, body.id: body.name}})
    member = next((m for m in api.all_staff() if m.id == body.id), None)
    if member is None:           # the admin marked the user non-staff before
        return 201, Staff(id=body.id, name=body.name, calendar=calendar, calendars=[calendar])
    return 201, api.staff_json(member)


def post_password(api: Api, request: Request) -> tuple[int, PasswordChanged]:
    staff_id = request.path.staff
    try:
        accounts.set_password(users_file(api), staff_id, request.body.password, create=False)
    except accounts.AccountRefused as e:
        raise _refused(e) from None
    with api.office.state.transaction() as db:
        api.office.changed(db, request.user, "staff", "Passwort von %s neu gesetzt" % staff_id)
    return 200, PasswordChanged(id=staff_id, changed=True)


def get_accounts(api: Api, request: Request) -> tuple[int, Accounts]:
    effective = api.settings
    calendars = api.index.calendars_on_disk()
    members = {m.id: m for m in api.all_staff()}
    stored_hours = api.hours.stored(api.call_settings)
    answer = []
    for user in accounts.users(users_file(api)):
        mine = [c for c in calendars if c.split("/")[0] == user]
        member = members.get(user)
        answer.append(Account(
            id=user, name=effective.staff_options.names.get(user, user.capitalize()),
            admin=user in effective.admins, staff=member is not None,
            calendars=[AccountCalendar(
                path=calendar_url(c), name=_display_name(api, c), staff=api.is_staff(c),
                bookable=member is not None and member.bookable == c) for c in mine],
            hours="backend" if user in stored_hours else "file"))
    return 200, Accounts(accounts=answer)


def _display_name(api: Api, calendar: str):
    collection = next(iter(api.storage.discover(calendar_url(calendar))), None)
    return collection.get_meta("D:displayname") if collection is not None else None
