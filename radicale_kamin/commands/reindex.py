"""``kamin reindex``: rebuild the side index from the ``.ics`` files.

Needed after restoring a backup or copying files in while the server was
down; the server heals the index by itself too, this does it all at once
with a progress bar. Works while the server runs (it takes Radicale's
storage lock for reading, so no write happens meanwhile).
"""

from __future__ import annotations

import sys
import time

from radicale_kamin.commands import kamin_storage, radicale_config


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "reindex", help="rebuild the side index from the calendar files")
    parser.add_argument("--config", required=True, metavar="RADICALE_CONFIG",
                        help="the Radicale config file (e.g. config/radicale.conf)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args) -> int:
    from tqdm import tqdm

    store = kamin_storage(radicale_config(args.config))
    started = time.monotonic()
    with store.acquire_lock("r", "kamin-reindex"):
        with tqdm(unit=" entries", disable=args.quiet, file=sys.stderr) as bar:
            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)
            count = store.index.rebuild(progress=progress)
    print("indexed %d entries in %.1f s" % (count, time.monotonic() - started))
    return 0
