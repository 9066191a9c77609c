"""Contacts on every write path — single PUT, whole address-book PUT (the
web page's upload), MOVE, import — are normalised and linked alike; and an
entry staff make in an ordinary app, with a customer and an address but no
ids, finds its contact by that address when the match is unambiguous."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from conftest import Client, event, ics, prop

BOOK = "/anna/kontakte/"
CAL = "/anna/termine/"
API = "/.web/kamin/api/"
NOW = "2026-12-01T10:00:00+01:00"
ADDRESS = "LOCATION:Altstadt 12\\, 84028 Landshut"


def vcard(uid: str, *lines: str) -> str:
    return "\r\n".join(["BEGIN:VCARD", "VERSION:3.0", "UID:" + uid, *lines, "END:VCARD"]) + "\r\n"


def huber(uid: str = "huber", *extra: str) -> str:
    return vcard(uid, "FN:Hans Huber", "N:Huber;Hans;;;",
                 "ADR;TYPE=HOME:;;altstadt 12;Landshut;;84028;Deutschland", *extra)


def mkbook(client, path: str = BOOK) -> None:
    response = client.request("MKCOL", path, """<?xml version="1.0"?>
<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>
<D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>""")
    assert response.status == 201, response.text


def orange(client, uid: str, *lines: str) -> None:
    body = ics(event(uid, "X-KAMIN-KIND:internal", *lines, start="20261208T090000Z",
                     end="20261208T100000Z"))
    assert client.put(CAL + uid + ".ics", body).status == 201
    assert prop(client.get(CAL + uid + ".ics").text, "X-KAMIN-STATUS") == "data-missing"


def state(client, uid: str) -> str:
    return prop(client.get(CAL + uid + ".ics").text, "X-KAMIN-STATUS")


def test_whole_address_book_upload_normalises_and_links(client):
    orange(client, "e1", "X-KAMIN-BUILDING:LG-7", ADDRESS)
    upload = huber("c1", "TEL;TYPE=HOME:0871 / 260 1234", "X-KAMIN-BUILDING:LG-7") + vcard(
        "c2", "FN:Erika Beispiel", "TEL;TYPE=CELL:0171-2345678")
    response = client.request("PUT", BOOK, upload, content_type="text/vcard")
    assert response.status == 201, response.text
    card = client.get(BOOK + [h for h in _hrefs(client, BOOK) if "c1" in _card(client, h)][0]).text
    assert "TEL;TYPE=HOME:+498712601234" in card
    assert "X-KAMIN-ADDRESS:complete" in card
    assert state(client, "e1") == "planned"
    assert prop(client.get(CAL + "e1.ics").text, "X-KAMIN-PHONE") == "+498712601234"


def _hrefs(client, path: str) -> list[str]:
    import re
    answer = client.request("PROPFIND", path, depth="1")
    return [h.rsplit("/", 1)[-1] for h in re.findall(r"<href>([^<]+\.vcf)</href>", answer.text)]


def _card(client, href: str) -> str:
    return client.get(BOOK + href).text


def test_moved_contact_is_indexed_in_its_new_book(client):
    mkbook(client)
    mkbook(client, "/anna/alt/")
    orange(client, "e1", "X-KAMIN-BUILDING:LG-7", ADDRESS)
    assert client.request("PUT", "/anna/alt/c1.vcf", huber("c1", "X-KAMIN-BUILDING:LG-7"),
                          content_type="text/vcard").status == 201
    moved = client.request("MOVE", "/anna/alt/c1.vcf",
                           destination="http://localhost:5232" + BOOK + "c1.vcf")
    assert moved.status in (201, 204), moved.text
    assert client.get("/anna/alt/c1.vcf").status == 404
    # The moved contact still links: a phone added to it reaches the entry.
    assert client.request("PUT", BOOK + "c1.vcf", huber("c1", "X-KAMIN-BUILDING:LG-7",
                                                        "TEL:0871 123456"),
                          content_type="text/vcard").status == 204
    assert state(client, "e1") == "planned"
    # Deleted from its new book, the contact is gone everywhere: a new entry
    # of the building finds no phone (no stale copy left under /anna/alt/).
    assert client.request("DELETE", BOOK + "c1.vcf").status == 200
    orange(client, "e2", "X-KAMIN-BUILDING:LG-7", ADDRESS)


def test_entry_with_customer_and_address_finds_its_contact(client):
    mkbook(client)
    assert client.request("PUT", BOOK + "c1.vcf", huber("c1", "TEL:0871 123456"),
                          content_type="text/vcard").status == 201
    body = ics(event("e1", "X-KAMIN-KIND:internal", "X-KAMIN-CUSTOMER:Familie Huber",
                     "LOCATION:altstadt 12\\, 84028 landshut"))
    assert client.put(CAL + "e1.ics", body).status == 201
    stored = client.get(CAL + "e1.ics").text
    assert prop(stored, "X-KAMIN-CONTACT") == "c1"
    assert prop(stored, "X-KAMIN-PHONE") == "+49871123456"
    assert prop(stored, "X-KAMIN-STATUS") == "planned"
    # Without the PLZ it is the same house: linked, the phone taken, and the
    # PLZ the contact knows completes the address — ready to call.
    body = ics(event("e2", "X-KAMIN-KIND:internal", "X-KAMIN-CUSTOMER:Huber",
                     "LOCATION:Altstadt 12\\, Landshut"))
    assert client.put(CAL + "e2.ics", body).status == 201
    stored = client.get(CAL + "e2.ics").text
    assert (prop(stored, "X-KAMIN-CONTACT"), prop(stored, "X-KAMIN-PHONE")) == (
        "c1", "+49871123456")
    assert prop(stored, "X-KAMIN-STATUS") == "planned"
    assert prop(stored, "LOCATION") == "Altstadt 12\\, 84028 Landshut"


def test_a_contact_completes_only_the_same_house(client):
    mkbook(client)
    assert client.request("PUT", BOOK + "c1.vcf", huber("c1", "TEL:0871 123456"),
                          content_type="text/vcard").status == 201
    # Linked by id, but another house number: the entry's own address stays, orange.
    body = ics(event("e1", "X-KAMIN-KIND:internal", "X-KAMIN-CONTACT:c1",
                     "LOCATION:Altstadt 14\\, Landshut"))
    assert client.put(CAL + "e1.ics", body).status == 201
    stored = client.get(CAL + "e1.ics").text
    assert prop(stored, "X-KAMIN-STATUS") == "data-missing"
    assert prop(stored, "LOCATION") == "Altstadt 14\\, Landshut"


def test_contact_added_later_claims_the_orange_entry_at_its_address(client):
    mkbook(client)
    orange(client, "e1", "X-KAMIN-CUSTOMER:Huber", ADDRESS)
    assert client.request("PUT", BOOK + "c1.vcf", huber("c1", "TEL:0871 123456"),
                          content_type="text/vcard").status == 201
    assert state(client, "e1") == "planned"
    assert prop(client.get(CAL + "e1.ics").text, "X-KAMIN-CONTACT") == "c1"


def test_two_contacts_at_the_address_are_not_guessed_but_listed(app, client):
    mkbook(client)
    for uid, first in (("c1", "Hans"), ("c2", "Maria")):
        card = vcard(uid, "FN:%s Huber" % first,
                     "ADR;TYPE=HOME:;;Altstadt 12;Landshut;;84028;Deutschland", "TEL:0871 12345")
        assert client.request("PUT", BOOK + uid + ".vcf", card,
                              content_type="text/vcard").status == 201
    orange(client, "e1", "X-KAMIN-CUSTOMER:Familie Huber", ADDRESS)
    assert prop(client.get(CAL + "e1.ics").text, "X-KAMIN-CONTACT") is None
    listed = json.loads(Client(app, "assistant").get(
        API + "data-missing?now=" + urllib.parse.quote(NOW)).text)["entries"]
    assert [sorted(c["uid"] for c in e["contacts"]) for e in listed] == [["c1", "c2"]]


def test_another_customer_at_the_address_is_not_linked(client):
    mkbook(client)
    assert client.request("PUT", BOOK + "c1.vcf", huber("c1", "TEL:0871 123456"),
                          content_type="text/vcard").status == 201
    orange(client, "e1", "X-KAMIN-CUSTOMER:Frau Berger", ADDRESS)
    assert prop(client.get(CAL + "e1.ics").text, "X-KAMIN-CONTACT") is None


def test_a_private_entry_at_a_customers_address_stays_private(client):
    mkbook(client)
    assert client.request("PUT", BOOK + "c1.vcf", huber("c1", "TEL:0871 123456"),
                          content_type="text/vcard").status == 201
    body = ics(event("p1", ADDRESS, summary="Kaffee bei Hubers"))
    assert client.put(CAL + "p1.ics", body).status == 201
    stored = client.get(CAL + "p1.ics").text
    assert prop(stored, "X-KAMIN-CONTACT") is None and prop(stored, "X-KAMIN-PHONE") is None


@pytest.fixture(autouse=True)
def _calendar(client):
    return client
