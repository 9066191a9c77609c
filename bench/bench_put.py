"""PUT latency: radicale_kamin vs stock Radicale, in the same run.

Starts two real ``radicale`` processes on free 127.0.0.1 ports — one with
the bundled config (plugin), one with the same config but Radicale's own
storage and web plugins (stock) — and times PUTs of new entries and updates
over HTTP with ``requests``, alternating between the servers so both see the
same machine noise. Reports medians and the plugin/stock ratio.

    .venv/bin/python bench/bench_put.py [--entries 200] [--prefill 0,500]
"""

from __future__ import annotations

import argparse
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

import requests

from benchkit import free_port, numbered_entry, wait_for

ROOT = pathlib.Path(__file__).resolve().parent.parent
RADICALE = str(pathlib.Path(sys.executable).with_name("radicale"))
AUTH = ("anna", "anna-demo")


class Server:
    def __init__(self, name: str, stock: bool, workdir: pathlib.Path):
        self.name = name
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        args = [RADICALE, "--config", "config/radicale.conf",
                "--server-hosts", "127.0.0.1:%d" % self.port,
                "--storage-filesystem-folder", str(workdir / name),
                "--logging-level", "warning"]
        if stock:
            args += ["--storage-type", "multifilesystem", "--web-type", "internal"]
        self.process = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        self.session = requests.Session()
        self.session.auth = AUTH
        wait_for(self.url, self.process, "the %s server" % name)
        response = self.session.request("MKCALENDAR", self.url + "/anna/termine/")
        assert response.status_code == 201, response.status_code

    def put(self, uid: str, body: bytes) -> float:
        started = time.perf_counter()
        response = self.session.put(self.url + "/anna/termine/%s.ics" % uid, data=body,
                                    headers={"Content-Type": "text/calendar"})
        elapsed = time.perf_counter() - started
        assert response.status_code in (201, 204), response.status_code
        return elapsed

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def run(entries: int, prefill: int, workdir: pathlib.Path) -> dict:
    servers = [Server("kamin-%d" % prefill, False, workdir),
               Server("stock-%d" % prefill, True, workdir)]
    try:
        for server in servers:
            for n in range(prefill):
                server.put("pre-%d" % n, numbered_entry("pre-%d" % n, n))
        times = {s.name: {"create": [], "update": []} for s in servers}
        uids = [uuid.uuid4().hex for _ in range(entries)]
        for phase in ("create", "update"):
            for n, uid in enumerate(uids):
                order = servers if n % 2 == 0 else servers[::-1]
                for server in order:
                    text = numbered_entry(uid, n + (phase == "update"))
                    times[server.name][phase].append(server.put(uid, text))
        return {s.name.split("-")[0]: {p: statistics.median(v) for p, v in times[s.name].items()}
                for s in servers}
    finally:
        for server in servers:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=200)
    parser.add_argument("--prefill", default="0,500",
                        help="entries already in the calendar, comma-separated")
    args = parser.parse_args()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="kamin-bench-"))
    try:
        print("PUT latency, median of %d requests each (ms); plugin/stock ratio" % args.entries)
        print("%-9s %-7s %9s %9s %7s" % ("calendar", "PUT", "plugin", "stock", "ratio"))
        for prefill in (int(p) for p in args.prefill.split(",")):
            result = run(args.entries, prefill, workdir)
            for phase in ("create", "update"):
                kamin, stock = result["kamin"][phase], result["stock"][phase]
                print("%-9s %-7s %9.2f %9.2f %7.2f" % (
                    "%d items" % prefill, phase, kamin * 1000, stock * 1000, kamin / stock))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
