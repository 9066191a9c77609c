"""Comparing place names the way a clerk reads them.

Addresses arrive with lost umlauts (``Muenchen``, ``Munchen``), ``ss`` for
``ß``, ``St.`` for ``Sankt`` and stray hyphens. Every comparison therefore
goes through one folding key; the reference data is folded the same way, so
a match on the key is a match on the name (rule R3 of docs/address-rules.md).
"""

from __future__ import annotations

import re
from functools import lru_cache

_UMLAUTS = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "s", "é": "e", "è": "e"})
_SEPARATORS = re.compile(r"[\s\-./]+")


@lru_cache(maxsize=65536)
def fold(name: str) -> str:
    """Key for R3: case, umlauts, ``ae/oe/ue``, ``ss``, ``Sankt``, punctuation ignored.

    ``München``, ``Muenchen`` and ``Munchen`` share the key ``munchen``;
    ``Straße`` and ``Strasse`` share ``strase``. Folding both sides the same
    way keeps the comparison symmetric, so a folded hit is still a reference name.
    """
    text = name.lower().replace("ae", "a").replace("oe", "o").replace("ue", "u")
    text = text.translate(_UMLAUTS).replace("ss", "s")
    text = _SEPARATORS.sub(" ", text).strip()
    if text.startswith("sankt "):
        text = "st " + text[6:]
    return text.replace(" sankt ", " st ")


def within_one_edit(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` differ by at most one insertion, deletion or substitution."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        return a[i + 1:] == b[i + 1:]
    return a[i:] == b[i + 1:]
