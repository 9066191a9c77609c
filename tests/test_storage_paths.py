"""The other write paths: whole-calendar PUT (also the web page's upload)
and MOVE derive like a single PUT."""

from conftest import event, ics, prop, props

CAL = "/anna/termine/"
ADDRESS = "LOCATION:Hauptstraße 12\\, 80331 München"


def _hrefs_by_uid(client, path):
    listing = client.request("PROPFIND", path, depth="1")
    assert listing.status == 207
    return listing.text


def test_whole_calendar_put_derives_every_entry(client):
    body = ics(event("w1", "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:0171 1234567", ADDRESS),
               event("w2", "X-KAMIN-KIND:external"),
               event("w3", "X-KAMIN-KIND:deadline"),
               timezone=True)
    assert client.put(CAL, body).status == 201
    whole = client.get(CAL).text
    assert sorted(props(whole, "X-KAMIN-STATUS")) == ["booked", "deadline", "planned"]
    assert "+491711234567" in props(whole, "X-KAMIN-PHONE")


def test_whole_calendar_put_keeps_what_clients_omit(client):
    client.put(CAL + "w1.ics", ics(event("w1", "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:089 123456",
                                         "X-KAMIN-OUTCOME:confirmed", ADDRESS)))
    assert client.put(CAL, ics(event("w1", ADDRESS, summary="Kehrung"))).status == 201
    whole = client.get(CAL).text
    assert prop(whole, "X-KAMIN-STATUS") == "confirmed"
    assert prop(whole, "SUMMARY") == "✓ Kehrung"


def test_whole_calendar_put_with_one_bad_entry_stores_nothing(client):
    client.put(CAL + "keep.ics", ics(event("keep", "X-KAMIN-KIND:external")))
    before = client.get(CAL).body
    body = ics(event("n1", "X-KAMIN-KIND:internal"), event("n2", "X-KAMIN-KIND:nonsense"))
    assert client.put(CAL, body).status == 400
    assert client.get(CAL).body == before
    assert client.get(CAL + "keep.ics").status == 200


def test_move_between_calendars_derives_at_the_destination(client, storage_folder):
    assert client.as_user("anna").mkcalendar("/anna/alt/").status == 201
    client.put("/anna/alt/m.ics", ics(event("m", "X-KAMIN-KIND:external")))
    # A file changed outside Radicale: the stale colour must not survive a MOVE.
    path = storage_folder / "collection-root" / "anna" / "alt" / "m.ics"
    path.write_text(path.read_text().replace("COLOR:yellow", "COLOR:pink"))
    response = client.request("MOVE", "/anna/alt/m.ics",
                              destination="http://localhost:5232" + CAL + "m.ics")
    assert response.status == 201
    moved = client.get(CAL + "m.ics").text
    assert prop(moved, "COLOR") == "yellow"
    assert client.get("/anna/alt/m.ics").status == 404


def test_move_of_an_entry_with_invalid_values_is_refused(client, storage_folder):
    client.mkcalendar("/anna/alt/")
    client.put("/anna/alt/m.ics", ics(event("m", "X-KAMIN-KIND:external")))
    path = storage_folder / "collection-root" / "anna" / "alt" / "m.ics"
    path.write_text(path.read_text().replace("X-KAMIN-KIND:external", "X-KAMIN-KIND:bogus"))
    response = client.request("MOVE", "/anna/alt/m.ics",
                              destination="http://localhost:5232" + CAL + "m.ics")
    assert response.status == 400
    assert client.get("/anna/alt/m.ics").status == 200
    assert client.get(CAL + "m.ics").status == 404
