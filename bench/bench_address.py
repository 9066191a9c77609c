#!/usr/bin/env python3
"""Time ``normalise`` over 10,000 varied records (target: under 2 s).

    .venv/bin/python bench/bench_address.py [--records N] [--runs R]

Records are generated from a fixed seed out of realistic pieces (free text
in several layouts, CSV columns, escapes, typos, phones with labels), so
runs are comparable. The table load is timed separately (it happens once
per process).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from radicale_kamin.address.verdict import normalise
from radicale_kamin.address.postcodes import table

STREETS = ["Hauptstr.", "hauptstrasse", "Karl-Marx-Str", "Am Markt", "Str. des 17. Juni", "Lindenweg",
           "Bahnhofstraße", "Schillerstr", "Alte Dorfstrasse", "Goethestraße", "Im Winkel"]
NUMBERS = ["12", "12 A", "3-5", "7½", "12/1", "110", "1", "", "o. Nr.", "24 bis 26"]
PLACES = [("01067", "Dresden"), ("1067", "Dresden"), ("80331", "Muenchen"), ("60311", "Frankfurt a. M."),
          ("15377", "Bollersdorf"), ("4109.0", "Leipzig"), ("10115", "Berlin-Mitte"), ("80331", "Berlin"),
          ("99999", "Nirgendwo"), ("", "Munchen"), ("90402", "Nürnburg"), ("A-1010", "Wien"),
          ("16831", "Rheinsberg OT Kagar"), ("06108", "Halle"), ("87435", "Kempten"), ("01067", "")]
# {n} is replaced by random digits so the phone parse cache cannot flatter the timing.
PHONES = ["0351 {n}", "+49 (0)89 {n}", "Tel. privat 089 {n}", "{n}", "", "Fax 089 1, 0171 {n}",
          "tel:+49-30-{n}", "keine"]


def record(rng: random.Random) -> dict:
    street, number = rng.choice(STREETS), rng.choice(NUMBERS)
    plz, city = rng.choice(PLACES)
    phone = rng.choice(PHONES).format(n=rng.randrange(100000, 9999999))
    layout = rng.randrange(6)
    if layout == 0:
        return {"street": street, "housenumber": number, "zip": plz, "city": city, "phone": phone}
    if layout == 1:
        return {"address": f"{plz} {city}, {street} {number}", "phone": phone}
    if layout == 2:
        return {"address": f"Max Muster\\nc/o Müller\\n{street} {number}\\n{plz} {city}\\nTel. 0351 555555"}
    if layout == 3:
        return {"address": rng.choice(["", "???", "siehe Rechnung", "Postfach 12 34, 01067 Dresden"])}
    return {"address": f"{street} {number}\\, {plz} {city}", "mobile": phone}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    start = time.perf_counter()
    table()
    print(f"table load: {time.perf_counter() - start:.3f} s (once per process)")
    rng = random.Random(20240601)
    records = [record(rng) for _ in range(args.records)]
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        for item in records:
            normalise(item)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"{args.records} records, {args.runs} runs: median {median:.3f} s, "
          f"{args.records / median:,.0f} records/s (best {min(times):.3f} s)")


if __name__ == "__main__":
    main()
