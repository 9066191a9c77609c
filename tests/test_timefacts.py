"""One time model: every shape of DTSTART/DTEND real clients write reads as
the moment the client meant."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from conftest import VTIMEZONE
from radicale_kamin.entries import icslines, timefacts

BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.timezone.utc


def item(*lines: str, tzid: str = "") -> str:
    zone = VTIMEZONE.format(tzid=tzid) if tzid else ""
    body = "\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:x", zone, "BEGIN:VEVENT",
                      "UID:u", *lines, "END:VEVENT", "END:VCALENDAR"])
    return "\r\n".join(line for line in body.splitlines() if line) + "\r\n"


def span_of(text: str, tz=BERLIN):
    calendar = icslines.parse(text)
    event = next(calendar.components("VEVENT"))
    return timefacts.event_span(event, timefacts.vtimezones(calendar), tz)


def local(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN)


@pytest.mark.parametrize("lines,tzid,start,end", [
    (["DTSTART:20270112T080000Z", "DTEND:20270112T093000Z"], "",
     "2027-01-12T09:00", "2027-01-12T10:30"),
    (["DTSTART;TZID=Europe/Berlin:20270112T090000", "DTEND;TZID=Europe/Berlin:20270112T103000"],
     "", "2027-01-12T09:00", "2027-01-12T10:30"),
    (["DTSTART:20270112T100000", "DTEND:20270112T110000"], "",          # floating = local
     "2027-01-12T10:00", "2027-01-12T11:00"),
    (["DTSTART;TZID=W. Europe Standard Time:20270112T090000",
      "DTEND;TZID=W. Europe Standard Time:20270112T103000"], "W. Europe Standard Time",
     "2027-01-12T09:00", "2027-01-12T10:30"),
    (["DTSTART;TZID=W. Europe Standard Time:20270712T090000",
      "DTEND;TZID=W. Europe Standard Time:20270712T103000"], "",        # no VTIMEZONE sent
     "2027-07-12T09:00", "2027-07-12T10:30"),
    (["DTSTART;TZID=Mitteleuropäische Zeit:20270712T090000",
      "DTEND;TZID=Mitteleuropäische Zeit:20270712T100000"], "Mitteleuropäische Zeit",
     "2027-07-12T09:00", "2027-07-12T10:00"),
    (['DTSTART;TZID="(UTC+01:00) Amsterdam, Berlin, Bern, Rom, Stockholm, Wien":20270112T090000',
      'DTEND;TZID="(UTC+01:00) Amsterdam, Berlin, Bern, Rom, Stockholm, Wien":20270112T100000'],
     "(UTC+01:00) Amsterdam\\, Berlin\\, Bern\\, Rom\\, Stockholm\\, Wien",
     "2027-01-12T09:00", "2027-01-12T10:00"),
    (["DTSTART;TZID=/freeassociation.sourceforge.net/Tzfile/Europe/Berlin:20270112T090000",
      "DTEND;TZID=/freeassociation.sourceforge.net/Tzfile/Europe/Berlin:20270112T100000"],
     "/freeassociation.sourceforge.net/Tzfile/Europe/Berlin",
     "2027-01-12T09:00", "2027-01-12T10:00"),
    (["DTSTART;TZID=/freeassociation.sourceforge.net/Europe/Berlin:20270712T090000",
      "DTEND;TZID=/freeassociation.sourceforge.net/Europe/Berlin:20270712T100000"], "",
     "2027-07-12T09:00", "2027-07-12T10:00"),
    (["DTSTART:20270112T090000Z", "DURATION:PT1H30M"], "",
     "2027-01-12T10:00", "2027-01-12T11:30"),
    (["DTSTART;TZID=Europe/Berlin:20270327T090000", "DURATION:P1D"], "",   # nominal day over DST
     "2027-03-27T09:00", "2027-03-28T09:00"),
    (["DTSTART;TZID=Europe/Berlin:20270328T000000", "DURATION:PT24H"], "",  # exact hours
     "2027-03-28T00:00", "2027-03-29T01:00"),
    (["DTSTART:20270112T090000Z"], "", "2027-01-12T10:00", "2027-01-12T10:00"),
])
def test_timed_entries_mean_what_the_client_meant(lines, tzid, start, end):
    found = span_of(item(*lines, tzid=tzid))
    assert found is not None
    assert (found.start, found.end, found.all_day) == (local(start), local(end), False)


@pytest.mark.parametrize("lines,start,end", [
    (["DTSTART;VALUE=DATE:20270112"], "2027-01-12", "2027-01-13"),
    (["DTSTART;VALUE=DATE:20270112", "DTEND;VALUE=DATE:20270115"], "2027-01-12", "2027-01-15"),
    (["DTSTART;VALUE=DATE:20270112", "DURATION:P2D"], "2027-01-12", "2027-01-14"),
    (["DTSTART;VALUE=DATE:20270112", "DTEND;VALUE=DATE:20270112"], "2027-01-12", "2027-01-13"),
    (["DTSTART;VALUE=DATE:20270327", "DTEND;VALUE=DATE:20270329"], "2027-03-27", "2027-03-29"),
])
def test_all_day_entries_are_whole_local_days(lines, start, end):
    found = span_of(item(*lines))
    assert found.all_day
    assert found.start == local(start + "T00:00") and found.end == local(end + "T00:00")


def test_floating_time_is_the_business_timezone():
    vienna_like = ZoneInfo("America/New_York")
    found = span_of(item("DTSTART:20270112T100000", "DTEND:20270112T110000"), tz=vienna_like)
    assert found.start == dt.datetime(2027, 1, 12, 15, tzinfo=UTC)


def test_a_time_in_the_spring_gap_takes_the_offset_before_the_gap():
    """RFC 5545 3.3.5: 02:30 on the change day is 01:30 UTC (03:30 CEST)."""
    found = span_of(item("DTSTART:20270328T023000", "DTEND:20270328T040000"))
    assert found.start == dt.datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize("lines", [
    ["DTSTART;TZID=Nirgendwo:20270112T090000", "DTEND;TZID=Nirgendwo:20270112T100000"],
    ["DTSTART:2027-01-12 09:00"],
    ["SUMMARY:ohne Beginn"],
])
def test_unreadable_times_give_no_span(lines):
    assert span_of(item(*lines)) is None


def test_a_custom_zone_is_built_once_per_definition():
    timefacts._zone_from_vtimezone.cache_clear()
    for _ in range(3):
        span_of(item("DTSTART;TZID=Büro:20270112T090000", tzid="Büro"))
    assert timefacts._zone_from_vtimezone.cache_info().misses == 1


@pytest.mark.parametrize("transp,status,kind,blocks", [
    (None, None, None, True), ("OPAQUE", "CONFIRMED", "internal", True),
    ("TRANSPARENT", None, None, False), (None, "CANCELLED", "external", False),
    (None, "cancelled", None, False), (None, None, "deadline", False),
    (None, "TENTATIVE", "individual", True),
])
def test_what_takes_time(transp, status, kind, blocks):
    assert timefacts.takes_time(transp, status, kind) is blocks
