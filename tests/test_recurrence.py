"""The recurrence guard: rules that never occur or run away are refused,
ordinary ones pass."""

import pytest
import vobject

from conftest import event, ics
from radicale_kamin.schedule.recurrence import RecurrenceRejected, check_recurrence


def vevent(*lines, start="DTSTART:20261201T100000Z"):
    text = "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:x", "BEGIN:VEVENT",
                        "UID:r", "DTSTAMP:20261101T100000Z", start, *lines,
                        "END:VEVENT", "END:VCALENDAR"]) + "\r\n"
    return vobject.readOne(text).vevent


@pytest.mark.parametrize("rule", [
    "FREQ=WEEKLY;BYDAY=MO", "FREQ=DAILY;COUNT=10", "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13",
    "FREQ=YEARLY;UNTIL=20301231T000000Z", "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH",
])
def test_ordinary_rules_pass(rule):
    check_recurrence(vevent("RRULE:" + rule))


def test_all_day_rule_passes():
    check_recurrence(vevent("RRULE:FREQ=YEARLY", start="DTSTART;VALUE=DATE:20261224"))


def test_rule_with_local_time_and_naive_until_passes():
    check_recurrence(vevent("RRULE:FREQ=DAILY;UNTIL=20261231T100000",
                            start="DTSTART:20261201T100000"))


def test_event_without_rule_passes():
    check_recurrence(vevent())


@pytest.mark.parametrize("freq", ["SECONDLY", "MINUTELY", "HOURLY"])
def test_rules_more_frequent_than_daily_are_refused(freq):
    with pytest.raises(RecurrenceRejected, match="FREQ=%s is not accepted" % freq):
        check_recurrence(vevent("RRULE:FREQ=%s;COUNT=3" % freq))


def test_rule_that_never_matches_is_refused():
    with pytest.raises(RecurrenceRejected, match="no occurrence within 8 years"):
        check_recurrence(vevent("RRULE:FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30"))


def test_bounded_rule_that_never_matches_is_refused():
    with pytest.raises(RecurrenceRejected, match="no occurrence within 8 years"):
        check_recurrence(vevent("RRULE:FREQ=DAILY;UNTIL=20270101T000000Z;BYMONTH=2;BYMONTHDAY=30"))


def test_rule_whose_every_occurrence_is_excluded_is_refused():
    with pytest.raises(RecurrenceRejected, match="every occurrence is excluded"):
        check_recurrence(vevent("RRULE:FREQ=DAILY;COUNT=2",
                                "EXDATE:20261201T100000Z,20261202T100000Z"))


def test_invalid_rule_is_refused():
    with pytest.raises(RecurrenceRejected):
        check_recurrence(vevent("RRULE:FREQ=FORTNIGHTLY"))


def test_probe_finds_leap_day_offset_exactly():
    import datetime as dt
    from radicale_kamin.schedule.recurrence import first_occurrence_offset
    start = dt.datetime(2026, 12, 1, 10)
    offset = first_occurrence_offset("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", start)
    assert start + offset == dt.datetime(2028, 2, 29, 10)


def test_probe_keeps_weekday_pattern():
    import datetime as dt
    from radicale_kamin.schedule.recurrence import first_occurrence_offset
    start = dt.datetime(2026, 11, 28, 9)   # a Saturday
    offset = first_occurrence_offset("FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", start)
    assert start + offset == dt.datetime(2027, 8, 13, 9)


def test_rule_ending_before_its_first_occurrence_is_refused():
    with pytest.raises(RecurrenceRejected, match="before its UNTIL"):
        check_recurrence(vevent("RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;UNTIL=20270101"))


def test_daily_rule_with_every_hour_minute_and_second_is_refused(client):
    """86,400 occurrences a day: every later time-range REPORT would pay
    for each of them."""
    rule = ("RRULE:FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24)))
            + ";BYMINUTE=" + ",".join(map(str, range(60)))
            + ";BYSECOND=" + ",".join(map(str, range(60))))
    response = client.put("/anna/termine/dense.ics", ics(event("dense", rule)))
    assert response.status == 400
    assert client.get("/anna/termine/dense.ics").status == 404


def test_hourly_within_a_day_is_still_accepted(client):
    rule = "RRULE:FREQ=DAILY;COUNT=3;BYHOUR=" + ",".join(map(str, range(8, 18)))
    assert client.put("/anna/termine/ok.ics", ics(event("ok", rule))).status == 201


@pytest.mark.parametrize("rule, code", [
    ("FREQ=HOURLY;COUNT=5", "sub-daily"),
    ("FREQ=DAILY;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12;BYMINUTE=0,30", "too-dense"),
    ("FREQ=WEEKLY;INTERVAL=0", "invalid"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "no-occurrence"),
    ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;UNTIL=20270101", "ends-before-start"),
])
def test_the_storage_the_feeds_and_the_importer_refuse_a_rule_alike(rule, code):
    """One judgment (``rule_problem``) for every door a series comes through:
    the storage's refusal, a feed's skipped entry and the importer's German
    report name the same reason."""
    import datetime as dt
    from radicale_kamin.importing import icsfile
    from radicale_kamin.schedule.recurrence import rule_problem
    problem = rule_problem(rule, dt.datetime(2026, 12, 1, 10))
    assert problem.code == code
    with pytest.raises(RecurrenceRejected) as refused:
        check_recurrence(vevent("RRULE:" + rule))
    assert str(refused.value) == problem.message
    assert icsfile._rule_problem(rule, dt.date(2026, 12, 1)).endswith("nicht übernommen")
