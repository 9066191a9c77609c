"""Issue 12's findings, each tried against the production command
(``kamin serve``) as a real process over HTTP: what a careless client, an
attacker and a monitoring check do must never change data unasked, never
get a 500, and never put a customer into the log. (In-process tests of the
same rules are in test_api_validation.py, test_hostile_input.py,
test_safe_methods.py, test_private_log.py; the server's own limits in
test_serve.py.)"""

from __future__ import annotations

import json
import time

import pytest
import requests

import servers
from conftest import event, ics

pytestmark = pytest.mark.e2e

API = "/.web/kamin/api/"
CAL = "/anna/termine/"
ANNA = ("anna", "anna-demo")
ASSISTANT = ("assistant", "assistant-demo")
BEN = ("ben", "ben-demo")
NOW = "2026-11-30T10:00:00+01:00"
SECRETS = ("Obermüller", "9876543", "Sonnenblumenweg", "Hinterhuber")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reliability")
    log = folder / "serve.log"
    with servers.kamin_serve(folder, log) as url:
        for who, calendar in ((ANNA, CAL), (BEN, "/ben/termine/")):
            assert requests.request("MKCALENDAR", url + calendar, auth=who).status_code == 201
        body = ics(event("a", "X-KAMIN-KIND:internal", "X-KAMIN-CUSTOMER:Hildegard Obermüller",
                         "X-KAMIN-PHONE:0171 9876543",
                         "LOCATION:Sonnenblumenweg 7\\, 80331 München",
                         start="20261207T090000Z", end="20261207T100000Z"))
        assert requests.put(url + CAL + "a.ics", data=body.encode(), auth=ANNA,
                            headers={"Content-Type": "text/calendar"}).status_code == 201
        yield url, log


def post(url, path, body, auth=ASSISTANT):
    return requests.post(url + API + path, params={"now": "2026-12-01T10:00:00+01:00"},
                         auth=auth, data=json.dumps(body) if not isinstance(body, bytes) else body,
                         headers={"Content-Type": "application/json"})


def test_a_head_of_due_calls_leases_nothing(server):
    url, _ = server
    for _ in range(3):
        assert requests.head(url + API + "due-calls", params={"now": NOW},
                             auth=ASSISTANT).status_code == 200
    calls = requests.get(url + API + "due-calls", params={"now": NOW, "lease": "false"},
                         auth=ASSISTANT).json()["calls"]
    assert [c["uid"] for c in calls] == ["a"]


@pytest.mark.parametrize("path,params", [
    ("due-calls", {"limit": "²"}), ("due-calls", {"now": "9999-12-31T23:59:59-14:00"}),
    ("due-calls", {"now": "0001-01-01T00:00:00"}),
    ("slots", {"from": "0001-01-01T00:00", "to": "0001-01-02T00:00"}),
    ("slots", {"from": "9999-12-30T00:00", "to": "9999-12-31T00:00"}),
])
def test_out_of_range_queries_are_400_with_a_reason(server, path, params):
    url, _ = server
    answer = requests.get(url + API + path, params=params, auth=ASSISTANT)
    assert answer.status_code == 400 and answer.json()["error"]


@pytest.mark.parametrize("path,body", [
    ("bookings", {"start": "0001-01-02T09:00", "duration": 60, "staff": "anna"}),
    ("bookings", {"start": "9999-12-30T09:00", "duration": 60, "staff": "anna"}),
    ("holds", {"start": "9999-12-30T09:00", "duration": 60, "staff": "anna"}),
    ("bookings/a/move", {"start": "0001-01-02T09:00"}),
    ("calls/a/outcome", {"outcome": "rebooked", "start": "9999-12-30T09:00"}),
    ("bookings", {"start": "2026-12-08T09:00", "duration": 60.7, "staff": "anna"}),
    ("bookings/a/cancel", {"duration": "NaN"}),
])
def test_bad_bodies_are_400_and_change_nothing(server, path, body):
    url, _ = server
    before = requests.get(url + CAL + "a.ics", auth=ANNA).content
    answer = post(url, path, body)
    assert answer.status_code == 400, answer.text
    assert requests.get(url + CAL + "a.ics", auth=ANNA).content == before


def test_nan_in_a_body_is_not_json(server):
    url, _ = server
    answer = post(url, "bookings/a/cancel", b'{"reason": NaN}')
    assert answer.status_code == 400


@pytest.mark.parametrize("body", [
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "a"><!ENTITY b "&a;&a;&a;&a;">]>'
    '<D:propfind xmlns:D="DAV:"><D:prop>&b;</D:prop></D:propfind>',
    '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
    '<D:propfind xmlns:D="DAV:"><D:prop>&e;</D:prop></D:propfind>',
    '<?xml version="1.0"?><D:propfind xmlns:D="DAV:">' + "<D:prop>" * 3000 + "</D:prop>" * 3000
    + "</D:propfind>",
])
def test_hostile_xml_is_400(server, body):
    url, _ = server
    answer = requests.request("PROPFIND", url + CAL, data=body.encode(), auth=ANNA,
                              headers={"Depth": "1", "Content-Type": "application/xml"})
    assert answer.status_code == 400


def test_an_unknown_charset_is_400(server):
    url, _ = server
    answer = requests.put(url + CAL + "c.ics", data=ics(event("c")).encode(), auth=ANNA,
                          headers={"Content-Type": "text/calendar; charset=klingonisch"})
    assert answer.status_code == 400
    assert requests.get(url + CAL + "c.ics", auth=ANNA).status_code == 404


def test_a_rule_of_86400_occurrences_a_day_is_refused(server):
    url, _ = server
    rule = ("RRULE:FREQ=DAILY;BYHOUR=" + ",".join(map(str, range(24)))
            + ";BYMINUTE=" + ",".join(map(str, range(60)))
            + ";BYSECOND=" + ",".join(map(str, range(60))))
    answer = requests.put(url + CAL + "dense.ics", data=ics(event("dense", rule)).encode(),
                          auth=ANNA, headers={"Content-Type": "text/calendar"})
    assert answer.status_code == 400 and "occurrences a day" in answer.text


def test_only_the_holder_releases_a_hold(server):
    url, _ = server
    held = post(url, "holds", {"start": "2026-12-09T10:00", "duration": 60, "staff": "anna"})
    assert held.status_code == 201
    hold = held.json()["hold"]
    assert post(url, "holds/%s/release" % hold, {}, auth=ANNA).status_code == 403
    assert post(url, "holds/%s/release" % hold, {}).status_code == 200


def test_api_answers_carry_the_security_headers(server):
    url, _ = server
    answer = requests.get(url + API + "staff", auth=ASSISTANT)
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]


def test_the_log_holds_no_customer_data(server):
    """After everything above — refusals, a customer named in an entry,
    an unknown TZID that is a name — the production log names nobody."""
    url, log = server
    body = ics(event("t", summary="Kehrung").replace(
        "DTSTART:20261207T090000Z", "DTSTART;TZID=Hinterhuber:20261207T090000").replace(
        "DTEND:20261207T100000Z", "DTEND;TZID=Hinterhuber:20261207T100000"))
    requests.put(url + CAL + "Hinterhuber.ics", data=body.encode(), auth=ANNA,
                 headers={"Content-Type": "text/calendar"})
    requests.get(url + API + "buildings/LG-Obermüller-7", auth=ASSISTANT)
    time.sleep(0.5)
    text = log.read_text(encoding="utf-8")
    assert "GET request for" in text                        # the log is written
    assert not [s for s in SECRETS if s in text]
