"""The JSON API under ``/.web/kamin/api/`` (CONTRACT.md section 3).

A thin shell: requests are parsed here, answered from the side index and the
pure rules (``calls``), and every change goes through the storage plugin —
so state, colour, labels and the index stay right. Errors are JSON objects
``{"error": "..."}``; bad input is a 4xx that names the problem.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import re
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable, Optional
from zoneinfo import ZoneInfo

from radicale import rights, storage as radicale_storage
from radicale.log import logger

from radicale_kamin import availability, calls, rules, staff
from radicale_kamin.entry import EntryRejected, parse_moment
from radicale_kamin.facts import candidate_from
from radicale_kamin.recurrence import RecurrenceRejected
from radicale_kamin.storage import (PLUGIN_CONFIG_SCHEMA, call_settings, staff_options,
                                    watch_working_hours)
from radicale_kamin.syncing import watch_subscriptions

PREFIX = "/.web/kamin/api/"
# Refusals of the rules, raised with their reason (never customer data)
# wherever a write is refused: each is a 400 for every endpoint.
REFUSALS = (EntryRejected, RecurrenceRejected)
# Modules whose @route handlers make up the API.
ENDPOINT_MODULES = ("radicale_kamin.api_calls", "radicale_kamin.api_booking",
                    "radicale_kamin.api_subscriptions")
MAX_BODY = 64 * 1024


class ApiError(Exception):
    def __init__(self, status: int, message: str, **extra: Any):
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra


@dataclass
class Request:
    method: str
    path: str                       # below PREFIX, e.g. "calls/abc/outcome"
    query: dict[str, str]
    user: str
    groups: set
    environ: dict
    params: dict[str, str] = field(default_factory=dict)
    _body: Any = None

    def json(self) -> dict:
        if self._body is None:
            raise ApiError(400, "a JSON object is expected as the request body")
        return self._body

    @property
    def safe(self) -> bool:
        """A HEAD: answered like the GET, but nothing may change."""
        return self.method == "HEAD"


Handler = Callable[["Api", Request], tuple[int, dict]]
ROUTES: list[tuple[str, re.Pattern, tuple[str, ...], Handler]] = []


def route(method: str, pattern: str, query: tuple[str, ...] = ()):
    """Register a handler; ``query`` names the query parameters it takes
    (any other is refused, so a typo never passes silently)."""
    def register(handler: Handler) -> Handler:
        ROUTES.append((method, re.compile(pattern + r"\Z"), query, handler))
        return handler
    return register


def _iso(epoch: Optional[int], tz: ZoneInfo) -> Optional[str]:
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, tz).isoformat()


def calendar_url(sane: str) -> str:
    return "/%s/" % sane


def sane_path(calendar: str) -> str:
    return calendar.strip("/")


class Api:
    """One per web plugin (per Radicale application)."""

    def __init__(self, configuration: Any):
        self.configuration = configuration
        config = configuration.copy(PLUGIN_CONFIG_SCHEMA)
        self.call_settings = call_settings(config)
        self.timezone = self.call_settings.timezone
        self.staff_options = staff_options(config)
        self.slot_settings = availability.SlotSettings.from_options(
            {name: str(config.get("storage", name)) for name in availability.OPTIONS})
        self.hold_minutes = int(config.get("storage", "kamin_hold_minutes"))
        self._working_hours = watch_working_hours(config.get("storage", "kamin_working_hours"),
                                                  self.call_settings)
        self._subscriptions = watch_subscriptions(config.get("storage", "kamin_subscriptions"))
        self._rights = rights.load(configuration)
        for module in ENDPOINT_MODULES:
            importlib.import_module(module)
        self._storage = None

    @property
    def working_hours(self):
        """The working-hours file as it is now (changes apply at once)."""
        return self._working_hours.get()

    @property
    def subscriptions(self):
        return self._subscriptions.get()

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

    # --- dispatch -------------------------------------------------------------

    def handle(self, method: str, environ: dict, path: str, user: str,
               groups: set) -> tuple[int, dict, bytes]:
        try:
            if not user:
                raise ApiError(401, "authentication required")
            request = self._request(method, environ, path, user, groups)
            status, payload = self._dispatch(request)
        except ApiError as e:
            status, payload = e.status, {"error": e.message, **e.extra}
        except REFUSALS as e:       # raised where the reason is known, for every endpoint
            status, payload = 400, {"error": "the entry cannot be stored: %s" % e}
        except Exception as e:      # a bug: say so; the log keeps its (scrubbed) traceback
            logger.error("Kamin API %s %s failed: %s", method, path, e, exc_info=True)
            status, payload = 500, {"error": "internal error (%s); see the server log"
                                    % type(e).__name__}
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8",
                   "Cache-Control": "no-store"}
        if status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="Radicale - Password Required"'
        if status == 405:
            headers["Allow"] = ", ".join(payload.get("allow", ()))
        return status, headers, body

    def _request(self, method: str, environ: dict, path: str, user: str,
                 groups: set) -> Request:
        query = dict(urllib.parse.parse_qsl(environ.get("QUERY_STRING", ""),
                                            keep_blank_values=True))
        request = Request(method, path[len(PREFIX):], query, user, groups, environ)
        if method == "POST":
            request._body = self._read_json(environ)
        return request

    def _read_json(self, environ: dict) -> Any:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise ApiError(400, "invalid Content-Length")
        if length > MAX_BODY:
            raise ApiError(413, "request body larger than %d bytes" % MAX_BODY)
        raw = environ["wsgi.input"].read(length) if length else b""
        if not raw.strip():
            return None
        try:
            body = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ApiError(400, "the body is not valid JSON: %s" % e)
        if not isinstance(body, dict):
            raise ApiError(400, "a JSON object is expected as the request body")
        return body

    def _dispatch(self, request: Request) -> tuple[int, dict]:
        allowed = []
        for method, pattern, query, handler in ROUTES:
            match = pattern.match(request.path)
            if not match:
                continue
            if method != request.method and not (method == "GET" and request.method == "HEAD"):
                allowed.append(method)
                continue
            unknown = sorted(set(request.query) - set(query))
            if unknown:
                raise ApiError(400, "unknown query parameter %s; this path takes %s" % (
                    ", ".join(unknown), ", ".join(query) if query else "none"))
            request.params = match.groupdict()
            return handler(self, request)
        if allowed:
            methods = sorted(set(allowed))
            raise ApiError(405, "use %s for this path" % " or ".join(methods), allow=methods)
        raise ApiError(404, "no such API path: %s%s" % (PREFIX, request.path))

    # --- rights and calendars ---------------------------------------------

    def calendars(self, request: Request, permission: str = "r") -> list[str]:
        """Calendars (sane paths) the user may read (``r``) or write (``w``)."""
        return [c for c in self.index.calendars_on_disk()
                if permission in self._rights.authorization(
                    request.user, request.groups, calendar_url(c))]

    def all_staff(self) -> list[staff.Staff]:
        """Every staff member: one per user owning a staff calendar
        (``staff.py`` has the rules)."""
        return self.staff_options.staff_of(self.index.calendars_on_disk())

    def staff(self, request: Request, permission: str = "r") -> list[staff.Staff]:
        """The staff members whose bookable calendar the user may read
        (``r``) or write (``w``)."""
        return [s for s in self.all_staff()
                if permission in self._rights.authorization(
                    request.user, request.groups, calendar_url(s.bookable))]

    def staff_member(self, request: Request, staff_id: str, permission: str) -> staff.Staff:
        """A staff id from ``GET staff``; 404 (read) or 403 (write) for one
        the user may not use."""
        for member in self.staff(request, permission):
            if member.id == staff_id:
                return member
        raise ApiError(404 if permission == "r" else 403,
                       "no staff %s whose calendar you may %s; see GET staff"
                       % (staff_id, "read" if permission == "r" else "write"))

    def staff_json(self, member: staff.Staff) -> dict:
        return {"id": member.id, "name": member.name, "calendar": calendar_url(member.bookable),
                "calendars": [calendar_url(c) for c in member.calendars]}

    def collection(self, calendar: str):
        collection = next(iter(self.storage.discover(calendar_url(calendar))), None)
        if collection is None:
            raise ApiError(404, "no calendar %s" % calendar_url(calendar))
        return collection

    def read_item(self, calendar: str, href: str) -> str:
        item = self.collection(calendar)._get(href, verify_href=False)
        return item.serialize() if item is not None else ""

    def has_deadline(self, calendars: list[str], building: str) -> bool:
        return bool(self.rows(calendars, "kind = 'deadline' AND building = ?", (building,)))

    def is_staff(self, calendar: str) -> bool:
        return staff.is_staff_calendar(calendar, self.staff_options.non_staff)

    def rows(self, calendars: list[str], where: str = "1", parameters=()) -> list:
        if not calendars:
            return []
        marks = ",".join("?" * len(calendars))
        return self.index.rows("calendar IN (%s) AND (%s)" % (marks, where),
                               (*calendars, *parameters))

    def now(self, request: Request) -> dt.datetime:
        raw = request.query.get("now")
        if not raw:
            return dt.datetime.now(self.timezone).replace(microsecond=0)
        try:
            return parse_moment(raw, self.timezone)
        except ValueError:
            raise ApiError(400, "now: not an ISO 8601 date-time, e.g. 2026-12-01T09:30:00+01:00")

    # --- conversions --------------------------------------------------------

    def candidate(self, row) -> calls.Candidate:
        return candidate_from(row, calendar_url(row["calendar"]), row["href"], self.timezone)

    def entry_json(self, row) -> dict:
        state = rules.STATES.get(row["state"] or "")
        tz = self.timezone
        start = _iso(row["start"], tz)
        if row["all_day"] and row["start"] is not None:
            start = dt.datetime.fromtimestamp(row["start"], tz).date().isoformat()
        return {
            "uid": row["uid"], "calendar": calendar_url(row["calendar"]), "href": row["href"],
            "etag": row["etag"], "kind": row["kind"], "state": row["state"],
            "colour": state.colour if state else None, "label": state.label if state else None,
            "summary": row["summary"], "start": start,
            "end": None if row["all_day"] else _iso(row["end"], tz),
            "customer": row["customer"], "phone": row["phone"], "building": row["building"],
            "address": row["address"], "attempts": row["attempts"], "outcome": row["outcome"],
            "callback": _iso(row["callback"], tz),
        }

    def call_json(self, call: calls.Call, etags: dict) -> dict:
        primary = call.entries[0]
        return {
            "uid": call.uid, "calendar": call.calendar, "href": primary.href,
            "etag": etags.get((primary.calendar, primary.href)),
            "reason": call.reason, "action": call.action, "phone": call.phone,
            "customer": call.customer, "building": call.building,
            "start": call.start.isoformat(), "due_since": call.due_at.isoformat(),
            "kind": call.kind,
            "entries": [{"uid": c.uid, "calendar": c.calendar, "href": c.href,
                         "etag": etags.get((c.calendar, c.href)),
                         "kind": c.kind, "state": c.state, "start": c.start.isoformat(),
                         "reason": reason}
                        for c, reason in zip(call.entries, call.reasons or (call.reason,) * len(call.entries))],
        }

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
            rows = self.index.due_at(calendars, epoch)
            candidates = [self.candidate(r) for r in rows]
            etags = {(calendar_url(r["calendar"]), r["href"]): r["etag"] for r in rows}
            with self.index.transaction():
                leased = frozenset(self.index.active_leases(epoch))
                due = calls.due_calls(candidates, now, self.call_settings, leased)[:limit]
                if lease_holder is not None:
                    until = epoch + self.call_settings.lease_minutes * 60
                    for call in due:
                        self.index.lease(call.phone, call.uid, lease_holder, until)
        return due, etags

    def find_entry(self, request: Request, uid: str, calendar: Optional[str]):
        """The one index row of ``uid`` among the user's writable calendars."""
        writable = self.calendars(request, "w")
        if calendar:
            if sane_path(calendar) not in writable:
                raise ApiError(404, "no calendar %s you may write to" % calendar)
            writable = [sane_path(calendar)]
        self.index.sync(writable)
        found = self.rows(writable, "uid=?", (uid,))
        if not found:
            raise ApiError(404, "no entry with UID %s in the calendars you may write to" % uid)
        if len(found) > 1:
            raise ApiError(409, "UID %s is in several calendars; say which with \"calendar\""
                           % uid, calendars=[calendar_url(r["calendar"]) for r in found])
        return found[0]


# --- endpoints --------------------------------------------------------------
