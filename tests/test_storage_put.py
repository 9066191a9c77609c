"""Single-item PUT through the real Radicale Application: what is stored is
what the server derived, and nothing a client forgot is lost."""


import pytest
import vobject

from conftest import event, ics, prop, props

CAL = "/anna/termine/"
COMPLETE = ("X-KAMIN-KIND:internal", "X-KAMIN-CUSTOMER:Müller\\, Hans",
            "X-KAMIN-PHONE:089 123456", "X-KAMIN-BUILDING:B-0815",
            "LOCATION:Hauptstraße 12\\, 80331 München")


def test_put_internal_entry_with_complete_data_is_planned(client):
    response = client.put(CAL + "a.ics", ics(event("a", *COMPLETE)))
    assert response.status == 201
    stored = client.get(CAL + "a.ics")
    assert prop(stored.text, "X-KAMIN-STATUS") == "planned"
    assert prop(stored.text, "COLOR") == "lightgray"
    assert prop(stored.text, "X-KAMIN-ADDRESS") == "complete"
    assert prop(stored.text, "X-KAMIN-PHONE") == "+4989123456"
    assert prop(stored.text, "CATEGORIES") == "Kamin: geplant"
    assert prop(stored.text, "X-KAMIN-CUSTOMER") == "Müller\\, Hans"
    assert prop(stored.text, "STATUS") == "TENTATIVE"


def test_put_answer_has_no_etag_when_the_server_changed_the_entry(client):
    """RFC 4791 section 5.3.4: the stored entry is not the request, so no
    ETag — the client must fetch the coloured version."""
    response = client.put(CAL + "a.ics", ics(event("a", *COMPLETE)))
    assert response.status == 201
    assert "etag" not in response.headers
    stored = client.get(CAL + "a.ics")
    update = client.put(CAL + "a.ics", ics(event("a", *COMPLETE, summary="Neu")),
                        if_match=stored.headers["etag"])
    assert update.status == 204
    assert "etag" not in update.headers


def test_put_of_the_stored_bytes_answers_their_etag(client):
    client.put(CAL + "a.ics", ics(event("a", *COMPLETE)))
    stored = client.get(CAL + "a.ics")
    again = client.put(CAL + "a.ics", stored.body, if_match=stored.headers["etag"])
    assert again.status == 204
    assert again.headers["etag"] == stored.headers["etag"]


@pytest.mark.parametrize("kind,state,colour", [
    ("internal", "planned", "lightgray"), ("external", "booked", "yellow"),
    ("deadline", "deadline", "lightblue"), ("individual", "individual", "white"),
    ("imported", "import-ok", "green")])
def test_every_kind_gets_its_state_and_colour(client, kind, state, colour):
    lines = [line for line in COMPLETE if not line.startswith("X-KAMIN-KIND")]
    client.put(CAL + "k.ics", ics(event("k", "X-KAMIN-KIND:" + kind, *lines)))
    stored = client.get(CAL + "k.ics").text
    assert (prop(stored, "X-KAMIN-STATUS"), prop(stored, "COLOR")) == (state, colour)


def test_orange_when_phone_is_missing(client):
    lines = [line for line in COMPLETE if "PHONE" not in line]
    assert client.put(CAL + "o.ics", ics(event("o", *lines))).status == 201
    stored = client.get(CAL + "o.ics").text
    assert prop(stored, "COLOR") == "orange"
    assert prop(stored, "X-KAMIN-ADDRESS") == "incomplete"


def test_stored_entry_is_valid_icalendar_for_vobject(client):
    client.put(CAL + "a.ics", ics(event("a", *COMPLETE, "CATEGORIES:Büro\\, Akten,Privat"),
                                  timezone=True))
    calendar = vobject.readOne(client.get(CAL + "a.ics").text)
    assert calendar.vevent.categories.value == ["Kamin: geplant", "Büro, Akten", "Privat"]
    assert calendar.vevent.x_kamin_customer.value == "Müller, Hans"


def test_properties_the_server_does_not_own_stay_as_written(client):
    body = ics(event("a", *COMPLETE, "X-MOZ-GENERATION:3",
                     "DESCRIPTION:Hund im Garten\\, bitte klingeln",
                     "LOCATION;ALTREP=\"http://example.invalid/x\":Hauptstraße 12\\, 80331 München"
                     .replace("LOCATION;", "X-DUMMY;")))
    client.put(CAL + "a.ics", body)
    stored = client.get(CAL + "a.ics").text
    assert prop(stored, "X-MOZ-GENERATION") == "3"
    assert prop(stored, "DESCRIPTION") == "Hund im Garten\\, bitte klingeln"
    assert "X-DUMMY;ALTREP=" in stored


def test_writing_the_stored_entry_again_changes_nothing(client):
    client.put(CAL + "a.ics", ics(event("a", *COMPLETE, "X-KAMIN-OUTCOME:confirmed")))
    first = client.get(CAL + "a.ics")
    again = client.put(CAL + "a.ics", first.text)
    assert again.headers["etag"] == first.headers["etag"]
    assert client.get(CAL + "a.ics").headers["etag"] == first.headers["etag"]
    assert client.get(CAL + "a.ics").body == first.body


def test_client_put_without_kamin_properties_keeps_them(client):
    client.put(CAL + "a.ics", ics(event("a", *COMPLETE, "X-KAMIN-OUTCOME:callback",
                                        "X-KAMIN-CALLBACK:2026-12-03T14:00", "X-KAMIN-ATTEMPTS:1")))
    # What a client that knows nothing of X-KAMIN-* sends back after an edit:
    forgetful = ics(event("a", "LOCATION:Hauptstraße 12\\, 80331 München",
                          "CATEGORIES:Kamin: Rückruf", summary="Kehrung (verschoben)"))
    assert client.put(CAL + "a.ics", forgetful).status == 204
    stored = client.get(CAL + "a.ics").text
    assert prop(stored, "SUMMARY") == "Kehrung (verschoben)"
    assert prop(stored, "X-KAMIN-KIND") == "internal"
    assert prop(stored, "X-KAMIN-CUSTOMER") == "Müller\\, Hans"
    assert prop(stored, "X-KAMIN-PHONE") == "+4989123456"
    assert prop(stored, "X-KAMIN-BUILDING") == "B-0815"
    assert prop(stored, "X-KAMIN-OUTCOME") == "callback"
    assert prop(stored, "X-KAMIN-ATTEMPTS") == "1"
    assert prop(stored, "X-KAMIN-CALLBACK") == "2026-12-03T14:00:00+01:00"
    assert (prop(stored, "X-KAMIN-STATUS"), prop(stored, "COLOR")) == ("callback", "lightgreen")


def test_client_values_for_derived_properties_are_replaced(client):
    body = ics(event("a", *COMPLETE, "X-KAMIN-STATUS:confirmed", "COLOR:pink",
                     "X-KAMIN-ADDRESS:complete", "CATEGORIES:Kamin: bestätigt"))
    # A new entry carrying a label is a pick: confirmed; the rest is derived.
    client.put(CAL + "a.ics", body)
    stored = client.get(CAL + "a.ics").text
    assert prop(stored, "COLOR") == "green"
    body = ics(event("b", "X-KAMIN-KIND:external", "X-KAMIN-STATUS:confirmed", "COLOR:pink"))
    client.put(CAL + "b.ics", body)
    stored = client.get(CAL + "b.ics").text
    assert (prop(stored, "X-KAMIN-STATUS"), prop(stored, "COLOR")) == ("booked", "yellow")


def test_thunderbird_category_pick_confirms_and_adds_check_mark(client):
    client.put(CAL + "a.ics", ics(event("a", *COMPLETE, summary="Kehrung Huber")))
    stored = client.get(CAL + "a.ics")
    edited = stored.text.replace("CATEGORIES:Kamin: geplant",
                                 "CATEGORIES:Kamin: geplant,Kamin: bestätigt")
    assert client.put(CAL + "a.ics", edited, if_match=stored.headers["etag"]).status == 204
    after = client.get(CAL + "a.ics").text
    assert prop(after, "SUMMARY") == "✓ Kehrung Huber"
    assert prop(after, "CATEGORIES") == "Kamin: bestätigt"
    assert (prop(after, "X-KAMIN-OUTCOME"), prop(after, "COLOR")) == ("confirmed", "green")
    assert prop(after, "STATUS") == "CONFIRMED"


def test_status_change_from_a_client_rejects_and_unmarks(client):
    client.put(CAL + "a.ics", ics(event("a", *COMPLETE, "X-KAMIN-OUTCOME:confirmed")))
    text = client.get(CAL + "a.ics").text
    assert prop(text, "SUMMARY") == "✓ Kehrung"
    client.put(CAL + "a.ics", text.replace("STATUS:CONFIRMED", "STATUS:CANCELLED"))
    after = client.get(CAL + "a.ics").text
    assert (prop(after, "X-KAMIN-STATUS"), prop(after, "SUMMARY")) == ("rejected", "Kehrung")


def test_lf_line_endings_are_valid_input(client):
    body = ics(event("lf", *COMPLETE)).replace("\r\n", "\n")
    assert client.put(CAL + "lf.ics", body).status == 201
    assert prop(client.get(CAL + "lf.ics").text, "X-KAMIN-STATUS") == "planned"


def test_long_values_are_folded_and_read_back_whole(client):
    customer = "Eigentümergemeinschaft " + "Sonnenblumenweg " * 8
    client.put(CAL + "l.ics", ics(event("l", "X-KAMIN-CUSTOMER:" + customer.strip())))
    text = client.get(CAL + "l.ics").text
    assert max(len(line.encode()) for line in text.split("\r\n")) <= 75
    assert vobject.readOne(text).vevent.x_kamin_customer.value == customer.strip()


def test_recurring_entry_with_override_derives_each_occurrence(client):
    master = event("r", "X-KAMIN-KIND:individual", "RRULE:FREQ=WEEKLY;COUNT=4", summary="Teamrunde")
    override = "\n".join(["UID:r", "DTSTAMP:20261101T100000Z", "RECURRENCE-ID:20261214T090000Z",
                          "DTSTART:20261214T110000Z", "DTEND:20261214T120000Z",
                          "SUMMARY:Teamrunde (später)", "X-KAMIN-KIND:external"])
    assert client.put(CAL + "r.ics", ics(master, override)).status == 201
    text = client.get(CAL + "r.ics").text
    assert props(text, "X-KAMIN-STATUS") == ["individual", "booked"]


def test_todo_items_are_stored_untouched(client):
    todo = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTODO\r\nUID:t\r\n"
            "DTSTAMP:20261101T100000Z\r\nSUMMARY:Rußmessung vorbereiten\r\nEND:VTODO\r\nEND:VCALENDAR\r\n")
    assert client.put(CAL + "t.ics", todo).status == 201
    assert "X-KAMIN" not in client.get(CAL + "t.ics").text


def test_stored_file_on_disk_is_the_derived_one(client, storage_folder):
    client.put(CAL + "a.ics", ics(event("a", *COMPLETE)))
    path = storage_folder / "collection-root" / "anna" / "termine" / "a.ics"
    on_disk = path.read_text(encoding="utf-8")
    assert "X-KAMIN-STATUS:planned" in on_disk and "COLOR:lightgray" in on_disk


def test_unescaped_commas_in_text_properties_are_kept_whole(client):
    """A client that does not escape (``LOCATION:Hauptstr. 5, 90402 …``)
    loses nothing: vobject alone keeps only the part before the comma."""
    body = ics(event("u", "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:089 123456",
                     "LOCATION:Hauptstraße 12, 80331 München",
                     "DESCRIPTION:Hund im Hof, bitte klingeln; Zugang hinten",
                     summary="Kehrung, Messung"))
    assert client.put(CAL + "u.ics", body).status == 201
    stored = client.get(CAL + "u.ics").text
    assert prop(stored, "LOCATION") == "Hauptstraße 12\\, 80331 München"
    assert prop(stored, "DESCRIPTION") == "Hund im Hof\\, bitte klingeln\\; Zugang hinten"
    assert prop(stored, "SUMMARY") == "Kehrung\\, Messung"
    assert prop(stored, "X-KAMIN-STATUS") == "planned"
