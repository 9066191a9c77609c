"""Every endpoint of the JSON API in one table: method, path, what it
takes (path, query and body models), what it answers (a model per status),
its documentation and its handler. ``dispatch.py`` serves the table,
``openapi.py`` writes the OpenAPI document from it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping, Optional

from pydantic import BaseModel

from radicale_kamin.api import booking, calls, slots, subscriptions, webhooks
from radicale_kamin.api import openapi
from radicale_kamin.api.models import (
    Booked, BookingRequest, Building, BuildingPath, CancelRequest, Document, DueCalls,
    DueCallsQuery, EmptyRequest, EntryChanged, EntryList, Hold, HoldPath, HoldRequest,
    MoveRequest, NoPath, NoQuery, NowQuery, OutcomeRequest, Released, ReleaseRequest, Slots,
    SlotsQuery, StaffList, Subscriptions, UidPath)
from radicale_kamin.api.request import Request

if TYPE_CHECKING:
    from radicale_kamin.api.service import Api

Handler = Callable[["Api", Request], tuple[int, BaseModel]]

# What a refusal means, unless an endpoint says more precisely.
ERRORS = {
    400: "the request is invalid; `error` names the field and the problem",
    401: "no or wrong credentials",
    403: "the user may not do this",
    404: "not found in the calendars the user may use",
    409: "a conflict; `error` says which",
    413: "the request body is larger than 64 KiB",
    503: "the side index of a calendar asked for is still being built (a storage copied in): "
         "try again after `Retry-After` seconds",
}
ACCESS = {
    "user": "the request comes from another site (CSRF: another Origin, or a form without "
            "the page's token)",
    "admin": "only admins ([storage] kamin_admins) may use this, or the request comes from "
             "another site (CSRF)",
    "self": "only the employee themself or an admin may use this, or the request comes from "
            "another site (CSRF)",
}
ENTRY_404 = "no such entry in the calendars the user may write to"
ENTRY_409 = ("the entry changed meanwhile (`etag` is the current one), the UID is in several "
             "calendars (`calendars` lists them), or the new slot is taken (`conflict` names "
             "the busy time)")


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str                                # below the API prefix, {name} for a parameter
    operation_id: str
    summary: str
    handler: Handler
    ok: tuple[int, type[BaseModel], str]     # status, answer model, what it is
    description: str = ""
    path_model: type[BaseModel] = NoPath
    query: type[BaseModel] = NoQuery
    body: Optional[type[BaseModel]] = None
    body_required: bool = True
    if_match: bool = False                   # takes If-Match for the entry's ETag
    errors: Mapping[int, str] = field(default_factory=dict)    # beyond 400, 401 (and 413)
    # Who may use it: "user" (every user, within their rights), "admin"
    # (kamin_admins only) or "self" (an admin, or the user the {staff}
    # path parameter names).
    access: str = "user"
    max_body: int = 64 * 1024

    def refusals(self) -> dict[int, str]:
        """Every error status the endpoint may answer, with its meaning."""
        statuses = {400: ERRORS[400], 401: ERRORS[401], 503: ERRORS[503]}
        if self.body is not None:
            statuses[413] = ("the request body is larger than %d KiB" % (self.max_body // 1024)
                             if self.max_body != 64 * 1024 else ERRORS[413])
        if self.access != "user" or self.method in ("POST", "PUT"):
            statuses[403] = ACCESS[self.access]
        statuses.update({status: text or ERRORS[status] for status, text in self.errors.items()})
        return dict(sorted(statuses.items()))


def get_openapi(api: Api, request: Request) -> tuple[int, Document]:
    return 200, Document(openapi.document(ENDPOINTS, webhooks.WEBHOOKS))


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET", "staff", "getStaff",
        "The staff members whose bookable calendar the user may read",
        calls.get_staff, (200, StaffList, "the staff")),
    Endpoint(
        "GET", "due-calls", "getDueCalls",
        "The calls to make now, most urgent first, one per customer phone",
        calls.get_due_calls, (200, DueCalls, "the due calls"), query=DueCallsQuery,
        description=(
            "Empty outside calling windows (weekends, nights, public holidays of the "
            "Bundesland). A call handed out is leased to the caller for `kamin_lease_minutes` "
            "(default 15) and not handed out again until its outcome is recorded, it is "
            "released, or the lease runs out. `lease=false` and `HEAD` take no lease.")),
    Endpoint(
        "POST", "calls/{uid}/outcome", "postOutcome",
        "Record the outcome of a call (or an SMS) on the entry",
        calls.post_outcome, (200, EntryChanged, "the updated entry and the log line written"),
        path_model=UidPath, query=NowQuery, body=OutcomeRequest, if_match=True,
        errors={404: ENTRY_404, 409: ENTRY_409},
        description=(
            "Updates the entry through the storage: state, colour, attempts and a dated German "
            "log line in its DESCRIPTION, visible in every client. `rebooked` needs `start` and "
            "moves the entry only into a free slot of its owner (409 with `conflict` when taken, "
            "400 when never bookable). `sms-sent` on an appointment expects the customer's "
            "confirmation: without it the call is due `kamin_sms_confirm_hours` before the "
            "appointment (reason `retry`). `formblatt-received` (deadline entries only) records "
            "the Formblatt and settles the deadline. For a call listing several entries, post "
            "an outcome for each entry. With `etag` (or an `If-Match` header) the update is "
            "refused with 409 when the entry changed since it was read.")),
    Endpoint(
        "POST", "calls/{uid}/release", "postRelease",
        "Give a handed-out call back before its lease runs out",
        calls.post_release, (200, Released, "whether a lease was released"),
        path_model=UidPath, body=ReleaseRequest, body_required=False,
        errors={404: ENTRY_404, 409: "the UID is in several calendars (`calendars` lists them)"}),
    Endpoint(
        "GET", "data-missing", "getDataMissing",
        "Entries no call or SMS can reach, soonest first",
        calls.get_data_missing, (200, EntryList, "the entries, each with `missing`"),
        query=NowQuery,
        description=(
            "Orange entries (data missing, imports to rework) and deadline entries without a "
            "usable phone whose reminder is still to come (unless a booking settles them). "
            "Each entry's `missing` says what to ask for; an entry linked to no contact lists "
            "the `contacts` at its address that may be its customer.")),
    Endpoint(
        "GET", "follow-up", "getFollowUp",
        "Entries no call will settle any more (rework by letter or notice)",
        calls.get_follow_up, (200, EntryList, "the entries, each with `follow_up`"),
        query=NowQuery,
        description=(
            "Each entry carries `follow_up` — `formblatt-missing` (a Feuerstättenbescheid window "
            "ended without a booking in it and the Formblatt is overdue), `rejected`, "
            "`unreached`, `notice-missed` (a Feuerstättenschau that could not be announced in "
            "time) or `callback-missed`.")),
    Endpoint(
        "GET", "slots", "getSlots", "Free slots of the staff",
        slots.get_slots, (200, Slots, "the free slots"), query=SlotsQuery,
        errors={404: "no such staff member or building in the calendars the user may read"},
        description=(
            "Working hours minus everything busy (entries, recurring ones expanded; others' "
            "holds), with buffers, minimum notice and a daily maximum. With `building`, only "
            "inside the building's open Feuerstättenbescheid window (if it has a deadline "
            "entry), and slots on days the same employee is already in the same street "
            "(score 2) or PLZ (score 1) come first.")),
    Endpoint(
        "POST", "holds", "postHold",
        "Hold a slot while talking to the customer (expires after kamin_hold_minutes)",
        booking.post_hold, (201, Hold, "the hold"), query=NowQuery, body=HoldRequest,
        errors={403: "no staff member whose calendar the user may write",
                409: "the slot is taken (`conflict` names the busy time)"}),
    Endpoint(
        "POST", "holds/{hold}/release", "postHoldRelease",
        "Give a hold back (only its holder or an admin)",
        booking.post_hold_release, (200, Released, "the hold is given back"),
        path_model=HoldPath, query=NowQuery, body=EmptyRequest, body_required=False,
        errors={403: "the hold belongs to another user (an admin of kamin_admins may release "
                     "it)",
                404: "no such hold, or it expired"}),
    Endpoint(
        "POST", "bookings", "postBooking",
        "Book a slot atomically (409 when it is no longer free)",
        booking.post_booking, (201, Booked, "booked"), query=NowQuery, body=BookingRequest,
        errors={403: "no staff member whose calendar the user may write, or the hold belongs "
                     "to another user",
                409: "the slot is taken (`conflict` names the busy time), or the hold expired"},
        description=(
            "Creates the entry in the staff member's calendar through the storage (state, "
            "colour, normalised phone and address). Two bookings of one slot never both "
            "succeed. With `hold`, a slot held by that hold (the user's own).")),
    Endpoint(
        "POST", "bookings/{uid}/move", "postMove",
        "Reschedule an entry (duration kept, history logged; 409 when the new slot is taken)",
        booking.post_move, (200, EntryChanged, "the moved entry and the log line written"),
        path_model=UidPath, query=NowQuery, body=MoveRequest, if_match=True,
        errors={404: ENTRY_404, 409: ENTRY_409}),
    Endpoint(
        "POST", "bookings/{uid}/cancel", "postCancel",
        "Cancel an entry (STATUS CANCELLED frees the time; entry and history stay)",
        booking.post_cancel, (200, EntryChanged, "the cancelled entry and the log line written"),
        path_model=UidPath, query=NowQuery, body=CancelRequest, if_match=True,
        errors={404: ENTRY_404, 409: ENTRY_409}),
    Endpoint(
        "GET", "buildings/{building}", "getBuilding",
        "A building's entries, deadlines, next appointment and contact",
        slots.get_building, (200, Building, "the building"), path_model=BuildingPath,
        query=NowQuery, errors={404: "no entries of the building in the calendars the user "
                                     "may read"}),
    Endpoint(
        "GET", "subscriptions", "getSubscriptions",
        "The external calendars mirrored into calendars you may read, and their last fetch",
        subscriptions.get_subscriptions, (200, Subscriptions, "the subscriptions"),
        query=NowQuery),
    Endpoint(
        "GET", "webhooks", "getWebhooks",
        "The webhook subscribers, what each received, and the parked events (admins)",
        webhooks.get_webhooks, (200, webhooks.Webhooks, "the subscribers and parked events"),
        access="admin",
        description=(
            "Every subscriber — of the webhooks file or added in the backend (`source`; "
            "docs/webhooks.md) — with its URL (without "
            "credentials, query and tokens), events, calendars, whether a secret is set (never "
            "the secret), its deliveries by state, last success and failure, and a pause; then "
            "the parked events, oldest first.")),
    Endpoint(
        "POST", "webhooks/retry", "postWebhooksRetry",
        "Send parked webhook events again now (admins)",
        webhooks.post_retry, (200, webhooks.Retried, "how many were queued again"),
        body=webhooks.RetryRequest, body_required=False, access="admin",
        errors={404: "no webhooks set up, or no such subscriber"},
        description=(
            "`{}` retries every parked event, `subscriber` a subscriber's, `delivery` one "
            "(`parked[].delivery` of GET webhooks). Each gets a new retry period "
            "(kamin_webhook_retry_hours). Without `delivery` the subscribers' pauses end too "
            "and their waiting events are sent now (the receiver is back).")),
    Endpoint(
        "GET", "openapi.json", "getOpenApi", "This document (OpenAPI 3.1)",
        get_openapi, (200, Document, "the OpenAPI document of the API")),
)

# The office backend's endpoints (settings, staff, working hours, the
# office's boards, contacts, external calendars, imports): one table.
from radicale_kamin.api.backend.endpoints import OFFICE_ENDPOINTS  # noqa: E402

ENDPOINTS = ENDPOINTS + OFFICE_ENDPOINTS
