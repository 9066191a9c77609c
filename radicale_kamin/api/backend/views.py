"""What each page of the backend shows and what its forms send: one small
class per page (``get`` → template and values read through the API;
``post`` → the form sent to its endpoint, then back to the page). German
words for the API's values live here too."""

from __future__ import annotations

import datetime as dt
import urllib.parse
from typing import Any, Optional

import jinja2

from radicale_kamin.api.backend import forms
from radicale_kamin.api.backend.imports import report_of
from radicale_kamin.importing.report import WRITTEN_DE, report_csv
from radicale_kamin.schedule import settings as office_rules
from radicale_kamin.schedule.callsettings import WEEKDAYS
from radicale_kamin.schedule.hoursplan import KINDS
from radicale_kamin.webhooks.backend import delivery_error
from radicale_kamin.webhooks.events import EVENT_TYPES

WEEKDAY_SHORT = ("Mo", "Di", "Mi", "Do", "Fr", "Sa", "So")
WEEKDAY_LONG = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")
REASONS = {"announce": "Termin ankündigen", "retry": "erneuter Versuch",
           "deadline": "Frist erinnern", "callback": "Rückruf"}
ACTIONS = {"call": "Anruf", "sms": "SMS"}
MISSING = {"phone": "Telefon", "street": "Straße", "number": "Hausnummer", "postcode": "PLZ",
           "city": "Ort", "address": "Adresse nicht erkannt"}
FOLLOW_UPS = {"unreached": "zweimal nicht erreicht", "rejected": "abgelehnt",
              "callback-missed": "Rückruf versäumt", "formblatt-missing": "Formblatt fehlt",
              "notice-missed": "Feuerstättenschau nicht rechtzeitig angekündigt"}
VERDICTS = {"green": "grün", "orange": "orange", "red": "rot"}
STATUS = {"preview": "Vorschau", "running": "läuft", "done": "fertig", "failed": "fehlgeschlagen"}
FIELD_NAMES = {
    "id": "Kundennummer", "salutation": "Anrede", "nametitle": "Titel", "firstname": "Vorname",
    "customer": "Name", "manager": "Verwalter", "address": "Adresse (eine Zeile)",
    "street": "Straße", "housenumber": "Hausnummer", "zip": "PLZ", "city": "Ort",
    "district": "Ortsteil", "phone": "Telefon", "mobile": "Handy", "fax": "Fax",
    "email": "E-Mail", "building": "Liegenschaft", "date": "Datum", "time": "Uhrzeit",
    "end": "Ende", "duration": "Dauer", "summary": "Betreff", "description": "Bemerkung",
    "staff": "Mitarbeiter", "ignore": "(nicht verwenden)"}
EVENT_LABELS = {
    "entry.state-changed": "Status eines Eintrags geändert",
    "call.due": "Anruf fällig",
    "booking.created": "Termin gebucht",
    "booking.moved": "Termin verschoben",
    "booking.cancelled": "Termin abgesagt oder freigegeben",
    "import.finished": "Import fertig",
    "subscription.failed": "Externer Kalender nicht abgeglichen",
    "webhook.test": "Testereignis",
}


# --- filters ------------------------------------------------------------------------

def _moment(value: Optional[str]) -> Optional[dt.datetime]:
    if not value:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def day_text(value: Optional[str]) -> str:
    """``2026-12-07…`` → ``Mo 07.12.2026``."""
    if not value:
        return ""
    day = dt.date.fromisoformat(value[:10])
    return "%s %s" % (WEEKDAY_SHORT[day.weekday()], day.strftime("%d.%m.%Y"))


def time_text(value: Optional[str]) -> str:
    moment = _moment(value)
    return moment.strftime("%H:%M") if moment and len(value or "") > 10 else ""


def when_text(value: Optional[str]) -> str:
    """A date-time as ``Mo 07.12.2026 09:00`` (an all-day date without time)."""
    text = day_text(value)
    clock = time_text(value)
    return "%s %s" % (text, clock) if clock else text


def install_filters(environment: jinja2.Environment) -> None:
    environment.filters.update(day=day_text, time=time_text, when=when_text,
                               delivery_error=delivery_error,
                               quote=lambda v: urllib.parse.quote(v or "", safe=""))
    environment.globals.update(
        REASONS=REASONS, ACTIONS=ACTIONS, MISSING=MISSING, FOLLOW_UPS=FOLLOW_UPS,
        VERDICTS=VERDICTS, WRITTEN=WRITTEN_DE, STATUS=STATUS, KINDS=KINDS, WEEKDAYS=WEEKDAYS,
        WEEKDAY_LONG=WEEKDAY_LONG, FIELD_NAMES=FIELD_NAMES, SLOTS=forms.SLOTS_PER_DAY,
        BUNDESLAENDER=office_rules.BUNDESLAENDER, EVENT_LABELS=EVENT_LABELS,
        EVENT_TYPES=EVENT_TYPES)


# --- posting a form ---------------------------------------------------------------------

def send(context, handler, args: list, call: forms.Call, page: str, ok: str,
         fields: dict, **query: Any):
    """Send the form's request; back to ``page`` on success, else the page
    again with the API's refusal beside the fields (and what was typed)."""
    method, path, body = call
    status, data = context.call(method, path, body)
    if status < 400:
        context.done(page, ok, **query)
    template, values = handler.get(context, *args)
    values.update(error=data.get("error", "Fehler"), problems=data.get("problems") or {},
                  form=fields)
    return context.html(template, values, status)


def refuse_form(context, handler, args: list, error: forms.FormError, fields: dict):
    template, values = handler.get(context, *args)
    values.update(error=str(error), problems={}, form=fields)
    return context.html(template, values, 400)


def _base(**values: Any) -> dict:
    return {"error": None, "problems": {}, "form": {}, **values}


# --- the pages -------------------------------------------------------------------------

SHOWN = 50          # entries per list on the Heute page, unless "alle" asks for all


class Today:
    """Heute: whom to call and why, data missing (fix it here), follow-up,
    deadlines, holds. Each list shows its first ``SHOWN`` entries (a
    district has hundreds of orange entries); ``?alle=<list>`` shows one
    list whole."""

    @staticmethod
    def get(context):
        now = context.query.get("now")
        at = "&now=" + urllib.parse.quote(now) if now else ""
        whole = context.query.get("alle")
        due = context.read("due-calls?lease=false" + at)
        lists = {"anrufe": due["calls"],
                 "daten-fehlen": context.read("data-missing?" + at[1:])["entries"],
                 "nacharbeit": context.read("follow-up?" + at[1:])["entries"],
                 "fristen": context.read("deadlines?" + at[1:])["entries"]}
        totals = {name: len(items) for name, items in lists.items()}
        shown = {name: items if name == whole else items[:SHOWN]
                 for name, items in lists.items()}
        return "today.html", _base(
            calls=shown["anrufe"], calling_time=due["calling_time"],
            missing=shown["daten-fehlen"], follow_up=shown["nacharbeit"],
            deadlines=shown["fristen"], totals=totals,
            holds=context.read("holds?" + at[1:])["holds"], now=now)

    @staticmethod
    def post(context, form):
        return send(context, Today, [], forms.fix_form(form), "", "fix", form,
                    now=context.query.get("now"))


class WeekBoard:
    @staticmethod
    def get(context):
        start = context.query.get("start")
        query = {"start": start, "staff": context.query.get("staff"),
                 "now": context.query.get("now")}
        shown = urllib.parse.urlencode({k: v for k, v in query.items() if v})
        board = context.read("week?" + shown)
        monday = dt.date.fromisoformat(board["from"])
        return "week.html", _base(
            board=board, staff=context.read("staff")["staff"], chosen=query["staff"],
            previous=(monday - dt.timedelta(days=7)).isoformat(),
            next=(monday + dt.timedelta(days=7)).isoformat())


class EntryPage:
    @staticmethod
    def get(context, uid):
        calendar = context.query.get("calendar")
        path = "entries/%s" % forms.quoted(uid)
        if calendar:
            path += "?calendar=" + forms.quoted(calendar)
        return "entry.html", _base(detail=context.read(path))


class StaffPage:
    @staticmethod
    def get(context):
        return "staff.html", _base(accounts=context.read("accounts")["accounts"],
                                   settings=context.read("settings"))

    @staticmethod
    def post(context, form):
        action = forms.one(form, "action")
        try:
            if action == "staff":
                accounts = context.read("accounts")["accounts"]
                settings = context.read("settings")
                call = forms.staff_settings_form(
                    form, [a["id"] for a in accounts],
                    [c["path"] for a in accounts for c in a["calendars"]],
                    settings["non_staff_calendars"])
            elif action in ("new-staff", "password"):
                call = forms.FORMS[action](form)
            else:
                raise forms.FormError("Unbekannte Aktion.")
        except forms.FormError as e:
            return refuse_form(context, StaffPage, [], e, form)
        return send(context, StaffPage, [], call, "mitarbeiter", action, form)


class HoursPage:
    for_self = True

    @staticmethod
    def get(context, staff):
        hours = context.read("staff/%s/working-hours" % forms.quoted(staff))
        return "hours.html", _base(hours=hours, staff=staff,
                                   new_rows=forms.NEW_EXCEPTIONS,
                                   next_monday=_next_monday().isoformat())

    @staticmethod
    def post(context, staff, form):
        page = "arbeitszeiten/" + forms.quoted(staff)
        if forms.one(form, "action") == "reset":
            call = ("POST", "staff/%s/working-hours/reset" % forms.quoted(staff), None)
            return send(context, HoursPage, [staff], call, page, "hours-reset", form)
        return send(context, HoursPage, [staff], forms.hours_form(form, staff), page, "hours",
                    form)


def _next_monday() -> dt.date:
    today = dt.date.today()
    return today + dt.timedelta(days=(7 - today.weekday()) % 7)


class RulesPage:
    @staticmethod
    def get(context):
        options = context.read("settings/options")
        groups = [(key, title, [o for o in options["options"] if o["group"] == key])
                  for key, title in options["groups"].items() if key != "staff"]
        return "rules.html", _base(groups=groups)

    @staticmethod
    def post(context, form):
        return send(context, RulesPage, [], forms.settings_form(form), "regeln", "settings",
                    form)


class ContactsPage:
    @staticmethod
    def get(context):
        q = context.query.get("q", "")
        found = context.read("contacts?q=" + forms.quoted(q))["contacts"] if q else None
        return "contacts.html", _base(q=q, found=found)


class ContactPage:
    @staticmethod
    def get(context, uid):
        book = context.query.get("addressbook")
        path = "contacts/%s" % forms.quoted(uid)
        if book:
            path += "?addressbook=" + forms.quoted(book)
        return "contact.html", _base(detail=context.read(path), uid=uid)

    @staticmethod
    def post(context, uid, form):
        return send(context, ContactPage, [uid], forms.contact_form(form, uid),
                    "kontakt/" + forms.quoted(uid), "contact", form,
                    addressbook=forms.one(form, "addressbook"))


class FeedsPage:
    @staticmethod
    def get(context):
        calendars = [c for a in context.read("accounts")["accounts"] for c in a["calendars"]
                     if c["staff"]]
        return "feeds.html", _base(subscriptions=context.read("subscriptions")["subscriptions"],
                                   calendars=calendars, result=None)

    @staticmethod
    def post(context, form):
        action = forms.one(form, "action")
        if action in ("sync", "remove"):
            status, data = context.call(*forms.subscription_action(form, action))
            if status < 400 and action == "remove":
                context.done("kalender", "removed")
            template, values = FeedsPage.get(context)
            if status >= 400:
                values.update(error=data.get("error"), form=form)
            else:
                values.update(result=data)
            return context.html(template, values, status if status >= 400 else 200)
        return send(context, FeedsPage, [], forms.subscription_form(form), "kalender",
                    "subscription", form)


class ImportsPage:
    @staticmethod
    def get(context):
        calendars = [c for a in context.read("accounts")["accounts"] for c in a["calendars"]
                     if c["staff"]]
        return "imports.html", _base(imports=context.read("imports")["imports"],
                                     calendars=calendars)

    @staticmethod
    def post(context, form):
        content = forms.one(form, "file:content")
        if not forms.one(form, "file") or not content:
            return refuse_form(context, ImportsPage, [], forms.FormError(
                "Bitte eine Datei auswählen."), form)
        body = {"file": forms.one(form, "file"), "content": content,
                "calendar": forms.one(form, "calendar")}
        if forms.one(form, "format"):
            body["format"] = forms.one(form, "format")
        status, data = context.call("POST", "imports", body)
        if status < 400:
            context.done("import/" + data["id"], "")
        template, values = ImportsPage.get(context)
        values.update(error=data.get("error"), problems=data.get("problems") or {})
        return context.html(template, values, status)


class ImportPage:
    @staticmethod
    def get(context, import_id):
        return "import.html", _base(job=context.read("imports/" + forms.quoted(import_id)))

    @staticmethod
    def post(context, import_id, form):
        page = "import/" + forms.quoted(import_id)
        if forms.one(form, "action") == "run":
            call = ("POST", "imports/%s/run" % forms.quoted(import_id), None)
            return send(context, ImportPage, [import_id], call, page, "", form)
        return send(context, ImportPage, [import_id], forms.preview_form(form, import_id), page,
                    "preview", form)


class ReportPage:
    """The import's report as CSV (Excel), a download."""

    @staticmethod
    def download(context, import_id):
        context.read("imports/" + forms.quoted(import_id))      # exists, and the user may
        report = report_of(context.api, import_id) or {"records": [], "skipped": []}
        data = report_csv(report).encode("utf-8")
        return 200, {"Content-Type": "text/csv; charset=utf-8",
                     "Content-Disposition": 'attachment; filename="import-bericht-%s.csv"'
                     % import_id[:8], "Cache-Control": "no-store",
                     "X-Content-Type-Options": "nosniff"}, data, None


class WebhooksPage:
    """The webhook subscribers (the file's and the backend's) with what each
    received, the parked events, adding and removing, a test, retries."""

    @staticmethod
    def get(context):
        status, accounts = context.call("GET", "accounts")    # 409 without an htpasswd file
        calendars = [c["path"] for a in accounts.get("accounts", []) for c in a["calendars"]
                     ] if status < 400 else []
        return "webhooks.html", _base(hooks=context.read("webhooks"), calendars=calendars,
                                      result=None)

    @staticmethod
    def post(context, form):
        action = forms.one(form, "action")
        typed = {name: values for name, values in form.items() if name != "secret"}
        if action == "add":
            return send(context, WebhooksPage, [], forms.webhook_form(form), "webhooks",
                        "webhook", typed)
        if action == "remove":
            status, data = context.call(*forms.webhook_action(form, "remove"))
            if status < 400:
                context.done("webhooks", "webhook-removed")
            return WebhooksPage.show(context, status, data, None)
        if action == "test":
            status, data = context.call(*forms.webhook_action(form, "test"))
            return WebhooksPage.show(context, status, data, _tested(forms.one(form, "name"),
                                                                    data))
        if action == "retry":
            status, data = context.call(*forms.retry_form(form))
            return WebhooksPage.show(context, status, data, {
                "ok": True, "text": "%d geparkte Ereignisse werden jetzt erneut gesendet."
                % data.get("retried", 0)})
        return refuse_form(context, WebhooksPage, [], forms.FormError("Unbekannte Aktion."),
                           typed)

    @staticmethod
    def show(context, status: int, data: dict, result: Optional[dict]):
        """The page again with an action's outcome (or its refusal)."""
        template, values = WebhooksPage.get(context)
        if status >= 400:
            values.update(error=data.get("error", "Fehler"))
        else:
            values.update(result=result)
        return context.html(template, values, status if status >= 400 else 200)


def _tested(name: str, data: dict) -> dict:
    if data.get("delivered"):
        return {"ok": True, "text": "Testereignis an %s zugestellt (HTTP %s)."
                % (name, data.get("status"))}
    return {"ok": False, "text": "Testereignis an %s fehlgeschlagen: %s." % (
        name, delivery_error(data.get("error")) or "unbekannter Fehler")}


class LogPage:
    @staticmethod
    def get(context):
        return "log.html", _base(changes=context.read("changes?limit=500")["changes"])


ROUTES = (
    (r"", Today),
    (r"woche", WeekBoard),
    (r"eintrag/([^/]+)", EntryPage),
    (r"mitarbeiter", StaffPage),
    (r"arbeitszeiten/([^/]+)", HoursPage),
    (r"regeln", RulesPage),
    (r"kontakte", ContactsPage),
    (r"kontakt/([^/]+)", ContactPage),
    (r"kalender", FeedsPage),
    (r"import", ImportsPage),
    (r"import/([0-9a-f]{32})", ImportPage),
    (r"import/([0-9a-f]{32})/bericht\.csv", ReportPage),
    (r"protokoll", LogPage),
    (r"webhooks", WebhooksPage),
)
