"""The options the office changes at run time (``GET/PUT settings``, the
backend's *Regeln* and *Mitarbeiter* pages): which they are, what each means
in German, what a value must look like, and what the calling rules, slots
and staff rules make of the config file's defaults with the office's changes
laid over them.

Each option is a ``[storage] kamin_<name>`` option of the config file, which
stays the source of the defaults; a value the office stored wins over it
until the office resets it (docs/backend.md). On the wire a value has the
type of its kind: whole numbers are JSON integers, ``prefer_sms`` a boolean,
``staff_names`` and ``booking_calendars`` objects, ``non_staff_calendars``
and ``admins`` lists, everything else text in the config file's syntax
(``"08:00-18:00"``, ``"mon-fri"``).

Pure: plain values in, plain values out; a refusal is a German sentence the
office reads beside the field.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from radicale_kamin.schedule import availability, staff
from radicale_kamin.schedule.callsettings import OPTION_NAMES, CallSettings

BUNDESLAENDER = {
    "BW": "Baden-Württemberg", "BY": "Bayern", "BE": "Berlin", "BB": "Brandenburg",
    "HB": "Bremen", "HH": "Hamburg", "HE": "Hessen", "MV": "Mecklenburg-Vorpommern",
    "NI": "Niedersachsen", "NW": "Nordrhein-Westfalen", "RP": "Rheinland-Pfalz",
    "SL": "Saarland", "SN": "Sachsen", "ST": "Sachsen-Anhalt", "SH": "Schleswig-Holstein",
    "TH": "Thüringen"}
HOLD_MINUTES = 10
USER_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}"
_USER = re.compile(USER_PATTERN)


@dataclass(frozen=True)
class Option:
    """One option the office may change."""

    name: str                   # without kamin_
    kind: str                   # int, bool, text, names, calendars, list
    group: str                  # calling, slots, staff: the page section
    label: str                  # German, for the page
    help: str                   # German: what it does, with an example
    low: int = 0                # int: the smallest value
    high: int = 10_000          # int: the largest value

    @property
    def config_name(self) -> str:
        return "kamin_" + self.name


OPTIONS: tuple[Option, ...] = (
    Option("calling_days", "text", "calling", "Anruftage",
           "Wochentage, an denen angerufen wird, z. B. mon-fri oder mo,mi,fr."),
    Option("calling_hours", "text", "calling", "Anrufzeiten",
           "Das Zeitfenster für Anrufe (Ortszeit), z. B. 08:00-18:00."),
    Option("bundesland", "text", "calling", "Bundesland",
           "An gesetzlichen Feiertagen dieses Bundeslands wird weder angerufen noch gearbeitet."),
    Option("holiday_categories", "text", "calling", "Feiertage",
           "public = gesetzliche Feiertage; public, catholic = dazu die Feiertage überwiegend "
           "katholischer Gemeinden (Mariä Himmelfahrt in Bayern)."),
    Option("closed_days", "text", "calling", "Betriebsruhe",
           "Weitere Tage ohne Anrufe und Arbeit, durch Komma getrennt: 12-24 (jedes Jahr) oder "
           "2026-05-15 (einmal)."),
    Option("announce_days", "int", "calling", "Ankündigung (Tage vorher)",
           "Interne Termine werden so viele Tage vorher angekündigt.", 0, 365),
    Option("deadline_days", "int", "calling", "Fristerinnerung (Tage vorher)",
           "An eine Frist des Feuerstättenbescheids wird so viele Tage vorher erinnert.", 0, 365),
    Option("max_attempts", "int", "calling", "Anrufversuche",
           "Nach so vielen Versuchen ohne Antwort geht der Eintrag in die Nacharbeit.", 1, 20),
    Option("retry_hours", "int", "calling", "Neuer Versuch nach (Anrufstunden)",
           "0 = am nächsten Anruftag zu Beginn des Zeitfensters.", 0, 240),
    Option("prefer_sms", "bool", "calling", "Fristerinnerung per SMS",
           "Erinnerungen an Fristen gehen an Handynummern als SMS statt als Anruf."),
    Option("lease_minutes", "int", "calling", "Anruf reserviert (Minuten)",
           "Ein ausgegebener Anruf wird so lange nicht noch einmal ausgegeben.", 0, 1440),
    Option("callback_days", "int", "calling", "Rückruf verfällt nach (Tagen)",
           "Ein nicht erledigter Rückrufwunsch verlässt danach die Anrufliste.", 0, 365),
    Option("sms_confirm_hours", "int", "calling", "SMS-Bestätigung (Stunden vorher)",
           "Ein per SMS angekündigter, nicht bestätigter Termin wird so viele Stunden vorher "
           "angerufen.", 0, 720),
    Option("feuerstaettenschau_notice_days", "int", "calling",
           "Vorlauf Feuerstättenschau (Werktage)",
           "So viele Werktage vorher muss eine Feuerstättenschau angekündigt werden.", 0, 60),
    Option("formblatt_days", "int", "calling", "Formblatt fällig nach (Tagen)",
           "So viele Tage nach dem Fristende ist das Formblatt fällig; danach Nacharbeit.",
           0, 365),
    Option("slot_duration", "int", "slots", "Termindauer (Minuten)",
           "Die übliche Länge eines Termins.", 5, 600),
    Option("slot_buffer", "int", "slots", "Puffer (Minuten)",
           "So viele Minuten bleiben vor und nach jedem Termin frei (Fahrzeit).", 0, 240),
    Option("min_notice_hours", "int", "slots", "Vorlauf (Stunden)",
           "Kein freier Termin beginnt früher als so viele Stunden ab jetzt.", 0, 2160),
    Option("max_appointments_per_day", "int", "slots", "Termine pro Tag höchstens",
           "Je Mitarbeiter und Tag; 0 = unbegrenzt.", 0, 50),
    Option("slot_step", "int", "slots", "Raster (Minuten)",
           "Freie Termine beginnen auf diesem Raster (5, 10, 15, 20, 30, 60).", 5, 60),
    Option("hold_minutes", "int", "slots", "Vormerkung (Minuten)",
           "Eine Vormerkung während eines Telefonats verfällt nach so vielen Minuten.", 1, 120),
    Option("staff_names", "names", "staff", "Anzeigenamen",
           "Der Name, den der Assistent und das Büro für einen Benutzer sehen."),
    Option("non_staff_calendars", "list", "staff", "Keine Mitarbeiterkalender",
           "Kalender (/meister/privat/) oder ganze Benutzer (/buero/), die niemandem als "
           "Arbeitskalender gehören."),
    Option("booking_calendars", "calendars", "staff", "Buchungskalender",
           "Der Kalender, in den Buchungen eines Mitarbeiters gehen (sonst termine)."),
    Option("admins", "list", "staff", "Admins",
           "Benutzer, die das Backend sehen und ändern dürfen."),
)
BY_NAME = {option.name: option for option in OPTIONS}
GROUPS = {"calling": "Anrufe und Fristen", "slots": "Termine und Buchung",
          "staff": "Mitarbeiter"}


class SettingsRejected(ValueError):
    """Values the office may not store: ``problems`` names each option
    with a German sentence."""

    def __init__(self, problems: Mapping[str, str]):
        super().__init__("; ".join("%s: %s" % item for item in problems.items()))
        self.problems = dict(problems)


# --- config text ⇄ wire value ---------------------------------------------------

def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def from_config(name: str, text: str) -> Any:
    """The wire value of an option's text in the config file (its default)."""
    kind = BY_NAME[name].kind
    text = str(text).strip()
    if kind == "int":
        return int(text) if re.fullmatch(r"\d+", text) else None
    if kind == "bool":
        return text.casefold() in ("true", "yes", "on", "1", "ja")
    if kind == "names":
        return staff.parse_names(text)
    if kind == "calendars":
        try:
            return {user: "/%s/" % path for user, path in
                    staff.parse_booking_calendars(text).items()}
        except ValueError:
            return {}
    if kind == "list":
        return _split(text)
    return text


def _config_text(name: str, value: Any) -> str:
    """A checked wire value as the calling and slot options' text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- checking one value -----------------------------------------------------------

def _problem_int(option: Option, value: Any) -> Optional[str]:
    if isinstance(value, bool) or not isinstance(value, int):
        return "Bitte eine ganze Zahl angeben."
    if not option.low <= value <= option.high:
        return "Bitte eine Zahl von %d bis %d angeben." % (option.low, option.high)
    if option.name == "slot_step" and 1440 % value:
        return "Das Raster muss einen Tag glatt teilen: 5, 10, 15, 20, 30 oder 60."
    return None


def _problem_text(option: Option, value: str) -> Optional[str]:
    """German reasons for the calling options' text syntax."""
    parse = {"calling_days": "kamin_calling_days", "calling_hours": "kamin_calling_hours",
             "bundesland": "kamin_bundesland", "holiday_categories": "kamin_holiday_categories",
             "closed_days": "kamin_closed_days"}[option.name]
    if option.name == "closed_days" and not value.strip():
        return None
    if not value.strip():
        return "Bitte einen Wert angeben."
    try:
        CallSettings.from_options({parse: value})
    except ValueError:
        return {
            "calling_days": "Wochentage wie mon-fri, mo-fr oder mo,mi,fr angeben.",
            "calling_hours": "Ein Zeitfenster wie 08:00-18:00 angeben; der Beginn liegt vor "
                             "dem Ende.",
            "bundesland": "Eines der Kürzel %s angeben." % ", ".join(BUNDESLAENDER),
            "holiday_categories": "public oder public, catholic angeben.",
            "closed_days": "Tage als 12-24 (jedes Jahr) oder 2026-05-15 (einmal) angeben, "
                           "durch Komma getrennt.",
        }[option.name]
    return None


def _problem_users(value: Any, known_users: Optional[frozenset]) -> Optional[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return "Bitte eine Liste von Benutzernamen angeben."
    bad = [v for v in value if not _USER.fullmatch(v)]
    if bad:
        return "%r ist kein Benutzername." % bad[0]
    if known_users is not None:
        unknown = [v for v in value if v not in known_users]
        if unknown:
            return "Den Benutzer %s gibt es nicht." % unknown[0]
    return None


def _problem_calendar_list(value: Any) -> Optional[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return "Bitte eine Liste von Kalenderpfaden wie /meister/privat/ angeben."
    for path in value:
        parts = [p for p in path.strip().split("/") if p]
        if (not path.strip().startswith("/") or not 1 <= len(parts) <= 2
                or not all(_USER.fullmatch(p) for p in parts)):
            return "%r ist kein Pfad wie /meister/privat/ oder /buero/." % path
    return None


def _problem_mapping(option: Option, value: Any) -> Optional[str]:
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        return "Bitte Paare aus Benutzer und %s angeben." % (
            "Name" if option.kind == "names" else "Kalender")
    for user, text in value.items():
        if not _USER.fullmatch(user):
            return "%r ist kein Benutzername." % user
        if option.kind == "names" and not 1 <= len(text.strip()) <= 100:
            return "Der Name für %s muss 1 bis 100 Zeichen haben." % user
        if option.kind == "calendars":
            parts = [p for p in text.split("/") if p]
            if len(parts) != 2 or parts[0] != user or not text.startswith("/"):
                return "Für %s einen eigenen Kalender wie /%s/termine/ angeben." % (user, user)
    return None


def problem(name: str, value: Any, known_users: Optional[frozenset] = None) -> Optional[str]:
    """Why ``value`` cannot be option ``name`` (German), or None."""
    option = BY_NAME.get(name)
    if option is None:
        return "Diese Einstellung gibt es nicht (oder sie steht nur in der Konfigurationsdatei)."
    if option.kind == "int":
        return _problem_int(option, value)
    if option.kind == "bool":
        return None if isinstance(value, bool) else "Bitte true oder false angeben."
    if option.kind == "text":
        if not isinstance(value, str) or len(value) > 500:
            return "Bitte einen Text (höchstens 500 Zeichen) angeben."
        return _problem_text(option, value)
    if option.kind in ("names", "calendars"):
        return _problem_mapping(option, value)
    if name == "admins":
        found = _problem_users(value, known_users)
        return found or (None if value else "Mindestens ein Admin muss bleiben.")
    return _problem_calendar_list(value)


# --- what the rules make of them ----------------------------------------------------

@dataclass(frozen=True)
class Effective:
    """The options in force: the config file's, the office's laid over them."""

    values: Mapping[str, Any]           # wire values by option name
    changed: frozenset                  # names the office changed (stored)
    call_settings: CallSettings
    slot_settings: availability.SlotSettings
    staff_options: staff.StaffOptions
    admins: frozenset
    hold_minutes: int


def effective(defaults: Mapping[str, str], stored: Mapping[str, Any],
              base: CallSettings = CallSettings()) -> Effective:
    """The settings in force from the config file's option texts
    (``defaults``, by option name) and the office's stored wire values.
    ``base`` gives what the office cannot change (the time zone). Raises
    SettingsRejected when they do not go together."""
    values = {o.name: from_config(o.name, defaults.get(o.name, "")) for o in OPTIONS}
    values.update({name: value for name, value in stored.items() if name in BY_NAME})
    texts = {o.config_name: _config_text(o.name, values[o.name])
             for o in OPTIONS if o.config_name in OPTION_NAMES and values[o.name] is not None}
    try:
        calling = CallSettings.from_options(texts)
    except ValueError as e:
        raise SettingsRejected({"calling": "Die Anrufregeln passen nicht zusammen (%s)." % e})
    calling = dataclasses.replace(calling, timezone=base.timezone)
    try:
        slots = availability.SlotSettings.from_options(
            {option: str(values[option[len("kamin_"):]]) for option in availability.OPTIONS
             if values[option[len("kamin_"):]] is not None})
    except ValueError as e:
        raise SettingsRejected({"slots": "Die Termineinstellungen passen nicht zusammen (%s)."
                                         % e})
    options = staff.StaffOptions(
        non_staff=tuple(p.strip().strip("/") for p in values["non_staff_calendars"]),
        names=dict(values["staff_names"]),
        choices={user: path.strip().strip("/") for user, path in
                 values["booking_calendars"].items()})
    return Effective(values=values, changed=frozenset(n for n in stored if n in BY_NAME),
                     call_settings=calling, slot_settings=slots, staff_options=options,
                     admins=frozenset(values["admins"]), hold_minutes=values["hold_minutes"] or HOLD_MINUTES)


def check(changes: Mapping[str, Any], defaults: Mapping[str, str], stored: Mapping[str, Any],
          base: CallSettings = CallSettings(),
          known_users: Optional[frozenset] = None) -> Effective:
    """The settings in force after ``changes``, each checked; raises
    SettingsRejected naming every option that is wrong."""
    problems = {name: reason for name, value in changes.items()
                if (reason := problem(name, value, known_users))}
    if problems:
        raise SettingsRejected(problems)
    return effective(defaults, {**stored, **changes}, base)


def shown(value: Any) -> str:
    """A wire value as one line for the change log."""
    if isinstance(value, bool):
        return "ja" if value else "nein"
    if isinstance(value, dict):
        return ", ".join("%s: %s" % item for item in sorted(value.items())) or "(leer)"
    if isinstance(value, list):
        return ", ".join(value) or "(leer)"
    return str(value) if str(value) != "" else "(leer)"
