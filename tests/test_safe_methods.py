"""Safe methods are safe: HEAD and OPTIONS never lease a call (a monitoring
check must not hide the calls from the assistant)."""

from __future__ import annotations

import json
import urllib.parse

import pytest

from conftest import Client, event, ics

API = "/.web/kamin/api/"
NOW = urllib.parse.quote("2026-11-30T10:00:00+01:00")


@pytest.fixture
def assistant(app, client):
    assert client.put("/anna/termine/a.ics", ics(event(
        "a", "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:089 123456",
        "LOCATION:Hauptstraße 12\\, 80331 München",
        start="20261207T090000Z", end="20261207T100000Z"))).status == 201
    return Client(app, "assistant")


def calls(client) -> list[str]:
    return [c["uid"] for c in json.loads(client.get(API + "due-calls?now=" + NOW).text)["calls"]]


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS"])
def test_probing_due_calls_leases_nothing(assistant, method):
    for _ in range(3):
        probe = assistant.request(method, API + "due-calls?now=" + NOW)
        assert probe.status in (200, 204), probe.status
        assert probe.body == b""
    assert calls(assistant) == ["a"]          # the first GET still gets the call
    assert calls(assistant) == []             # ... and leases it


def test_head_answers_like_get(assistant):
    head = assistant.request("HEAD", API + "due-calls?lease=false&now=" + NOW)
    get = assistant.get(API + "due-calls?lease=false&now=" + NOW)
    assert head.status == get.status == 200
    assert head.headers["content-type"] == get.headers["content-type"]
