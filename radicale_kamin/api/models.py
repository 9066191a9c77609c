"""What the JSON API takes and gives: one pydantic model per query, body and
answer. The request models validate at the edge (strict types, no unknown
field, lengths and ranges); the answer models are what handlers return; the
OpenAPI document (``openapi.py``) is generated from both."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, RootModel, model_validator
from pydantic_core import PydanticCustomError

from radicale_kamin.schedule import calls
from radicale_kamin.api.fields import (Day, Instant, Minutes, Moment, Name, Part, PathSegment,
                                       QueryBool, Text, Token, Work, query_int)

Outcome = Literal[calls.OUTCOMES]                 # type: ignore[valid-type]  # the rules' list


class RequestPart(BaseModel):
    """A request's part: strict types, nothing unknown."""
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Answer(BaseModel):
    """An answer: written as the handler built it (fields never set are left
    out, so optional fields appear only where they apply). Docstrings of
    answer and body models are descriptions in the OpenAPI document
    (Markdown)."""
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# --- path parameters -----------------------------------------------------------

class NoPath(RequestPart):
    pass


class UidPath(RequestPart):
    uid: PathSegment = Field(description="the entry's UID")


class HoldPath(RequestPart):
    hold: PathSegment = Field(description="the hold's id from POST holds")


class BuildingPath(RequestPart):
    building: PathSegment = Field(description="the building's id (X-KAMIN-BUILDING)")


# --- query parameters ----------------------------------------------------------

MAX_RANGE_DAYS = 62
NOW_DESCRIPTION = "evaluate at this moment instead of the server's clock (testing, planning)"


class NoQuery(RequestPart):
    pass


class NowQuery(RequestPart):
    now: Optional[Moment] = Field(None, description=NOW_DESCRIPTION)


class DueCallsQuery(NowQuery):
    lease: QueryBool = Field(True, description="take leases on the calls handed out "
                                               "(false for planning)")
    limit: Optional[query_int(1, 1000)] = Field(None, description=(
        "only the most urgent calls (only these are leased)"))


class SlotsQuery(NowQuery):
    frm: Moment = Field(alias="from", description="the first moment a slot may start at")
    to: Moment = Field(description="the end of the range (at most 62 days after from)")
    duration: Optional[query_int(5, 600)] = Field(None, description=(
        "minutes (default kamin_slot_duration)"))
    staff: Optional[Name] = Field(None, description="a staff id from GET staff (default every "
                                                    "staff calendar)")
    building: Optional[Name] = Field(None, description=(
        "a building id: slots inside its open Feuerstättenbescheid window, near days first"))
    part: Optional[Part] = None
    work: Optional[Work] = Field(None, description=(
        "the work the slot is for (German spellings like Feuerstättenschau are accepted "
        "too); a feuerstaettenschau starts no sooner than its notice of "
        "kamin_feuerstaettenschau_notice_days working days"))

    @model_validator(mode="after")
    def _a_range(self) -> "SlotsQuery":
        if not self.frm < self.to:
            raise PydanticCustomError("range", "from must be before to")
        if self.to - self.frm > dt.timedelta(days=MAX_RANGE_DAYS):
            raise PydanticCustomError("range", "at most %d days per query" % MAX_RANGE_DAYS)
        return self


# --- bodies --------------------------------------------------------------------

class CalendarChoice(RequestPart):
    calendar: Optional[Text] = Field(None, description="needed when the UID is in several "
                                                       "calendars, e.g. /anna/termine/")


class Guarded(CalendarChoice):
    etag: Optional[Token] = Field(None, description="refuse with 409 when the entry changed "
                                                    "since (or send an If-Match header)")


class OutcomeRequest(Guarded):
    outcome: Outcome
    start: Optional[Moment] = Field(None, description="the new start, for `rebooked` (required "
                                                      "there)")
    at: Optional[Moment] = Field(None, description="the requested callback time, for `callback` "
                                                   "(default the next calling window)")
    note: Optional[Text] = Field(None, description="appended to the log line")


class ReleaseRequest(CalendarChoice):
    pass


class EmptyRequest(RequestPart):
    pass


class HoldRequest(RequestPart):
    start: Moment
    duration: Optional[Minutes] = Field(None, description="minutes (default "
                                                          "kamin_slot_duration)")
    staff: Name = Field(description="a staff id from GET staff")


class BookingRequest(HoldRequest):
    kind: Literal["external", "internal"] = Field("external", description=(
        "external: the customer booked; internal: we proposed the date"))
    customer: Optional[Text] = None
    phone: Optional[Text] = None
    building: Optional[Text] = None
    location: Optional[Text] = None
    summary: Optional[Text] = None
    note: Optional[Text] = None
    hold: Optional[Name] = Field(None, description="the hold that reserves this slot")
    work: Optional[Work] = Field(None, description=(
        "the work the appointment is for, stored as X-KAMIN-WORK; a feuerstaettenschau sooner "
        "than its notice is refused (400)"))


class MoveRequest(Guarded):
    start: Moment = Field(description="the new start; the duration stays")


class CancelRequest(Guarded):
    reason: Optional[Text] = Field(None, description="written into the log line")


# --- answers -------------------------------------------------------------------

class Conflict(Answer):
    """The busy time that takes the requested slot."""
    start: Instant
    end: Instant


class Error(Answer):
    """Every refusal: `error` names the field and the problem in plain words."""
    error: str
    # Present only where they apply, never null.
    etag: str = Field(None, description="the entry's current ETag (409 of a changed entry)")
    calendars: list[str] = Field(None, description="the calendars holding the UID (409 of an "
                                                   "ambiguous UID)")
    conflict: Conflict = Field(None, description=(
        "the busy time that takes the requested slot (409 of bookings, holds, moves, rebooked)"))
    allow: list[str] = Field(None, description="the methods the path takes (405)")
    problems: dict[str, str] = Field(None, description=(
        "(the office's endpoints) what is wrong, per field or option, in German"))


class Staff(Answer):
    """One staff member per user. `id` is the user name and never changes
    when the user makes another calendar; busy time comes from all of
    `calendars`; bookings go into `calendar` (kamin_booking_calendars,
    else the user's calendar termine, else the first)."""
    id: str = Field(examples=["anna"])
    name: str = Field(examples=["Anna"])
    calendar: str = Field(examples=["/anna/termine/"], description="the bookable calendar")
    calendars: list[str] = Field(examples=[["/anna/hochgeladen/", "/anna/termine/"]])


class StaffList(Answer):
    staff: list[Staff]


class CallEntry(Answer):
    uid: str
    calendar: str
    href: str
    etag: Optional[str]
    kind: str
    state: Optional[str]
    start: Instant
    reason: Literal["announce", "retry", "deadline", "callback"]


class DueCall(Answer):
    """One call: one customer phone, every due entry of it."""
    uid: str = Field(description="the most urgent entry of this phone")
    calendar: str
    href: str
    etag: Optional[str]
    reason: Literal["announce", "retry", "deadline", "callback"]
    action: Literal[calls.ACTIONS]
    phone: str = Field(description="E.164", examples=["+4989123456"])
    customer: Optional[str]
    building: Optional[str]
    start: Instant = Field(description="the appointment or due date")
    due_since: Instant
    kind: str = Field(description="the primary entry's kind (internal or deadline)")
    entries: list[CallEntry] = Field(description="every due entry of this phone, the primary "
                                                 "one first")


class DueCalls(Answer):
    now: Instant
    calling_time: bool = Field(description="whether `now` is inside a calling window")
    calls: list[DueCall]


class ContactCandidate(Answer):
    uid: Optional[str]
    name: Optional[str]
    addressbook: str
    phone: Optional[str]


FollowUp = Literal[calls.FOLLOW_UPS]
Missing = Literal["phone", "street", "number", "postcode", "city", "address"]


class Entry(Answer):
    """An entry as the index knows it (its file is the source of truth)."""
    uid: Optional[str]
    calendar: str
    href: str
    etag: str
    kind: Optional[str]
    state: Optional[str]
    colour: Optional[str]
    label: Optional[str]
    summary: Optional[str]
    start: Optional[str] = Field(description="date-time, or a date for all-day entries")
    end: Optional[Instant]
    customer: Optional[str]
    phone: Optional[str]
    building: Optional[str]
    address: Optional[Literal["complete", "incomplete", "unrecognised"]]
    attempts: Optional[int]
    outcome: Optional[str]
    callback: Optional[Instant]
    follow_up: FollowUp = Field(None, description="why the entry is on the follow-up list "
                                                  "(GET follow-up only)")
    missing: list[Missing] = Field(None, description=(
        "what to ask the customer for (GET data-missing only); `address` means the address "
        "was not recognised at all"))
    contacts: list[ContactCandidate] = Field(None, description=(
        "(data-missing) contacts at the entry's address that may be its customer, when the "
        "entry is linked to none"))
    window_start: Optional[str] = Field(None, description="(deadlines of GET buildings) the "
                                                          "first day of the window")


class EntryList(Answer):
    now: Instant
    entries: list[Entry]


class EntryChanged(Answer):
    entry: Entry
    log: str = Field(description="the line written into the entry's notes")


class Released(Answer):
    released: bool


class Slot(Answer):
    start: Instant
    end: Instant
    staff: str
    score: int = Field(description="2 same street, 1 same PLZ, 0 other (with building)")


class Window(Answer):
    frm: Day = Field(alias="from")
    to: Day


class Slots(Answer):
    slots: list[Slot]
    window: Optional[Window] = Field(description="the building's open Feuerstättenbescheid "
                                                 "window (with building)")
    note: str = Field(None, description="why there are no slots, where it is not plain")


class Hold(Answer):
    hold: str
    expires: Instant
    staff: str
    start: Instant
    end: Instant


class Booked(Answer):
    uid: str
    calendar: str
    href: str
    etag: str
    entry: Entry


class BuildingContact(Answer):
    customer: Optional[str]
    phone: Optional[str]
    phone_type: Optional[str]
    location: Optional[str]
    street: Optional[str]
    postcode: Optional[str]
    address: Optional[str]


class Building(Answer):
    building: str
    contact: BuildingContact
    entries: list[Entry]
    deadlines: list[Entry]
    next: Optional[Entry]


class Subscription(Answer):
    name: str
    calendar: str
    url: str = Field(description="without credentials and tokens")
    interval_minutes: int
    last_success: Optional[str]
    last_attempt: Optional[str]
    last_error: Optional[str]
    events: int
    ok: bool = Field(description="the last fetch succeeded")
    due: bool
    source: Literal["file", "backend"] = Field(None, description=(
        "file: from kamin_subscriptions; backend: added in the backend"))


class Subscriptions(Answer):
    subscriptions: list[Subscription]


class Document(RootModel[dict[str, Any]]):
    """The OpenAPI document itself."""
    model_config = ConfigDict(json_schema_extra={"additionalProperties": True})

