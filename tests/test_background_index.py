"""A storage copied in is indexed in the background, progress in the log,
while requests are answered correctly from its files; sync tokens stay
safe when the index loses its last transactions."""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time

import pytest
from radicale import Application

from conftest import Client, event, ics, load_config
from radicale_kamin.server.index import background, connection, files, history

CAL = "/anna/termine/"
PROPFIND = ('<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>'
            '<D:getetag/><D:getcontenttype/><D:resourcetype/></D:prop></D:propfind>')
WEEK = ('<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns:D="DAV:" '
        'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter>'
        '<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range '
        'start="20261207T000000Z" end="20261214T000000Z"/></C:comp-filter></C:comp-filter>'
        '</C:filter></C:calendar-query>')
SYNC = ('<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:">'
        '<D:sync-token>%s</D:sync-token><D:prop><D:getetag/></D:prop></D:sync-collection>')


def copy_in(storage_folder, count: int) -> None:
    """A calendar written by another program: ``count`` entries, one a day."""
    folder = storage_folder / "collection-root" / "anna" / "termine"
    folder.mkdir(parents=True)
    (folder / ".Radicale.props").write_text('{"tag": "VCALENDAR"}')
    for day in range(count):
        start = "202612%02dT090000Z" % (day % 28 + 1)
        (folder / ("c%03d.ics" % day)).write_bytes(ics(event(
            "copied-%d" % day, "X-KAMIN-KIND:external", "X-KAMIN-CUSTOMER:Kunde %d" % day,
            start=start, end=start.replace("T09", "T10"))).encode())


def hrefs(response) -> list[str]:
    assert response.status == 207, response.text
    return sorted(re.findall(r"<href>[^<]*/([^/<]+\.ics)</href>", response.text))


def etags(response) -> dict[str, str]:
    return dict(re.findall(r"<href>([^<]*)</href><propstat><prop><getetag>([^<]*)<",
                           response.text))


@pytest.fixture
def gate(monkeypatch):
    """Holds the background indexer when it starts indexing a calendar."""
    opened = threading.Event()
    original = background.Background._index_batches

    def held(self, worker, calendar, hrefs, loud):
        opened.wait(30)
        return original(self, worker, calendar, hrefs, loud)

    monkeypatch.setattr(background.Background, "_index_batches", held)
    monkeypatch.setattr(files, "INLINE_LIMIT", 10)
    yield opened
    opened.set()


def wait_until(condition, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_copied_in_calendar_is_answered_from_its_files_while_it_is_indexed(
        storage_folder, gate, caplog):
    copy_in(storage_folder, 40)
    app = Application(load_config(storage_folder))
    anna, assistant = Client(app, "anna"), Client(app, "assistant")
    index = app._storage.index
    caplog.set_level(logging.INFO, logger="radicale")
    listing = anna.request("PROPFIND", CAL, PROPFIND, depth="1")
    assert len(hrefs(listing)) == 40
    wait_until(lambda: index._indexing_in_background("anna/termine"))
    # The indexer is busy with the calendar: every answer comes from the files.
    assert len(hrefs(anna.request("PROPFIND", CAL, PROPFIND, depth="1"))) == 40
    week = hrefs(anna.request("REPORT", CAL, WEEK, depth="1", content_type="application/xml"))
    assert week == ["c%03d.ics" % d for d in range(6, 13)] + \
        ["c%03d.ics" % d for d in range(34, 40)]
    synced = anna.request("REPORT", CAL, SYNC % "", depth="1", content_type="application/xml")
    assert len(hrefs(synced)) == 40
    duplicate = anna.put(CAL + "new.ics", ics(event("copied-3")))
    assert duplicate.status == 409                          # its UID is in a copied file
    due = assistant.get("/.web/kamin/api/due-calls?now=2026-12-07T10:00")
    assert due.status == 503 and due.headers["retry-after"] == "30"
    assert "still being built" in due.text
    gate.set()
    wait_until(lambda: not index._indexing_in_background("anna/termine")
               and index.stale("anna/termine") == [])
    assert assistant.get("/.web/kamin/api/due-calls?now=2026-12-07T10:00").status == 200
    indexed = anna.request("PROPFIND", CAL, PROPFIND, depth="1")
    assert etags(indexed) == etags(listing)
    assert etags(anna.request("REPORT", CAL, SYNC % "", depth="1",
                              content_type="application/xml")) == etags(synced)
    log = caplog.text
    assert "anna/termine will be indexed in the background" in log
    assert "indexing 40 files of anna/termine in the background" in log
    assert "anna/termine: 40 of 40 files indexed" in log


def test_a_few_files_changed_outside_are_indexed_by_the_request(storage_folder, monkeypatch):
    copy_in(storage_folder, 5)
    app = Application(load_config(storage_folder))
    anna = Client(app, "anna")
    assert len(hrefs(anna.request("PROPFIND", CAL, PROPFIND, depth="1"))) == 5
    assert app._storage.index.stale("anna/termine") == []
    assert not app._storage.index._indexing_in_background("anna/termine")


def test_a_command_indexes_what_it_needs_itself(storage_folder, monkeypatch):
    from radicale_kamin.commands import kamin_storage

    monkeypatch.setattr(files, "INLINE_LIMIT", 10)
    copy_in(storage_folder, 40)
    store = kamin_storage(load_config(storage_folder))
    assert store.index.sync(["anna/termine"]) == 40


def test_tokens_stay_safe_when_the_index_loses_its_last_transactions(storage_folder):
    """A power loss may take the index's last commits (synchronous=NORMAL):
    the changes found again at the next start, and those made while the
    server was down, are never numbered below a token handed out before."""
    anna = Client(Application(load_config(storage_folder)), "anna")
    anna.mkcalendar(CAL)
    anna.put(CAL + "a.ics", ics(event("a")))
    index_file = storage_folder / "kamin-index.sqlite"
    saved = storage_folder / "saved.sqlite"
    with sqlite3.connect(index_file) as source, sqlite3.connect(saved) as target:
        source.backup(target)
    anna.put(CAL + "b.ics", ics(event("b")))
    anna.put(CAL + "c.ics", ics(event("c")))
    token = re.search(r"<sync-token>([^<]*)<", anna.request(
        "REPORT", CAL, SYNC % "", depth="1", content_type="application/xml").text).group(1)
    # The power goes: the index as it was before b and c, a new process.
    connection._POOLS.clear()
    connection._CHECKED_FILES.clear()
    history._CHANGED.clear()
    for suffix in ("", "-wal", "-shm"):
        (storage_folder / ("kamin-index.sqlite" + suffix)).unlink(missing_ok=True)
    saved.rename(index_file)
    calendar = storage_folder / "collection-root" / "anna" / "termine"
    # Written while it was down, found first when the files are compared.
    (calendar / "0.ics").write_bytes(ics(event("0")).encode())
    restarted = Client(Application(load_config(storage_folder)), "anna")
    answer = restarted.request("REPORT", CAL, SYNC % token, depth="1",
                               content_type="application/xml")
    assert "0.ics" in hrefs(answer)
