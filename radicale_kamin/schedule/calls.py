"""Whom to call now: the calling rules as pure functions over plain data.

The seed's assistant "relies on an internal script that I query every 5
minutes". This module is that script's brain: given the indexed entries (as
``Candidate`` rows), the business's ``CallSettings`` and an explicit "now",
it says which calls are due, most urgent first, one per customer phone — and
what recording a call's outcome changes on the entry.

The rules are the rows of ``CALL_RULES`` (first matching row wins; the
order of their reasons is the urgency order); why an entry needs rework by
letter is a row of ``FOLLOW_UP_RULES``. A Feuerstättenschau's notice is
counted in working days (``workdays``). Calling windows are local
wall-clock times of the business's time zone on calling days that are no
public holiday of the Bundesland (``holidays`` package). Every datetime in
and out is aware.

No Radicale, no SQLite, no I/O here; ``docs/calling-rules.md`` explains the
rules for the office.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Callable, Iterable, Mapping, Optional, Sequence


from radicale_kamin.entries import rules
from radicale_kamin.schedule import workdays
from radicale_kamin.schedule.callsettings import CallSettings

UTC = dt.timezone.utc
REASONS = ("callback", "retry", "announce", "deadline")   # most urgent first
ACTIONS = ("call", "sms")
OUTCOMES = ("confirmed", "rebooked", "callback", "unreached", "rejected",
            "sms-sent", "formblatt-received")
ORANGE_STATES = ("data-missing", "import-rework")
UNREACHED_STATES = ("unreached-1", "unreached-2")
BOOKING_KINDS = ("internal", "external")   # appointments that settle a deadline
SMS_PHONE_TYPES = ("mobile",)

# A callback without a requested time is due at once: "since always".
ASAP = dt.datetime(1970, 1, 1, tzinfo=UTC)
# How far the calendar is searched for the next calling day. Validation keeps
# at least one calling weekday, so only closed days can make this run long.
_MAX_SCAN_DAYS = 800
_SETTLE_FALLBACK_DAYS = 365


# --- the plain data ----------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    """One indexed calendar entry, as plain data."""

    uid: str
    calendar: str                          # like "/anna/termine/"
    href: str
    kind: str                              # internal/external/deadline/individual/imported
    state: str                             # X-KAMIN-STATUS (rules.STATES names)
    # aware; the appointment's start, or the deadline's due date (all-day =
    # local midnight)
    start: dt.datetime
    phone: Optional[str]                   # E.164 when valid, else None
    phone_type: Optional[str]              # "mobile", "fixed_line", ...
    customer: Optional[str]
    building: Optional[str]
    attempts: int = 0
    outcome: Optional[str] = None
    callback: Optional[dt.datetime] = None      # requested callback time
    last_attempt: Optional[dt.datetime] = None  # when the last failed call was made
    notified: Optional[dt.datetime] = None      # when an SMS announcement/reminder was sent
    window_start: Optional[dt.date] = None      # deadline entries: start of the Feuerstättenbescheid window
    work: Optional[str] = None                  # X-KAMIN-WORK (rules.WORKS), e.g. feuerstaettenschau
    formblatt: Optional[str] = None             # deadline entries: Formblatt received (ISO date, or "ja")


@dataclass(frozen=True)
class Due:
    """Why and when an entry is to be called: due from ``since`` (a calling
    time) until just before ``until``."""

    reason: str
    since: dt.datetime
    until: dt.datetime
    action: str


@dataclass(frozen=True)
class Call:
    """One item of GET due-calls: one customer phone, every due entry of it."""

    phone: str
    action: str                            # "call" | "sms"
    reason: str                            # "announce" | "retry" | "deadline" | "callback"
    uid: str
    calendar: str
    customer: Optional[str]
    building: Optional[str]
    start: dt.datetime                     # the appointment or due date of the primary entry
    due_at: dt.datetime                    # since when this call is due
    entries: tuple[Candidate, ...]         # every due entry of this phone; the primary one first
    reasons: tuple[str, ...] = ()          # the reason of each entry, in the order of ``entries``

    @property
    def kind(self) -> str:
        """The primary entry's kind: an appointment or a deadline to talk about."""
        return self.entries[0].kind


@dataclass(frozen=True)
class OutcomeUpdate:
    """What recording an outcome changes on the entry: every field is the
    entry's new value, except ``start`` (None = unchanged)."""

    outcome: Optional[str]
    attempts: int
    callback: Optional[dt.datetime]
    last_attempt: Optional[dt.datetime]
    notified: Optional[dt.datetime]
    start: Optional[dt.datetime]
    log_line: str
    formblatt: Optional[str] = None


# --- calling windows -----------------------------------------------------------

def _require_aware(moment: Optional[dt.datetime], name: str) -> None:
    if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
        raise ValueError("%s must be a timezone-aware datetime" % name)


def _local(moment: dt.datetime, settings: CallSettings) -> dt.datetime:
    return moment.astimezone(settings.timezone)


def _at(day: dt.date, time: dt.time, settings: CallSettings) -> dt.datetime:
    """Wall-clock ``time`` on ``day``; a time inside a spring-forward gap
    becomes the first real moment after it."""
    moment = dt.datetime.combine(day, time, tzinfo=settings.timezone)
    return moment.astimezone(UTC).astimezone(settings.timezone)


def is_holiday(day: dt.date, settings: CallSettings) -> bool:
    """A public holiday of the Bundesland, or a day the office declared closed."""
    return (workdays.is_public_holiday(day, settings)
            or day in settings.closed_dates
            or (day.month, day.day) in settings.closed_yearly)


def is_calling_day(day: dt.date, settings: CallSettings) -> bool:
    return day.weekday() in settings.calling_days and not is_holiday(day, settings)


def is_calling_time(moment: dt.datetime, settings: CallSettings = CallSettings()) -> bool:
    """Inside a calling window: a calling day, window_start <= local time <
    window_end (the end itself is outside)."""
    _require_aware(moment, "moment")
    local = _local(moment, settings)
    return (is_calling_day(local.date(), settings)
            and settings.window_start <= local.time() < settings.window_end)


def _next_calling_day(day: dt.date, settings: CallSettings) -> dt.date:
    """The first calling day strictly after ``day``."""
    for offset in range(1, _MAX_SCAN_DAYS):
        candidate = day + dt.timedelta(days=offset)
        if is_calling_day(candidate, settings):
            return candidate
    raise ValueError("no calling day within %d days after %s; check kamin_calling_days "
                     "and kamin_closed_days" % (_MAX_SCAN_DAYS, day))


def next_calling_time(moment: dt.datetime, settings: CallSettings = CallSettings()) -> dt.datetime:
    """``moment`` itself when it lies inside a calling window, else the start
    of the next window."""
    _require_aware(moment, "moment")
    local = _local(moment, settings)
    if is_calling_day(local.date(), settings) and local.time() < settings.window_end:
        if local.time() >= settings.window_start:
            return moment
        return _at(local.date(), settings.window_start, settings)
    return _at(_next_calling_day(local.date(), settings), settings.window_start, settings)


def next_window_start(moment: dt.datetime, settings: CallSettings = CallSettings()) -> dt.datetime:
    """The start of the next calling window that opens after ``moment`` —
    "the next calling window" of the brief: after a call made at 10:15 that
    is tomorrow's (or Monday's) window, not the current one."""
    _require_aware(moment, "moment")
    local = _local(moment, settings)
    if is_calling_day(local.date(), settings) and local.time() < settings.window_start:
        return _at(local.date(), settings.window_start, settings)
    return _at(_next_calling_day(local.date(), settings), settings.window_start, settings)


def add_calling_hours(moment: dt.datetime, hours: float,
                      settings: CallSettings = CallSettings()) -> dt.datetime:
    """``hours`` of calling time after ``moment``, counting only time inside
    calling windows (Friday 17:00 + 2 h = Monday 09:00). Elapsed time is
    counted in UTC, so a window never gains or loses an hour at a DST switch."""
    current = next_calling_time(moment, settings)
    remaining = dt.timedelta(hours=hours)
    while True:
        end = _at(_local(current, settings).date(), settings.window_end, settings)
        available = end.astimezone(UTC) - current.astimezone(UTC)
        if remaining < available:
            return (current.astimezone(UTC) + remaining).astimezone(settings.timezone)
        remaining -= available
        current = next_window_start(end, settings)


def retry_time(last_attempt: dt.datetime, settings: CallSettings = CallSettings()) -> dt.datetime:
    """When the next try after a failed one is due."""
    if settings.retry_hours:
        return add_calling_hours(last_attempt, settings.retry_hours, settings)
    return next_window_start(last_attempt, settings)


def _days_before(moment: dt.datetime, days: int, settings: CallSettings) -> dt.datetime:
    """Calendar days in local time: Thursday 10:00 minus 7 days is the
    Thursday before at 10:00, also across a DST switch."""
    local = _local(moment, settings)
    return _at(local.date() - dt.timedelta(days=days), local.time(), settings)


def _due_date(candidate: Candidate, settings: CallSettings) -> dt.date:
    return _local(candidate.start, settings).date()


def _end_of_due_date(candidate: Candidate, settings: CallSettings) -> dt.datetime:
    return _at(_due_date(candidate, settings) + dt.timedelta(days=1), dt.time(0), settings)


# --- work that must be announced ahead (Feuerstättenschau) -----------------------

def notice_days(work: Optional[str], settings: CallSettings = CallSettings()) -> int:
    """Working days' notice an appointment for ``work`` needs (0: none)."""
    known = rules.WORKS.get(work or "")
    return settings.feuerstaettenschau_notice_days if known and known.notice else 0


def earliest_start(work: Optional[str], now: dt.datetime,
                   settings: CallSettings = CallSettings()) -> dt.datetime:
    """The earliest start of an appointment for ``work`` that is made — and
    so announced — at ``now``: for a Feuerstättenschau local midnight of the
    first day after ``feuerstaettenschau_notice_days`` working days (today
    counts when it is one); for other work ``now`` itself."""
    _require_aware(now, "now")
    days = notice_days(work, settings)
    if not days:
        return now
    first = workdays.first_day_after_notice(_local(now, settings).date(), days, settings)
    return _at(first, dt.time(0), settings)


def notice_problem(work: Optional[str], start: dt.datetime, now: dt.datetime,
                   settings: CallSettings = CallSettings()) -> Optional[str]:
    """Why an appointment for ``work`` made at ``now`` cannot start at
    ``start`` (too short a notice), or None. Names the rule, not the customer."""
    earliest = earliest_start(work, now, settings)
    if start >= earliest:
        return None
    return ("a %s needs %d working days' notice (kamin_feuerstaettenschau_notice_days); "
            "the earliest start is %s" % (rules.WORKS[work].title, notice_days(work, settings),
                                          _local(earliest, settings).strftime("%d.%m.%Y")))


def notice_deadline(candidate: Candidate,
                    settings: CallSettings = CallSettings()) -> Optional[dt.datetime]:
    """The end of the last day an internal appointment can still be
    announced in time, or None when its work needs no notice."""
    days = notice_days(candidate.work, settings)
    if candidate.kind != "internal" or not days:
        return None
    appointment_day = _local(candidate.start, settings).date()
    last = workdays.working_days_before(appointment_day, days, settings)
    return _at(last + dt.timedelta(days=1), dt.time(0), settings)


# --- deadlines settled by a booking ----------------------------------------------

def _settles(booking: Candidate, deadline: Candidate, settings: CallSettings) -> bool:
    """An appointment (not rejected) for the deadline's building inside its
    Feuerstättenbescheid window: the customer has booked, no reminder needed."""
    if (booking.kind not in BOOKING_KINDS or booking.uid == deadline.uid
            or booking.building is None or booking.building != deadline.building
            or booking.state == "rejected" or booking.outcome == "rejected"):
        return False
    due_date = _due_date(deadline, settings)
    window_start = deadline.window_start or due_date - dt.timedelta(days=_SETTLE_FALLBACK_DAYS)
    return window_start <= _local(booking.start, settings).date() <= due_date


def is_settled(deadline: Candidate, settings: CallSettings = CallSettings(),
               all_candidates: Iterable[Candidate] = ()) -> bool:
    """Whether a booking settles this deadline entry (False for other kinds)."""
    return (deadline.kind == "deadline"
            and any(_settles(other, deadline, settings) for other in all_candidates))


# --- the rules, as data ----------------------------------------------------------

def _is_callable(c: Candidate) -> bool:
    """A phone to dial and data complete: orange entries are never offered."""
    return c.phone is not None and c.state not in ORANGE_STATES


def _wants_callback(c: Candidate, s: CallSettings) -> bool:
    return ((c.kind == "internal" and c.state == "callback")
            or (c.kind == "deadline" and c.outcome == "callback"))


def _callback_since(c: Candidate, s: CallSettings) -> dt.datetime:
    return next_calling_time(c.callback, s) if c.callback else ASAP


def _callback_until(c: Candidate, s: CallSettings, since: dt.datetime) -> dt.datetime:
    """A callback outlives the appointment (the customer asked, and it is the
    chance to rebook) but not for ever: callback_days after the later of the
    requested time and the appointment it moves to follow-up."""
    anchor = c.start if since is ASAP else max(since, c.start)
    return anchor + dt.timedelta(days=s.callback_days)


def _reminder_open(c: Candidate, s: CallSettings) -> bool:
    """No answer yet and not told by SMS: the reminder is still to be made."""
    return c.outcome is None and c.notified is None


def _needs_retry(c: Candidate, s: CallSettings) -> bool:
    if not (_reminder_open(c, s) and 1 <= c.attempts < s.max_attempts):
        return False
    return (c.kind == "internal" and c.state in UNREACHED_STATES) or c.kind == "deadline"


def _first_try_since(c: Candidate, s: CallSettings) -> dt.datetime:
    """announce_days before an appointment, deadline_days before a due
    date; a Feuerstättenschau announce_days before the last day of its
    notice, so a failed call can still be retried in time."""
    days = s.deadline_days if c.kind == "deadline" else s.announce_days
    anchor = c.start if c.kind != "deadline" else _at(_due_date(c, s), dt.time(0), s)
    notice_by = notice_deadline(c, s)
    if notice_by is not None:
        anchor = min(anchor, _days_before(notice_by, 1, s))
    return next_calling_time(_days_before(anchor, days, s), s)


def _retry_since(c: Candidate, s: CallSettings) -> dt.datetime:
    """After the failed try; when staff set the count by hand and no time is
    known, from when the first try would have been due."""
    if c.last_attempt is None:
        return _first_try_since(c, s)
    return retry_time(c.last_attempt, s)


def _reminder_until(c: Candidate, s: CallSettings, since: dt.datetime) -> dt.datetime:
    """An appointment is announced until it starts — a Feuerstättenschau
    until its notice can no longer be given; a deadline reminder runs to the
    end of its due date."""
    if c.kind == "deadline":
        return _end_of_due_date(c, s)
    notice_by = notice_deadline(c, s)
    return min(c.start, notice_by) if notice_by is not None else c.start


def _awaits_sms_confirmation(c: Candidate, s: CallSettings) -> bool:
    """An internal appointment told by SMS that nobody confirmed: it is
    called before it starts — nothing relies on an unanswered SMS."""
    return (c.kind == "internal" and c.notified is not None and c.outcome is None
            and (c.state == "planned" or c.state in UNREACHED_STATES)
            and c.attempts < s.max_attempts)


def sms_confirm_by(c: Candidate, s: CallSettings = CallSettings()) -> dt.datetime:
    """When the call after an unanswered SMS is due: sms_confirm_hours (real
    hours) before the appointment, not before the SMS went out nor before a
    failed call's retry time; at the next calling time."""
    since = (c.start.astimezone(UTC) - dt.timedelta(hours=s.sms_confirm_hours))
    if c.notified is not None:
        since = max(since, c.notified)
    if c.last_attempt is not None:
        since = max(since, retry_time(c.last_attempt, s))
    return next_calling_time(since, s)


def _appointment_start(c: Candidate, s: CallSettings, since: dt.datetime) -> dt.datetime:
    return c.start


def _needs_announce(c: Candidate, s: CallSettings) -> bool:
    return (c.kind == "internal" and c.state == "planned" and c.attempts == 0
            and _reminder_open(c, s))


def _needs_deadline_reminder(c: Candidate, s: CallSettings) -> bool:
    return c.kind == "deadline" and c.attempts == 0 and _reminder_open(c, s)


@dataclass(frozen=True)
class CallRule:
    """One row: which entries it applies to, since and until when they are
    due, and whether an SMS may replace the call."""

    reason: str
    applies: Callable[[Candidate, CallSettings], bool]
    since: Callable[[Candidate, CallSettings], dt.datetime]
    until: Callable[[Candidate, CallSettings, dt.datetime], dt.datetime]
    sms_to_mobiles: bool = False


# First matching row wins; the order is the urgency order of due-calls.
CALL_RULES: Sequence[CallRule] = (
    CallRule("callback", _wants_callback, _callback_since, _callback_until),
    CallRule("retry", _needs_retry, _retry_since, _reminder_until),
    CallRule("retry", _awaits_sms_confirmation, sms_confirm_by, _appointment_start),
    CallRule("announce", _needs_announce, _first_try_since, _reminder_until),
    CallRule("deadline", _needs_deadline_reminder, _first_try_since, _reminder_until,
             sms_to_mobiles=True),
)
URGENCY = {reason: rank for rank, reason in enumerate(REASONS)}


def _action(rule: CallRule, c: Candidate, s: CallSettings) -> str:
    if rule.sms_to_mobiles and s.prefer_sms and c.phone_type in SMS_PHONE_TYPES:
        return "sms"
    return "call"


def due_window(candidate: Candidate, settings: CallSettings = CallSettings(),
               all_candidates: Iterable[Candidate] = ()) -> Optional[Due]:
    """The entry's due period, or None when it is never offered (orange, no
    phone, answered, settled, out of tries, or a period that is empty —
    e.g. no calling window left before the appointment).

    ``all_candidates`` needs only hold the entries of the same building: they
    decide whether a deadline is settled.
    """
    if not _is_callable(candidate):
        return None
    if candidate.kind == "deadline" and is_settled(candidate, settings, all_candidates):
        return None
    for rule in CALL_RULES:
        if rule.applies(candidate, settings):
            since = rule.since(candidate, settings)
            until = rule.until(candidate, settings, since)
            if since >= until:
                return None
            return Due(rule.reason, since, until, _action(rule, candidate, settings))
    return None


# --- due calls -----------------------------------------------------------------------

def _urgency_key(candidate: Candidate, due: Due) -> tuple:
    """Reason first (callback, retry, announce, deadline), then the earlier
    appointment or due date, then the longer-waiting call, then the uid (a
    stable order for the same input)."""
    return (URGENCY[due.reason], candidate.start.astimezone(UTC),
            due.since.astimezone(UTC), candidate.uid, candidate.calendar)


def _by_building(candidates: Iterable[Candidate]) -> dict[str, list[Candidate]]:
    buildings: dict[str, list[Candidate]] = {}
    for c in candidates:
        if c.building is not None and c.kind in BOOKING_KINDS:
            buildings.setdefault(c.building, []).append(c)
    return buildings


def _group_call(phone: str, items: list[tuple[tuple, Candidate, Due]],
                now: dt.datetime) -> tuple[tuple, Call]:
    """One call for every due entry of one phone; an SMS only when every
    entry may be settled by SMS (a call covers them all anyway)."""
    items.sort(key=lambda item: item[0])
    key, primary, due = items[0]
    action = "sms" if all(d.action == "sms" for _, _, d in items) else "call"
    call = Call(phone=phone, action=action, reason=due.reason, uid=primary.uid,
                calendar=primary.calendar, customer=primary.customer,
                building=primary.building, start=primary.start,
                due_at=now if due.since is ASAP else due.since,
                entries=tuple(c for _, c, _ in items),
                reasons=tuple(d.reason for _, _, d in items))
    return key, call


def start_horizon(now: dt.datetime, settings: CallSettings = CallSettings()
                  ) -> tuple[dt.datetime, dt.datetime]:
    """(earliest, latest) start of an entry that can be due at ``now`` for any
    reason but a callback: a superset, with a day to spare for the due date's
    end and DST. Lets the index (and ``due_calls``) skip the years of old
    and far-future entries without computing their windows."""
    # A Feuerstättenschau is announced before its notice: its working days
    # span at most twice as many calendar days plus a week of holidays.
    notice_span = 2 * settings.feuerstaettenschau_notice_days + 7
    ahead = max(settings.announce_days + notice_span, settings.deadline_days) + 2
    return now - dt.timedelta(days=2), now + dt.timedelta(days=ahead)


def _may_be_due(c: Candidate, earliest: dt.datetime, latest: dt.datetime) -> bool:
    return (earliest < c.start <= latest
            or (c.outcome == "callback" or c.state == "callback"))


def due_calls(candidates: Iterable[Candidate], now: dt.datetime,
              settings: CallSettings = CallSettings(),
              leased_phones: frozenset = frozenset()) -> list[Call]:
    """The calls to make at ``now``, most urgent first, one per phone.

    Empty outside calling windows. Phones in ``leased_phones`` (handed out
    less than lease_minutes ago, not released or answered) are skipped.
    """
    _require_aware(now, "now")
    if not is_calling_time(now, settings):
        return []
    candidates = list(candidates)
    buildings = _by_building(candidates)
    earliest, latest = start_horizon(now, settings)
    groups: dict[str, list[tuple[tuple, Candidate, Due]]] = {}
    for c in candidates:
        if (c.phone is None or c.phone in leased_phones
                or not _may_be_due(c, earliest, latest)):
            continue
        due = due_window(c, settings, buildings.get(c.building, ()))
        if due is not None and due.since <= now < due.until:
            groups.setdefault(c.phone, []).append((_urgency_key(c, due), c, due))
    calls = sorted((_group_call(phone, items, now) for phone, items in groups.items()),
                   key=lambda keyed: keyed[0])
    return [call for _, call in calls]


# --- the office's lists ---------------------------------------------------------------

def _office_order(candidates: Iterable[Candidate], now: dt.datetime) -> list[Candidate]:
    """What is still ahead first, soonest first; then the past, newest first."""
    candidates = list(candidates)
    ahead = sorted((c for c in candidates if c.start >= now),
                   key=lambda c: (c.start.astimezone(UTC), c.uid))
    past = sorted((c for c in candidates if c.start < now),
                  key=lambda c: (c.start.astimezone(UTC), c.uid), reverse=True)
    return ahead + past


def _reminder_without_phone(c: Candidate, now: dt.datetime, s: CallSettings) -> bool:
    """A deadline entry whose reminder is still to come but has no phone to
    call or text (a deadline is never orange: the state table has no such
    row)."""
    return (c.kind == "deadline" and c.phone is None and c.outcome is None
            and c.notified is None and c.formblatt is None
            and now < _end_of_due_date(c, s))


def data_missing(candidates: Iterable[Candidate], now: dt.datetime,
                 settings: CallSettings = CallSettings()) -> list[Candidate]:
    """Orange entries (data missing, import to rework) and deadline entries
    without a usable phone: no call or SMS is possible until someone
    completes the address or phone number. Settled deadlines need no call."""
    _require_aware(now, "now")
    candidates = list(candidates)
    buildings = _by_building(candidates)
    return _office_order(
        (c for c in candidates
         if c.state in ORANGE_STATES
         or (_reminder_without_phone(c, now, settings)
             and not is_settled(c, settings, buildings.get(c.building, ())))), now)


def _days_after(moment: dt.datetime, days: int, settings: CallSettings) -> dt.datetime:
    return _days_before(moment, -days, settings)


def formblatt_due(deadline: Candidate, settings: CallSettings = CallSettings()) -> dt.datetime:
    """The end of the day the Formblatt is due: formblatt_days after the end
    of the Feuerstättenbescheid window (the deadline's due date)."""
    return _days_after(_end_of_due_date(deadline, settings), settings.formblatt_days, settings)


def _formblatt_missing(c: Candidate, now: dt.datetime, s: CallSettings) -> bool:
    """The window ended without a booking in it (settled deadlines never get
    here) and no Formblatt came in time: the owner may have had the work
    done by another business, and only the Formblatt proves it."""
    return c.kind == "deadline" and c.formblatt is None and now >= formblatt_due(c, s)


def _refused(c: Candidate, now: dt.datetime, s: CallSettings) -> bool:
    return c.state == "rejected" or (c.kind == "deadline" and c.outcome == "rejected")


def _out_of_tries(c: Candidate, now: dt.datetime, s: CallSettings) -> bool:
    """max_attempts failed calls. A deadline reminder sent by SMS needs no
    call; an appointment told by SMS is called, and its failed calls count."""
    told_by_sms = c.kind == "deadline" and c.notified is not None
    return (c.outcome is None and not told_by_sms and c.attempts >= s.max_attempts
            and (c.kind == "deadline" or c.state in UNREACHED_STATES))


def _notice_missed(c: Candidate, now: dt.datetime, s: CallSettings) -> bool:
    """A Feuerstättenschau nobody was told of in time (no answer, no SMS
    before the notice ran out): it must be moved to a later day."""
    notice_by = notice_deadline(c, s)
    return (notice_by is not None and c.outcome is None and now >= notice_by
            and (c.notified is None or c.notified >= notice_by))


def _callback_missed(c: Candidate, now: dt.datetime, s: CallSettings) -> bool:
    if not (_is_callable(c) and _wants_callback(c, s)):
        return False
    return now >= _callback_until(c, s, _callback_since(c, s))


# Why an entry needs rework by letter or notice; first matching row wins.
FOLLOW_UP_RULES: Sequence[tuple[str, Callable[[Candidate, dt.datetime, CallSettings], bool]]] = (
    ("formblatt-missing", _formblatt_missing),
    ("rejected", _refused),
    ("unreached", _out_of_tries),
    ("notice-missed", _notice_missed),
    ("callback-missed", _callback_missed),
)
FOLLOW_UPS = tuple(reason for reason, _ in FOLLOW_UP_RULES)


def follow_up_reason(candidate: Candidate, now: dt.datetime,
                     settings: CallSettings = CallSettings(),
                     all_candidates: Iterable[Candidate] = ()) -> Optional[str]:
    """Why the entry needs rework by letter or notice (``FOLLOW_UP_RULES``),
    or None. A deadline a booking settles needs none."""
    if candidate.kind not in ("internal", "deadline"):
        return None
    if candidate.kind == "deadline" and is_settled(candidate, settings, all_candidates):
        return None
    for reason, applies in FOLLOW_UP_RULES:
        if applies(candidate, now, settings):
            return reason
    return None


def follow_up(candidates: Iterable[Candidate], now: dt.datetime,
              settings: CallSettings = CallSettings()) -> list[Candidate]:
    """Entries no call will settle any more: rework by letter or notice."""
    _require_aware(now, "now")
    candidates = list(candidates)
    buildings = _by_building(candidates)
    return _office_order(
        (c for c in candidates
         if follow_up_reason(c, now, settings, buildings.get(c.building, ()))), now)


# --- recording an outcome ----------------------------------------------------------

def _stamp(moment: dt.datetime, settings: CallSettings) -> str:
    return _local(moment, settings).strftime("%d.%m.%Y %H:%M")


def _confirmed(c, now, s, at, new_start):
    return dict(outcome="confirmed", callback=None), "Anruf: bestätigt"


def _rebooked(c, now, s, at, new_start):
    if c.kind == "deadline":
        raise ValueError("rebooked applies to appointments, not to a deadline entry; "
                         "book a new appointment for the building instead")
    if new_start is None:
        raise ValueError("rebooked needs the new start (new_start)")
    _require_aware(new_start, "new_start")
    if new_start <= now:
        raise ValueError("the new start %s is not in the future" % new_start.isoformat())
    return (dict(outcome="confirmed", callback=None, start=new_start),
            "Anruf: umgebucht auf %s" % _stamp(new_start, s))


def _callback(c, now, s, at, new_start):
    _require_aware(at, "at")
    if at is not None and at < now:
        raise ValueError("the callback time %s is in the past" % at.isoformat())
    when = at if at is not None else next_window_start(now, s)
    return (dict(outcome="callback", callback=when),
            "Anruf: Rückruf gewünscht für %s" % _stamp(when, s))


def _unreached(c, now, s, at, new_start):
    attempts = c.attempts + 1
    text = "Anruf: nicht erreicht (%d. Versuch)" % attempts
    if attempts >= s.max_attempts:
        text += " – kein weiterer Anruf, bitte schriftlich nachfassen"
    return (dict(outcome=None, callback=None, attempts=attempts, last_attempt=now), text)


def _rejected(c, now, s, at, new_start):
    return (dict(outcome="rejected", callback=None),
            "Anruf: abgelehnt – bitte schriftlich nachfassen")


def _sms_sent(c, now, s, at, new_start):
    text = "SMS gesendet"
    if c.kind == "internal":
        call_from = sms_confirm_by(replace(c, notified=now), s)
        if call_from < c.start:
            text += " (Terminankündigung) – ohne Bestätigung folgt ab %s ein Anruf" % _stamp(
                call_from, s)
    return dict(notified=now), text


def _formblatt_received(c, now, s, at, new_start):
    if c.kind != "deadline":
        raise ValueError("formblatt-received is for deadline entries (the Formblatt proves "
                         "the work of a Feuerstättenbescheid)")
    return dict(formblatt=_local(now, s).date().isoformat()), "Formblatt erhalten"


# outcome → what it changes and the German log text; a new outcome is a row.
OUTCOME_RULES: Mapping[str, Callable] = {
    "confirmed": _confirmed,
    "rebooked": _rebooked,
    "callback": _callback,
    "unreached": _unreached,
    "rejected": _rejected,
    "sms-sent": _sms_sent,
    "formblatt-received": _formblatt_received,
}


def _one_line(note: Optional[str]) -> str:
    return " ".join((note or "").split())


def record_outcome(candidate: Candidate, outcome: str, now: dt.datetime,
                   settings: CallSettings = CallSettings(),
                   at: Optional[dt.datetime] = None,
                   new_start: Optional[dt.datetime] = None,
                   note: Optional[str] = None) -> OutcomeUpdate:
    """What recording ``outcome`` at ``now`` changes on the entry, with the
    dated German log line staff see in their calendar app.

    Raises ValueError for an unknown outcome, rebooked without a future
    ``new_start``, a callback ``at`` in the past, naive datetimes, and
    entries without a customer (individual).
    """
    if outcome not in OUTCOME_RULES:
        raise ValueError("unknown outcome %r; allowed: %s" % (outcome, ", ".join(OUTCOMES)))
    _require_aware(now, "now")
    if candidate.kind == "individual":
        raise ValueError("an individual entry has no customer call to record")
    changes, text = OUTCOME_RULES[outcome](candidate, now, settings, at, new_start)
    current = dict(outcome=candidate.outcome, attempts=candidate.attempts,
                   callback=candidate.callback, last_attempt=candidate.last_attempt,
                   notified=candidate.notified, start=None, formblatt=candidate.formblatt)
    current.update(changes)
    line = "%s %s" % (_stamp(now, settings), text)
    if _one_line(note):
        line += " – %s" % _one_line(note)
    return OutcomeUpdate(log_line=line, **current)


