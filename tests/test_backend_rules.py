"""The office backend's rules, without starting anything: which options the
office may change and how they are checked (German reasons), working-hour
plans with rotating weeks, the CSRF token and origin checks, form
conversion."""

from __future__ import annotations

import datetime as dt

import pytest

from radicale_kamin.api import csrf
from radicale_kamin.api.backend import forms
from radicale_kamin.schedule import settings as rules
from radicale_kamin.schedule.callsettings import CallSettings
from radicale_kamin.schedule.hoursplan import (PlanRejected, days_off, hours_from_plan,
                                               notes_of, plan_of)

DEFAULTS = {"calling_hours": "08:00-18:00", "admins": "meister",
            "staff_names": "anna: Anna Huber", "hold_minutes": "10"}


def test_the_office_changes_override_the_config_files_defaults():
    effective = rules.effective(DEFAULTS, {"calling_hours": "09:00-12:00"})
    assert effective.call_settings.window_start == dt.time(9)
    assert effective.values["staff_names"] == {"anna": "Anna Huber"}
    assert effective.changed == {"calling_hours"}
    assert rules.effective(DEFAULTS, {}).call_settings.window_start == dt.time(8)


def test_every_wrong_value_is_named_with_a_german_reason():
    with pytest.raises(rules.SettingsRejected) as refused:
        rules.check({"calling_hours": "18:00-08:00", "slot_step": 7, "announce_days": True,
                     "bundesland": "XX", "timezone": "UTC", "admins": []}, DEFAULTS, {})
    problems = refused.value.problems
    assert set(problems) == {"calling_hours", "slot_step", "announce_days", "bundesland",
                             "timezone", "admins"}
    assert "Beginn liegt vor dem Ende" in problems["calling_hours"]
    assert "ganze Zahl" in problems["announce_days"]
    assert "Konfigurationsdatei" in problems["timezone"]
    assert "Mindestens ein Admin" in problems["admins"]


def test_an_admin_must_be_a_user_of_the_users_file():
    with pytest.raises(rules.SettingsRejected) as refused:
        rules.check({"admins": ["meister", "nobody"]}, DEFAULTS, {},
                    known_users=frozenset({"meister", "anna"}))
    assert refused.value.problems == {"admins": "Den Benutzer nobody gibt es nicht."}


def test_a_booking_calendar_must_be_the_users_own():
    with pytest.raises(rules.SettingsRejected) as refused:
        rules.check({"booking_calendars": {"anna": "/ben/termine/"}}, DEFAULTS, {})
    assert "/anna/termine/" in refused.value.problems["booking_calendars"]
    ok = rules.check({"booking_calendars": {"anna": "/anna/arbeit/"}}, DEFAULTS, {})
    assert ok.staff_options.choices == {"anna": "anna/arbeit"}


def test_rotating_weeks_alternate_from_their_monday():
    plan = {"weekly": {"mon": [{"start": "07:00", "end": "12:00"}]},
            "rotation": {"start": "2026-11-30", "weeks": [
                {"mon": [{"start": "13:00", "end": "18:00"}]}]}}
    hours = hours_from_plan(plan)
    assert hours.local_intervals(dt.date(2026, 11, 30)) == ((dt.time(7), dt.time(12)),)
    assert hours.local_intervals(dt.date(2026, 12, 7)) == ((dt.time(13), dt.time(18)),)
    assert hours.local_intervals(dt.date(2026, 12, 14)) == ((dt.time(7), dt.time(12)),)
    assert hours.local_intervals(dt.date(2026, 11, 23)) == ((dt.time(13), dt.time(18)),)


def test_a_vacation_range_is_off_and_reads_back_as_one_range():
    plan = {"weekly": {"mon": [{"start": "07:00", "end": "16:00"}]},
            "exceptions": [{"from": "2026-12-28", "to": "2027-01-04", "hours": [],
                            "kind": "vacation", "note": "Urlaub"}]}
    hours = hours_from_plan(plan)
    assert hours.local_intervals(dt.date(2026, 12, 28)) == ()
    assert hours.local_intervals(dt.date(2027, 1, 11)) == ((dt.time(7), dt.time(16)),)
    again = plan_of(hours, notes_of(plan))["exceptions"]
    assert again == [{"from": "2026-12-28", "to": "2027-01-04", "hours": [],
                      "kind": "vacation", "note": "Urlaub"}]


@pytest.mark.parametrize("plan,reason", [
    ({"weekly": {"mon": [{"start": "12:00", "end": "08:00"}]}}, "endet nicht nach"),
    ({"weekly": {"tue": [{"start": "07:00", "end": "12:00"},
                         {"start": "11:00", "end": "16:00"}]}}, "überschneidet"),
    ({"weekly": {}, "rotation": {"start": "2026-12-01", "weeks": [{}]}}, "Montag"),
    ({"weekly": {}, "exceptions": [{"from": "2026-12-24"}, {"from": "2026-12-20",
                                                           "to": "2026-12-26"}]}, "zwei"),
    ({"weekly": {"mon": [{"start": "7 Uhr", "end": "12:00"}]}}, "keine Uhrzeit"),
])
def test_a_plan_the_rules_cannot_use_is_refused_in_german(plan, reason):
    with pytest.raises(PlanRejected, match=reason):
        hours_from_plan(plan)


def test_days_off_name_the_holidays_and_closed_days():
    off = dict(days_off(CallSettings(closed_yearly=((12, 24),)), dt.date(2026, 12, 20), 10))
    assert off == {dt.date(2026, 12, 24): "Betriebsruhe",
                   dt.date(2026, 12, 25): "Erster Weihnachtstag",
                   dt.date(2026, 12, 26): "Zweiter Weihnachtstag"}


def test_a_csrf_token_is_the_users_and_expires():
    token = csrf.make_token(b"k" * 32, "meister", now=1_000_000)
    assert csrf.token_valid(b"k" * 32, "meister", token, now=1_000_100)
    assert not csrf.token_valid(b"k" * 32, "anna", token, now=1_000_100)
    assert not csrf.token_valid(b"x" * 32, "meister", token, now=1_000_100)
    assert not csrf.token_valid(b"k" * 32, "meister", token, now=1_000_000 + 13 * 3600)
    assert not csrf.token_valid(b"k" * 32, "meister", "", now=1_000_000)


@pytest.mark.parametrize("headers,refused", [
    ({"HTTP_ORIGIN": "http://kamin.local:5232"}, False),
    ({"HTTP_ORIGIN": "http://evil.example"}, True),
    ({"HTTP_ORIGIN": "null"}, True),
    ({"HTTP_SEC_FETCH_SITE": "cross-site"}, True),
    ({"HTTP_SEC_FETCH_SITE": "same-origin"}, False),
    ({}, False),
    ({"HTTP_ORIGIN": "https://kamin.example", "HTTP_X_FORWARDED_HOST": "kamin.example",
      "HTTP_X_FORWARDED_PROTO": "https"}, False),
])
def test_a_request_from_another_origin_is_recognised(headers, refused):
    environ = {"HTTP_HOST": "kamin.local:5232", "wsgi.url_scheme": "http", **headers}
    assert (csrf.cross_site(environ) is not None) == refused


def test_the_hours_form_becomes_the_whole_plan():
    fields = {"w0_mon_1_start": ["07:00"], "w0_mon_1_end": ["12:00"],
              "w0_mon_2_start": ["12:30"], "w0_mon_2_end": ["16:00"],
              "ex_0_from": ["2026-12-24"], "ex_0_kind": ["vacation"], "ex_0_note": ["Heiligabend"],
              "ex_1_from": ["2026-12-31"], "ex_1_delete": ["on"], "ex_new0_from": [""]}
    method, path, plan = forms.hours_form(fields, "anna")
    assert (method, path) == ("PUT", "staff/anna/working-hours")
    assert plan["weekly"]["mon"] == [{"start": "07:00", "end": "12:00"},
                                     {"start": "12:30", "end": "16:00"}]
    assert plan["weekly"]["tue"] == []
    assert plan["exceptions"] == [{"from": "2026-12-24", "kind": "vacation", "hours": [],
                                   "note": "Heiligabend"}]
    assert "rotation" not in plan
