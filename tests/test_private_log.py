"""The log at info level: no customer data from any logger — Radicale's,
vobject's (which logs to the root logger), request paths with
client-chosen names — yet unexpected errors keep their traceback, scrubbed,
so a production 500 can be diagnosed."""

from __future__ import annotations

import logging

import pytest

from conftest import Client, event, ics
from radicale_kamin.schedule import calls

CAL = "/anna/termine/"
SECRET = "Hildegard Obermüller, 0171 9876543"


@pytest.fixture
def info_log(caplog):
    caplog.set_level(logging.INFO)                 # every logger, the root included
    return caplog


def test_an_unknown_tzid_named_like_a_customer_stays_out_of_the_log(client, info_log):
    body = ics(event("x", summary="Kehrung").replace(
        "DTSTART:20261207T090000Z", "DTSTART;TZID=Hinterhuber:20261207T090000").replace(
        "DTEND:20261207T100000Z", "DTEND;TZID=Hinterhuber:20261207T100000"))
    client.put(CAL + "x.ics", body)
    assert "Hinterhuber" not in info_log.text


def test_item_names_in_request_paths_are_hashed(client, info_log):
    assert client.put(CAL + "Hildegard-Obermueller.ics", ics(event("h"))).status == 201
    assert "Obermueller" not in info_log.text
    assert CAL + "#" in info_log.text               # the request is still logged


def test_api_ids_in_paths_are_hashed(app, client, info_log):
    Client(app, "assistant").get("/.web/kamin/api/buildings/LG-Obermüller-7")
    assert "Obermüller" not in info_log.text


def test_an_unexpected_error_keeps_its_scrubbed_traceback(app, client, info_log, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError(SECRET)

    monkeypatch.setattr(calls, "due_calls", broken)
    response = Client(app, "assistant").get("/.web/kamin/api/due-calls?now=2026-11-30T10:00")
    assert response.status == 500
    assert "Traceback (most recent call last)" in info_log.text
    assert "radicale_kamin/api/" in info_log.text and "ValueError" in info_log.text
    assert "Obermüller" not in info_log.text and "9876543" not in info_log.text


def test_debug_level_keeps_every_detail(client, caplog):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("radicale").setLevel(logging.DEBUG)
    try:
        client.put(CAL + "Hildegard-Obermueller.ics", ics(event("h")))
        assert "Hildegard-Obermueller" in caplog.text
    finally:
        logging.getLogger("radicale").setLevel(logging.INFO)
