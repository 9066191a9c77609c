"""The side index behind REPORTs and UID checks: same answers as stock
Radicale, and back in step after changes outside Radicale."""

import os
import re

import pytest
from radicale import Application

from conftest import Client, event, ics, load_config, plugin_and_stock
from radicale_kamin.entries.facts import item_facts

CAL = "/anna/termine/"


def time_range_query(start: str, end: str) -> str:
    return """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="%s" end="%s"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>""" % (start, end)


def building_query(text: str, negate: str = "no", collation: str = "i;ascii-casemap",
                   time_range: str = "") -> str:
    return """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">%s
    <C:prop-filter name="X-KAMIN-BUILDING">
      <C:text-match negate-condition="%s" collation="%s">%s</C:text-match>
    </C:prop-filter>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>""" % (time_range, negate, collation, text)


def hrefs(response) -> list[str]:
    assert response.status == 207, response.text
    return sorted(re.findall(r"<href>[^<]*/([^/<]+\.ics)</href>", response.text))


def report(client, query):
    return hrefs(client.request("REPORT", CAL, query, depth="1",
                                content_type="application/xml"))


ENTRIES = [
    event("one", "X-KAMIN-BUILDING:LG-100", start="20261207T090000Z", end="20261207T100000Z"),
    event("two", "X-KAMIN-BUILDING:LG-1001", start="20261208T230000Z", end="20261209T010000Z"),
    event("three", "X-KAMIN-BUILDING:lg-200", start="20261214T090000Z", end="20261214T093000Z"),
    "UID:allday\nDTSTAMP:20261101T100000Z\nDTSTART;VALUE=DATE:20261209\nSUMMARY:Frist\n"
    "X-KAMIN-KIND:deadline\nX-KAMIN-BUILDING:LG-300",
    "UID:berlin\nDTSTAMP:20261101T100000Z\nDTSTART;TZID=Europe/Berlin:20261210T000000\n"
    "DTEND;TZID=Europe/Berlin:20261210T003000\nSUMMARY:Mitternacht",
    "UID:weekly\nDTSTAMP:20261101T100000Z\nDTSTART:20261102T080000Z\nDTEND:20261102T083000Z\n"
    "RRULE:FREQ=WEEKLY;BYDAY=MO\nSUMMARY:Teamrunde",
    "UID:floating\nDTSTAMP:20261101T100000Z\nDTSTART:20261209T120000\nDURATION:PT1H\nSUMMARY:x",
    event("umlaut", "X-KAMIN-BUILDING:LG-Ärztehaus", start="20261215T090000Z", end="20261215T100000Z"),
    event("wild", "X-KAMIN-BUILDING:LG_%7", start="20261216T090000Z", end="20261216T100000Z"),
    "UID:series\nDTSTAMP:20261101T100000Z\nDTSTART:20261103T080000Z\nDTEND:20261103T083000Z\n"
    "RRULE:FREQ=WEEKLY;COUNT=5\nSUMMARY:Serie\nX-KAMIN-BUILDING:LG-500",
]

QUERIES = [
    time_range_query("20261207T000000Z", "20261214T000000Z"),
    time_range_query("20261209T000000Z", "20261210T000000Z"),
    time_range_query("20261209T230000Z", "20261210T000000Z"),
    time_range_query("20261214T093000Z", "20261215T000000Z"),
    time_range_query("20270101T000000Z", "20270102T000000Z"),
    building_query("LG-100"), building_query("lg-1"), building_query("LG-3"),
    building_query("LG-100", negate="yes"), building_query("nichts"),
    building_query("lg-100", collation="i;octet"), building_query("LG-100", collation="i;octet"),
    building_query("lg-ä"), building_query("LG-5"), building_query("_%7"), building_query("G_%"),
    building_query("LG-%"),
    building_query("LG-1", time_range='<C:time-range start="20261208T000000Z" end="20261210T000000Z"/>'),
]


@pytest.fixture
def both(tmp_path):
    """The plugin and stock Radicale, each with the same entries."""
    clients = plugin_and_stock(tmp_path, CAL)
    for client in clients:
        for number, body in enumerate(ENTRIES):
            assert client.put(CAL + "e%d.ics" % number, ics(body, timezone=True)).status == 201
    return clients


@pytest.mark.parametrize("query", QUERIES)
def test_reports_answer_like_stock_radicale(both, query):
    kamin, stock = both
    assert report(kamin, query) == report(stock, query)


def test_report_finds_a_building_among_many(client):
    for number in range(30):
        client.put(CAL + "b%d.ics" % number, ics(event("b%d" % number, "X-KAMIN-BUILDING:LG-%03d" % number)))
    assert report(client, building_query("LG-017")) == ["b17.ics"]


def test_put_with_a_uid_already_in_the_calendar_is_a_conflict(client):
    assert client.put(CAL + "a.ics", ics(event("same"))).status == 201
    assert client.put(CAL + "b.ics", ics(event("same"))).status == 409
    assert client.get(CAL + "b.ics").status == 404


def test_uid_is_free_again_after_delete(client):
    client.put(CAL + "a.ics", ics(event("same")))
    assert client.request("DELETE", CAL + "a.ics").status == 200
    assert client.put(CAL + "b.ics", ics(event("same"))).status == 201


def _file(storage_folder, name):
    return storage_folder / "collection-root" / "anna" / "termine" / name


def test_file_added_outside_radicale_is_found(client, storage_folder):
    client.put(CAL + "a.ics", ics(event("a", "X-KAMIN-BUILDING:LG-1")))
    _file(storage_folder, "outside.ics").write_text(
        ics(event("outside", "X-KAMIN-BUILDING:LG-77")), encoding="utf-8")
    assert report(client, building_query("LG-77")) == ["outside.ics"]
    assert client.put(CAL + "c.ics", ics(event("outside"))).status == 409


def test_file_removed_outside_radicale_is_forgotten(client, storage_folder):
    client.put(CAL + "a.ics", ics(event("a", "X-KAMIN-BUILDING:LG-1")))
    os.remove(_file(storage_folder, "a.ics"))
    assert report(client, building_query("LG-1")) == []
    assert client.put(CAL + "b.ics", ics(event("a"))).status == 201


def test_file_edited_in_place_is_reindexed(storage_folder):
    app = Application(load_config(storage_folder, storage={"kamin_index_verify_seconds": "0"}))
    client = Client(app, "anna")
    client.mkcalendar(CAL)
    client.put(CAL + "a.ics", ics(event("a", "X-KAMIN-BUILDING:LG-1")))
    path = _file(storage_folder, "a.ics")
    directory_mtime = os.stat(path.parent).st_mtime_ns
    with open(path, "r+", encoding="utf-8", newline="") as f:
        text = f.read().replace("LG-1", "LG-9")
        f.seek(0)
        f.write(text)
        f.truncate()
    os.utime(path.parent, ns=(directory_mtime, directory_mtime))
    storage = app._storage
    storage.index.sync()
    assert [r["building"] for r in storage.index.rows("calendar='anna/termine'")] == ["LG-9"]


def test_deleted_index_file_is_rebuilt(client, app, storage_folder):
    client.put(CAL + "a.ics", ics(event("a", "X-KAMIN-BUILDING:LG-1")))
    index_file = storage_folder / "kamin-index.sqlite"
    assert index_file.exists()
    os.remove(index_file)
    assert report(client, building_query("LG-1")) == ["a.ics"]
    assert client.put(CAL + "b.ics", ics(event("a"))).status == 409


def test_corrupt_index_file_is_rebuilt(storage_folder):
    storage_folder.mkdir(parents=True)
    (storage_folder / "kamin-index.sqlite").write_bytes(b"this is not a database" * 100)
    app = Application(load_config(storage_folder))
    client = Client(app, "anna")
    client.mkcalendar(CAL)
    assert client.put(CAL + "a.ics", ics(event("a", "X-KAMIN-BUILDING:LG-1"))).status == 201
    assert report(client, building_query("LG-1")) == ["a.ics"]


def test_deleting_a_calendar_forgets_its_entries(client, app):
    client.put(CAL + "a.ics", ics(event("a", "X-KAMIN-BUILDING:LG-1")))
    assert client.request("DELETE", CAL).status == 200
    assert app._storage.index.rows("calendar='anna/termine'") == []


def test_whole_calendar_put_reindexes(client, app):
    client.put(CAL + "old.ics", ics(event("old", "X-KAMIN-BUILDING:LG-OLD")))
    client.put(CAL, ics(event("new", "X-KAMIN-BUILDING:LG-NEW")))
    rows = app._storage.index.rows("calendar='anna/termine'")
    assert [r["building"] for r in rows] == ["LG-NEW"]


def test_move_reindexes_both_calendars(client, app):
    client.mkcalendar("/anna/alt/")
    client.put("/anna/alt/m.ics", ics(event("m", "X-KAMIN-BUILDING:LG-M")))
    client.request("MOVE", "/anna/alt/m.ics", destination="http://localhost:5232" + CAL + "m.ics")
    index = app._storage.index
    assert index.rows("calendar='anna/alt'") == []
    assert [r["href"] for r in index.rows("calendar='anna/termine'")] == ["m.ics"]


def test_index_row_has_the_derived_state_and_valid_phone(client, app):
    client.put(CAL + "a.ics", ics(event("a", "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:089 123456",
                                        "LOCATION:Hauptstraße 12\\, 80331 München")))
    row, = app._storage.index.rows("calendar='anna/termine'")
    assert (row["state"], row["phone"], row["phone_type"]) == ("planned", "+4989123456", "fixed_line")
    assert row["exact"] == 1 and row["range_end"] - row["range_start"] == 3600


def test_etag_of_a_file_written_outside_survives_losing_radicales_cache(client, app, storage_folder):
    """Radicale's ETag for a file it did not write is the hash of vobject's
    re-serialisation; whatever the plugin does, that ETag must not change
    when Radicale's item cache is deleted (which Radicale allows)."""
    client.put(CAL + "a.ics", ics(event("a")))
    path = _file(storage_folder, "outside.ics")
    path.write_text(ics(event("outside", "X-KAMIN-BUILDING:LG-77")), encoding="utf-8")
    app._storage.index.sync()
    first = client.get(CAL + "outside.ics").headers["etag"]
    cache = path.parent / ".Radicale.cache" / "item" / "outside.ics"
    if cache.exists():
        cache.unlink()
    assert client.get(CAL + "outside.ics").headers["etag"] == first


def _radicale_etag_of_text(text: str) -> str:
    from radicale.item import get_etag
    return get_etag(text)


def _drop_item_cache(storage_folder, name):
    cache = _file(storage_folder, ".Radicale.cache") / "item" / name
    if cache.exists():
        cache.unlink()


@pytest.mark.parametrize("keyed_by_mtime", ["False", "True"])
def test_plain_file_written_outside_is_served_as_stored_with_the_index_etag(
        storage_folder, keyed_by_mtime):
    """Read without vobject: the text as in the file, its hash as ETag — the
    same the side index hands out, before and after Radicale's cache goes
    (whether Radicale keys its cache by content or by mtime and size)."""
    app = Application(load_config(storage_folder, storage={
        "use_mtime_and_size_for_item_cache": keyed_by_mtime}))
    client = Client(app, "anna")
    client.mkcalendar(CAL)
    text = ics(event("outside", "X-KAMIN-BUILDING:LG-77"), timezone=True)
    _file(storage_folder, "outside.ics").write_bytes(text.encode())
    assert report(client, building_query("LG-77")) == ["outside.ics"]
    response = client.get(CAL + "outside.ics")
    assert response.text == text
    assert response.headers["etag"] == _radicale_etag_of_text(text)
    row, = app._storage.index.rows("href='outside.ics'")
    assert row["etag"] == response.headers["etag"]
    _drop_item_cache(storage_folder, "outside.ics")
    assert client.get(CAL + "outside.ics").headers["etag"] == row["etag"]


def test_entry_written_through_the_plugin_keeps_its_etag_when_radicales_cache_goes(
        client, storage_folder):
    response = client.put(CAL + "a.ics", ics(event(
        "a", "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:089 123456",
        "LOCATION:Hauptstraße 12\\, 80331 München")))
    assert response.status == 201
    etag = client.get(CAL + "a.ics").headers["etag"]
    _drop_item_cache(storage_folder, "a.ics")
    again = client.get(CAL + "a.ics")
    assert again.headers["etag"] == etag
    assert "X-KAMIN-STATUS:planned" in again.text


@pytest.mark.parametrize("body", [
    # recurring: Radicale (vobject) reads it; the index asks Radicale for its ETag
    "UID:weekly\nDTSTAMP:20261101T100000Z\nDTSTART:20261102T080000Z\nDTEND:20261102T083000Z\n"
    "RRULE:FREQ=WEEKLY;BYDAY=MO\nSUMMARY:Teamrunde",
    event("lf-only"),       # written with bare LF line endings below
])
def test_index_etag_of_a_file_only_vobject_reads_is_radicales(client, app, storage_folder, body):
    text = ics(body)
    if "lf-only" in body:
        text = text.replace("\r\n", "\n")
    name = "odd.ics"
    _file(storage_folder, name).write_bytes(text.encode())
    app._storage.index.sync()
    row, = app._storage.index.rows("href=?", (name,))
    served = client.get(CAL + name)
    assert row["etag"] == served.headers["etag"] != _radicale_etag_of_text(text)
    _drop_item_cache(storage_folder, name)
    assert client.get(CAL + name).headers["etag"] == row["etag"]


PLAIN = [
    event("utc"),
    "UID:allday\nDTSTAMP:20261101T100000Z\nDTSTART;VALUE=DATE:20261209\nSUMMARY:Frist",
    "UID:days\nDTSTAMP:20261101T100000Z\nDTSTART;VALUE=DATE:20261209\n"
    "DTEND;VALUE=DATE:20261212\nSUMMARY:Urlaub",
    "UID:berlin\nDTSTAMP:20261101T100000Z\nDTSTART;TZID=Europe/Berlin:20261025T023000\n"
    "DTEND;TZID=Europe/Berlin:20261025T033000\nSUMMARY:Zeitumstellung",
    "UID:summer\nDTSTAMP:20261101T100000Z\nDTSTART;TZID=Europe/Berlin:20260715T090000\n"
    "DURATION:PT90M\nSUMMARY:Sommer",
    "UID:floating\nDTSTAMP:20261101T100000Z\nDTSTART:20261209T120000\nDURATION:PT1H\nSUMMARY:x",
    "UID:instant\nDTSTAMP:20261101T100000Z\nDTSTART:20261209T120000Z\nSUMMARY:Moment",
    "UID:zero\nDTSTAMP:20261101T100000Z\nDTSTART:20261209T120000Z\nDURATION:PT0S\nSUMMARY:z",
    event("alarm", "BEGIN:VALARM\nACTION:DISPLAY\nDESCRIPTION:x\nTRIGGER:-PT15M\nEND:VALARM"),
]


@pytest.mark.parametrize("body", PLAIN)
def test_plain_reading_gives_radicales_own_facts(body):
    """What the storage caches without vobject — UID, component, time range
    — equals what Radicale computes with vobject."""
    from radicale import item as radicale_item
    from radicale_kamin.entries.facts import plain_item
    text = ics(body, timezone=True)
    vobject_item, = radicale_item.read_components(text)
    item = radicale_item.Item(collection_path="anna/termine", vobject_item=vobject_item)
    assert plain_item(text) == (item.uid, item.component_name, item.time_range)
    assert item_facts(text).plain


@pytest.mark.parametrize("text", [
    ics("UID:r\nDTSTAMP:20261101T100000Z\nDTSTART:20261102T080000Z\nRRULE:FREQ=DAILY;COUNT=2"),
    ics(event("a"), event("b")),
    ics(event("lf")).replace("\r\n", "\n"),
    ics(event("both", "DURATION:PT0S")),
    ics("UID:nostart\nDTSTAMP:20261101T100000Z\nSUMMARY:x"),
    ics("DTSTAMP:20261101T100000Z\nDTSTART:20261102T080000Z\nSUMMARY:no uid"),
    ics("UID:zone\nDTSTART;TZID=Mars/Olympus:20261102T080000\nSUMMARY:x"),
    ics(event("todo")).replace("VEVENT", "VTODO"),
    "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20261102T080000Z\r\n",
])
def test_items_only_vobject_can_read_are_not_plain(text):
    from radicale_kamin.entries.facts import plain_item
    assert plain_item(text) is None
    try:
        assert not item_facts(text).plain
    except ValueError:
        pass                # not an iCalendar object at all


def test_two_threads_indexing_a_calendar_read_each_file_once(client, app, storage_folder):
    """A request and the background check arriving at a calendar full of new
    files: one indexes it, the other waits and finds nothing left."""
    import threading
    for number in range(300):
        _file(storage_folder, "n%03d.ics" % number).write_text(
            ics(event("n%03d" % number, "X-KAMIN-BUILDING:LG-%d" % number)), encoding="utf-8")
    index = app._storage.index
    read, original = [], index._index_file

    def counting(calendar, href):
        read.append(href)
        original(calendar, href)

    index._index_file = counting
    threads = [threading.Thread(target=index.sync, args=(["anna/termine"],)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(read) == ["n%03d.ics" % n for n in range(300)]
    assert report(client, building_query("LG-299")) == ["n299.ics"]


def _row(calendar, href, text):
    from dataclasses import asdict
    return {"calendar": calendar, "href": href, **asdict(item_facts(text))}


def test_settled_deadlines_per_building_whichever_calendar_holds_the_booking():
    from radicale_kamin.schedule.calls import CallSettings
    from radicale_kamin.schedule.due import settled_deadlines

    def deadline(uid, building):
        return ics("UID:%s\nDTSTAMP:20261101T100000Z\nDTSTART;VALUE=DATE:20261228\n"
                   "SUMMARY:Frist\nX-KAMIN-KIND:deadline\nX-KAMIN-BUILDING:%s" % (uid, building))

    rows = [
        _row("anna/termine", "d1.ics", deadline("d1", "LG-1")),
        _row("anna/termine", "d2.ics", deadline("d2", "LG-2")),
        _row("anna/termine", "d3.ics", deadline("d3", "LG-3")),
        _row("ben/termine", "b1.ics", ics(event("b1", "X-KAMIN-KIND:external",
                                                 "X-KAMIN-BUILDING:LG-1", start="20261210T090000Z",
                                                 end="20261210T100000Z"))),
        _row("ben/termine", "b2.ics", ics(event("b2", "X-KAMIN-KIND:external",    # after the due date
                                                 "X-KAMIN-BUILDING:LG-2", start="20270110T090000Z",
                                                 end="20270110T100000Z"))),
        _row("ben/termine", "b3.ics", ics(event("b3", "X-KAMIN-BUILDING:LG-3"))),  # not a booking
    ]
    assert settled_deadlines(rows, CallSettings()) == {
        ("anna/termine", "d1.ics"): True, ("anna/termine", "d2.ics"): False,
        ("anna/termine", "d3.ics"): False}


def test_a_file_that_is_not_utf8_is_skipped_not_a_500(client, app, storage_folder):
    client.put(CAL + "a.ics", ics(event("a", "X-KAMIN-BUILDING:LG-1")))
    _file(storage_folder, "latin1.ics").write_bytes(
        ics(event("latin1", "X-KAMIN-BUILDING:LG-1", summary="Kehrung Müller")).encode("latin-1"))
    assert report(client, building_query("LG-1")) == ["a.ics"]
    row, = app._storage.index.rows("href='latin1.ics'")
    assert not row["valid"]
    assert client.put(CAL + "b.ics", ics(event("b"))).status == 201


def test_an_index_file_replaced_in_place_is_checked_again(tmp_path):
    """Connections after the first only read the index's version; a file
    emptied in place (same inode) is noticed and set up again."""
    import threading
    from radicale_kamin.server.index import INDEX_FILE, SideIndex
    (tmp_path / "collection-root").mkdir()
    first = SideIndex(str(tmp_path), str(tmp_path / "collection-root"))
    assert first.rows() == []
    first.db.close()
    for suffix in ("-wal", "-shm"):
        if (tmp_path / (INDEX_FILE + suffix)).exists():
            os.remove(tmp_path / (INDEX_FILE + suffix))
    with open(tmp_path / INDEX_FILE, "r+b") as f:
        f.truncate(0)
    found = []
    again = SideIndex(str(tmp_path), str(tmp_path / "collection-root"))
    thread = threading.Thread(target=lambda: found.append(again.rows()))
    thread.start()
    thread.join()
    assert found == [[]]


def test_a_request_thread_takes_over_the_connection_of_one_that_ended(client, app):
    """Radicale serves each request in a new thread: its index connection
    (with SQLite's page cache) is handed on, not opened anew."""
    import threading
    client.put(CAL + "a.ics", ics(event("a", "X-KAMIN-BUILDING:LG-1")))
    index = app._storage.index
    seen = []

    def request():
        assert index.rows("building='LG-1'")[0]["href"] == "a.ics"
        seen.append(index.db)           # kept alive: ids are not reused

    for _ in range(3):
        thread = threading.Thread(target=request)
        thread.start()
        thread.join()
    assert len({id(connection) for connection in seen}) == 1
