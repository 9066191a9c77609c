"""Free slots and busy time, with explicit times (week of Mon 2026-12-07
unless said otherwise; Europe/Berlin)."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

import pytest

from radicale_kamin.schedule.availability import (Busy, SlotSettings, busy_from_event,
                                                  free_slots, part_of_day, proximity_score,
                                                  street_and_postcode)
from radicale_kamin.schedule.workhours import parse_working_hours


def expand_busy(items, frm, to):
    """Busy times of many entries (one employee's calendar), sorted."""
    busy = [b for item in items for b in busy_from_event(item, frm, to)]
    return sorted(busy, key=lambda b: b.start.astimezone(dt.timezone.utc))


BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.timezone.utc
HOURS = parse_working_hours("[default]\nmon-fri = 07:00-12:00, 12:30-16:00\n").default
PLAIN = parse_working_hours("").default                      # Mon–Fri 07:00–16:00
NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=BERLIN)          # a week before
# No buffer, no notice, no daily limit, 60 min on a 30 min grid: easy to count.
BARE = SlotSettings(buffer_minutes=0, min_notice_hours=0, max_per_day=0, step_minutes=30)


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def starts(slots) -> list[str]:
    return [s.start.astimezone(BERLIN).strftime("%d. %H:%M") for s in slots]


def day_slots(day: str, busy=(), hours=HOURS, settings=BARE, **kw):
    return free_slots("anna", hours, busy, local(day + "T00:00"),
                      local(day + "T00:00") + dt.timedelta(days=1), kw.pop("now", NOW),
                      settings, **kw)


def appointment(start: str, end: str, location: str = None, counts: bool = True) -> Busy:
    street, postcode = street_and_postcode(location)
    return Busy(local(start), local(end), counts, street, postcode)


# --- working hours and breaks ------------------------------------------------------

def test_slots_fill_working_hours_and_skip_the_lunch_break():
    assert starts(day_slots("2026-12-07")) == [
        "07. 07:00", "07. 07:30", "07. 08:00", "07. 08:30", "07. 09:00", "07. 09:30",
        "07. 10:00", "07. 10:30", "07. 11:00",
        "07. 12:30", "07. 13:00", "07. 13:30", "07. 14:00", "07. 14:30", "07. 15:00"]


def test_slot_is_duration_long_and_names_the_staff():
    slot = day_slots("2026-12-07")[0]
    assert (slot.start, slot.end, slot.staff) == (local("2026-12-07T07:00"),
                                                   local("2026-12-07T08:00"), "anna")
    assert slot.start.tzinfo is BERLIN


def test_longer_duration_needs_a_whole_interval():
    slots = day_slots("2026-12-07", duration=240)
    assert starts(slots) == ["07. 07:00", "07. 07:30", "07. 08:00"]   # 12:30–16:00: 3.5 h


def test_no_slots_on_weekend_and_bavarian_holiday():
    assert day_slots("2026-12-05") == []            # Saturday
    assert day_slots("2026-12-25") == []            # Christmas Day (Friday)
    assert day_slots("2027-01-06") == []            # Heilige Drei Könige
    assert day_slots("2026-12-08") != []            # not a holiday in BY


def test_range_end_is_exclusive_and_start_inclusive():
    slots = free_slots("anna", HOURS, [], local("2026-12-07T09:00"), local("2026-12-07T11:00"),
                       NOW, BARE)
    assert starts(slots) == ["07. 09:00", "07. 09:30", "07. 10:00"]


def test_step_grid_is_local_time_from_midnight():
    busy = [appointment("2026-12-07T07:00", "2026-12-07T08:10")]
    settings = SlotSettings(buffer_minutes=0, min_notice_hours=0, step_minutes=15)
    assert starts(day_slots("2026-12-07", busy, settings=settings))[0] == "07. 08:15"


# --- DST -------------------------------------------------------------------------------

def test_spring_forward_week_first_slot_at_local_07_00():
    for day in ("2026-03-27", "2026-03-30"):      # Friday CET, Monday CEST
        first = day_slots(day, hours=PLAIN, now=local("2026-03-01T00:00"))[0]
        assert first.start == local(day + "T07:00")
        assert first.end - first.start == dt.timedelta(hours=1)


def test_fall_back_week_first_and_last_slot_in_local_time():
    for day in ("2026-10-23", "2026-10-26"):      # Friday CEST, Monday CET
        slots = day_slots(day, hours=PLAIN, now=local("2026-10-01T00:00"))
        assert slots[0].start == local(day + "T07:00")
        assert slots[-1].end == local(day + "T16:00")
        assert len(slots) == 17


def test_week_query_over_the_fall_back_sunday():
    slots = free_slots("anna", PLAIN, [], local("2026-10-23T00:00"), local("2026-10-27T00:00"),
                       local("2026-10-01T00:00"), BARE)
    assert {s.start.date() for s in slots} == {dt.date(2026, 10, 23), dt.date(2026, 10, 26)}


# --- buffers ---------------------------------------------------------------------------

def test_buffer_keeps_travel_time_before_and_after_an_appointment():
    busy = [appointment("2026-12-07T09:00", "2026-12-07T10:00")]
    settings = SlotSettings(buffer_minutes=15, min_notice_hours=0, step_minutes=15)
    slots = day_slots("2026-12-07", busy, settings=settings)
    before = [s for s in slots if s.start < local("2026-12-07T09:00")]
    after = [s for s in slots if s.start > local("2026-12-07T09:00")]
    assert before[-1].end == local("2026-12-07T08:45")
    assert after[0].start == local("2026-12-07T10:15")


def test_buffer_also_around_private_entries():
    busy = [appointment("2026-12-07T12:30", "2026-12-07T13:00", counts=False)]
    settings = SlotSettings(buffer_minutes=30, min_notice_hours=0, step_minutes=30)
    assert "07. 13:00" not in starts(day_slots("2026-12-07", busy, settings=settings))
    assert "07. 13:30" in starts(day_slots("2026-12-07", busy, settings=settings))


def test_busy_time_outside_working_hours_still_pushes_by_the_buffer():
    busy = [appointment("2026-12-07T06:00", "2026-12-07T07:10")]
    settings = SlotSettings(buffer_minutes=20, min_notice_hours=0, step_minutes=15)
    assert day_slots("2026-12-07", busy, settings=settings)[0].start == local("2026-12-07T07:30")


# --- minimum notice ----------------------------------------------------------------------

def test_min_notice_24_hours():
    settings = SlotSettings(buffer_minutes=0, min_notice_hours=24, step_minutes=30)
    now = local("2026-12-07T10:10")
    slots = free_slots("anna", HOURS, [], local("2026-12-07T00:00"), local("2026-12-09T00:00"),
                       now, settings)
    assert slots[0].start == local("2026-12-08T10:30")


def test_min_notice_counts_real_hours_across_dst():
    settings = SlotSettings(buffer_minutes=0, min_notice_hours=24, step_minutes=30)
    now = local("2026-10-24T10:00")               # Saturday CEST; 24 h later is 09:00 CET
    slots = free_slots("anna", PLAIN, [], local("2026-10-24T00:00"), local("2026-10-27T00:00"),
                       now, settings)
    assert slots[0].start == local("2026-10-26T07:00")
    now = local("2026-10-25T07:30")               # Sunday; 24 h later is Monday 07:30
    slots = free_slots("anna", PLAIN, [], local("2026-10-24T00:00"), local("2026-10-27T00:00"),
                       now, settings)
    assert slots[0].start == local("2026-10-26T07:30")


# --- daily maximum --------------------------------------------------------------------------

def test_daily_maximum_reached_gives_no_slot_that_day():
    busy = [appointment("2026-12-07T07:00", "2026-12-07T08:00"),
            appointment("2026-12-07T13:00", "2026-12-07T14:00")]
    settings = SlotSettings(buffer_minutes=0, min_notice_hours=0, max_per_day=2)
    assert day_slots("2026-12-07", busy, settings=settings) == []
    assert day_slots("2026-12-08", busy, settings=settings) != []


def test_private_entries_do_not_count_towards_the_daily_maximum():
    busy = [appointment("2026-12-07T07:00", "2026-12-07T08:00"),
            appointment("2026-12-07T13:00", "2026-12-07T14:00", counts=False)]
    settings = SlotSettings(buffer_minutes=0, min_notice_hours=0, max_per_day=2)
    assert day_slots("2026-12-07", busy, settings=settings) != []


def test_daily_maximum_zero_means_no_limit():
    busy = [appointment("2026-12-07T07:00", "2026-12-07T07:30")] * 10
    assert day_slots("2026-12-07", busy, settings=BARE) != []


# --- Feuerstättenbescheid window and part of the day ----------------------------------------

def test_bescheid_window_restricts_slots_to_its_days():
    slots = free_slots("anna", HOURS, [], local("2026-12-07T00:00"), local("2026-12-14T00:00"),
                       NOW, BARE, window=(dt.date(2026, 12, 9), dt.date(2026, 12, 10)))
    assert {s.start.date() for s in slots} == {dt.date(2026, 12, 9), dt.date(2026, 12, 10)}


def test_bescheid_window_outside_the_range_gives_nothing():
    slots = free_slots("anna", HOURS, [], local("2026-12-07T00:00"), local("2026-12-14T00:00"),
                       NOW, BARE, window=(dt.date(2027, 3, 1), dt.date(2027, 6, 30)))
    assert slots == []


def test_tuesday_morning():
    tuesday = day_slots("2026-12-08", part=part_of_day("vormittags"))
    assert starts(tuesday)[0] == "08. 07:00" and starts(tuesday)[-1] == "08. 11:00"
    afternoon = day_slots("2026-12-08", part=part_of_day("afternoon"))
    assert starts(afternoon)[0] == "08. 12:30"


def test_part_of_day_names():
    assert part_of_day("morning") == (dt.time(7), dt.time(12))
    assert part_of_day("Nachmittags") == (dt.time(12), dt.time(18))
    assert part_of_day("allday")[0] == dt.time(0)
    with pytest.raises(ValueError, match="unknown part of the day 'abends'"):
        part_of_day("abends")


# --- same street / PLZ preference --------------------------------------------------------

def test_same_street_scores_2_same_postcode_1_other_0():
    busy = [appointment("2026-12-07T08:00", "2026-12-07T09:00", "Hauptstraße 5, 86150 Augsburg"),
            appointment("2026-12-08T08:00", "2026-12-08T09:00", "Bahnhofstraße 1, 86150 Augsburg"),
            appointment("2026-12-09T08:00", "2026-12-09T09:00", "Hauptstraße 5, 80331 München")]
    slots = free_slots("anna", HOURS, busy, local("2026-12-07T00:00"), local("2026-12-11T00:00"),
                       NOW, BARE, near=("Hauptstraße", "86150"))
    score = {s.start.date().day: s.score for s in slots}
    assert score == {7: 2, 8: 1, 9: 0, 10: 0}
    assert [s.start for s in slots] == sorted(s.start for s in slots)     # by time


def test_private_entry_in_the_same_street_does_not_score():
    busy = [appointment("2026-12-07T08:00", "2026-12-07T09:00", "Hauptstraße 5, 86150 Augsburg",
                        counts=False)]
    assert proximity_score(busy, ("Hauptstraße", "86150")) == 0


def test_street_without_postcode_on_one_side_still_matches():
    busy = [Busy(local("2026-12-07T08:00"), local("2026-12-07T09:00"), True, "Hauptstr.", None)]
    assert proximity_score(busy, ("Hauptstraße", "86150")) == 2


def test_street_and_postcode_from_normalised_location():
    assert street_and_postcode("Hauptstraße 5a, 86150 Augsburg") == ("Hauptstraße", "86150")
    assert street_and_postcode("Am Anger 12-14, 86899 Landsberg am Lech") == ("Am Anger", "86899")
    assert street_and_postcode("86150 Augsburg") == (None, "86150")
    assert street_and_postcode("") == (None, None)
    assert street_and_postcode(None) == (None, None)


# --- settings ----------------------------------------------------------------------------

def test_settings_from_options():
    settings = SlotSettings.from_options({
        "kamin_slot_duration": "90", "kamin_slot_buffer": "30", "kamin_min_notice_hours": "48",
        "kamin_max_appointments_per_day": "4", "kamin_slot_step": "30", "kamin_bundesland": "BY"})
    assert settings == SlotSettings(90, 30, 48, 4, 30)
    assert SlotSettings.from_options({"kamin_slot_duration": " "}) == SlotSettings()


@pytest.mark.parametrize("options, message", [
    ({"kamin_slot_duration": "1h"}, "kamin_slot_duration = 1h: must be a whole number"),
    ({"kamin_slot_buffer": "-5"}, "kamin_slot_buffer = -5: must be a whole number"),
    ({"kamin_slot_duration": "0"}, "duration_minutes must be 1 or more.*kamin_slot_duration = 0"),
    ({"kamin_slot_step": "7"}, "step_minutes must divide a day.*kamin_slot_step = 7"),
])
def test_bad_option_names_the_option(options, message):
    with pytest.raises(ValueError, match=message):
        SlotSettings.from_options(options)


def test_naive_times_are_refused():
    with pytest.raises(ValueError, match="now must be a timezone-aware"):
        free_slots("anna", HOURS, [], local("2026-12-07T00:00"), local("2026-12-08T00:00"),
                   dt.datetime(2026, 12, 1), BARE)


# --- busy time from calendar entries --------------------------------------------------------

VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
END:STANDARD
END:VTIMEZONE
"""


def item(*event_lines: str) -> str:
    """A calendar item text as a client PUTs it."""
    body = "\n".join(event_lines)
    return ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n" + VTIMEZONE
            + "BEGIN:VEVENT\nUID:%s\nDTSTAMP:20261101T000000Z\n%s\nEND:VEVENT\nEND:VCALENDAR\n"
            % (abs(hash(body)), body)).replace("\n", "\r\n")


WEEKLY_TEAM_MEETING = item("SUMMARY:Teambesprechung",
                           "DTSTART;TZID=Europe/Berlin:20260105T073000",
                           "DTEND;TZID=Europe/Berlin:20260105T083000",
                           "RRULE:FREQ=WEEKLY;BYDAY=MO")
URLAUB_ALL_DAY = item("SUMMARY:Urlaub", "DTSTART;VALUE=DATE:20261209",
                      "DTEND;VALUE=DATE:20261210")
TRANSPARENT = item("SUMMARY:Info", "TRANSP:TRANSPARENT",
                   "DTSTART;TZID=Europe/Berlin:20261207T090000",
                   "DTEND;TZID=Europe/Berlin:20261207T100000")
CANCELLED = item("SUMMARY:abgesagt", "STATUS:CANCELLED", "X-KAMIN-KIND:internal",
                 "DTSTART;TZID=Europe/Berlin:20261207T090000",
                 "DTEND;TZID=Europe/Berlin:20261207T100000")
DEADLINE = item("SUMMARY:Frist Kehrung", "X-KAMIN-KIND:deadline", "DTSTART;VALUE=DATE:20261207",
                "DTEND;VALUE=DATE:20261208")
BOOKED = item("SUMMARY:Kehrung", "X-KAMIN-KIND:external",
              "LOCATION:Hauptstraße 5, 86150 Augsburg",
              "DTSTART;TZID=Europe/Berlin:20261207T090000",
              "DTEND;TZID=Europe/Berlin:20261207T100000")
PRIVATE_UTC = item("SUMMARY:Arzt", "DTSTART:20261207T130000Z", "DURATION:PT1H")
WEEK = (local("2026-12-07T00:00"), local("2026-12-14T00:00"))


def test_weekly_team_meeting_blocks_every_monday():
    busy = busy_from_event(WEEKLY_TEAM_MEETING, *WEEK)
    assert [(b.start, b.end, b.counts) for b in busy] == [
        (local("2026-12-07T07:30"), local("2026-12-07T08:30"), False)]
    month = busy_from_event(WEEKLY_TEAM_MEETING, local("2026-12-01T00:00"),
                            local("2027-01-01T00:00"))
    assert [b.start.day for b in month] == [7, 14, 21, 28]
    slots = free_slots("anna", HOURS, expand_busy([WEEKLY_TEAM_MEETING],
                                                  local("2026-12-07T00:00"),
                                                  local("2026-12-22T00:00")),
                       local("2026-12-07T00:00"), local("2026-12-22T00:00"), NOW, BARE)
    mondays = [s for s in slots if s.start.weekday() == 0]
    assert {s.start.day for s in mondays} == {7, 14, 21}
    assert all(s.start >= s.start.replace(hour=8, minute=30) for s in mondays)


def test_team_meeting_stays_at_local_07_30_after_dst():
    busy = busy_from_event(WEEKLY_TEAM_MEETING, local("2026-03-23T00:00"),
                           local("2026-04-04T00:00"))
    assert [b.start for b in busy] == [local("2026-03-23T07:30"), local("2026-03-30T07:30")]


def test_all_day_private_entry_blocks_the_whole_day():
    busy = busy_from_event(URLAUB_ALL_DAY, *WEEK)
    assert [(b.start, b.end, b.counts) for b in busy] == [
        (local("2026-12-09T00:00"), local("2026-12-10T00:00"), False)]
    assert day_slots("2026-12-09", busy) == []
    assert day_slots("2026-12-10", busy) != []


def test_transparent_event_does_not_block():
    assert busy_from_event(TRANSPARENT, *WEEK) == []


def test_cancelled_event_does_not_block():
    assert busy_from_event(CANCELLED, *WEEK) == []


def test_deadline_marker_does_not_block():
    assert busy_from_event(DEADLINE, *WEEK) == []
    assert day_slots("2026-12-07", expand_busy([DEADLINE], *WEEK)) == day_slots("2026-12-07")


def test_appointment_counts_and_carries_its_address():
    (busy,) = busy_from_event(BOOKED, *WEEK)
    assert (busy.start, busy.counts, busy.street, busy.postcode) == (
        local("2026-12-07T09:00"), True, "Hauptstraße", "86150")


def test_utc_time_with_duration_blocks_local_14_00():
    (busy,) = busy_from_event(PRIVATE_UTC, *WEEK)
    assert busy.start == local("2026-12-07T14:00") and busy.end == local("2026-12-07T15:00")


def test_event_outside_the_range_gives_nothing():
    assert busy_from_event(BOOKED, local("2026-12-08T00:00"), local("2026-12-09T00:00")) == []


def test_single_vevent_component_works_too():
    import icalendar
    event = icalendar.Calendar.from_ical(BOOKED).walk("VEVENT")[0]
    assert len(busy_from_event(event, *WEEK)) == 1


def test_moved_occurrence_of_a_series_blocks_its_new_time():
    moved = WEEKLY_TEAM_MEETING.replace("END:VCALENDAR", (
        "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20261101T000000Z\r\n"
        "RECURRENCE-ID;TZID=Europe/Berlin:20261207T073000\r\n"
        "DTSTART;TZID=Europe/Berlin:20261207T140000\r\n"
        "DTEND;TZID=Europe/Berlin:20261207T150000\r\nEND:VEVENT\r\nEND:VCALENDAR")
        % WEEKLY_TEAM_MEETING.split("UID:")[1].split("\r\n")[0])
    busy = busy_from_event(moved, *WEEK)
    assert [b.start for b in busy] == [local("2026-12-07T14:00")]


def test_occurrences_are_cut_at_the_budget():
    daily = item("SUMMARY:täglich", "DTSTART;TZID=Europe/Berlin:20261201T060000",
                 "DURATION:PT10M", "RRULE:FREQ=DAILY")
    busy = busy_from_event(daily, *WEEK, max_occurrences=3)
    assert [b.start.day for b in busy] == [7, 8, 9]


def test_rule_denser_than_daily_blocks_only_its_first_occurrence_and_is_fast():
    dense = item("SUMMARY:alle 5 Minuten", "DTSTART;TZID=Europe/Berlin:20261207T090000",
                 "DURATION:PT1M", "RRULE:FREQ=MINUTELY;INTERVAL=5")
    started = time.perf_counter()
    busy = busy_from_event(dense, local("2026-12-01T00:00"), local("2027-12-01T00:00"))
    assert time.perf_counter() - started < 0.1
    assert [b.start for b in busy] == [local("2026-12-07T09:00")]
    hourly_by_parts = item("SUMMARY:x", "DTSTART;TZID=Europe/Berlin:20200101T000000",
                           "DURATION:PT1M", "RRULE:FREQ=DAILY;BYHOUR=7,8,9,10,11,12,13;"
                           "BYMINUTE=0,15,30,45")
    assert busy_from_event(hourly_by_parts, *WEEK) == []     # its first one was in 2020


def test_twice_daily_rule_is_expanded():
    twice = item("SUMMARY:x", "DTSTART;TZID=Europe/Berlin:20261201T080000",
                 "DURATION:PT30M", "RRULE:FREQ=DAILY;BYHOUR=8,14")
    assert len(busy_from_event(twice, *WEEK)) == 14


def test_garbage_text_raises_value_error():
    with pytest.raises(ValueError):
        busy_from_event("not a calendar", *WEEK)


# --- speed ---------------------------------------------------------------------------------

def test_one_week_four_employees_fifteen_entries_each_is_fast():
    monday = local("2026-12-07T00:00")
    busy = {staff: [Busy(monday + dt.timedelta(days=d % 5, hours=7 + (d * 2) % 8),
                         monday + dt.timedelta(days=d % 5, hours=8 + (d * 2) % 8),
                         True, "Hauptstraße", "86150") for d in range(15)]
            for staff in ("meister", "anna", "ben", "carla")}
    started = time.perf_counter()
    for staff, entries in busy.items():
        free_slots(staff, HOURS, entries, monday, monday + dt.timedelta(days=7), NOW,
                   near=("Hauptstraße", "86150"))
    assert time.perf_counter() - started < 0.1
