"""The ``kamin`` command: one sub-command per module in ``commands/``."""

from __future__ import annotations

import argparse
import importlib
import sys
from typing import Optional, Sequence

# Each name is a module radicale_kamin.commands.<name> with
# ``register(subparsers)`` that adds its parser and sets ``func``.
COMMANDS = ("address", "setup", "reindex", "due-calls", "import", "sync", "serve", "webhooks")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kamin",
        description="radicale_kamin: the chimney-sweep calendar's tools.")
    subparsers = parser.add_subparsers(dest="command", required=True,
                                       metavar="COMMAND")
    for name in COMMANDS:
        # "import" is a keyword: its module is import_.
        module = "radicale_kamin.commands." + name.replace("-", "_") + ("_" if name == "import" else "")
        importlib.import_module(module).register(subparsers)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "serve":
        # A short run queues webhook events; a server (or deliver-once) sends them.
        from radicale_kamin.server.webhooks import run_in_background
        run_in_background(False)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
