"""The backend's HTML forms as API requests: each function turns one form's
fields into the (method, path, JSON body) of the endpoint that does the
work — the page is a client of the API and never changes anything itself.

Pure: form fields (a mapping of lists, as browsers send them) in, a request
out. ``FormError`` refuses what cannot become a request (German).
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any, Callable, Mapping, Optional

from radicale_kamin.schedule.callsettings import WEEKDAYS
from radicale_kamin.schedule import settings as office_rules

Fields = Mapping[str, list[str]]
Call = tuple[str, str, Optional[dict]]          # method, API path (with query), JSON body
SLOTS_PER_DAY = 3                               # interval rows per weekday on the page
NEW_EXCEPTIONS = 2                              # empty exception rows on the page


class FormError(ValueError):
    """A form that cannot become a request; the message is German."""


def one(fields: Fields, name: str, default: str = "") -> str:
    values = fields.get(name) or [default]
    return values[0].strip()


def quoted(value: str) -> str:
    return urllib.parse.quote(value, safe="")


def _number_or_text(text: str) -> Any:
    return int(text) if re.fullmatch(r"\d{1,9}", text) else text


def settings_form(fields: Fields) -> Call:
    """The Regeln page: every calling and slot option shown on it."""
    body: dict[str, Any] = {}
    for option in office_rules.OPTIONS:
        if option.group == "staff" or ("present_" + option.name) not in fields:
            continue
        if option.kind == "bool":
            body[option.name] = one(fields, option.name) == "on"
        elif option.kind == "int":
            body[option.name] = _number_or_text(one(fields, option.name))
        else:
            body[option.name] = one(fields, option.name)
    return "PUT", "settings", body


def staff_settings_form(fields: Fields, users: list[str], calendars: list[str],
                        non_staff: list[str]) -> Call:
    """The Mitarbeiter page's table: display names, admins, which calendars
    are staff calendars, each user's bookable calendar."""
    names = {user: one(fields, "name_" + user) for user in users if one(fields, "name_" + user)}
    admins = [user for user in users if user in fields.get("admin", [])]
    staff_ticked = set(fields.get("staff_calendar", []))
    homes = [path for path in non_staff if path.strip("/").count("/") == 0]
    unticked = [path for path in calendars if path not in staff_ticked]
    booking = {user: one(fields, "bookable_" + user) for user in users
               if one(fields, "bookable_" + user)}
    return "PUT", "settings", {"staff_names": names, "admins": admins,
                               "non_staff_calendars": homes + unticked,
                               "booking_calendars": booking}


def new_staff_form(fields: Fields) -> Call:
    if one(fields, "password") != one(fields, "password2"):
        raise FormError("Die beiden Passwörter stimmen nicht überein.")
    return "POST", "staff", {"id": one(fields, "id"), "name": one(fields, "name"),
                             "password": one(fields, "password")}


def password_form(fields: Fields) -> Call:
    return "POST", "staff/%s/password" % quoted(one(fields, "user")), {
        "password": one(fields, "password")}


def _week(fields: Fields, prefix: str) -> dict[str, list[dict[str, str]]]:
    week: dict[str, list[dict[str, str]]] = {}
    for day in WEEKDAYS:
        intervals = []
        for n in range(1, SLOTS_PER_DAY + 1):
            start = one(fields, "%s_%s_%d_start" % (prefix, day, n))
            end = one(fields, "%s_%s_%d_end" % (prefix, day, n))
            if start or end:
                intervals.append({"start": start, "end": end})
        week[day] = intervals
    return week


def hours_form(fields: Fields, staff: str) -> Call:
    """The Arbeitszeiten page: the whole plan (week A, week B, exceptions)."""
    plan: dict[str, Any] = {"weekly": _week(fields, "w0"), "exceptions": []}
    if one(fields, "rotation") == "on":
        plan["rotation"] = {"start": one(fields, "rotation_start"),
                            "weeks": [_week(fields, "w1")]}
    rows = sorted({name.split("_")[1] for name in fields if re.fullmatch(r"ex_\w+_from", name)})
    for row in rows:
        prefix = "ex_%s_" % row
        first = one(fields, prefix + "from")
        if not first or one(fields, prefix + "delete") == "on":
            continue
        exception: dict[str, Any] = {"from": first, "kind": one(fields, prefix + "kind", "other")}
        if one(fields, prefix + "to"):
            exception["to"] = one(fields, prefix + "to")
        start, end = one(fields, prefix + "start"), one(fields, prefix + "end")
        exception["hours"] = [{"start": start, "end": end}] if start or end else []
        if one(fields, prefix + "note"):
            exception["note"] = one(fields, prefix + "note")
        plan["exceptions"].append(exception)
    return "PUT", "staff/%s/working-hours" % quoted(staff), plan


def fix_form(fields: Fields) -> Call:
    body: dict[str, Any] = {"calendar": one(fields, "calendar")}
    for name in ("phone", "location"):
        if one(fields, name):
            body[name] = one(fields, name)
    return "POST", "entries/%s/fix" % quoted(one(fields, "uid")), body


def contact_form(fields: Fields, uid: str) -> Call:
    body = {"addressbook": one(fields, "addressbook")}
    for name in ("name", "phone", "location"):
        if name in fields:
            body[name] = one(fields, name)
    return "PUT", "contacts/%s" % quoted(uid), body


def subscription_form(fields: Fields) -> Call:
    return "POST", "subscriptions", {
        "name": one(fields, "name"), "url": one(fields, "url"),
        "calendar": one(fields, "calendar"),
        "interval": _number_or_text(one(fields, "interval", "60"))}


def subscription_action(fields: Fields, action: str) -> Call:
    return "POST", "subscriptions/%s/%s" % (quoted(one(fields, "name")), action), None


def webhook_form(fields: Fields) -> Call:
    """The Webhooks page's new subscriber: ticked events and calendars."""
    return "POST", "webhooks/subscribers", {
        "name": one(fields, "name"), "url": one(fields, "url"), "secret": one(fields, "secret"),
        "events": [e for e in fields.get("events", []) if e],
        "calendars": [c for c in fields.get("calendars", []) if c],
        "replace": one(fields, "replace") == "on"}


def webhook_action(fields: Fields, action: str) -> Call:
    return "POST", "webhooks/subscribers/%s/%s" % (quoted(one(fields, "name")), action), None


def retry_form(fields: Fields) -> Call:
    """"Erneut senden": one parked event, a subscriber's, or all."""
    body: dict[str, Any] = {}
    if one(fields, "subscriber"):
        body["subscriber"] = one(fields, "subscriber")
    if one(fields, "delivery"):
        body["delivery"] = _number_or_text(one(fields, "delivery"))
    return "POST", "webhooks/retry", body


def columns_of(fields: Fields) -> dict[str, str]:
    """The import page's column mapping: ``column_N`` header, ``field_N``."""
    mapping = {}
    for name in fields:
        match = re.fullmatch(r"column_(\d+)", name)
        if match:
            header = one(fields, name)
            field = one(fields, "field_" + match.group(1)) or "ignore"
            mapping[header] = field
    return mapping


def preview_form(fields: Fields, import_id: str) -> Call:
    return "POST", "imports/%s/preview" % quoted(import_id), {"columns": columns_of(fields)}


FORMS: dict[str, Callable[..., Call]] = {
    "settings": settings_form, "new-staff": new_staff_form, "password": password_form,
    "fix": fix_form, "subscription": subscription_form,
}
