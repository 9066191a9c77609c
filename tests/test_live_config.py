"""Files the office edits — working hours, subscriptions, rights — take
effect on the next request after they change, in every server process; a
broken edit is refused with a log line and the last good version stays."""

from __future__ import annotations

import json
import logging
import os
import shutil
import urllib.parse

import pytest
import requests
from radicale import Application

import servers
from conftest import ROOT, Client, load_config

API = "/.web/kamin/api/"
DAY = {"from": "2026-12-08T00:00:00+01:00", "to": "2026-12-09T00:00:00+01:00",
       "staff": "anna", "now": "2026-12-01T10:00:00+01:00"}
SUBSCRIPTION = "[privat-anna]\nurl = https://example.invalid/anna.ics\ncalendar = /anna/termine/\n"


def _touch_later(path) -> None:
    """Make sure a rewrite is seen even within one timestamp tick."""
    stat = os.stat(path)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))


def _write(path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    _touch_later(path)


def _slot_starts(client) -> list[str]:
    response = client.get(API + "slots?" + urllib.parse.urlencode(DAY))
    assert response.status == 200, response.text
    return [s["start"][11:16] for s in json.loads(response.text)["slots"]]


@pytest.fixture
def office(tmp_path):
    """An app whose working-hours, subscriptions and rights files live in
    ``tmp_path``, as the office would edit them."""
    hours = tmp_path / "working-hours.ini"
    _write(hours, "[default]\nmon-fri = 07:00-16:00\n")
    subscriptions = tmp_path / "subscriptions.ini"
    _write(subscriptions, "")
    rights = tmp_path / "rights"
    shutil.copy(ROOT / "config" / "rights", rights)
    app = Application(load_config(
        tmp_path / "collections",
        storage={"kamin_working_hours": str(hours), "kamin_subscriptions": str(subscriptions)},
        rights={"file": str(rights)}))
    anna = Client(app, "anna")
    assert anna.mkcalendar("/anna/termine/").status == 201
    assert Client(app, "ben").mkcalendar("/ben/termine/").status == 201
    return app, hours, subscriptions, rights


def test_changed_working_hours_apply_on_the_next_request(office):
    app, hours, _, _ = office
    assistant = Client(app, "assistant")
    assert _slot_starts(assistant)[0] == "07:00"
    _write(hours, "[default]\nmon-fri = 09:00-12:00\n")
    assert _slot_starts(assistant)[0] == "09:00"


def test_broken_working_hours_keep_the_last_good_version(office, caplog):
    app, hours, _, _ = office
    assistant = Client(app, "assistant")
    _write(hours, "[default]\nmon-fri = 09:00-12:00\n")
    good = _slot_starts(assistant)
    _write(hours, "[default]\nmon-fri = 25:00-12:00\n")
    with caplog.at_level(logging.ERROR, logger="radicale"):
        assert _slot_starts(assistant) == good
        assert _slot_starts(assistant) == good
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1                           # reported once, not per request
    assert "kamin_working_hours" in errors[0] and "last good version" in errors[0]
    _write(hours, "[default]\nmon-fri = 10:00-12:00\n")
    assert _slot_starts(assistant)[0] == "10:00"


def test_changed_subscriptions_apply_on_the_next_request(office):
    app, _, subscriptions, _ = office
    anna = Client(app, "anna")
    assert json.loads(anna.get(API + "subscriptions").text)["subscriptions"] == []
    _write(subscriptions, SUBSCRIPTION)
    names = [s["name"] for s in json.loads(anna.get(API + "subscriptions").text)["subscriptions"]]
    assert names == ["privat-anna"]


def test_changed_rights_apply_to_caldav_and_the_api(office):
    app, _, _, rights = office
    anna = Client(app, "anna")
    assert anna.request("PROPFIND", "/ben/termine/", depth="0").status == 403
    _write(rights, rights.read_text() + "\n[anna-sees-ben]\nuser: anna\n"
                                        "collection: ben/termine\npermissions: rw\n")
    # The new section comes last: it must not be shadowed by an earlier one.
    assert anna.request("PROPFIND", "/ben/termine/", depth="0").status == 207
    staff = json.loads(anna.get(API + "staff").text)["staff"]
    assert "/ben/termine/" in [s["calendar"] for s in staff]


def test_broken_rights_keep_the_last_good_rules(office, caplog):
    app, _, _, rights = office
    anna = Client(app, "anna")
    _write(rights, "[broken\nuser: .+\n")
    with caplog.at_level(logging.ERROR, logger="radicale"):
        assert anna.request("PROPFIND", "/anna/termine/", depth="0").status == 207
        assert anna.request("PROPFIND", "/ben/termine/", depth="0").status == 403
    assert any("last good rules" in r.getMessage() for r in caplog.records)


@pytest.mark.e2e
def test_every_server_process_applies_a_change(tmp_path):
    hours = tmp_path / "working-hours.ini"
    _write(hours, "[default]\nmon-fri = 07:00-16:00\n")
    config = tmp_path / "radicale.conf"
    text = (ROOT / "config" / "radicale.conf").read_text()
    for option, value in (("kamin_working_hours", hours), ("file", ROOT / "config" / "rights"),
                          ("htpasswd_filename", ROOT / "config" / "users"),
                          ("kamin_subscriptions", "")):
        text = "\n".join("%s = %s" % (option, value) if line.startswith(option + " =") else line
                         for line in text.splitlines())
    config.write_text(text)
    folder = tmp_path / "collections"
    auth = ("assistant", "assistant-demo")
    with servers.radicale(folder, tmp_path / "a.log", config=str(config)) as a, \
            servers.radicale(folder, tmp_path / "b.log", config=str(config)) as b:
        assert requests.request("MKCALENDAR", a + "/anna/termine/",
                                auth=("anna", "anna-demo")).status_code == 201

        def first_slot(url: str) -> str:
            answer = requests.get(url + API + "slots", params=DAY, auth=auth)
            assert answer.status_code == 200, answer.text
            return answer.json()["slots"][0]["start"][11:16]

        assert first_slot(a) == first_slot(b) == "07:00"
        _write(hours, "[default]\nmon-fri = 08:30-12:00\n")
        assert first_slot(a) == first_slot(b) == "08:30"
