"""The office backend's rows of the endpoint table (``api/endpoints.py``
joins them to the others): the same table serves them, validates them and
writes them into the OpenAPI document. Admins only (``kamin_admins``),
except the working hours, which an employee may read and change for
themself."""

from __future__ import annotations

from radicale_kamin.api.backend import (board, contacts, feeds, hours, imports, settings, staff,
                                        webhooks)
from radicale_kamin.api.backend.models import (
    Accounts, Board, CalendarQuery, Changes, ChangesQuery, ContactDetail, ContactEdit,
    ContactList, ContactPathQuery, ContactsQuery, DaysQuery, EntryDetail, FixRequest, Holds,
    HoursPlan, ImportAnswer, ImportList, ImportPath, NewImport, NewPassword, NewStaff,
    NewSubscription, NewWebhookSubscriber, PasswordChanged, PreviewRequest, Removed,
    SettingOptions, Settings, SettingsChange, StaffPath, SubscriptionPath, SyncResult, UidPath,
    WebhookPath, WebhookTested, WeekQuery, WorkingHoursAnswer)
from radicale_kamin.api.endpoints import Endpoint
from radicale_kamin.api.models import (EmptyRequest, EntryChanged, EntryList, NowQuery, Staff,
                                       Subscription)
from radicale_kamin.api.webhooks import WebhookSubscriber

SETTINGS_400 = ("an option is unknown or its value invalid: `problems` names each with a "
                "German sentence; nothing is stored")
GERMAN_400 = "invalid input; `error` (and `problems`) say what, in German"

OFFICE_ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "GET", "settings", "getSettings",
        "The options the office may change at run time, with the values in force",
        settings.get_settings, (200, Settings, "the settings"), access="admin",
        description=(
            "Keyed by the option's name without `kamin_`. The config file gives the defaults; "
            "a value the office stored (PUT settings) wins over it.")),
    Endpoint(
        "PUT", "settings", "putSettings",
        "Change options (any subset); effective on the next request in every server process",
        settings.put_settings, (200, Settings, "the settings in force now"),
        body=SettingsChange, access="admin", errors={400: SETTINGS_400},
        description=(
            "Each value is checked; one invalid value refuses the whole request (400, "
            "`problems` per option, in German). A value equal to the config file's removes "
            "the office's change. Kept in the state store across restarts; every change is "
            "in GET changes. A change of a calling option recomputes every entry's due period "
            "in place.")),
    Endpoint(
        "GET", "settings/options", "getSettingOptions",
        "Each option with its value, the config file's default, a German label and "
        "explanation (the backend's Regeln page)",
        settings.get_setting_options, (200, SettingOptions, "the options"), access="admin"),
    Endpoint(
        "GET", "changes", "getChanges", "Who changed what when in the backend, latest first",
        settings.get_changes, (200, Changes, "the change log"), query=ChangesQuery,
        access="admin"),
    Endpoint(
        "POST", "staff", "postStaff",
        "Add an employee: a user who can log in at once, with a bookable calendar",
        staff.post_staff, (201, Staff, "the new staff member as GET staff lists them"),
        body=NewStaff, access="admin",
        errors={400: GERMAN_400, 409: "the user exists already, or users are not kept in an "
                                      "htpasswd file"},
        description=(
            "Writes the user to the htpasswd file Radicale reads (bcrypt), creates the calendar "
            "`/<id>/termine/` and stores the display name (kamin_staff_names).")),
    Endpoint(
        "POST", "staff/{staff}/password", "postPassword",
        "Give an employee a new password (the old one stops working at once)",
        staff.post_password, (200, PasswordChanged, "changed"), path_model=StaffPath,
        body=NewPassword, access="admin",
        errors={400: GERMAN_400, 404: "no such user", 409: "users are not kept in an htpasswd "
                                                            "file"}),
    Endpoint(
        "GET", "accounts", "getAccounts",
        "Every user of the users file with their calendars (staff, bookable) and flags",
        staff.get_accounts, (200, Accounts, "the accounts"), access="admin",
        errors={409: "users are not kept in an htpasswd file"}),
    Endpoint(
        "GET", "staff/{staff}/working-hours", "getWorkingHours",
        "An employee's working hours, with the days off and all-day absences ahead",
        hours.get_working_hours, (200, WorkingHoursAnswer, "the working hours"),
        path_model=StaffPath, query=NowQuery, access="self",
        errors={404: "no such staff member"}),
    Endpoint(
        "PUT", "staff/{staff}/working-hours", "putWorkingHours",
        "Replace an employee's working hours (weekly pattern, rotation, exceptions)",
        hours.put_working_hours, (200, WorkingHoursAnswer, "the working hours in force"),
        path_model=StaffPath, query=NowQuery, body=HoursPlan, access="self",
        errors={400: GERMAN_400, 404: "no such staff member"},
        description=(
            "Takes effect on the next request in every server process (free slots, bookings) "
            "and survives a restart; replaces the working-hours file's section for the "
            "employee. An employee may change their own, an admin everyone's.")),
    Endpoint(
        "POST", "staff/{staff}/working-hours/reset", "postWorkingHoursReset",
        "Back to the working-hours file's hours for the employee",
        hours.post_reset_hours, (200, WorkingHoursAnswer, "the working hours in force"),
        path_model=StaffPath, query=NowQuery, body=EmptyRequest, body_required=False,
        access="self", errors={404: "no such staff member"}),
    Endpoint(
        "GET", "deadlines", "getDeadlines", "Deadline entries due in the coming days",
        board.get_deadlines, (200, EntryList, "the deadlines, soonest first"), query=DaysQuery,
        access="admin"),
    Endpoint(
        "GET", "holds", "getHolds", "Holds in progress (tentative reservations)",
        board.get_holds, (200, Holds, "the holds"), query=NowQuery, access="admin"),
    Endpoint(
        "GET", "week", "getWeek",
        "The week board: each employee's days with working hours, holidays and entries",
        board.get_week, (200, Board, "the week"), query=WeekQuery, access="admin",
        errors={404: "no such staff member"}),
    Endpoint(
        "GET", "entries/{uid}", "getEntry",
        "One entry with its notes, call log, contact and the building's other entries",
        board.get_entry, (200, EntryDetail, "the entry"), path_model=UidPath,
        query=CalendarQuery, access="admin",
        errors={404: "no such entry", 409: "the UID is in several calendars"}),
    Endpoint(
        "POST", "entries/{uid}/fix", "postFix",
        "Enter a missing phone or address into an entry (it leaves orange when complete)",
        board.post_fix, (200, EntryChanged, "the entry as stored and the log line"),
        path_model=UidPath, body=FixRequest, access="admin",
        errors={400: GERMAN_400, 404: "no such entry",
                409: "the entry changed meanwhile, or the UID is in several calendars"}),
    Endpoint(
        "GET", "contacts", "getContacts",
        "Search customers by name, phone, address or building",
        contacts.get_contacts, (200, ContactList, "the contacts"), query=ContactsQuery,
        access="admin"),
    Endpoint(
        "GET", "contacts/{uid}", "getContact",
        "A contact with its verdict, what is missing and its appointments",
        contacts.get_contact, (200, ContactDetail, "the contact"), path_model=UidPath,
        query=ContactPathQuery, access="admin",
        errors={404: "no such contact", 409: "the UID is in several address books"}),
    Endpoint(
        "PUT", "contacts/{uid}", "putContact",
        "Change a contact's name, phone or address; its entries are derived again",
        contacts.put_contact, (200, ContactDetail, "the contact as stored"),
        path_model=UidPath, body=ContactEdit, access="admin",
        errors={404: "no such contact", 409: "the UID is in several address books"}),
    Endpoint(
        "POST", "subscriptions", "postSubscription",
        "Add an external calendar (an ICS address) for a staff calendar",
        feeds.post_subscription, (201, Subscription, "the subscription"),
        body=NewSubscription, access="admin",
        errors={400: GERMAN_400, 409: "the name is taken"}),
    Endpoint(
        "POST", "subscriptions/{name}/remove", "postSubscriptionRemove",
        "Remove an external calendar and its mirrored entries",
        feeds.post_remove, (200, Removed, "removed"), path_model=SubscriptionPath,
        body=EmptyRequest, body_required=False, access="admin",
        errors={404: "no such subscription"}),
    Endpoint(
        "POST", "subscriptions/{name}/sync", "postSubscriptionSync",
        "Fetch an external calendar now",
        feeds.post_sync, (200, SyncResult, "how the fetch went"), path_model=SubscriptionPath,
        body=EmptyRequest, body_required=False, access="admin",
        errors={404: "no such subscription"}),
    Endpoint(
        "POST", "webhooks/subscribers", "postWebhookSubscriber",
        "Add a webhook subscriber (or replace one added in the backend)",
        webhooks.post_subscriber, (201, WebhookSubscriber, "the subscriber as GET webhooks "
                                                            "lists it (never its secret)"),
        body=NewWebhookSubscriber, access="admin",
        errors={400: GERMAN_400, 409: "the name is the webhooks file's, or the backend's and "
                                      "`replace` was not given"},
        description=(
            "Checked like a section of the webhooks file (https except to this machine, known "
            "event types, existing calendars, a secret of 16 characters or more); kept in the "
            "state store and in force in every server process on its next request or "
            "delivery round. A new subscriber gets the events of changes after the answer "
            "(the first one takes the baseline before answering). The secret is never "
            "returned, shown or logged: to change it, send the subscriber again with "
            "`replace`.")),
    Endpoint(
        "POST", "webhooks/subscribers/{name}/remove", "postWebhookSubscriberRemove",
        "Remove a webhook subscriber added in the backend (nothing more is sent to it)",
        webhooks.post_remove, (200, Removed, "removed"), path_model=WebhookPath,
        body=EmptyRequest, body_required=False, access="admin",
        errors={404: "no such subscriber in the backend",
                409: "the subscriber is the webhooks file's: remove it there"},
        description="Its waiting and parked events are dropped with it."),
    Endpoint(
        "POST", "webhooks/subscribers/{name}/test", "postWebhookSubscriberTest",
        "Send a subscriber a signed test event now and say how it went",
        webhooks.post_test, (200, WebhookTested, "the outcome"), path_model=WebhookPath,
        body=EmptyRequest, body_required=False, access="admin",
        errors={404: "no such subscriber"},
        description=(
            "A `webhook.test` event (see the `webhooks` section), signed with the "
            "subscriber's secret, posted once within kamin_webhook_timeout: not queued, not "
            "retried, not counted. For the file's subscribers too.")),
    Endpoint(
        "GET", "imports", "getImports", "The latest imports",
        imports.get_imports, (200, ImportList, "the imports"), access="admin"),
    Endpoint(
        "POST", "imports", "postImport",
        "Upload a CSV, vCard, iCalendar or ZIV file: previewed, nothing written yet",
        imports.post_import, (201, ImportAnswer, "the preview: verdicts, column mapping"),
        body=NewImport, access="admin", max_body=imports.MAX_BODY,
        errors={400: GERMAN_400}),
    Endpoint(
        "GET", "imports/{id}", "getImport", "An import: its preview, progress or report",
        imports.get_import, (200, ImportAnswer, "the import"), path_model=ImportPath,
        access="admin", errors={404: "no such import"}),
    Endpoint(
        "POST", "imports/{id}/preview", "postImportPreview",
        "Preview again with a corrected CSV column mapping",
        imports.post_preview, (200, ImportAnswer, "the preview"), path_model=ImportPath,
        body=PreviewRequest, access="admin",
        errors={400: GERMAN_400, 404: "no such import", 409: "the import is running"}),
    Endpoint(
        "POST", "imports/{id}/run", "postImportRun",
        "Import the file (in the background; GET imports/{id} shows the progress)",
        imports.post_run, (202, ImportAnswer, "started"), path_model=ImportPath,
        body=EmptyRequest, body_required=False, access="admin",
        errors={404: "no such import", 409: "the import is running already"}),
)
