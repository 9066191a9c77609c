"""Street names and house numbers in their canonical written form.

Street names cannot be checked offline, so only spelling is repaired:
``Str.``/``str``/``strasse`` → ``Straße``/``straße`` and the capitalisation
of an all-lower or all-upper name (``hauptstr.`` → ``Hauptstraße``). House
numbers follow DIN 5008 habits: ``12a``, ``12-14``, ``7 1/2``, ``12/1``.
"""

from __future__ import annotations

import re
from typing import Optional

# "Str." / "str" / "strasse" as the end of a word, or as a word of its own.
_STRASSE_SUFFIX = re.compile(r"(?<=[^\W\d_])(?:str\.?|strasse|straße|strase)(?![^\W\d_])", re.IGNORECASE)
_STRASSE_WORD = re.compile(r"(?<![^\W\d_])(?:str\.?|strasse|straße)(?![^\W\d_])", re.IGNORECASE)
_SMALL_WORDS = {"am", "an", "auf", "bei", "beim", "d.", "der", "den", "des", "dem", "die", "das", "im",
                "in", "ob", "unter", "vom", "von", "vor", "zu", "zum", "zur", "und", "über", "hinter",
                "a.", "i.", "v.", "b.", "a.d.", "u."}

# A house number as it stands after the street; see canonical_number().
NUMBER = (r"\d{1,4}(?:\s?[a-zA-Z](?![^\W\d_]))?"
          r"(?:\s*(?:-|–|—|bis|/)\s*(?:\d{1,4}(?:\s?[a-zA-Z](?![^\W\d_]))?|[a-zA-Z](?![^\W\d_])))?"
          r"(?:\s*(?:1/2|½))?")
_NUMBER_AT_END = re.compile(r"^(?P<street>.*?[^\W\d_].*?)[\s,]*(?P<number>%s)\s*$" % NUMBER)
_NUMBER_WORD = re.compile(r"\s*\b(?:Nr|Hausnr|Hausnummer|Hnr)\.?\s*$", re.I)
_RANGE = re.compile(r"\s*(?:-|–|—|\bbis\b)\s*")
_HALF = re.compile(r"\s*(?:½|(?<![\d/])1/2)$")


def _capitalise(word: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in word.split("-"))


def restore_case(name: str) -> str:
    """``hauptstraße`` → ``Hauptstraße``; ``AM ALTEN MARKT`` → ``Am Alten Markt``."""
    if name != name.lower() and name != name.upper():
        return name
    words = name.lower().split(" ")
    return " ".join(w if i and w in _SMALL_WORDS else _capitalise(w) for i, w in enumerate(words))


def canonical_street(name: str) -> str:
    """Official spelling of a street name as typed."""
    text = " ".join(name.replace("\u00a0", " ").split()).strip(" ,;-")
    text = restore_case(text)
    text = _STRASSE_SUFFIX.sub("straße", text)
    text = _STRASSE_WORD.sub("Straße", text)
    text = re.sub(r"\bStraße\s*\.", "Straße", text)
    return re.sub(r"(?<=\S)-\s+|\s+-(?=\S)", "-", text)


def canonical_number(number: str) -> str:
    """``12 A`` → ``12a``, ``12 - 14``/``12 bis 14`` → ``12-14``, ``7½`` → ``7 1/2``."""
    text = " ".join(number.split())
    half = bool(_HALF.search(text))
    text = _HALF.sub("", text)
    text = _RANGE.sub("-", text)
    text = re.sub(r"\s*/\s*", "/", text)
    text = re.sub(r"(?<=\d)\s+(?=[a-zA-Z])", "", text).lower()
    return text + " 1/2" if half else text


def split_number(text: str) -> tuple[str, Optional[str]]:
    """``Hauptstr.12 a`` → (``Hauptstr.``, ``12 a``); no number → (text, None).

    A number followed by a dot belongs to the name (``Str. des 17. Juni``).
    """
    match = _NUMBER_AT_END.match(text.strip())
    if not match:
        return text.strip(), None
    street = _NUMBER_WORD.sub("", match.group("street")).rstrip(" ,")
    if re.search(r"\d$", street):  # "Hauptstr. 12 1/2" split wrongly, or two numbers
        return text.strip(), None
    return street, match.group("number")
