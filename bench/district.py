"""A generated chimney-sweep district, written directly into a Radicale
storage folder (no HTTP: loading 60,000 entries by PUT takes hours on stock
Radicale).

    .venv/bin/python bench/district.py FOLDER [--buildings 3500] [--years 5]
                                              [--seed 1] [--today 2026-11-28]

Writes ``FOLDER/collection-root/<staff>/termine/<uid>.ics`` for the staff
calendars of meister, anna, ben and carla (each with the ``.Radicale.props``
a ``kamin setup`` calendar has), and ``FOLDER/district.json`` (counts, the
building → calendar map; outside ``collection-root``, Radicale ignores it).

Per building and year: one appointment (internal or external, 30–90 min on a
Bavarian working day 07:00–16:00 Europe/Berlin, in the building's usual
month), one all-day deadline entry on the last day of its
Feuerstättenbescheid window, and in about half of the years a second
appointment (the measurement half a year later). Per staff calendar: about
three individual entries per working day (office, workshop, private), a few
holidays, and a weekly team meeting (open-ended ``RRULE``). With the
defaults (3,500 buildings, 5 years around ``--today``) that is about 60,000
entries; the buildings lie around Regensburg (real PLZ/city pairs, local
area codes, some numbers mobile, some missing, some addresses without house
number).

Every entry is written as the plugin stores it: the client's text in
vobject's canonical property order (what Radicale hands the storage), then
``radicale_kamin.entries.profile.derive_text`` (state, colour, categories,
normalised phone and address). The address/phone normalisation is memoised
per (address, phone) while generating — it is a pure function and each
building's pair repeats in every entry; a sample of entries is re-derived
without the memo and compared (``--check``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import functools
import json
import pathlib
import random
import sys
import time
import uuid
from typing import Callable, Iterator, Optional
from zoneinfo import ZoneInfo

import holidays
import vobject

from radicale_kamin.entries import entry as kamin_entry
from radicale_kamin.entries import profile

ROOT = pathlib.Path(__file__).resolve().parent.parent
BERLIN = ZoneInfo("Europe/Berlin")
UTC = dt.timezone.utc
STAFF = ("meister", "anna", "ben", "carla")
STAFF_WEIGHTS = (1, 1, 1, 1)
CALENDAR = "termine"
PROPS = {"C:supported-calendar-component-set": "VEVENT", "D:displayname": "Termine",
         "tag": "VCALENDAR"}

# Real PLZ/city pairs around Regensburg, with the local area code.
PLACES = [
    ("93047", "Regensburg", "0941"), ("93049", "Regensburg", "0941"),
    ("93051", "Regensburg", "0941"), ("93053", "Regensburg", "0941"),
    ("93055", "Regensburg", "0941"), ("93057", "Regensburg", "0941"),
    ("93059", "Regensburg", "0941"), ("93073", "Neutraubling", "09401"),
    ("93077", "Bad Abbach", "09405"), ("93080", "Pentling", "09405"),
    ("93083", "Obertraubling", "09401"), ("93087", "Alteglofsheim", "09453"),
    ("93092", "Barbing", "09401"), ("93128", "Regenstauf", "09402"),
    ("93133", "Burglengenfeld", "09471"), ("93138", "Lappersdorf", "0941"),
    ("93152", "Nittendorf", "09404"), ("93161", "Sinzing", "0941"),
    ("93164", "Laaber", "09498"), ("93173", "Wenzenbach", "09407"),
    ("93090", "Bach an der Donau", "09482"), ("93105", "Tegernheim", "09403"),
    ("93107", "Thalmassing", "09453"), ("93142", "Maxhütte-Haidhof", "09471"),
    ("93170", "Bernhardswald", "09407"), ("93176", "Beratzhausen", "09493"),
    ("93183", "Kallmünz", "09473"), ("93186", "Pettendorf", "09409"),
    ("93197", "Zeitlarn", "0941"), ("84069", "Schierling", "09451"),
    ("93086", "Wörth an der Donau", "09482"),
]
STREETS = [
    "Hauptstraße", "Bahnhofstraße", "Kirchweg", "Am Anger", "Lindenstraße", "Schulstraße",
    "Gartenstraße", "Bergstraße", "Dorfstraße", "Waldstraße", "Ringstraße", "Mühlweg",
    "Birkenweg", "Donaustraße", "Regensburger Straße", "Am Sonnenhang", "Kirchplatz",
    "St.-Wolfgang-Straße", "Brunnenweg", "Eichenstraße", "Jahnstraße", "Goethestraße",
    "Schillerstraße", "Ahornweg", "Blumenstraße", "Wiesenweg", "Feldstraße", "Marktplatz",
    "Amselweg", "Finkenstraße", "Keplerstraße", "Am Mühlbach", "Pfarrgasse",
    "Raiffeisenstraße", "Weiherweg", "Kreuzbergstraße", "Nelkenweg", "Tulpenstraße",
]
FIRST_NAMES = [
    "Maria", "Josef", "Anna", "Franz", "Johann", "Elisabeth", "Georg", "Monika", "Thomas",
    "Sabine", "Michael", "Andrea", "Stefan", "Claudia", "Andreas", "Petra", "Martin",
    "Christine", "Markus", "Barbara", "Sebastian", "Lena", "Lukas", "Sophie", "Xaver",
    "Theresia", "Alois", "Rosa", "Korbinian", "Magdalena",
]
SURNAMES = [
    "Huber", "Bauer", "Wagner", "Müller", "Schmid", "Maier", "Hofmann", "Weber", "Fischer",
    "Schneider", "Meier", "Schmidt", "Wimmer", "Gruber", "Brunner", "Lang", "Mayer",
    "Pichler", "Zeller", "Koller", "Hartl", "Eder", "Reindl", "Seidl", "Bichler", "Götz",
    "Schwarz", "Kerscher", "Zimmermann", "Lehner", "Dengler", "Obermeier", "Söllner",
]
MOBILE_PREFIXES = [("0151", 8), ("0152", 8), ("0157", 8), ("0160", 7), ("0162", 8),
                   ("0170", 7), ("0171", 7), ("0172", 7), ("0175", 7), ("0176", 8),
                   ("0179", 7)]
SERVICES = ["Kehrung", "Kehrung und Überprüfung", "Feuerstättenschau",
            "Abgaswegeüberprüfung", "Kehrung Kachelofen", "Überprüfung Gasheizung"]
SECOND_SERVICES = ["Abgasmessung", "Emissionsmessung Holzfeuerung", "Nachkontrolle",
                   "Überprüfung Abgasanlage"]
INDIVIDUAL = [  # (summary, minutes, private)
    ("Büro: Abrechnung", 90, False), ("Büro: Feuerstättenbescheide", 120, False),
    ("Fahrzeug: Werkstatt", 60, False), ("Material holen", 45, False),
    ("Innung: Schulung", 180, False), ("Rückfragen Bauamt", 30, False),
    ("Messgerät kalibrieren", 60, False), ("Mittagspause", 45, False),
    ("Arzttermin", 60, True), ("Zahnarzt", 45, True), ("Elternabend", 90, True),
    ("Kinder abholen", 30, True),
]
PRODIDS = {
    "assistant": "-//kamin voice assistant//DE",
    "office": "-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN",
    "phone": "-//Apple Inc.//iOS 17.5//EN",
    "android": "DAVx5/4.4 ical4j/3.2.19 (at.techbee.jtx)",
}
CHECK_SAMPLE = 200


def _vtimezone() -> str:
    """The Europe/Berlin VTIMEZONE of the test fixture as vobject writes it
    (the form Radicale hands the storage)."""
    fixture = (ROOT / "tests" / "fixtures" / "vtimezone_berlin.txt").read_text().strip()
    text = vobject.readOne("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n%s\r\n"
                           "END:VCALENDAR\r\n" % fixture.replace("\n", "\r\n")).serialize()
    start = text.index("BEGIN:VTIMEZONE")
    end = text.index("END:VTIMEZONE") + len("END:VTIMEZONE")
    return text[start:end]


VTIMEZONE = _vtimezone()


def escape(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\n", "\\n"))


@dataclasses.dataclass
class Building:
    id: str
    staff: str
    location: str               # as the client typed it (unescaped)
    customer: str
    phone: Optional[str]
    month: int                  # usual month of the visit
    service: str
    second_service: str
    prefers_external: bool


@dataclasses.dataclass
class Manifest:
    folder: str
    buildings: int
    years: list
    seed: int
    today: str
    entries: int = 0
    seconds: float = 0.0
    per_staff: dict = dataclasses.field(default_factory=dict)
    per_kind: dict = dataclasses.field(default_factory=dict)
    per_state: dict = dataclasses.field(default_factory=dict)
    with_vtimezone: int = 0
    checked: int = 0
    building_staff: dict = dataclasses.field(default_factory=dict)

    def calendar(self, staff: str) -> str:
        return "/%s/%s/" % (staff, CALENDAR)


# --- dates ------------------------------------------------------------------

@functools.lru_cache(maxsize=None)
def working_days(year: int, month: int) -> tuple[dt.date, ...]:
    """Mon–Fri that are no public holiday in Bavaria."""
    closed = holidays.country_holidays("DE", subdiv="BY", years=year)
    day = dt.date(year, month, 1)
    days = []
    while day.month == month:
        if day.weekday() < 5 and day not in closed:
            days.append(day)
        day += dt.timedelta(days=1)
    return tuple(days)


def month_shift(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def last_day(year: int, month: int) -> dt.date:
    year, month = month_shift(year, month, 1)
    return dt.date(year, month, 1) - dt.timedelta(days=1)


def local(day: dt.date, minutes: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=minutes)


def ical_local(moment: dt.datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def ical_utc(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def iso_local(moment: dt.datetime) -> str:
    return moment.replace(tzinfo=BERLIN).isoformat()


# --- the entries ------------------------------------------------------------

class Writer:
    """Builds each entry's client text, derives it, writes ``<uid>.ics``."""

    def __init__(self, folder: pathlib.Path, rng: random.Random, manifest: Manifest):
        self.rng = rng
        self.manifest = manifest
        self.dirs = {}
        for staff in STAFF:
            directory = folder / "collection-root" / staff / CALENDAR
            directory.mkdir(parents=True, exist_ok=True)
            (directory / ".Radicale.props").write_text(json.dumps(PROPS), encoding="utf-8")
            self.dirs[staff] = directory
        self.samples: list[tuple[str, str]] = []
        self.sampler = random.Random(manifest.seed + 1)
        self.counter = 0

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def write(self, staff: str, props: list[tuple[str, str]], start: str, end: str,
              dtstamp: dt.datetime, prodid: str, timezone: bool) -> None:
        uid = self.uid()
        # vobject's canonical order: UID, DTSTART, DTEND, then by name.
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:" + prodid]
        if timezone:
            lines.append(VTIMEZONE)
        lines += ["BEGIN:VEVENT", "UID:" + uid, start, end]
        props = props + [("DTSTAMP", ical_utc(dtstamp))]
        lines += ["%s:%s" % item for item in sorted(props)]
        lines += ["END:VEVENT", "END:VCALENDAR"]
        text = "\r\n".join(lines) + "\r\n"
        stored, derived = profile.derive_text(text)
        self.counter += 1
        if len(self.samples) < CHECK_SAMPLE:        # reservoir sample for the check
            self.samples.append((text, stored))
        elif self.sampler.random() < CHECK_SAMPLE / self.counter:
            self.samples[self.sampler.randrange(CHECK_SAMPLE)] = (text, stored)
        with open(self.dirs[staff] / (uid + ".ics"), "w", encoding="utf-8", newline="") as f:
            f.write(stored)
        m = self.manifest
        m.entries += 1
        m.per_staff[staff] = m.per_staff.get(staff, 0) + 1
        kind = derived[0].kind
        m.per_kind[kind] = m.per_kind.get(kind, 0) + 1
        state = derived[0].state.name
        m.per_state[state] = m.per_state.get(state, 0) + 1
        m.with_vtimezone += timezone


def make_building(number: int, rng: random.Random) -> Building:
    plz, city, area = rng.choice(PLACES)
    street = rng.choice(STREETS)
    house = str(rng.randint(1, 140)) + (rng.choice("abc") if rng.random() < 0.08 else "")
    shape = rng.random()
    if rng.random() < 0.04:                       # no house number: data missing
        location = "%s, %s %s" % (street, plz, city)
    elif shape < 0.6:
        location = "%s %s, %s %s" % (street, house, plz, city)
    elif shape < 0.75:
        location = "%s %s, %s %s" % (street.replace("straße", "str."), house, plz, city)
    elif shape < 0.9:
        location = "%s %s %s %s" % (street, house, plz, city)
    else:
        location = "%s %s, %s %s" % (plz, city, street, house)
    first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
    shape = rng.random()
    customer = ("%s %s" % (first, last) if shape < 0.6 else
                "Familie %s" % last if shape < 0.75 else
                "%s, %s" % (last, first) if shape < 0.85 else
                "Hausverwaltung %s GmbH" % last if shape < 0.93 else
                "WEG %s %s" % (street, house))
    shape = rng.random()
    if shape < 0.07:
        phone = None
    elif shape < 0.30:
        prefix, digits = rng.choice(MOBILE_PREFIXES)
        subscriber = "".join(rng.choice("0123456789") for _ in range(digits))
        subscriber = str(rng.randint(1, 9)) + subscriber[1:]
        phone = rng.choice(["%s %s", "%s/%s", "%s-%s"]) % (prefix, subscriber)
        if rng.random() < 0.15:
            phone = "+49 %s %s" % (prefix[1:], subscriber)
    else:
        subscriber = str(rng.randint(2, 9)) + "".join(
            rng.choice("0123456789") for _ in range(rng.randint(3, 6) if len(area) == 5 else 5))
        phone = rng.choice(["%s %s", "%s/%s", "(%s) %s", "+49 %s %s"]) % (area, subscriber)
        phone = phone.replace("+49 0", "+49 ")
    return Building(
        id="LG-%06d" % number,
        staff=rng.choices(STAFF, STAFF_WEIGHTS)[0],
        location=location, customer=customer, phone=phone,
        month=rng.randint(1, 12), service=rng.choice(SERVICES),
        second_service=rng.choice(SECOND_SERVICES),
        prefers_external=rng.random() < 0.25)


def internal_facts(start: dt.datetime, today: dt.datetime,
                   rng: random.Random) -> tuple[list[tuple[str, str]], str]:
    """Workflow facts of an internal appointment, by how far it is from today."""
    days = (start - today).total_seconds() / 86400
    r = rng.random()
    if days < 0:
        if r < 0.90:
            return [("X-KAMIN-OUTCOME", "confirmed")], "confirmed"
        if r < 0.93:
            return [("X-KAMIN-OUTCOME", "rejected")], "rejected"
        if r < 0.96:
            last = local(start.date() - dt.timedelta(days=6), 10 * 60 + 15)
            return [("X-KAMIN-ATTEMPTS", "2"),
                    ("X-KAMIN-LAST-ATTEMPT", iso_local(last))], "unreached-2"
        return [], "planned"
    if days < 14:
        if r < 0.55:
            return [("X-KAMIN-OUTCOME", "confirmed")], "confirmed"
        if r < 0.80:
            return [], "planned"
        if r < 0.93:
            last = local(today.date() - dt.timedelta(days=rng.randint(1, 3)), 9 * 60 + 40)
            return [("X-KAMIN-ATTEMPTS", "1"),
                    ("X-KAMIN-LAST-ATTEMPT", iso_local(last))], "unreached-1"
        at = local(today.date() + dt.timedelta(days=rng.randint(0, 2)), 14 * 60)
        return [("X-KAMIN-OUTCOME", "callback"), ("X-KAMIN-CALLBACK", iso_local(at))], "callback"
    if days < 60:
        if r < 0.25:
            return [("X-KAMIN-OUTCOME", "confirmed")], "confirmed"
        return [], "planned"
    return [], "planned"


def building_entries(writer: Writer, b: Building, years: list, today: dt.datetime) -> None:
    rng = writer.rng
    common = [("X-KAMIN-BUILDING", b.id), ("X-KAMIN-CUSTOMER", escape(b.customer)),
              ("LOCATION", escape(b.location))]
    if b.phone is not None:
        common.append(("X-KAMIN-PHONE", escape(b.phone)))
    for year in years:
        # The Feuerstättenbescheid window: 3–4 months around the usual month.
        w_year, w_month = month_shift(year, b.month, -1)
        window_start = dt.date(w_year, w_month, 1)
        deadline = last_day(*month_shift(w_year, w_month, rng.choice((2, 3))))
        visits = [(b.month, b.service)]
        if rng.random() < 0.5:
            visits.append((b.month + 6, b.second_service))
        for number, (month, service) in enumerate(visits):
            v_year, v_month = month_shift(year, month, 0)
            if number == 0 and rng.random() < 0.08:   # late: the deadline stays open
                v_year, v_month = month_shift(deadline.year, deadline.month, 1)
            day = rng.choice(working_days(v_year, v_month))
            minutes = rng.choice((30, 45, 45, 60, 60, 60, 75, 90))
            begin = rng.randrange(7 * 60, 16 * 60 - minutes + 1, 15)
            start, end = local(day, begin), local(day, begin + minutes)
            external = rng.random() < (0.85 if b.prefers_external else 0.1)
            props = list(common) + [("SUMMARY", escape(service))]
            if external:
                props.append(("X-KAMIN-KIND", "external"))
                prodid = PRODIDS["android" if rng.random() < 0.5 else "phone"]
            else:
                props.append(("X-KAMIN-KIND", "internal"))
                facts, _state = internal_facts(start.replace(tzinfo=BERLIN), today, rng)
                props += facts
                prodid = PRODIDS["assistant"]
            created = min(start.replace(tzinfo=BERLIN) - dt.timedelta(days=rng.randint(10, 80)),
                          today - dt.timedelta(hours=rng.randint(1, 200)))
            writer.write(b.staff, props,
                         "DTSTART;TZID=Europe/Berlin:" + ical_local(start),
                         "DTEND;TZID=Europe/Berlin:" + ical_local(end),
                         created, prodid, True)
        props = list(common) + [
            ("SUMMARY", escape("Frist Feuerstättenbescheid: " + b.service)),
            ("X-KAMIN-KIND", "deadline"), ("X-KAMIN-WINDOW-START", window_start.isoformat()),
            ("TRANSP", "TRANSPARENT")]
        created = dt.datetime.combine(window_start - dt.timedelta(days=rng.randint(60, 300)),
                                      dt.time(7, 30), BERLIN)
        writer.write(b.staff, props,
                     "DTSTART;VALUE=DATE:" + deadline.strftime("%Y%m%d"),
                     "DTEND;VALUE=DATE:" + (deadline + dt.timedelta(days=1)).strftime("%Y%m%d"),
                     min(created, today), PRODIDS["office"], False)


def staff_entries(writer: Writer, staff: str, years: list, today: dt.datetime,
                  per_day: float) -> None:
    rng = writer.rng
    first = dt.date(years[0], 1, 1)
    monday = first + dt.timedelta(days=(7 - first.weekday()) % 7)
    writer.write(staff, [("SUMMARY", "Teambesprechung"), ("LOCATION", "Büro"),
                         ("X-KAMIN-KIND", "individual"), ("RRULE", "FREQ=WEEKLY;BYDAY=MO")],
                 "DTSTART;TZID=Europe/Berlin:" + ical_local(local(monday, 7 * 60)),
                 "DTEND;TZID=Europe/Berlin:" + ical_local(local(monday, 7 * 60 + 30)),
                 dt.datetime.combine(monday - dt.timedelta(days=10), dt.time(9), BERLIN),
                 PRODIDS["office"], True)
    p = min(per_day / 6, 1.0)
    for year in years:
        for _ in range(3):                              # holidays
            month = rng.randint(1, 12)
            day = rng.choice(working_days(year, month))
            length = rng.randint(5, 12)
            writer.write(staff, [("SUMMARY", "Urlaub"), ("X-KAMIN-KIND", "individual")],
                         "DTSTART;VALUE=DATE:" + day.strftime("%Y%m%d"),
                         "DTEND;VALUE=DATE:" + (day + dt.timedelta(days=length)).strftime("%Y%m%d"),
                         min(dt.datetime.combine(day - dt.timedelta(days=60), dt.time(8), BERLIN),
                             today), PRODIDS["phone"], False)
        for month in range(1, 13):
            for day in working_days(year, month):
                for _ in range(sum(rng.random() < p for _ in range(6))):
                    summary, minutes, private = rng.choice(INDIVIDUAL)
                    begin = (12 * 60 if summary == "Mittagspause" else
                             rng.randrange(6 * 60, 19 * 60 - minutes + 1, 15))
                    props = [("SUMMARY", escape(summary))]
                    if private:
                        props.append(("CLASS", "PRIVATE"))
                    if rng.random() < 0.5:                   # absent = individual
                        props.append(("X-KAMIN-KIND", "individual"))
                    start = local(day, begin)
                    writer.write(staff, props,
                                 "DTSTART;TZID=Europe/Berlin:" + ical_local(start),
                                 "DTEND;TZID=Europe/Berlin:" + ical_local(
                                     start + dt.timedelta(minutes=minutes)),
                                 min(start.replace(tzinfo=BERLIN) - dt.timedelta(days=3), today),
                                 PRODIDS["phone" if private else "office"], True)


@contextlib.contextmanager
def memoised_normalise() -> Iterator[Callable]:
    """``entry.normalise`` memoised per (address, phone) while generating."""
    original = kamin_entry.normalise

    @functools.lru_cache(maxsize=65536)
    def cached(items, region):
        return original(dict(items), region)

    kamin_entry.normalise = lambda record, region: cached(tuple(sorted(record.items())), region)
    try:
        yield original
    finally:
        kamin_entry.normalise = original


def default_years(today: dt.date, count: int) -> list:
    first = today.year - (count - 1) // 2
    return list(range(first, first + count))


def generate(folder, buildings: int = 3500, years: int = 5, seed: int = 1,
             today: Optional[dt.date] = None, per_day: float = 3.0,
             progress: Optional[Callable[[str], None]] = None) -> Manifest:
    """Write the district into the (new or empty) storage ``folder``."""
    started = time.perf_counter()
    folder = pathlib.Path(folder)
    today = today or dt.date.today()
    now = dt.datetime.combine(today, dt.time(6, 0), BERLIN)
    year_list = default_years(today, years)
    manifest = Manifest(folder=str(folder), buildings=buildings, years=year_list,
                        seed=seed, today=today.isoformat())
    rng = random.Random(seed)
    writer = Writer(folder, rng, manifest)
    with memoised_normalise() as original:
        for number in range(1, buildings + 1):
            building = make_building(number, rng)
            manifest.building_staff[building.id] = building.staff
            building_entries(writer, building, year_list, now)
            if progress and number % max(500, buildings // 10) == 0:
                progress("district: %d/%d buildings, %d entries, %.1f s" % (
                    number, buildings, manifest.entries, time.perf_counter() - started))
        for staff in STAFF:
            staff_entries(writer, staff, year_list, now, per_day)
        # The memo must not change a single byte: re-derive a sample without it.
        kamin_entry.normalise = original
        for text, stored in writer.samples:
            again, _ = profile.derive_text(text)
            if again != stored:
                raise AssertionError("memoised derivation differs for:\n" + text)
            manifest.checked += 1
    manifest.seconds = time.perf_counter() - started
    with open(folder / "district.json", "w", encoding="utf-8") as f:
        json.dump(dataclasses.asdict(manifest), f, ensure_ascii=False, indent=1)
    return manifest


def summary(manifest: Manifest) -> str:
    lines = ["district: %d buildings, years %d–%d, seed %d, today %s" % (
                 manifest.buildings, manifest.years[0], manifest.years[-1], manifest.seed,
                 manifest.today),
             "  %d entries in %.1f s (%d with a VTIMEZONE; %d re-derived without the memo: equal)"
             % (manifest.entries, manifest.seconds, manifest.with_vtimezone, manifest.checked),
             "  per calendar: " + ", ".join("%s %d" % kv for kv in manifest.per_staff.items()),
             "  per kind: " + ", ".join("%s %d" % kv for kv in sorted(manifest.per_kind.items())),
             "  per state: " + ", ".join("%s %d" % kv for kv in sorted(manifest.per_state.items()))]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    parser.add_argument("folder", help="Radicale storage folder (created; must not hold a district)")
    parser.add_argument("--buildings", type=int, default=3500)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                        help="the date the district is built around (default: today)")
    parser.add_argument("--per-day", type=float, default=3.0,
                        help="individual entries per staff and working day (default 3)")
    args = parser.parse_args()
    folder = pathlib.Path(args.folder)
    if (folder / "collection-root").exists():
        raise SystemExit("district: %s already holds a collection-root" % folder)
    manifest = generate(folder, args.buildings, args.years, args.seed, args.today,
                        args.per_day, progress=lambda text: print(text, file=sys.stderr))
    print(summary(manifest))


if __name__ == "__main__":
    main()
