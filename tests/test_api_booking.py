"""Availability and booking through the JSON API on the real Radicale app:
slots follow the calendars, bookings are atomic, holds hold, history stays."""

import json
import threading
import urllib.parse

import pytest

from conftest import Client, event, ics, prop

API = "/.web/kamin/api/"
CAL = "/anna/termine/"
NOW = "2026-12-01T10:00:00+01:00"        # a Tuesday
TUESDAY = ("2026-12-08T00:00:00+01:00", "2026-12-09T00:00:00+01:00")


def q(**params) -> str:
    return urllib.parse.urlencode(params)


def slots(client, frm=TUESDAY[0], to=TUESDAY[1], now=NOW, **params):
    response = client.get(API + "slots?" + q(**{"from": frm, "to": to, "now": now, **params}))
    assert response.status == 200, response.text
    return json.loads(response.text)


def starts(answer) -> list[str]:
    return [s["start"][11:16] for s in answer["slots"]]


def book(client, now=NOW, **body):
    body = {"staff": "anna", "duration": 60, "kind": "external", "customer": "Familie Maier",
            "phone": "0171 2345678", "building": "LG-7",
            "location": "Lindenweg 3, 80331 München", **body}
    return client.request("POST", API + "bookings?" + q(now=now), json.dumps(body),
                          content_type="application/json")


@pytest.fixture
def assistant(app, client):
    return Client(app, "assistant")


def test_empty_day_offers_working_hours_on_the_grid(assistant):
    free = starts(slots(assistant))
    assert free[0] == "07:00" and free[-1] == "15:00" and "15:15" not in free
    assert free[:3] == ["07:00", "07:15", "07:30"]


def test_entry_added_over_caldav_removes_its_slots_with_buffer(client, assistant):
    client.put(CAL + "p.ics", ics(event("p", start="20261208T090000Z", end="20261208T100000Z")))
    free = starts(slots(assistant))
    assert "08:45" in free and "09:00" not in free and "10:45" not in free
    assert "11:15" in free                        # 11:00 end + 15 min buffer


def test_weekend_and_holiday_have_no_slots(assistant):
    assert slots(assistant, "2026-12-12T00:00", "2026-12-14T00:00")["slots"] == []
    assert slots(assistant, "2026-12-25T00:00", "2026-12-27T00:00")["slots"] == []


def test_morning_and_staff_filters(app, client, assistant):
    Client(app, "ben").mkcalendar("/ben/termine/")
    morning = slots(assistant, part="vormittags")
    assert {s["staff"] for s in morning["slots"]} == {"anna", "ben"}
    assert all(s["start"][11:16] < "12:00" for s in morning["slots"])
    only_ben = slots(assistant, staff="ben")
    assert {s["staff"] for s in only_ben["slots"]} == {"ben"}


def test_building_slots_stay_in_the_bescheid_window_and_prefer_the_same_street(client, assistant):
    client.put(CAL + "d.ics", ics("\n".join([
        "UID:d", "DTSTAMP:20261101T100000Z", "DTSTART;VALUE=DATE:20261210", "SUMMARY:Frist",
        "X-KAMIN-KIND:deadline", "X-KAMIN-BUILDING:LG-7", "X-KAMIN-WINDOW-START:2026-12-09",
        "LOCATION:Lindenweg 3\\, 80331 München"])))
    client.put(CAL + "n.ics", ics(event("n", "X-KAMIN-KIND:external", "LOCATION:Lindenweg 9\\, 80331 München",
                                        start="20261210T070000Z", end="20261210T080000Z")))
    answer = slots(assistant, "2026-12-07T00:00", "2026-12-14T00:00", building="LG-7")
    days = {s["start"][:10] for s in answer["slots"]}
    assert days == {"2026-12-09", "2026-12-10"}
    assert answer["window"] == {"from": "2026-12-09", "to": "2026-12-10"}
    assert answer["slots"][0]["start"][:10] == "2026-12-10" and answer["slots"][0]["score"] == 2


def test_booking_creates_a_derived_entry_and_takes_the_slot(client, assistant):
    response = book(assistant, start="2026-12-08T12:00")
    assert response.status == 201, response.text
    answer = json.loads(response.text)
    stored = client.get(CAL + answer["href"])
    assert stored.headers["etag"] == answer["etag"]
    assert (prop(stored.text, "X-KAMIN-STATUS"), prop(stored.text, "COLOR")) == ("booked", "yellow")
    assert prop(stored.text, "X-KAMIN-PHONE") == "+491712345678"
    assert "gebucht" in prop(stored.text, "DESCRIPTION")
    assert "12:00" not in starts(slots(assistant))
    assert book(assistant, start="2026-12-08T12:00").status == 409


def test_internal_booking_is_a_proposal(client, assistant):
    answer = json.loads(book(assistant, start="2026-12-08T12:00", kind="internal").text)
    assert answer["entry"]["state"] == "planned"


@pytest.mark.parametrize("body,status,expected", [
    ({"start": "2026-12-08T17:00"}, 400, "outside the working hours"),
    ({"start": "2026-12-01T12:00"}, 400, "minimum notice"),
    ({"start": "2026-11-01T12:00"}, 400, "past"),
    ({"start": "morgen"}, 400, "start"),
    ({"start": "2026-12-08T12:10"}, 400, "grid"),
    ({"start": "2026-12-08T12:00", "duration": 0}, 400, "duration"),
    ({"start": "2026-12-08T12:00", "kind": "deadline"}, 400, "kind"),
    ({"start": "2026-12-08T12:00", "staff": "zoe"}, 403, "zoe"),
    ({"start": "2026-12-08T12:00", "customer": 42}, 400, "customer"),
])
def test_bad_bookings_name_the_problem_and_store_nothing(client, assistant, body, status, expected):
    before = client.get(CAL).body
    response = book(assistant, **body)
    assert response.status == status, response.text
    assert expected in json.loads(response.text)["error"]
    assert client.get(CAL).body == before


def test_booking_into_a_slot_a_client_just_filled_is_409(client, assistant):
    assert "12:00" in starts(slots(assistant))
    client.put(CAL + "c.ics", ics(event("c", start="20261208T113000Z", end="20261208T120000Z")))
    assert book(assistant, start="2026-12-08T12:00").status == 409


def test_daily_maximum_closes_the_day(client, app, assistant):
    for hour in range(6):
        start = "20261208T%02d0000Z" % (6 + hour)
        client.put(CAL + "m%d.ics" % hour, ics(event(
            "m%d" % hour, "X-KAMIN-KIND:external", start=start, end=start[:11] + "1500Z")))
    assert slots(assistant)["slots"] == []


def test_twenty_parallel_bookings_of_one_slot_give_one_entry(client, app):
    clients = [Client(app, "assistant") for _ in range(20)]
    results = []

    def attempt(number):
        results.append(book(clients[number], start="2026-12-08T12:00",
                            customer="Kunde %d" % number).status)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [201] + [409] * 19
    listing = client.request("PROPFIND", CAL, depth="1")
    assert listing.text.count(".ics</href>") == 1


def hold(client, now=NOW, **body):
    body = {"start": "2026-12-08T12:00", "duration": 60, "staff": "anna", **body}
    return client.request("POST", API + "holds?" + q(now=now), json.dumps(body),
                          content_type="application/json")


def test_hold_blocks_others_until_booked_by_its_holder(client, assistant):
    response = hold(assistant)
    assert response.status == 201, response.text
    held = json.loads(response.text)
    assert held["expires"] == "2026-12-01T10:10:00+01:00"
    assert "12:00" not in starts(slots(assistant, now="2026-12-01T10:05:00+01:00"))
    assert book(assistant, now="2026-12-01T10:05:00+01:00", start="2026-12-08T12:00").status == 409
    assert hold(assistant, now="2026-12-01T10:05:00+01:00").status == 409
    booked = book(assistant, now="2026-12-01T10:05:00+01:00", start="2026-12-08T12:00",
                  hold=held["hold"])
    assert booked.status == 201, booked.text


def test_hold_expires_after_ten_minutes(assistant):
    assert hold(assistant).status == 201
    assert "12:00" in starts(slots(assistant, now="2026-12-01T10:11:00+01:00"))
    assert book(assistant, now="2026-12-01T10:11:00+01:00", start="2026-12-08T12:00").status == 201


def test_released_hold_frees_the_slot(assistant):
    hold_id = json.loads(hold(assistant).text)["hold"]
    released = assistant.request("POST", API + "holds/%s/release?%s" % (hold_id, q(now=NOW)),
                                 "{}", content_type="application/json")
    assert json.loads(released.text) == {"released": True}
    assert "12:00" in starts(slots(assistant))


def test_expired_hold_cannot_be_booked_with(assistant):
    hold_id = json.loads(hold(assistant).text)["hold"]
    late = book(assistant, now="2026-12-01T10:30:00+01:00", start="2026-12-08T12:00", hold=hold_id)
    assert late.status == 409 and "expired" in json.loads(late.text)["error"]


def test_move_and_cancel_keep_the_history(client, assistant):
    uid = json.loads(book(assistant, start="2026-12-08T12:00").text)["uid"]
    moved = assistant.request("POST", API + "bookings/%s/move?%s" % (uid, q(now=NOW)),
                              json.dumps({"start": "2026-12-09T08:00"}),
                              content_type="application/json")
    assert moved.status == 200, moved.text
    text = client.get(CAL + uid + ".ics").text
    assert prop(text, "DTSTART") == "20261209T070000Z"
    assert "12:00" in starts(slots(assistant))
    cancelled = assistant.request("POST", API + "bookings/%s/cancel?%s" % (uid, q(now=NOW)),
                                  json.dumps({"reason": "Kunde verreist"}),
                                  content_type="application/json")
    assert cancelled.status == 200
    text = client.get(CAL + uid + ".ics").text
    assert prop(text, "STATUS") == "CANCELLED"
    description = prop(text, "DESCRIPTION")
    assert "gebucht" in description and "verschoben" in description and "Kunde verreist" in description
    assert "08:00" in starts(slots(assistant, "2026-12-09T00:00", "2026-12-10T00:00"))


def test_building_lookup(client, assistant):
    book(assistant, start="2026-12-08T12:00")
    answer = json.loads(assistant.get(API + "buildings/LG-7").text)
    assert answer["contact"]["phone"] == "+491712345678"
    assert answer["contact"]["location"] == "Lindenweg 3, 80331 München"
    assert [e["state"] for e in answer["entries"]] == ["booked"]
    assert assistant.get(API + "buildings/LG-unbekannt").status == 404


def test_bundled_working_hours_file_is_used(storage_folder):
    from radicale import Application
    from conftest import ROOT, load_config
    app = Application(load_config(storage_folder, storage={
        "kamin_working_hours": str(ROOT / "config" / "working-hours.ini")}))
    anna = Client(app, "anna")
    anna.mkcalendar(CAL)
    tuesday = starts(slots(anna))
    assert "11:00" in tuesday and "11:15" not in tuesday and "12:30" in tuesday   # lunch break
    friday = starts(slots(anna, "2026-12-11T00:00", "2026-12-12T00:00"))
    assert friday[-1] == "11:00"
    assert slots(anna, "2026-12-28T00:00", "2026-12-31T00:00")["slots"] == []     # Urlaub


# --- a Feuerstättenschau needs five working days' notice ------------------------------------
# Announced on Tuesday 1 December, the notice counts Tue, Wed, Thu, Fri and
# Monday 7 December: the first possible day is Tuesday 8 December.

MONDAY = ("2026-12-07T00:00:00+01:00", "2026-12-08T00:00:00+01:00")


def test_slots_for_a_feuerstaettenschau_start_after_the_notice(assistant):
    assert slots(assistant, *MONDAY, work="feuerstaettenschau")["slots"] == []
    assert starts(slots(assistant, *MONDAY, work="kehrung"))[0] == "07:00"
    assert starts(slots(assistant, *MONDAY))[0] == "07:00"
    assert starts(slots(assistant, work="Feuerstättenschau"))[0] == "07:00"      # Tuesday


def test_booking_a_feuerstaettenschau_too_soon_is_refused_naming_the_rule(client, assistant):
    before = client.get(CAL).body
    response = book(assistant, start="2026-12-07T09:00", work="feuerstaettenschau", kind="internal")
    assert response.status == 400
    assert json.loads(response.text)["error"] == (
        "a Feuerstättenschau needs 5 working days' notice (kamin_feuerstaettenschau_notice_days);"
        " the earliest start is 08.12.2026")
    assert client.get(CAL).body == before
    assert book(assistant, start="2026-12-07T09:00", work="kehrung").status == 201


def test_booked_work_is_stored_and_shown_as_a_category(client, assistant):
    response = book(assistant, start="2026-12-08T09:00", work="feuerstaettenschau", kind="internal")
    assert response.status == 201, response.text
    text = client.get(CAL + json.loads(response.text)["href"]).text
    assert prop(text, "X-KAMIN-WORK") == "feuerstaettenschau"
    assert prop(text, "CATEGORIES") == "Kamin: geplant,Kamin: Feuerstättenschau"


@pytest.mark.parametrize("work", ["Kaminofen", 5, ["kehrung"]])
def test_unknown_work_is_400(client, assistant, work):
    response = book(assistant, start="2026-12-08T09:00", work=work)
    assert response.status == 400 and "work: one of feuerstaettenschau" in response.text
    bad = assistant.get(API + "slots?" + q(**{"from": TUESDAY[0], "to": TUESDAY[1], "work": "x"}))
    assert bad.status == 400 and "work" in json.loads(bad.text)["error"]


def test_moving_a_feuerstaettenschau_closer_than_its_notice_is_refused(client, assistant):
    uid = json.loads(book(assistant, start="2026-12-09T09:00", work="feuerstaettenschau",
                          kind="internal").text)["uid"]
    moved = assistant.request("POST", API + "bookings/%s/move?%s" % (uid, q(now=NOW)),
                              json.dumps({"start": "2026-12-07T09:00"}),
                              content_type="application/json")
    assert moved.status == 400 and "working days' notice" in json.loads(moved.text)["error"]
