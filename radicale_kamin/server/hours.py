"""The working hours in force: the working-hours file (``kamin_working_hours``,
the source of the defaults) with each employee's hours edited in the backend
in place of the file's (``office.py``, table ``working_hours``).

Which wins: an employee whose hours were saved in the backend has exactly
those hours (weekly pattern, rotation, exceptions); the file's section for
them is ignored until the office resets them to the file. Everyone else has
the file's hours. Public holidays and closed days come from the settings in
force. A change applies on the next request in every process (the office
generation), like an edit of the file (its size and mtime).
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Optional

from radicale_kamin.schedule.calls import CallSettings
from radicale_kamin.schedule.hoursplan import PlanRejected, hours_from_plan
from radicale_kamin.schedule.workhours import (DEFAULT_WORKING_HOURS, WorkingHoursBook,
                                               parse_working_hours)
from radicale_kamin.server.office import OfficeStore
from radicale_kamin.server.optionfiles import WatchedFile

logger = logging.getLogger("radicale")


class OfficeHours:
    """Working hours of one storage folder, as this process sees them."""

    def __init__(self, path: str, settings: CallSettings, office: OfficeStore):
        # The file is checked with the config file's settings at start-up
        # (a mistake stops the server); its text is read again with the
        # settings in force.
        self.file = WatchedFile("kamin_working_hours", path,
                                lambda text: (text, parse_working_hours(text, settings)),
                                lambda: (DEFAULT_WORKING_HOURS, None))
        self.office = office
        self._lock = threading.Lock()
        self._key: Optional[tuple] = None
        self._book = WorkingHoursBook()
        self._stored: dict[str, dict] = {}

    def book(self, settings: CallSettings) -> WorkingHoursBook:
        """Everyone's hours under ``settings`` (the settings in force)."""
        text, _ = self.file.get()
        key = (text, self.office.generation(), settings)
        if key == self._key:
            return self._book
        with self._lock:
            if key != self._key:
                stored = self.office.stored_hours()
                book = parse_working_hours(text, settings)
                staff = dict(book.staff)
                for user, plan in stored.items():
                    try:
                        staff[user.casefold()] = hours_from_plan(plan, settings)
                    except PlanRejected as e:       # stored by an older version
                        logger.error("Working hours of %s stored in the backend not usable "
                                     "(%s): the file's are in force", user, e)
                self._book = WorkingHoursBook(book.default, staff)
                self._stored = stored
                self._key = key
        return self._book

    def stored(self, settings: CallSettings) -> dict[str, dict]:
        """The plans saved in the backend, by user (with who and when)."""
        self.book(settings)
        return self._stored

    def save(self, user: str, staff_id: str, plan: dict[str, Any],
             settings: CallSettings) -> None:
        """Store ``staff_id``'s plan (checked: PlanRejected) and log it."""
        hours_from_plan(plan, settings)
        with self.office.state.transaction() as db:
            db.execute("INSERT OR REPLACE INTO working_hours VALUES (?, ?, ?, "
                       "strftime('%s', 'now'))",
                       (staff_id, json.dumps(plan, ensure_ascii=False), user))
            self.office.changed(db, user, "working-hours",
                                "Arbeitszeiten von %s gespeichert" % staff_id)

    def reset(self, user: str, staff_id: str) -> bool:
        """Back to the file's hours; False when none were stored."""
        with self.office.state.transaction() as db:
            gone = db.execute("DELETE FROM working_hours WHERE staff=?", (staff_id,)).rowcount
            if gone:
                self.office.changed(db, user, "working-hours",
                                    "Arbeitszeiten von %s auf die Vorgabe der Datei "
                                    "zurückgesetzt" % staff_id)
        return bool(gone)
