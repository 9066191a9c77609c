"""``kamin address``: normalise addresses and phones (interim, see issue 3)."""

from __future__ import annotations

import json
import sys

from radicale_kamin.address import normalise


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "address", help="normalise an address and judge it green/orange/red")
    parser.add_argument("--jsonl", action="store_true",
                        help="read one JSON record per line on stdin")
    parser.add_argument("text", nargs="?", help="one free-text address")
    parser.set_defaults(func=run)


def run(args) -> int:
    if args.jsonl:
        for line in sys.stdin:
            if line.strip():
                result = normalise(json.loads(line))
                sys.stdout.write(json.dumps(result.as_json(), ensure_ascii=False) + "\n")
        return 0
    result = normalise({"address": args.text or ""})
    print(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    return 0
