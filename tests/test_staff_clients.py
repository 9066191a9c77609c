"""What staff do from ordinary calendar apps (Thunderbird, iOS, DAVx5), over
CalDAV on the real Radicale app: a phone number in the notes, the work and a
received Formblatt picked as categories, the state marks in titles."""

import json
import urllib.parse

import pytest
from radicale import Application

from conftest import Client, event, ics, load_config, prop

API = "/.web/kamin/api/"
CAL = "/anna/termine/"
ADDRESS = "LOCATION:Hauptstraße 12\\, 80331 München"
NOTES = "DESCRIPTION:Hund im Hof!\\nTel.: 0871 123456\\, abends"
MONDAY_10 = "2026-11-30T10:00:00+01:00"          # 7 days before 2026-12-07 10:00


def internal(uid, *lines, **when):
    return ics(event(uid, "X-KAMIN-KIND:internal", ADDRESS, *lines, **when))


def raw_line(text, name):
    """The unfolded content line ``name`` as stored (parameters included)."""
    unfolded = text.replace("\r\n ", "")
    return next(line for line in unfolded.split("\r\n") if line.split(":")[0].split(";")[0] == name)


def due(client, now=MONDAY_10):
    response = client.get(API + "due-calls?lease=false&now=" + urllib.parse.quote(now))
    assert response.status == 200, response.text
    return json.loads(response.text)["calls"]


def office_list(client, name, now=MONDAY_10):
    response = client.get(API + name + "?now=" + urllib.parse.quote(now))
    assert response.status == 200, response.text
    return json.loads(response.text)["entries"]


@pytest.fixture
def assistant(app, client):
    return Client(app, "assistant")


# --- the phone number in the notes ------------------------------------------------------

def test_phone_in_the_notes_makes_the_appointment_ready_to_call(client, assistant):
    assert client.put(CAL + "a.ics", internal("a", NOTES)).status == 201
    stored = client.get(CAL + "a.ics").text
    assert (prop(stored, "X-KAMIN-STATUS"), prop(stored, "COLOR")) == ("planned", "lightgray")
    assert raw_line(stored, "X-KAMIN-PHONE") == \
        "X-KAMIN-PHONE;X-KAMIN-FROM=DESCRIPTION:+49871123456"
    assert raw_line(stored, "DESCRIPTION") == NOTES          # the notes as typed
    call, = due(assistant)
    assert (call["uid"], call["phone"], call["reason"]) == ("a", "+49871123456", "announce")
    assert office_list(assistant, "data-missing") == []


def test_changed_number_in_the_notes_takes_effect(client, assistant):
    client.put(CAL + "a.ics", internal("a", NOTES))
    stored = client.get(CAL + "a.ics")
    edited = stored.text.replace("0871 123456", "0171 9876543")
    assert client.put(CAL + "a.ics", edited, if_match=stored.headers["etag"]).status == 204
    assert prop(client.get(CAL + "a.ics").text, "X-KAMIN-PHONE") == "+491719876543"
    assert [c["phone"] for c in due(assistant)] == ["+491719876543"]


def test_client_that_drops_unknown_properties_keeps_the_number_of_its_notes(client):
    client.put(CAL + "a.ics", internal("a", NOTES))
    # iOS-like: the entry comes back without any X-KAMIN property, notes edited.
    bare = ics(event("a", ADDRESS, "DESCRIPTION:Mobil 0171 9876543"))
    assert client.put(CAL + "a.ics", bare).status == 204
    stored = client.get(CAL + "a.ics").text
    assert (prop(stored, "X-KAMIN-KIND"), prop(stored, "X-KAMIN-PHONE")) == (
        "internal", "+491719876543")


def test_number_removed_from_the_notes_turns_the_entry_orange(client, assistant):
    client.put(CAL + "a.ics", internal("a", NOTES))
    text = client.get(CAL + "a.ics").text.replace("Tel.: 0871 123456\\, abends", "Tel. folgt")
    client.put(CAL + "a.ics", text)
    stored = client.get(CAL + "a.ics").text
    assert (prop(stored, "X-KAMIN-STATUS"), prop(stored, "X-KAMIN-PHONE")) == ("data-missing", None)
    missing = office_list(assistant, "data-missing")
    assert [(e["uid"], e["missing"]) for e in missing] == [("a", ["phone"])]


def test_assistants_phone_wins_over_the_notes_and_stays(client, assistant):
    client.put(CAL + "a.ics", internal("a", NOTES, "X-KAMIN-PHONE:089 123456"))
    stored = client.get(CAL + "a.ics").text
    assert raw_line(stored, "X-KAMIN-PHONE") == "X-KAMIN-PHONE:+4989123456"
    client.put(CAL + "a.ics", stored.replace("0871 123456", "0171 9876543"))
    assert prop(client.get(CAL + "a.ics").text, "X-KAMIN-PHONE") == "+4989123456"


def test_phone_written_over_the_notes_number_becomes_the_entrys_own(client):
    client.put(CAL + "a.ics", internal("a", NOTES))
    stored = client.get(CAL + "a.ics").text
    client.put(CAL + "a.ics", stored.replace(":+49871123456", ":089 123456"))
    after = client.get(CAL + "a.ics").text
    assert raw_line(after, "X-KAMIN-PHONE") == "X-KAMIN-PHONE:+4989123456"


def test_phone_behind_the_address_is_kept_there_and_used(client, assistant):
    location = "LOCATION:Hauptstr. 12\\, 80331 München\\, Handy 0171/1234567"
    client.put(CAL + "a.ics", ics(event("a", "X-KAMIN-KIND:internal", location)))
    stored = client.get(CAL + "a.ics").text
    assert prop(stored, "LOCATION") == "Hauptstraße 12\\, 80331 München\\, Handy 0171/1234567"
    assert raw_line(stored, "X-KAMIN-PHONE") == "X-KAMIN-PHONE;X-KAMIN-FROM=LOCATION:+491711234567"
    assert client.put(CAL + "a.ics", stored).status == 204
    assert client.get(CAL + "a.ics").text == stored          # stable on every write
    assert [c["phone"] for c in due(assistant)] == ["+491711234567"]


def test_dates_and_order_numbers_in_the_notes_are_no_phone(client, assistant):
    notes = "DESCRIPTION:Auftrag 0871123456 vom 12.03.2026\\, Termin 10:00\\, Hausnr. 12"
    client.put(CAL + "a.ics", internal("a", notes))
    assert prop(client.get(CAL + "a.ics").text, "X-KAMIN-STATUS") == "data-missing"


# --- data missing: what the office must ask for ------------------------------------------

def test_data_missing_says_what_is_missing(client, assistant):
    client.put(CAL + "p.ics", ics(event("p", "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:089 123456",
                                        "LOCATION:Hauptstraße\\, München")))
    client.put(CAL + "r.ics", ics(event("r", "X-KAMIN-KIND:internal", "LOCATION:beim Nachbarn",
                                        start="20261208T090000Z", end="20261208T100000Z")))
    listed = office_list(assistant, "data-missing")
    assert [(e["uid"], e["state"], e["missing"]) for e in listed] == [
        ("p", "data-missing", ["number", "postcode"]), ("r", "data-missing", ["phone", "address"])]


def deadline(uid="d", *lines, due="20261228", building="LG-d"):
    return ics("\n".join(["UID:" + uid, "DTSTAMP:20261101T100000Z", "DTSTART;VALUE=DATE:" + due,
                          "SUMMARY:Frist Kehrung", "X-KAMIN-KIND:deadline",
                          "X-KAMIN-BUILDING:" + building, ADDRESS, *lines]))


def test_deadline_without_a_phone_is_on_the_data_missing_list(client, assistant):
    client.put(CAL + "d.ics", deadline())
    assert prop(client.get(CAL + "d.ics").text, "COLOR") == "lightblue"
    listed = office_list(assistant, "data-missing")
    assert [(e["uid"], e["state"], e["missing"]) for e in listed] == [("d", "deadline", ["phone"])]
    # A booking of the building in the window settles it: no call needed.
    client.put(CAL + "b.ics", ics(event("b", "X-KAMIN-KIND:external", "X-KAMIN-BUILDING:LG-d",
                                        start="20261210T090000Z", end="20261210T100000Z")))
    assert office_list(assistant, "data-missing") == []


def test_deadline_with_a_phone_in_its_notes_is_reminded(client, assistant):
    client.put(CAL + "d.ics", deadline("d", "DESCRIPTION:Eigentümer Handy 0171 1234567"))
    assert office_list(assistant, "data-missing") == []
    assert [(c["uid"], c["action"]) for c in due(assistant)] == [("d", "sms")]


# --- work and Formblatt picked as categories ----------------------------------------------

def test_staff_mark_an_appointment_as_feuerstaettenschau_by_category(client):
    client.put(CAL + "a.ics", internal("a", "X-KAMIN-PHONE:089 123456"))
    stored = client.get(CAL + "a.ics").text
    picked = stored.replace("CATEGORIES:Kamin: geplant",
                            "CATEGORIES:Kamin: geplant,Kamin: Feuerstättenschau")
    assert client.put(CAL + "a.ics", picked).status == 204
    after = client.get(CAL + "a.ics").text
    assert prop(after, "X-KAMIN-WORK") == "feuerstaettenschau"
    assert prop(after, "CATEGORIES") == "Kamin: geplant,Kamin: Feuerstättenschau"


def test_unknown_work_is_refused(client):
    response = client.put(CAL + "a.ics", internal("a", "X-KAMIN-WORK:Kaminofen"))
    assert response.status == 400


def test_staff_record_a_received_formblatt_by_category(client, assistant):
    client.put(CAL + "d.ics", deadline("d", "X-KAMIN-PHONE:089 7654321", due="20261201"))
    follow = office_list(assistant, "follow-up", "2026-12-16T09:00:00+01:00")
    assert [(e["uid"], e["follow_up"]) for e in follow] == [("d", "formblatt-missing")]
    stored = client.get(CAL + "d.ics").text
    picked = stored.replace("CATEGORIES:Kamin: Frist",
                            "CATEGORIES:Kamin: Frist,Kamin: Formblatt erhalten")
    picked = picked.replace("DTSTAMP:20261101T100000Z", "DTSTAMP:20261216T081500Z")
    assert client.put(CAL + "d.ics", picked).status == 204
    after = client.get(CAL + "d.ics").text
    assert prop(after, "X-KAMIN-FORMBLATT") == "2026-12-16"
    assert prop(after, "CATEGORIES") == "Kamin: Frist,Kamin: Formblatt erhalten"
    assert office_list(assistant, "follow-up", "2026-12-16T09:00:00+01:00") == []


# --- every state visible on iOS ------------------------------------------------------------

@pytest.fixture
def marked(storage_folder):
    app = Application(load_config(storage_folder, storage={"kamin_summary_marks": "all"}))
    anna = Client(app, "anna")
    anna.mkcalendar(CAL)
    return anna


def test_every_state_shows_its_mark_in_the_title(marked):
    marked.put(CAL + "a.ics", internal("a", "X-KAMIN-PHONE:089 123456", summary="Kehrung Huber"))
    stored = marked.get(CAL + "a.ics").text
    assert (prop(stored, "SUMMARY"), prop(stored, "X-KAMIN-MARK")) == ("○ Kehrung Huber", "○")
    marked.put(CAL + "a.ics", stored.replace("X-KAMIN-ATTEMPTS", "X-OLD").replace(
        "END:VEVENT", "X-KAMIN-ATTEMPTS:1\r\nEND:VEVENT"))
    assert prop(marked.get(CAL + "a.ics").text, "SUMMARY") == "☏1 Kehrung Huber"
    marked.put(CAL + "o.ics", internal("o", summary="Kehrung Maier"))
    assert prop(marked.get(CAL + "o.ics").text, "SUMMARY") == "⚠ Kehrung Maier"
    marked.put(CAL + "d.ics", deadline())
    assert prop(marked.get(CAL + "d.ics").text, "SUMMARY") == "⌛ Frist Kehrung"
    marked.put(CAL + "i.ics", ics(event("i", summary="Zahnarzt")))
    assert prop(marked.get(CAL + "i.ics").text, "SUMMARY") == "Zahnarzt"


def test_marks_are_stable_and_never_doubled(marked):
    marked.put(CAL + "a.ics", internal("a", "X-KAMIN-PHONE:089 123456",
                                       "X-KAMIN-OUTCOME:confirmed"))
    stored = marked.get(CAL + "a.ics")
    assert marked.put(CAL + "a.ics", stored.text).status == 204
    again = marked.get(CAL + "a.ics")
    assert (again.text, again.headers["etag"]) == (stored.text, stored.headers["etag"])
    assert prop(again.text, "SUMMARY") == "✓ Kehrung"


def test_a_users_title_beginning_with_a_mark_survives_state_changes(marked):
    marked.put(CAL + "a.ics", internal("a", "X-KAMIN-PHONE:089 123456",
                                       summary="✓ Rechnung bezahlt"))
    stored = marked.get(CAL + "a.ics").text
    assert prop(stored, "SUMMARY") == "○ ✓ Rechnung bezahlt"
    confirmed = stored.replace("CATEGORIES:Kamin: geplant", "CATEGORIES:Kamin: bestätigt")
    marked.put(CAL + "a.ics", confirmed)
    assert prop(marked.get(CAL + "a.ics").text, "SUMMARY") == "✓ ✓ Rechnung bezahlt"
    # Sent back without X-KAMIN-MARK (a client dropping it): the stored one decides.
    text = marked.get(CAL + "a.ics").text.replace("X-KAMIN-MARK:✓\r\n", "")
    marked.put(CAL + "a.ics", text.replace("CATEGORIES:Kamin: bestätigt",
                                           "CATEGORIES:Kamin: abgelehnt"))
    assert prop(marked.get(CAL + "a.ics").text, "SUMMARY") == "✗ ✓ Rechnung bezahlt"


def test_default_marks_only_the_confirmed_entries(client):
    client.put(CAL + "a.ics", internal("a", "X-KAMIN-PHONE:089 123456"))
    stored = client.get(CAL + "a.ics").text
    assert (prop(stored, "SUMMARY"), prop(stored, "X-KAMIN-MARK")) == ("Kehrung", None)


def test_unknown_marks_option_stops_the_server(storage_folder):
    with pytest.raises(RuntimeError, match="kamin_summary_marks = some"):
        Application(load_config(storage_folder, storage={"kamin_summary_marks": "some"}))
