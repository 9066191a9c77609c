"""REPORTs on the entry's own properties answered from the side index:
stock Radicale's answer on the same files, for every test Radicale knows
(text-match in each collation, negated, is-not-defined, defined), alone,
combined and after a time range — and without Radicale parsing the items
the index knows exactly."""

from __future__ import annotations

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from radicale import Application
from radicale.item import filter as radicale_filter
from vobject.icalendar import stringToTextValues

from conftest import Client, event, ics, load_config
from radicale_kamin.entries.facts import INDEXED_PROPERTIES, text_values

CAL = "/anna/termine/"
INTERNAL = ("X-KAMIN-KIND:internal", "X-KAMIN-PHONE:089 123456", "X-KAMIN-CUSTOMER:Maria Huber",
            "X-KAMIN-BUILDING:LG-1", "LOCATION:Hauptstraße 12\\, 80331 München",
            "CATEGORIES:Wartung,Öl")
PUT = [
    event("internal", *INTERNAL),
    event("booked", "X-KAMIN-KIND:external", "X-KAMIN-CUSTOMER:Ärztehaus Süd GmbH",
          "X-KAMIN-PHONE:0171 2345678", "X-KAMIN-BUILDING:LG-2",
          "LOCATION:Bahnhofstraße 3\\, 93047 Regensburg", start="20261208T090000Z",
          end="20261208T100000Z"),
    event("private", summary="Zahnarzt", start="20261209T120000Z", end="20261209T130000Z"),
    "UID:deadline\nDTSTAMP:20261101T100000Z\nDTSTART;VALUE=DATE:20261215\nSUMMARY:Frist\n"
    "X-KAMIN-KIND:deadline\nX-KAMIN-BUILDING:LG-3\nX-KAMIN-CUSTOMER:WEG Straße 5",
    event("greek", "X-KAMIN-KIND:external", "X-KAMIN-CUSTOMER:ΑΣ Bau Weiß",
          start="20261210T090000Z", end="20261210T100000Z"),
]
# Written by other programs: what only vobject reads the same way.
OUTSIDE = {
    "commas.ics": event("commas", "X-KAMIN-CUSTOMER:Müller\\nHans", "CATEGORIES:a\\,b,c,Öl",
                        "X-KAMIN-STATUS;X-P=1:planned", "LOCATION:", "X-KAMIN-KIND:external",
                        summary="Kehrung, Messung"),
    "grouped.ics": event("grouped", "item1.X-KAMIN-STATUS:rejected", summary="Gruppe"),
    "encoded.ics": event("encoded", "X-KAMIN-STATUS;ENCODING=BASE64:cGxhbm5lZA==",
                         summary="Kodiert"),
    "backslash.ics": event("backslash", "X-KAMIN-CUSTOMER:Ende\\", summary="Ende\\"),
    "lower.ics": "uid:lower\ndtstamp:20261101T100000Z\ndtstart:20261207T090000Z\n"
                 "x-kamin-kind:external\nsummary:klein",
    "quoted.ics": "UID:quoted\nDTSTAMP:20261101T100000Z\nDTSTART:20261207T090000Z\n"
                  'SUMMARY;X-A="a:b";LANGUAGE=de:Wert\nX-KAMIN-PHONE:',
    "twice-summary.ics": event("twice-summary", "SUMMARY:noch einmal"),   # Radicale skips it
    "twice.ics": event("twice", "X-KAMIN-BUILDING:LG-4", "X-KAMIN-BUILDING:LG-5,LG-6"),
}
SERIES = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:series\r\n"
          "DTSTAMP:20261101T100000Z\r\nDTSTART:20261201T080000Z\r\nDTEND:20261201T090000Z\r\n"
          "RRULE:FREQ=WEEKLY;COUNT=4\r\nSUMMARY:Teamrunde\r\nX-KAMIN-CUSTOMER:Team\r\n"
          "END:VEVENT\r\nBEGIN:VEVENT\r\nUID:series\r\nDTSTAMP:20261101T100000Z\r\n"
          "RECURRENCE-ID:20261208T080000Z\r\nDTSTART:20261208T100000Z\r\n"
          "DTEND:20261208T110000Z\r\nSUMMARY:Verlegt\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
TODO = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTODO\r\nUID:todo\r\n"
        "DTSTAMP:20261101T100000Z\r\nSUMMARY:Kehrung planen\r\nX-KAMIN-STATUS:planned\r\n"
        "END:VTODO\r\nEND:VCALENDAR\r\n")


@pytest.fixture(scope="module")
def clients(tmp_path_factory):
    """The plugin, and stock Radicale on the same files."""
    folder = tmp_path_factory.mktemp("props") / "collections"
    kamin = Client(Application(load_config(folder)), "anna")
    assert kamin.mkcalendar(CAL).status == 201
    for number, body in enumerate(PUT):
        assert kamin.put(CAL + "p%d.ics" % number, ics(body)).status == 201
    calendar = folder / "collection-root" / "anna" / "termine"
    for name, body in OUTSIDE.items():
        (calendar / name).write_bytes(ics(body).encode())
    (calendar / "series.ics").write_bytes(SERIES.encode())
    (calendar / "todo.ics").write_bytes(TODO.encode())
    stock = Client(Application(load_config(folder, storage={"type": "multifilesystem"})), "anna")
    return kamin, stock


def query(*prop_filters: str, time_range: str = "", after: str = "") -> str:
    return ('<?xml version="1.0" encoding="utf-8"?><C:calendar-query xmlns:D="DAV:" '
            'xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter>'
            '<C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">%s%s%s'
            '</C:comp-filter></C:comp-filter></C:filter></C:calendar-query>'
            % (time_range, "".join(prop_filters), after))


def text(name: str, value: str, collation: str = "", negate: bool = False) -> str:
    attributes = (' collation="%s"' % collation if collation else "") + \
        (' negate-condition="yes"' if negate else "")
    return ('<C:prop-filter name="%s"><C:text-match%s>%s</C:text-match></C:prop-filter>'
            % (name, attributes, value))


def defined(name: str) -> str:
    return '<C:prop-filter name="%s"/>' % name


def undefined(name: str) -> str:
    return '<C:prop-filter name="%s"><C:is-not-defined/></C:prop-filter>' % name


WEEK = '<C:time-range start="20261207T000000Z" end="20261214T000000Z"/>'
SEARCHES = {"X-KAMIN-STATUS": "PLANNED", "X-KAMIN-KIND": "extern", "X-KAMIN-CUSTOMER": "hu",
            "X-KAMIN-PHONE": "+49", "X-KAMIN-ADDRESS": "complete", "X-KAMIN-BUILDING": "lg-",
            "CATEGORIES": "öl", "SUMMARY": "KEHRUNG", "LOCATION": "straße"}
QUERIES = {}
for name in INDEXED_PROPERTIES:
    word = SEARCHES[name]
    QUERIES.update({
        name + " defined": query(defined(name)),
        name + " is-not-defined": query(undefined(name)),
        name + " contains": query(text(name, word)),
        name + " i;octet": query(text(name, word, "i;octet")),
        name + " i;octet exact case": query(text(name, word.lower(), "i;octet")),
        name + " i;unicode-casemap": query(text(name, word.upper(), "i;unicode-casemap")),
        name + " negated": query(text(name, word, negate=True)),
        name + " empty text": query(text(name, "")),
        name + " in a week": query(text(name, word), time_range=WEEK),
        name + " undefined in a week": query(undefined(name), time_range=WEEK),
    })
QUERIES.update({
    "two properties": query(text("X-KAMIN-KIND", "internal"), text("LOCATION", "münchen")),
    "two tests, one negated": query(
        '<C:prop-filter name="SUMMARY"><C:text-match>e</C:text-match><C:text-match '
        'negate-condition="yes">Zahn</C:text-match></C:prop-filter>'),
    "greek final sigma": query(text("X-KAMIN-CUSTOMER", "ας")),
    "sharp s": query(text("X-KAMIN-CUSTOMER", "WEISS")),
    "a client's unescaped comma in SUMMARY": query(text("SUMMARY", "Messung")),
    "a newline": query(text("X-KAMIN-CUSTOMER", "müller\nhans")),
    "a category with a comma": query(text("CATEGORIES", "a,b", "i;octet")),
    "a building of the second line": query(text("X-KAMIN-BUILDING", "LG-6", "i;octet")),
    "a time range after the property": query(text("SUMMARY", "e"), after=WEEK),
    "match-type ignored": query(
        '<C:prop-filter name="SUMMARY"><C:text-match match-type="equals">ehr'
        '</C:text-match></C:prop-filter>'),
    "name in lower case": query('<C:prop-filter name="summary"><C:text-match>klein'
                                '</C:text-match></C:prop-filter>'),
})


def hrefs(client, body: str) -> list[str]:
    response = client.request("REPORT", CAL, body, depth="1", content_type="application/xml")
    assert response.status == 207, response.text
    return sorted(re.findall(r"<href>[^<]*/([^/<]+\.ics)</href>", response.text))


@pytest.mark.parametrize("body", QUERIES.values(), ids=QUERIES.keys())
def test_property_report_answers_like_stock_radicale(clients, body):
    kamin, stock = clients
    assert hrefs(kamin, body) == hrefs(stock, body)


def test_the_assistants_searches_find_what_they_should(clients):
    kamin, _ = clients
    assert hrefs(kamin, query(text("X-KAMIN-STATUS", "planned"))) == [
        "commas.ics", "encoded.ics", "p0.ics"]
    assert hrefs(kamin, query(text("X-KAMIN-CUSTOMER", "ärztehaus"))) == ["p1.ics"]
    assert hrefs(kamin, query(text("SUMMARY", "Messung"))) == ["commas.ics"]   # comma kept
    assert hrefs(kamin, query(undefined("X-KAMIN-BUILDING"), time_range=WEEK)) == [
        "backslash.ics", "commas.ics", "encoded.ics", "grouped.ics", "lower.ics", "p2.ics",
        "p4.ics", "quoted.ics", "series.ics"]


def test_radicale_parses_only_what_the_index_cannot_judge(clients, monkeypatch):
    """Radicale's own filter runs for the items read otherwise by vobject
    (a group prefix, an encoded value) and for the recurring series — not
    for the plain entries."""
    kamin, _ = clients
    judged = []
    original = radicale_filter.comp_match

    def spy(item, filter_, level=0):
        if level == 0:
            judged.append(item.href)
        return original(item, filter_, level)

    monkeypatch.setattr(radicale_filter, "comp_match", spy)
    assert hrefs(kamin, query(text("SUMMARY", "e"))) == hrefs(
        kamin, query(text("SUMMARY", "e")))
    assert set(judged) == {"grouped.ics", "encoded.ics", "series.ics"}


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet='ab,\\;nN"äΣ \t', max_size=12))
def test_values_are_read_as_vobject_reads_them(raw):
    assert text_values(raw) == stringToTextValues(raw)


def test_every_indexed_property_is_asked_for():
    assert set(SEARCHES) == set(INDEXED_PROPERTIES)
    assert len(list(itertools.chain(QUERIES))) > 90
