"""The calling rules (``radicale_kamin.schedule.calls``) with explicit times.

Every moment is Europe/Berlin wall-clock time unless a test says otherwise.
Calendar facts used below: 2026-11-26 is a Thursday, 2026-01-06 (Heilige
Drei Könige) a Tuesday, 2025-08-15 (Mariä Himmelfahrt) a Friday, and the
clocks change on Sunday 2026-03-29 (to CEST) and Sunday 2026-10-25 (to CET).
"""

import datetime as dt
from dataclasses import fields, replace
from zoneinfo import ZoneInfo

import pytest

from radicale_kamin.schedule.calls import (ASAP, CALL_RULES, FOLLOW_UPS, Candidate, CallSettings,
                                           add_calling_hours, data_missing,
                                           due_calls, due_window, earliest_start, follow_up,
                                           follow_up_reason, formblatt_due, is_calling_time,
                                           is_holiday, next_calling_time, next_window_start,
                                           notice_deadline, notice_problem, record_outcome,
                                           retry_time)


def apply_outcome(candidate: Candidate, update) -> Candidate:
    """The candidate as it reads after an outcome, as the storage would
    derive it (what a test needs to record a second outcome)."""
    values = {f.name: getattr(update, f.name) for f in fields(update)
              if f.name not in ("log_line", "start")}
    if update.start is not None:
        values["start"] = update.start
    return replace(candidate, **values)


def due_at(candidate: Candidate, settings: CallSettings = CallSettings(), others=()):
    """(reason, since) of the entry's due window, or None."""
    due = due_window(candidate, settings, others)
    return None if due is None else (due.reason, due.since)


BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.timezone.utc
DEFAULT = CallSettings()
BERLIN_LAND = CallSettings(bundesland="BE")
NRW = CallSettings(bundesland="NW")


def at(year, month, day, hour=0, minute=0, tz=BERLIN) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=tz)


def internal(start, uid="a1", state="planned", phone="+4989123456", **facts) -> Candidate:
    values = dict(uid=uid, calendar="/anna/termine/", href=uid + ".ics", kind="internal",
                  state=state, start=start, phone=phone, phone_type="fixed_line",
                  customer="Huber", building="B-1")
    values.update(facts)
    return Candidate(**values)


def deadline(due_date, uid="d1", phone="+4915112345678", phone_type="mobile",
             **facts) -> Candidate:
    values = dict(uid=uid, calendar="/meister/fristen/", href=uid + ".ics", kind="deadline",
                  state="deadline", start=at(*due_date), phone=phone, phone_type=phone_type,
                  customer="Huber", building="B-1")
    values.update(facts)
    return Candidate(**values)


def offered(now, *candidates, settings=DEFAULT, leased=frozenset()):
    """(uid, reason) of every entry offered at ``now``, in call order."""
    return [(entry.uid, reason)
            for call in due_calls(candidates, now, settings, frozenset(leased))
            for entry, reason in zip(call.entries, call.reasons)]


# --- calling windows ---------------------------------------------------------------

@pytest.mark.parametrize("moment,inside", [
    (at(2026, 11, 26, 7, 59), False),
    (at(2026, 11, 26, 8, 0), True),
    (at(2026, 11, 26, 17, 59), True),
    (at(2026, 11, 26, 18, 0), False),     # the window's end is outside
    (at(2026, 11, 28, 10, 0), False),     # Saturday
    (at(2026, 11, 29, 10, 0), False),     # Sunday
])
def test_calling_window_is_weekdays_eight_to_six(moment, inside):
    assert is_calling_time(moment, DEFAULT) is inside


def test_calling_window_is_local_wall_clock_for_utc_input():
    assert is_calling_time(at(2026, 11, 26, 7, 0, tz=UTC), DEFAULT)       # 08:00 CET
    assert not is_calling_time(at(2026, 7, 2, 5, 30, tz=UTC), DEFAULT)    # 07:30 CEST
    assert is_calling_time(at(2026, 7, 2, 6, 0, tz=UTC), DEFAULT)         # 08:00 CEST


def test_no_calls_on_bavarian_heilige_drei_koenige_but_in_berlin():
    moment = at(2026, 1, 6, 10, 0)
    assert is_holiday(moment.date(), DEFAULT)
    assert not is_calling_time(moment, DEFAULT)
    assert is_calling_time(moment, BERLIN_LAND)
    assert is_calling_time(moment, NRW)


def test_no_calls_on_mariae_himmelfahrt_in_bavaria_but_in_nrw():
    assert is_holiday(dt.date(2026, 8, 15), DEFAULT)      # a Saturday in 2026
    friday = at(2025, 8, 15, 10, 0)
    assert not is_calling_time(friday, DEFAULT)
    assert is_calling_time(friday, NRW)


def test_mariae_himmelfahrt_can_be_left_to_the_municipalities():
    public_only = CallSettings(holiday_categories=("public",))
    assert is_calling_time(at(2025, 8, 15, 10, 0), public_only)
    assert not is_calling_time(at(2026, 1, 6, 10, 0), public_only)


def test_closed_days_of_the_office_have_no_calls():
    settings = CallSettings(closed_dates=(dt.date(2026, 11, 27),), closed_yearly=((12, 24),))
    assert not is_calling_time(at(2026, 11, 27, 10, 0), settings)
    assert not is_calling_time(at(2027, 12, 24, 10, 0), settings)
    assert is_calling_time(at(2026, 11, 26, 10, 0), settings)


def test_next_calling_time_is_the_moment_itself_inside_a_window():
    moment = at(2026, 11, 26, 10, 15)
    assert next_calling_time(moment, DEFAULT) == moment


@pytest.mark.parametrize("moment,expected", [
    (at(2026, 11, 26, 6, 0), at(2026, 11, 26, 8, 0)),     # early morning → same day
    (at(2026, 11, 26, 18, 0), at(2026, 11, 27, 8, 0)),    # evening → next day
    (at(2026, 11, 27, 18, 30), at(2026, 11, 30, 8, 0)),   # Friday evening → Monday
    (at(2026, 1, 5, 19, 0), at(2026, 1, 7, 8, 0)),        # before Heilige Drei Könige → after
    (at(2026, 12, 24, 18, 0), at(2026, 12, 28, 8, 0)),    # Christmas Day and Boxing Day
])
def test_next_calling_time_outside_a_window(moment, expected):
    assert next_calling_time(moment, DEFAULT) == expected


def test_next_calling_time_on_a_bavarian_holiday_is_a_working_day_in_berlin():
    assert next_calling_time(at(2026, 1, 5, 19, 0), BERLIN_LAND) == at(2026, 1, 6, 8, 0)


def test_window_opens_at_eight_local_in_the_week_clocks_go_forward():
    monday = next_calling_time(at(2026, 3, 27, 18, 0), DEFAULT)   # Friday, CET
    assert monday == at(2026, 3, 30, 8, 0)
    assert monday.astimezone(UTC) == at(2026, 3, 30, 6, 0, tz=UTC)  # CEST
    assert not is_calling_time(at(2026, 3, 30, 5, 30, tz=UTC), DEFAULT)
    assert is_calling_time(at(2026, 3, 30, 6, 0, tz=UTC), DEFAULT)


def test_window_opens_at_eight_local_in_the_week_clocks_go_back():
    monday = next_calling_time(at(2026, 10, 23, 18, 0), DEFAULT)  # Friday, CEST
    assert monday == at(2026, 10, 26, 8, 0)
    assert monday.astimezone(UTC) == at(2026, 10, 26, 7, 0, tz=UTC)  # CET
    assert not is_calling_time(at(2026, 10, 26, 6, 30, tz=UTC), DEFAULT)


def test_calling_days_and_hours_are_configurable():
    settings = CallSettings(calling_days=(5,), window_start=dt.time(9), window_end=dt.time(12))
    assert is_calling_time(at(2026, 11, 28, 9, 0), settings)       # Saturday
    assert not is_calling_time(at(2026, 11, 26, 10, 0), settings)  # Thursday
    assert next_calling_time(at(2026, 11, 28, 12, 0), settings) == at(2026, 12, 5, 9, 0)


def test_next_window_start_after_a_call_inside_the_window_is_the_next_day():
    assert next_window_start(at(2026, 11, 26, 10, 15), DEFAULT) == at(2026, 11, 27, 8, 0)
    assert next_window_start(at(2026, 11, 26, 7, 0), DEFAULT) == at(2026, 11, 26, 8, 0)


def test_retry_time_is_the_next_window_or_calling_hours_later():
    failed = at(2026, 11, 26, 17, 30)
    assert retry_time(failed, DEFAULT) == at(2026, 11, 27, 8, 0)
    assert retry_time(failed, CallSettings(retry_hours=1)) == at(2026, 11, 27, 8, 30)


def test_calling_hours_skip_nights_weekends_and_the_dst_switch():
    assert add_calling_hours(at(2026, 11, 26, 10, 0), 2, DEFAULT) == at(2026, 11, 26, 12, 0)
    assert add_calling_hours(at(2026, 11, 27, 17, 0), 2, DEFAULT) == at(2026, 11, 30, 9, 0)
    assert add_calling_hours(at(2026, 3, 27, 17, 0), 2, DEFAULT) == at(2026, 3, 30, 9, 0)
    assert add_calling_hours(at(2026, 11, 26, 16, 0), 2, DEFAULT) == at(2026, 11, 27, 8, 0)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        is_calling_time(dt.datetime(2026, 11, 26, 10, 0), DEFAULT)
    with pytest.raises(ValueError, match="now must be a timezone-aware"):
        due_calls([], dt.datetime(2026, 11, 26, 10, 0), DEFAULT)


# --- announce: 7 days before an internal appointment ---------------------------------

APPOINTMENT = at(2026, 11, 26, 10, 0)   # Thursday


def test_announce_not_due_one_minute_before_seven_days():
    assert offered(at(2026, 11, 19, 9, 59), internal(APPOINTMENT)) == []


def test_announce_due_exactly_seven_days_before_and_one_minute_after():
    assert offered(at(2026, 11, 19, 10, 0), internal(APPOINTMENT)) == [("a1", "announce")]
    assert offered(at(2026, 11, 19, 10, 1), internal(APPOINTMENT)) == [("a1", "announce")]


def test_announce_due_until_the_appointment_starts():
    assert offered(at(2026, 11, 26, 9, 59), internal(APPOINTMENT)) == [("a1", "announce")]
    assert offered(at(2026, 11, 26, 10, 0), internal(APPOINTMENT)) == []


def test_announce_falling_on_a_weekend_waits_for_monday():
    saturday_appointment = internal(at(2026, 12, 5, 10, 0))
    assert due_at(saturday_appointment, DEFAULT) == ("announce", at(2026, 11, 30, 8, 0))


def test_announce_in_the_dst_week_is_seven_calendar_days_before():
    appointment = internal(at(2026, 4, 2, 10, 0))   # CEST; seven days before is CET
    assert due_at(appointment, DEFAULT) == ("announce", at(2026, 3, 26, 10, 0))
    assert offered(at(2026, 3, 26, 9, 59), appointment) == []
    assert offered(at(2026, 3, 26, 10, 0), appointment) == [("a1", "announce")]


def test_announce_after_the_autumn_switch_is_seven_calendar_days_before():
    appointment = internal(at(2026, 10, 29, 9, 0))   # CET; seven days before is CEST
    assert due_at(appointment, DEFAULT) == ("announce", at(2026, 10, 22, 9, 0))


def test_late_entry_is_announced_at_once():
    assert offered(at(2026, 11, 24, 11, 0), internal(APPOINTMENT)) == [("a1", "announce")]


def test_announce_days_are_configurable():
    settings = CallSettings(announce_days=3)
    assert offered(at(2026, 11, 20, 10, 0), internal(APPOINTMENT), settings=settings) == []
    assert offered(at(2026, 11, 23, 10, 0), internal(APPOINTMENT), settings=settings) == [
        ("a1", "announce")]


def test_no_calls_outside_the_window_even_when_due():
    assert offered(at(2026, 11, 21, 10, 0), internal(APPOINTMENT)) == []   # Saturday
    assert offered(at(2026, 11, 23, 18, 0), internal(APPOINTMENT)) == []   # Monday 18:00


def test_announced_by_sms_is_not_called_again_before_the_confirmation_deadline():
    sent = internal(APPOINTMENT, notified=at(2026, 11, 19, 10, 5))
    assert offered(at(2026, 11, 20, 10, 0), sent) == []
    assert offered(at(2026, 11, 24, 9, 59), sent) == []


def test_appointment_without_a_calling_window_before_it_is_never_offered():
    # two days' notice for Monday 07:30: the period runs from Saturday 07:30
    # to Monday 07:30 and holds no calling time
    settings = CallSettings(announce_days=2)
    assert due_at(internal(at(2026, 11, 30, 7, 30)), settings) is None


def test_old_and_far_future_entries_are_skipped_without_changing_the_answer():
    now = at(2026, 11, 20, 9, 0)
    entries = [internal(at(2026, 11, 20, 10, 0) + dt.timedelta(days=d), uid="a%d" % d,
                        phone="+49%d" % d) for d in range(-3, 12)]
    entries += [deadline((2026, 12, d), uid="d%d" % d, phone="+48%d" % d, building="B%d" % d)
                for d in range(1, 31)]
    offered_uids = {uid for uid, _ in offered(now, *entries)}
    expected = {c.uid for c in entries
                if (due := due_window(c, DEFAULT)) and due.since <= now < due.until}
    assert offered_uids == expected and "a1" in expected and "d18" in expected


@pytest.mark.parametrize("state", ["confirmed", "rejected", "booked", "individual",
                                   "import-ok", "import-unrecognised"])
def test_entries_with_an_answer_or_of_other_kinds_are_not_announced(state):
    kind = {"booked": "external", "individual": "individual", "import-ok": "imported",
            "import-unrecognised": "imported"}.get(state, "internal")
    outcome = state if state in ("confirmed", "rejected") else None
    entry = internal(APPOINTMENT, state=state, kind=kind, outcome=outcome)
    assert due_at(entry, DEFAULT) is None


# --- orange and missing phone numbers ------------------------------------------------

def test_orange_entry_is_never_offered_but_listed_as_data_missing():
    orange = internal(APPOINTMENT, state="data-missing")
    assert due_at(orange, DEFAULT) is None
    assert offered(at(2026, 11, 20, 10, 0), orange) == []
    assert data_missing([orange, internal(APPOINTMENT, uid="a2")], at(2026, 11, 20, 10, 0)) == [orange]


def test_orange_callback_is_never_offered():
    orange = internal(APPOINTMENT, state="data-missing", outcome="callback",
                      callback=at(2026, 11, 20, 10, 0))
    assert due_at(orange, DEFAULT) is None


def test_entry_without_a_valid_phone_is_never_offered():
    assert due_at(internal(APPOINTMENT, phone=None), DEFAULT) is None
    assert due_at(deadline((2026, 12, 1), phone=None), DEFAULT) is None


def test_data_missing_lists_future_entries_first_by_start_then_the_past():
    now = at(2026, 11, 20, 10, 0)
    later = internal(at(2026, 12, 10, 9, 0), uid="later", state="data-missing")
    sooner = internal(at(2026, 11, 25, 9, 0), uid="sooner", state="data-missing")
    old = internal(at(2026, 10, 1, 9, 0), uid="old", state="data-missing")
    older = internal(at(2026, 9, 1, 9, 0), uid="older", state="data-missing")
    imported = internal(at(2026, 12, 1, 9, 0), uid="imp", kind="imported", state="import-rework")
    listed = data_missing([older, later, old, imported, sooner], now)
    assert [c.uid for c in listed] == ["sooner", "imp", "later", "old", "older"]


# --- retry and the stop after two tries -------------------------------------------------

def unreached_once(last_attempt, start=at(2026, 12, 10, 10, 0), **facts):
    return internal(start, state="unreached-1", attempts=1, last_attempt=last_attempt, **facts)


def test_retry_is_due_at_the_next_calling_day_window_start():
    entry = unreached_once(at(2026, 11, 26, 10, 15))
    assert due_at(entry, DEFAULT) == ("retry", at(2026, 11, 27, 8, 0))
    assert offered(at(2026, 11, 26, 17, 0), entry) == []
    assert offered(at(2026, 11, 27, 8, 0), entry) == [("a1", "retry")]


def test_friday_failure_is_retried_on_monday():
    entry = unreached_once(at(2026, 11, 27, 16, 0))
    assert due_at(entry, DEFAULT) == ("retry", at(2026, 11, 30, 8, 0))
    assert offered(at(2026, 11, 28, 10, 0), entry) == []


def test_failure_before_a_bavarian_holiday_is_retried_after_it():
    entry = unreached_once(at(2026, 1, 5, 11, 0), start=at(2026, 1, 9, 10, 0))
    assert due_at(entry, DEFAULT) == ("retry", at(2026, 1, 7, 8, 0))
    assert due_at(entry, BERLIN_LAND) == ("retry", at(2026, 1, 6, 8, 0))


def test_friday_failure_before_the_spring_switch_is_retried_monday_at_eight_cest():
    entry = unreached_once(at(2026, 3, 27, 10, 0), start=at(2026, 4, 2, 10, 0))
    reason, since = due_at(entry, DEFAULT)
    assert (reason, since.astimezone(UTC)) == ("retry", at(2026, 3, 30, 6, 0, tz=UTC))


def test_friday_failure_before_the_autumn_switch_is_retried_monday_at_eight_cet():
    entry = unreached_once(at(2026, 10, 23, 10, 0), start=at(2026, 10, 29, 10, 0))
    reason, since = due_at(entry, DEFAULT)
    assert (reason, since.astimezone(UTC)) == ("retry", at(2026, 10, 26, 7, 0, tz=UTC))


def test_retry_after_calling_hours_when_configured():
    settings = CallSettings(retry_hours=3)
    entry = unreached_once(at(2026, 11, 27, 16, 0))
    assert due_at(entry, settings) == ("retry", at(2026, 11, 30, 9, 0))


def test_retry_not_offered_once_the_appointment_started():
    entry = unreached_once(at(2026, 11, 26, 17, 0), start=at(2026, 11, 27, 8, 0))
    assert due_at(entry, DEFAULT) is None       # the next window opens at the start
    assert offered(at(2026, 11, 27, 8, 0), entry) == []


def test_retry_without_a_known_last_attempt_is_due_with_the_announcement():
    entry = unreached_once(None)
    assert due_at(entry, DEFAULT) == ("retry", at(2026, 12, 3, 10, 0))


def test_unreached_twice_is_never_offered_again_and_goes_to_follow_up():
    entry = internal(APPOINTMENT, state="unreached-2", attempts=2,
                     last_attempt=at(2026, 11, 20, 10, 0))
    assert due_at(entry, DEFAULT) is None
    assert offered(at(2026, 11, 23, 10, 0), entry) == []
    assert follow_up([entry], at(2026, 11, 23, 10, 0)) == [entry]


def test_three_tries_when_max_attempts_is_three():
    settings = CallSettings(max_attempts=3)
    entry = internal(APPOINTMENT, state="unreached-2", attempts=2,
                     last_attempt=at(2026, 11, 20, 10, 0))
    assert due_at(entry, settings) == ("retry", at(2026, 11, 23, 8, 0))
    assert follow_up([entry], at(2026, 11, 23, 10, 0), settings) == []


def test_recorded_failures_walk_from_announce_to_retry_to_follow_up():
    entry = internal(APPOINTMENT)
    first = apply_outcome(entry, record_outcome(entry, "unreached", at(2026, 11, 19, 10, 5)))
    first = replace(first, state="unreached-1")
    assert due_at(first, DEFAULT) == ("retry", at(2026, 11, 20, 8, 0))
    second = apply_outcome(first, record_outcome(first, "unreached", at(2026, 11, 20, 8, 3)))
    second = replace(second, state="unreached-2")
    assert second.attempts == 2 and due_at(second, DEFAULT) is None
    assert follow_up_reason(second, at(2026, 11, 20, 9, 0)) == "unreached"


# --- callbacks --------------------------------------------------------------------------

def callback_entry(when, start=APPOINTMENT, **facts):
    return internal(start, state="callback", outcome="callback", callback=when, **facts)


def test_callback_is_due_at_the_requested_time():
    entry = callback_entry(at(2026, 11, 23, 14, 0))
    assert due_at(entry, DEFAULT) == ("callback", at(2026, 11, 23, 14, 0))
    assert offered(at(2026, 11, 23, 13, 59), entry) == []
    assert offered(at(2026, 11, 23, 14, 0), entry) == [("a1", "callback")]


def test_callback_requested_for_the_evening_moves_to_the_next_window():
    entry = callback_entry(at(2026, 11, 23, 19, 30))
    assert due_at(entry, DEFAULT) == ("callback", at(2026, 11, 24, 8, 0))


def test_callback_requested_for_saturday_moves_to_monday():
    entry = callback_entry(at(2026, 11, 21, 10, 0))
    assert due_at(entry, DEFAULT) == ("callback", at(2026, 11, 23, 8, 0))


def test_callback_requested_on_a_bavarian_holiday_moves_to_the_next_day():
    entry = callback_entry(at(2026, 1, 6, 10, 0), start=at(2026, 1, 12, 10, 0))
    assert due_at(entry, DEFAULT) == ("callback", at(2026, 1, 7, 8, 0))
    assert due_at(entry, BERLIN_LAND) == ("callback", at(2026, 1, 6, 10, 0))


def test_callback_without_a_time_is_due_at_once():
    entry = callback_entry(None)
    assert due_at(entry, DEFAULT) == ("callback", ASAP)
    calls = due_calls([entry], at(2026, 11, 2, 10, 0), DEFAULT)
    assert [(c.reason, c.due_at) for c in calls] == [("callback", at(2026, 11, 2, 10, 0))]


def test_callback_is_offered_after_the_appointment_for_callback_days_then_follow_up():
    entry = callback_entry(at(2026, 11, 25, 10, 0))
    assert offered(at(2026, 11, 27, 10, 0), entry) == [("a1", "callback")]
    assert offered(at(2026, 12, 3, 9, 59), entry) == [("a1", "callback")]
    assert offered(at(2026, 12, 3, 10, 0), entry) == []
    assert follow_up_reason(entry, at(2026, 12, 3, 10, 0)) == "callback-missed"
    assert follow_up_reason(entry, at(2026, 12, 3, 9, 59)) is None


def test_callback_after_the_appointment_counts_from_the_requested_time():
    entry = callback_entry(at(2026, 11, 30, 10, 0))   # the customer wants to rebook
    assert offered(at(2026, 12, 7, 9, 59), entry) == [("a1", "callback")]
    assert offered(at(2026, 12, 7, 10, 0), entry) == []


def test_deadline_callback_is_honoured():
    entry = deadline((2026, 12, 1), outcome="callback", callback=at(2026, 11, 10, 15, 0))
    assert due_at(entry, DEFAULT) == ("callback", at(2026, 11, 10, 15, 0))


# --- deadlines (Feuerstättenbescheid) -----------------------------------------------------

DUE = (2026, 12, 1)   # Tuesday; four weeks before is Tuesday 2026-11-03


def test_deadline_not_due_one_minute_before_four_weeks():
    assert offered(at(2026, 11, 2, 17, 59), deadline(DUE)) == []


def test_deadline_due_from_four_weeks_before():
    assert due_at(deadline(DUE), DEFAULT) == ("deadline", at(2026, 11, 3, 8, 0))
    assert offered(at(2026, 11, 3, 8, 0), deadline(DUE)) == [("d1", "deadline")]


def test_deadline_due_until_the_end_of_its_due_date():
    assert offered(at(2026, 12, 1, 17, 59), deadline(DUE)) == [("d1", "deadline")]
    assert offered(at(2026, 12, 2, 8, 0), deadline(DUE)) == []


def test_deadline_days_are_configurable():
    settings = CallSettings(deadline_days=14)
    assert due_at(deadline(DUE), settings) == ("deadline", at(2026, 11, 17, 8, 0))


def test_deadline_reminder_to_a_mobile_is_an_sms():
    calls = due_calls([deadline(DUE)], at(2026, 11, 3, 9, 0), DEFAULT)
    assert [(c.action, c.reason) for c in calls] == [("sms", "deadline")]


def test_deadline_reminder_to_a_fixed_line_is_a_call():
    entry = deadline(DUE, phone="+4989123456", phone_type="fixed_line")
    calls = due_calls([entry], at(2026, 11, 3, 9, 0), DEFAULT)
    assert [c.action for c in calls] == ["call"]


def test_deadline_reminder_to_a_mobile_is_a_call_when_sms_is_not_preferred():
    calls = due_calls([deadline(DUE)], at(2026, 11, 3, 9, 0), CallSettings(prefer_sms=False))
    assert [c.action for c in calls] == ["call"]


def test_deadline_reminded_by_sms_is_not_offered_again():
    sent = deadline(DUE, notified=at(2026, 11, 3, 8, 5))
    assert due_at(sent, DEFAULT) is None
    assert follow_up([sent], at(2026, 11, 10, 10, 0)) == []


def test_deadline_call_that_failed_is_retried_next_calling_day_then_stops():
    once = deadline(DUE, phone_type="fixed_line", attempts=1, last_attempt=at(2026, 11, 6, 9, 0))
    assert due_at(once, DEFAULT) == ("retry", at(2026, 11, 9, 8, 0))
    calls = due_calls([once], at(2026, 11, 9, 8, 0), DEFAULT)
    assert [(c.action, c.reason, c.kind) for c in calls] == [("call", "retry", "deadline")]
    twice = deadline(DUE, phone_type="fixed_line", attempts=2, last_attempt=at(2026, 11, 9, 8, 5))
    assert due_at(twice, DEFAULT) is None
    assert follow_up_reason(twice, at(2026, 11, 9, 9, 0)) == "unreached"


def test_deadline_with_an_answer_is_not_offered():
    assert due_at(deadline(DUE, outcome="confirmed"), DEFAULT) is None
    rejected = deadline(DUE, outcome="rejected")
    assert due_at(rejected, DEFAULT) is None
    assert follow_up([rejected], at(2026, 11, 3, 9, 0)) == [rejected]


def booking(start, kind="external", state="booked", uid="b1", building="B-1", **facts):
    return internal(start, uid=uid, kind=kind, state=state, building=building, **facts)


def test_deadline_settled_by_a_booking_in_its_window():
    entry = deadline(DUE, window_start=dt.date(2026, 6, 1))
    booked = booking(at(2026, 11, 20, 9, 0))
    assert due_at(entry, DEFAULT, [booked]) is None
    assert offered(at(2026, 11, 3, 9, 0), entry, booked) == []


def test_deadline_settled_by_an_internal_appointment_on_the_due_date():
    entry = deadline(DUE, window_start=dt.date(2026, 6, 1))
    planned = booking(at(2026, 12, 1, 15, 0), kind="internal", state="confirmed",
                      outcome="confirmed")
    assert due_at(entry, DEFAULT, [planned]) is None


@pytest.mark.parametrize("other", [
    booking(at(2026, 5, 31, 9, 0)),                           # before the window
    booking(at(2026, 12, 2, 9, 0)),                           # after the due date
    booking(at(2026, 11, 20, 9, 0), building="B-2"),          # another building
    booking(at(2026, 11, 20, 9, 0), kind="internal", state="rejected", outcome="rejected"),
    booking(at(2026, 11, 20, 9, 0), kind="individual", state="individual"),
])
def test_deadline_not_settled_by_other_entries(other):
    entry = deadline(DUE, window_start=dt.date(2026, 6, 1))
    assert due_at(entry, DEFAULT, [other]) == ("deadline", at(2026, 11, 3, 8, 0))


def test_deadline_without_a_known_window_is_settled_by_a_booking_within_a_year():
    entry = deadline(DUE)
    assert due_at(entry, DEFAULT, [booking(at(2025, 12, 1, 9, 0))]) is None
    assert due_at(entry, DEFAULT, [booking(at(2025, 11, 30, 9, 0))]) is not None


def test_settled_deadline_is_not_on_the_follow_up_list():
    entry = deadline(DUE, outcome="rejected")
    assert follow_up([entry, booking(at(2026, 11, 20, 9, 0))], at(2026, 11, 3, 9, 0)) == []


# --- one call per phone, most urgent first ----------------------------------------------------

def test_several_due_entries_of_one_phone_make_one_call_with_the_most_urgent_first():
    phone = "+4989123456"
    announce = internal(APPOINTMENT, uid="announce", phone=phone)
    retry = unreached_once(at(2026, 11, 19, 10, 0), uid="retry", phone=phone)
    reminder = deadline(DUE, uid="deadline", phone=phone, phone_type="fixed_line",
                        building="B-9")
    calls = due_calls([reminder, announce, retry], at(2026, 11, 20, 9, 0), DEFAULT)
    assert len(calls) == 1
    call = calls[0]
    assert (call.phone, call.reason, call.uid, call.action) == (phone, "retry", "retry", "call")
    assert [e.uid for e in call.entries] == ["retry", "announce", "deadline"]
    assert call.reasons == ("retry", "announce", "deadline")
    assert call.start == retry.start and call.due_at == at(2026, 11, 20, 8, 0)


def test_a_call_covers_an_sms_reminder_of_the_same_phone():
    phone = "+4915112345678"
    announce = internal(APPOINTMENT, uid="announce", phone=phone, phone_type="mobile")
    reminder = deadline(DUE, uid="deadline", phone=phone, building="B-9")
    [call] = due_calls([reminder, announce], at(2026, 11, 20, 9, 0), DEFAULT)
    assert (call.action, call.reason, [e.uid for e in call.entries]) == (
        "call", "announce", ["announce", "deadline"])


def test_calls_are_ordered_callback_retry_announce_deadline_then_by_start():
    now = at(2026, 11, 23, 15, 0)
    entries = [
        deadline(DUE, uid="deadline", phone="+491", building="B-9"),
        internal(at(2026, 11, 27, 10, 0), uid="announce-later", phone="+492"),
        internal(at(2026, 11, 25, 10, 0), uid="announce-sooner", phone="+493"),
        unreached_once(at(2026, 11, 20, 10, 0), uid="retry", phone="+494"),
        callback_entry(at(2026, 11, 23, 14, 0), uid="callback", phone="+495",
                       start=at(2026, 11, 30, 10, 0)),
    ]
    assert offered(now, *entries) == [
        ("callback", "callback"), ("retry", "retry"), ("announce-sooner", "announce"),
        ("announce-later", "announce"), ("deadline", "deadline")]


def test_urgency_order_is_the_order_of_the_rule_table():
    reasons = list(dict.fromkeys(rule.reason for rule in CALL_RULES))
    assert reasons == ["callback", "retry", "announce", "deadline"]


def test_order_is_stable_for_equal_entries():
    a = internal(APPOINTMENT, uid="b", phone="+491")
    b = internal(APPOINTMENT, uid="a", phone="+492")
    assert offered(at(2026, 11, 20, 9, 0), a, b) == [("a", "announce"), ("b", "announce")]


def test_leased_phones_are_skipped():
    one = internal(APPOINTMENT, uid="one", phone="+491")
    two = internal(APPOINTMENT, uid="two", phone="+492")
    assert offered(at(2026, 11, 20, 9, 0), one, two, leased={"+491"}) == [("two", "announce")]


def test_no_due_calls_outside_a_window():
    assert due_calls([internal(APPOINTMENT)], at(2026, 11, 20, 18, 0), DEFAULT) == []
    assert due_calls([internal(APPOINTMENT)], at(2026, 11, 22, 10, 0), DEFAULT) == []


def test_call_carries_what_the_assistant_needs():
    [call] = due_calls([internal(APPOINTMENT)], at(2026, 11, 20, 9, 0), DEFAULT)
    assert (call.uid, call.calendar, call.customer, call.building, call.start, call.kind) == (
        "a1", "/anna/termine/", "Huber", "B-1", APPOINTMENT, "internal")
    assert call.due_at == at(2026, 11, 19, 10, 0)


# --- follow-up --------------------------------------------------------------------------------

def test_follow_up_lists_rejected_and_unreached_twice_only():
    now = at(2026, 11, 20, 9, 0)
    rejected = internal(at(2026, 11, 30, 9, 0), uid="rejected", state="rejected",
                        outcome="rejected")
    unreached = internal(at(2026, 11, 25, 9, 0), uid="unreached", state="unreached-2",
                         attempts=2)
    others = [internal(APPOINTMENT, uid="planned"),
              internal(APPOINTMENT, uid="confirmed", state="confirmed", outcome="confirmed"),
              internal(APPOINTMENT, uid="orange", state="data-missing"),
              unreached_once(at(2026, 11, 19, 10, 0), uid="once")]
    assert [c.uid for c in follow_up([rejected, *others, unreached], now)] == [
        "unreached", "rejected"]


# --- record_outcome ---------------------------------------------------------------------------

NOW = at(2026, 11, 28, 10, 15)   # Saturday — the assistant may take calls at any time


def test_confirmed():
    update = record_outcome(internal(APPOINTMENT), "confirmed", NOW, DEFAULT)
    assert (update.outcome, update.attempts, update.callback, update.start) == (
        "confirmed", 0, None, None)
    assert update.log_line == "28.11.2026 10:15 Anruf: bestätigt"


def test_rebooked_confirms_and_moves_the_start():
    update = record_outcome(internal(APPOINTMENT), "rebooked", NOW, DEFAULT,
                            new_start=at(2026, 12, 9, 10, 0))
    assert (update.outcome, update.start) == ("confirmed", at(2026, 12, 9, 10, 0))
    assert update.log_line == "28.11.2026 10:15 Anruf: umgebucht auf 09.12.2026 10:00"


def test_callback_with_a_time():
    update = record_outcome(internal(APPOINTMENT), "callback", NOW, DEFAULT,
                            at=at(2026, 12, 2, 14, 0))
    assert (update.outcome, update.callback) == ("callback", at(2026, 12, 2, 14, 0))
    assert update.log_line == "28.11.2026 10:15 Anruf: Rückruf gewünscht für 02.12.2026 14:00"


def test_callback_without_a_time_is_the_next_calling_window():
    update = record_outcome(internal(APPOINTMENT), "callback", at(2026, 11, 26, 10, 15), DEFAULT)
    assert update.callback == at(2026, 11, 27, 8, 0)
    assert update.log_line.endswith("Rückruf gewünscht für 27.11.2026 08:00")


def test_unreached_first_try():
    update = record_outcome(internal(APPOINTMENT), "unreached", NOW, DEFAULT)
    assert (update.attempts, update.last_attempt, update.outcome) == (1, NOW, None)
    assert update.log_line == "28.11.2026 10:15 Anruf: nicht erreicht (1. Versuch)"


def test_unreached_second_try_says_no_more_calls():
    entry = unreached_once(at(2026, 11, 27, 10, 0))
    update = record_outcome(entry, "unreached", NOW, DEFAULT)
    assert update.attempts == 2
    assert update.log_line == ("28.11.2026 10:15 Anruf: nicht erreicht (2. Versuch) – "
                               "kein weiterer Anruf, bitte schriftlich nachfassen")


def test_unreached_on_a_callback_clears_the_callback():
    entry = callback_entry(at(2026, 11, 27, 10, 0))
    update = record_outcome(entry, "unreached", NOW, DEFAULT)
    assert (update.outcome, update.callback, update.attempts) == (None, None, 1)


def test_rejected():
    update = record_outcome(internal(APPOINTMENT), "rejected", NOW, DEFAULT)
    assert update.outcome == "rejected"
    assert update.log_line == "28.11.2026 10:15 Anruf: abgelehnt – bitte schriftlich nachfassen"


def test_sms_sent_marks_the_entry_notified_and_keeps_the_rest():
    entry = deadline(DUE)
    update = record_outcome(entry, "sms-sent", NOW, DEFAULT)
    assert (update.notified, update.outcome, update.attempts) == (NOW, None, 0)
    assert update.log_line == "28.11.2026 10:15 SMS gesendet"
    assert due_at(apply_outcome(entry, update), DEFAULT) is None


def test_log_line_is_local_time_and_carries_the_note_on_one_line():
    update = record_outcome(internal(APPOINTMENT), "confirmed", at(2026, 7, 1, 8, 0, tz=UTC),
                            DEFAULT, note="Hund im Garten,\n bitte klingeln")
    assert update.log_line == "01.07.2026 10:00 Anruf: bestätigt – Hund im Garten, bitte klingeln"


@pytest.mark.parametrize("kwargs,message", [
    (dict(outcome="maybe"), "unknown outcome 'maybe'; allowed: confirmed, rebooked"),
    (dict(outcome="rebooked"), "rebooked needs the new start"),
    (dict(outcome="rebooked", new_start=at(2026, 11, 27, 10, 0)), "not in the future"),
    (dict(outcome="rebooked", new_start=dt.datetime(2026, 12, 9, 10, 0)), "new_start must be"),
    (dict(outcome="callback", at=at(2026, 11, 28, 10, 0)), "callback time .* is in the past"),
    (dict(outcome="callback", at=dt.datetime(2026, 12, 2, 14, 0)), "at must be a timezone"),
])
def test_record_outcome_refuses_bad_input(kwargs, message):
    outcome = kwargs.pop("outcome")
    with pytest.raises(ValueError, match=message):
        record_outcome(internal(APPOINTMENT), outcome, NOW, DEFAULT, **kwargs)


def test_record_outcome_refuses_rebooking_a_deadline_and_individual_entries():
    with pytest.raises(ValueError, match="not to a deadline entry"):
        record_outcome(deadline(DUE), "rebooked", NOW, DEFAULT, new_start=at(2026, 12, 9, 10, 0))
    with pytest.raises(ValueError, match="individual entry"):
        record_outcome(internal(APPOINTMENT, kind="individual", state="individual"),
                       "confirmed", NOW, DEFAULT)
    with pytest.raises(ValueError, match="now must be"):
        record_outcome(internal(APPOINTMENT), "confirmed", dt.datetime(2026, 11, 28), DEFAULT)


# --- settings from [storage] options ----------------------------------------------------------

def test_options_give_the_defaults_when_absent():
    assert CallSettings.from_options({}) == DEFAULT
    assert CallSettings.from_options({"kamin_announce_days": "", "filesystem_folder": "/x",
                                      "kamin_index": "other part"}) == DEFAULT


def test_options_are_parsed():
    settings = CallSettings.from_options({
        "kamin_bundesland": "nw", "kamin_calling_days": "mon,tue, thu-sat",
        "kamin_calling_hours": "08:30-17:00", "kamin_announce_days": "5",
        "kamin_deadline_days": "21", "kamin_max_attempts": "3", "kamin_retry_hours": "4",
        "kamin_prefer_sms": "false", "kamin_lease_minutes": "10", "kamin_callback_days": "3",
        "kamin_timezone": "Europe/Vienna", "kamin_holiday_categories": "public",
        "kamin_closed_days": "12-24, 12-31, 2026-05-15", "kamin_formblatt_days": "21",
        "kamin_sms_confirm_hours": "72", "kamin_feuerstaettenschau_notice_days": "6"})
    assert settings == CallSettings(
        bundesland="NW", calling_days=(0, 1, 3, 4, 5), window_start=dt.time(8, 30),
        window_end=dt.time(17, 0), announce_days=5, deadline_days=21, max_attempts=3,
        retry_hours=4, prefer_sms=False, lease_minutes=10, callback_days=3,
        formblatt_days=21, sms_confirm_hours=72, feuerstaettenschau_notice_days=6,
        timezone=ZoneInfo("Europe/Vienna"), holiday_categories=("public",),
        closed_dates=(dt.date(2026, 5, 15),), closed_yearly=((12, 24), (12, 31)))


def test_german_weekday_names_are_understood():
    assert CallSettings.from_options({"kamin_calling_days": "Mo-Fr"}).calling_days == (0, 1, 2, 3, 4)
    assert CallSettings.from_options({"kamin_calling_days": "di,do"}).calling_days == (1, 3)


@pytest.mark.parametrize("option,value,message", [
    ("kamin_bundesland", "Bavaria", "kamin_bundesland = Bavaria: unknown Bundesland; use one of"),
    ("kamin_calling_days", "mon,funday", "kamin_calling_days = mon,funday: unknown weekday"),
    ("kamin_calling_days", "fri-mon", "runs backwards"),
    ("kamin_calling_hours", "18:00-08:00", "kamin_calling_hours = .*must start before it ends"),
    ("kamin_calling_hours", "8 to 18", "start-end"),
    ("kamin_calling_hours", "25:00-26:00", "not a time of day"),
    ("kamin_announce_days", "seven", "kamin_announce_days = seven: must be a whole number"),
    ("kamin_max_attempts", "0", "max_attempts must be 1 or more"),
    ("kamin_retry_hours", "-1", "kamin_retry_hours = -1: must be a whole number"),
    ("kamin_prefer_sms", "perhaps", "kamin_prefer_sms = perhaps: must be true or false"),
    ("kamin_timezone", "Mars/Olympus", "kamin_timezone = Mars/Olympus: unknown time zone"),
    ("kamin_closed_days", "24.12.", "kamin_closed_days = 24.12.: '24.12.' is neither"),
    ("kamin_holiday_categories", "school", "kamin_holiday_categories = school"),
    ("kamin_formblatt_days", "zwei Wochen", "kamin_formblatt_days = zwei Wochen: must be"),
    ("kamin_sms_confirm_hours", "-4", "kamin_sms_confirm_hours = -4: must be"),
    ("kamin_feuerstaettenschau_notice_days", "5.5", "kamin_feuerstaettenschau_notice_days"),
])
def test_bad_options_name_the_option(option, value, message):
    with pytest.raises(ValueError, match=message):
        CallSettings.from_options({option: value})


def test_settings_are_validated_when_built_directly():
    with pytest.raises(ValueError, match="bundesland 'XX'"):
        CallSettings(bundesland="XX")
    with pytest.raises(ValueError, match="calling_days"):
        CallSettings(calling_days=())


# --- Feuerstättenschau: five working days' notice ----------------------------------------------
# 2026-12-14 is a Monday; its fifth working day before is Monday 2026-12-07.

def schau(start, **facts):
    return internal(start, work="feuerstaettenschau", **facts)


SCHAU = at(2026, 12, 14, 10, 0)


@pytest.mark.parametrize("now,earliest", [
    (at(2026, 12, 7, 17, 59), at(2026, 12, 12, 0, 0)),    # Monday: Saturday, so Monday's slots
    (at(2026, 12, 11, 9, 0), at(2026, 12, 18, 0, 0)),     # Friday: Fri, Mon, Tue, Wed, Thu
    (at(2026, 12, 12, 9, 0), at(2026, 12, 19, 0, 0)),     # Saturday does not count
    (at(2026, 3, 30, 9, 0), at(2026, 4, 8, 0, 0)),        # Good Friday and Easter Monday
])
def test_earliest_start_of_a_feuerstaettenschau(now, earliest):
    assert earliest_start("feuerstaettenschau", now, DEFAULT) == earliest


@pytest.mark.parametrize("work", [None, "kehrung", "messung", "ueberpruefung", "abnahme"])
def test_other_work_needs_no_notice(work):
    now = at(2026, 12, 7, 9, 0)
    assert earliest_start(work, now, DEFAULT) == now
    assert notice_problem(work, now, now, DEFAULT) is None


def test_notice_problem_names_the_rule_and_the_earliest_day():
    now = at(2026, 12, 8, 9, 0)        # Tuesday: the notice runs out on Monday the 14th
    problem = notice_problem("feuerstaettenschau", SCHAU, now, DEFAULT)
    assert problem == ("a Feuerstättenschau needs 5 working days' notice "
                       "(kamin_feuerstaettenschau_notice_days); the earliest start is 15.12.2026")
    assert notice_problem("feuerstaettenschau", SCHAU, at(2026, 12, 7, 17, 59), DEFAULT) is None


def test_notice_days_are_configurable():
    settings = CallSettings(feuerstaettenschau_notice_days=2)
    assert earliest_start("feuerstaettenschau", at(2026, 12, 7, 9, 0), settings) == \
        at(2026, 12, 9, 0, 0)
    assert notice_deadline(schau(SCHAU), settings) == at(2026, 12, 11, 0, 0)


def test_notice_runs_out_at_the_end_of_the_fifth_working_day_before():
    assert notice_deadline(schau(SCHAU), DEFAULT) == at(2026, 12, 8, 0, 0)
    assert notice_deadline(schau(at(2026, 4, 10, 9, 0)), DEFAULT) == at(2026, 4, 2, 0, 0)
    assert notice_deadline(internal(SCHAU), DEFAULT) is None
    assert notice_deadline(schau(SCHAU, kind="external", state="booked"), DEFAULT) is None


def test_feuerstaettenschau_is_announced_a_week_before_its_notice_runs_out():
    entry = schau(SCHAU)
    due = due_window(entry, DEFAULT)
    assert (due.reason, due.since, due.until) == (
        "announce", at(2026, 11, 30, 8, 0), at(2026, 12, 8, 0, 0))
    assert offered(at(2026, 11, 30, 8, 0), entry) == [("a1", "announce")]
    assert offered(at(2026, 12, 7, 17, 59), entry) == [("a1", "announce")]
    assert offered(at(2026, 12, 8, 8, 0), entry) == []
    # An appointment for other work: seven days before it, until it starts.
    assert due_at(internal(SCHAU), DEFAULT) == ("announce", at(2026, 12, 7, 10, 0))


def test_failed_call_of_a_feuerstaettenschau_is_retried_only_while_notice_is_possible():
    once = schau(SCHAU, state="unreached-1", attempts=1, last_attempt=at(2026, 12, 4, 11, 0))
    assert offered(at(2026, 12, 7, 8, 0), once) == [("a1", "retry")]
    assert offered(at(2026, 12, 8, 8, 0), once) == []
    late = schau(SCHAU, state="unreached-1", attempts=1, last_attempt=at(2026, 12, 7, 11, 0))
    assert due_at(late, DEFAULT) is None


def test_feuerstaettenschau_not_announced_in_time_goes_to_follow_up():
    entry = schau(SCHAU)
    assert follow_up_reason(entry, at(2026, 12, 7, 23, 59)) is None
    assert follow_up_reason(entry, at(2026, 12, 8, 0, 0)) == "notice-missed"
    orange = schau(SCHAU, state="data-missing", phone=None)
    assert follow_up_reason(orange, at(2026, 12, 8, 0, 0)) == "notice-missed"
    assert follow_up([entry, internal(SCHAU, uid="other")], at(2026, 12, 9, 9, 0)) == [entry]


@pytest.mark.parametrize("facts", [
    dict(state="confirmed", outcome="confirmed"),
    dict(state="callback", outcome="callback", callback=at(2026, 12, 10, 9, 0)),
    dict(notified=at(2026, 12, 7, 17, 0)),                  # told by SMS in time
])
def test_feuerstaettenschau_announced_in_time_is_no_follow_up(facts):
    assert follow_up_reason(schau(SCHAU, **facts), at(2026, 12, 8, 9, 0)) is None


def test_sms_after_the_notice_ran_out_does_not_give_notice():
    late = schau(SCHAU, notified=at(2026, 12, 8, 9, 0))
    assert follow_up_reason(late, at(2026, 12, 8, 9, 5)) == "notice-missed"


def test_feuerstaettenschau_two_weeks_ahead_is_found_among_many_entries():
    now = at(2026, 11, 30, 9, 0)
    others = [internal(at(2026, 12, 20, 10, 0), uid="x%d" % d, phone="+49%d" % d) for d in range(3)]
    assert offered(now, schau(SCHAU), *others) == [("a1", "announce")]


# --- an SMS nobody confirmed: the call follows ---------------------------------------------------

def test_unconfirmed_sms_announcement_is_called_48_hours_before():
    sent = internal(APPOINTMENT, notified=at(2026, 11, 19, 10, 5))   # Thursday 26th, 10:00
    assert due_at(sent, DEFAULT) == ("retry", at(2026, 11, 24, 10, 0))
    assert offered(at(2026, 11, 24, 10, 0), sent) == [("a1", "retry")]
    assert offered(at(2026, 11, 26, 9, 59), sent) == [("a1", "retry")]
    assert offered(at(2026, 11, 26, 10, 0), sent) == []


def test_confirmation_hours_are_real_hours_and_configurable():
    five_days = CallSettings(sms_confirm_hours=120)
    spring = internal(at(2026, 4, 1, 10, 0), notified=at(2026, 3, 20, 9, 0))    # CEST
    assert due_at(spring, five_days) == ("retry", at(2026, 3, 27, 9, 0))         # CET
    autumn = internal(at(2026, 10, 28, 10, 0), notified=at(2026, 10, 19, 9, 0))  # CET
    assert due_at(autumn, five_days) == ("retry", at(2026, 10, 23, 11, 0))       # CEST
    assert due_at(autumn, CallSettings(sms_confirm_hours=24)) == ("retry", at(2026, 10, 27, 10, 0))


def test_sms_confirmation_deadline_on_a_weekend_is_called_on_the_next_calling_day():
    sent = internal(at(2026, 11, 30, 10, 0), notified=at(2026, 11, 23, 9, 0))   # Monday
    assert due_at(sent, DEFAULT) == ("retry", at(2026, 11, 30, 8, 0))


def test_sms_sent_after_the_confirmation_deadline_is_followed_by_a_call_at_once():
    sent = internal(APPOINTMENT, notified=at(2026, 11, 25, 11, 0))
    assert due_at(sent, DEFAULT) == ("retry", at(2026, 11, 25, 11, 0))


def test_confirmed_after_the_sms_is_not_called():
    sent = internal(APPOINTMENT, state="confirmed", outcome="confirmed",
                    notified=at(2026, 11, 19, 10, 5))
    assert due_at(sent, DEFAULT) is None


def test_unreached_after_the_sms_is_retried_then_follows_up():
    once = internal(APPOINTMENT, state="unreached-1", attempts=1,
                    notified=at(2026, 11, 19, 10, 5), last_attempt=at(2026, 11, 24, 10, 5))
    assert due_at(once, DEFAULT) == ("retry", at(2026, 11, 25, 8, 0))
    twice = replace(once, state="unreached-2", attempts=2, last_attempt=at(2026, 11, 25, 8, 5))
    assert due_at(twice, DEFAULT) is None
    assert follow_up_reason(twice, at(2026, 11, 25, 9, 0)) == "unreached"


def test_sms_sent_for_an_appointment_says_when_the_call_follows():
    update = record_outcome(internal(APPOINTMENT), "sms-sent", at(2026, 11, 19, 10, 5), DEFAULT)
    assert update.notified == at(2026, 11, 19, 10, 5)
    assert update.log_line == ("19.11.2026 10:05 SMS gesendet (Terminankündigung) – "
                               "ohne Bestätigung folgt ab 24.11.2026 10:00 ein Anruf")
    late = record_outcome(internal(APPOINTMENT), "sms-sent", at(2026, 11, 26, 9, 30), DEFAULT)
    assert late.log_line == "26.11.2026 09:30 SMS gesendet (Terminankündigung) – " \
                            "ohne Bestätigung folgt ab 26.11.2026 09:30 ein Anruf"
    after = record_outcome(internal(APPOINTMENT), "sms-sent", at(2026, 11, 26, 11, 0), DEFAULT)
    assert after.log_line == "26.11.2026 11:00 SMS gesendet"


# --- the Formblatt after a Feuerstättenbescheid window ------------------------------------------
# DUE is Tuesday 2026-12-01: the Formblatt is due by the end of 15 December.

def test_formblatt_is_due_fourteen_days_after_the_window():
    assert formblatt_due(deadline(DUE), DEFAULT) == at(2026, 12, 16, 0, 0)
    assert formblatt_due(deadline(DUE), CallSettings(formblatt_days=7)) == at(2026, 12, 9, 0, 0)


def test_window_ended_without_booking_or_formblatt_goes_to_follow_up():
    entry = deadline(DUE, outcome="confirmed")
    assert follow_up_reason(entry, at(2026, 12, 15, 23, 59)) is None
    assert follow_up_reason(entry, at(2026, 12, 16, 0, 0)) == "formblatt-missing"
    assert follow_up([entry], at(2027, 3, 1, 9, 0)) == [entry]


def test_formblatt_missing_outranks_an_earlier_refusal():
    refused = deadline(DUE, outcome="rejected")
    assert follow_up_reason(refused, at(2026, 12, 10, 9, 0)) == "rejected"
    assert follow_up_reason(refused, at(2026, 12, 16, 9, 0)) == "formblatt-missing"


@pytest.mark.parametrize("formblatt", ["2026-12-10", "ja"])
def test_received_formblatt_settles_the_deadline(formblatt):
    assert follow_up_reason(deadline(DUE, formblatt=formblatt), at(2026, 12, 20, 9, 0)) is None


def test_booking_in_the_window_settles_the_formblatt_too():
    entry = deadline(DUE, window_start=dt.date(2026, 6, 1))
    assert follow_up([entry, booking(at(2026, 11, 20, 9, 0))], at(2026, 12, 20, 9, 0)) == []
    late = booking(at(2026, 12, 3, 9, 0))
    assert follow_up_reason(entry, at(2026, 12, 20, 9, 0), DEFAULT, [late]) == "formblatt-missing"


def test_formblatt_received_is_recorded_with_the_day_and_a_log_line():
    update = record_outcome(deadline(DUE), "formblatt-received", at(2026, 12, 18, 23, 30), DEFAULT)
    assert update.formblatt == "2026-12-18"
    assert update.log_line == "18.12.2026 23:30 Formblatt erhalten"
    assert (update.outcome, update.attempts, update.notified) == (None, 0, None)
    after = apply_outcome(deadline(DUE), update)
    assert follow_up_reason(after, at(2027, 1, 5, 9, 0)) is None


def test_formblatt_received_is_for_deadline_entries_only():
    with pytest.raises(ValueError, match="formblatt-received is for deadline entries"):
        record_outcome(internal(APPOINTMENT), "formblatt-received", NOW, DEFAULT)


def test_follow_up_reasons_are_the_rule_table():
    assert FOLLOW_UPS == ("formblatt-missing", "rejected", "unreached", "notice-missed",
                          "callback-missed")


# --- deadline entries without a phone are data missing ------------------------------------------

def test_deadline_without_phone_is_listed_until_its_due_date_ends():
    entry = deadline(DUE, phone=None, phone_type=None)
    assert data_missing([entry], at(2026, 11, 3, 9, 0)) == [entry]
    assert data_missing([entry], at(2026, 12, 1, 23, 59)) == [entry]
    assert data_missing([entry], at(2026, 12, 2, 0, 0)) == []
    assert due_at(entry, DEFAULT) is None


@pytest.mark.parametrize("facts", [
    dict(outcome="confirmed"), dict(notified=at(2026, 11, 3, 9, 0)), dict(formblatt="ja"),
    dict(phone="+4989123456", phone_type="fixed_line")])
def test_deadline_needing_no_call_is_not_data_missing(facts):
    entry = deadline(DUE, **{"phone": None, "phone_type": None, **facts})
    assert data_missing([entry], at(2026, 11, 3, 9, 0)) == []


def test_settled_deadline_without_phone_is_not_data_missing():
    entry = deadline(DUE, phone=None, phone_type=None)
    assert data_missing([entry, booking(at(2026, 11, 20, 9, 0))], at(2026, 11, 3, 9, 0)) == []
