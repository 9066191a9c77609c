"""Working hours: the weekly pattern, breaks, exceptions, holidays, DST and
the published VAVAILABILITY — with explicit dates (2026/2027)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil import rrule

from radicale_kamin.schedule.calls import CallSettings
from radicale_kamin.schedule.workhours import (DEFAULT_WORKING_HOURS, WorkingHours,
                                               parse_working_hours, to_vavailability)

BERLIN = ZoneInfo("Europe/Berlin")

OFFICE = """\
# Times are local (Europe/Berlin). Breaks are the gaps between the intervals.
[default]
mon-fri = 07:00-12:00, 12:30-16:00

[anna]
mon-thu = 07:00-12:00, 12:30-16:00
fri = 07:00-12:00
2026-12-24 = off
2026-12-28..2026-12-31 = off          ; Urlaub
2027-01-15 = 07:00-11:00              ; halber Tag

[ben]
2026-11-20 = frei                     # krank gemeldet
"""


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def clock(hours: WorkingHours, day: str) -> list[tuple[str, str]]:
    """The intervals of ``day`` as local "HH:MM" pairs."""
    return [(s.astimezone(BERLIN).strftime("%H:%M"), e.astimezone(BERLIN).strftime("%H:%M"))
            for s, e in hours.intervals_on(dt.date.fromisoformat(day))]


@pytest.fixture(scope="module")
def book():
    return parse_working_hours(OFFICE)


# --- the weekly pattern and breaks -----------------------------------------------

def test_lunch_break_is_the_gap_between_intervals(book):
    # Monday 2026-12-07
    assert clock(book.for_staff("anna"), "2026-12-07") == [("07:00", "12:00"), ("12:30", "16:00")]


def test_short_friday_of_one_employee(book):
    assert clock(book.for_staff("anna"), "2026-12-04") == [("07:00", "12:00")]
    assert clock(book.for_staff("ben"), "2026-12-04") == [("07:00", "12:00"), ("12:30", "16:00")]


def test_weekend_is_off(book):
    assert clock(book.for_staff("anna"), "2026-12-05") == []
    assert clock(book.for_staff("anna"), "2026-12-06") == []


def test_unknown_employee_gets_the_default_section(book):
    assert book.for_staff("carla") is book.default
    assert clock(book.for_staff("carla"), "2026-12-07") == [("07:00", "12:00"), ("12:30", "16:00")]


def test_staff_id_matches_section_case_insensitively(book):
    assert book.for_staff("Anna") is book.for_staff("anna")


def test_without_a_file_the_contract_default_is_mon_to_fri_7_to_16():
    hours = parse_working_hours("").for_staff("anna")
    assert clock(hours, "2026-12-07") == [("07:00", "16:00")]
    assert clock(hours, "2026-12-05") == []


def test_bundled_default_text_is_the_contract_default():
    hours = parse_working_hours(DEFAULT_WORKING_HOURS).for_staff("anyone")
    assert [clock(hours, "2026-12-%02d" % d) for d in range(7, 14)] == [
        [("07:00", "16:00")]] * 5 + [[], []]


def test_employee_section_inherits_weekdays_it_does_not_name():
    book = parse_working_hours("[default]\nmon-fri = 08:00-15:00\n[ben]\nmon = off\n")
    ben = book.for_staff("ben")
    assert clock(ben, "2026-12-07") == []                           # Monday
    assert clock(ben, "2026-12-08") == [("08:00", "15:00")]         # Tuesday: [default]
    assert clock(book.for_staff("anna"), "2026-12-07") == [("08:00", "15:00")]


def test_german_weekday_names_and_saturday_work():
    hours = parse_working_hours("[default]\nmo-fr = 07:00-16:00\nsa = 08:00-12:00\n").default
    assert clock(hours, "2026-12-05") == [("08:00", "12:00")]


def test_end_of_day_24_00():
    hours = parse_working_hours("[default]\nmon = 20:00-24:00\n").default
    ((start, end),) = hours.intervals_on(dt.date(2026, 12, 7))
    assert end == local("2026-12-08T00:00")
    assert end - start == dt.timedelta(hours=4)


# --- exceptions -------------------------------------------------------------------

def test_vacation_range_is_off_every_day(book):
    anna = book.for_staff("anna")
    for day in ("2026-12-28", "2026-12-29", "2026-12-30", "2026-12-31"):
        assert clock(anna, day) == [], day
    assert clock(anna, "2027-01-04") == [("07:00", "12:00"), ("12:30", "16:00")]


def test_single_day_off(book):
    assert clock(book.for_staff("anna"), "2026-12-24") == []
    assert clock(book.for_staff("ben"), "2026-11-20") == []
    assert clock(book.for_staff("anna"), "2026-11-20") == [("07:00", "12:00")]


def test_half_day(book):
    assert clock(book.for_staff("anna"), "2027-01-15") == [("07:00", "11:00")]


def test_default_exceptions_apply_to_everyone_unless_overridden():
    book = parse_working_hours("[default]\n2026-12-23 = off\n[anna]\n2026-12-23 = 07:00-10:00\n")
    assert clock(book.for_staff("ben"), "2026-12-23") == []
    assert clock(book.for_staff("anna"), "2026-12-23") == [("07:00", "10:00")]


def test_dated_exception_wins_over_a_holiday():
    # emergency service on Christmas Day (Friday 2026-12-25)
    hours = parse_working_hours("[default]\n2026-12-25 = 09:00-12:00\n").default
    assert clock(hours, "2026-12-25") == [("09:00", "12:00")]


# --- holidays of the Bundesland -----------------------------------------------------

def test_bavarian_christmas_and_epiphany_are_off(book):
    anna = book.for_staff("carla")
    assert clock(anna, "2026-12-25") == []          # Friday, 1. Weihnachtstag
    assert clock(anna, "2027-01-06") == []          # Wednesday, Heilige Drei Könige (BY)
    assert clock(anna, "2027-01-01") == []          # Neujahr


def test_second_christmas_day_on_a_working_weekday_is_off():
    # 2025-12-26 is a Friday
    assert clock(parse_working_hours("").default, "2025-12-26") == []


def test_december_8_is_no_holiday_in_bavaria(book):
    assert clock(book.for_staff("carla"), "2026-12-08") == [("07:00", "12:00"), ("12:30", "16:00")]


def test_assumption_day_is_off_in_bavaria_unless_only_public_holidays_count():
    # Friday 2025-08-15, Mariä Himmelfahrt (category "catholic" in BY)
    assert clock(parse_working_hours("").default, "2025-08-15") == []
    settings = CallSettings.from_options({"kamin_holiday_categories": "public"})
    assert clock(parse_working_hours("", settings).default, "2025-08-15") == [("07:00", "16:00")]


def test_epiphany_is_a_working_day_in_berlin():
    settings = CallSettings.from_options({"kamin_bundesland": "BE"})
    assert clock(parse_working_hours("", settings).default, "2027-01-06") == [("07:00", "16:00")]


def test_closed_days_of_the_office_are_off():
    settings = CallSettings.from_options({"kamin_closed_days": "12-24, 2026-12-07"})
    hours = parse_working_hours("", settings).default
    assert clock(hours, "2026-12-07") == []
    assert clock(hours, "2026-12-24") == []
    assert clock(hours, "2026-12-09") == [("07:00", "16:00")]


def test_bad_bundesland_option_names_the_option():
    with pytest.raises(ValueError, match="kamin_bundesland"):
        CallSettings.from_options({"kamin_bundesland": "Bavaria"})


# --- DST ---------------------------------------------------------------------------------

def test_spring_forward_week_keeps_local_07_00():
    hours = parse_working_hours("").default
    (before,) = hours.intervals_on(dt.date(2026, 3, 27))     # Friday, CET
    (after,) = hours.intervals_on(dt.date(2026, 3, 30))      # Monday, CEST
    assert before[0] == local("2026-03-27T07:00")
    assert after[0] == local("2026-03-30T07:00")
    assert before[0].utcoffset() == dt.timedelta(hours=1)
    assert after[0].utcoffset() == dt.timedelta(hours=2)
    assert after[0].astimezone(dt.timezone.utc).hour == 5


def test_fall_back_week_keeps_local_07_00():
    hours = parse_working_hours("").default
    (before,) = hours.intervals_on(dt.date(2026, 10, 23))    # Friday, CEST
    (after,) = hours.intervals_on(dt.date(2026, 10, 26))     # Monday, CET
    assert before[0].astimezone(dt.timezone.utc).hour == 5
    assert after[0].astimezone(dt.timezone.utc).hour == 6
    assert after[0].astimezone(dt.timezone.utc) + dt.timedelta(hours=9) == after[1]


def test_sunday_shift_on_the_switch_night_lasts_real_time():
    hours = parse_working_hours("[default]\nsun = 01:00-04:00\n").default
    ((spring_start, spring_end),) = hours.intervals_on(dt.date(2026, 3, 29))
    ((fall_start, fall_end),) = hours.intervals_on(dt.date(2026, 10, 25))
    utc = dt.timezone.utc
    assert spring_end.astimezone(utc) - spring_start.astimezone(utc) == dt.timedelta(hours=2)
    assert fall_end.astimezone(utc) - fall_start.astimezone(utc) == dt.timedelta(hours=4)


# --- parsing errors ----------------------------------------------------------------------

@pytest.mark.parametrize("text, message", [
    ("[anna]\nmon-fri = 07:00-12:00, 11:30-16:00\n",
     r"section \[anna\], line 2: 11:30-16:00 overlaps"),
    ("[anna]\nmon = 16:00-07:00\n", r"section \[anna\], line 2: 16:00-07:00 must start before"),
    ("[anna]\nmon = 7 bis 12\n", r"line 2: write an interval as start-end"),
    ("[anna]\nmon = 07:00-25:00\n", r"line 2: '25:00' is not a time of day"),
    ("[anna]\nmonday to friday = 07:00-16:00\n", r"line 2: 'monday to friday' is neither weekdays"),
    ("[anna]\n2026-02-30 = off\n", r"line 2: '2026-02-30' is not a date"),
    ("[anna]\n2026-12-31..2026-12-28 = off\n", r"line 2: the range .* runs backwards"),
    ("[anna]\nmon-fri = 07:00-16:00\nfri = 07:00-12:00\n",
     r"section \[anna\], line 3: fri is already set in line 2"),
    ("[anna]\n2026-12-28..2026-12-31 = off\n2026-12-30 = off\n",
     r"line 3: 2026-12-30 is already set in line 2"),
    ("mon-fri = 07:00-16:00\n", r"line 1: .* comes before any section"),
    ("[anna]\n[anna]\n", r"line 2: section \[anna\] appears twice \(first in line 1\)"),
    ("[anna\n", r"line 1: '\[anna' is not a section header"),
    ("[anna]\nmon 07:00-16:00\n", r"line 2: expected 'days = intervals'"),
    ("[anna]\nmon = 07:00-12:00,\n", r"line 2: empty interval"),
    ("[anna]\nmon =\n", r"line 2: no interval given"),
])
def test_parsing_error_names_section_line_and_problem(text, message):
    with pytest.raises(ValueError, match=message):
        parse_working_hours(text)


def test_comments_and_blank_lines_are_ignored():
    text = "; top comment\n\n[default]   # everyone\n# a line\nmon = 07:00-09:00 ; short\n"
    assert clock(parse_working_hours(text).default, "2026-12-07") == [("07:00", "09:00")]


# --- VAVAILABILITY ------------------------------------------------------------------------

def _available_occurrences(text: str, first: dt.date, last: dt.date) -> dict:
    """Expand the AVAILABLE components like a client would: {day: [(from, to)]}."""
    calendar = icalendar.Calendar.from_ical(text)
    days: dict = {}
    lo = dt.datetime.combine(first, dt.time(0), tzinfo=BERLIN)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tzinfo=BERLIN)
    for available in calendar.walk("AVAILABLE"):
        start, end = available["DTSTART"].dt, available["DTEND"].dt
        length = end - start
        if "RRULE" in available:
            rule = rrule.rrulestr(available["RRULE"].to_ical().decode(),
                                  dtstart=start.replace(tzinfo=None))
            exdates = available.get("EXDATE", [])
            exdates = exdates if isinstance(exdates, list) else [exdates]
            excluded = {d.dt.replace(tzinfo=None) for ex in exdates for d in ex.dts}
            starts = [s.replace(tzinfo=BERLIN) for s in rule.between(
                lo.replace(tzinfo=None), hi.replace(tzinfo=None), inc=True) if s not in excluded]
        else:
            starts = [start] if lo <= start < hi else []
        for s in starts:
            # wall-clock length (a weekly 07:00-16:00 stays 07:00-16:00 over DST)
            e = (s.replace(tzinfo=None) + length).replace(tzinfo=BERLIN)
            days.setdefault(s.date(), []).append((s.strftime("%H:%M"), e.strftime("%H:%M")))
    return {d: sorted(v) for d, v in days.items()}


def test_vavailability_parses_with_icalendar(book):
    text = to_vavailability(book.for_staff("anna"), "anna", start=dt.date(2026, 12, 1))
    calendar = icalendar.Calendar.from_ical(text)
    (availability,) = calendar.walk("VAVAILABILITY")
    assert str(availability["UID"]) == "kamin-hours-anna"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Berlin"
    weekly = [a for a in calendar.walk("AVAILABLE") if "RRULE" in a]
    assert {a["RRULE"].to_ical().decode() for a in weekly} == {
        "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH", "FREQ=WEEKLY;BYDAY=FR"}
    assert text.endswith("END:VCALENDAR\r\n")


def test_vavailability_round_trip_equals_intervals_on(book):
    anna = book.for_staff("anna")
    first, last = dt.date(2026, 12, 1), dt.date(2027, 1, 31)
    published = _available_occurrences(
        to_vavailability(anna, "anna", start=first, days=90), first, last)
    expected = {}
    day = first
    while day <= last:
        intervals = clock(anna, day.isoformat())
        if intervals:
            expected[day] = intervals
        day += dt.timedelta(days=1)
    assert published == expected
    assert dt.date(2026, 12, 25) not in published        # holiday
    assert published[dt.date(2027, 1, 15)] == [("07:00", "11:00")]


def test_vavailability_round_trip_over_dst():
    hours = parse_working_hours("").default
    first, last = dt.date(2026, 3, 23), dt.date(2026, 4, 3)
    published = _available_occurrences(to_vavailability(hours, "x", start=first, days=20),
                                       first, last)
    assert published[dt.date(2026, 3, 27)] == [("07:00", "16:00")]
    assert published[dt.date(2026, 3, 30)] == [("07:00", "16:00")]
    assert dt.date(2026, 4, 3) not in published          # Karfreitag


def test_vavailability_is_stable_for_the_same_hours(book):
    anna = book.for_staff("anna")
    assert to_vavailability(anna, "anna", start=dt.date(2026, 12, 1)) == \
        to_vavailability(anna, "anna", start=dt.date(2026, 12, 1))


def test_call_settings_default_is_bavaria():
    assert CallSettings().bundesland == "BY"
