"""Endpoints of the settings the office changes at run time and of the change
log (docs/backend.md)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from radicale_kamin.api.backend.models import (Change, Changes, SettingOption, SettingOptions,
                                               Settings)
from radicale_kamin.api.errors import ApiError
from radicale_kamin.api.request import Request
from radicale_kamin.schedule import settings as rules
from radicale_kamin.server import accounts

if TYPE_CHECKING:
    from radicale_kamin.api.service import Api


def refused(e: rules.SettingsRejected) -> ApiError:
    return ApiError(400, "; ".join("%s: %s" % item for item in e.problems.items()),
                    problems=e.problems)


def known_users(api: Api) -> frozenset:
    return frozenset(accounts.users(users_file(api)) or ())


def users_file(api: Api) -> str:
    """The users file Radicale reads; 409 when logins are not kept in one."""
    if api.configuration.get("auth", "type") not in ("htpasswd", "radicale_kamin.auth"):
        raise ApiError(409, "users are not kept in an htpasswd file here ([auth] type)")
    return api.configuration.get("auth", "htpasswd_filename")


def get_settings(api: Api, request: Request) -> tuple[int, Settings]:
    return 200, Settings(**api.settings.values)


def change_settings(api: Api, user: str, changes: dict) -> rules.Effective:
    """Store ``changes`` and apply them at once: the index's due periods are
    recomputed in place under the storage's write lock."""
    if "admins" in changes and isinstance(changes["admins"], list) \
            and user not in changes["admins"]:
        raise ApiError(400, "admins: Sie können sich nicht selbst als Admin entfernen.",
                       problems={"admins": "Sie können sich nicht selbst als Admin entfernen."})
    known = known_users(api) if "admins" in changes else None
    with api.storage.acquire_lock("w", user):
        try:
            effective = api.storage.office_settings.change(user, changes, known)
        except rules.SettingsRejected as e:
            raise refused(e) from None
        api.index.apply_call_settings(effective.call_settings)
    return effective


def put_settings(api: Api, request: Request) -> tuple[int, Settings]:
    changes = request.body.model_dump(exclude_unset=True)
    effective = change_settings(api, request.user, changes)
    return 200, Settings(**effective.values)


def get_setting_options(api: Api, request: Request) -> tuple[int, SettingOptions]:
    effective = api.settings
    defaults = api.storage.office_settings.defaults
    options = [SettingOption(
        name=o.name, value=effective.values[o.name],
        default=rules.from_config(o.name, defaults.get(o.name, "")),
        changed=o.name in effective.changed, kind=o.kind, group=o.group, label=o.label,
        help=o.help, minimum=o.low if o.kind == "int" else None,
        maximum=o.high if o.kind == "int" else None) for o in rules.OPTIONS]
    return 200, SettingOptions(options=options, groups=rules.GROUPS)


def get_changes(api: Api, request: Request) -> tuple[int, Changes]:
    rows = api.office.changes(request.query.limit or 200)
    return 200, Changes(changes=[Change(
        at=dt.datetime.fromtimestamp(r["at"], api.timezone).isoformat(), user=r["user"],
        area=r["area"], what=r["what"], old=r["old"], new=r["new"]) for r in rows])
