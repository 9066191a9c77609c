"""No double booking on any path the API offers — booking, hold → booking,
move, rebook — and one bookable person per user, however many calendars
they have."""

from __future__ import annotations

import json
import urllib.parse

import pytest
from radicale import Application

from conftest import Client, event, ics, load_config

API = "/.web/kamin/api/"
NOW = "2026-12-01T10:00:00+01:00"                  # Tuesday, a week before
TUESDAY = ("2026-12-08T00:00:00+01:00", "2026-12-09T00:00:00+01:00")
CUSTOMER = ("X-KAMIN-KIND:internal", "X-KAMIN-PHONE:089 123456",
            "LOCATION:Hauptstraße 12\\, 80331 München")


def post(client, path, body):
    return client.request("POST", API + path + "?now=" + urllib.parse.quote(NOW),
                          json.dumps(body), content_type="application/json")


def book(client, start, staff="anna", **extra):
    return post(client, "bookings", {"start": start, "duration": 60, "staff": staff,
                                     "customer": "Familie Maier", **extra})


def slot_starts(client, staff="anna"):
    query = urllib.parse.urlencode({"from": TUESDAY[0], "to": TUESDAY[1], "staff": staff,
                                    "now": NOW})
    response = client.get(API + "slots?" + query)
    assert response.status == 200, response.text
    return [s["start"][11:16] for s in json.loads(response.text)["slots"]]


@pytest.fixture
def assistant(app, client):
    """anna has her calendar termine and a second one, hochgeladen (made in
    Radicale's web page), with a dentist's appointment Tuesday 09:00-10:00."""
    assert client.mkcalendar("/anna/hochgeladen/").status == 201
    assert client.put("/anna/hochgeladen/z.ics", ics(event(
        "zahnarzt", summary="Zahnarzt", start="20261208T080000Z",
        end="20261208T090000Z"))).status == 201
    return Client(app, "assistant")


def test_a_second_calendar_leaves_one_staff_member(assistant):
    staff = json.loads(assistant.get(API + "staff").text)["staff"]
    assert [(s["id"], s["calendar"]) for s in staff] == [("anna", "/anna/termine/")]
    assert staff[0]["calendars"] == ["/anna/hochgeladen/", "/anna/termine/"]


def test_busy_time_comes_from_all_calendars_of_the_person(assistant):
    free = slot_starts(assistant)
    assert "07:45" in free and "10:15" in free
    assert not {"08:00", "09:00", "09:30"} & set(free)


def test_booking_into_a_time_busy_in_another_calendar_is_409_naming_it(assistant):
    response = book(assistant, "2026-12-08T09:00:00+01:00")
    assert response.status == 409, response.text
    answer = json.loads(response.text)
    assert answer["conflict"] == {"start": "2026-12-08T09:00:00+01:00",
                                  "end": "2026-12-08T10:00:00+01:00"}
    assert "09:00–10:00" in answer["error"]


def test_two_bookings_of_one_slot_give_one_appointment(assistant):
    assert book(assistant, "2026-12-08T11:00:00+01:00").status == 201
    second = book(assistant, "2026-12-08T11:00:00+01:00", customer="Herr Berger")
    assert second.status == 409
    assert json.loads(second.text)["conflict"]["start"] == "2026-12-08T11:00:00+01:00"


def test_rebooking_a_call_into_a_taken_slot_is_409(assistant, client):
    assert client.put("/anna/termine/r.ics", ics(event(
        "r", *CUSTOMER, start="20261209T090000Z", end="20261209T100000Z"))).status == 201
    taken = post(assistant, "calls/r/outcome",
                 {"outcome": "rebooked", "start": "2026-12-08T09:00:00+01:00"})
    assert taken.status == 409, taken.text
    assert json.loads(taken.text)["conflict"]["start"] == "2026-12-08T09:00:00+01:00"
    assert "20261209T090000Z" in client.get("/anna/termine/r.ics").text      # not moved
    sunday = post(assistant, "calls/r/outcome",
                  {"outcome": "rebooked", "start": "2026-12-13T09:00:00+01:00"})
    assert sunday.status == 400 and "working hours" in json.loads(sunday.text)["error"]
    free = post(assistant, "calls/r/outcome",
                {"outcome": "rebooked", "start": "2026-12-08T13:00:00+01:00"})
    assert free.status == 200, free.text
    assert "20261208T120000Z" in client.get("/anna/termine/r.ics").text


def test_rebooking_to_its_own_time_plus_an_hour_is_free(assistant, client):
    """The entry being moved does not block itself."""
    assert client.put("/anna/termine/s.ics", ics(event(
        "s", *CUSTOMER, start="20261208T120000Z", end="20261208T130000Z"))).status == 201
    moved = post(assistant, "calls/s/outcome",
                 {"outcome": "rebooked", "start": "2026-12-08T13:30:00+01:00"})
    assert moved.status == 200, moved.text


def test_a_hold_keeps_its_slot_for_its_holder_only(assistant, app):
    held = post(assistant, "holds", {"start": "2026-12-08T14:00:00+01:00", "duration": 60,
                                     "staff": "anna"})
    assert held.status == 201
    hold = json.loads(held.text)["hold"]
    meister = Client(app, "meister")
    assert book(meister, "2026-12-08T14:00:00+01:00").status == 409
    assert book(assistant, "2026-12-08T14:00:00+01:00", hold=hold).status == 201


def test_moving_into_a_time_busy_in_another_calendar_is_409(assistant):
    booked = book(assistant, "2026-12-08T13:00:00+01:00")
    uid = json.loads(booked.text)["uid"]
    moved = post(assistant, "bookings/%s/move" % uid, {"start": "2026-12-08T09:00:00+01:00"})
    assert moved.status == 409 and json.loads(moved.text)["conflict"]


def test_the_admin_chooses_the_bookable_calendar(tmp_path):
    app = Application(load_config(tmp_path / "collections",
                                  storage={"kamin_booking_calendars": "anna: /anna/arbeit/"}))
    anna = Client(app, "anna")
    for calendar in ("/anna/termine/", "/anna/arbeit/"):
        assert anna.mkcalendar(calendar).status == 201
    assistant = Client(app, "assistant")
    staff = json.loads(assistant.get(API + "staff").text)["staff"]
    assert [(s["id"], s["calendar"]) for s in staff] == [("anna", "/anna/arbeit/")]
    booked = json.loads(book(assistant, "2026-12-08T11:00:00+01:00").text)
    assert booked["calendar"] == "/anna/arbeit/"
