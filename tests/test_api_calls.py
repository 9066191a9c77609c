"""The calling workflow through the JSON API on the real Radicale app:
entries written over CalDAV, due-calls polled, outcomes posted, colours and
log lines seen over CalDAV again."""

import json
import os
import urllib.parse

import pytest
from radicale import Application

from conftest import Client, event, ics, load_config, prop

API = "/.web/kamin/api/"
CAL = "/anna/termine/"
ADDRESS = "LOCATION:Hauptstraße 12\\, 80331 München"
MONDAY_10 = "2026-11-30T10:00:00+01:00"          # 7 days before 2026-12-07 10:00


def q(moment: str) -> str:
    return urllib.parse.quote(moment)


def appointment(uid, phone="089 123456", start="20261207T090000Z", *lines):
    return ics(event(uid, "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:" + phone,
                     "X-KAMIN-CUSTOMER:Familie Huber", "X-KAMIN-BUILDING:LG-%s" % uid,
                     ADDRESS, *lines, start=start, end=start[:9] + "100000Z"))


def poll(client, now=MONDAY_10, **params):
    query = "&".join(["now=" + q(now)] + ["%s=%s" % kv for kv in params.items()])
    response = client.get(API + "due-calls?" + query)
    assert response.status == 200, response.text
    return json.loads(response.text)


def post(client, path, body, now=None):
    suffix = "?now=" + q(now) if now else ""
    return client.request("POST", API + path + suffix,
                          body if isinstance(body, str) else json.dumps(body),
                          content_type="application/json")


@pytest.fixture
def assistant(app, client):
    return Client(app, "assistant")


def test_api_requires_authentication(app):
    response = Client(app, None).get(API + "due-calls")
    assert response.status == 401
    assert "error" in json.loads(response.text)
    assert response.headers["www-authenticate"].startswith("Basic")


def test_unknown_path_and_wrong_method_are_json_errors(client):
    assert client.get(API + "nothing").status == 404
    wrong = client.get(API + "calls/x/outcome")
    assert wrong.status == 405 and "POST" in json.loads(wrong.text)["error"]


def test_staff_lists_calendars_the_user_may_read(app, client):
    Client(app, "ben").mkcalendar("/ben/termine/")
    own = json.loads(client.get(API + "staff").text)["staff"]
    assert own == [{"id": "anna", "name": "Anna", "calendar": "/anna/termine/",
                    "calendars": ["/anna/termine/"]}]
    everyone = json.loads(Client(app, "assistant").get(API + "staff").text)["staff"]
    assert [s["calendar"] for s in everyone] == ["/anna/termine/", "/ben/termine/"]


def test_announce_call_is_due_seven_days_before(client, assistant):
    client.put(CAL + "a.ics", appointment("a"))
    assert poll(assistant, "2026-11-30T09:59:00+01:00", lease="false")["calls"] == []
    calls = poll(assistant, MONDAY_10)["calls"]
    assert len(calls) == 1
    call = calls[0]
    assert (call["uid"], call["reason"], call["action"], call["phone"]) == (
        "a", "announce", "call", "+4989123456")
    assert (call["customer"], call["building"], call["calendar"]) == (
        "Familie Huber", "LG-a", "/anna/termine/")
    assert call["start"] == "2026-12-07T10:00:00+01:00"
    assert call["etag"] == client.get(CAL + "a.ics").headers["etag"]


def test_nothing_is_due_outside_calling_windows(client, assistant):
    client.put(CAL + "a.ics", appointment("a"))
    saturday = poll(assistant, "2026-12-05T10:00:00+01:00")
    assert saturday["calls"] == [] and saturday["calling_time"] is False
    assert poll(assistant, "2026-12-01T18:30:00+01:00")["calls"] == []


def test_orange_entry_is_not_called_but_listed_as_data_missing(client, assistant):
    client.put(CAL + "o.ics", appointment("o", phone="5551234"))
    assert poll(assistant)["calls"] == []
    missing = json.loads(assistant.get(API + "data-missing?now=" + q(MONDAY_10)).text)["entries"]
    assert [(e["uid"], e["state"], e["colour"]) for e in missing] == [("o", "data-missing", "orange")]


def test_handed_out_call_is_leased_until_released(client, assistant):
    client.put(CAL + "a.ics", appointment("a"))
    assert len(poll(assistant)["calls"]) == 1
    assert poll(assistant, "2026-11-30T10:10:00+01:00")["calls"] == []
    assert len(poll(assistant, "2026-11-30T10:16:00+01:00")["calls"]) == 1   # lease over
    assert post(assistant, "calls/a/release", {}).status == 200
    assert len(poll(assistant, "2026-11-30T10:17:00+01:00")["calls"]) == 1


def test_planning_poll_takes_no_lease(client, assistant):
    client.put(CAL + "a.ics", appointment("a"))
    assert len(poll(assistant, lease="false")["calls"]) == 1
    assert len(poll(assistant)["calls"]) == 1


def test_one_call_per_phone_listing_every_due_entry(client, assistant):
    client.put(CAL + "a.ics", appointment("a", "089 123456", "20261207T090000Z"))
    client.put(CAL + "b.ics", appointment("b", "+49 89 123456", "20261207T130000Z"))
    assert [e["uid"] for e in poll(assistant, lease="false")["calls"][0]["entries"]] == ["a"]
    calls = poll(assistant, "2026-11-30T14:00:00+01:00")["calls"]
    assert len(calls) == 1
    assert [e["uid"] for e in calls[0]["entries"]] == ["a", "b"]


def test_unreached_twice_turns_dark_red_and_goes_to_follow_up(client, assistant):
    client.put(CAL + "a.ics", appointment("a"))
    poll(assistant)
    first = post(assistant, "calls/a/outcome", {"outcome": "unreached"}, "2026-11-30T10:05:00+01:00")
    assert first.status == 200, first.text
    stored = client.get(CAL + "a.ics").text
    assert (prop(stored, "COLOR"), prop(stored, "X-KAMIN-ATTEMPTS")) == ("lightcoral", "1")
    assert "30.11.2026 10:05 Anruf: nicht erreicht (1. Versuch)" in prop(stored, "DESCRIPTION")
    retry = poll(assistant, "2026-12-01T08:00:00+01:00")["calls"]
    assert [(c["uid"], c["reason"]) for c in retry] == [("a", "retry")]
    post(assistant, "calls/a/outcome", {"outcome": "unreached"}, "2026-12-01T08:05:00+01:00")
    stored = client.get(CAL + "a.ics").text
    assert (prop(stored, "COLOR"), prop(stored, "X-KAMIN-STATUS")) == ("darkred", "unreached-2")
    assert poll(assistant, "2026-12-02T09:00:00+01:00")["calls"] == []
    follow = json.loads(assistant.get(API + "follow-up?now=" + q("2026-12-02T09:00:00+01:00")).text)
    assert [(e["uid"], e["follow_up"]) for e in follow["entries"]] == [("a", "unreached")]


def test_confirmed_turns_green_with_check_mark_and_is_not_called_again(client, assistant):
    client.put(CAL + "a.ics", appointment("a"))
    response = post(assistant, "calls/a/outcome", {"outcome": "confirmed"}, MONDAY_10)
    body = json.loads(response.text)
    assert (body["entry"]["state"], body["entry"]["colour"]) == ("confirmed", "green")
    stored = client.get(CAL + "a.ics").text
    assert prop(stored, "SUMMARY").startswith("✓ ")
    assert "Anruf: bestätigt" in prop(stored, "DESCRIPTION")
    assert poll(assistant, "2026-12-01T10:00:00+01:00")["calls"] == []


def test_callback_at_a_time_turns_light_green_and_is_due_then(client, assistant):
    client.put(CAL + "a.ics", appointment("a"))
    post(assistant, "calls/a/outcome", {"outcome": "callback", "at": "2026-12-02T14:30"}, MONDAY_10)
    stored = client.get(CAL + "a.ics").text
    assert (prop(stored, "COLOR"), prop(stored, "X-KAMIN-CALLBACK")) == (
        "lightgreen", "2026-12-02T14:30:00+01:00")
    assert poll(assistant, "2026-12-02T14:00:00+01:00")["calls"] == []
    due = poll(assistant, "2026-12-02T14:30:00+01:00")["calls"]
    assert [(c["uid"], c["reason"]) for c in due] == [("a", "callback")]


def test_rebooked_moves_the_appointment_and_confirms_it(client, assistant):
    client.put(CAL + "a.ics", appointment("a"))
    response = post(assistant, "calls/a/outcome",
                    {"outcome": "rebooked", "start": "2026-12-09T08:00:00+01:00"}, MONDAY_10)
    assert response.status == 200, response.text
    stored = client.get(CAL + "a.ics").text
    assert (prop(stored, "DTSTART"), prop(stored, "DTEND")) == ("20261209T070000Z", "20261209T080000Z")
    assert prop(stored, "X-KAMIN-STATUS") == "confirmed"
    assert "umgebucht auf 09.12.2026 08:00" in prop(stored, "DESCRIPTION")


def test_stale_update_is_refused_with_409_and_nothing_changes(client, assistant):
    client.put(CAL + "a.ics", appointment("a"))
    etag = poll(assistant)["calls"][0]["etag"]
    edited = client.get(CAL + "a.ics").text.replace("SUMMARY:Kehrung", "SUMMARY:Kehrung (Hund!)")
    client.put(CAL + "a.ics", edited)
    before = client.get(CAL + "a.ics").body
    response = post(assistant, "calls/a/outcome", {"outcome": "confirmed", "etag": etag}, MONDAY_10)
    assert response.status == 409
    assert json.loads(response.text)["etag"] == client.get(CAL + "a.ics").headers["etag"]
    assert client.get(CAL + "a.ics").body == before


@pytest.mark.parametrize("body,expected", [
    ({"outcome": "maybe"}, "outcome: one of"),
    ({}, "outcome: one of"),
    ({"outcome": "rebooked"}, "start"),
    ({"outcome": "callback", "at": "soon"}, "at: not an ISO 8601"),
    ({"outcome": "callback", "at": "2026-11-01T10:00"}, "past"),
    ("not json", "not valid JSON"),
    ("[1, 2]", "JSON object"),
])
def test_bad_outcome_requests_are_400_and_change_nothing(client, assistant, body, expected):
    client.put(CAL + "a.ics", appointment("a"))
    before = client.get(CAL + "a.ics").body
    response = post(assistant, "calls/a/outcome", body, MONDAY_10)
    assert response.status == 400, response.text
    assert expected in json.loads(response.text)["error"]
    assert client.get(CAL + "a.ics").body == before


def test_unknown_uid_is_404(assistant, client):
    response = post(assistant, "calls/nope/outcome", {"outcome": "confirmed"})
    assert response.status == 404 and "nope" in json.loads(response.text)["error"]


def test_bad_now_is_400(assistant):
    response = assistant.get(API + "due-calls?now=gestern")
    assert response.status == 400 and "now" in json.loads(response.text)["error"]


def test_staff_see_only_their_own_calendars(app, client):
    ben = Client(app, "ben")
    ben.mkcalendar("/ben/termine/")
    client.put(CAL + "a.ics", appointment("a"))
    assert poll(ben)["calls"] == []
    assert post(ben, "calls/a/outcome", {"outcome": "confirmed"}).status == 404
    assert prop(client.get(CAL + "a.ics").text, "X-KAMIN-STATUS") == "planned"
    assert len(poll(client, lease="false")["calls"]) == 1


def test_deadline_reminder_to_a_mobile_is_an_sms(client, assistant):
    deadline = ics("\n".join([
        "UID:d", "DTSTAMP:20261101T100000Z", "DTSTART;VALUE=DATE:20261228",
        "SUMMARY:Frist Kehrung", "X-KAMIN-KIND:deadline", "X-KAMIN-PHONE:0171 1234567",
        "X-KAMIN-BUILDING:LG-d", ADDRESS]))
    client.put(CAL + "d.ics", deadline)
    calls = poll(assistant)["calls"]
    assert [(c["uid"], c["reason"], c["action"]) for c in calls] == [("d", "deadline", "sms")]
    assert post(assistant, "calls/d/outcome", {"outcome": "sms-sent"}, MONDAY_10).status == 200
    stored = client.get(CAL + "d.ics").text
    assert "SMS" in prop(stored, "DESCRIPTION") and prop(stored, "X-KAMIN-NOTIFIED")
    assert poll(assistant, "2026-12-01T10:00:00+01:00")["calls"] == []


def deadline_entry(uid="d", building="LG-d", due="20261228"):
    return ics("\n".join([
        "UID:" + uid, "DTSTAMP:20261101T100000Z", "DTSTART;VALUE=DATE:" + due,
        "SUMMARY:Frist Kehrung", "X-KAMIN-KIND:deadline", "X-KAMIN-PHONE:089 7654321",
        "X-KAMIN-BUILDING:" + building, ADDRESS]))


def booking(uid, building, start, kind="external"):
    return ics(event(uid, "X-KAMIN-KIND:" + kind, "X-KAMIN-PHONE:089 7654321",
                     "X-KAMIN-BUILDING:" + building, ADDRESS, start=start,
                     end=start[:9] + "120000Z"))


def due_uids(client, now=MONDAY_10):
    return [c["uid"] for c in poll(client, now, lease="false")["calls"]]


def test_a_booking_in_another_calendar_settles_the_deadline_until_it_goes(app, client, assistant):
    """Settlement is decided in the index on every write path: a booking of
    the building in the window (in any calendar), its move out of the window,
    its removal and a booking refused by the customer."""
    ben = Client(app, "ben")
    ben.mkcalendar("/ben/termine/")
    client.put(CAL + "d.ics", deadline_entry())
    assert due_uids(assistant) == ["d"]
    assert ben.put("/ben/termine/b.ics", booking("b", "LG-d", "20261210T100000Z")).status == 201
    assert due_uids(assistant) == []
    assert due_uids(client) == []       # anna cannot read ben's calendar; still settled
    # Moved past the due date: the deadline is due again.
    ben.put("/ben/termine/b.ics", booking("b", "LG-d", "20270110T100000Z"))
    assert due_uids(assistant) == ["d"]
    ben.put("/ben/termine/b.ics", booking("b", "LG-d", "20261222T100000Z"))
    assert due_uids(assistant) == []
    # The customer refuses the booked appointment: no longer settled.
    refused = booking("b", "LG-d", "20261222T100000Z", kind="internal").replace(
        "END:VEVENT", "X-KAMIN-OUTCOME:rejected\r\nEND:VEVENT")
    assert ben.put("/ben/termine/b.ics", refused).status in (201, 204)
    assert due_uids(assistant) == ["d"]
    ben.put("/ben/termine/b.ics", booking("b", "LG-d", "20261222T100000Z"))
    assert ben.request("DELETE", "/ben/termine/b.ics").status == 200
    assert due_uids(assistant) == ["d"]
    # A booking of another building settles nothing.
    ben.put("/ben/termine/c.ics", booking("c", "LG-other", "20261210T100000Z"))
    assert due_uids(assistant) == ["d"]


def test_a_booking_copied_in_from_outside_settles_the_deadline(app, client, assistant,
                                                                 storage_folder):
    client.put(CAL + "d.ics", deadline_entry())
    assert due_uids(assistant) == ["d"]
    folder = storage_folder / "collection-root" / "anna" / "termine"
    (folder / "b.ics").write_text(booking("b", "LG-d", "20261210T100000Z"), encoding="utf-8")
    assert due_uids(assistant) == []
    os.remove(folder / "b.ics")
    assert due_uids(assistant) == ["d"]
    # A deleted index is rebuilt with the settlement decided.
    (folder / "b.ics").write_text(booking("b", "LG-d", "20261210T100000Z"), encoding="utf-8")
    os.remove(storage_folder / "kamin-index.sqlite")
    assert due_uids(assistant) == []


def test_etag_of_an_entry_copied_in_from_outside_is_accepted_by_the_outcome(
        client, assistant, storage_folder):
    """The ETag due-calls hands out for a file Radicale did not write is the
    one Radicale checks, so the outcome is not refused as stale."""
    folder = storage_folder / "collection-root" / "anna" / "termine"
    (folder / "a.ics").write_text(appointment("a"), encoding="utf-8")
    call, = poll(assistant)["calls"]
    assert call["etag"] == client.get(CAL + "a.ics").headers["etag"]
    response = post(assistant, "calls/a/outcome", {"outcome": "confirmed", "etag": call["etag"]},
                    MONDAY_10)
    assert response.status == 200, response.text


def test_etag_cached_by_stock_radicale_before_the_plugin_is_kept(tmp_path):
    """An upgrade: stock Radicale served a file another program wrote (its
    cache holds the hash of vobject's re-serialisation). The plugin's index
    hands out that same ETag, so an outcome with it is accepted."""
    folder = tmp_path / "collections"
    stock = Client(Application(load_config(folder, storage={"type": "multifilesystem"})), "anna")
    stock.mkcalendar(CAL)
    (folder / "collection-root" / "anna" / "termine" / "a.ics").write_text(
        appointment("a"), encoding="utf-8")
    stock_etag = stock.get(CAL + "a.ics").headers["etag"]
    app = Application(load_config(folder))
    anna, assistant = Client(app, "anna"), Client(app, "assistant")
    assert anna.get(CAL + "a.ics").headers["etag"] == stock_etag
    call, = poll(assistant)["calls"]
    assert call["etag"] == stock_etag
    response = post(assistant, "calls/a/outcome", {"outcome": "confirmed", "etag": call["etag"]},
                    MONDAY_10)
    assert response.status == 200, response.text


def test_settlement_left_pending_by_an_interrupted_run_is_decided_by_the_next_query(
        app, client, assistant):
    client.put(CAL + "d.ics", deadline_entry())
    client.put(CAL + "b.ics", booking("b", "LG-d", "20261210T100000Z"))
    index = app._storage.index
    # As if a run had stopped after writing the rows, before deciding.
    index.db.execute("UPDATE items SET settled = 0")
    index.db.execute("INSERT INTO unsettled VALUES ('LG-d')")
    assert due_uids(assistant) == []
    assert index.db.execute("SELECT count(*) FROM unsettled").fetchone()[0] == 0


def test_edited_file_and_deleted_index_still_answer_correctly(storage_folder):
    app = Application(load_config(storage_folder, storage={"kamin_index_verify_seconds": "0"}))
    anna, assistant = Client(app, "anna"), Client(app, "assistant")
    anna.mkcalendar(CAL)
    anna.put(CAL + "a.ics", appointment("a"))
    assert len(poll(assistant, lease="false")["calls"]) == 1
    path = storage_folder / "collection-root" / "anna" / "termine" / "a.ics"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "X-KAMIN-KIND:internal", "X-KAMIN-KIND:internal\r\nX-KAMIN-OUTCOME:rejected"),
        encoding="utf-8")
    assert poll(assistant, lease="false")["calls"] == []
    os.remove(storage_folder / "kamin-index.sqlite")
    assert poll(assistant, lease="false")["calls"] == []
    follow = json.loads(assistant.get(API + "follow-up?now=" + q(MONDAY_10)).text)["entries"]
    assert [(e["uid"], e["follow_up"]) for e in follow] == [("a", "rejected")]


def test_limit_hands_out_and_leases_only_the_most_urgent(client, assistant):
    client.put(CAL + "a.ics", appointment("a", "089 123456", "20261207T090000Z"))
    client.put(CAL + "b.ics", appointment("b", "089 654321", "20261207T080000Z"))
    first = poll(assistant, limit="1")["calls"]
    assert [c["uid"] for c in first] == ["b"]
    assert [c["uid"] for c in poll(assistant, limit="5")["calls"]] == ["a"]
    assert assistant.get(API + "due-calls?limit=0").status == 400


# --- deadline monitoring to the end ----------------------------------------------------------

def follow_up(client, now):
    response = client.get(API + "follow-up?now=" + q(now))
    assert response.status == 200, response.text
    return [(e["uid"], e["follow_up"]) for e in json.loads(response.text)["entries"]]


def test_window_ended_without_booking_needs_the_formblatt_until_it_is_received(client, assistant):
    client.put(CAL + "d.ics", deadline_entry(due="20261201"))
    assert follow_up(assistant, "2026-12-15T18:00:00+01:00") == []
    assert follow_up(assistant, "2026-12-16T08:00:00+01:00") == [("d", "formblatt-missing")]
    response = post(assistant, "calls/d/outcome", {"outcome": "formblatt-received",
                                                  "note": "per Post"}, "2026-12-17T09:30:00+01:00")
    assert response.status == 200, response.text
    assert json.loads(response.text)["log"] == "17.12.2026 09:30 Formblatt erhalten – per Post"
    stored = client.get(CAL + "d.ics").text
    assert prop(stored, "X-KAMIN-FORMBLATT") == "2026-12-17"
    assert prop(stored, "CATEGORIES") == "Kamin: Frist,Kamin: Formblatt erhalten"
    assert "Formblatt erhalten – per Post" in prop(stored, "DESCRIPTION")
    assert follow_up(assistant, "2026-12-17T10:00:00+01:00") == []


def test_booking_in_the_window_settles_the_formblatt(client, assistant):
    client.put(CAL + "d.ics", deadline_entry(due="20261201"))
    client.put(CAL + "b.ics", booking("b", "LG-d", "20261125T090000Z"))
    assert follow_up(assistant, "2027-01-10T09:00:00+01:00") == []


def test_formblatt_days_are_configurable(storage_folder):
    app = Application(load_config(storage_folder, storage={"kamin_formblatt_days": "7"}))
    anna = Client(app, "anna")
    anna.mkcalendar(CAL)
    anna.put(CAL + "d.ics", deadline_entry(due="20261201"))
    assert follow_up(anna, "2026-12-09T08:00:00+01:00") == [("d", "formblatt-missing")]


def test_formblatt_received_for_an_appointment_is_400(client, assistant):
    client.put(CAL + "a.ics", appointment("a"))
    before = client.get(CAL + "a.ics").body
    response = post(assistant, "calls/a/outcome", {"outcome": "formblatt-received"}, MONDAY_10)
    assert response.status == 400 and "deadline entries" in json.loads(response.text)["error"]
    assert client.get(CAL + "a.ics").body == before


def test_unconfirmed_sms_announcement_is_followed_by_a_call(client, assistant):
    # Thursday 10 December, 10:00: 48 hours before is Tuesday 8 December, 10:00.
    client.put(CAL + "a.ics", appointment("a", start="20261210T090000Z"))
    now = "2026-12-03T10:00:00+01:00"
    response = post(assistant, "calls/a/outcome", {"outcome": "sms-sent"}, now)
    assert json.loads(response.text)["log"] == (
        "03.12.2026 10:00 SMS gesendet (Terminankündigung) – ohne Bestätigung folgt ab "
        "08.12.2026 10:00 ein Anruf")
    stored = client.get(CAL + "a.ics").text
    assert prop(stored, "X-KAMIN-NOTIFIED") == "2026-12-03T10:00:00+01:00"
    assert poll(assistant, "2026-12-08T09:55:00+01:00", lease="false")["calls"] == []
    due = poll(assistant, "2026-12-08T10:00:00+01:00")["calls"]
    assert [(c["uid"], c["reason"], c["action"]) for c in due] == [("a", "retry", "call")]
    post(assistant, "calls/a/outcome", {"outcome": "confirmed"}, "2026-12-08T10:05:00+01:00")
    assert poll(assistant, "2026-12-08T11:00:00+01:00", lease="false")["calls"] == []


def schau(uid, start="20261214T090000Z"):
    return appointment(uid, "089 123456", start, "X-KAMIN-WORK:feuerstaettenschau")


def test_feuerstaettenschau_is_announced_in_time_or_goes_to_follow_up(client, assistant):
    client.put(CAL + "s.ics", schau("s"))                # Monday 14 December, 10:00
    assert [c["uid"] for c in poll(assistant, "2026-11-30T08:00:00+01:00", lease="false")["calls"]] \
        == ["s"]
    assert poll(assistant, "2026-12-08T08:00:00+01:00", lease="false")["calls"] == []
    assert follow_up(assistant, "2026-12-08T08:00:00+01:00") == [("s", "notice-missed")]
    # Moved to a later day, it is announced again.
    stored = client.get(CAL + "s.ics").text.replace("20261214T", "20261221T")
    client.put(CAL + "s.ics", stored)
    assert follow_up(assistant, "2026-12-08T08:00:00+01:00") == []
    assert [c["uid"] for c in poll(assistant, "2026-12-08T08:00:00+01:00", lease="false")["calls"]] \
        == ["s"]
