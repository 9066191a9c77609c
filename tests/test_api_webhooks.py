"""The admins' view of the webhooks (GET webhooks, POST webhooks/retry) and
``kamin webhooks``: counts, parked events, retries — never a secret."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from radicale import Application
from radicale import config as radicale_config
from radicale import storage as radicale_storage

from conftest import ROOT, Client, event, ics, load_config
from receiver import Receiver
from radicale_kamin.server import webhooks as server_webhooks
from servers import free_port, write_config

API = "/.web/kamin/api/"
CAL = "/anna/termine/"
KAMIN = str(Path(sys.executable).with_name("kamin"))
TOKEN = "a1b2c3d4e5f6a7b8c9d0"


def entry(uid: str, start: str = "20261207T090000Z") -> str:
    return ics(event(uid, "X-KAMIN-KIND:external", "X-KAMIN-CUSTOMER:Familie Huber",
                     start=start, end=start[:9] + "100000Z"))


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.stop()


@pytest.fixture
def setup(tmp_path, receiver):
    hooks = tmp_path / "webhooks.ini"
    hooks.write_text("[assistent]\nurl = http://127.0.0.1:%d/kamin/%s?key=%s\nsecret = %s\n"
                     "events = *\n" % (receiver.port, TOKEN, TOKEN, receiver.secret))
    config = load_config(tmp_path / "collections", storage={
        "kamin_webhooks": str(hooks), "kamin_webhook_background": "false"})
    app = Application(config)
    anna = Client(app, "anna")
    assert anna.mkcalendar(CAL).status == 201
    store = radicale_storage.load(config)
    yield app, anna, Client(app, "meister"), store
    server_webhooks.stop(str(tmp_path / "collections"))


def park_everything(store) -> None:
    with store.state.transaction() as db:
        db.execute("UPDATE webhook_deliveries SET state='parked', done_at=1, attempts=9,"
                   " last_status=503, last_error='HTTP 503' WHERE state != 'delivered'")


def test_only_admins_see_and_retry_webhooks(setup):
    _, anna, _, _ = setup
    assert anna.get(API + "webhooks").status == 403
    answer = anna.request("POST", API + "webhooks/retry", "{}", content_type="application/json")
    assert answer.status == 403 and "kamin_admins" in json.loads(answer.text)["error"]


def test_the_admin_sees_each_subscriber_without_its_secret_or_token(setup, receiver):
    _, anna, meister, store = setup
    anna.put(CAL + "a.ics", entry("a"))
    store.webhooks.dispatcher.deliver()
    answer = meister.get(API + "webhooks")
    assert answer.status == 200
    assert receiver.secret not in answer.text and TOKEN not in answer.text
    data = json.loads(answer.text)
    assert data["enabled"] is True and data["parked"] == []
    subscriber = data["subscribers"][0]
    assert subscriber["name"] == "assistent" and subscriber["secret_set"] is True
    assert subscriber["url"].startswith("http://127.0.0.1:%d/kamin/" % receiver.port)
    assert (subscriber["pending"], subscriber["delivered"], subscriber["parked"]) == (0, 2, 0)
    assert subscriber["last_success"] is not None and subscriber["last_error"] is None


def test_parked_events_are_listed_and_sent_again_on_retry(setup, receiver):
    _, anna, meister, store = setup
    anna.put(CAL + "a.ics", entry("a"))
    park_everything(store)
    listed = json.loads(meister.get(API + "webhooks").text)
    assert [(p["type"], p["last_status"], p["waiting"]) for p in listed["parked"]] == [
        ("entry.state-changed", 503, 0), ("booking.created", 503, 0)]
    one = listed["parked"][0]["delivery"]
    answer = meister.request("POST", API + "webhooks/retry", json.dumps({"delivery": one}),
                             content_type="application/json")
    assert json.loads(answer.text) == {"retried": 1}
    assert store.webhooks.dispatcher.deliver().delivered == 1
    rest = meister.request("POST", API + "webhooks/retry", "", content_type="application/json")
    assert json.loads(rest.text) == {"retried": 1}
    assert store.webhooks.dispatcher.deliver().delivered == 1
    assert [d.event for d in receiver.deliveries] == ["entry.state-changed", "booking.created"]


def test_retry_names_an_unknown_subscriber(setup):
    _, _, meister, _ = setup
    answer = meister.request("POST", API + "webhooks/retry", json.dumps({"subscriber": "x"}),
                             content_type="application/json")
    assert answer.status == 404 and "Den Webhook-Empfänger x gibt es nicht" in answer.text


def test_without_webhooks_the_view_says_so(tmp_path):
    meister = Client(Application(load_config(tmp_path / "c", storage={"kamin_webhooks": ""})),
                     "meister")
    assert json.loads(meister.get(API + "webhooks").text) == {
        "enabled": False, "subscribers": [], "parked": []}
    answer = meister.request("POST", API + "webhooks/retry", "{}", content_type="application/json")
    assert answer.status == 404


# --- kamin webhooks -------------------------------------------------------------------------------

def kamin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([KAMIN, "webhooks", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def test_the_command_lists_retries_and_delivers_once_for_cron(tmp_path, receiver):
    hooks = tmp_path / "webhooks.ini"
    hooks.write_text(receiver.config(name="assistent"))
    path = write_config(tmp_path, free_port(), storage={
        "kamin_webhooks": str(hooks), "kamin_webhook_background": "false"})
    configuration = radicale_config.load([(str(path), False)])
    anna = Client(Application(configuration), "anna")
    assert anna.mkcalendar(CAL).status == 201
    anna.put(CAL + "a.ics", entry("a"))

    sent = kamin("deliver-once", "--config", str(path))
    assert sent.returncode == 0, sent.stderr
    assert "zugestellt 2, fehlgeschlagen 0" in sent.stdout
    assert [d.event for d in receiver.deliveries] == ["entry.state-changed", "booking.created"]

    receiver.status = 503
    anna.put(CAL + "a.ics", entry("a", "20261208T090000Z"))
    failing = kamin("deliver-once", "--config", str(path))
    assert failing.returncode == 1 and "fehlgeschlagen 1" in failing.stdout
    store = radicale_storage.load(configuration)
    park_everything(store)
    listed = kamin("list", "--config", str(path))
    assert listed.returncode == 0, listed.stderr
    assert "assistent" in listed.stdout and "geparkt 1" in listed.stdout
    assert "booking.moved" in listed.stdout and "HTTP 503" in listed.stdout
    assert receiver.secret not in listed.stdout

    receiver.status = 204
    retried = kamin("retry", "--config", str(path), "--subscriber", "assistent")
    assert retried.returncode == 0 and retried.stdout.startswith("1 geparkte")
    assert kamin("deliver-once", "--config", str(path)).returncode == 0
    assert [d.event for d in receiver.deliveries] == [
        "entry.state-changed", "booking.created", "booking.moved"]
    server_webhooks.stop(str(tmp_path / "collections"))
