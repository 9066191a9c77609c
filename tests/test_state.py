"""The durable state store: holds and leases outlive every rebuild of the
side index, and its layout only ever migrates forward."""

from __future__ import annotations

import sqlite3
import threading

import pytest

from radicale_kamin.server.state import STATE_FILE, StateStore


def test_a_hold_is_kept_until_it_expires(tmp_path):
    state = StateStore(str(tmp_path))
    state.hold("h1", "anna/termine", 100, 200, until=500, holder="assistant")
    assert [h["id"] for h in state.active_holds("anna/termine", 150, 160, now=400)] == ["h1"]
    assert state.active_holds("anna/termine", 200, 300, now=400) == []     # another time
    assert state.get_hold("h1", now=499)["holder"] == "assistant"
    assert state.active_holds("anna/termine", 150, 160, now=500) == []     # expired
    assert state.get_hold("h1", now=500) is None


def test_state_survives_a_new_store_on_the_same_folder(tmp_path):
    StateStore(str(tmp_path)).lease("+4989123456", "a1", "assistant", until=1000)
    again = StateStore(str(tmp_path))
    assert list(again.active_leases(now=10)) == ["+4989123456"]
    assert again.release(uid="a1") == 1
    assert again.active_leases(now=10) == {}


def test_a_failed_transaction_leaves_nothing(tmp_path):
    state = StateStore(str(tmp_path))
    with pytest.raises(RuntimeError):
        with state.transaction() as db:
            state.lease("+491", "a", "x", until=100, db=db)
            raise RuntimeError("the call was not handed out")
    assert state.active_leases(now=0) == {}


def test_a_newer_layout_is_refused_not_overwritten(tmp_path):
    StateStore(str(tmp_path)).hold("h", "c", 1, 2, 3, "u")
    with sqlite3.connect(str(tmp_path / STATE_FILE)) as db:
        db.execute("UPDATE meta SET value='99' WHERE key='version:bookings'")
    with pytest.raises(sqlite3.DatabaseError, match="newer version"):
        StateStore(str(tmp_path)).get_hold("h", 0)
    with sqlite3.connect(str(tmp_path / STATE_FILE)) as db:
        assert db.execute("SELECT count(*) FROM holds").fetchone() == (1,)


def test_threads_share_the_pool_without_losing_writes(tmp_path):
    state = StateStore(str(tmp_path), pool_size=2)

    def lease(number):
        state.lease("+49%d" % number, "u%d" % number, "assistant", until=10_000)

    threads = [threading.Thread(target=lease, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(state.active_leases(now=0)) == 20


def test_a_concern_registered_later_gets_its_tables(tmp_path):
    from radicale_kamin.server import state as state_module

    store = StateStore(str(tmp_path))
    store.hold("h", "c", 1, 2, 3, "u")
    state_module.register_schema("test-notes", ("CREATE TABLE test_notes (text TEXT)",))
    try:
        with store.connection() as db:
            db.execute("INSERT INTO test_notes VALUES ('x')")
            assert db.execute("SELECT count(*) FROM holds").fetchone()[0] == 1
    finally:
        del state_module._SCHEMAS["test-notes"]


def test_a_hold_and_a_lease_survive_rebuilding_the_index(app, client, storage_folder):
    """A promise made on the phone outlives ``kamin reindex``, a corrupt
    index file and changed calling options (each rebuilds the index)."""
    import json
    import urllib.parse

    from conftest import Client, event, ics

    api = "/.web/kamin/api/"
    now = urllib.parse.quote("2026-12-01T10:00:00+01:00")
    assistant = Client(app, "assistant")
    held = assistant.request("POST", api + "holds?now=" + now, json.dumps(
        {"start": "2026-12-08T09:00:00+01:00", "duration": 60, "staff": "anna"}),
        content_type="application/json")
    assert held.status == 201
    assert client.put("/anna/termine/a.ics", ics(event(
        "a", "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:089 123456",
        "LOCATION:Hauptstraße 12\\, 80331 München",
        start="20261207T090000Z", end="20261207T100000Z"))).status == 201
    monday = urllib.parse.quote("2026-11-30T10:00:00+01:00")
    assert len(json.loads(assistant.get(api + "due-calls?now=" + monday).text)["calls"]) == 1
    app._storage.index.rebuild()                               # what kamin reindex does
    (storage_folder / "kamin-index.sqlite").write_bytes(b"kaputt" * 1000)   # and a damaged file
    meister = Client(app, "meister")
    taken = meister.request("POST", api + "bookings?now=" + now, json.dumps(
        {"start": "2026-12-08T09:00:00+01:00", "duration": 60, "staff": "anna",
         "customer": "Familie Maier"}), content_type="application/json")
    assert taken.status == 409
    assert json.loads(assistant.get(api + "due-calls?now=" + monday).text)["calls"] == []
