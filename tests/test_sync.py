"""External calendars mirrored into a staff calendar through the storage:
a real feed served by a local HTTP server, changes, deletions, failures."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import re
import subprocess
import sys
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from radicale import Application

from conftest import FIXTURES, ROOT, Client, load_config, prop
from radicale_kamin.feeds.config import Subscription
from radicale_kamin.feeds.sync import load_states, sync_all

FEEDS = FIXTURES / "feeds"
NOW = dt.datetime(2026, 7, 1, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))


class Feed:
    """What the local server answers: a body or an error status."""
    body: bytes = b""
    status: int = 200


@pytest.fixture
def feed_server():
    feed = Feed()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if feed.status != 200:
                self.send_response(feed.status)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            self.send_header("Content-Length", str(len(feed.body)))
            self.end_headers()
            self.wfile.write(feed.body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield feed, "http://127.0.0.1:%d/anna.ics" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def setup(tmp_path, feed_server, storage_folder):
    feed, url = feed_server
    subscriptions_file = tmp_path / "subscriptions.ini"
    subscriptions_file.write_text("[privat-anna]\nurl = %s\ncalendar = /anna/termine/\n"
                                  "interval = 60\n" % url)
    app = Application(load_config(storage_folder, storage={
        "kamin_subscriptions": str(subscriptions_file)}))
    anna = Client(app, "anna")
    anna.mkcalendar("/anna/termine/")
    store = app._web.api.storage
    subscription = Subscription("privat-anna", url, "/anna/termine/", 60)
    return feed, store, subscription, anna, subscriptions_file


def mirrored(store):
    return {r["uid"]: r for r in store.index.rows("source = 'privat-anna'")}


def test_feed_is_mirrored_as_white_individual_entries(setup, storage_folder):
    feed, store, subscription, anna, _ = setup
    feed.body = (FEEDS / "google_private_feed.ics").read_bytes()
    outcome, = sync_all(store, [subscription], str(storage_folder), NOW)
    assert outcome.status == "changed" and outcome.created > 0
    rows = mirrored(store)
    assert len(rows) == outcome.created
    text = anna.get("/anna/termine/" + next(iter(rows.values()))["href"]).text
    assert (prop(text, "X-KAMIN-KIND"), prop(text, "COLOR")) == ("individual", "white")
    assert "ATTENDEE" not in text


def test_changes_and_deletions_upstream_follow(setup, storage_folder):
    feed, store, subscription, anna, _ = setup
    feed.body = (FEEDS / "google_private_feed.ics").read_bytes()
    sync_all(store, [subscription], str(storage_folder), NOW)
    before = set(mirrored(store))
    feed.body = (FEEDS / "feed_changed.ics").read_bytes()
    outcome, = sync_all(store, [subscription], str(storage_folder), NOW, force=True)
    after = set(mirrored(store))
    assert outcome.deleted == len(before - after) and outcome.deleted > 0
    assert outcome.created == len(after - before)
    again, = sync_all(store, [subscription], str(storage_folder), NOW, force=True)
    assert again.status == "unchanged"


def test_failing_feed_keeps_the_last_good_copy_and_says_so(setup, storage_folder, app=None):
    feed, store, subscription, anna, _ = setup
    feed.body = (FEEDS / "google_private_feed.ics").read_bytes()
    sync_all(store, [subscription], str(storage_folder), NOW)
    before = set(mirrored(store))
    feed.status = 500
    outcome, = sync_all(store, [subscription], str(storage_folder), NOW, force=True)
    assert outcome.status == "failed" and "500" in outcome.error
    assert set(mirrored(store)) == before
    state = load_states(str(storage_folder))["privat-anna"]
    assert state.last_error and state.last_success
    status = json.loads(anna.get("/.web/kamin/api/subscriptions").text)["subscriptions"]
    assert status[0]["name"] == "privat-anna" and status[0]["ok"] is False
    assert "500" in status[0]["last_error"]


def test_mirrored_events_block_free_slots(setup, storage_folder):
    feed, store, subscription, anna, _ = setup
    body = (FEEDS / "google_private_feed.ics").read_text()
    feed.body = body.encode()
    sync_all(store, [subscription], str(storage_folder), NOW)
    row = next(r for r in mirrored(store).values() if r["blocks"] and not r["all_day"])
    start = dt.datetime.fromtimestamp(row["start"], ZoneInfo("Europe/Berlin"))
    day = start.date().isoformat()
    answer = json.loads(anna.get("/.web/kamin/api/slots?from=%sT00:00&to=%sT23:59&now=%s" % (
        day, day, "2026-06-01T08:00")).text)
    assert all(not (s["start"] <= start.isoformat() < s["end"]) for s in answer["slots"])


def test_kamin_sync_command(setup, storage_folder, tmp_path):
    feed, store, subscription, anna, subscriptions_file = setup
    feed.body = (FEEDS / "google_private_feed.ics").read_bytes()
    config = (ROOT / "config" / "radicale.conf").read_text()
    config = config.replace("filesystem_folder = var/collections",
                            "filesystem_folder = %s" % storage_folder)
    config = re.sub(r"(?m)^kamin_subscriptions =.*$",
                    "kamin_subscriptions = %s" % subscriptions_file, config)
    (tmp_path / "radicale.conf").write_text(config)
    kamin = str(Path(sys.executable).with_name("kamin"))
    result = subprocess.run([kamin, "sync", "--config", str(tmp_path / "radicale.conf")],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("privat-anna: ")
    assert "neu" in result.stdout or "unverändert" in result.stdout
