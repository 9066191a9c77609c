"""``kamin address``: normalise addresses and phones (docs/address-rules.md).

Two forms:

* ``kamin address --jsonl`` – a filter for imports: one JSON record per line
  on stdin, one result per line on stdout, same order. A bad line (not JSON,
  not an object) becomes ``{"error": ...}`` and the run goes on.
* ``kamin address "Hauptstr.12, 1067 Dresden"`` – one address for the office:
  the parse and the verdict with German labels; ``--json`` prints the
  machine form instead. ``--phone`` adds a phone number.
"""

from __future__ import annotations

import json
import sys
from typing import Iterable, TextIO

from radicale_kamin.address.verdict import REPAIR_TEXTS, AddressResult, normalise

_LABELS = (("street", "Straße"), ("number", "Hausnummer"), ("postcode", "PLZ"), ("city", "Ort"),
           ("district", "Ortsteil"), ("country", "Land"), ("phone_e164", "Telefon"),
           ("phone_type", "Telefonart"))
_VERDICTS_DE = {"green": "GRÜN – vollständig, kann übernommen werden",
                "orange": "ORANGE – erkannt, muss nachgearbeitet werden",
                "red": "ROT – keine Gebäudeadresse erkennbar"}


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "address", help="normalise an address and judge it green/orange/red",
        description="Normalise German addresses and phones; verdict green/orange/red.")
    parser.add_argument("--jsonl", action="store_true",
                        help="read one JSON record per line on stdin, write one result per line")
    parser.add_argument("--json", action="store_true", help="one-shot: print the result as JSON")
    parser.add_argument("--phone", help="one-shot: the phone number to check with the address")
    parser.add_argument("text", nargs="?", help="one free-text address")
    parser.set_defaults(func=run)


def process_lines(lines: Iterable[str], out: TextIO) -> int:
    """The --jsonl filter; returns the number of bad lines."""
    bad = 0
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not a JSON object")
            answer = normalise({k: (v if v is None or isinstance(v, str) else str(v))
                                for k, v in record.items()}).as_json()
        except ValueError as error:  # json.JSONDecodeError is a ValueError
            bad += 1
            answer = {"error": f"line {number}: {error}", "verdict": None}
        out.write(json.dumps(answer, ensure_ascii=False) + "\n")
    return bad


def readable(result: AddressResult) -> str:
    """The result as an office clerk reads it."""
    data = result.as_json()
    lines = [f"{label + ':':<12}{data[key] if data[key] is not None else '–'}" for key, label in _LABELS]
    lines.append(f"{'Ergebnis:':<12}{_VERDICTS_DE[result.verdict]}")
    lines += [f"  • {r.text} ({r.code})" for r in result.reasons]
    lines += [f"  ✓ {REPAIR_TEXTS[code]} ({code})" for code in result.repairs]
    line = result.location_line()
    if line:
        lines.append(f"{'Anschrift:':<12}{line}")
    return "\n".join(lines)


def run(args) -> int:
    if args.jsonl:
        process_lines(sys.stdin, sys.stdout)
        return 0
    if args.text is None:
        print("kamin address: give an address or --jsonl", file=sys.stderr)
        return 2
    result = normalise({"address": args.text, "phone": args.phone})
    if args.json:
        print(json.dumps(result.as_json(), ensure_ascii=False, indent=2))
    else:
        print(readable(result))
    return 0
