"""Imports and feed sync: radicale_kamin vs stock Radicale, in one run.

* Import: a ZIV export (tests/ziv_fixture.py) of N records through
  ``kamin import``'s code into a real storage, first import and re-import;
  against stock Radicale, the only way to load entries there is one HTTP
  PUT per entry — timed for the first ``--stock-sample`` entries of the
  same import on a stock server process, and extrapolated per entry.
* Feed sync: a generated 2,000-event feed (bench/bench_feed.py) served by a
  local HTTP server, mirrored by ``kamin sync``'s code: the first sync, an
  unchanged one (304) and one after upstream changes.

    .venv/bin/python bench/bench_import.py [--buildings 10000] [--stock-sample 300]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.server
import pathlib
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from zoneinfo import ZoneInfo

import requests

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from radicale import Application  # noqa: E402

from bench_feed import generate as generate_feed  # noqa: E402
from conftest import Client, load_config  # noqa: E402
from radicale_kamin.importing import run as importer
from radicale_kamin.importing import read_file  # noqa: E402
from radicale_kamin.feeds.config import Subscription
from radicale_kamin.feeds.sync import sync_all
from ziv_fixture import build_ziv  # noqa: E402

BERLIN = ZoneInfo("Europe/Berlin")
RADICALE = str(pathlib.Path(sys.executable).with_name("radicale"))


def timed(function):
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def bench_import(workdir: pathlib.Path, buildings: int, sample: int) -> None:
    path = build_ziv(workdir / "export.sqlite", buildings=buildings)
    app = Application(load_config(workdir / "kamin"))
    Client(app, "anna").mkcalendar("/anna/termine/")
    store = app._web.api.storage
    now = dt.datetime.now(BERLIN).replace(microsecond=0)
    read_seconds, result = timed(lambda: read_file(str(path)))

    def run(moment):
        return importer.run(store, result, "export", "anna/termine", "anna/kontakte", False,
                            moment, {"anna": "anna/termine"})

    first, report = timed(lambda: run(now))
    # The office re-imports the same export a day later: with a later
    # "now", an import that rewrote unchanged entries (a new stamp, say)
    # would show here as updates; the same "now" would hide it.
    again, second = timed(lambda: run(now + dt.timedelta(days=1)))
    records = len(result.records)
    items = sum(report.written.values())
    print("import of %d ZIV records (%d contacts and entries written)" % (records, items))
    print("  read the file            %7.1f s" % read_seconds)
    print("  first import             %7.1f s   (%.2f ms per record)" % (first, first / records * 1000))
    print("  re-import a day later    %7.1f s   (%s)" % (again, ", ".join(
        "%d %s" % (count, name) for name, count in second.written.items())))
    # Stock Radicale: one PUT per entry over HTTP, on the same entries.
    texts = [p.read_text(encoding="utf-8") for p in sorted(
        (workdir / "kamin" / "collection-root" / "anna" / "termine").iterdir())
        if not p.name.startswith(".")][:sample]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [RADICALE, "--config", "config/radicale.conf", "--server-hosts", "127.0.0.1:%d" % port,
         "--storage-filesystem-folder", str(workdir / "stock"), "--logging-level", "warning",
         "--storage-type", "multifilesystem", "--web-type", "internal"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d" % port
    try:
        session = requests.Session()
        session.auth = ("anna", "anna-demo")
        for _ in range(200):
            try:
                session.get(url + "/.web/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        session.request("MKCALENDAR", url + "/anna/termine/")
        stock_seconds, _ = timed(lambda: [session.put(
            url + "/anna/termine/s%d.ics" % n, data=text.encode(),
            headers={"Content-Type": "text/calendar"}) for n, text in enumerate(texts)])
    finally:
        process.terminate()
        process.wait(timeout=10)
    per_put = stock_seconds / max(len(texts), 1)
    print("  stock Radicale, one PUT per entry: %d entries in %.1f s (%.1f ms each, growing"
          " with the calendar); the plugin writes an item in %.2f ms (ratio %.0fx)" % (
              len(texts), stock_seconds, per_put * 1000, first / items * 1000,
              per_put / (first / items)))


def bench_sync(workdir: pathlib.Path) -> None:
    feed = {"body": generate_feed(2000)}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = feed["body"]
            etag = '"%d"' % hash(body)
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        app = Application(load_config(workdir / "sync"))
        Client(app, "anna").mkcalendar("/anna/termine/")
        store = app._web.api.storage
        subscription = Subscription("bench", "http://127.0.0.1:%d/feed.ics" % server.server_address[1],
                                    "/anna/termine/", 60)
        now = dt.datetime(2026, 7, 1, 8, 0, tzinfo=BERLIN)
        folder = str(workdir / "sync")
        first, outcome = timed(lambda: sync_all(store, [subscription], folder, now, force=True))
        unchanged, _ = timed(lambda: sync_all(store, [subscription], folder, now, force=True))
        feed["body"] = generate_feed(2000, stamp="20260702T060000Z", shift=1)
        changed, later = timed(lambda: sync_all(store, [subscription], folder, now, force=True))
        print("sync of a 2,000-event feed")
        print("  first sync   %6.1f s  (%d entries created)" % (first, outcome[0].created))
        print("  unchanged    %6.2f s  (HTTP 304)" % unchanged)
        print("  changed feed %6.1f s  (%d created, %d updated, %d deleted)" % (
            changed, later[0].created, later[0].updated, later[0].deleted))
    finally:
        server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buildings", type=int, default=10000,
                        help="ZIV buildings (two records each: contact and deadline)")
    parser.add_argument("--stock-sample", type=int, default=300)
    args = parser.parse_args()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="kamin-bench-import-"))
    try:
        bench_import(workdir, args.buildings, args.stock_sample)
        bench_sync(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
