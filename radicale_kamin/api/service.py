"""What every endpoint of the JSON API uses: the plugin's options, the
user's rights and staff, the side index and the storage, and the
conversion of index rows and calls into answers.

A thin shell: answers come from the side index and the pure rules
(``calls``); every change goes through the storage plugin — so state,
colour, labels and the index stay right.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Iterable, Optional
from zoneinfo import ZoneInfo

from radicale import rights, storage as radicale_storage

from radicale_kamin.entries import rules
from radicale_kamin.schedule import availability, calls, staff
from radicale_kamin.api import dispatch
from radicale_kamin.api.errors import ApiError
from radicale_kamin.api.models import CallEntry, DueCall, Entry, Staff
from radicale_kamin.api.paths import PREFIX, calendar_url, sane_path
from radicale_kamin.schedule.due import candidate_from
from radicale_kamin.schedule.workhours import to_vavailability
from radicale_kamin.schedule import settings as office_rules
from radicale_kamin.server.hours import OfficeHours
from radicale_kamin.server.storage import PLUGIN_CONFIG_SCHEMA, call_settings
from radicale_kamin.feeds.office import office_subscriptions
from radicale_kamin.feeds.sync import watch_subscriptions

__all__ = ["Api", "ApiError", "PREFIX"]

AVAILABILITY = "C:calendar-availability"     # RFC 7953 CalDAV property


def _iso(epoch: Optional[int], tz: ZoneInfo) -> Optional[str]:
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, tz).isoformat()


class Api:
    """One per web plugin (per Radicale application)."""

    def __init__(self, configuration: Any):
        self.configuration = configuration
        config = configuration.copy(PLUGIN_CONFIG_SCHEMA)
        # The time zone (and the option files' paths) are the config file's
        # alone; everything the office changes at run time is ``settings``.
        self.timezone = call_settings(config).timezone
        self._hours_path = config.get("storage", "kamin_working_hours")
        self._hours = None
        self._subscriptions = watch_subscriptions(config.get("storage", "kamin_subscriptions"))
        self._rights = rights.load(configuration)
        self._storage = None

    def handle(self, method: str, environ: dict, path: str, user: str,
               groups: set) -> tuple[int, dict, bytes]:
        """Answer one request below ``PREFIX`` (``dispatch.py``)."""
        return dispatch.answer(self, method, environ, path, user, groups)

    # --- what the office changes at run time (server/settings.py) ----------

    @property
    def settings(self) -> office_rules.Effective:
        """The options in force now: the config file's with the office's
        changes laid over them (a change applies on the next request)."""
        return self.storage.office_settings.current()

    @property
    def call_settings(self) -> calls.CallSettings:
        return self.settings.call_settings

    @property
    def slot_settings(self) -> availability.SlotSettings:
        return self.settings.slot_settings

    @property
    def staff_options(self) -> staff.StaffOptions:
        return self.settings.staff_options

    @property
    def admins(self) -> frozenset:
        return self.settings.admins

    @property
    def hold_minutes(self) -> int:
        return self.settings.hold_minutes

    @property
    def hours(self) -> OfficeHours:
        """The working hours: the file's, the backend's in place of them."""
        if self._hours is None:
            self._hours = OfficeHours(self._hours_path, self.storage.office_settings.base,
                                      self.storage.office)
        return self._hours

    @property
    def working_hours(self):
        """Everyone's working hours in force now (changes apply at once)."""
        return self.hours.book(self.call_settings)

    @property
    def office(self):
        """The office's tables of the state store (``server/office.py``)."""
        return self.storage.office

    @property
    def subscriptions(self):
        """The external calendars in force: the file's, with those the
        office added or removed in the backend (``feeds/office.py``)."""
        return [s for s, _ in self.subscription_sources()]

    def subscription_sources(self):
        """(subscription, "file" or "backend") of each external calendar."""
        return office_subscriptions(self._subscriptions.get(), self.office)

    @property
    def storage(self):
        # Radicale gives a web plugin no storage: load one of our own (the
        # same files, the same file lock, the same side index file).
        if self._storage is None:
            self._storage = radicale_storage.load(self.configuration)
        return self._storage

    @property
    def index(self):
        return self.storage.index

    @property
    def state(self):
        """Holds and leases (``server/state.py``): no index rebuild loses them."""
        return self.storage.state

    def now(self, given: Optional[dt.datetime]) -> dt.datetime:
        """The moment to evaluate at: the request's ``now``, else the clock."""
        if given is not None:
            return given
        return dt.datetime.now(self.timezone).replace(microsecond=0)

    # --- rights and calendars ---------------------------------------------

    def is_admin(self, user: str) -> bool:
        """Whether ``user`` is one of ``[storage] kamin_admins``."""
        return user in self.admins

    def rights_of(self, user: str, groups: set, collection: str) -> str:
        """Radicale's permissions of ``user`` on a collection (sane path)."""
        return self._rights.authorization(user, groups, calendar_url(collection))

    def calendars(self, user: str, groups: set, permission: str = "r") -> list[str]:
        """Calendars (sane paths) the user may read (``r``) or write (``w``)."""
        return [c for c in self.index.calendars_on_disk()
                if permission in self._rights.authorization(user, groups, calendar_url(c))]

    def all_staff(self) -> list[staff.Staff]:
        """Every staff member: one per user owning a staff calendar
        (``staff.py`` has the rules)."""
        return self.staff_options.staff_of(self.index.calendars_on_disk())

    def staff(self, user: str, groups: set, permission: str = "r") -> list[staff.Staff]:
        """The staff members whose bookable calendar the user may read
        (``r``) or write (``w``)."""
        return [s for s in self.all_staff()
                if permission in self._rights.authorization(user, groups,
                                                            calendar_url(s.bookable))]

    def staff_member(self, user: str, groups: set, staff_id: str,
                     permission: str) -> staff.Staff:
        """A staff id from ``GET staff``; 404 (read) or 403 (write) for one
        the user may not use."""
        for member in self.staff(user, groups, permission):
            if member.id == staff_id:
                return member
        raise ApiError(404 if permission == "r" else 403,
                       "no staff %s whose calendar you may %s; see GET staff"
                       % (staff_id, "read" if permission == "r" else "write"))

    def is_staff(self, calendar: str) -> bool:
        return staff.is_staff_calendar(calendar, self.staff_options.non_staff)

    def publish_working_hours(self, calendars: Iterable[str], today: dt.date) -> int:
        """Write each staff calendar's working hours as its
        ``calendar-availability`` property (RFC 7953) from ``today``, where
        they changed; the number of calendars written. Call under the
        storage's write lock."""
        book, written = self.working_hours, 0
        for calendar in calendars:
            collection = next(iter(self.storage.discover(calendar_url(calendar))), None)
            if collection is None or not self.is_staff(calendar):
                continue
            owner = calendar.split("/")[0]
            text = to_vavailability(book.for_staff(owner), owner, start=today)
            meta = collection.get_meta()
            if meta.get(AVAILABILITY) != text:
                collection.set_meta({**meta, AVAILABILITY: text})
                written += 1
        return written

    def collection(self, calendar: str):
        collection = next(iter(self.storage.discover(calendar_url(calendar))), None)
        if collection is None:
            raise ApiError(404, "no calendar %s" % calendar_url(calendar))
        return collection

    def read_item(self, calendar: str, href: str) -> str:
        item = self.collection(calendar).stored(href)
        return item.serialize() if item is not None else ""

    def stored(self, calendar: str, href: str):
        """The index row of a file the API just wrote."""
        row = self.index.entry(calendar, href)
        if row is None:
            raise ApiError(404, "the entry %s%s is gone" % (calendar_url(calendar), href))
        return row

    def find_entry(self, user: str, groups: set, uid: str, calendar: Optional[str]):
        """The one index row of ``uid`` among the user's writable calendars."""
        writable = self.calendars(user, groups, "w")
        if calendar:
            if sane_path(calendar) not in writable:
                raise ApiError(404, "no calendar %s you may write to" % calendar)
            writable = [sane_path(calendar)]
        self.index.sync(writable)
        found = self.index.entries_with_uid(writable, uid)
        if not found:
            raise ApiError(404, "no entry with UID %s in the calendars you may write to" % uid)
        if len(found) > 1:
            raise ApiError(409, "UID %s is in several calendars; say which with \"calendar\""
                           % uid, calendars=[calendar_url(r["calendar"]) for r in found])
        return found[0]

    # --- conversions --------------------------------------------------------

    def candidate(self, row) -> calls.Candidate:
        return candidate_from(row, calendar_url(row["calendar"]), row["href"], self.timezone)

    def staff_json(self, member: staff.Staff) -> Staff:
        return Staff(id=member.id, name=member.name, calendar=calendar_url(member.bookable),
                     calendars=[calendar_url(c) for c in member.calendars])

    def entry_json(self, row, **extra: Any) -> Entry:
        state = rules.STATES.get(row["state"] or "")
        tz = self.timezone
        start = _iso(row["start"], tz)
        if row["all_day"] and row["start"] is not None:
            start = dt.datetime.fromtimestamp(row["start"], tz).date().isoformat()
        return Entry(
            uid=row["uid"], calendar=calendar_url(row["calendar"]), href=row["href"],
            etag=row["etag"], kind=row["kind"], state=row["state"],
            colour=state.colour if state else None, label=state.label if state else None,
            summary=row["summary"], start=start,
            end=None if row["all_day"] else _iso(row["end"], tz),
            customer=row["customer"], phone=row["phone"], building=row["building"],
            address=row["address"], attempts=row["attempts"], outcome=row["outcome"],
            callback=_iso(row["callback"], tz), **extra)

    def call_json(self, call: calls.Call, etags: dict) -> DueCall:
        primary = call.entries[0]
        reasons = call.reasons or (call.reason,) * len(call.entries)
        return DueCall(
            uid=call.uid, calendar=call.calendar, href=primary.href,
            etag=etags.get((primary.calendar, primary.href)),
            reason=call.reason, action=call.action, phone=call.phone,
            customer=call.customer, building=call.building,
            start=call.start.isoformat(), due_since=call.due_at.isoformat(), kind=call.kind,
            entries=[CallEntry(uid=c.uid, calendar=c.calendar, href=c.href,
                               etag=etags.get((c.calendar, c.href)), kind=c.kind, state=c.state,
                               start=c.start.isoformat(), reason=reason)
                     for c, reason in zip(call.entries, reasons)])

    def due_calls(self, calendars: list[str], now: dt.datetime, lease_holder: Optional[str],
                  limit: Optional[int] = None) -> tuple[list[calls.Call], dict]:
        """The calls due at ``now`` in ``calendars`` (the ``limit`` most
        urgent) and the ETags of their entries; leases the calls to
        ``lease_holder`` unless it is None — only those handed out."""
        if not calls.is_calling_time(now, self.call_settings) or not calendars:
            return [], {}             # nights, weekends, holidays: nothing to look up
        with self.storage.acquire_lock("r", lease_holder or ""):
            self.index.sync(calendars)
            # The index knows each entry's due period and which deadlines a
            # booking settles: only the entries to call about now are read.
            epoch = int(now.timestamp())
            rows = self.index.due_rows(calendars, epoch)
            candidates = [self.candidate(r) for r in rows]
            etags = {(calendar_url(r["calendar"]), r["href"]): r["etag"] for r in rows}
            with self.state.transaction() as db:
                leased = frozenset(self.state.active_leases(epoch, db))
                due = calls.due_calls(candidates, now, self.call_settings, leased)[:limit]
                if lease_holder is not None:
                    until = epoch + self.call_settings.lease_minutes * 60
                    for call in due:
                        self.state.lease(call.phone, call.uid, lease_holder, until, db)
        return due, etags
