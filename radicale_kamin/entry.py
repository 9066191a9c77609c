"""An entry as plain data, and what the server derives from it on every write.

``derive`` is the whole write rule in one pure function: the client's entry
and the stored one go in, the entry to store comes out — or ``EntryRejected``
names everything that is wrong with it. No iCalendar, no Radicale here; the
profile translates VEVENTs to and from these dataclasses.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Optional
from zoneinfo import ZoneInfo

from radicale_kamin import rules
from radicale_kamin.address import AddressResult, normalise

# The X-KAMIN-* facts a client writes. When a client sends an entry back
# without one of them, the stored value is kept (clients drop what they do
# not know); an explicit empty value clears it.
CLIENT_FACTS = ("kind", "building", "customer", "phone", "outcome",
                "attempts", "callback", "last_attempt", "notified",
                "window_start", "contact")

ADDRESS_BY_VERDICT = {"green": "complete", "orange": "incomplete",
                      "red": "unrecognised"}


class EntryRejected(ValueError):
    """The entry cannot be stored; ``problems`` say why, one line each.

    Messages name properties and allowed values, never customer data: they
    end up in logs.
    """

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class Entry:
    """One VEVENT as the client wrote it. None = property absent."""

    kind: Optional[str] = None
    building: Optional[str] = None
    customer: Optional[str] = None
    phone: Optional[str] = None
    outcome: Optional[str] = None
    attempts: Optional[str] = None
    callback: Optional[str] = None
    last_attempt: Optional[str] = None    # when the last failed call was made
    notified: Optional[str] = None        # when an SMS announcement went out
    window_start: Optional[str] = None    # deadline: first day of the Bescheid window
    contact: Optional[str] = None         # UID of the customer's vCard
    location: Optional[str] = None
    summary: Optional[str] = None
    status: Optional[str] = None          # iCalendar STATUS
    categories: tuple[str, ...] = ()
    state: Optional[str] = None           # X-KAMIN-STATUS as stored


@dataclass(frozen=True)
class Derived:
    """The entry as the server stores it."""

    kind: str
    state: rules.State
    address: str                          # complete / incomplete / unrecognised
    outcome: Optional[str]
    attempts: int
    callback: Optional[str]               # ISO 8601 with offset
    last_attempt: Optional[str]
    notified: Optional[str]
    window_start: Optional[str]           # ISO date
    contact: Optional[str]
    building: Optional[str]
    customer: Optional[str]
    phone: Optional[str]                  # E.164, or as typed when invalid
    phone_type: Optional[str]             # mobile, fixed_line, … when valid
    location: Optional[str]               # "Straße Nr, PLZ Ort" when recognised
    summary: Optional[str]
    status: Optional[str]
    categories: tuple[str, ...]
    address_result: AddressResult = field(compare=False, repr=False,
                                          default=None)


@dataclass(frozen=True)
class Contact:
    """The linked customer's vCard as plain data. It fills what an entry
    lacks — the phone above all: adding a missing number to the contact
    turns its orange entries ready to call. What the entry says itself wins,
    except a value it only had from this contact's previous version
    (``previous``), which follows the contact."""

    uid: Optional[str] = None
    customer: Optional[str] = None
    phone: Optional[str] = None
    location: Optional[str] = None
    previous: Optional["Contact"] = None


@dataclass(frozen=True)
class Settings:
    """What derivation needs to know about the business."""

    timezone: ZoneInfo = ZoneInfo("Europe/Berlin")
    phone_region: str = "DE"


AddressJudge = Callable[[Mapping[str, Optional[str]]], AddressResult]


def carry_over(entry: Entry, stored: Optional[Entry]) -> Entry:
    """The client's entry with every X-KAMIN fact it omitted taken from the
    stored version."""
    if stored is None:
        return entry
    kept = {name: getattr(stored, name) for name in CLIENT_FACTS
            if getattr(entry, name) is None}
    return replace(entry, **kept)


def with_contact(entry: Entry, contact: Optional[Contact]) -> Entry:
    """``entry`` with blanks (and values copied from the contact's previous
    version) filled from its linked contact."""
    if contact is None:
        return entry
    filled = {}
    for name in ("customer", "phone", "location"):
        own, theirs = getattr(entry, name), getattr(contact, name)
        old = getattr(contact.previous, name) if contact.previous else None
        if theirs and (_blank_to_none(own) is None or (old and own == old)):
            filled[name] = theirs
    if contact.uid and entry.contact is None:
        filled["contact"] = contact.uid
    return replace(entry, **filled)


def derive(entry: Entry, stored: Optional[Entry] = None,
           settings: Settings = Settings(),
           judge: Optional[AddressJudge] = None,
           contact: Optional[Contact] = None) -> Derived:
    """The entry to store for a client's write of ``entry``.

    ``stored`` is the version on disk (None for a new entry). Raises
    ``EntryRejected`` for values the contract refuses.
    """
    merged = with_contact(carry_over(entry, stored), contact)
    problems: list[str] = []
    kind = _parse_kind(merged.kind, problems)
    outcome = _parse_outcome(merged.outcome, problems)
    attempts = _parse_attempts(merged.attempts, problems)
    callback = _parse_moment_fact("X-KAMIN-CALLBACK", merged.callback,
                                  settings.timezone, problems)
    last_attempt = _parse_moment_fact("X-KAMIN-LAST-ATTEMPT", merged.last_attempt,
                                      settings.timezone, problems)
    notified = _parse_moment_fact("X-KAMIN-NOTIFIED", merged.notified,
                                  settings.timezone, problems)
    window_start = _parse_date_fact("X-KAMIN-WINDOW-START", merged.window_start,
                                    settings.timezone, problems)
    try:
        pick = _staff_pick(entry, stored, kind)
    except rules.AmbiguousPick as e:
        problems.append(str(e))
        pick = None
    if problems:
        raise EntryRejected(problems)

    explicit = _explicitly_changed(entry, stored)
    if pick is not None:
        if pick.kind and "kind" not in explicit:
            kind = pick.kind
        if "outcome" not in explicit:
            if pick.outcome:
                outcome = pick.outcome
            elif pick.clear_outcome:
                outcome = None
        if pick.attempts is not None and "attempts" not in explicit:
            attempts = pick.attempts
    if outcome != "callback" and "callback" not in explicit:
        callback = None

    record = {"address": _blank_to_none(merged.location),
              "phone": _blank_to_none(merged.phone)}
    judged = judge(record) if judge else normalise(record, settings.phone_region)
    address = ADDRESS_BY_VERDICT[judged.verdict]
    state = rules.entry_state(kind, address, outcome, attempts)
    phone = judged.phone_e164 or _blank_to_none(merged.phone)
    status = _ical_status(entry, stored, kind, state)
    return Derived(
        kind=kind, state=state, address=address, outcome=outcome,
        attempts=attempts, callback=callback, last_attempt=last_attempt,
        notified=notified, window_start=window_start,
        contact=_blank_to_none(merged.contact),
        building=_blank_to_none(merged.building),
        customer=_blank_to_none(merged.customer),
        phone=phone, phone_type=judged.phone_type,
        location=judged.location_line() or _blank_to_none(merged.location),
        summary=rules.marked_summary(entry.summary, state),
        status=status,
        categories=tuple(rules.merge_categories(entry.categories, state)),
        address_result=judged)


def as_entry(derived: Derived) -> Entry:
    """The stored form of a derived entry, as ``derive`` reads it back."""
    return Entry(kind=derived.kind, building=derived.building,
                 customer=derived.customer, phone=derived.phone,
                 outcome=derived.outcome, attempts=str(derived.attempts),
                 callback=derived.callback, last_attempt=derived.last_attempt,
                 notified=derived.notified, window_start=derived.window_start,
                 contact=derived.contact, location=derived.location,
                 summary=derived.summary, status=derived.status,
                 categories=derived.categories, state=derived.state.name)


# --- parsing the client-written values --------------------------------------

def _blank_to_none(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    value = value.strip()
    return value or None


def _parse_kind(raw: Optional[str], problems: list[str]) -> str:
    value = _blank_to_none(raw)
    if value is None:
        return rules.DEFAULT_KIND
    if value.lower() not in rules.KINDS:
        problems.append("X-KAMIN-KIND: unknown kind; allowed: %s"
                        % ", ".join(rules.KINDS))
        return rules.DEFAULT_KIND
    return value.lower()


def _parse_outcome(raw: Optional[str], problems: list[str]) -> Optional[str]:
    value = _blank_to_none(raw)
    if value is None:
        return None
    if value.lower() not in rules.OUTCOMES:
        problems.append("X-KAMIN-OUTCOME: unknown outcome; allowed: %s "
                        "(or empty for no answer yet)" % ", ".join(rules.OUTCOMES))
        return None
    return value.lower()


def _parse_attempts(raw: Optional[str], problems: list[str]) -> int:
    value = _blank_to_none(raw)
    if value is None:
        return 0
    if not re.fullmatch(r"[+-]?\d+", value) or int(value) < 0:
        problems.append("X-KAMIN-ATTEMPTS: must be a whole number 0 or more")
        return 0
    return int(value)


_ICAL_DATETIME = re.compile(
    r"(\d{4})(\d{2})(\d{2})(?:T(\d{2})(\d{2})(\d{2})(Z?))?")


def parse_moment(raw: str, tz: ZoneInfo) -> dt.datetime:
    """ISO 8601 or iCalendar date(-time) → aware datetime.

    A time without offset is local time of ``tz``; a bare date means the
    start of that day. Raises ValueError for anything else.
    """
    text = raw.strip()
    match = _ICAL_DATETIME.fullmatch(text)
    if match:
        year, month, day, hour, minute, second, utc = match.groups()
        moment = dt.datetime(int(year), int(month), int(day),
                             int(hour or 0), int(minute or 0), int(second or 0))
        return moment.replace(tzinfo=dt.timezone.utc) if utc else moment.replace(tzinfo=tz)
    if text.endswith(("z", "Z")):
        text = text[:-1] + "+00:00"
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    return moment


def _parse_moment_fact(name: str, raw: Optional[str], tz: ZoneInfo,
                       problems: list[str]) -> Optional[str]:
    """A date-time fact, stored as ISO 8601 with offset in ``tz``."""
    value = _blank_to_none(raw)
    if value is None:
        return None
    try:
        moment = parse_moment(value, tz)
    except ValueError:
        problems.append("%s: not a date-time; use ISO 8601 like "
                        "2026-12-01T10:00:00+01:00 or 20261201T090000Z" % name)
        return None
    return moment.astimezone(tz).isoformat()


def _parse_date_fact(name: str, raw: Optional[str], tz: ZoneInfo,
                     problems: list[str]) -> Optional[str]:
    value = _blank_to_none(raw)
    if value is None:
        return None
    try:
        return parse_moment(value, tz).date().isoformat()
    except ValueError:
        problems.append("%s: not a date; use ISO 8601 like 2026-12-01" % name)
        return None


def _ical_status(entry: Entry, stored: Optional[Entry], kind: str,
                 state: rules.State) -> Optional[str]:
    """STATUS follows the state of internal entries; other kinds keep the
    client's STATUS, except one the server wrote while it was internal."""
    if kind == "internal":
        return state.ical_status
    if (stored is not None and stored.kind == "internal"
            and entry.status == stored.status):
        return None
    return entry.status


# --- what staff changed from an ordinary client -----------------------------

def _explicitly_changed(entry: Entry, stored: Optional[Entry]) -> set[str]:
    """Facts the client itself set to a new value in this write."""
    changed = set()
    for name in CLIENT_FACTS:
        value = getattr(entry, name)
        if value is not None and (stored is None or value != getattr(stored, name)):
            changed.add(name)
    return changed


def _staff_pick(entry: Entry, stored: Optional[Entry],
                kind: str) -> Optional[rules.Pick]:
    """A state picked as a ``Kamin: …`` category, else a STATUS change on an
    internal entry — the two ways staff steer the workflow from any client."""
    picked = rules.picked_state(entry.categories,
                                stored.state if stored else None)
    if picked is not None:
        return rules.PICKS[picked.name]
    status = (entry.status or "").strip().upper()
    stored_status = ((stored.status if stored else None) or "").strip().upper()
    if kind == "internal" and status and status != stored_status:
        return rules.STATUS_PICKS.get(status)
    return None
