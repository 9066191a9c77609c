"""District benchmark (issues 4 and 15): radicale_kamin vs stock Radicale
on a generated district, in the same run.

    .venv/bin/python bench/bench_district.py [--buildings 3500] [--years 5]
        [--runs 5] [--stock-slow-runs 3] [--seed 1] [--today ISO]
        [--property-buildings 1000] [--skip-stock] [--live-tree] [--keep DIR]

One command: generates the district once (``bench/district.py``, written
directly as files, as a copied-in storage would be), copies it for the
stock server, starts two real ``radicale`` processes on free 127.0.0.1
ports — the bundled config (plugin) and the same config with
``--storage-type multifilesystem --web-type internal`` (stock), both with
``--logging-level warning`` and their own htpasswd (bcrypt) and rights
files — and times over HTTP with ``requests``, alternating between the
servers run by run:

1. copied-in storage: the plugin's first requests on untouched files (a
   one-week REPORT and a PROPFIND Depth 1 on the measured calendar, then
   each other calendar) and the time until the whole storage is indexed
   (the first ``GET due-calls`` that answers 200); stock's first REPORT
   (it builds its item cache);
2. warm: the one-week time-range REPORT and the building lookup (each
   timed on the first read of its items and again), PROPFIND Depth 1
   (getetag, getcontenttype, resourcetype) and an initial sync-collection
   (getetag) — hrefs compared between the servers, and each server's
   listed ETags checked against a calendar-multiget of a sample —, then in
   each run ten changes (eight PUTs of new entries, two DELETEs) and a
   sync-collection from the previous token, which must name exactly those
   ten hrefs on both servers (the two deleted ones as 404); the plugin's
   ``GET due-calls`` and ``GET buildings/{id}``; both servers' memory
   (VmRSS, VmHWM);
3. restart: both servers stopped, ``kamin reindex``, both restarted, the
   first request of each kind (also PROPFIND, initial sync and a sync from
   the token handed out before the restart);
4. lost cache: both stopped, every ``.Radicale.cache`` deleted (Radicale's
   item cache, sync history and tokens), both restarted: the first
   requests again;
5. property REPORTs: calendar-queries with prop-filters on the entry's own
   properties (``X-KAMIN-STATUS``, ``-KIND``, ``-CUSTOMER``, ``-PHONE``,
   ``-ADDRESS``, ``CATEGORIES``, ``SUMMARY``, ``LOCATION``; text-match with
   collations, negation, is-not-defined, alone and with a time range) on a
   second district of ``--property-buildings`` (plugin vs stock, same
   hrefs), and on the plugin's main district (does the time grow with the
   calendar?).

Every stock measurement uses the calendar of LG-000123 (stock builds its
item cache per calendar: two minutes each at 3,500 buildings). Medians of
``--runs`` runs; the stock building lookup (about a minute each) runs
``--stock-slow-runs`` times, the stock property REPORTs (10–40 s each)
``--stock-property-runs`` times, cold starts once. Every REPORT goes to both servers and must return the
same hrefs (a difference is printed as MISMATCH and makes the exit status
1); ETags of the same unchanged files are compared too and differences
listed apart.

The servers, ``kamin`` and the generator run a snapshot of HEAD (``git
archive`` into the work folder, on ``PYTHONPATH``, config from it too), so
that edits made in the shared work tree during the run do not mix in;
``--live-tree`` runs the work tree as it is. Progress goes to stderr, the
table to stdout (and ``results.json`` with ``--keep``). A default run takes
about 12–15 minutes on the 2-core box (2026-12-04); ``--buildings 20000
--skip-stock`` about 12.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import pathlib
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Optional

import requests

import benchkit
import dav
from benchkit import BERLIN, KAMIN, STAFF, Results, Server, fmt, say


# --- requests ----------------------------------------------------------------

def week_range(monday: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(monday, dt.time(), BERLIN)
    return start, dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(), BERLIN)


def week_query(monday: dt.date) -> str:
    return dav.calendar_query(time_range=week_range(monday), calendar_data=True)


def building_query(building: str) -> str:
    return dav.calendar_query((dav.PropFilter("X-KAMIN-BUILDING", (dav.TextMatch(building),)),),
                              calendar_data=True)


def property_queries(today: dt.date) -> list[tuple[str, str]]:
    """The assistant's and the office's property REPORTs (label, body)."""
    P, T = dav.PropFilter, dav.TextMatch
    month = (dt.datetime.combine(today, dt.time(), BERLIN),
             dt.datetime.combine(today + dt.timedelta(days=31), dt.time(), BERLIN))
    queries = [
        ("X-KAMIN-STATUS contains planned", (P("X-KAMIN-STATUS", (T("planned"),)),), None),
        ("X-KAMIN-CUSTOMER contains a name", (P("X-KAMIN-CUSTOMER", (T("huber"),)),), None),
        ("X-KAMIN-PHONE +49941…, i;octet", (P("X-KAMIN-PHONE", (T("+49941", "i;octet"),)),),
         None),
        ("X-KAMIN-ADDRESS contains incomplete", (P("X-KAMIN-ADDRESS", (T("incomplete"),)),), None),
        ("CATEGORIES contains Kamin: bestätigt",
         (P("CATEGORIES", (T("KAMIN: BESTÄTIGT", "i;unicode-casemap"),)),), None),
        ("SUMMARY not Kehrung, LOCATION Regensburg",
         (P("SUMMARY", (T("Kehrung", negate=True),)), P("LOCATION", (T("Regensburg"),))), None),
        ("X-KAMIN-BUILDING is-not-defined + one month",
         (P("X-KAMIN-BUILDING", undefined=True),), month),
        ("X-KAMIN-KIND internal + one month", (P("X-KAMIN-KIND", (T("internal"),)),), month),
    ]
    return [(label, dav.calendar_query(filters, time_range))
            for label, filters, time_range in queries]


def kamin_reindex(config: pathlib.Path, results: Results) -> None:
    try:
        help_text = subprocess.run([KAMIN, "--help"], capture_output=True, text=True,
                                   cwd=benchkit.CODE, env=benchkit.child_env()).stdout
    except FileNotFoundError:
        help_text = ""
    if not re.search(r"^\s+reindex\s", help_text, re.M):
        results.notes["reindex"] = "kamin reindex: not available (kamin --help lists no reindex)"
        say(results.notes["reindex"])
        return
    say("kamin reindex --config %s" % config)
    started = time.perf_counter()
    done = subprocess.run([KAMIN, "reindex", "--config", str(config), "--quiet"],
                          capture_output=True, text=True, cwd=benchkit.CODE,
                          env=benchkit.child_env())
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
    """GET an API path as the assistant; None while the path answers 404
    (not implemented) or 503 (the index is being built)."""
    elapsed, response = server.request("assistant", "GET", "/.web/kamin/api/" + path)
    if response.status_code in (404, 503):
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


# --- the run -------------------------------------------------------------------

@dataclasses.dataclass
class Context:
    args: argparse.Namespace
    results: Results
    district: object
    manifest: object
    config: pathlib.Path
    servers: list
    main_staff: str
    calendar: str
    buildings: list
    weeks: list
    today: dt.date
    calling_now: dt.datetime
    rng: random.Random
    tokens: dict = dataclasses.field(default_factory=dict)

    @property
    def plugin(self) -> Server:
        return self.servers[0]

    @property
    def stock(self) -> Optional[Server]:
        return self.servers[1] if len(self.servers) > 1 else None

    def alternating(self, n: int) -> list:
        return self.servers if n % 2 == 0 else self.servers[::-1]


def paths(multistatus: dav.Multistatus, calendar: str) -> dict[str, Optional[str]]:
    """href → ETag of the items (the collection's own response left out)."""
    return {h: e for h, e in multistatus.etags.items() if h.rstrip("/") != calendar.rstrip("/")}


def new_uid(ctx: Context) -> str:
    return str(uuid.UUID(int=ctx.rng.getrandbits(128), version=4))


def put_new(ctx: Context, n: int, building: str, day: int,
            operation: str = "PUT new entry") -> str:
    """A new entry PUT to both servers (timed as ``operation``); its href."""
    uid = new_uid(ctx)
    body = benchkit.entry_text(ctx.district, uid, building, dt.datetime.combine(
        ctx.today + dt.timedelta(days=day), dt.time(9, 0)))
    href = "%s%s.ics" % (ctx.calendar, uid)
    for server in ctx.alternating(n):
        elapsed, response = server.request(
            ctx.main_staff, "PUT", href, data=body,
            headers={"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"})
        if response.status_code != 201:
            raise RuntimeError("%s PUT: %d %s" % (server.name, response.status_code,
                                                   response.text[:300]))
        ctx.results.add(operation, server.name, elapsed)
    return href


def delete(ctx: Context, n: int, href: str) -> None:
    for server in ctx.alternating(n):
        elapsed, response = server.request(ctx.main_staff, "DELETE", href)
        if response.status_code != 200:
            raise RuntimeError("%s DELETE: %d" % (server.name, response.status_code))
        ctx.results.add("DELETE", server.name, elapsed)


def check_etags(ctx: Context, server: Server, listed: dict[str, Optional[str]], what: str) -> None:
    """The ETags a listing names are the ones a client downloads with
    (calendar-multiget of a sample): else it would fetch them forever."""
    sample = ctx.rng.sample(sorted(listed), min(25, len(listed)))
    _, got = server.dav(ctx.main_staff, "REPORT", ctx.calendar, dav.multiget(sample))
    wrong = [h for h in sample if got.etags.get(h) != listed[h]]
    if wrong:
        ctx.results.mismatch("%s on %s: %d of %d listed ETags differ from the multiget's, e.g. %s"
                             % (what, server.name, len(wrong), len(sample), wrong[:2]))


def wait_until_indexed(ctx: Context, started: float, limit: float = 1800) -> Optional[float]:
    """Seconds from ``started`` until the plugin's due-calls (in a calling
    window, where it reads every staff calendar) answers 200: every staff
    calendar indexed. Polls once a second."""
    path = "due-calls?lease=false&now=" + requests.utils.quote(ctx.calling_now.isoformat())
    while time.perf_counter() - started < limit:
        _, response = api_get(ctx.plugin, path)
        if response is not None:
            return time.perf_counter() - started
        time.sleep(1)
    return None


def copied_in(ctx: Context) -> None:
    """First requests on untouched files."""
    results, plugin = ctx.results, ctx.plugin
    say("plugin: copied-in storage, first one-week REPORT on %s (%d entries) …" % (
        ctx.calendar, ctx.manifest.per_staff[ctx.main_staff]))
    started = time.perf_counter()
    elapsed, first = plugin.dav(ctx.main_staff, "REPORT", ctx.calendar, week_query(ctx.weeks[0]))
    results.add("cold start: first REPORT", "plugin", elapsed)
    say("plugin: %.2f s, %d hrefs" % (elapsed, len(first.etags)))
    elapsed, _ = plugin.dav(ctx.main_staff, "PROPFIND", ctx.calendar, dav.PROPFIND_LISTING)
    results.add("copied-in: first PROPFIND Depth 1", "plugin", elapsed)
    firsts = {}
    for staff in STAFF:
        if staff != ctx.main_staff:
            firsts[staff], _ = plugin.dav(staff, "REPORT", ctx.manifest.calendar(staff),
                                          week_query(ctx.weeks[0]))
            say("plugin: first REPORT on /%s/termine/ (%d entries): %.2f s" % (
                staff, ctx.manifest.per_staff[staff], firsts[staff]))
    results.facts["plugin_first_reports_other_calendars_s"] = firsts
    indexed = wait_until_indexed(ctx, started)
    results.facts["copied_in_indexed_s"] = indexed
    say("plugin: every calendar indexed %s s after the first request" % fmt(indexed))
    if ctx.stock:
        say("stock: cold start, first one-week REPORT (builds its item cache) …")
        elapsed, answer = ctx.stock.dav(ctx.main_staff, "REPORT", ctx.calendar,
                                        week_query(ctx.weeks[0]))
        results.add("cold start: first REPORT", "stock", elapsed)
        say("stock: %.2f s" % elapsed)
        results.compare("cold one-week REPORT", first.etags, answer.etags, True)


def warm_reports(ctx: Context) -> None:
    results = ctx.results
    # Radicale's item cache: stock built it for every file at its cold
    # start; the plugin never needs it for filtering, so an item it has
    # not served before is read once when first returned. Each query is
    # therefore timed twice: first read, then warm.
    say("warm: one-week REPORTs")
    for n in range(ctx.args.runs):
        answers = {}
        for server in ctx.alternating(n):
            for operation in ("one-week REPORT, first read", "one-week REPORT"):
                elapsed, answers[server.name] = server.dav(
                    ctx.main_staff, "REPORT", ctx.calendar, week_query(ctx.weeks[n + 1]))
                results.add(operation, server.name, elapsed)
        if ctx.stock:
            results.compare("one-week REPORT %s" % ctx.weeks[n + 1], answers["plugin"].etags,
                            answers["stock"].etags, True)
        results.notes["one-week REPORT"] = "%d–%d hrefs" % (
            min(len(a.etags) for a in answers.values()), max(len(a.etags) for a in answers.values()))

    say("warm: building lookups (stock: about a minute each)")
    sizes = []
    for n in range(ctx.args.runs):
        answers = {}
        for server in ctx.alternating(n):
            if server.stock:
                if n >= ctx.args.stock_slow_runs:
                    continue
                operations = ("building lookup REPORT",)
            else:
                operations = ("building lookup REPORT, first read", "building lookup REPORT")
            for operation in operations:
                elapsed, answers[server.name] = server.dav(
                    ctx.main_staff, "REPORT", ctx.calendar, building_query(ctx.buildings[n]))
                results.add(operation, server.name, elapsed)
                if server.stock:    # its item cache is complete: no first read
                    results.add(operation + ", first read", server.name, elapsed)
                say("  %s %s: %.3f s, %d hrefs" % (server.name, ctx.buildings[n], elapsed,
                                                   len(answers[server.name].etags)))
        sizes.append(len(answers["plugin"].etags))
        if "stock" in answers:
            results.compare("building lookup %s" % ctx.buildings[n], answers["plugin"].etags,
                            answers["stock"].etags, True)
    results.notes["building lookup REPORT"] = "%d–%d hrefs" % (min(sizes), max(sizes))


def listings(ctx: Context) -> None:
    """PROPFIND Depth 1 and initial sync-collection: what every staff device
    asks on every poll."""
    results = ctx.results
    say("warm: PROPFIND Depth 1 and initial sync-collection")
    for n in range(ctx.args.runs):
        answers, synced = {}, {}
        for server in ctx.alternating(n):
            elapsed, answer = server.dav(ctx.main_staff, "PROPFIND", ctx.calendar,
                                         dav.PROPFIND_LISTING)
            results.add("PROPFIND Depth 1", server.name, elapsed)
            answers[server.name] = paths(answer, ctx.calendar)
            elapsed, answer = server.dav(ctx.main_staff, "REPORT", ctx.calendar,
                                         dav.sync_collection())
            results.add("sync-collection, initial", server.name, elapsed)
            synced[server.name] = answer
            ctx.tokens[server.name] = answer.token
            if set(answer.etags) != set(answers[server.name]):
                results.mismatch("%s: initial sync names %d hrefs, PROPFIND %d" % (
                    server.name, len(answer.etags), len(answers[server.name])))
            if n == 0:
                check_etags(ctx, server, answers[server.name], "PROPFIND Depth 1")
                check_etags(ctx, server, answer.etags, "initial sync")
        if ctx.stock:
            results.compare("PROPFIND Depth 1", answers["plugin"], answers["stock"], False)
            results.compare("initial sync", synced["plugin"].etags, synced["stock"].etags, False)
            if synced["plugin"].missing != synced["stock"].missing:
                results.mismatch("initial sync: 404 responses differ")
    results.notes["PROPFIND Depth 1"] = "%d items" % len(answers["plugin"])


def changes_and_syncs(ctx: Context) -> None:
    """Each run: eight new entries and two deletions on both servers, then a
    sync-collection from the previous token, which must name exactly them."""
    results = ctx.results
    say("warm: PUT, DELETE, sync-collection from the previous token")
    victims = [put_new(ctx, n, ctx.buildings[n % len(ctx.buildings)], 40 + n)
               for n in range(2 * ctx.args.runs)]
    for server in ctx.servers:      # the token after the victims were written
        _, answer = server.dav(ctx.main_staff, "REPORT", ctx.calendar,
                               dav.sync_collection(ctx.tokens[server.name]))
        ctx.tokens[server.name] = answer.token
    for n in range(ctx.args.runs):
        created = [put_new(ctx, n, ctx.buildings[(n + k) % len(ctx.buildings)], 10 + n)
                   for k in range(8)]
        deleted = victims[2 * n:2 * n + 2]
        for href in deleted:
            delete(ctx, n, href)
        for server in ctx.alternating(n):
            elapsed, answer = server.dav(ctx.main_staff, "REPORT", ctx.calendar,
                                         dav.sync_collection(ctx.tokens[server.name]))
            results.add("sync-collection from an old token (10 changes)", server.name, elapsed)
            ctx.tokens[server.name] = answer.token
            if set(answer.etags) != set(created) or answer.missing != set(deleted):
                results.mismatch("%s: sync after 10 changes named %s and 404 %s" % (
                    server.name, sorted(answer.etags)[:3], sorted(answer.missing)))


def json_api(ctx: Context) -> None:
    results = ctx.results
    say("warm: JSON API (plugin only)")
    first = {}
    for n in range(ctx.args.runs + 1):
        for operation, path in api_paths(ctx.buildings[n % len(ctx.buildings)], ctx.calling_now):
            elapsed, response = api_get(ctx.plugin, path)
            if response is None:
                results.notes[operation] = "404/503"
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


def memory(ctx: Context, when: str) -> None:
    for server in ctx.servers:
        ctx.results.facts.setdefault("memory_mb", {}).setdefault(when, {})[server.name] = \
            server.memory_mb()
    say("memory %s: %s" % (when, ctx.results.facts["memory_mb"][when]))


def first_requests(ctx: Context, prefix: str, building: str, stock_lookup: bool) -> None:
    """The first request of each kind after a (re)start."""
    results = ctx.results
    answers = {}
    for server in ctx.servers:
        elapsed, answer = server.dav(ctx.main_staff, "PROPFIND", ctx.calendar,
                                     dav.PROPFIND_LISTING)
        results.add(prefix + "PROPFIND Depth 1", server.name, elapsed)
        answers[server.name] = paths(answer, ctx.calendar)
        elapsed, answer = server.dav(ctx.main_staff, "REPORT", ctx.calendar, dav.sync_collection())
        results.add(prefix + "initial sync", server.name, elapsed)
        token = ctx.tokens.get(server.name)
        try:
            elapsed, answer = server.dav(ctx.main_staff, "REPORT", ctx.calendar,
                                         dav.sync_collection(token))
            results.add(prefix + "sync from the token before", server.name, elapsed)
        except RuntimeError:
            results.notes[prefix + "sync from the token before"] = \
                "%s: token no longer valid (403: the client syncs afresh)" % server.name
        elapsed, _ = server.dav(ctx.main_staff, "REPORT", ctx.calendar, week_query(ctx.weeks[0]))
        results.add(prefix + "first one-week REPORT", server.name, elapsed)
        if not server.stock or stock_lookup:
            elapsed, _ = server.dav(ctx.main_staff, "REPORT", ctx.calendar,
                                    building_query(building))
            results.add(prefix + "building lookup REPORT", server.name, elapsed)
    if ctx.stock:
        results.compare(prefix + "PROPFIND", answers["plugin"], answers["stock"], False)
    other = next(s for s in reversed(STAFF) if s != ctx.main_staff)
    elapsed, _ = ctx.plugin.dav(other, "REPORT", ctx.manifest.calendar(other),
                                week_query(ctx.weeks[1]))
    results.add(prefix + "one-week REPORT, other calendar", "plugin", elapsed)
    put_new(ctx, 0, building, 9, prefix + "PUT new entry")
    for operation, path in api_paths(ctx.buildings[0], ctx.calling_now):
        elapsed, response = api_get(ctx.plugin, path)
        if response is not None:
            results.add(prefix + operation, "plugin", elapsed)


def restart(ctx: Context, remove_caches: bool) -> None:
    for server in ctx.servers:
        server.stop()
    if remove_caches:
        for server in ctx.servers:
            say("%s: %d .Radicale.cache folders removed" % (
                server.name, benchkit.remove_item_caches(server.folder)))
    else:
        kamin_reindex(ctx.config, ctx.results)
    for server in ctx.servers:
        server.start()


def property_reports(ctx: Context, servers: list, staff: str, calendar: str, label: str,
                     runs: int) -> dict:
    """Each property REPORT on ``servers`` (plugin first); hrefs compared."""
    results = ctx.results
    sizes = {}
    for name, body in property_queries(ctx.today):
        answers = {}
        for n in range(runs):
            for server in (servers if n % 2 == 0 else servers[::-1]):
                if server.stock and n >= ctx.args.stock_property_runs:
                    continue
                elapsed, answers[server.name] = server.dav(staff, "REPORT", calendar, body)
                results.add("%s: %s" % (label, name), "stock" if server.stock else "plugin",
                            elapsed)
        found = {s: len(a.etags) for s, a in answers.items()}
        sizes[name] = found
        say("  %s %s: %s hrefs; %s" % (label, name, found, ", ".join(
            "%s %s ms" % (s.name, fmt(results.median_ms("%s: %s" % (label, name),
                                                        "stock" if s.stock else "plugin")))
            for s in servers)))
        if len(answers) == 2:
            plugin_answer, stock_answer = answers.values()
            results.compare("%s %s" % (label, name), plugin_answer.etags, stock_answer.etags,
                            False)
        results.notes["%s: %s" % (label, name)] = "%d hrefs" % max(found.values())
    return sizes


def small_district(ctx: Context, workdir: pathlib.Path) -> None:
    """Property REPORTs side by side on a district of --property-buildings."""
    args = ctx.args
    folder = workdir / "props-kamin"
    say("property REPORTs: generating %d buildings" % args.property_buildings)
    manifest = ctx.district.generate(folder, args.property_buildings, args.years, args.seed,
                                     ctx.today)
    staff = manifest.building_staff["LG-%06d" % min(123, args.property_buildings)]
    calendar = manifest.calendar(staff)
    ctx.results.facts["property_district"] = {"buildings": args.property_buildings,
                                              "entries_in_calendar": manifest.per_staff[staff]}
    servers = [Server("plugin-props", False, workdir, folder)]
    if not args.skip_stock:
        shutil.copytree(folder / "collection-root", workdir / "props-stock" / "collection-root")
        servers.append(Server("stock-props", True, workdir, workdir / "props-stock"))
    saved = ctx.servers
    try:
        for server in servers:
            server.start()
        ctx.servers = servers
        started = time.perf_counter()
        servers[0].dav(staff, "PROPFIND", calendar, dav.PROPFIND_LISTING)
        say("plugin: %d-building district indexed after %s s" % (
            args.property_buildings, fmt(wait_until_indexed(ctx, started))))
        if len(servers) > 1:
            started = time.perf_counter()
            servers[1].dav(staff, "PROPFIND", calendar, dav.PROPFIND_LISTING)
            say("stock: item cache of %s built in %.1f s" % (calendar,
                                                             time.perf_counter() - started))
        property_reports(ctx, servers, staff, calendar, "%d buildings" % args.property_buildings,
                         args.property_runs)
    finally:
        ctx.servers = saved
        for server in servers:
            server.stop()


def run(args, workdir: pathlib.Path) -> Results:
    results = Results()
    results.facts["code"] = benchkit.code_version()
    say("plugin code: " + results.facts["code"])
    district = benchkit.use_code(benchkit.ROOT if args.live_tree else
                                 benchkit.snapshot(workdir / "code"))
    plugin_folder = workdir / "kamin"
    today = args.today or dt.date.today()
    say("generating %d buildings × %d years into %s" % (args.buildings, args.years, plugin_folder))
    manifest = district.generate(plugin_folder, args.buildings, args.years, args.seed, today,
                                 progress=say)
    say(district.summary(manifest).replace("\n", "\n" + " " * 11))
    results.facts["district"] = {k: v for k, v in vars(manifest).items() if k != "building_staff"}
    config = benchkit.write_server_files(workdir, plugin_folder)
    servers = [Server("plugin", False, workdir, plugin_folder)]
    if not args.skip_stock:
        started = time.perf_counter()
        shutil.copytree(plugin_folder / "collection-root", workdir / "stock" / "collection-root")
        say("copied for stock Radicale in %.1f s" % (time.perf_counter() - started))
        servers.append(Server("stock", True, workdir, workdir / "stock"))

    # The calendar of LG-000123 is the one every stock measurement uses
    # (stock builds its item cache per calendar: about two minutes each).
    first_building = "LG-%06d" % min(123, args.buildings)
    main_staff = manifest.building_staff[first_building]
    rng = random.Random(args.seed + 7)
    others = [b for b, s in manifest.building_staff.items() if s == main_staff and b != first_building]
    monday = today - dt.timedelta(days=today.weekday())
    weeks = [monday + dt.timedelta(weeks=n) for n in (0, 1, -1, 2, -2, 3, -3, 4, -4, 5)]
    calling_day = today
    while calling_day.weekday() >= 5:
        calling_day += dt.timedelta(days=1)
    ctx = Context(args=args, results=results, district=district, manifest=manifest,
                  config=config, servers=servers, main_staff=main_staff,
                  calendar=manifest.calendar(main_staff),
                  buildings=[first_building] + rng.sample(others, min(len(others), args.runs + 2)),
                  weeks=(weeks * (args.runs // len(weeks) + 2))[:args.runs + 2], today=today,
                  calling_now=dt.datetime.combine(calling_day, dt.time(10, 0), BERLIN), rng=rng)
    results.facts["calendar"] = ctx.calendar
    results.facts["entries_in_calendar"] = manifest.per_staff[main_staff]
    try:
        for server in servers:
            server.start()
        say("servers up: " + ", ".join("%s %s" % (s.name, s.url) for s in servers))
        copied_in(ctx)
        warm_reports(ctx)
        listings(ctx)
        changes_and_syncs(ctx)
        json_api(ctx)
        memory(ctx, "warm")
        say("plugin: property REPORTs on the main district")
        property_reports(ctx, [ctx.plugin], main_staff, ctx.calendar,
                         "%d buildings" % args.buildings, args.property_runs)
        memory(ctx, "after property REPORTs")

        restart(ctx, remove_caches=False)
        say("restarted; first request of each kind")
        first_requests(ctx, "after restart: ", ctx.buildings[-1], stock_lookup=False)
        restart(ctx, remove_caches=True)
        say("restarted without .Radicale.cache; first request of each kind")
        first_requests(ctx, "after cache loss: ", ctx.buildings[-2], stock_lookup=False)
        memory(ctx, "end")
    finally:
        for server in servers:
            server.stop()
    if args.property_buildings:
        small_district(ctx, workdir)
    if benchkit.CODE == benchkit.ROOT and benchkit.code_version() != results.facts["code"]:
        results.notes["code"] = "WARNING: the plugin code changed during the run (now %s)" % (
            benchkit.code_version())
        say(results.notes["code"])
    return results


# --- the table -----------------------------------------------------------------

def verdict(ok: Optional[bool]) -> str:
    return "n/a" if ok is None else "met" if ok else "NOT MET"


def print_table(args, results: Results) -> None:
    facts = results.facts
    d = facts["district"]
    print()
    print("District benchmark: %d buildings, %d years (%d–%d), %d entries in 4 calendars; "
          "%s holds %d" % (args.buildings, args.years, d["years"][0], d["years"][-1],
                            d["entries"], facts["calendar"], facts["entries_in_calendar"]))
    print("generated in %.1f s; medians of %d runs%s" % (
        d["seconds"], args.runs, "; stock skipped" if args.skip_stock else
        " (stock building lookup: %d, stock property REPORTs: %d, cold start: 1)"
        % (min(args.runs, args.stock_slow_runs), args.stock_property_runs)))
    print("plugin code: %s; %s" % (facts["code"], dt.datetime.now().strftime("%Y-%m-%d %H:%M")))
    if "code" in results.notes:
        print(results.notes["code"])
    print()
    header = "%-62s %12s %12s %9s  %s" % ("operation", "plugin (ms)", "stock (ms)",
                                          "stock/plugin", "notes")
    print(header)
    print("-" * len(header))
    for operation, by_server in results.times.items():
        p, s = results.median_ms(operation, "plugin"), results.median_ms(operation, "stock")
        ratio = results.ratio(operation)
        runs = "runs %s" % "/".join(str(len(by_server.get(k, []))) for k in ("plugin", "stock")
                                      if k in by_server)
        note = results.notes.get(operation, "")
        print("%-62s %12s %12s %9s  %s" % (operation, fmt(p), fmt(s) if s is not None else
                                         ("n/a" if not args.skip_stock else "skipped"),
                                         "%.1f" % ratio if ratio else "n/a",
                                         "; ".join(x for x in (runs, note) if x)))
    for operation, note in results.notes.items():
        if operation not in results.times and operation not in ("reindex", "code"):
            print("%-62s %12s %12s %9s  %s" % (operation, "n/a", "n/a", "n/a", note))
    print()
    print("plugin: first REPORT on the other calendars of the copied-in storage: %s" % (
        ", ".join("%s %.2f s" % kv for kv in facts["plugin_first_reports_other_calendars_s"].items())))
    print("plugin: every calendar of the copied-in storage indexed %s s after the first request"
          % fmt(facts.get("copied_in_indexed_s")))
    for key in facts:
        if key.startswith("first GET"):
            print("plugin: %s of the server run (not in the median): %.1f ms" % (
                key, facts[key] * 1000))
    for when, by_server in facts.get("memory_mb", {}).items():
        print("memory %s: %s" % (when, "; ".join(
            "%s VmRSS %.0f MB, VmHWM %.0f MB" % (name, m["VmRSS"], m["VmHWM"])
            for name, m in by_server.items())))
    reindex = facts.get("reindex")
    if reindex:
        rate = reindex["entries"] / reindex["seconds"]
        print("kamin reindex: %d entries in %.1f s (%.0f entries/s; %.1f s with start-up) "
              "→ 47,000 entries in %.1f s" % (reindex["entries"], reindex["seconds"], rate,
                                               reindex["wall_seconds"], 47000 / rate))
    else:
        print(results.notes.get("reindex", "kamin reindex: n/a"))
    print_targets(args, results)


def print_targets(args, results: Results) -> None:
    facts = results.facts
    print()
    print("targets (issues 4 and 15):")
    for operation in [op for op in results.times if op.startswith("GET due-calls")] or \
            ["GET due-calls"]:
        due = results.median_ms(operation, "plugin")
        print("  due-calls < 50 ms at 20,000 buildings: %s ms (%s) at %d buildings — %s" % (
            fmt(due), operation, args.buildings,
            verdict(None if due is None or args.buildings < 20000 else due < 50)))
    for operation, target in (("one-week REPORT", 20), ("building lookup REPORT", 1000),
                              ("PROPFIND Depth 1", 10), ("sync-collection, initial", 10),
                              ("sync-collection from an old token (10 changes)", 10),
                              ("PUT new entry", 20), ("DELETE", 5)):
        r = results.ratio(operation)
        print("  %s ≥ %d× stock: %s — %s" % (operation, target, "n/a" if r is None else
                                             "%.1f×" % r, verdict(None if r is None else
                                                                  r >= target)))
    incremental = results.median_ms("sync-collection from an old token (10 changes)", "plugin")
    print("  incremental sync < 1 s at 20,000 buildings: %s ms at %d buildings — %s" % (
        fmt(incremental), args.buildings,
        verdict(None if args.buildings < 20000 or incremental is None else incremental < 1000)))
    for prefix in ("after restart: ", "after cache loss: "):
        after = {op: results.median_ms(op, "plugin") for op in results.times
                 if op.startswith(prefix)}
        if after:
            worst = max(after, key=lambda op: after[op])
            print("  no request %sover 1 s: slowest %s ms (%s) — %s" % (
                prefix[:-2] + " ", fmt(after[worst]), worst[len(prefix):],
                verdict(after[worst] < 1000)))
    small = "%d buildings: " % args.property_buildings
    ratios = [(op[len(small):], results.ratio(op)) for op in results.times if op.startswith(small)]
    for name, r in ratios:
        print("  property REPORT %s ≥ 10× stock at %d buildings: %s — %s" % (
            name, args.property_buildings, "n/a" if r is None else "%.1f×" % r,
            verdict(None if r is None else r >= 10)))
    big = "%d buildings: " % args.buildings
    for name, _ in ratios:
        p_small, p_big = results.median_ms(small + name, "plugin"), \
            results.median_ms(big + name, "plugin")
        if p_small and p_big:
            print("  property REPORT %s, %d vs %d buildings: %.1f vs %.1f ms (×%.1f)" % (
                name, args.buildings, args.property_buildings, p_big, p_small, p_big / p_small))
    memory = facts.get("memory_mb", {}).get("after property REPORTs")
    if memory:
        plugin = memory["plugin"]["VmRSS"]
        if "stock" in memory:
            stock = memory["stock"]["VmRSS"]
            print("  RSS within 2× stock: plugin %.0f MB, stock %.0f MB (%.1f×) — %s" % (
                plugin, stock, plugin / stock, verdict(plugin <= 2 * stock)))
        print("  RSS within 300 MB at 20,000 buildings: %.0f MB at %d buildings — %s" % (
            plugin, args.buildings, verdict(None if args.buildings < 20000 else plugin <= 300)))
    if reindex := facts.get("reindex"):
        estimate = 47000 * reindex["seconds"] / reindex["entries"]
        print("  first indexing of 47,000 entries < 60 s: %.1f s (kamin reindex, scaled) — %s"
              % (estimate, verdict(estimate < 60)))
    print()
    if results.mismatches:
        print("answers differ (plugin vs stock, or a listing vs what a client downloads):")
        for text in results.mismatches:
            print("  " + text)
    elif not args.skip_stock:
        print("every REPORT, PROPFIND and sync returned the same hrefs on both servers")
    if results.etag_differences:
        print("same hrefs, but the ETags of unchanged files differ between plugin and stock"
              " (expected for files written outside Radicale: the plugin's ETag is the hash of"
              " the file, stock's of vobject's re-serialisation — docs/entry-profile.md):")
        for text in results.etag_differences:
            print("  " + text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("--buildings", type=int, default=3500)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--runs", type=int, default=5, help="runs per measurement (default 5)")
    parser.add_argument("--stock-slow-runs", type=int, default=3,
                        help="runs of the stock building lookup and property REPORTs (default 3)")
    parser.add_argument("--property-buildings", type=int, default=1000,
                        help="buildings of the district for the property REPORTs (0: none)")
    parser.add_argument("--property-runs", type=int, default=5,
                        help="runs of each plugin property REPORT (default 5)")
    parser.add_argument("--stock-property-runs", type=int, default=1,
                        help="runs of each stock property REPORT (10–40 s each; default 1)")
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
