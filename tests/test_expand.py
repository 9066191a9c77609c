"""Server-side expand (RFC 4791 section 9.6.5) answers like stock
Radicale: the same instances, RECURRENCE-IDs, overrides and exclusions,
also with ``getetag`` asked along and when the window misses every
occurrence. (A calendar-query with ``getetag`` plus an expanded
``calendar-data`` once got 400 — and 500 for an empty window — because
recurring candidates were parsed before Radicale copied them for its two
expansions.)"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from conftest import ics, plugin_and_stock

CAL = "/anna/termine/"
DAV, CALDAV = "{DAV:}", "{urn:ietf:params:xml:ns:caldav}"

SERIES = {
    "weekly": "UID:weekly\nDTSTAMP:20261101T100000Z\nDTSTART:20270104T080000Z\n"
              "DTEND:20270104T090000Z\nRRULE:FREQ=WEEKLY;COUNT=4\nSUMMARY:Teamrunde",
    "monthly-all-day": "UID:monthly\nDTSTAMP:20261101T100000Z\nDTSTART;VALUE=DATE:20270105\n"
                       "DTEND;VALUE=DATE:20270106\nRRULE:FREQ=MONTHLY\nSUMMARY:Abrechnung",
    "berlin-across-dst": "UID:dst\nDTSTAMP:20261101T100000Z\n"
                         "DTSTART;TZID=Europe/Berlin:20270316T090000\n"
                         "DTEND;TZID=Europe/Berlin:20270316T100000\n"
                         "RRULE:FREQ=WEEKLY;COUNT=4\nSUMMARY:Kehrbezirk Nord",
    "exdate": "UID:exdate\nDTSTAMP:20261101T100000Z\nDTSTART:20270104T120000Z\n"
              "DTEND:20270104T130000Z\nRRULE:FREQ=DAILY;COUNT=5\n"
              "EXDATE:20270106T120000Z\nSUMMARY:Büro",
    "single": "UID:single\nDTSTAMP:20261101T100000Z\nDTSTART:20270107T080000Z\n"
              "DTEND:20270107T090000Z\nSUMMARY:Einzeltermin",
}
OVERRIDE = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//kamin tests//EN\r\n"
            "BEGIN:VEVENT\r\nUID:override\r\nDTSTAMP:20261101T100000Z\r\n"
            "DTSTART:20270105T070000Z\r\nDTEND:20270105T080000Z\r\n"
            "RRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Messung\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:override\r\nDTSTAMP:20261101T100000Z\r\n"
            "RECURRENCE-ID:20270112T070000Z\r\nDTSTART:20270112T100000Z\r\n"
            "DTEND:20270112T110000Z\r\nSUMMARY:Messung (verlegt)\r\nEND:VEVENT\r\n"
            "END:VCALENDAR\r\n")


def expand_query(start: str, end: str, etag: bool = True) -> str:
    return """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop>%s<C:calendar-data><C:expand start="%s" end="%s"/></C:calendar-data></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="%s" end="%s"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>""" % ("<D:getetag/>" if etag else "", start, end, start, end)


@pytest.fixture
def both(tmp_path):
    clients = plugin_and_stock(tmp_path, CAL)
    for client in clients:
        for key, body in SERIES.items():
            assert client.put(CAL + key + ".ics", ics(body, timezone=True)).status == 201
        assert client.put(CAL + "override.ics", OVERRIDE).status == 201
    return clients


def instances(response) -> dict[str, list[tuple]]:
    """href → the expanded instances (RECURRENCE-ID, DTSTART, DTEND,
    SUMMARY), and whether an ETag was served."""
    assert response.status == 207, response.text
    answer = {}
    for item in ET.fromstring(response.body).findall(DAV + "response"):
        href = item.findtext(DAV + "href").rsplit("/", 1)[-1]
        data = item.findtext(".//" + CALDAV + "calendar-data") or ""
        events = []
        for block in re.findall(r"BEGIN:VEVENT\r?\n(.*?)END:VEVENT", data, re.S):
            fields = dict(re.findall(r"^(RECURRENCE-ID|DTSTART|DTEND|SUMMARY)[^:]*:(.*?)\r?$",
                                     block, re.M))
            events.append(tuple(fields.get(k) for k in ("RECURRENCE-ID", "DTSTART", "DTEND",
                                                          "SUMMARY")))
        etag = item.find(".//" + DAV + "getetag") is not None
        answer[href] = (sorted(events, key=lambda e: tuple(x or "" for x in e)), etag)
    return answer


WINDOWS = [
    ("20270101T000000Z", "20270201T000000Z"),      # every series has instances
    ("20270111T000000Z", "20270118T000000Z"),      # the override's week
    ("20270320T000000Z", "20270405T000000Z"),      # across the DST change
    ("20280101T000000Z", "20280102T000000Z"),      # misses every occurrence
    ("20270106T000000Z", "20270107T000000Z"),      # the excluded day
]


@pytest.mark.parametrize("etag", [True, False], ids=["with-getetag", "calendar-data-only"])
@pytest.mark.parametrize("window", WINDOWS, ids=lambda w: w[0][:8])
def test_expand_answers_like_stock_radicale(both, window, etag):
    kamin, stock = both
    query = expand_query(*window, etag=etag)
    ours = instances(kamin.request("REPORT", CAL, query, depth="1",
                                   content_type="application/xml"))
    theirs = instances(stock.request("REPORT", CAL, query, depth="1",
                                     content_type="application/xml"))
    assert ours == theirs


def test_expanded_weekly_series_has_its_four_instances(both):
    kamin, _ = both
    answer = instances(kamin.request("REPORT", CAL, expand_query("20270101T000000Z",
                                                                 "20270201T000000Z"),
                                     depth="1", content_type="application/xml"))
    events, etag = answer["weekly.ics"]
    assert etag
    assert [e[0] for e in events] == ["20270104T080000Z", "20270111T080000Z",
                                      "20270118T080000Z", "20270125T080000Z"]


@pytest.mark.e2e
def test_python_caldav_server_side_expand(tmp_path):
    import datetime as dt

    import caldav

    import servers

    with servers.radicale(tmp_path / "collections", tmp_path / "radicale.log") as url:
        client = caldav.DAVClient(url=url + "/", username="anna", password="anna-demo")
        calendar = client.principal().make_calendar(name="Termine", cal_id="termine")
        calendar.save_event(ics(SERIES["weekly"]))
        found = calendar.search(start=dt.datetime(2027, 1, 1, tzinfo=dt.timezone.utc),
                                end=dt.datetime(2027, 2, 1, tzinfo=dt.timezone.utc),
                                event=True, expand=True, server_expand=True)
        starts = sorted(str(o.icalendar_component["RECURRENCE-ID"].dt) for o in found)
        assert len(starts) == 4 and starts[0].startswith("2027-01-04 08:00")
        empty = calendar.search(start=dt.datetime(2028, 1, 1, tzinfo=dt.timezone.utc),
                                end=dt.datetime(2028, 1, 2, tzinfo=dt.timezone.utc),
                                event=True, expand=True, server_expand=True)
        assert list(empty) == []
