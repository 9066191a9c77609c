"""PLZ + city as typed → the reference place, with repairs R1–R4, T and C.

The PLZ decides (it fixes the Kehrbezirk); the city is checked against the
places that PLZ lists. Repairs are allowed only where the reference data
confirms them; nothing is ever guessed from the city alone (no PLZ from a
city, no letter read as a digit).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Optional

from radicale_kamin.address.names import fold, within_one_edit
from radicale_kamin.address.postcodes import Place, PostcodeTable, table
from radicale_kamin.address.streets import restore_case

# Abbreviations in city names (R4): "Frankfurt a. M.", "Bad Homburg v.d.H.".
_ABBREVIATIONS = (
    (re.compile(r"\bi\.\s*d\.\s*", re.I), "in der "),
    (re.compile(r"\s*(?:/\s*|\ba\.\s*)M(?:\.|ain\b)?$", re.I), " am Main"),
    (re.compile(r"\s*(?:/\s*|\ba\.\s*d\.\s*)O(?:\.|der\b)?$", re.I), " (Oder)"),
    (re.compile(r"\bv\.\s*d\.\s*H(?:\.|öhe\b)?", re.I), "vor der Höhe"),
    (re.compile(r"\ba\.\s*d\.\s*", re.I), "an der "),
    (re.compile(r"\ba\.\s*", re.I), "am "),
    (re.compile(r"\bi\.\s*", re.I), "im "),
    (re.compile(r"\bb\.\s*", re.I), "bei "),
    # Regional qualifiers as abbreviated on letters ("Weiden i.d.OPf.", "Neumarkt i.d.OPf.").
    *((re.compile(r"\b%s(?:\.|\b)" % short, re.I), long) for short, long in (
        ("OPf", "Oberpfalz"), ("Obb", "Oberbayern"), ("Ndb", "Niederbayern"), ("Ofr", "Oberfranken"),
        ("Mfr", "Mittelfranken"), ("Ufr", "Unterfranken"), ("Schwab", "Schwaben"), ("Württ", "Württemberg"),
        ("Westf", "Westfalen"), ("Holst", "Holstein"), ("Thür", "Thüringen"), ("Brsg", "Breisgau"),
        ("Br", "Breisgau"), ("Allg", "Allgäu"))),
)
# Where a qualifier starts in a city name: "Kempten (Allgäu)", "Lingen/Ems", "Frankfurt am Main".
_QUALIFIER = re.compile(r"\s*(?:\(|/|\s(?:am|an|an der|im|in|i\.|bei|b\.|ob|vor|v\.|a\.)\s)", re.I)
_DISTRICT_MARK = re.compile(
    r"[\s,(/-]*\b(?:OT|Ortsteil|Stadtteil|Stadtbezirk|Gemeindeteil|Ot)\b[.:]?\s*(?P<district>[^,()]+)\)?", re.I)
_SWISS_CITIES = {fold(n): n for n in (
    "Zürich", "Genf", "Genève", "Basel", "Bern", "Lausanne", "Winterthur", "Luzern", "St. Gallen",
    "Lugano", "Biel", "Thun", "Zug", "Schaffhausen", "Chur", "Kreuzlingen", "Frauenfeld", "Aarau",
    "Baden", "Olten", "Solothurn", "Davos", "St. Moritz", "Sankt Gallen")}


@dataclass
class PlaceResult:
    """The resolved place and what had to be done to get there."""
    postcode: Optional[str] = None
    city: Optional[str] = None
    district: Optional[str] = None
    country: Optional[str] = None
    postcode_status: str = "missing"  # ok | missing | malformed | unknown | foreign
    city_status: str = "missing"      # ok | missing | filled | mismatch
    repairs: list[str] = field(default_factory=list)


def split_district(city: str) -> tuple[str, Optional[str]]:
    """``Rheinsberg OT Kagar`` → (``Rheinsberg``, ``Kagar``)."""
    match = _DISTRICT_MARK.search(city)
    if not match:
        return city.strip(), None
    rest = (city[:match.start()] + city[match.end():]).strip(" ,-/()")
    return rest, match.group("district").strip(" .)")


def expand_abbreviations(city: str) -> str:
    for pattern, replacement in _ABBREVIATIONS:
        city = pattern.sub(replacement, city)
    return " ".join(city.split())


def _as_match(place: Place) -> tuple[str, Optional[str]]:
    return place.city, (place.district or None)


def _unique(places: list[Place]) -> Optional[Place]:
    """One place when all candidates agree on the municipality (Gemeinde first)."""
    if not places:
        return None
    cities = {p.city for p in places}
    if len(cities) != 1:
        return None
    gemeinde = [p for p in places if not p.district]
    return gemeinde[0] if gemeinde else places[0]


def _qualifier_agrees(typed: str, reference: str) -> bool:
    """``Frankfurt/Oder`` must not become ``Frankfurt am Main``: first letters of the qualifiers agree."""
    t, r = _QUALIFIER.search(typed), _QUALIFIER.search(reference)
    if not t or not r:
        return True
    t_rest = fold(typed[t.end():]).strip("( ")
    r_rest = fold(reference[r.end():]).strip("( ")
    return not t_rest or not r_rest or t_rest[0] == r_rest[0]


def match_city(places: list[Place], city: str) -> Optional[tuple[str, Optional[str], str]]:
    """(city, district, how) when ``city`` names one of ``places``; how is ok/R3/R4/T."""
    key = fold(city)
    exact = [p for p in places if p.name == city]
    if exact:
        return (*_as_match(_unique(exact) or exact[0]), "ok")
    folded = [p for p in places if fold(p.name) == key]
    if folded and _unique(folded):
        return (*_as_match(_unique(folded)), "R3")
    expanded = fold(expand_abbreviations(city))
    hit = _unique([p for p in places if fold(p.name) == expanded])
    if hit:
        return (*_as_match(hit), "R4")
    base = _QUALIFIER.split(city, maxsplit=1)[0]
    base_key = fold(base)
    if base_key:
        longer = [p for p in places if not p.district and _qualifier_agrees(city, p.name)
                  and (fold(p.name) == base_key or fold(p.name).startswith(base_key + " "))]
        hit = _unique(longer)
        if hit:
            return (*_as_match(hit), "R4")
    if len(key.replace(" ", "")) >= 5:
        near = [p for p in places if len(fold(p.name)) >= 5 and within_one_edit(fold(p.name), key)]
        hit = _unique(near)
        if hit:
            return (*_as_match(hit), "T")
    return None


def _split_hyphenated(places: list[Place], city: str) -> Optional[tuple[str, Optional[str], str]]:
    """``Berlin-Mitte``, ``Blaubeuren-Asch``, ``Berlin Kreuzberg``: municipality + Ortsteil."""
    for separator in ("-", " "):
        parts = city.split(separator)
        for cut in range(len(parts) - 1, 0, -1):
            head, tail = separator.join(parts[:cut]), separator.join(parts[cut:])
            if not tail or not tail[0].isupper():
                continue  # "Frankfurt (Oder)", "Lingen an der Ems": a qualifier, not an Ortsteil
            found = match_city(places, head)
            if found and found[1] is None and found[2] in ("ok", "R3"):
                district = match_city(places, tail)
                if district and district[1] and district[0] == found[0]:
                    return found[0], district[1], found[2]
                return found[0], restore_case(tail.strip()), found[2]
    return None


def lookup_city(places: list[Place], city: str) -> Optional[tuple[str, Optional[str], str]]:
    return match_city(places, city) or _split_hyphenated(places, city)


def city_without_postcode(city: str, ref: PostcodeTable) -> tuple[str, Optional[str], bool]:
    """R3 against every PLZ: (city, district, known)."""
    for candidate in (city, expand_abbreviations(city)):
        places = ref.named(candidate)
        if places:
            gemeinde = [p for p in places if not p.district]
            if gemeinde:
                name = gemeinde[0].name
                official = {p.city for p in gemeinde if p.name == name}
                return (official.pop() if len(official) == 1 else name), None, True
            if len({p.city for p in places}) == 1:
                return places[0].city, places[0].name, True
    for separator in ("-", " "):
        head, _, tail = city.partition(separator)
        if tail and tail[0].isupper() and ref.named(head) and not ref.named(city):
            found, _, _ = city_without_postcode(head, ref)
            return found, restore_case(tail), True
    return restore_case(city), None, False


def resolve(postcode: Optional[str], city: Optional[str], district: Optional[str] = None,
            country_hint: Optional[str] = None, ref: Optional[PostcodeTable] = None) -> PlaceResult:
    """Check a PLZ–city pair against the reference and repair what may be repaired."""
    ref = ref or table()
    result = PlaceResult(district=district)
    city = " ".join((city or "").split()) or None
    if city:
        city, marked = split_district(city)
        result.district = result.district or marked
        city = city or None
    code = (postcode or "").strip()
    if re.fullmatch(r"\d{4,5}[.,]0+", code):
        code = code.split(".")[0].split(",")[0]
        result.repairs.append("R2")
    if not code:
        return _no_postcode(result, city, country_hint, ref)
    if not re.fullmatch(r"\d{4,5}", code):
        result.postcode_status = "malformed"
        return _no_postcode(result, city, country_hint, ref, keep_status=True)
    if len(code) == 4:
        return _four_digits(result, code, city, country_hint, ref)
    result.postcode, result.country = code, "DE"
    if not ref.exists(code):
        result.postcode_status = "unknown"
        return _city_only(result, city, ref)
    result.postcode_status = "ok"
    return _city_for_postcode(result, code, city, ref)


def _city_for_postcode(result: PlaceResult, code: str, city: Optional[str], ref: PostcodeTable) -> PlaceResult:
    if not city:
        municipalities = ref.municipalities(code)
        if len(municipalities) == 1:
            result.city, result.city_status = municipalities[0], "filled"
            result.repairs.append("C")
        return result
    found = lookup_city(ref.places(code), city)
    if found:
        result.city, district, how = found
        result.district = result.district or district
        result.city_status = "ok"
        if how != "ok":
            result.repairs.append(how)
        return result
    result.city_status = "mismatch"
    result.city, district, _ = city_without_postcode(city, ref)
    result.district = result.district or district
    return result


def _four_digits(result: PlaceResult, code: str, city: Optional[str], hint: Optional[str],
                 ref: PostcodeTable) -> PlaceResult:
    """R1 for a lost leading zero, else an Austrian/Swiss PLZ, else malformed."""
    if hint not in ("AT", "CH") and city:
        padded = "0" + code
        found = lookup_city(ref.places(padded), city) if ref.exists(padded) else None
        if found:
            result.postcode, result.country, result.postcode_status = padded, "DE", "ok"
            result.city, district, how = found
            result.district = result.district or district
            result.city_status = "ok"
            result.repairs.extend(["R1"] + ([how] if how != "ok" else []))
            return result
    austrian = lookup_city(ref.places(code, "AT"), city) if city else None
    if hint == "AT" or (hint is None and austrian):
        result.postcode, result.country, result.postcode_status = code, "AT", "foreign"
        result.city = austrian[0] if austrian else (restore_case(city) if city else None)
        result.city_status = "ok" if city else "missing"
        return result
    if hint == "CH" or (city and fold(city) in _SWISS_CITIES):
        result.postcode, result.country, result.postcode_status = code, "CH", "foreign"
        result.city, result.city_status = _swiss_name(city), ("ok" if city else "missing")
        return result
    result.postcode_status = "malformed"
    return _no_postcode(result, city, hint, ref, keep_status=True)


def _swiss_name(city: Optional[str]) -> Optional[str]:
    """A Swiss city in its usual spelling (``Zuerich`` → ``Zürich``); there is no Swiss table."""
    return _SWISS_CITIES.get(fold(city), restore_case(city)) if city else None


def _no_postcode(result: PlaceResult, city: Optional[str], hint: Optional[str], ref: PostcodeTable,
                 keep_status: bool = False) -> PlaceResult:
    if not keep_status:
        result.postcode_status = "missing"
    if hint in ("AT", "CH") or (city and fold(city) in _SWISS_CITIES):
        result.country = hint or "CH"
        result.postcode_status = "foreign" if result.postcode_status == "missing" else result.postcode_status
        result.city, result.city_status = _swiss_name(city), ("ok" if city else "missing")
        return result
    result.country = "DE"
    return _city_only(result, city, ref)


def _city_only(result: PlaceResult, city: Optional[str], ref: PostcodeTable) -> PlaceResult:
    if not city:
        result.city_status = "missing"
        return result
    result.city, district, _ = city_without_postcode(city, ref)
    result.district = result.district or district
    result.city_status = "ok"
    return result
