"""The offline postcode reference: which places a PLZ stands for.

Read once from ``data/postcodes.tsv.gz`` (built by ``tools/build_postcodes.py``
from GeoNames, countrystatecity and the Austrian PLZ list) and kept in memory;
about 21,000 rows, loaded in a few tens of milliseconds. Pure lookups, no I/O
after the first call.
"""

from __future__ import annotations

import gzip
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Iterable

from radicale_kamin.address.names import fold

DATA_FILE = "postcodes.tsv.gz"


@dataclass(frozen=True)
class Place:
    """One spelling a PLZ's addresses may carry, and what it stands for."""
    country: str   # "DE" or "AT"
    postcode: str
    name: str      # the spelling as listed (municipality or Ortsteil)
    city: str      # the municipality (Gemeinde) in its official form
    district: str  # the Ortsteil, "" for the municipality itself
    official: bool  # listed by countrystatecity (current municipality names)


class PostcodeTable:
    """Lookups over the reference rows; build with :func:`table`."""

    def __init__(self, places: Iterable[Place]):
        self._by_code: dict[tuple[str, str], list[Place]] = defaultdict(list)
        self._by_key: dict[str, list[Place]] = defaultdict(list)
        for place in places:
            self._by_code[place.country, place.postcode].append(place)
            self._by_key[fold(place.name)].append(place)

    def places(self, postcode: str, country: str = "DE") -> list[Place]:
        """Every spelling listed for ``postcode`` (empty when unknown)."""
        return self._by_code.get((country, postcode), [])

    def exists(self, postcode: str, country: str = "DE") -> bool:
        return (country, postcode) in self._by_code

    def named(self, name: str) -> list[Place]:
        """All places, in any PLZ, whose spelling folds like ``name`` (R3 without PLZ)."""
        return self._by_key.get(fold(name), [])

    def municipalities(self, postcode: str, country: str = "DE") -> list[str]:
        """The distinct municipalities of ``postcode``; current names preferred.

        countrystatecity lists only current municipalities, GeoNames also
        Ortsteile as separate places, so its list is used only where the other
        has no entry (retired PLZ).
        """
        places = self.places(postcode, country)
        current = [p for p in places if p.official or p.country != "DE"]
        chosen = current or [p for p in places if not p.district]
        return sorted({p.city for p in chosen})


def _parse(lines: Iterable[str]) -> Iterable[Place]:
    for line in lines:
        if line.startswith("#") or not line.strip():
            continue
        country, postcode, name, city, district, source = line.rstrip("\n").split("\t")
        yield Place(country, postcode, name, city, district, "c" in source or "a" in source)


@lru_cache(maxsize=1)
def table() -> PostcodeTable:
    """The shipped table, loaded on first use."""
    raw = resources.files("radicale_kamin").joinpath("data", DATA_FILE).read_bytes()
    return PostcodeTable(_parse(gzip.decompress(raw).decode("utf-8").splitlines()))
