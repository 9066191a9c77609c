"""The district benchmark's tools: the code under test (a snapshot of
HEAD), real ``radicale`` server processes (plugin and stock) with their
files, timed requests over HTTP, and the bookkeeping of medians and of
answers compared between the servers."""

from __future__ import annotations

import configparser
import datetime as dt
import io
import os
import pathlib
import shutil
import socket
import statistics
import subprocess
import sys
import tarfile
import time
from typing import Optional
from zoneinfo import ZoneInfo

import bcrypt
import requests

import dav

ROOT = pathlib.Path(__file__).resolve().parent.parent
# The plugin code the servers, the kamin command and the generator run:
# a snapshot of HEAD (see ``snapshot``), or the working tree (--live-tree).
CODE = ROOT
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


def use_code(code: pathlib.Path):
    """Run the generator, the servers and ``kamin`` from ``code``; returns
    its ``bench/district.py`` module."""
    global CODE
    CODE = code
    for path in (str(code), str(code / "bench")) if code != ROOT else ():
        sys.path.insert(0, path)
    if code == ROOT or not (code / "bench" / "district.py").exists():
        sys.path.insert(0, str(ROOT / "bench"))   # district.py not committed yet
    import district
    assert district.STAFF == STAFF
    return district


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


def wait_for(url: str, process: subprocess.Popen, what: str) -> None:
    """Until the server at ``url`` answers; SystemExit naming ``what`` when
    its process exits first or it never answers (30 s)."""
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit("%s exited" % what)
        try:
            requests.get(url + "/.web/", timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise SystemExit("%s does not answer" % what)


_VTIMEZONE = (ROOT / "tests" / "fixtures" / "vtimezone_berlin.txt").read_text().strip()


def numbered_entry(uid: str, n: int, kind: str = "internal") -> bytes:
    """The ``n``-th appointment of the PUT benchmarks: one customer of
    its own, a VTIMEZONE, a time in December 2026."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//kamin bench//EN", _VTIMEZONE,
             "BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20261101T100000Z",
             "DTSTART;TZID=Europe/Berlin:202612%02dT%02d0000" % (1 + n % 28, 8 + n % 9),
             "DTEND;TZID=Europe/Berlin:202612%02dT%02d4500" % (1 + n % 28, 8 + n % 9),
             "SUMMARY:Kehrung und Messung", "X-KAMIN-KIND:" + kind,
             "X-KAMIN-BUILDING:LG-%05d" % n, "X-KAMIN-CUSTOMER:Kundin %d" % n,
             "X-KAMIN-PHONE:089 %06d" % (100000 + n),
             "LOCATION:Hauptstraße %d\\, 80331 München" % (1 + n % 200),
             "END:VEVENT", "END:VCALENDAR"]
    return ("\r\n".join(lines) + "\r\n").encode()


def password(user: str) -> str:
    return user + "-demo"


# --- the server's files ------------------------------------------------------

def write_server_files(workdir: pathlib.Path, folder: pathlib.Path) -> pathlib.Path:
    """htpasswd (bcrypt) and rights in ``workdir``, and a config for the
    ``kamin`` commands: config/radicale.conf with these paths."""
    if not (workdir / "users").exists():
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
    path = workdir / ("kamin-%s.conf" % folder.name)
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
        wait_for(self.url, self.process, "%s server, see %s" % (self.name, self.log.name))
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

    def memory_mb(self) -> dict[str, float]:
        """The server process's resident set now (VmRSS) and at its peak (VmHWM)."""
        found = {}
        with open("/proc/%d/status" % self.process.pid, encoding="ascii") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    found[key] = int(value.split()[0]) / 1024
        return found

    def request(self, user: str, method: str, path: str, **kwargs) -> tuple[float, requests.Response]:
        started = time.perf_counter()
        response = self.sessions[user].request(method, self.url + path, timeout=TIMEOUT, **kwargs)
        return time.perf_counter() - started, response

    def dav(self, user: str, method: str, path: str, body: str, depth: str = "1"
            ) -> tuple[float, dav.Multistatus]:
        """A WebDAV request answered with a multistatus (else RuntimeError)."""
        elapsed, response = self.request(
            user, method, path, data=body.encode(),
            headers={"Depth": depth, "Content-Type": "application/xml; charset=utf-8"})
        if response.status_code != 207:
            raise RuntimeError("%s %s %s: %d %s" % (self.name, method, path,
                                                    response.status_code, response.text[:300]))
        return elapsed, dav.parse_multistatus(response.content)


def remove_item_caches(folder: pathlib.Path) -> int:
    """Delete Radicale's ``.Radicale.cache`` of every collection (item
    cache, sync history, tokens): what a lost or cleaned cache looks like."""
    removed = 0
    for cache in (folder / "collection-root").glob("*/*/.Radicale.cache"):
        shutil.rmtree(cache)
        removed += 1
    return removed


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

    def ratio(self, operation: str) -> Optional[float]:
        p, s = self.median_ms(operation, "plugin"), self.median_ms(operation, "stock")
        return s / p if p and s else None

    def mismatch(self, text: str) -> None:
        self.mismatches.append(text)
        say("MISMATCH " + text)

    def compare(self, what: str, plugin: dict, stock: dict, etags: bool) -> None:
        """Same hrefs (else MISMATCH); with ``etags``, also the same ETags
        for the same files. Stock Radicale's ETag is the hash of vobject's
        re-serialisation of a file it has not written itself; a plugin
        whose indexer fills Radicale's item cache may hash the file as it
        is: reported apart, as that is no wrong answer."""
        if set(plugin) != set(stock):
            only_p = sorted(set(plugin) - set(stock))[:5]
            only_s = sorted(set(stock) - set(plugin))[:5]
            self.mismatch("%s: plugin %d hrefs, stock %d; only plugin %s; only stock %s"
                          % (what, len(plugin), len(stock), only_p, only_s))
        elif etags and plugin != stock:
            differ = sum(plugin[h] != stock[h] for h in plugin)
            text = "%s: same %d hrefs, %d ETags differ" % (what, len(plugin), differ)
            self.etag_differences.append(text)
            say("ETags differ: " + text)


def fmt(value: Optional[float]) -> str:
    if value is None:
        return "n/a"
    return "%.1f" % value if value < 1000 else "%.0f" % value


def entry_text(district, uid: str, building: str, start: dt.datetime) -> bytes:
    """A new internal appointment as the assistant PUTs it."""
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
