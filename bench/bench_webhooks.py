"""Webhooks: the delay from a write to its delivered event, and what the outbox costs a PUT.

Starts two real ``radicale`` processes with the bundled config on free
127.0.0.1 ports — one whose webhooks file lists a receiver (an
``http.server`` in this process that checks every signature), one with
``kamin_webhooks`` empty — and PUTs entries over HTTP (``requests``):

* **sequential**: a PUT, then wait for its ``entry.state-changed``; the
  delay is the moment the event arrived minus the moment the PUT was sent
  (one clock: receiver and client are this process). ``create`` makes a new
  internal appointment (null → planned), ``update`` turns it external
  (planned → booked);
* **burst**: ``--burst`` PUTs back to back without waiting; each event's
  delay from its own PUT (the queue behind it counts);
* **PUT cost**: the same creates and updates alternate between the two
  servers; medians with and without webhooks;
* **import cost** (``--import-buildings``, 0 = skip): the same ZIV export
  (tests/ziv_fixture.py) imported in process through ``kamin import``'s code
  with webhooks to the receiver and without; and how long until the
  receiver had every event of the import.

    .venv/bin/python bench/bench_webhooks.py [--entries 200] [--burst 200] [--import-buildings 2000]
"""

from __future__ import annotations

import argparse
import configparser
import http.server
import json
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import requests

from benchkit import free_port, numbered_entry, wait_for

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from radicale_kamin.webhooks import signature  # noqa: E402

RADICALE = str(pathlib.Path(sys.executable).with_name("radicale"))
AUTH = ("anna", "anna-demo")
SECRET = "bench-secret-0123456789abcdef"


class Receiver:
    """Arrival times of entry.state-changed events by (uid, new state)."""

    def __init__(self):
        self.arrived: dict[tuple, float] = {}
        self.count = 0
        self.bad_signatures = 0
        self.condition = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                now = time.time()
                if not signature.verify(self.headers["X-Kamin-Signature"], SECRET, raw, now):
                    receiver.bad_signatures += 1
                body = json.loads(raw)
                with receiver.condition:
                    receiver.count += 1
                if body["type"] == "entry.state-changed":
                    with receiver.condition:
                        receiver.arrived[(body["data"]["uid"], body["data"]["state"])] = now
                        receiver.condition.notify_all()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d/hook" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, key: tuple, timeout: float = 30) -> float:
        deadline = time.monotonic() + timeout
        with self.condition:
            while key not in self.arrived:
                if time.monotonic() > deadline:
                    raise TimeoutError("no event for %s" % (key,))
                self.condition.wait(0.5)
            return self.arrived[key]


class Server:
    def __init__(self, name: str, workdir: pathlib.Path, hooks: str):
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        parser = configparser.RawConfigParser()
        parser.read(ROOT / "config" / "radicale.conf", encoding="utf-8")
        parser.set("server", "hosts", "127.0.0.1:%d" % self.port)
        parser.set("storage", "filesystem_folder", str(workdir / name))
        parser.set("storage", "kamin_webhooks", hooks)
        parser.set("logging", "level", "warning")
        config = workdir / (name + ".conf")
        with open(config, "w", encoding="utf-8") as f:
            parser.write(f)
        self.process = subprocess.Popen([RADICALE, "--config", str(config)], cwd=ROOT,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.session = requests.Session()
        self.session.auth = AUTH
        wait_for(self.url, self.process, "the %s server" % name)
        response = self.session.request("MKCALENDAR", self.url + "/anna/termine/")
        assert response.status_code == 201, response.status_code

    def put(self, uid: str, body: bytes) -> tuple[float, float]:
        """(wall-clock moment sent, seconds the PUT took)."""
        sent, started = time.time(), time.perf_counter()
        response = self.session.put(self.url + "/anna/termine/%s.ics" % uid, data=body,
                                    headers={"Content-Type": "text/calendar"})
        assert response.status_code in (201, 204), response.status_code
        return sent, time.perf_counter() - started

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def ms(values: list[float]) -> str:
    return "median %7.2f ms   p99 %7.2f ms   max %7.2f ms   (n=%d)" % (
        statistics.median(values) * 1000, p99(values) * 1000, max(values) * 1000, len(values))


def bench_import(workdir: pathlib.Path, buildings: int, receiver: Receiver,
                 hooks: pathlib.Path) -> None:
    import datetime as dt
    from zoneinfo import ZoneInfo

    from radicale import Application

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import Client, load_config
    from radicale_kamin.importing import read_file
    from radicale_kamin.importing import run as importer
    from ziv_fixture import build_ziv

    export = build_ziv(workdir / "export.sqlite", buildings=buildings)
    result = read_file(str(export))
    now = dt.datetime.now(ZoneInfo("Europe/Berlin")).replace(microsecond=0)
    from radicale_kamin.server import webhooks as server_webhooks

    timings: dict[str, list[float]] = {"without": [], "queued": [], "with": []}
    drained = []
    variants = (("without", {"kamin_webhooks": ""}),
                # kamin import's case: its process queues, the server sends
                ("queued", {"kamin_webhooks": str(hooks), "kamin_webhook_background": "false"}),
                ("with", {"kamin_webhooks": str(hooks)}))
    for round_ in range(2):                 # alternating, fresh storages: the lower of two
        for name, options in variants:
            folder = workdir / ("import-%s-%d" % (name, round_))
            app = Application(load_config(folder, storage=options))
            Client(app, "anna").mkcalendar("/anna/termine/")
            store = app._web.api.storage
            before = receiver.count
            started = time.perf_counter()
            report = importer.run(store, result, "export", "anna/termine", "anna/kontakte",
                                  False, now, {"anna": "anna/termine"})
            timings[name].append(time.perf_counter() - started)
            if name == "with":
                with store.state.connection() as db:
                    queued = db.execute("SELECT count(*) FROM webhook_deliveries").fetchone()[0]
                deadline = time.monotonic() + 600
                while receiver.count - before < queued and time.monotonic() < deadline:
                    time.sleep(0.05)
                drained.append(time.perf_counter() - started)
            server_webhooks.stop(str(folder))
    records = len(result.records)
    best = {name: min(values) for name, values in timings.items()}
    print("Import of %d ZIV records (%d items written) in process, the lower of two runs" % (
        records, sum(report.written.values())))
    print("  without webhooks %6.1f s; events only queued %6.1f s (ratio %.2f); queued and "
          "sent by the same process meanwhile %6.1f s (ratio %.2f)" % (
              best["without"], best["queued"], best["queued"] / best["without"], best["with"],
              best["with"] / best["without"]))
    print("  %d events queued, all delivered %.1f s after the import started" % (
        queued, min(drained)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument("--burst", type=int, default=200)
    parser.add_argument("--import-buildings", type=int, default=0)
    args = parser.parse_args()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="kamin-bench-webhooks-"))
    receiver = Receiver()
    hooks = workdir / "webhooks.ini"
    hooks.write_text("[bench]\nurl = %s\nsecret = %s\nevents = *\n" % (receiver.url, SECRET))
    hooked = Server("hooked", workdir, str(hooks))
    plain = Server("plain", workdir, "")
    try:
        delays = {"create": [], "update": []}
        after_answer = []
        put_times = {(server, phase): [] for server in ("hooked", "plain")
                     for phase in ("create", "update")}
        uids = [uuid.uuid4().hex for _ in range(args.entries)]
        for phase, kind, state in (("create", "internal", "planned"),
                                   ("update", "external", "booked")):
            for n, uid in enumerate(uids):
                order = (hooked, plain) if n % 2 == 0 else (plain, hooked)
                for server in order:
                    sent, took = server.put(uid, numbered_entry(uid, n, kind))
                    put_times[("hooked" if server is hooked else "plain", phase)].append(took)
                    if server is hooked:
                        arrived = receiver.wait((uid, state))
                        delays[phase].append(arrived - sent)
                        after_answer.append(arrived - (sent + took))
        burst_uids = [uuid.uuid4().hex for _ in range(args.burst)]
        sent_at = {uid: hooked.put(uid, numbered_entry(uid, n))[0] for n, uid in enumerate(burst_uids)}
        burst = [receiver.wait((uid, "planned"), 120) - sent_at[uid] for uid in burst_uids]
        print("Delay from a PUT to its delivered entry.state-changed (sequential)")
        for phase in ("create", "update"):
            print("  %-7s %s" % (phase, ms(delays[phase])))
        print("  %-7s %s" % ("both", ms(delays["create"] + delays["update"])))
        print("  after the PUT's answer (negative: the event came first)")
        print("          %s" % ms(after_answer))
        print("Burst of %d PUTs back to back, each event's delay from its PUT" % args.burst)
        print("          %s" % ms(burst))
        print("PUT latency with and without webhooks (same run, alternating)")
        for phase in ("create", "update"):
            with_hooks = statistics.median(put_times[("hooked", phase)]) * 1000
            without = statistics.median(put_times[("plain", phase)]) * 1000
            print("  %-7s with %7.2f ms   without %7.2f ms   ratio %.2f" % (
                phase, with_hooks, without, with_hooks / without))
        if args.import_buildings:
            bench_import(workdir, args.import_buildings, receiver, hooks)
        print("bad signatures: %d" % receiver.bad_signatures)
    finally:
        hooked.stop()
        plain.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
