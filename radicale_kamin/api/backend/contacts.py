"""Endpoints of the customers' contacts: search by name, phone, address or
building; one contact with its verdict and appointments; an edit, written
through the storage like a CardDAV PUT — normalised, and every entry linked
to it derived again (a phone added turns its orange entries ready to call)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import radicale.item as radicale_item

from radicale_kamin.address.missing import missing_data
from radicale_kamin.address.verdict import normalise
from radicale_kamin.api.backend.board import contact_json
from radicale_kamin.api.backend.models import ContactDetail, ContactEdit, ContactList
from radicale_kamin.api.errors import ApiError
from radicale_kamin.api.paths import calendar_url, sane_path
from radicale_kamin.api.request import Request
from radicale_kamin.entries import icslines
from radicale_kamin.entries.contact import read_contact

if TYPE_CHECKING:
    from radicale_kamin.api.service import Api


def _readable_books(api: Api, request: Request) -> set[str]:
    return {b for b in api.index.collections_on_disk("VADDRESSBOOK")
            if "r" in api.rights_of(request.user, request.groups, b)}


def get_contacts(api: Api, request: Request) -> tuple[int, ContactList]:
    query = request.query
    books = _readable_books(api, request)
    with api.storage.acquire_lock("r", request.user):
        api.index.sync_contacts()
        rows = api.index.search_contacts(query.q or "", query.limit or 100)
    return 200, ContactList(contacts=[contact_json(r) for r in rows if r["addressbook"] in books])


def _contact_row(api: Api, request: Request, addressbook, permission: str = "r"):
    books = {b for b in api.index.collections_on_disk("VADDRESSBOOK")
             if permission in api.rights_of(request.user, request.groups, b)}
    rows = [r for r in api.index.contacts_with_uid(
        request.path.uid, sane_path(addressbook) if addressbook else None)
        if r["addressbook"] in books]
    if not rows:
        raise ApiError(404, "no contact with UID %s in the address books you may %s"
                       % (request.path.uid, "read" if permission == "r" else "write"))
    if len(rows) > 1:
        raise ApiError(409, "UID %s is in several address books; say which with addressbook"
                       % request.path.uid, calendars=[calendar_url(r["addressbook"]) for r in rows])
    return rows[0]


def _detail(api: Api, request: Request, row) -> ContactDetail:
    collection = api.collection(row["addressbook"])
    item = collection.stored(row["href"])
    verdict, missing = None, []
    if item is not None:
        try:
            _, facts, judged = read_contact(item.serialize(), api.storage.settings.phone_region)
            verdict = judged.verdict
            missing = list(missing_data([r.code for r in judged.reasons], bool(facts.phone)))
        except (ValueError, KeyError):
            pass
    readable = api.calendars(request.user, request.groups)
    buildings = [b for b in (row["buildings"] or "").split("\x1f") if b]
    entries = [r for r in api.index.linked_entries(row["uid"], buildings)
               if r["calendar"] in readable]
    entries.sort(key=lambda r: r["start"] or 0)
    return ContactDetail(contact=contact_json(row), verdict=verdict, missing=missing,
                         entries=[api.entry_json(r) for r in entries])


def get_contact(api: Api, request: Request) -> tuple[int, ContactDetail]:
    with api.storage.acquire_lock("r", request.user):
        api.index.sync_contacts()
        row = _contact_row(api, request, request.query.addressbook)
        return 200, _detail(api, request, row)


def _adr_value(location: str, region: str) -> str:
    """A one-line address as vCard ADR components (the storage normalises)."""
    judged = normalise({"address": location}, region)
    if judged.verdict == "red" or not judged.street:
        return ";;%s;;;;" % icslines.escape_text(location)
    street = " ".join(p for p in (judged.street, judged.number) if p)
    parts = ["", "", street, judged.city or "", "", judged.postcode or "", "Deutschland"]
    return ";".join(icslines.escape_text(p) for p in parts)


def edited_card(text: str, body: ContactEdit, region: str) -> str:
    card = icslines.parse(text)
    if body.name is not None:
        card.remove("FN")
        card.lines.append(icslines.Line("FN", [], icslines.escape_text(body.name)))
    if body.phone is not None:
        phones = [line for line in card.props("TEL")
                  if "fax" not in line.text().split(":", 1)[0].lower()]
        if phones:
            phones[0].value, phones[0].raw = icslines.escape_text(body.phone), None
        else:
            card.lines.append(icslines.Line("TEL", [("TYPE", "voice")],
                                            icslines.escape_text(body.phone)))
    if body.location is not None:
        value = _adr_value(body.location, region)
        found = card.props("ADR")
        if found:
            found[0].value, found[0].raw = value, None
        else:
            card.lines.append(icslines.Line("ADR", [("TYPE", "home")], value))
    return icslines.serialize(card)


def put_contact(api: Api, request: Request) -> tuple[int, ContactDetail]:
    body: ContactEdit = request.body
    with api.storage.acquire_lock("w", request.user):
        api.index.sync_contacts()
        row = _contact_row(api, request, body.addressbook, "w")
        collection = api.collection(row["addressbook"])
        item = collection.stored(row["href"])
        if item is None:
            raise ApiError(404, "the contact %s is gone" % request.path.uid)
        text = edited_card(item.serialize(), body, api.storage.settings.phone_region)
        collection.upload(row["href"], radicale_item.Item(collection_path=row["addressbook"],
                                                          text=text))
        changed = [w for w, v in (("Name", body.name), ("Telefon", body.phone),
                                  ("Adresse", body.location)) if v is not None]
        with api.office.state.transaction() as db:
            api.office.changed(db, request.user, "contacts", "Kontakt geändert: %s (%s)" % (
                ", ".join(changed) or "nichts", calendar_url(row["addressbook"])))
        row = api.index.contacts_with_uid(row["uid"], row["addressbook"])[0]
        return 200, _detail(api, request, row)
