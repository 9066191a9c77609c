"""What the office's endpoints take and give (docs/backend.md). Like
``api/models.py``: request parts are strict and refuse unknown fields,
answers are written as the handler built them; the OpenAPI document is
generated from both."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, create_model

from radicale_kamin.api.fields import Clock, Date, Instant, Name, PathSegment, Text, query_int
from radicale_kamin.api.models import Answer, Entry, NowQuery, RequestPart
from radicale_kamin.importing.columns import FIELDS
from radicale_kamin.schedule import settings as office_rules
from radicale_kamin.schedule.hoursplan import KINDS

# --- settings -------------------------------------------------------------------

_JSON_TYPES = {
    "int": {"type": "integer"},
    "bool": {"type": "boolean"},
    "text": {"type": "string", "maxLength": 500},
    "names": {"type": "object", "additionalProperties": {"type": "string"}},
    "calendars": {"type": "object", "additionalProperties": {"type": "string"}},
    "list": {"type": "array", "items": {"type": "string"}},
}


def _setting_schema(option: office_rules.Option) -> dict[str, Any]:
    schema = dict(_JSON_TYPES[option.kind], description="%s — %s (kamin_%s)" % (
        option.label, option.help, option.name))
    if option.kind == "int":
        schema.update(minimum=option.low, maximum=option.high)
    return schema


def _settings_model(name: str, base: type[BaseModel], required: bool) -> type[BaseModel]:
    """One field per option; its type in the document, its check (with a
    German reason) in ``schedule/settings.py``."""
    fields = {o.name: (Annotated[Any, WithJsonSchema(_setting_schema(o))],
                       ... if required else None) for o in office_rules.OPTIONS}
    return create_model(name, __base__=base, **fields)


class _SettingsBody(BaseModel):
    """Options to change, keyed by the option's name without `kamin_`; any
    subset. A value equal to the config file's default removes the office's
    change. Invalid values are refused with 400 and `problems` (German,
    per option); nothing is stored then."""
    model_config = ConfigDict(extra="forbid", frozen=True)


class _SettingsAnswer(Answer):
    """The options the office may change, with the values in force (the
    office's where it changed them, else the config file's)."""


SettingsChange = _settings_model("SettingsChange", _SettingsBody, False)
Settings = _settings_model("Settings", _SettingsAnswer, True)


class SettingOption(Answer):
    name: str = Field(description="the option without kamin_")
    value: Any = Field(description="the value in force")
    default: Any = Field(description="the config file's value")
    changed: bool = Field(description="the office changed it (its value wins over the file's)")
    kind: Literal["int", "bool", "text", "names", "calendars", "list"]
    group: Literal["calling", "slots", "staff"]
    label: str = Field(description="German, for the page")
    help: str = Field(description="German: what it does")
    minimum: Optional[int] = None
    maximum: Optional[int] = None


class SettingOptions(Answer):
    options: list[SettingOption]
    groups: dict[str, str] = Field(description="group → German heading")


class Change(Answer):
    at: Instant
    user: str
    area: str
    what: str = Field(description="German")
    old: Optional[str]
    new: Optional[str]


class Changes(Answer):
    changes: list[Change]


class ChangesQuery(RequestPart):
    limit: Optional[query_int(1, 1000)] = Field(None, description="at most this many (200)")


# --- staff ----------------------------------------------------------------------

User = Annotated[str, Field(min_length=1, max_length=64, pattern="^" + office_rules.USER_PATTERN
                            + "$", examples=["carla"])]


class StaffPath(RequestPart):
    staff: PathSegment = Field(description="the staff member's user name (id of GET staff)")


class NewStaff(RequestPart):
    """A new employee: a user who can log in over CalDAV at once, with a
    bookable calendar `/<id>/termine/`."""
    id: User
    name: Annotated[str, Field(min_length=1, max_length=100)] = Field(
        description="the display name (kamin_staff_names)")
    password: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="at least 8 characters; stored bcrypt-hashed")


class NewPassword(RequestPart):
    password: Annotated[str, Field(min_length=1, max_length=200)]


class PasswordChanged(Answer):
    id: str
    changed: bool


class AccountCalendar(Answer):
    path: str
    name: Optional[str] = Field(description="the calendar's display name")
    staff: bool = Field(description="a staff calendar (not in kamin_non_staff_calendars)")
    bookable: bool = Field(description="bookings of its owner go here")


class Account(Answer):
    """A user of the users file and what the plugin makes of them."""
    id: str
    name: str
    admin: bool
    staff: bool = Field(description="has a staff calendar (is in GET staff)")
    calendars: list[AccountCalendar]
    hours: Literal["file", "backend"] = Field(description="where the working hours come from")


class Accounts(Answer):
    accounts: list[Account]


# --- working hours ----------------------------------------------------------------

class Interval(RequestPart):
    start: Clock
    end: Clock


Intervals = Annotated[list[Interval], Field(max_length=8)]


class Week(RequestPart):
    """A weekday missing or `[]` is off; the gaps between intervals are breaks."""
    mon: Intervals = []
    tue: Intervals = []
    wed: Intervals = []
    thu: Intervals = []
    fri: Intervals = []
    sat: Intervals = []
    sun: Intervals = []


class Rotation(RequestPart):
    """Rotating weeks: `weekly` is week A, `weeks` the weeks after it (B, …),
    counted from the Monday `start`."""
    start: Date = Field(description="a Monday: the first week A")
    weeks: Annotated[list[Week], Field(min_length=1, max_length=3)]


class HoursException(RequestPart):
    """Days with other hours: `hours` `[]` is a day off."""
    frm: Date = Field(alias="from")
    to: Optional[Date] = Field(None, description="the last day (inclusive); default `from`")
    hours: Intervals = []
    kind: Literal[tuple(KINDS)] = "other"        # type: ignore[valid-type]
    note: Optional[Text] = None


class HoursPlan(RequestPart):
    """An employee's working hours (replaces the working-hours file's for them)."""
    weekly: Week
    rotation: Optional[Rotation] = None
    exceptions: Annotated[list[HoursException], Field(max_length=400)] = []


class IntervalOut(Answer):
    start: str
    end: str


class ExceptionOut(Answer):
    frm: str = Field(alias="from")
    to: str
    hours: list[IntervalOut]
    kind: str
    note: str


class RotationOut(Answer):
    start: str
    weeks: list[dict[str, list[IntervalOut]]]


class Holiday(Answer):
    date: str
    name: str


class Absence(Answer):
    start: str
    end: str
    summary: Optional[str]
    calendar: str


class WorkingHoursAnswer(Answer):
    staff: str
    name: str
    source: Literal["file", "backend"] = Field(description="file: the working-hours file's; "
                                                           "backend: saved in the backend")
    changed_by: Optional[str]
    changed_at: Optional[Instant]
    weekly: dict[str, list[IntervalOut]]
    rotation: Optional[RotationOut]
    exceptions: list[ExceptionOut]
    holidays: list[Holiday] = Field(description="public holidays and closed days ahead (off)")
    absences: list[Absence] = Field(description="all-day entries ahead in the employee's "
                                                "calendars (they block slots too)")


# --- the office's boards ---------------------------------------------------------

class DaysQuery(NowQuery):
    days: Optional[query_int(1, 366)] = Field(None, description="how far ahead (56 days)")


class HoldOut(Answer):
    hold: str
    staff: Optional[str]
    calendar: str
    start: Instant
    end: Instant
    expires: Instant
    holder: str


class Holds(Answer):
    now: Instant
    holds: list[HoldOut]


class WeekQuery(NowQuery):
    start: Optional[Date] = Field(None, description="a day of the week to show (default this week)")
    staff: Optional[Name] = Field(None, description="only this staff member")


class BoardDay(Answer):
    date: str
    holiday: Optional[str]
    hours: list[IntervalOut]
    entries: list[Entry]


class BoardRow(Answer):
    staff: str
    name: str
    days: list[BoardDay]


class Legend(Answer):
    state: str
    label: str
    colour: str
    meaning: str


class Board(Answer):
    frm: str = Field(alias="from")
    to: str
    rows: list[BoardRow]
    legend: list[Legend]


class CalendarQuery(RequestPart):
    calendar: Optional[Text] = Field(None, description="the calendar, where the UID is in several")


class UidPath(RequestPart):
    uid: PathSegment


class ContactOut(Answer):
    uid: Optional[str]
    addressbook: str
    href: str
    name: Optional[str]
    phone: Optional[str]
    phone_type: Optional[str]
    location: Optional[str]
    address: Optional[str]
    buildings: list[str]


class EntryDetail(Answer):
    entry: Entry
    location: Optional[str]
    description: Optional[str] = Field(description="the entry's notes")
    log: list[str] = Field(description="the dated lines of calls, bookings and moves")
    contact: Optional[ContactOut]
    building: list[Entry] = Field(description="the building's other entries")


class FixRequest(RequestPart):
    """What the data-missing list asks for, written into the entry."""
    calendar: Optional[Text] = None
    etag: Optional[Text] = None
    phone: Optional[Text] = None
    location: Optional[Text] = Field(None, description="the address, e.g. Hauptstr. 3, 80331 München")


# --- contacts -------------------------------------------------------------------

class ContactsQuery(RequestPart):
    q: Optional[Text] = Field(None, description="name, phone, address or building (part of it)")
    limit: Optional[query_int(1, 500)] = None


class ContactList(Answer):
    contacts: list[ContactOut]


class ContactPathQuery(RequestPart):
    addressbook: Optional[Text] = Field(None, description="where the UID is in several")


class ContactDetail(Answer):
    contact: ContactOut
    verdict: Optional[str] = Field(description="green, orange or red")
    missing: list[str]
    entries: list[Entry]


class ContactEdit(RequestPart):
    """Fields to change; the card is normalised and its entries derived again."""
    addressbook: Optional[Text] = None
    name: Optional[Text] = None
    phone: Optional[Text] = None
    location: Optional[Text] = Field(None, description="the address in one line")


# --- external calendars ------------------------------------------------------------

class NewSubscription(RequestPart):
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,64}$")]
    url: Annotated[str, Field(min_length=1, max_length=2000)]
    calendar: Text = Field(description="the staff calendar to mirror into, e.g. /anna/termine/")
    interval: Annotated[int, Field(ge=5, le=10080)] = 60


class SubscriptionPath(RequestPart):
    name: PathSegment


class Removed(Answer):
    removed: bool


class SyncResult(Answer):
    name: str
    status: str = Field(description="changed, unchanged or failed")
    created: int
    updated: int
    deleted: int
    error: Optional[str]


# --- imports ------------------------------------------------------------------------

Fields = Literal[tuple(sorted(FIELDS))]              # type: ignore[valid-type]


class NewImport(RequestPart):
    """An uploaded file, previewed (nothing is written until `run`)."""
    file: Annotated[str, Field(min_length=1, max_length=255)] = Field(description="its name")
    content: str = Field(description="the file, base64")
    calendar: Text = Field(description="the calendar for its entries, e.g. /anna/termine/")
    format: Optional[Literal["csv", "vcard", "ics", "ziv"]] = None
    columns: dict[str, Fields] = Field({}, description="CSV: header → field, to correct the mapping")


class ImportPath(RequestPart):
    id: PathSegment


class PreviewRequest(RequestPart):
    columns: dict[str, Fields] = {}


class ColumnOut(Answer):
    header: str
    field: Optional[str]


class RecordOut(Answer):
    line: str
    kind: str
    verdict: str
    reasons: list[str] = Field(description="German")
    customer: Optional[str]
    building: Optional[str]
    written: Optional[str]


class ImportAnswer(Answer):
    id: str
    file: str
    calendar: str
    status: Literal["preview", "running", "done", "failed"]
    format: Optional[str]
    done: int
    total: int
    counts: dict[str, int] = Field(description="records per verdict green/orange/red")
    written: dict[str, int] = Field(description="created/updated/unchanged/deleted — deleted: deleted on the server since an earlier import, left deleted (a preview: would be)")
    notes: list[str]
    columns: list[ColumnOut]
    fields: list[str] = Field(description="what a column may be mapped to")
    records: list[RecordOut] = Field(description="the first 500 records")
    skipped: list[dict[str, str]]
    error: Optional[str]



class ImportSummary(Answer):
    id: str
    file: str
    calendar: str
    status: str
    done: int
    total: int
    user: str
    created: Instant


class ImportList(Answer):
    imports: list[ImportSummary]


# --- webhook subscribers ----------------------------------------------------------

class NewWebhookSubscriber(RequestPart):
    """A webhook subscriber added in the backend (docs/webhooks.md). Checked
    like a section of the webhooks file; each wrong field is named in
    `problems` with a German sentence."""
    name: Annotated[str, Field(max_length=64, description=(
        "letters, digits, - and _ (at most 64); not a name of the webhooks file"))]
    url: Annotated[str, Field(max_length=2000, description=(
        "where events are posted: https://…, plain http:// only to this machine"))]
    secret: Annotated[str, Field(max_length=500, description=(
        "the key of the signature, at least 16 characters; never shown again"),
        json_schema_extra={"writeOnly": True})]
    events: Annotated[list[Annotated[str, Field(max_length=64)]], Field(
        max_length=20, description="event types (entry.state-changed, call.due, "
                                   "booking.created, …), or [\"*\"] for all")]
    calendars: Annotated[list[Annotated[str, Field(max_length=500)]], Field(
        max_length=200, description="only events of these calendars (/anna/termine/) or "
                                    "homes (/anna/); empty: every calendar")] = []
    replace: bool = Field(False, description=(
        "replace the backend's subscriber of this name (a new secret, URL, events): its "
        "waiting events stay and go to the new URL"))


class WebhookPath(RequestPart):
    name: PathSegment


class WebhookTested(Answer):
    """How the test event went: sent once, at once, not queued or retried."""
    delivered: bool = Field(description="the receiver answered 2xx")
    status: Optional[int] = Field(description="the HTTP status, null without an answer")
    error: Optional[str] = Field(description="why it failed (`HTTP 401`, `connection "
                                             "failed …`), never the URL or the answer's text")
    event: str = Field(description="the test event's id (X-Kamin-Delivery)")
