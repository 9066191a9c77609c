"""Contacts in a CardDAV address book: normalised on write, linked to
appointments, and a phone added to a contact turns its orange appointments
ready to call."""

import json

import pytest

from conftest import Client, event, ics, prop, props

BOOK = "/anna/kontakte/"
CAL = "/anna/termine/"


def vcard(uid, *lines):
    return "\r\n".join(["BEGIN:VCARD", "VERSION:3.0", "UID:" + uid, *lines, "END:VCARD"]) + "\r\n"


HUBER = ("FN:Hans Huber", "N:Huber;Hans;;;", "ADR;TYPE=HOME:;;hauptstr. 12;Muenchen;;80331;Deutschland",
         "X-KAMIN-BUILDING:LG-12")


@pytest.fixture
def book(client):
    response = client.request("MKCOL", BOOK, """<?xml version="1.0"?>
<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop>
<D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>
<D:displayname>Kunden</D:displayname></D:prop></D:set></D:mkcol>""")
    assert response.status == 201, response.text
    return client


def put_card(client, uid, *lines):
    response = client.request("PUT", BOOK + uid + ".vcf", vcard(uid, *lines),
                              content_type="text/vcard")
    assert response.status in (201, 204), response.text
    return client.get(BOOK + uid + ".vcf").text


def test_contact_is_normalised_on_write(book):
    stored = put_card(book, "huber", *HUBER, "TEL;TYPE=HOME:089 / 12 34 56", "TEL;TYPE=FAX:089 999999",
                      "TEL;TYPE=CELL:0171-1234567")
    assert props(stored, "TEL") == ["+4989123456", "089 999999", "+491711234567"]
    assert prop(stored, "ADR") == ";;Hauptstraße 12;München;;80331;Deutschland"
    assert prop(stored, "X-KAMIN-ADDRESS") == "complete"


def test_vcard_21_mobile_is_read_and_invalid_numbers_kept(book):
    stored = put_card(book, "alt", "FN:Erika Alt", "ADR:;;Lindenweg 3;Nürnberg;;90402;",
                      "TEL;CELL:0151 23456789", "TEL;HOME:5551234")
    assert props(stored, "TEL") == ["+4915123456789", "5551234"]


def test_contact_without_phone_is_incomplete(book):
    assert prop(put_card(book, "huber", *HUBER), "X-KAMIN-ADDRESS") == "incomplete"


def test_phone_added_to_contact_turns_linked_entries_ready_to_call(book, app):
    put_card(book, "huber", *HUBER)
    book.put(CAL + "a.ics", ics(event("a", "X-KAMIN-KIND:internal", "X-KAMIN-CONTACT:huber")))
    book.put(CAL + "b.ics", ics(event("b", "X-KAMIN-KIND:internal", "X-KAMIN-BUILDING:LG-12")))
    for href in ("a.ics", "b.ics"):
        text = book.get(CAL + href).text
        assert prop(text, "COLOR") == "orange"
        assert prop(text, "LOCATION") == "Hauptstraße 12\\, 80331 München"   # taken from the contact
        assert prop(text, "X-KAMIN-CUSTOMER") == "Hans Huber"
    put_card(book, "huber", *HUBER, "TEL;TYPE=HOME:089 123456")
    for href in ("a.ics", "b.ics"):
        text = book.get(CAL + href).text
        assert (prop(text, "X-KAMIN-STATUS"), prop(text, "X-KAMIN-PHONE")) == ("planned", "+4989123456")
    calls = json.loads(Client(app, "assistant").get(
        "/.web/kamin/api/due-calls?now=2026-11-30T10%3A00%3A00%2B01%3A00&lease=false").text)["calls"]
    assert calls[0]["phone"] == "+4989123456" and len(calls[0]["entries"]) == 2


def test_entry_written_later_takes_the_contacts_data(book):
    put_card(book, "huber", *HUBER, "TEL;TYPE=HOME:089 123456")
    book.put(CAL + "a.ics", ics(event("a", "X-KAMIN-KIND:internal", "X-KAMIN-BUILDING:LG-12")))
    text = book.get(CAL + "a.ics").text
    assert (prop(text, "X-KAMIN-STATUS"), prop(text, "X-KAMIN-CONTACT")) == ("planned", "huber")


def test_changed_contact_phone_follows_copies_but_not_own_numbers(book):
    put_card(book, "huber", *HUBER, "TEL;TYPE=HOME:089 123456")
    book.put(CAL + "copy.ics", ics(event("copy", "X-KAMIN-KIND:internal", "X-KAMIN-CONTACT:huber")))
    book.put(CAL + "own.ics", ics(event("own", "X-KAMIN-KIND:internal", "X-KAMIN-CONTACT:huber",
                                        "X-KAMIN-PHONE:0911 654321")))
    put_card(book, "huber", *HUBER, "TEL;TYPE=HOME:089 7654321")
    assert prop(book.get(CAL + "copy.ics").text, "X-KAMIN-PHONE") == "+49897654321"
    assert prop(book.get(CAL + "own.ics").text, "X-KAMIN-PHONE") == "+49911654321"


def test_deleting_a_contact_keeps_its_appointments(book):
    put_card(book, "huber", *HUBER, "TEL;TYPE=HOME:089 123456")
    book.put(CAL + "a.ics", ics(event("a", "X-KAMIN-KIND:internal", "X-KAMIN-CONTACT:huber")))
    before = book.get(CAL + "a.ics").body
    assert book.request("DELETE", BOOK + "huber.vcf").status == 200
    assert book.get(CAL + "a.ics").body == before
    assert prop(before.decode(), "X-KAMIN-STATUS") == "planned"


def test_contact_edited_on_disk_is_found_after_sync(book, app, storage_folder):
    book.put(CAL + "a.ics", ics(event("a", "X-KAMIN-KIND:internal", "X-KAMIN-BUILDING:LG-12")))
    folder = storage_folder / "collection-root" / "anna" / "kontakte"
    (folder / "outside.vcf").write_text(vcard("outside", *HUBER, "TEL:089 123456"), encoding="utf-8")
    app._storage.index.sync()
    book.put(CAL + "b.ics", ics(event("b", "X-KAMIN-KIND:internal", "X-KAMIN-BUILDING:LG-12")))
    assert prop(book.get(CAL + "b.ics").text, "X-KAMIN-PHONE") == "+4989123456"


def test_a_stored_card_and_an_imported_card_are_read_by_the_same_rules():
    """Home address before work, preferred numbers first, a pager is no
    phone, FN with its organisation — for a card PUT over CardDAV and the
    same card in an import file alike (entries.contact is the one reader)."""
    from radicale_kamin.entries import icslines
    from radicale_kamin.entries.contact import address_record, card_properties, customer_name
    from radicale_kamin.importing.vcardfile import parse_cards, to_record

    card = vcard("c9", "FN:Hans Huber", "ORG:Huber GmbH",
                 "ADR;TYPE=WORK:;;Industriestr. 1;Landshut;;84030;",
                 "ADR;TYPE=HOME:;;Altstadt 12;Landshut;;84028;",
                 "TEL;TYPE=PAGER:0171 1111111", "TEL;TYPE=CELL:0171 2222222",
                 "TEL;TYPE=HOME,PREF:0871 333333", "TEL;TYPE=WORK:0871 444444")
    props = card_properties(icslines.parse(card))
    stored = address_record(props)
    assert stored == {"street": "Altstadt 12", "zip": "84028", "city": "Landshut",
                      "phone": "0871 333333 / 0871 444444", "mobile": "0171 2222222"}
    assert customer_name(props) == "Hans Huber (Huber GmbH)"
    (imported_card,), _ = parse_cards(card)
    imported = to_record(imported_card)
    assert imported.customer == customer_name(props)
    assert {k: v for k, v in imported.address.items() if v} == stored
