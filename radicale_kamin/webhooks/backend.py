"""Webhook subscribers the office adds in the backend (``POST
webhooks/subscribers``), and which subscribers are in force.

A subscriber added in the backend follows the webhooks file's rules
(``subscribers.py``: https except to this machine, known event types,
calendar paths, a secret of at least 16 characters); a refusal is German
and names its field, as everywhere in the backend. The backend may also
check that a calendar exists, which the file cannot at start-up.

Which wins: a name belongs to the file or to the backend, never to both.
The backend refuses a name the file has; should the file later gain a name
the backend has, the file's subscriber is in force and the backend's is
left out until the office removes it. The file's subscribers are
read-only in the backend.

Also German for the office: why a delivery failed (``delivery_error``).
"""

from __future__ import annotations

import re
from typing import Iterable, Optional, Sequence

from radicale_kamin.schedule.inisections import calendar_path, valid_name
from radicale_kamin.webhooks.events import EVENT_TYPES
from radicale_kamin.webhooks.subscribers import (MIN_SECRET, Subscriber, event_set,
                                                 unknown_events, url_fault)

FILE, BACKEND = "file", "backend"
URL_TEXTS = {
    "invalid": "Die Adresse ist keine gültige URL.",
    "no-host": "Die Adresse nennt keinen Server.",
    "fragment": "Die Adresse darf keinen #-Teil haben.",
    "http-remote": ("Die Adresse muss mit https:// beginnen; http:// nur zu diesem Rechner "
                    "(localhost, 127.0.0.1, ::1)."),
    "scheme": "Die Adresse muss mit https:// beginnen.",
}

# Why a delivery failed, as the outbox keeps it (``webhooks/delivery.py``), in German.
DELIVERY_ERRORS = (
    (r"no answer within (\S+) s", r"keine Antwort innerhalb von \1 s"),
    (r"no connection within (\S+) s", r"keine Verbindung innerhalb von \1 s"),
    (r"connection failed \(refused, reset or unknown host\)",
     "keine Verbindung (abgelehnt, abgebrochen oder unbekannter Server)"),
    (r"TLS error \(certificate or protocol\)", "TLS-Fehler (Zertifikat oder Protokoll)"),
    (r"request failed \((\w+)\)", r"Anfrage fehlgeschlagen (\1)"),
    (r"HTTP (\d+): redirects are not followed; give the final URL",
     r"HTTP \1: Weiterleitungen werden nicht verfolgt; bitte die endgültige Adresse eintragen"),
    (r"the receiver failed for longer than the retry period",
     "der Empfänger war länger als die Wiederholungszeit gestört"),
    (r"the subscriber is no longer in the webhooks file",
     "der Empfänger steht nicht mehr in der Webhooks-Datei"),
)


class SubscriberRefused(ValueError):
    """A subscriber the backend cannot add: German sentences by field."""

    def __init__(self, problems: dict[str, str]):
        super().__init__(" ".join(problems.values()))
        self.problems = problems


def name_taken(name: str, in_file: bool) -> str:
    """Why ``name`` cannot be added again (German)."""
    if in_file:
        return ("Den Empfänger %s gibt es in der Webhooks-Datei; er wird dort geändert "
                "oder entfernt." % name)
    return "Den Empfänger %s gibt es schon (zum Ändern „ersetzen“ wählen)." % name


def new_subscriber(name: str, url: str, secret: str, events: Sequence[str],
                   calendars: Sequence[str], calendars_on_disk: Iterable[str]) -> Subscriber:
    """The subscriber the office typed, checked; ``SubscriberRefused``
    names every field that is wrong. ``calendars_on_disk``: sane paths."""
    problems: dict[str, str] = {}
    if not valid_name(name):
        problems["name"] = ("Der Name darf nur Buchstaben, Ziffern, - und _ enthalten "
                            "(höchstens 64 Zeichen).")
    fault = url_fault(url) if url else "invalid"
    if fault:
        problems["url"] = URL_TEXTS[fault] if url else "Bitte die Adresse angeben."
    if len(secret) < MIN_SECRET:
        problems["secret"] = ("Das Geheimnis braucht mindestens %d Zeichen (z. B. die Ausgabe "
                              "von openssl rand -hex 32)." % MIN_SECRET)
    event_problem = _events_problem(events)
    if event_problem:
        problems["events"] = event_problem
    paths, calendar_problem = _calendars(calendars, set(calendars_on_disk))
    if calendar_problem:
        problems["calendars"] = calendar_problem
    if problems:
        raise SubscriberRefused(problems)
    return Subscriber(name, url, secret, event_set(list(events)), paths)


def _events_problem(events: Sequence[str]) -> Optional[str]:
    if not events:
        return "Bitte mindestens ein Ereignis wählen."
    unknown = unknown_events(events)
    if unknown:
        return "Unbekanntes Ereignis %s (bekannt: %s)." % (", ".join(unknown),
                                                          ", ".join(EVENT_TYPES))
    return None


def _calendars(raw: Sequence[str], on_disk: set[str]) -> tuple[tuple[str, ...], Optional[str]]:
    """The sane paths of ``raw`` (calendars or homes), or why not."""
    paths = []
    for text in raw:
        path = calendar_path(text, whole_user=True)
        if path is None:
            return (), ("Kalender sind Pfade wie /anna/termine/ oder /anna/, nicht „%s“."
                        % text)
        if path not in on_disk and not any(c.startswith(path + "/") for c in on_disk):
            return (), "Den Kalender /%s/ gibt es nicht." % path
        paths.append(path)
    return tuple(sorted(set(paths))), None


def delivery_error(value: Optional[str]) -> str:
    """A delivery's failure in German (``HTTP 503`` stays as it is)."""
    for pattern, german in DELIVERY_ERRORS:
        if re.fullmatch(pattern, value or ""):
            return re.sub(pattern, german, value or "")
    return value or ""


def lay_over(from_file: Sequence[Subscriber], from_backend: Sequence[Subscriber]
             ) -> list[tuple[Subscriber, str]]:
    """(subscriber, ``file`` or ``backend``) of every subscriber in force,
    by name; on a name both have, the file's."""
    names = {s.name for s in from_file}
    found = [(s, FILE) for s in from_file]
    found += [(s, BACKEND) for s in from_backend if s.name not in names]
    return sorted(found, key=lambda pair: pair[0].name)
