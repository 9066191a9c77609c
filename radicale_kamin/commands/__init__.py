"""Sub-commands of ``kamin``; see ``radicale_kamin.commands.cli``. Helpers shared by
the commands that work on a Radicale storage live here."""

from __future__ import annotations

import os
from typing import Any, Iterator

# Users that are not staff: they get no calendar of their own.
NON_STAFF_USERS = ("assistant",)


def radicale_config(path: str) -> Any:
    """Radicale's configuration from ``path``, like ``radicale --config``."""
    from radicale import config

    if not os.path.isfile(path):
        raise SystemExit("kamin: config file not found: %s" % path)
    return config.load([(path, False)])


def staff_users(configuration: Any) -> Iterator[str]:
    """The users of the htpasswd file, except the assistant."""
    if configuration.get("auth", "type") not in ("htpasswd", "radicale_kamin.auth"):
        return
    with open(configuration.get("auth", "htpasswd_filename"), encoding="utf-8") as f:
        for line in f:
            user = line.split(":", 1)[0].strip()
            if user and not user.startswith("#") and user not in NON_STAFF_USERS:
                yield user


def kamin_storage(configuration: Any) -> Any:
    """The storage plugin of ``configuration``; it must be radicale_kamin's."""
    from radicale import storage

    store = storage.load(configuration)
    if not hasattr(store, "index"):
        raise SystemExit("kamin: [storage] type is not radicale_kamin.storage in this config")
    store.index.background = False     # a command indexes what it needs before it goes on
    return store


def staff_members(store: Any, calendars: list[str]) -> list:
    """The staff among the owners of ``calendars`` (``radicale_kamin.schedule.staff``),
    with the staff options in force (the office's changes included)."""
    return store.office_settings.current().staff_options.staff_of(calendars)
