"""The options in force in this process: the config file's defaults with the
office's stored changes laid over them (``schedule/settings.py`` has the
rules; ``office.py`` the table).

Every server process applies a change on its next request: ``current()``
compares the state store's generation (one look-up) with the one it read
last and reads the settings again only when it moved. A stored value the
rules cannot use any more (an option renamed by an upgrade) is reported once
in the log and left out: the config file's value is in force.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Mapping, Optional

from radicale_kamin.schedule import settings as rules
from radicale_kamin.schedule.calls import CallSettings
from radicale_kamin.server.office import OfficeStore

logger = logging.getLogger("radicale")


class OfficeSettings:
    """The settings of one storage folder, as this process sees them."""

    def __init__(self, defaults: Mapping[str, str], base: CallSettings, office: OfficeStore):
        self.defaults = dict(defaults)      # option name → the config file's text
        self.base = base                    # what only the config file sets (time zone)
        self.office = office
        self._lock = threading.Lock()
        self._seen: Optional[int] = None
        self._effective = rules.effective(self.defaults, {}, base)

    def current(self) -> rules.Effective:
        """The settings in force now (a change elsewhere applies here at once)."""
        generation = self.office.generation()
        if generation == self._seen:
            return self._effective
        with self._lock:
            if generation != self._seen:
                stored = self.office.stored_settings()
                try:
                    self._effective = rules.effective(self.defaults, stored, self.base)
                except rules.SettingsRejected as e:
                    logger.error("Stored settings not usable (%s): the config file's are in "
                                 "force", e)
                    self._effective = rules.effective(self.defaults, {}, self.base)
                self._seen = generation
        return self._effective

    def change(self, user: str, changes: Mapping[str, Any],
               known_users: Optional[frozenset] = None) -> rules.Effective:
        """Store ``changes`` (wire values by option name) for ``user``, each
        checked (``SettingsRejected`` names every wrong one); a value equal
        to the config file's default removes the office's override. Every
        change is logged."""
        with self.office.state.transaction() as db:
            stored = self.office.stored_settings(db)
            effective = rules.check(changes, self.defaults, stored, self.base, known_users)
            before = rules.effective(self.defaults, stored, self.base).values
            for name, value in changes.items():
                if value == before[name]:
                    continue
                default = rules.from_config(name, self.defaults.get(name, ""))
                if value == default:
                    db.execute("DELETE FROM settings WHERE name=?", (name,))
                else:
                    db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?, ?, "
                               "strftime('%s', 'now'))",
                               (name, json.dumps(value, ensure_ascii=False), user))
                self.office.changed(db, user, "settings",
                                    "Einstellung %s" % rules.BY_NAME[name].label,
                                    rules.shown(before[name]), rules.shown(value))
        return effective
