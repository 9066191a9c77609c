"""District benchmark (issue 4): radicale_kamin vs stock Radicale on a
generated district, in the same run.

    .venv/bin/python bench/bench_district.py [--buildings 3500] [--years 5]
        [--runs 5] [--stock-slow-runs 3] [--seed 1] [--today ISO]
        [--skip-stock] [--live-tree] [--keep DIR]

One command: generates the district once (``bench/district.py``, written
directly as files), copies it for the stock server, starts two real
``radicale`` processes on free 127.0.0.1 ports — the bundled config
(plugin) and the same config with ``--storage-type multifilesystem
--web-type internal`` (stock), both with ``--logging-level warning`` and
their own htpasswd (bcrypt) and rights files — and times over HTTP with
``requests``, alternating between the servers run by run:

1. cold start: the first one-week REPORT after the first start on untouched
   files (plugin: indexes that calendar; stock: builds its item cache),
   once; then the plugin's first REPORT on the three other calendars;
2. warm: a one-week time-range REPORT (``comp-filter`` VEVENT +
   ``time-range``, ``getetag`` + ``calendar-data``) and the building lookup
   (``prop-filter`` ``X-KAMIN-BUILDING`` + ``text-match``), each timed on
   first read of its items and repeated; a PUT of a new entry; the plugin's
   ``GET due-calls`` and ``GET buildings/{id}`` as ``assistant`` (n/a while
   they answer 404);
3. both servers stopped, ``kamin reindex`` of every file (if the command
   exists), both restarted: the first request of each kind.

Every stock measurement uses the calendar of LG-000123 (stock builds its
item cache per calendar, two minutes each at 3,500 buildings). Medians of
``--runs`` runs; the stock building lookup (about a minute per request at
3,500 buildings) runs ``--stock-slow-runs`` times, the cold start once.
Every REPORT goes to both servers and must return the same hrefs (a
difference is printed as MISMATCH and makes the exit status 1); ETags of
the same unchanged files are compared too and differences listed apart.

The servers, ``kamin`` and the generator run a snapshot of HEAD (``git
archive`` into the work folder, on ``PYTHONPATH``, config from it too), so
that edits made in the shared work tree during the run do not mix in;
``--live-tree`` runs the work tree as it is. Progress goes to stderr, the
table to stdout (and ``results.json`` with ``--keep``). A default run takes
about 7–10 minutes on the 2-core box; ``--buildings 20000 --skip-stock``
about 9.
"""

from __future__ import annotations

import argparse
import configparser
import datetime as dt
import io
import json
import os
import pathlib
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET
from typing import Optional
from zoneinfo import ZoneInfo

import bcrypt
import requests

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The plugin code the servers, the kamin command and the generator run:
# a snapshot of HEAD (see ``snapshot``), or the working tree (--live-tree).
CODE = ROOT
district = None     # bench/district.py, imported once CODE is chosen
BIN = pathlib.Path(sys.executable).parent
RADICALE = str(BIN / "radicale")
KAMIN = str(BIN / "kamin")
STAFF = ("meister", "anna", "ben", "carla")    # district.STAFF
USERS = STAFF + ("assistant",)
TIMEOUT = 3600
BERLIN = ZoneInfo("Europe/Berlin")
STARTED = time.monotonic()


def git(*args: str) -> str:
    return subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT,
                          check=True).stdout


def code_version() -> str:
    """The commit the servers run (and, with --live-tree, the plugin files
    changed since)."""
    head = git("rev-parse", "--short", "HEAD").strip()
    if CODE != ROOT:
        return "%s (snapshot of HEAD in %s)" % ((CODE / "COMMIT").read_text().strip(), CODE)
    changed = [line[3:] for line in git("status", "--porcelain", "--", "radicale_kamin",
                                        "config").splitlines()]
    return head + (" + uncommitted changes in " + ", ".join(changed) if changed else "")


def snapshot(target: pathlib.Path) -> pathlib.Path:
    """HEAD's ``radicale_kamin``, ``config``, ``bench`` and ``tests/fixtures``
    in ``target``: the code under test cannot change while the benchmark
    runs in a shared work tree."""
    target.mkdir()
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD", "radicale_kamin",
                              "config", "bench", "tests/fixtures"],
                             capture_output=True, cwd=ROOT, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target)
    (target / "COMMIT").write_text(git("rev-parse", "--short", "HEAD"))
    return target


def use_code(code: pathlib.Path) -> None:
    """Run the generator, the servers and ``kamin`` from ``code``."""
    global CODE, district
    CODE = code
    for path in (str(code), str(code / "bench")) if code != ROOT else ():
        sys.path.insert(0, path)
    if code == ROOT or not (code / "bench" / "district.py").exists():
        sys.path.insert(0, str(ROOT / "bench"))   # district.py not committed yet
    import district as module
    district = module
    assert district.STAFF == STAFF


def child_env() -> dict:
    env = dict(os.environ)
    if CODE != ROOT:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(CODE), env.get("PYTHONPATH"))))
    return env


def say(text: str) -> None:
    print("[%6.1f s] %s" % (time.monotonic() - STARTED, text), file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def password(user: str) -> str:
    return user + "-demo"


# --- the server's files ------------------------------------------------------

def write_server_files(workdir: pathlib.Path, folder: pathlib.Path) -> pathlib.Path:
    """htpasswd (bcrypt) and rights in ``workdir``, and a config for the
    ``kamin`` commands: config/radicale.conf with these paths."""
    with open(workdir / "users", "w", encoding="utf-8") as f:
        for user in USERS:
            hashed = bcrypt.hashpw(password(user).encode(), bcrypt.gensalt(rounds=10))
            f.write("%s:%s\n" % (user, hashed.decode()))
    shutil.copyfile(CODE / "config" / "rights", workdir / "rights")
    config = configparser.RawConfigParser()
    config.read(CODE / "config" / "radicale.conf", encoding="utf-8")
    for section, option, value in overrides(workdir, folder):
        if not config.has_section(section):
            config.add_section(section)
        config.set(section, option, value)
    path = workdir / "kamin.conf"
    with open(path, "w", encoding="utf-8") as f:
        config.write(f)
    return path


def overrides(workdir: pathlib.Path, folder: pathlib.Path) -> list[tuple[str, str, str]]:
    return [("auth", "htpasswd_filename", str(workdir / "users")),
            ("auth", "cache_logins", "True"),
            # a stock building lookup takes about a minute: keep logins cached
            ("auth", "cache_successful_logins_expiry", "3600"),
            ("rights", "file", str(workdir / "rights")),
            ("storage", "filesystem_folder", str(folder)),
            ("logging", "level", "warning")]


class Server:
    def __init__(self, name: str, stock: bool, workdir: pathlib.Path, folder: pathlib.Path):
        self.name = name
        self.stock = stock
        self.workdir = workdir
        self.folder = folder
        self.process: Optional[subprocess.Popen] = None
        self.sessions: dict[str, requests.Session] = {}

    def start(self) -> None:
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        args = [RADICALE, "--config", "config/radicale.conf",
                "--server-hosts", "127.0.0.1:%d" % self.port]
        for section, option, value in overrides(self.workdir, self.folder):
            args += ["--%s-%s" % (section, option.replace("_", "-")), value]
        if self.stock:
            args += ["--storage-type", "multifilesystem", "--web-type", "internal"]
        self.log = open(self.workdir / ("%s.log" % self.name), "a", encoding="utf-8")
        self.process = subprocess.Popen(args, cwd=CODE, env=child_env(),
                                        stdout=self.log, stderr=self.log)
        for _ in range(600):
            if self.process.poll() is not None:
                raise SystemExit("%s server exited; see %s" % (self.name, self.log.name))
            try:
                requests.get(self.url + "/.web/", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.05)
        self.sessions = {}
        for user in USERS:
            session = requests.Session()
            session.auth = (user, password(user))
            self.sessions[user] = session

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None
            self.log.close()

    def request(self, user: str, method: str, path: str, **kwargs) -> tuple[float, requests.Response]:
        started = time.perf_counter()
        response = self.sessions[user].request(method, self.url + path, timeout=TIMEOUT, **kwargs)
        return time.perf_counter() - started, response


# --- the requests ------------------------------------------------------------

REPORT_HEAD = ('<?xml version="1.0" encoding="utf-8"?>\n'
               '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
               '<D:prop><D:getetag/><C:calendar-data/></D:prop><C:filter>'
               '<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">')
REPORT_TAIL = '</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>'


def week_query(monday: dt.date) -> str:
    start = dt.datetime.combine(monday, dt.time(), BERLIN).astimezone(dt.timezone.utc)
    end = dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(),
                              BERLIN).astimezone(dt.timezone.utc)
    return REPORT_HEAD + '<C:time-range start="%s" end="%s"/>' % (
        start.strftime("%Y%m%dT%H%M%SZ"), end.strftime("%Y%m%dT%H%M%SZ")) + REPORT_TAIL


def building_query(building: str) -> str:
    return (REPORT_HEAD + '<C:prop-filter name="X-KAMIN-BUILDING"><C:text-match>%s'
            '</C:text-match></C:prop-filter>' % building + REPORT_TAIL)


def parse_multistatus(content: bytes) -> dict[str, Optional[str]]:
    """href → ETag of every response."""
    found = {}
    for response in ET.fromstring(content).findall("{DAV:}response"):
        etag = None
        for propstat in response.findall("{DAV:}propstat"):
            if " 200 " in (propstat.findtext("{DAV:}status") or ""):
                etag = propstat.findtext("{DAV:}prop/{DAV:}getetag")
        found[response.findtext("{DAV:}href")] = etag
    return found


def report(server: Server, user: str, calendar: str, body: str) -> tuple[float, dict]:
    elapsed, response = server.request(
        user, "REPORT", calendar, data=body.encode(),
        headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
    if response.status_code != 207:
        raise RuntimeError("%s REPORT %s: %d %s" % (server.name, calendar,
                                                      response.status_code, response.text[:300]))
    return elapsed, parse_multistatus(response.content)


def new_entry(uid: str, building: str, start: dt.datetime) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//kamin voice assistant//DE",
             district.VTIMEZONE, "BEGIN:VEVENT", "UID:" + uid,
             "DTSTART;TZID=Europe/Berlin:" + start.strftime("%Y%m%dT%H%M%S"),
             "DTEND;TZID=Europe/Berlin:" + (start + dt.timedelta(minutes=45)).strftime(
                 "%Y%m%dT%H%M%S"),
             "DTSTAMP:" + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ"),
             "LOCATION:Lindenstraße 12\\, 93047 Regensburg", "SUMMARY:Kehrung",
             "X-KAMIN-BUILDING:" + building, "X-KAMIN-CUSTOMER:Maria Huber",
             "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:0941 123456",
             "END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode()


# --- bookkeeping -------------------------------------------------------------

class Results:
    def __init__(self):
        self.times: dict[str, dict[str, list[float]]] = {}
        self.notes: dict[str, str] = {}
        self.mismatches: list[str] = []     # different hrefs: a wrong answer
        self.etag_differences: list[str] = []
        self.facts: dict[str, object] = {}

    def add(self, operation: str, server: str, seconds: float) -> None:
        self.times.setdefault(operation, {}).setdefault(server, []).append(seconds)

    def median_ms(self, operation: str, server: str) -> Optional[float]:
        values = self.times.get(operation, {}).get(server)
        return statistics.median(values) * 1000 if values else None

    def compare(self, what: str, plugin: dict, stock: dict, etags: bool) -> None:
        """Same hrefs (else MISMATCH); with ``etags``, also the same ETags
        for the same files. Stock Radicale's ETag is the hash of vobject's
        re-serialisation of a file it has not written itself; a plugin
        whose indexer fills Radicale's item cache may hash the file as it
        is: reported apart, as that is no wrong answer."""
        if set(plugin) != set(stock):
            only_p = sorted(set(plugin) - set(stock))[:5]
            only_s = sorted(set(stock) - set(plugin))[:5]
            text = ("MISMATCH %s: plugin %d hrefs, stock %d; only plugin %s; only stock %s"
                    % (what, len(plugin), len(stock), only_p, only_s))
            self.mismatches.append(text)
            say(text)
        elif etags and plugin != stock:
            differ = sum(plugin[h] != stock[h] for h in plugin)
            text = "%s: same %d hrefs, %d ETags differ" % (what, len(plugin), differ)
            self.etag_differences.append(text)
            say("ETags differ: " + text)


def fmt(value: Optional[float]) -> str:
    if value is None:
        return "n/a"
    return "%.1f" % value if value < 1000 else "%.0f" % value


# --- the benchmark -----------------------------------------------------------

def kamin_reindex(config: pathlib.Path, results: Results) -> None:
    try:
        help_text = subprocess.run([KAMIN, "--help"], capture_output=True, text=True,
                                   cwd=CODE, env=child_env()).stdout
    except FileNotFoundError:
        help_text = ""
    if not re.search(r"^\s+reindex\s", help_text, re.M):
        results.notes["reindex"] = "kamin reindex: not available (kamin --help lists no reindex)"
        say(results.notes["reindex"])
        return
    quiet = "--quiet" in subprocess.run([KAMIN, "reindex", "--help"], capture_output=True,
                                        text=True, cwd=CODE, env=child_env()).stdout
    say("kamin reindex --config %s" % config)
    started = time.perf_counter()
    done = subprocess.run([KAMIN, "reindex", "--config", str(config)] + (["--quiet"] if quiet else []),
                          capture_output=True, text=True, cwd=CODE, env=child_env())
    wall = time.perf_counter() - started
    match = re.search(r"indexed (\d+) entries in ([\d.]+) s", done.stdout)
    if done.returncode != 0 or not match:
        results.notes["reindex"] = "kamin reindex failed (%d): %s" % (
            done.returncode, (done.stderr or done.stdout).strip()[-500:])
        say(results.notes["reindex"])
        return
    count, seconds = int(match.group(1)), float(match.group(2))
    results.facts["reindex"] = {"entries": count, "seconds": seconds, "wall_seconds": wall}
    say("kamin reindex: %d entries in %.1f s (%.1f s with start-up)" % (count, seconds, wall))


def api_get(server: Server, path: str) -> tuple[float, Optional[requests.Response]]:
    elapsed, response = server.request("assistant", "GET", "/.web/kamin/api/" + path)
    if response.status_code == 404:
        return elapsed, None
    if response.status_code != 200:
        raise RuntimeError("GET %s: %d %s" % (path, response.status_code, response.text[:300]))
    return elapsed, response


def api_paths(building: str, calling_now: dt.datetime) -> list[tuple[str, str]]:
    """due-calls now (the assistant's poll: calls handed out are leased, so
    later polls list fewer), the same at 10:00 of a calling day without
    leasing (every run computes the full list), and a building."""
    return [("GET due-calls", "due-calls"),
            ("GET due-calls?now=%s&lease=false" % calling_now.strftime("%a %H:%M"),
             "due-calls?lease=false&now=" + requests.utils.quote(calling_now.isoformat())),
            ("GET buildings/{id}", "buildings/" + building)]


def run(args, workdir: pathlib.Path) -> Results:
    results = Results()
    results.facts["code"] = code_version()
    say("plugin code: " + results.facts["code"])
    plugin_folder = workdir / "kamin"
    stock_folder = workdir / "stock"
    today = args.today or dt.date.today()
    say("generating %d buildings × %d years into %s" % (args.buildings, args.years, plugin_folder))
    manifest = district.generate(plugin_folder, args.buildings, args.years, args.seed, today,
                                 progress=say)
    say(district.summary(manifest).replace("\n", "\n" + " " * 11))
    results.facts["district"] = {k: v for k, v in vars(manifest).items() if k != "building_staff"}
    config = write_server_files(workdir, plugin_folder)
    servers = [Server("plugin", False, workdir, plugin_folder)]
    if not args.skip_stock:
        started = time.perf_counter()
        shutil.copytree(plugin_folder / "collection-root", stock_folder / "collection-root")
        say("copied for stock Radicale in %.1f s" % (time.perf_counter() - started))
        servers.append(Server("stock", True, workdir, stock_folder))
    plugin = servers[0]
    stock = servers[1] if len(servers) > 1 else None

    # The calendar of LG-000123 is the one every stock measurement uses
    # (stock builds its item cache per calendar: about two minutes each).
    first_building = "LG-%06d" % min(123, args.buildings)
    main_staff = manifest.building_staff[first_building]
    calendar = manifest.calendar(main_staff)
    rng = random.Random(args.seed + 7)
    others = [b for b, s in manifest.building_staff.items() if s == main_staff and b != first_building]
    buildings = [first_building] + rng.sample(others, min(len(others), args.runs + 2))
    monday = today - dt.timedelta(days=today.weekday())
    weeks = [monday + dt.timedelta(weeks=n) for n in (0, 1, -1, 2, -2, 3, -3, 4, -4, 5)]
    weeks = (weeks * (args.runs // len(weeks) + 2))[:args.runs + 2]
    calling_day = today
    while calling_day.weekday() >= 5:
        calling_day += dt.timedelta(days=1)
    calling_now = dt.datetime.combine(calling_day, dt.time(10, 0), BERLIN)
    results.facts["calendar"] = calendar
    results.facts["entries_in_calendar"] = manifest.per_staff[main_staff]

    try:
        for server in servers:
            server.start()
        say("servers up: " + ", ".join("%s %s" % (s.name, s.url) for s in servers))

        # --- cold start: first REPORT on untouched files ---------------------
        answers = {}
        for server in servers:
            say("%s: cold start, first one-week REPORT on %s (%d entries) …" % (
                server.name, calendar, manifest.per_staff[main_staff]))
            elapsed, answers[server.name] = report(server, main_staff, calendar, week_query(weeks[0]))
            results.add("cold start: first REPORT", server.name, elapsed)
            say("%s: %.2f s, %d hrefs" % (server.name, elapsed, len(answers[server.name])))
        if stock:
            results.compare("cold one-week REPORT", answers["plugin"], answers["stock"], True)
        # The other calendars: indexed by their first REPORT, unless the
        # plugin indexed them in the background meanwhile.
        first_reports = {}
        for staff in STAFF:
            if staff == main_staff:
                continue
            elapsed, _ = report(plugin, staff, manifest.calendar(staff), week_query(weeks[0]))
            first_reports[staff] = elapsed
            say("plugin: first REPORT on /%s/termine/ (%d entries): %.2f s" % (
                staff, manifest.per_staff[staff], elapsed))
        results.facts["plugin_first_reports_other_calendars_s"] = first_reports
        results.facts["cold_start_gap_s"] = sum(
            results.times["cold start: first REPORT"].get("stock", [0]))

        # --- warm ------------------------------------------------------------
        # Radicale's item cache: stock built it for every file at its cold
        # start; the plugin never needs it for filtering, so an item it has
        # not served before is parsed (vobject) once when first returned.
        # Each query is therefore timed twice: first read, then warm.
        say("warm: one-week REPORTs")
        for n in range(args.runs):
            answers = {}
            for server in (servers if n % 2 == 0 else servers[::-1]):
                for operation in ("one-week REPORT, first read", "one-week REPORT"):
                    elapsed, answers[server.name] = report(server, main_staff, calendar,
                                                           week_query(weeks[n + 1]))
                    results.add(operation, server.name, elapsed)
            if stock:
                results.compare("one-week REPORT %s" % weeks[n + 1], answers["plugin"],
                                answers["stock"], True)
            results.notes["one-week REPORT"] = "%d–%d hrefs" % (
                min(len(a) for a in answers.values()), max(len(a) for a in answers.values()))

        say("warm: building lookups (stock: about a minute each)")
        sizes = []
        for n in range(args.runs):
            answers = {}
            for server in (servers if n % 2 == 0 else servers[::-1]):
                if server.stock:
                    if n >= args.stock_slow_runs:
                        continue
                    operations = ("building lookup REPORT",)
                else:
                    operations = ("building lookup REPORT, first read", "building lookup REPORT")
                for operation in operations:
                    elapsed, answers[server.name] = report(server, main_staff, calendar,
                                                           building_query(buildings[n]))
                    results.add(operation, server.name, elapsed)
                    if server.stock:    # its item cache is complete: no first read
                        results.add(operation + ", first read", server.name, elapsed)
                    say("  %s %s: %.3f s, %d hrefs" % (server.name, buildings[n], elapsed,
                                                       len(answers[server.name])))
            sizes.append(len(answers["plugin"]))
            if "stock" in answers:
                results.compare("building lookup %s" % buildings[n], answers["plugin"],
                                answers["stock"], True)
        results.notes["building lookup REPORT"] = "%d–%d hrefs" % (min(sizes), max(sizes))
        if stock:
            results.notes["building lookup REPORT, first read"] = "stock: the same requests"

        say("warm: PUTs of new entries")
        for n in range(args.runs):
            uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            body = new_entry(uid, buildings[n], dt.datetime.combine(
                today + dt.timedelta(days=10 + n), dt.time(9, 0)))
            for server in (servers if n % 2 == 0 else servers[::-1]):
                elapsed, response = server.request(
                    main_staff, "PUT", "%s%s.ics" % (calendar, uid), data=body,
                    headers={"Content-Type": "text/calendar; charset=utf-8",
                             "If-None-Match": "*"})
                if response.status_code != 201:
                    raise RuntimeError("%s PUT: %d %s" % (server.name, response.status_code,
                                                           response.text[:300]))
                results.add("PUT new entry", server.name, elapsed)

        say("warm: JSON API (plugin only)")
        first = {}
        for n in range(args.runs + 1):
            for operation, path in api_paths(buildings[n % len(buildings)], calling_now):
                elapsed, response = api_get(plugin, path)
                if response is None:
                    results.notes[operation] = "404: not implemented yet"
                    continue
                if n == 0:      # the first call may do one-off work; reported apart
                    first[operation] = elapsed
                    continue
                results.add(operation, "plugin", elapsed)
                if operation.startswith("GET due-calls"):
                    results.notes[operation] = "%d calls" % len(response.json().get("calls", []))
                else:
                    results.notes[operation] = "%d entries" % len(response.json().get("entries", []))
        for operation, elapsed in first.items():
            results.facts["first " + operation] = elapsed
            say("plugin: first %s %.3f s" % (operation, elapsed))

        # --- restart -----------------------------------------------------------
        for server in servers:
            server.stop()
        kamin_reindex(config, results)
        for server in servers:
            server.start()
        say("restarted; first request of each kind")
        other_staff = next(s for s in reversed(STAFF) if s != main_staff)
        answers = {}
        for server in servers:
            elapsed, answers[server.name] = report(server, main_staff, calendar,
                                                   week_query(weeks[0]))
            results.add("after restart: first one-week REPORT", server.name, elapsed)
        if stock:
            results.compare("one-week REPORT after restart", answers["plugin"], answers["stock"],
                            False)
        elapsed, _ = report(plugin, other_staff, manifest.calendar(other_staff),
                            week_query(weeks[1]))
        results.add("after restart: one-week REPORT, other calendar", "plugin", elapsed)
        elapsed, _ = report(plugin, main_staff, calendar, building_query(buildings[-1]))
        results.add("after restart: building lookup REPORT", "plugin", elapsed)
        uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        body = new_entry(uid, buildings[-1], dt.datetime.combine(today + dt.timedelta(days=9),
                                                                 dt.time(14, 0)))
        for server in servers:
            elapsed, response = server.request(
                main_staff, "PUT", "%s%s.ics" % (calendar, uid), data=body,
                headers={"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"})
            assert response.status_code == 201, (server.name, response.status_code)
            results.add("after restart: PUT new entry", server.name, elapsed)
        for operation, path in api_paths(first_building, calling_now):
            elapsed, response = api_get(plugin, path)
            if response is not None:
                results.add("after restart: " + operation, "plugin", elapsed)
    finally:
        for server in servers:
            server.stop()
    if CODE == ROOT and code_version() != results.facts["code"]:
        results.notes["code"] = "WARNING: the plugin code changed during the run (now %s)" % (
            code_version())
        say(results.notes["code"])
    return results


def print_table(args, results: Results) -> None:
    facts = results.facts
    d = facts["district"]
    print()
    print("District benchmark: %d buildings, %d years (%d–%d), %d entries in 4 calendars; "
          "%s holds %d" % (args.buildings, args.years, d["years"][0], d["years"][-1],
                            d["entries"], facts["calendar"], facts["entries_in_calendar"]))
    print("generated in %.1f s; medians of %d runs%s" % (
        d["seconds"], args.runs, "; stock skipped" if args.skip_stock else
        " (stock building lookup: %d, cold start: 1)" % min(args.runs, args.stock_slow_runs)))
    print("plugin code: %s; %s" % (facts["code"], dt.datetime.now().strftime("%Y-%m-%d %H:%M")))
    if "code" in results.notes:
        print(results.notes["code"])
    print()
    header = "%-54s %12s %12s %9s  %s" % ("operation", "plugin (ms)", "stock (ms)",
                                          "stock/plugin", "notes")
    print(header)
    print("-" * len(header))
    for operation, by_server in results.times.items():
        p, s = results.median_ms(operation, "plugin"), results.median_ms(operation, "stock")
        ratio = "%.1f" % (s / p) if p and s else "n/a"
        runs = "runs %s" % "/".join(str(len(by_server.get(k, []))) for k in ("plugin", "stock")
                                      if k in by_server)
        note = results.notes.get(operation, "")
        print("%-54s %12s %12s %9s  %s" % (operation, fmt(p), fmt(s) if s is not None else
                                         ("n/a" if not args.skip_stock else "skipped"),
                                         ratio, "; ".join(x for x in (runs, note) if x)))
    for operation, note in results.notes.items():
        if operation not in results.times and operation not in ("reindex", "code"):
            print("%-54s %12s %12s %9s  %s" % (operation, "n/a", "n/a", "n/a", note))
    print()
    print("plugin: first REPORT on the other calendars, after the cold start%s: %s" % (
        " (and %.0f s of stock's)" % facts["cold_start_gap_s"] if facts["cold_start_gap_s"] else "",
        ", ".join("%s %.2f s" % kv for kv in facts["plugin_first_reports_other_calendars_s"].items())))
    for key in facts:
        if key.startswith("first GET"):
            print("plugin: %s of the server run (not in the median): %.1f ms" % (
                key, facts[key] * 1000))
    reindex = facts.get("reindex")
    if reindex:
        rate = reindex["entries"] / reindex["seconds"]
        print("kamin reindex: %d entries in %.1f s (%.0f entries/s; %.1f s with start-up) "
              "→ 47,000 entries in %.1f s" % (reindex["entries"], reindex["seconds"], rate,
                                               reindex["wall_seconds"], 47000 / rate))
    else:
        print(results.notes.get("reindex", "kamin reindex: n/a"))

    print()
    print("targets (issue 4):")

    def ratio(operation: str) -> Optional[float]:
        p, s = results.median_ms(operation, "plugin"), results.median_ms(operation, "stock")
        return s / p if p and s else None

    def verdict(ok: Optional[bool]) -> str:
        return "n/a" if ok is None else "met" if ok else "NOT MET"

    for operation in [op for op in results.times if op.startswith("GET due-calls")] or \
            ["GET due-calls"]:
        due = results.median_ms(operation, "plugin")
        print("  due-calls < 50 ms at 20,000 buildings: %s ms (%s) at %d buildings — %s" % (
            fmt(due), operation, args.buildings,
            verdict(None if due is None or args.buildings < 20000 else due < 50)))
    for operation, target in (("one-week REPORT", 20), ("building lookup REPORT", 1000),
                              ("PUT new entry", 5)):
        r = ratio(operation)
        print("  %s ≥ %d× faster than stock: %s — %s" % (
            operation, target, "n/a" if r is None else "%.1f×" % r,
            verdict(None if r is None else r >= target)))
    after = {op: results.median_ms(op, "plugin") for op in results.times
             if op.startswith("after restart")}
    if after:
        worst = max(after, key=lambda op: after[op])
        print("  no request after a restart over 1 s: slowest %s ms (%s) — %s" % (
            fmt(after[worst]), worst[len("after restart: "):], verdict(after[worst] < 1000)))
    if reindex:
        estimate = 47000 * reindex["seconds"] / reindex["entries"]
        print("  first indexing of 47,000 entries < 60 s: %.1f s (kamin reindex, scaled) — %s"
              % (estimate, verdict(estimate < 60)))
    else:
        print("  first indexing of 47,000 entries < 60 s: n/a (no kamin reindex)")
    print()
    if results.mismatches:
        print("REPORT results differ between plugin and stock:")
        for text in results.mismatches:
            print("  " + text)
    elif not args.skip_stock:
        print("every REPORT returned the same hrefs on both servers")
    if results.etag_differences:
        print("same hrefs, but the ETags of unchanged files differ between plugin and stock"
              " (expected for files written outside Radicale: the plugin's ETag is the hash of"
              " the file, stock's of vobject's re-serialisation — docs/entry-profile.md):")
        for text in results.etag_differences:
            print("  " + text)
    elif not args.skip_stock:
        print("and the same ETags")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--buildings", type=int, default=3500)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (default 5)")
    parser.add_argument("--stock-slow-runs", type=int, default=3,
                        help="runs of the stock building lookup (about a minute each; default 3)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                        help="the date the district is built around (default: today)")
    parser.add_argument("--skip-stock", action="store_true",
                        help="plugin only (for 20,000 buildings, where stock takes far too long)")
    parser.add_argument("--live-tree", action="store_true",
                        help="run the working tree as it is (default: a snapshot of HEAD, so "
                             "that edits made meanwhile in the work tree do not mix in)")
    parser.add_argument("--keep", metavar="DIR",
                        help="work in DIR (new or empty) and keep it: district, logs, results.json")
    args = parser.parse_args()
    if args.keep:
        workdir = pathlib.Path(args.keep).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        if any(workdir.iterdir()):
            raise SystemExit("--keep %s: the folder is not empty" % workdir)
    else:
        workdir = pathlib.Path(tempfile.mkdtemp(prefix="kamin-district-"))
    try:
        use_code(ROOT if args.live_tree else snapshot(workdir / "code"))
        results = run(args, workdir)
        print_table(args, results)
        if args.keep:
            with open(workdir / "results.json", "w", encoding="utf-8") as f:
                json.dump({"args": vars(args) | {"today": str(args.today)},
                           "times": results.times, "notes": results.notes,
                           "facts": results.facts, "mismatches": results.mismatches,
                           "etag_differences": results.etag_differences},
                          f, indent=1, default=str)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    say("done")
    return 1 if results.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
