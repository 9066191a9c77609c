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

from radicale_kamin.entries import notes, rules
from radicale_kamin.address.verdict import AddressResult, normalise
from radicale_kamin.address.missing import missing_data
from radicale_kamin.address.phone import find_phone
from radicale_kamin.entries.timefacts import DEFAULT_TIMEZONE

# The X-KAMIN-* facts a client writes. When a client sends an entry back
# without one of them, the stored value is kept (clients drop what they do
# not know); an explicit empty value clears it.
CLIENT_FACTS = ("kind", "building", "customer", "phone", "outcome",
                "attempts", "callback", "last_attempt", "notified",
                "window_start", "contact", "work", "formblatt")
# X-KAMIN-FORMBLATT without a known day (a pick from a client that sent no
# DTSTAMP): received, day unknown.
FORMBLATT_DAY_UNKNOWN = "ja"

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
    work: Optional[str] = None            # X-KAMIN-WORK: which job (rules.WORKS)
    formblatt: Optional[str] = None       # X-KAMIN-FORMBLATT: day the Formblatt came in
    location: Optional[str] = None
    summary: Optional[str] = None
    status: Optional[str] = None          # iCalendar STATUS
    categories: tuple[str, ...] = ()
    state: Optional[str] = None           # X-KAMIN-STATUS as stored
    description: Optional[str] = None     # the notes, as typed (never rewritten)
    phone_from: Optional[str] = None      # X-KAMIN-PHONE's X-KAMIN-FROM: read from these notes
    mark: Optional[str] = None            # X-KAMIN-MARK: the SUMMARY mark the server wrote
    stamp: Optional[str] = None           # LAST-MODIFIED, else DTSTAMP: when the client saved


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
    phone_from: Optional[str] = None      # the notes field the phone was read from
    work: Optional[str] = None            # rules.WORKS name
    formblatt: Optional[str] = None       # ISO date, or FORMBLATT_DAY_UNKNOWN
    mark: Optional[str] = None            # the mark in front of SUMMARY (X-KAMIN-MARK)
    missing: tuple[str, ...] = ()         # what to ask for (missing.FIELDS)
    description: Optional[str] = None     # the client's notes, passed through


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

    timezone: ZoneInfo = DEFAULT_TIMEZONE
    phone_region: str = "DE"
    summary_marks: str = rules.DEFAULT_SUMMARY_MARKS   # kamin_summary_marks

    def __post_init__(self) -> None:
        if self.summary_marks not in rules.SUMMARY_MARK_MODES:
            raise ValueError("summary_marks must be one of %s"
                             % ", ".join(rules.SUMMARY_MARK_MODES))


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
    judge = judge or (lambda record: normalise(record, settings.phone_region))
    merged, phone_from = _merged(entry, stored, contact, settings.phone_region)
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
    work = _parse_work(merged.work, problems)
    formblatt = _parse_formblatt(merged.formblatt, settings.timezone, problems)
    try:
        pick = _staff_pick(entry, stored, kind)
        picked_work = rules.picked_work(entry.categories, stored.work if stored else None)
    except rules.AmbiguousPick as e:
        problems.append(str(e))
        pick = picked_work = None
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
    if picked_work is not None and "work" not in explicit:
        work = picked_work.name
    if (kind == "deadline" and formblatt is None and "formblatt" not in explicit
            and rules.picks_formblatt(entry.categories)):
        formblatt = _formblatt_day(entry, stored, settings.timezone)

    judged = judge({"address": _blank_to_none(merged.location),
                    "phone": _blank_to_none(merged.phone)})
    merged, judged = _completed_by_contact(merged, judged, contact, judge)
    address = ADDRESS_BY_VERDICT[judged.verdict]
    state = rules.entry_state(kind, address, outcome, attempts)
    mark = rules.summary_mark(state, settings.summary_marks)
    return Derived(
        kind=kind, state=state, address=address, outcome=outcome,
        attempts=attempts, callback=callback, last_attempt=last_attempt,
        notified=notified, window_start=window_start,
        contact=_blank_to_none(merged.contact),
        building=_blank_to_none(merged.building),
        customer=_blank_to_none(merged.customer),
        phone=judged.phone_e164 or _blank_to_none(merged.phone),
        phone_type=judged.phone_type,
        location=_location(merged.location, judged, judge),
        summary=rules.marked_summary(entry.summary, mark, _written_mark(entry, stored)),
        status=_ical_status(entry, stored, kind, state),
        categories=tuple(rules.merge_categories(
            entry.categories, state, _fact_labels(kind, work, formblatt))),
        address_result=judged, phone_from=phone_from, work=work, formblatt=formblatt,
        mark=mark or None,
        missing=missing_data((r.code for r in judged.reasons), judged.phone_e164 is not None),
        description=entry.description)


# --- the phone, the LOCATION and the SUMMARY mark ------------------------------

def _merged(entry: Entry, stored: Optional[Entry], contact: Optional[Contact],
            region: str) -> tuple[Entry, Optional[str]]:
    """The client's entry with what it omitted taken from the stored
    version, its phone settled (``_phone_of``) and blanks filled from the
    linked contact; and the notes field the phone was read from, if any."""
    merged = carry_over(entry, stored)
    found = notes.phone_in_notes(entry.description, entry.location, region)
    phone, phone_from = _phone_of(merged, entry, stored, found, region)
    if phone != merged.phone:
        merged = replace(merged, phone=phone)
    merged = with_contact(merged, contact)
    if merged.phone != phone:
        phone_from = None               # the linked contact's number took its place
    return merged, phone_from


def _completed_by_contact(merged: Entry, judged: AddressResult, contact: Optional[Contact],
                          judge: AddressJudge) -> tuple[Entry, AddressResult]:
    """The linked contact's address in place of the entry's own where both
    name the same house (street, number, town; the PLZ where both give one)
    and the contact's lacks less: staff who typed "Altstadt 12, Landshut" in
    a calendar app need not look up the PLZ the office already has. A phone
    typed behind the address keeps the entry's LOCATION."""
    theirs_text = contact.location if contact is not None else None
    own_text = _blank_to_none(merged.location)
    if not theirs_text or own_text is None or own_text == theirs_text:
        return merged, judged
    if notes.phone_tail(own_text) is not None or judged.match_key() is None:
        return merged, judged
    theirs = judge({"address": theirs_text, "phone": _blank_to_none(merged.phone)})
    same_house = theirs.match_key() == judged.match_key() and (
        not judged.postcode or judged.postcode == theirs.postcode)
    if same_house and _address_gaps(theirs) < _address_gaps(judged):
        return replace(merged, location=theirs_text), theirs
    return merged, judged


def _address_gaps(judged: AddressResult) -> set[str]:
    """What the address lacks (``missing.FIELDS`` but the phone)."""
    return set(missing_data((r.code for r in judged.reasons), phone_ok=True))


def _phone_read_from_notes(entry: Entry, stored: Optional[Entry]) -> bool:
    """Whether the entry's X-KAMIN-PHONE is one the server read from the
    notes (marked X-KAMIN-FROM) and the client did not change: it is read
    from the notes again, so a number staff change there takes effect."""
    if stored is not None and stored.phone_from:
        return entry.phone is None or entry.phone == stored.phone
    return stored is None and bool(entry.phone_from)


def _phone_of(merged: Entry, entry: Entry, stored: Optional[Entry],
              found: Optional[notes.NotesPhone], region: str
              ) -> tuple[Optional[str], Optional[str]]:
    """(phone, notes field it was read from): a valid number written as
    X-KAMIN-PHONE wins; else a labelled number in the notes; else what was
    written (a number as typed, or none — the linked contact may fill it)."""
    typed = None if _phone_read_from_notes(entry, stored) else _blank_to_none(merged.phone)
    if typed is not None and find_phone(typed, region) is not None:
        return typed, None
    if found is not None:
        return found.phone.e164, found.field
    return typed, None


def _location(location: Optional[str], judged: AddressResult,
              judge: AddressJudge) -> Optional[str]:
    """``Straße Nr, PLZ Ort`` when recognised — with a phone number staff
    typed behind it kept as typed, so it is found again on the next write —
    else the LOCATION as typed."""
    text = _blank_to_none(location)
    line = judged.location_line()
    if line is None or text is None:
        return line or text
    tail = notes.phone_tail(text)
    head_line = judge({"address": tail.head}).location_line() if tail else None
    return notes.location_keeping_phone(line, tail, head_line, text)


def _written_mark(entry: Entry, stored: Optional[Entry]) -> Optional[str]:
    """The mark the server put in front of SUMMARY last time: the stored
    version's X-KAMIN-MARK (a client may drop unknown properties), for a new
    entry the one it carries. Entries written before X-KAMIN-MARK existed
    carried a ✓ exactly when confirmed."""
    source = stored if stored is not None else entry
    if source.mark:
        return source.mark
    return rules.STATES["confirmed"].mark if source.state == "confirmed" else None


def _fact_labels(kind: str, work: Optional[str],
                 formblatt: Optional[str]) -> list[str]:
    """The ``Kamin: …`` labels of the entry's facts, shown after its state's."""
    labels = [rules.WORKS[work].label] if work else []
    if kind == "deadline" and formblatt:
        labels.append(rules.FORMBLATT_LABEL)
    return labels


def _formblatt_day(entry: Entry, stored: Optional[Entry], tz: ZoneInfo) -> str:
    """The day a Formblatt picked from a client came in: the day the client
    saved the entry (LAST-MODIFIED or DTSTAMP)."""
    for stamp in (entry.stamp, stored.stamp if stored else None):
        if stamp:
            try:
                return parse_moment(stamp, tz).astimezone(tz).date().isoformat()
            except ValueError:
                continue
    return FORMBLATT_DAY_UNKNOWN


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


def _parse_work(raw: Optional[str], problems: list[str]) -> Optional[str]:
    value = _blank_to_none(raw)
    if value is None:
        return None
    work = rules.work_of(value)
    if work is None:
        problems.append("X-KAMIN-WORK: unknown work; allowed: %s (or empty)"
                        % ", ".join(rules.WORKS))
        return None
    return work.name


def _parse_formblatt(raw: Optional[str], tz: ZoneInfo,
                     problems: list[str]) -> Optional[str]:
    """The day the Formblatt came in (ISO date), or ``ja``: received, day unknown."""
    value = _blank_to_none(raw)
    if value is None:
        return None
    if value.casefold() == FORMBLATT_DAY_UNKNOWN:
        return FORMBLATT_DAY_UNKNOWN
    try:
        return parse_moment(value, tz).astimezone(tz).date().isoformat()
    except ValueError:
        problems.append("X-KAMIN-FORMBLATT: not a date; use ISO 8601 like 2026-12-01 "
                        "(or ja: received, day unknown)")
        return None


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
