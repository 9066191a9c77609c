"""Free address text → the raw pieces a clerk would pick out of it.

No reference data is consulted for the structure except to tell a city from
a name; the checks live in ``places.py``. Steps: undo iCalendar escapes,
cut out labelled phone/fax numbers, split into segments (lines, commas,
semicolons), drop notes (c/o, z. Hd., floors, country names), then find the
PLZ–city segment and the street-and-number segment in any order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Optional

from radicale_kamin.address.phone import labelled_spans
from radicale_kamin.address.streets import split_number

_ESCAPES = ((r"\n", "\n"), (r"\N", "\n"), (r"\,", ","), (r"\;", ";"), ("\\\\", "\\"), ("\r", "\n"))
_SEGMENT_SPLIT = re.compile(
    r"\n|;|,|\||\s+/\s+|\s+[-–]\s+(?=(?:[A-Z]{1,2}-)?\d{4,5}\b)|\s+(?:und|oder|sowie|bzw\.?)\s+(?=[^\W\d])")
# "Objekt:", "Anschrift:", "Lieferung an:", "Eigentümer:" – a heading in front of the address.
_PREFIX_LABEL = re.compile(r"^\s*[^\W\d][^\d:,]{0,28}:\s*")
_COUNTRIES = {
    "deutschland": "DE", "germany": "DE", "brd": "DE", "de": "DE", "d": "DE", "bundesrepublik deutschland": "DE",
    "österreich": "AT", "oesterreich": "AT", "austria": "AT", "at": "AT",
    "schweiz": "CH", "switzerland": "CH", "suisse": "CH", "ch": "CH",
}
_STATES = {
    "baden-württemberg", "bayern", "berlin", "brandenburg", "bremen", "hamburg", "hessen",
    "mecklenburg-vorpommern", "niedersachsen", "nordrhein-westfalen", "nrw", "rheinland-pfalz", "saarland",
    "sachsen", "sachsen-anhalt", "schleswig-holstein", "thüringen", "bw", "by", "oberbayern", "niederbayern",
    "oberpfalz", "oberfranken", "mittelfranken", "unterfranken", "schwaben"}
_TRAILING_COUNTRY = re.compile(r"\s+(?:Deutschland|Germany|Österreich|Oesterreich|Austria|Schweiz|Switzerland)$", re.I)
_NOTE_SEGMENT = re.compile(
    r"^(?:c/o|c\.o\.|z\.\s*H(?:d)?\.?|zu\s+Händen|z\.?\s?Hd|attn|bei\s|Herrn?\b|Frau\b|Familie\b|Fam\.|Firma\b|Fa\.)"
    r"|\b(?:GmbH|AG|KG|e\.\s?V\.|Hausverwaltung|Verwaltung)\b", re.I)
_NOTES_IN_STREET = re.compile(
    r"\s*\(.*?\)"
    r"|\s+\d{1,2}\.\s*(?:OG|Obergeschoss|Etage|Stock|Stockwerk)\b\.?"
    r"|\s+(?:EG|DG|UG|OG|Erdgeschoss|Dachgeschoss|Souterrain|Hinterhaus|Vorderhaus|Seitenflügel|Gartenhaus"
    r"|Hinterhof|Hochparterre|Parterre)\b\.?"
    r"|\s+(?:Whg|Wohnung|App|Apt|Apartment|Zi|Zimmer)\.?\s*(?:Nr\.?\s*)?\d*[a-z]?\b"
    r"|\s+(?:links|rechts|li\.|re\.)$", re.I)
_FLOOR_ONLY = re.compile(
    r"^(?:\d{1,2}\.\s*)?(?:OG|Obergeschoss|Etage|Stock|Stockwerk|EG|DG|UG|Erdgeschoss|Dachgeschoss|Souterrain"
    r"|Hinterhaus|Vorderhaus|Seitenflügel|Gartenhaus|Hinterhof|Hochparterre|Parterre|links|rechts"
    r"|(?:Whg|Wohnung|App|Apt|Apartment|Zi|Zimmer)\.?\s*(?:Nr\.?\s*)?\d*[a-z]?)\.?(?:\s.*)?$", re.I)
_NO_NUMBER = re.compile(r"\s*\b(?:o\.\s*Nr\.?|ohne\s+(?:Haus)?(?:nummer|Nr\.?)|o\.\s*Hnr\.?|ohne\s+Hnr\.?)", re.I)
_POSTFACH = re.compile(r"\b(?:Postfach|Postf\.|PF|Packstation|Postfiliale|Postlagernd|Paketshop)\b", re.I)
_STREET_WORD = re.compile(
    r"(?:stra(?:ß|ss)e|str\.?|weg|gasse|platz|pl\.|allee|ring|damm|ufer|chaussee|pfad|steig|markt|hof"
    r"|berg|graben|wall|zeile|promenade|steige|stieg|twiete|kamp|brücke|tor|garten|siedlung|anger|park)\b"
    r"|^(?:am|an der|an den|im|in der|in den|auf der|auf dem|zum|zur|hinter der|unter der|alte|alter|am alten)\s",
    re.I)
# A PLZ-like token; a 4-digit one only where a city follows (R1/R2, AT, CH).
_PLZ = re.compile(
    r"(?<![\w/.\-])(?:(?P<cc>D|DE|A|AT|CH)(?:\s?-\s?|\s))?"
    r"(?P<plz>\d{5}[.,]0+(?![\d])|\d{5,6}|\d{4}(?:[.,]0+)?|(?<=^)\d{3}(?=\s+[^\W\d_]{3})|(?=[\dO]*O)(?=(?:[O]*\d){3})[\dO]{5})(?![\w/])")


@dataclass
class RawAddress:
    """What was read out of the text, before any reference check."""
    street: Optional[str] = None
    number: Optional[str] = None
    postcode: Optional[str] = None
    city: Optional[str] = None
    district: Optional[str] = None
    country_hint: Optional[str] = None
    postfach: bool = False
    several: bool = False          # more than one address in the field
    had_text: bool = False         # anything at all besides phone numbers
    had_phone: bool = False        # a labelled number was cut out of the text
    leftovers: list[str] = field(default_factory=list)


def unescape(text: str) -> str:
    for escaped, plain in _ESCAPES:
        text = text.replace(escaped, plain)
    return text


def without_phones(text: str, spans: list[tuple[int, int]]) -> str:
    for start, end in reversed(sorted(spans)):
        text = text[:start] + "\n" + text[end:]
    return text


def segments(text: str) -> list[str]:
    parts = (_PREFIX_LABEL.sub("", p).strip(" \t.:-") for p in _SEGMENT_SPLIT.split(text))
    return [" ".join(p.split()) for p in parts if p and p.strip(" \t.:-")]


def _looks_like_street(text: str) -> bool:
    return bool(_STREET_WORD.search(text))


def _city_text(text: str) -> str:
    return _TRAILING_COUNTRY.sub("", text).strip(" ,-")


def _plz_in(segment: str) -> Optional[re.Match]:
    """The PLZ token of a segment, if it has one."""
    for match in _PLZ.finditer(segment):
        plz, after = match.group("plz"), segment[match.end():]
        before = segment[:match.start()].strip()
        followed_by_word = bool(re.match(r"\s*[^\W\d_]", after))
        if re.fullmatch(r"\d{4}(?:[.,]0+)?", plz):
            # 4 digits: a PLZ only before a city, at the start or after a house number.
            if match.group("cc") or (followed_by_word and (not before or re.search(r"\d\s*[a-zA-Z]?$", before))):
                return match
            continue
        if len(plz) == 5 and not followed_by_word and before and not re.search(r"\d", before) \
                and _looks_like_street(before) and not after.strip():
            continue  # "Hauptstraße 12345"? a street with a huge number is not a PLZ either — leave it
        return match
    return None


def read_address(text: str, is_city: Callable[[str], bool]) -> RawAddress:
    """Pick street, number, PLZ, city out of free text; ``is_city`` tells a place name from a person's."""
    raw = RawAddress()
    text = unescape(text)
    spans = labelled_spans(text)
    raw.had_phone = bool(spans)
    text = without_phones(text, spans)
    if _NO_NUMBER.search(text):
        text = _NO_NUMBER.sub("", text)
    streets: list[tuple[str, Optional[str]]] = []
    places: list[tuple[str, str]] = []
    lone_cities: list[str] = []
    postbox_places: list[tuple[str, str]] = []  # used only when no other place is given
    after_postbox = False
    for segment in segments(text):
        raw.had_text = True
        follows_postbox, after_postbox = after_postbox, False
        country = _COUNTRIES.get(segment.lower().strip(". "))
        if country:
            raw.country_hint = raw.country_hint or (country if country != "DE" else None)
            continue
        if segment.lower() in _STATES and (places or streets):
            continue  # "04109 Leipzig, Sachsen": the Land, not an Ortsteil
        if _POSTFACH.search(segment):
            raw.postfach = True
            match = _plz_in(segment)
            if match:
                postbox_places.append(_place_from(segment, match, raw))
            else:
                after_postbox = True  # "Postfach 1234 / 01001 Dresden": the next line is its place
            continue
        if _FLOOR_ONLY.match(segment) or (_NOTE_SEGMENT.search(segment) and not _street_of(segment)):
            raw.leftovers.append(segment)
            continue
        match = _plz_in(segment)
        if match:
            before = segment[:match.start()].strip(" ,-")
            after = segment[match.end():].strip(" ,-")
            if match.group("cc"):
                raw.country_hint = raw.country_hint or {"A": "AT", "AT": "AT", "CH": "CH"}.get(match.group("cc"))
            city, street_after = _split_city_street(after, is_city)
            if before and not city and not _street_of(before):
                city, before = before, ""  # "Dresden 01067"
            if before:
                street = _street_of(before)
                if street:
                    streets.append(street)
                elif _street_and_city(before, is_city):
                    s, c = _street_and_city(before, is_city)
                    streets.append(s)
                    city = city or c
            if street_after:
                streets.append(street_after)
            if follows_postbox and not before and not street_after:
                postbox_places.append((match.group("plz"), _city_text(city)))
            else:
                places.append((match.group("plz"), _city_text(city)))
            continue
        combined = _street_and_city(segment, is_city)
        if combined:
            streets.append(combined[0])
            lone_cities.append(combined[1])
            continue
        street = _street_of(segment)
        if street and (street[1] or not is_city(segment)):
            streets.append(street)
            continue
        if is_city(_city_text(segment)) or re.match(r"^(?:OT|Ortsteil|Stadtteil)\b", segment, re.I):
            lone_cities.append(_city_text(segment))
            continue
        raw.leftovers.append(segment)
    return _assemble(raw, streets, places or postbox_places, lone_cities)


def _place_from(segment: str, match: re.Match, raw: RawAddress) -> tuple[str, str]:
    return match.group("plz"), _city_text(segment[match.end():].strip(" ,-"))


def _street_of(text: str) -> Optional[tuple[str, Optional[str]]]:
    """(street, number) when ``text`` reads as a street line, else None."""
    cleaned = _NOTES_IN_STREET.sub("", text).strip(" ,")
    name, number = split_number(cleaned)
    if number and re.search(r"[^\W\d_]{2}", name):
        return name, number
    if not re.search(r"\d(?!\.)", cleaned.replace("17. Juni", "")) and _looks_like_street(cleaned):
        return cleaned, None
    if _looks_like_street(cleaned) and not number:
        return cleaned, None
    return None


def _split_city_street(after: str, is_city: Callable[[str], bool]) -> tuple[str, Optional[tuple[str, Optional[str]]]]:
    """``München Hauptstraße 12`` after a PLZ → (``München``, (``Hauptstraße``, ``12``))."""
    if not re.search(r"\d", after) and not _looks_like_street(after.split(" ", 1)[-1]):
        return after, None
    if not _looks_like_street(after):
        # "01067 Dresden 0351 1234567": an unlabelled number after the city is no part of it.
        return re.split(r"\s*[\d(+]", after, maxsplit=1)[0], None
    words = after.split(" ")
    for cut in range(len(words) - 1, 0, -1):
        head, tail = " ".join(words[:cut]), " ".join(words[cut:])
        if is_city(head):
            street = _street_of(tail)
            if street and street[1]:
                return head, street
    return after, None


def _street_and_city(text: str, is_city: Callable[[str], bool]) -> Optional[tuple[tuple[str, Optional[str]], str]]:
    """``Hauptstr. 12 Dresden`` (no PLZ, no comma) → ((street, number), city)."""
    match = re.match(r"^(?P<street>.*?\d+\s?[a-zA-Z]?)\s+(?P<city>[^\d]+)$", text)
    if match and is_city(match.group("city")):
        street = _street_of(match.group("street"))
        if street and street[1]:
            return street, match.group("city")
    return None


def _assemble(raw: RawAddress, streets, places, lone_cities) -> RawAddress:
    distinct_streets = list(dict.fromkeys(streets))
    distinct_places = list(dict.fromkeys(places))
    # A Postfach beside a street is a second (postal) address: the building is taken, the clerk checks.
    raw.several = len(distinct_streets) > 1 or len(distinct_places) > 1 or (raw.postfach and bool(streets))
    if distinct_streets:
        raw.street, raw.number = distinct_streets[0]
    if distinct_places:
        raw.postcode, raw.city = distinct_places[0]
    districts = [c for c in lone_cities if re.match(r"^(?:OT|Ortsteil|Stadtteil)\b", c, re.I)]
    cities = [c for c in lone_cities if c not in districts]
    if not raw.city and cities:
        raw.city = cities.pop(0)
    if districts:
        raw.district = re.sub(r"^(?:OT|Ortsteil|Stadtteil)\b[.:]?\s*", "", districts[0], flags=re.I)
    elif cities and raw.city and len(cities) == 1 and raw.postcode:
        raw.district = cities[0]  # "Kagar, 16831 Rheinsberg": a place line beside the PLZ line
    return raw
