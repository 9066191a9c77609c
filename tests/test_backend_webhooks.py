"""Webhook subscribers the office adds in the backend, on the real Radicale
application in process with a real receiver on 127.0.0.1: added → the
dispatcher sends to it (without a webhooks file), removed → nothing more;
German refusals by field; the file's names stay the file's; the test
event; the secret in no answer, page, change log or log line; the page's
forms; ``kamin webhooks`` sees the backend's subscribers."""

from __future__ import annotations

import json
import logging
import re
import urllib.parse

import pytest
from radicale import Application
from radicale import config as radicale_config
from radicale import storage as radicale_storage

from conftest import Client, event, ics, load_config
from receiver import Receiver
from radicale_kamin.server import webhooks as server_webhooks
from servers import free_port, write_config
from test_api_webhooks import kamin

API = "/.web/kamin/api/"
PAGES = "/.web/kamin/"
CAL = "/anna/termine/"
SECRET = "backend-secret-0123456789"


def entry(uid: str) -> str:
    return ics(event(uid, "X-KAMIN-KIND:external", "X-KAMIN-CUSTOMER:Familie Huber",
                     start="20261207T090000Z", end="20261207T100000Z"))


def call(client, path, body=None, method="POST"):
    answer = client.request(method, API + path, json.dumps(body) if body is not None else "",
                            content_type="application/json")
    return answer.status, json.loads(answer.text)


@pytest.fixture
def receiver():
    found = Receiver(secret=SECRET)
    yield found
    found.stop()


class Office:
    """The app with no webhooks file (or ``file_text`` as one), anna's
    calendar, and a storage object of the test's own whose dispatcher the
    test drives."""

    def __init__(self, tmp_path, file_text: str = ""):
        self.folder = tmp_path / "collections"
        path = ""
        if file_text:
            (tmp_path / "webhooks.ini").write_text(file_text)
            path = str(tmp_path / "webhooks.ini")
        self.config = load_config(self.folder, storage={
            "kamin_webhooks": path, "kamin_webhook_background": "false"})
        self.app = Application(self.config)
        self.anna = Client(self.app, "anna")
        self.meister = Client(self.app, "meister")
        assert self.anna.mkcalendar(CAL).status == 201
        self.store = radicale_storage.load(self.config)

    def add(self, receiver, name="assistent", **fields):
        body = {"name": name, "url": receiver.url, "secret": SECRET, "events": ["*"],
                **fields}
        return call(self.meister, "webhooks/subscribers", body)

    def deliver(self) -> None:
        self.store.webhooks.dispatcher.deliver()


@pytest.fixture
def office(tmp_path):
    made = []

    def make(file_text: str = "") -> Office:
        made.append(Office(tmp_path, file_text))
        return made[-1]

    yield make
    server_webhooks.stop(str(tmp_path / "collections"))


def test_a_subscriber_added_in_the_backend_gets_events_without_a_webhooks_file(office,
                                                                             receiver):
    hooks = office()
    assert hooks.store.webhooks.enabled is False
    status, added = hooks.add(receiver, events=["booking.created"], calendars=["/anna/"])
    assert status == 201
    assert added["source"] == "backend" and added["secret_set"] is True
    assert added["events"] == ["booking.created"] and added["calendars"] == ["/anna/"]
    assert hooks.store.webhooks.enabled is True        # another process's storage sees it
    assert hooks.anna.put(CAL + "a.ics", entry("a")).status == 201
    hooks.deliver()
    found = receiver.wait_for(1)
    assert [d.event for d in found] == ["booking.created"] and found[0].signature_ok
    assert found[0].data["uid"] == "a"


def test_a_removed_subscriber_gets_nothing_more(office, receiver):
    hooks = office()
    hooks.add(receiver)
    hooks.anna.put(CAL + "a.ics", entry("a"))
    hooks.deliver()
    before = len(receiver.wait_for(2))
    hooks.anna.put(CAL + "b.ics", entry("b"))           # queued, not yet sent
    assert call(hooks.meister, "webhooks/subscribers/assistent/remove") == (
        200, {"removed": True})
    hooks.deliver()
    hooks.anna.put(CAL + "c.ics", entry("c"))
    hooks.deliver()
    assert len(receiver.deliveries) == before
    status, listed = call(hooks.meister, "webhooks", method="GET")
    assert status == 200 and listed["subscribers"] == [] and listed["enabled"] is False
    assert call(hooks.meister, "webhooks/subscribers/assistent/remove")[0] == 404


def test_wrong_fields_are_refused_in_german_and_nothing_is_stored(office, receiver):
    hooks = office()
    status, refused = call(hooks.meister, "webhooks/subscribers", {
        "name": "a b", "url": "http://assistant.example.com/kamin", "secret": "kurz",
        "events": ["booking.made"], "calendars": ["/carla/termine/"]})
    assert status == 400
    problems = refused["problems"]
    assert set(problems) == {"name", "url", "secret", "events", "calendars"}
    assert "https://" in problems["url"] and "16 Zeichen" in problems["secret"]
    assert "booking.made" in problems["events"] and "/carla/termine/" in problems["calendars"]
    status, refused = hooks.add(receiver, events=[])
    assert status == 400 and set(refused["problems"]) == {"events"}
    assert call(hooks.meister, "webhooks", method="GET")[1]["subscribers"] == []


def test_a_name_is_the_files_or_the_backends_never_both(office, receiver):
    hooks = office(receiver.config(name="datei"))
    status, refused = hooks.add(receiver, name="datei")
    assert status == 409 and "Webhooks-Datei" in refused["problems"]["name"]
    status, refused = call(hooks.meister, "webhooks/subscribers/datei/remove")
    assert status == 409 and "Webhooks-Datei" in refused["error"]
    assert hooks.add(receiver)[0] == 201
    status, refused = hooks.add(receiver)
    assert status == 409 and "ersetzen" in refused["problems"]["name"]
    status, replaced = hooks.add(receiver, events=["call.due"], replace=True)
    assert status == 201 and replaced["events"] == ["call.due"]
    listed = call(hooks.meister, "webhooks", method="GET")[1]["subscribers"]
    assert [(s["name"], s["source"]) for s in listed] == [("assistent", "backend"),
                                                          ("datei", "file")]


def test_only_admins_add_and_remove_subscribers(office, receiver):
    hooks = office()
    status, _ = call(hooks.anna, "webhooks/subscribers", {
        "name": "x", "url": receiver.url, "secret": SECRET, "events": ["*"]})
    assert status == 403
    hooks.add(receiver)
    assert call(hooks.anna, "webhooks/subscribers/assistent/remove")[0] == 403
    assert call(hooks.anna, "webhooks/subscribers/assistent/test")[0] == 403


def test_the_test_event_is_signed_and_says_how_it_went(office, receiver):
    hooks = office()
    hooks.add(receiver)
    status, tested = call(hooks.meister, "webhooks/subscribers/assistent/test")
    assert status == 200 and tested["delivered"] is True and tested["status"] == 204
    arrived = receiver.wait_for(1, event="webhook.test")[0]
    assert arrived.signature_ok and arrived.delivery == tested["event"]
    assert arrived.data["subscriber"] == "assistent"
    receiver.status = 401
    status, tested = call(hooks.meister, "webhooks/subscribers/assistent/test")
    assert status == 200 and tested["delivered"] is False and tested["error"] == "HTTP 401"
    with hooks.store.state.connection() as db:      # not queued, not counted
        assert db.execute("SELECT count(*) FROM webhook_deliveries d JOIN webhook_events e"
                          " ON e.id = d.event WHERE e.type = 'webhook.test'").fetchone()[0] == 0
    assert call(hooks.meister, "webhooks/subscribers/niemand/test")[0] == 404


def test_the_secret_is_in_no_answer_page_change_log_or_log_line(office, receiver, caplog):
    caplog.set_level(logging.DEBUG)
    hooks = office()
    texts = [hooks.add(receiver, name="alt")[1], hooks.add(receiver, replace=False)[1],
             hooks.add(receiver, secret=SECRET + "-neu", replace=True)[1]]
    hooks.anna.put(CAL + "a.ics", entry("a"))
    hooks.deliver()
    texts.append(call(hooks.meister, "webhooks/subscribers/alt/test")[1])
    texts.append(call(hooks.meister, "webhooks", method="GET")[1])
    changes = call(hooks.meister, "changes", method="GET")[1]
    texts.append(changes)
    page = hooks.meister.get(PAGES + "webhooks").text
    assert "Geheimnis gesetzt" in page and "alt" in page
    assert "neues Geheimnis" in json.dumps(changes, ensure_ascii=False)
    for text in [json.dumps(t) for t in texts] + [page, caplog.text]:
        assert SECRET not in text


def test_the_page_adds_tests_and_removes_a_subscriber(office, receiver):
    hooks = office(receiver.config(name="datei"))
    page = hooks.meister.get(PAGES + "webhooks").text
    assert "aus der Datei" in page and 'value="entry.state-changed"' in page
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)

    def submit(**fields):
        body = urllib.parse.urlencode({"csrf": token, **fields}, doseq=True)
        return hooks.meister.request("POST", PAGES + "webhooks", body,
                                     content_type="application/x-www-form-urlencoded")

    refused = submit(action="add", name="büro", url="ftp://x", secret="kurz",
                     events=["call.due"])
    assert refused.status == 400 and "mit https:// beginnen" in refused.text
    assert 'value="ftp://x"' in refused.text and "kurz" not in refused.text
    added = submit(action="add", name="buero", url=receiver.url, secret=SECRET,
                   events=["call.due", "booking.created"], calendars=["/anna/termine/"])
    assert added.status == 303 and "ok=webhook" in added.headers["location"]
    page = hooks.meister.get(PAGES + "webhooks").text
    assert "im Backend eingetragen" in page and "Anruf fällig" in page
    tested = submit(action="test", name="buero")
    assert tested.status == 200 and "Testereignis an buero zugestellt" in tested.text
    removed = submit(action="remove", name="buero")
    assert removed.status == 303 and "ok=webhook-removed" in removed.headers["location"]
    assert "buero" not in hooks.meister.get(PAGES + "webhooks").text


def test_the_command_lists_and_delivers_to_the_backends_subscribers(tmp_path, receiver):
    path = write_config(tmp_path, free_port(), storage={
        "kamin_webhooks": "", "kamin_webhook_background": "false"})
    app = Application(radicale_config.load([(str(path), False)]))
    anna, meister = Client(app, "anna"), Client(app, "meister")
    assert anna.mkcalendar(CAL).status == 201
    assert call(meister, "webhooks/subscribers", {
        "name": "assistent", "url": receiver.url, "secret": SECRET,
        "events": ["booking.created"]})[0] == 201
    anna.put(CAL + "a.ics", entry("a"))
    try:
        sent = kamin("deliver-once", "--config", str(path))
        assert sent.returncode == 0 and "zugestellt 1" in sent.stdout, sent.stderr
        assert [d.event for d in receiver.deliveries] == ["booking.created"]
        listed = kamin("list", "--config", str(path))
        assert "assistent" in listed.stdout and "(Backend)" in listed.stdout
        assert SECRET not in listed.stdout + listed.stderr
    finally:
        server_webhooks.stop(str(tmp_path / "collections"))
