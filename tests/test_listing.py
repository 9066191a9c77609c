"""PROPFIND Depth 1 and sync-collection answered from the side index: the
answers of stock Radicale, without reading the item files."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import textwrap

import pytest
from radicale import Application

from conftest import Client, event, ics, load_config, plugin_and_stock
from radicale_kamin.server import listing

CAL = "/anna/termine/"
OTHER = "/anna/privat/"

LISTING = "<D:getetag/><D:getcontenttype/><D:resourcetype/>"
BODIES = {
    "what Thunderbird lists": LISTING,
    "dates, sizes, names": "<D:getlastmodified/><D:getcontentlength/><D:displayname/>",
    "unknown properties": ('<I:calendar-color xmlns:I="http://apple.com/ns/ical/"/>'
                           '<X:tag xmlns:X="urn:example:x"/><D:getetag/>'),
    "rights and owner": "<D:current-user-privilege-set/><D:owner/><D:supported-report-set/>",
}


def propfind(props: str) -> str:
    return ('<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>%s'
            '</D:prop></D:propfind>' % props)


def sync_body(token: str = "", props: str = "<D:getetag/>") -> str:
    return ('<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:" '
            'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:sync-token>%s</D:sync-token>'
            '<D:sync-level>1</D:sync-level><D:prop>%s</D:prop></D:sync-collection>'
            % (token, props))


def sync(client, token: str = "", props: str = "<D:getetag/>", path: str = CAL):
    response = client.request("REPORT", path, sync_body(token, props), depth="1",
                              content_type="application/xml")
    assert response.status == 207, response.text
    return response


def token_of(response) -> str:
    return re.search(r"<sync-token>([^<]*)</sync-token>", response.text).group(1)


def responses(response) -> dict[str, str]:
    """href → the status or the ETag of each item response."""
    found = {}
    for part in re.findall(r"<response>(.*?)</response>", response.text, re.S):
        href = re.search(r"<href>([^<]*)</href>", part).group(1)
        etag = re.search(r"<getetag>([^<]*)</getetag>", part)
        found[href] = etag.group(1) if etag else re.search(r"<status>([^<]*)</status>",
                                                            part).group(1)
    return found


def without_token(text: str) -> str:
    return re.sub(r"<sync-token>[^<]*</sync-token>", "", text)


ENTRIES = [
    event("plain", "X-KAMIN-BUILDING:LG-1"),
    "UID:berlin\nDTSTAMP:20261101T100000Z\nDTSTART;TZID=Europe/Berlin:20261210T080000\n"
    "DTEND;TZID=Europe/Berlin:20261210T083000\nSUMMARY:Kehrung\nX-KAMIN-KIND:external",
    "UID:weekly\nDTSTAMP:20261101T100000Z\nDTSTART:20261102T080000Z\nDTEND:20261102T083000Z\n"
    "RRULE:FREQ=WEEKLY;BYDAY=MO\nSUMMARY:Teamrunde",
    event("gone"),
]


@pytest.fixture
def filled(client, app, storage_folder):
    """anna's calendar with entries PUT, one deleted, one plain and one
    recurring file copied in (and read once, as a client would)."""
    for number, body in enumerate(ENTRIES):
        assert client.put(CAL + "e%d.ics" % number, ics(body, timezone=True)).status == 201
    assert client.request("DELETE", CAL + "e3.ics").status == 200
    folder = storage_folder / "collection-root" / "anna" / "termine"
    (folder / "outside.ics").write_bytes(ics(event("outside")).encode())
    (folder / "series.ics").write_bytes(ics(
        event("series", "RRULE:FREQ=DAILY;COUNT=3")).encode())
    for name in ("outside.ics", "series.ics"):
        assert client.get(CAL + name).status == 200
    return client


@pytest.fixture
def stock(storage_folder):
    """Stock Radicale on the plugin's storage folder."""
    return Client(Application(load_config(storage_folder, storage={"type": "multifilesystem"})),
                  "anna")


@pytest.mark.parametrize("props", BODIES.values(), ids=BODIES.keys())
def test_propfind_depth_1_is_stocks_answer_byte_for_byte(filled, stock, props):
    ours = filled.request("PROPFIND", CAL, propfind(props), depth="1")
    theirs = stock.request("PROPFIND", CAL, propfind(props), depth="1")
    assert ours.status == theirs.status == 207
    assert ours.text.count("<response>") == 6          # the calendar and five items
    assert ours.body == theirs.body


@pytest.mark.parametrize("body", ["", "<D:propfind xmlns:D='DAV:'><D:propname/></D:propfind>"],
                         ids=["allprop", "propname"])
def test_allprop_and_propname_are_stocks_but_for_the_sync_token(filled, stock, body):
    ours = filled.request("PROPFIND", CAL, body, depth="1")
    theirs = stock.request("PROPFIND", CAL, body, depth="1")
    assert without_token(ours.text) == without_token(theirs.text)


def test_the_listing_comes_from_the_index_not_the_files(filled, stock, storage_folder):
    """A file rewritten in place — same size, same times, its folder's time
    kept: the index has not read it (the periodic check would), stock has."""
    path = storage_folder / "collection-root" / "anna" / "termine" / "e0.ics"
    folder_times = os.stat(path.parent).st_atime_ns, os.stat(path.parent).st_mtime_ns
    times = os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns
    path.write_bytes(path.read_bytes().replace(b"Kehrung", b"Kehrunx"))
    os.utime(path, ns=times)
    os.utime(path.parent, ns=folder_times)
    ours = responses(filled.request("PROPFIND", CAL, propfind(LISTING), depth="1"))
    theirs = responses(stock.request("PROPFIND", CAL, propfind(LISTING), depth="1"))
    changed = "/anna/termine/e0.ics"
    assert ours[changed] != theirs[changed]
    assert ours[CAL] != theirs[CAL]                          # the CTag is made of them
    assert {h: e for h, e in ours.items() if h not in (changed, CAL)} == \
        {h: e for h, e in theirs.items() if h not in (changed, CAL)}


def test_listed_etags_are_what_a_client_downloads(filled):
    listed = responses(filled.request("PROPFIND", CAL, propfind(LISTING), depth="1"))
    for href, etag in listed.items():
        if href != CAL:
            assert filled.get(href).headers["etag"] == etag, href


def test_etags_radicale_gives_anew_after_losing_its_cache_are_listed_and_synced(
        filled, storage_folder):
    """Radicale writes an entry the plugin wrote otherwise when it reads it
    again with vobject (a recurring one): the new ETag is listed from then
    on, and a sync names the entry once — else a client would download it
    on every poll."""
    token = token_of(sync(filled))
    shutil.rmtree(storage_folder / "collection-root" / "anna" / "termine" / ".Radicale.cache")
    downloaded = {}
    for href in responses(filled.request("PROPFIND", CAL, propfind(LISTING), depth="1")):
        if href != CAL:
            downloaded[href] = filled.get(href).headers["etag"]
    listed = responses(filled.request("PROPFIND", CAL, propfind(LISTING), depth="1"))
    assert {h: e for h, e in listed.items() if h != CAL} == downloaded
    changed = responses(sync(filled, token))
    assert "/anna/termine/e2.ics" in changed                # the weekly one
    assert all(downloaded[h] == e for h, e in changed.items())
    assert responses(sync(filled, token_of(sync(filled, token)))) == {}


def test_ctag_and_last_modified_are_stocks(filled, stock):
    props = '<CS:getctag xmlns:CS="http://calendarserver.org/ns/"/><D:getlastmodified/>'
    ours = filled.request("PROPFIND", CAL, propfind(props), depth="0")
    theirs = stock.request("PROPFIND", CAL, propfind(props), depth="0")
    assert ours.text == theirs.text and "getctag>&quot;" not in ours.text


def test_a_calendar_holding_a_collection_is_listed_by_radicale(filled, stock, storage_folder):
    sub = storage_folder / "collection-root" / "anna" / "termine" / "sub"
    sub.mkdir()
    ours = filled.request("PROPFIND", CAL, propfind(LISTING), depth="1")
    assert ours.body == stock.request("PROPFIND", CAL, propfind(LISTING), depth="1").body


def test_a_users_home_lists_its_calendars(filled, stock):
    filled.mkcalendar(OTHER)
    ours = filled.request("PROPFIND", "/anna/", propfind(LISTING), depth="1")
    assert ours.body == stock.request("PROPFIND", "/anna/", propfind(LISTING), depth="1").body


# --- sync-collection ---------------------------------------------------------------

@pytest.fixture
def both(tmp_path):
    """The plugin and stock Radicale, each in a folder of its own."""
    return plugin_and_stock(tmp_path, CAL, OTHER)


def on_both(both, method, path, body="", **headers):
    for client in both:
        response = client.request(method, path, body, **headers)
        assert response.status < 300, (method, path, response.status)


def statuses(response) -> dict[str, str]:
    """href → "etag" or the status of a 404: what a sync names."""
    return {h: "etag" if v.startswith('"') else v for h, v in responses(response).items()}


def test_syncs_name_what_stock_names(both):
    kamin, stock = both
    for name in "abcd":
        on_both(both, "PUT", CAL + name + ".ics", ics(event(name)), content_type="text/calendar")
    on_both(both, "DELETE", CAL + "d.ics")
    first = [sync(c) for c in both]
    assert statuses(first[0]) == statuses(first[1])
    assert statuses(first[0])["/anna/termine/d.ics"] == "HTTP/1.1 404 Not Found"
    tokens = [token_of(r) for r in first]
    on_both(both, "PUT", CAL + "e.ics", ics(event("e")), content_type="text/calendar")
    on_both(both, "PUT", CAL + "a.ics", ics(event("a", summary="anders")),
            content_type="text/calendar")
    on_both(both, "DELETE", CAL + "b.ics")
    on_both(both, "MOVE", CAL + "c.ics", destination="http://localhost:5232" + OTHER + "c.ics")
    later = [sync(c, t) for c, t in zip(both, tokens)]
    assert statuses(later[0]) == statuses(later[1]) == {
        "/anna/termine/e.ics": "etag", "/anna/termine/a.ics": "etag",
        "/anna/termine/b.ics": "HTTP/1.1 404 Not Found",
        "/anna/termine/c.ics": "HTTP/1.1 404 Not Found"}
    again = [sync(c, token_of(r)) for c, r in zip(both, later)]
    for previous, answer in zip(later, again):
        assert token_of(answer) == token_of(previous) and responses(answer) == {}
    moved = [sync(c, path=OTHER) for c in both]
    assert statuses(moved[0]) == statuses(moved[1]) == {"/anna/privat/c.ics": "etag"}


def test_sync_etags_are_the_listings(filled):
    listed = responses(filled.request("PROPFIND", CAL, propfind(LISTING), depth="1"))
    synced = responses(sync(filled))
    assert {h: e for h, e in listed.items() if h != CAL} == \
        {h: e for h, e in synced.items() if e.startswith('"')}
    assert synced["/anna/termine/e3.ics"] == "HTTP/1.1 404 Not Found"


def test_sync_serves_calendar_data(filled):
    data = sync(filled, props="<D:getetag/><C:calendar-data/>").text
    assert data.count("BEGIN:VCALENDAR") == 5 and "UID:weekly" in data
    assert "&lt;" not in data and "<C:calendar-data>" in data


@pytest.mark.parametrize("token", [
    "http://radicale.org/ns/sync/" + "0" * 64, "http://radicale.org/ns/sync/nonsense",
    "urn:other", "http://radicale.org/ns/sync/" + "a" * 64])
def test_a_token_it_cannot_answer_for_is_refused_as_stock_refuses_it(both, token):
    for client in both:
        response = client.request("REPORT", CAL, sync_body(token), depth="1",
                                  content_type="application/xml")
        assert response.status == 403 and "valid-sync-token" in response.text


def test_a_token_of_another_calendar_is_refused(client):
    client.mkcalendar(OTHER)
    token = token_of(sync(client, path=OTHER))
    response = client.request("REPORT", CAL, sync_body(token), depth="1",
                              content_type="application/xml")
    assert response.status == 403


def test_files_changed_outside_are_changes(client, app, storage_folder):
    client.put(CAL + "a.ics", ics(event("a")))
    token = token_of(sync(client))
    folder = storage_folder / "collection-root" / "anna" / "termine"
    (folder / "outside.ics").write_bytes(ics(event("outside")).encode())
    os.remove(folder / "a.ics")
    assert statuses(sync(client, token)) == {"/anna/termine/outside.ics": "etag",
                                             "/anna/termine/a.ics": "HTTP/1.1 404 Not Found"}


def test_tokens_outlive_a_restart_a_reindex_and_a_new_index_layout(client, storage_folder):
    client.put(CAL + "a.ics", ics(event("a")))
    token = token_of(sync(client))
    restarted = Client(Application(load_config(storage_folder)), "anna")
    assert responses(sync(restarted, token)) == {}
    restarted.app._storage.index.rebuild()
    assert responses(sync(restarted, token)) == {}
    index_file = storage_folder / "kamin-index.sqlite"
    with sqlite3.connect(index_file) as db:
        db.execute("UPDATE meta SET value='0/old' WHERE key='schema'")
    from radicale_kamin.server.index import connection
    connection._CHECKED_FILES.clear()
    renewed = Client(Application(load_config(storage_folder)), "anna")
    renewed.put(CAL + "b.ics", ics(event("b")))
    assert statuses(sync(renewed, token)) == {"/anna/termine/b.ics": "etag"}


def test_a_whole_calendar_put_starts_a_new_history(client):
    client.put(CAL + "a.ics", ics(event("a")))
    token = token_of(sync(client))
    assert client.put(CAL, ics(event("b"))).status == 201
    response = client.request("REPORT", CAL, sync_body(token), depth="1",
                              content_type="application/xml")
    assert response.status == 403


def test_old_deletions_are_forgotten_and_tokens_before_them_refused(client, app):
    client.put(CAL + "a.ics", ics(event("a")))
    client.put(CAL + "b.ics", ics(event("b")))
    before = token_of(sync(client))
    client.request("DELETE", CAL + "a.ics")
    after = token_of(sync(client))
    index = app._storage.index
    index.clock = lambda: 10 ** 10                      # long after: every deletion is old
    assert index.prune_history(max_age=30 * 24 * 3600) == 1
    assert client.request("REPORT", CAL, sync_body(before), depth="1",
                          content_type="application/xml").status == 403
    assert responses(sync(client, after)) == {}
    assert "/anna/termine/a.ics" not in responses(sync(client))


def test_writes_keep_no_radicale_history_for_calendars(client, storage_folder):
    client.put(CAL + "a.ics", ics(event("a")))
    client.put(CAL + "a.ics", ics(event("a", "SUMMARY:x")))
    client.request("DELETE", CAL + "a.ics")
    sync(client)
    cache = storage_folder / "collection-root" / "anna" / "termine" / ".Radicale.cache"
    assert not (cache / "history").exists() and not (cache / "sync-token").exists()


def test_address_books_keep_radicales_history(client, storage_folder):
    assert client.request("MKCOL", "/anna/kontakte/", textwrap.dedent("""\
        <?xml version="1.0"?><D:mkcol xmlns:D="DAV:"
          xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype>
          <D:collection/><CR:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>""")
        ).status == 201
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c1\r\nFN:Erika\r\nEND:VCARD\r\n"
    client.request("PUT", "/anna/kontakte/c1.vcf", card, content_type="text/vcard")
    token = token_of(sync(client, path="/anna/kontakte/"))
    client.request("PUT", "/anna/kontakte/c2.vcf", card.replace("c1", "c2"),
                   content_type="text/vcard")
    assert set(responses(sync(client, token, path="/anna/kontakte/"))) == {
        "/anna/kontakte/c2.vcf"}
    assert (storage_folder / "collection-root" / "anna" / "kontakte" / ".Radicale.cache"
            / "history").exists()


# --- the expansion itself ---------------------------------------------------------

def test_expand_repeats_the_template_response_for_each_item():
    p = listing.Placeholders("t0")
    answer = ('<?xml version="1.0"?><multistatus xmlns="DAV:"><response><href>/c/</href>'
              '</response><response><href>/c/%s</href><status>HTTP/1.1 404 Not Found</status>'
              '</response><response><href>/c/%s</href><propstat><prop><getetag>%s</getetag>'
              '<getcontenttype>text/calendar;charset=utf-8;component=%s</getcontenttype>'
              '<getlastmodified>%s</getlastmodified><getcontentlength>%d</getcontentlength>'
              '</prop></propstat></response></multistatus>'
              % (p.missing_name, p.name, p.etag, p.component, p.last_modified,
                 listing.TEXT_LENGTH)).encode()
    items = [listing.Listed("ä b.ics", '"1"', "VEVENT", "Mon", 7, 7),
             listing.Listed("x.ics", '"2"', "", "Tue", 9, 9)]
    out = listing.expand(answer, p, items, ["gone.ics"], "utf-8").decode()
    assert "/c/gone.ics</href><status>HTTP/1.1 404" in out
    assert ("<href>/c/%C3%A4%20b.ics</href><propstat><prop><getetag>\"1\"</getetag>"
            "<getcontenttype>text/calendar;charset=utf-8;component=VEVENT</getcontenttype>"
            "<getlastmodified>Mon</getlastmodified><getcontentlength>7</getcontentlength>") in out
    assert "<getcontenttype>text/calendar;charset=utf-8</getcontenttype>" in out
    assert p.token not in out and out.count("<response>") == 4


def test_expand_refuses_an_answer_with_the_template_twice():
    p = listing.Placeholders("t1")
    answer = ("<m><response><href>/c/%s</href></response><response><href>/c/%s</href>"
              "</response></m>" % (p.name, p.name)).encode()
    with pytest.raises(ValueError):
        listing.expand(answer, p, [], [], "utf-8")
