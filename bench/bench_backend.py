"""How long the office backend's pages take at a real district's size.

    .venv/bin/python bench/bench_backend.py [--buildings 3500] [--rounds 5]

1. ``bench/district.py`` writes a district (3,500 buildings, five years:
   about 60,000 entries) into a temporary storage folder;
2. ``kamin reindex`` builds the side index (as before a production start);
3. ``kamin serve`` runs on a free 127.0.0.1 port with the bundled config;
   every page of the backend is fetched as ``meister`` — once to warm up,
   then ``--rounds`` times — and the median and the slowest are printed;
4. ``PUT settings`` changes a calling option (``announce_days``): the due
   periods of every entry are recomputed in place inside that request —
   its time is printed, and the time of the first ``GET due-calls`` after
   it in the same process.

The figures go into docs/backend.md. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import configparser
import datetime as dt
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import requests

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import district  # noqa: E402
import servers   # noqa: E402

AUTH = ("meister", "meister-demo")
PAGES = ("", "woche", "mitarbeiter", "arbeitszeiten/anna", "regeln", "kontakte?q=Regensburg",
         "kalender", "import", "protokoll")


def timed(method: str, url: str, **kwargs) -> tuple[float, requests.Response]:
    started = time.perf_counter()
    answer = requests.request(method, url, auth=AUTH, timeout=600, **kwargs)
    return time.perf_counter() - started, answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buildings", type=int, default=3500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 11, 30))
    args = parser.parse_args()
    folder = pathlib.Path(tempfile.mkdtemp(prefix="kamin-bench-backend-"))
    try:
        collections = folder / "collections"
        manifest = district.generate(collections, args.buildings, today=args.today,
                                     progress=lambda text: print(text, file=sys.stderr))
        print(district.summary(manifest))
        users = folder / "users"
        shutil.copy(ROOT / "config" / "users", users)
        port = servers.free_port()
        config = servers.write_config(folder, port, auth={"htpasswd_filename": str(users),
                                                          "delay": "0"},
                                      storage={"kamin_index_verify_seconds": "600"})
        started = time.perf_counter()
        subprocess.run([str(servers.BIN / "kamin"), "reindex", "--config", str(config),
                        "--quiet"], check=True, cwd=ROOT)
        print("kamin reindex: %.1f s" % (time.perf_counter() - started))
        url = "http://127.0.0.1:%d" % port
        parser_ = configparser.RawConfigParser()
        parser_.read(config)
        now = dt.datetime.combine(args.today, dt.time(10, 0)).isoformat()
        with servers.running([str(servers.BIN / "kamin"), "serve", "--config", str(config)],
                             folder / "serve.log", url):
            print("\n| page | median | slowest | size |\n|---|---|---|---|")
            for page in PAGES:
                link = "%s/.web/kamin/%s" % (url, page)
                if page == "":
                    link += "?now=" + now
                elif page == "woche":
                    link += "?start=" + args.today.isoformat()
                first, answer = timed("GET", link)
                assert answer.status_code == 200, (page, answer.status_code, answer.text[:300])
                times = [timed("GET", link)[0] for _ in range(args.rounds)]
                print("| /.web/kamin/%s | %.0f ms | %.0f ms | %d KiB |" % (
                    page.split("?")[0], statistics.median(times) * 1000, max(times) * 1000,
                    len(answer.content) // 1024))
            api = url + "/.web/kamin/api/"
            print("\n| endpoint (behind Heute) | median |\n|---|---|")
            for path in ("due-calls?lease=false", "data-missing?", "follow-up?", "deadlines?",
                         "holds?"):
                link = api + path + ("&" if "?" in path and not path.endswith("?") else "") + \
                    "now=" + now
                timed("GET", link)
                times = [timed("GET", link)[0] for _ in range(args.rounds)]
                print("| GET %s | %.0f ms |" % (path.rstrip("?").split("?")[0],
                                               statistics.median(times) * 1000))
            for days in (10, 7):
                took, answer = timed("PUT", api + "settings", json={"announce_days": days})
                assert answer.status_code == 200, answer.text
                after, answer = timed("GET", api + "due-calls?lease=false&now=" + now)
                print("\nPUT settings announce_days=%d (due periods recomputed in place): "
                      "%.0f ms; the next GET due-calls: %.0f ms (%d calls)" % (
                          days, took * 1000, after * 1000, len(answer.json()["calls"])))
        log = (folder / "serve.log").read_text()
        for line in log.splitlines():
            if "recomputed" in line:
                print("server log:", line.split("] ", 1)[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
