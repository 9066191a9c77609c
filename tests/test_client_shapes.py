"""What real clients write, through the real server: every file of the
client corpus (``fixtures/clients/``, shapes and sources in its README) is
PUT as the client sends it and must block exactly its time in the slots,
be called about at its start, and be listed with its start — whatever zone
spelling, floating time, all-day form, DURATION or recurrence the client
used. (Synthetic fixtures once hid that Outlook-zoned entries vanished from
the slots.)"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse
from zoneinfo import ZoneInfo

import pytest

from conftest import FIXTURES, Client
from radicale_kamin.entries import icslines

API = "/.web/kamin/api/"
CAL = "/anna/termine/"
BERLIN = ZoneInfo("Europe/Berlin")
CLIENTS = FIXTURES / "clients"
MANIFEST = json.loads((CLIENTS / "manifest.json").read_text(encoding="utf-8"))
BY_FILE = {case["file"]: case for case in MANIFEST}


def local(text: str) -> dt.datetime:
    if len(text) == 10:
        return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(), BERLIN)
    return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def body(case: dict) -> bytes:
    return (CLIENTS / case["file"]).read_bytes()


def with_master_lines(text: str, *lines: str, drop: tuple = ()) -> str:
    """The client's item with lines added to (and ``drop`` removed from) its
    master VEVENT — what the assistant or office adds to a client's entry.
    (STATUS goes: a client's STATUS:CONFIRMED on an internal entry means
    "the customer confirmed", see docs/entry-profile.md.)"""
    calendar = icslines.parse(text)
    master = next(e for e in calendar.components("VEVENT") if e.first("RECURRENCE-ID") is None)
    for name in drop:
        master.remove(name)
    master.lines.extend(icslines.parse_line(line) for line in lines)
    return icslines.serialize(calendar)


def slots(client: Client, case: dict) -> list[tuple[dt.datetime, dt.datetime]]:
    first, last = (local(day) for day in case["window"])
    query = urllib.parse.urlencode({
        "from": first.isoformat(), "to": last.isoformat(), "staff": "anna", "duration": 30,
        "now": (first - dt.timedelta(days=7)).isoformat()})
    response = client.get(API + "slots?" + query)
    assert response.status == 200, response.text
    return [(dt.datetime.fromisoformat(s["start"]), dt.datetime.fromisoformat(s["end"]))
            for s in json.loads(response.text)["slots"]]


@pytest.mark.parametrize("file", sorted(BY_FILE))
def test_client_entry_blocks_exactly_its_time(app, client, file):
    case = BY_FILE[file]
    assert client.put(CAL + "c.ics", body(case)).status == 201
    free = slots(Client(app, "assistant"), case)
    taken_days = {local(busy["start"]).date() for busy in case["busy"]} if case["blocks"] else set()
    if not case["all_day"] or not case["blocks"]:
        free_days = {s[0].date() for s in free}
        assert free_days - taken_days, "no slot anywhere: the test could not tell anything"
    for busy in case["busy"]:
        start, end = local(busy["start"]), local(busy["end"])
        overlapping = [s for s in free if s[0] < end and s[1] > start]
        if case["blocks"]:
            assert overlapping == [], (busy, overlapping[:3])
        elif start.hour < 16 and end.hour >= 7 or case["all_day"]:
            assert overlapping, "a free (transparent or cancelled) entry blocked its time"


ONE_TIME = sorted(f for f, c in BY_FILE.items()
                  if c["blocks"] and len(c["busy"]) == 1
                  and "RRULE" not in (CLIENTS / f).read_text(encoding="utf-8"))


@pytest.mark.parametrize("file", ONE_TIME)
def test_client_entry_made_internal_is_called_at_its_start(app, client, file):
    case = BY_FILE[file]
    text = with_master_lines(body(case).decode("utf-8"), "X-KAMIN-KIND:internal",
                             "X-KAMIN-PHONE:0871 123456",
                             "LOCATION:Altstadt 12\\, 84028 Landshut", drop=("LOCATION", "STATUS"))
    assert client.put(CAL + "c.ics", text).status == 201
    start = local(case["busy"][0]["start"])
    announce = (start - dt.timedelta(days=7)).replace(hour=10, minute=0)
    while announce.weekday() >= 5:
        announce += dt.timedelta(days=1)
    answer = json.loads(Client(app, "assistant").get(
        API + "due-calls?lease=false&now=" + urllib.parse.quote(announce.isoformat())).text)
    expected = start.date().isoformat() if case["all_day"] else start.isoformat()
    assert [(c["uid"], c["start"][:len(expected)]) for c in answer["calls"]] == [
        (case["uid"], expected)]


@pytest.mark.parametrize("file", sorted(BY_FILE))
def test_client_entry_without_phone_is_listed_with_its_start(app, client, file):
    case = BY_FILE[file]
    text = with_master_lines(body(case).decode("utf-8"), "X-KAMIN-KIND:internal",
                             "LOCATION:Altstadt 12\\, 84028 Landshut",
                             drop=("LOCATION", "DESCRIPTION", "STATUS"))
    assert client.put(CAL + "c.ics", text).status == 201
    now = local(case["window"][0]) - dt.timedelta(days=7)
    answer = json.loads(Client(app, "assistant").get(
        API + "data-missing?now=" + urllib.parse.quote(now.isoformat())).text)
    entries = [e for e in answer["entries"] if e["uid"] == case["uid"]]
    assert len(entries) == 1, answer
    first = dt.datetime.fromisoformat(entries[0]["start"]) if not case["all_day"] else None
    if first is not None and len(case["busy"]) == 1 and "RRULE" not in text:
        assert first == local(case["busy"][0]["start"])
