"""One time model through the server: entries zoned the way Outlook,
Evolution and floating-time clients write them block the slots they take,
are called about, and are listed — exactly like UTC entries."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from conftest import VTIMEZONE, Client

API = "/.web/kamin/api/"
CAL = "/anna/termine/"
NOW = "2027-01-05T10:00:00+01:00"             # a Tuesday, a week before
DAY = ("2027-01-12T00:00:00+01:00", "2027-01-13T00:00:00+01:00")
CUSTOMER = ("X-KAMIN-KIND:internal", "X-KAMIN-PHONE:0871 123456",
            "LOCATION:Altstadt 12\\, 84028 Landshut")


def item(uid: str, start: str, end: str, *lines: str, tzid: str = "") -> str:
    zone = VTIMEZONE.format(tzid=tzid) if tzid else ""
    param = ""
    if tzid:
        param = ';TZID="%s"' % tzid if "," in tzid else ";TZID=%s" % tzid
    body = "\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//kamin tests//EN", zone,
                      "BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20261201T100000Z",
                      "DTSTART%s:%s" % (param, start), "DTEND%s:%s" % (param, end),
                      "SUMMARY:Kehrung", *lines, "END:VEVENT", "END:VCALENDAR"])
    return "\r\n".join(line for line in body.splitlines() if line) + "\r\n"


SHAPES = {
    "utc": dict(start="20270112T080000Z", end="20270112T090000Z"),
    "iana": dict(start="20270112T090000", end="20270112T100000", tzid="Europe/Berlin"),
    "outlook-windows-zone": dict(start="20270112T090000", end="20270112T100000",
                                 tzid="W. Europe Standard Time"),
    "outlook-localised-zone": dict(start="20270112T090000", end="20270112T100000",
                                   tzid="Mitteleuropäische Zeit"),
    "outlook-display-name-zone": dict(
        start="20270112T090000", end="20270112T100000",
        tzid="(UTC+01:00) Amsterdam, Berlin, Bern, Rom, Stockholm, Wien"),
    "evolution": dict(start="20270112T090000", end="20270112T100000",
                      tzid="/freeassociation.sourceforge.net/Tzfile/Europe/Berlin"),
    "floating": dict(start="20270112T090000", end="20270112T100000"),
}


def starts(client) -> list[str]:
    query = urllib.parse.urlencode({"from": DAY[0], "to": DAY[1], "staff": "anna",
                                    "now": NOW})
    response = client.get(API + "slots?" + query)
    assert response.status == 200, response.text
    return [s["start"][11:16] for s in json.loads(response.text)["slots"]]


@pytest.mark.parametrize("shape", SHAPES)
def test_every_zone_shape_blocks_its_hour(app, client, shape):
    body = item("z-" + shape, *(SHAPES[shape][k] for k in ("start", "end")),
                tzid=SHAPES[shape].get("tzid", ""))
    assert client.put(CAL + "z.ics", body).status == 201
    free = starts(Client(app, "assistant"))
    # One-hour slots with 15 minutes buffer: 07:45-08:45 is the last before.
    assert "07:45" in free and "10:15" in free
    assert not {"08:00", "09:00", "09:30", "10:00"} & set(free)


@pytest.mark.parametrize("shape", SHAPES)
def test_every_zone_shape_is_announced_and_listed(app, client, shape):
    body = item("c-" + shape, *(SHAPES[shape][k] for k in ("start", "end")), *CUSTOMER,
                tzid=SHAPES[shape].get("tzid", ""))
    assert client.put(CAL + "c.ics", body).status == 201
    assistant = Client(app, "assistant")
    calls = json.loads(assistant.get(API + "due-calls?lease=false&now=" +
                                     urllib.parse.quote(NOW)).text)["calls"]
    assert [(c["uid"], c["start"]) for c in calls] == [("c-" + shape, "2027-01-12T09:00:00+01:00")]
    # Without a phone it is orange and on the data-missing list, with its time.
    orange = item("o-" + shape, *(SHAPES[shape][k] for k in ("start", "end")),
                  "X-KAMIN-KIND:internal", "LOCATION:Altstadt 12\\, 84028 Landshut",
                  tzid=SHAPES[shape].get("tzid", ""))
    assert client.put(CAL + "o.ics", orange).status == 201
    listed = json.loads(assistant.get(API + "data-missing?now=" +
                                      urllib.parse.quote(NOW)).text)["entries"]
    assert [(e["uid"], e["start"]) for e in listed] == [
        ("o-" + shape, "2027-01-12T09:00:00+01:00")]


def test_imports_read_local_times_in_the_business_time_zone(tmp_path):
    """CSV times and floating iCalendar times are kamin_timezone's, like
    every other reader's (here a business in London, to tell the zones apart)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from radicale_kamin.importing import read_file

    london = ZoneInfo("Europe/London")
    csv_file = tmp_path / "termine.csv"
    csv_file.write_text("Name;Straße;PLZ;Ort;Datum;Uhrzeit\n"
                        "Huber;Altstadt 12;84028;Landshut;12.01.2027;09:30\n", encoding="utf-8")
    ics_file = tmp_path / "termine.ics"
    ics_file.write_text(item("f", "20270112T093000", "20270112T103000"), encoding="utf-8")
    for path in (csv_file, ics_file):
        start = read_file(str(path), tz=london).records[0].entry.start
        assert start == dt.datetime(2027, 1, 12, 9, 30, tzinfo=dt.timezone.utc), path.name
