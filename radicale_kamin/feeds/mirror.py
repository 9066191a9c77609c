"""The mirror entries a feed body stands for.

A subscription (an employee's private Google or Outlook feed) is pulled
periodically; every upstream event becomes a white ``individual`` entry in
the employee's calendar, so it blocks the times the booking API offers.
This module is the functional core of that: reading the admin's
subscriptions file, one bounded HTTP download (the only side effect), the
mirror entries a feed body stands for, and the plan that brings a
calendar's stored mirror in line with them. Storing the plan, the
``kamin sync`` command and the status endpoint are the shell's job; no
Radicale import here.

Why a mirror entry is rewritten rather than copied (``docs/subscriptions.md``
has every decision):

* its UID is ours (``sub-<name>-<hash>``): two feeds that share an event
  may land in one calendar, and a UID is unique per calendar;
* ATTENDEE and ORGANIZER are dropped — a mirror must never send invitations
  — and so are alarms, attachments and any ``X-KAMIN-*`` or ``Kamin:``
  category a feed carries (a feed must not pick a workflow state);
* DTSTAMP is taken from LAST-MODIFIED: Google stamps every event with the
  download time, which would make every entry look changed on every run;
* single events are written in UTC (no VTIMEZONE to carry, like the booking
  API's entries); recurring ones keep their zone, renamed to the IANA name
  when the feed uses a Windows one ("W. Europe Standard Time"), so weekly
  09:00 stays 09:00 across the DST change.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Optional

import icalendar
import recurring_ical_events
import x_wr_timezone

from radicale_kamin.entries import rules, timefacts
from radicale_kamin.feeds.config import Subscription
from radicale_kamin.feeds.fetch import parse_feed
from radicale_kamin.schedule.recurrence import rule_problem

UTC = dt.timezone.utc
KIND_PROPERTY = "X-KAMIN-KIND"
SOURCE_PROPERTY = "X-KAMIN-SOURCE"          # the subscription's name
SOURCE_UID_PROPERTY = "X-KAMIN-SOURCE-UID"  # the upstream UID, for people reading the item
MIRROR_KIND = "individual"
PRIVATE_SUMMARY = "Privater Termin"
_HASH_LENGTH = 24             # hex digits of the UID hash: 96 bits


# --- reading a feed ------------------------------------------------------------

@dataclass(frozen=True)
class MirrorEntry:
    uid: str            # "sub-<name>-<24 hex>", safe as a file name
    text: str           # the VCALENDAR item to store
    fingerprint: str    # sha256 of ``text``


@dataclass(frozen=True)
class Skipped:
    upstream_uid: str
    reason: str


@dataclass(frozen=True)
class Mirror:
    """What one feed body stands for."""

    entries: list[MirrorEntry]
    skipped: list[Skipped]          # invalid upstream events (for the log)
    outside_window: int             # valid events with no occurrence in the window
    cancelled: int = 0              # upstream events (or series) marked STATUS:CANCELLED


def mirror_entries(subscription: Subscription, body: bytes, now: dt.datetime,
                   past_days: int = 31, future_days: int = 730) -> list[MirrorEntry]:
    """One entry per upstream UID that touches the window; see ``mirror``."""
    return mirror(subscription, body, now, past_days, future_days).entries


def mirror(subscription: Subscription, body: bytes, now: dt.datetime,
           past_days: int = 31, future_days: int = 730) -> Mirror:
    """The mirror entries of a feed body, sorted by UID, and what was left out.

    Events are grouped by UID: a master with its moved or cancelled
    occurrences is one recurring entry. An occurrence whose master is not in
    the feed (Google does this for single invitations of a series) becomes
    an entry of its own. An event is kept when one of its occurrences
    touches [now - past_days, now + future_days]; floating times and dates
    are local time of ``now``'s zone (the business's, ``timefacts``).
    Raises ValueError for a body that is no iCalendar at all (``fetch`` has
    refused those already).
    """
    if now.tzinfo is None:
        raise ValueError("now must be a timezone-aware datetime")
    tz = now.tzinfo
    window = (now - dt.timedelta(days=past_days), now + dt.timedelta(days=future_days))
    skipped: list[Skipped] = []
    groups: dict[str, _Group] = {}
    for calendar in parse_feed(body):
        if calendar.get("X-WR-TIMEZONE"):
            try:
                calendar = x_wr_timezone.to_standard(calendar)
            except Exception:
                pass  # an unknown X-WR-TIMEZONE: times stay as written
        zones = {str(tz.get("TZID")): tz for tz in calendar.walk("VTIMEZONE")}
        for event in calendar.walk("VEVENT"):
            _collect(event, zones, groups, skipped, tz)
    entries: dict[str, MirrorEntry] = {}
    outside = cancelled = 0
    for group in groups.values():
        for key, events in group.items(skipped):
            if _status(events[0]) == "CANCELLED":
                cancelled += 1      # blocks nothing; gone like a deleted event
                continue
            try:
                if not _touches(events, window, tz):
                    outside += 1
                    continue
                entry = _entry(subscription, key, events, group.zones)
            except Exception as e:  # one bad event must not stop the feed
                skipped.append(Skipped(group.uid, "unreadable (%s)" % type(e).__name__))
                continue
            entries[entry.uid] = entry
    return Mirror([entries[uid] for uid in sorted(entries)], skipped, outside, cancelled)


def _status(event: Any) -> str:
    return str(event.get("STATUS", "")).strip().upper()


@dataclass
class _Group:
    """The VEVENTs of one upstream UID."""

    uid: str
    masters: list = field(default_factory=list)
    overrides: dict = field(default_factory=dict)   # normalised RECURRENCE-ID → VEVENT
    zones: dict = field(default_factory=dict)       # TZID → upstream VTIMEZONE

    def items(self, skipped: list[Skipped]) -> list[tuple[str, list]]:
        """(hash key, VEVENTs) of every entry this UID gives."""
        if not self.masters:
            return [(self.uid + "\x00" + rid, [event])
                    for rid, event in sorted(self.overrides.items())]
        masters = sorted(self.masters, key=timefacts.version)
        for _ in masters[:-1]:
            skipped.append(Skipped(self.uid, "the UID occurs twice; the later version is kept"))
        return [(self.uid, [masters[-1]] + [e for _, e in sorted(self.overrides.items())])]


def _collect(event: Any, zones: dict, groups: dict[str, _Group], skipped: list[Skipped],
             tz: dt.tzinfo) -> None:
    uid_value = event.get("UID")
    uid = str(uid_value).strip() if uid_value is not None else ""
    try:
        if not uid:
            uid = "nouid-" + _content_hash(event)
        reason = _problem(event, tz)
        rid = _rid(event)
    except Exception as e:
        skipped.append(Skipped(uid or "(no UID)", "unreadable (%s)" % type(e).__name__))
        return
    if reason:
        skipped.append(Skipped(uid, reason))
        return
    group = groups.setdefault(uid, _Group(uid))
    group.zones.update(zones)
    if rid is None:
        group.masters.append(event)
    else:
        group.overrides[rid] = event


def _content_hash(event: Any) -> str:
    """A UID for an event without one, from what identifies it to a person."""
    parts = []
    for name in ("DTSTART", "DTEND", "DURATION", "RRULE", "RECURRENCE-ID", "SUMMARY", "LOCATION"):
        value = event.get(name)
        values = value if isinstance(value, list) else [value]
        parts.append(name + ":" + "|".join(v.to_ical().decode() if hasattr(v, "to_ical")
                                            else str(v) for v in values if v is not None))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:_HASH_LENGTH]


def _rid(event: Any) -> Optional[str]:
    value = event.get("RECURRENCE-ID")
    return None if value is None else _moment_key(value.dt)


def _moment_key(value: Any) -> str:
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        return value.strftime("%Y%m%dT%H%M%S")
    return value.strftime("%Y%m%d")


def _problem(event: Any, tz: dt.tzinfo) -> Optional[str]:
    """Why the calendar would refuse this VEVENT, or None."""
    start = event.get("DTSTART")
    if start is None:
        return "no DTSTART"
    start_value = start.dt
    end = event.get("DTEND")
    if end is not None and timefacts.moment(end.dt, tz) < timefacts.moment(start_value, tz):
        return "DTEND before DTSTART"
    rule = event.get("RRULE")
    if rule is None:
        return None
    if isinstance(rule, list):
        return "more than one RRULE"
    problem = rule_problem(rule.to_ical().decode(), start_value)
    return None if problem is None else problem.message + " (the calendar refuses it)"


def _is_recurring(events: list) -> bool:
    return len(events) > 1 or any(events[0].get(n) is not None for n in ("RRULE", "RDATE"))


def _touches(events: list, window: tuple[dt.datetime, dt.datetime], tz: dt.tzinfo) -> bool:
    """Whether an occurrence of the entry lies in the window. Lazy: at most
    the occurrences up to the first one in the window are computed."""
    frm, to = window
    if not _is_recurring(events):
        start, end = _span(events[0], tz)
        return end > frm and start < to if end > start else frm <= start < to
    calendar = icalendar.Calendar()
    for event in events:
        calendar.add_component(event)
    query = recurring_ical_events.of(calendar, skip_bad_series=True)
    for occurrence in query.after(frm):
        start, end = _span(occurrence, tz)
        return start < to
    return False


def _span(event: Any, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
    end, duration = event.get("DTEND"), event.get("DURATION")
    found = timefacts.span(event["DTSTART"].dt, end.dt if end is not None else None,
                           duration.dt if duration is not None else None, tz)
    return found.start, found.end


# --- writing a mirror entry -----------------------------------------------------

# Upstream properties a mirror keeps, in this order; everything else goes.
_KEPT = ("DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID",
         "SEQUENCE", "CREATED", "LAST-MODIFIED", "SUMMARY", "LOCATION", "DESCRIPTION",
         "CATEGORIES", "CLASS", "TRANSP", "STATUS")
_DETAILS = ("SUMMARY", "LOCATION", "DESCRIPTION", "CATEGORIES")
_ZONED = ("DTSTART", "DTEND", "RDATE", "EXDATE", "RECURRENCE-ID")


def mirror_uid(subscription_name: str, key: str) -> str:
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:_HASH_LENGTH]
    return "sub-%s-%s" % (subscription_name, digest)


def is_mirror_uid(subscription_name: str, uid: str) -> bool:
    """Whether ``uid`` is an entry mirrored from this subscription (the
    fixed-length hash keeps "a" from claiming the entries of "a-b")."""
    return re.fullmatch("sub-%s-[0-9a-f]{%d}" % (re.escape(subscription_name), _HASH_LENGTH),
                        uid) is not None


def _entry(subscription: Subscription, key: str, events: list, zones: dict) -> MirrorEntry:
    uid = mirror_uid(subscription.name, key)
    recurring = _is_recurring(events)
    calendar = icalendar.Calendar()
    calendar.add("VERSION", "2.0")
    calendar.add("PRODID", "-//radicale_kamin//subscription//DE")
    used: dict[str, str] = {}      # TZID written → upstream TZID
    written = []
    for event in events:
        written.append(_mirror_event(event, uid, subscription.name, recurring,
                                     orphan=not recurring and event.get("RECURRENCE-ID") is not None,
                                     used=used))
    for tzid in sorted(used):
        timezone = _vtimezone(tzid, used[tzid], zones)
        if timezone is not None:
            calendar.add_component(timezone)
    for event in written:
        calendar.add_component(event)
    text = calendar.to_ical().decode("utf-8")
    return MirrorEntry(uid, text, hashlib.sha256(text.encode("utf-8")).hexdigest())


def _mirror_event(event: Any, uid: str, name: str, recurring: bool, orphan: bool,
                  used: dict[str, str]) -> Any:
    out = icalendar.Event()
    out.add("UID", uid)
    stamp = event.get("LAST-MODIFIED") or event.get("CREATED")
    out.add("DTSTAMP", timefacts.moment(stamp.dt, UTC).astimezone(UTC) if stamp is not None
            else dt.datetime(1970, 1, 1, tzinfo=UTC))
    private = str(event.get("CLASS", "")).upper() in ("PRIVATE", "CONFIDENTIAL")
    for prop_name in _KEPT:
        if private and prop_name in _DETAILS or orphan and prop_name == "RECURRENCE-ID":
            continue
        value = event.get(prop_name)
        if value is None:
            continue
        for one in value if isinstance(value, list) else [value]:
            one = _kept_value(prop_name, one, recurring, used)
            if one is not None:
                out.add(prop_name, one, encode=False)
    if private:
        out.add("SUMMARY", PRIVATE_SUMMARY)
    out.add(KIND_PROPERTY, MIRROR_KIND)
    out.add(SOURCE_PROPERTY, name)
    upstream = str(event.get("UID", "")).strip()
    if upstream:
        out.add(SOURCE_UID_PROPERTY, upstream)
    return out


def _kept_value(prop_name: str, value: Any, recurring: bool, used: dict[str, str]) -> Any:
    if prop_name == "CATEGORIES":
        # A feed must not pick a workflow state by carrying a Kamin label.
        kept = [c for c in value.cats if str(c).strip() and not rules.is_kamin_label(str(c))]
        return icalendar.prop.vCategory(kept) if kept else None
    if prop_name not in _ZONED:
        return value
    value = copy.deepcopy(value)
    tzid = value.params.get("TZID")
    if not recurring and prop_name in ("DTSTART", "DTEND") and tzid is not None:
        moment = value.dt
        if isinstance(moment, dt.datetime) and moment.tzinfo is not None:
            return icalendar.prop.vDDDTypes(moment.astimezone(UTC))
    if tzid is None:
        return value
    moments = [value.dt] if hasattr(value, "dt") else [v.dt for v in getattr(value, "dts", [])]
    if any(isinstance(m, dt.datetime) and m.tzinfo is None for m in moments):
        # A TZID nobody defines: read as floating, the business's local time.
        del value.params["TZID"]
        return value
    iana = _iana(str(tzid))
    value.params["TZID"] = iana or str(tzid)
    used[iana or str(tzid)] = str(tzid)
    return value


_iana = timefacts.iana_name


def _vtimezone(tzid: str, upstream_tzid: str, zones: dict) -> Optional[Any]:
    """The feed's definition of a zone (renamed to ``tzid``), or one built
    from the tz database when the feed has none."""
    timezone = zones.get(upstream_tzid)
    if timezone is not None:
        timezone = copy.deepcopy(timezone)
        timezone["TZID"] = tzid
        return timezone
    try:
        return icalendar.Timezone.from_tzid(tzid)
    except Exception:
        return None
