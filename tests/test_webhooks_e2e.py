"""Webhooks end to end: real ``radicale`` processes, a real receiver on
127.0.0.1, HTTP in between. Signatures verify and events arrive in order
per entry; a receiver that is down for a while gets everything after it
returns; ``kill -9`` of the server between the write and the delivery — and
between the file write and the outbox — loses nothing; two processes on one
storage send each event once."""

from __future__ import annotations

import collections
import datetime as dt
import os
import pathlib
import signal
import sqlite3
import sys
import time
from zoneinfo import ZoneInfo

import pytest
import requests

from conftest import event, ics
from receiver import Receiver
from servers import RADICALE, free_port, start, stop, write_config

pytestmark = pytest.mark.e2e

CAL = "/anna/termine/"
AUTH = ("anna", "anna-demo")
ADDRESS = "LOCATION:Hauptstraße 12\\, 80331 München"
CRASHING = [sys.executable, str(pathlib.Path(__file__).with_name("crashing_radicale.py"))]


def appointment(uid: str, day: int = 7, hour: int = 9) -> str:
    start = "202612%02dT%02d0000Z" % (day, hour)
    return ics(event(uid, "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:089 123456",
                     "X-KAMIN-CUSTOMER:Familie Huber", "X-KAMIN-BUILDING:LG-" + uid, ADDRESS,
                     start=start, end=start[:9] + "%02d3000Z" % hour))


class Server:
    """A radicale process with webhooks to ``receiver`` on ``folder``."""

    def __init__(self, folder: pathlib.Path, receiver: Receiver, command=(RADICALE,),
                 name: str = "server", **storage: str):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        hooks = folder / "webhooks.ini"
        if not hooks.exists():
            hooks.write_text(receiver.config())
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        config = write_config(folder, self.port, storage={"kamin_webhooks": str(hooks), **storage})
        renamed = folder / ("%s.conf" % name)
        os.replace(config, renamed)
        self.log = folder / ("%s.log" % name)
        self.process = start([*command, "--config", str(renamed)], self.log, self.url)

    def put(self, href: str, text: str) -> requests.Response:
        return requests.put(self.url + CAL + href, data=text.encode(), auth=AUTH, timeout=30,
                            headers={"Content-Type": "text/calendar"})

    def mkcalendar(self) -> None:
        answer = requests.request("MKCALENDAR", self.url + CAL, auth=AUTH, timeout=30)
        assert answer.status_code in (201, 405), answer.text       # 405: exists

    def kill(self) -> None:
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        stop(self.process)


def outbox_rows(folder: pathlib.Path) -> list[tuple]:
    """(type, state, stream) of every delivery, straight from the file."""
    path = folder / "collections" / "kamin-state.sqlite"
    if not path.exists():
        return []
    with sqlite3.connect(str(path)) as db:
        try:
            return db.execute("SELECT e.type, d.state, d.stream FROM webhook_deliveries d JOIN"
                              " webhook_events e ON e.id = d.event ORDER BY d.seq").fetchall()
        except sqlite3.OperationalError:
            return []


def per_entry(deliveries) -> dict[str, list[str]]:
    found = collections.defaultdict(list)
    for d in deliveries:
        found[d.data.get("uid")].append(d.event)
    return dict(found)


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.stop()


def test_signed_in_order_and_a_receiver_down_for_a_while_gets_everything(tmp_path, receiver):
    server = Server(tmp_path, receiver)
    try:
        server.mkcalendar()
        assert server.put("a.ics", appointment("a")).status_code == 201
        assert server.put("a.ics", appointment("a", day=8)).status_code in (201, 204)
        first = receiver.wait_for(3)
        assert [d.event for d in first] == ["entry.state-changed", "booking.created",
                                            "booking.moved"]
        assert all(d.signature_ok for d in first)

        receiver.stop()                                 # the receiver goes down
        for n, uid in enumerate(["b", "c", "a"]):
            server.put(uid + ".ics", appointment(uid, day=9 + n))
            server.put(uid + ".ics", appointment(uid, day=9 + n, hour=11))
        time.sleep(2)                                   # attempts fail meanwhile
        assert {state for _, state, _ in outbox_rows(tmp_path)[3:]} == {"pending"}
        receiver.start()                                # back, on the same port
        everything = receiver.wait_for(3 + 2 + 2 + 2 + 2, timeout=60)
        assert len(everything) == 11, [d.event for d in everything]
        assert all(d.signature_ok for d in everything)
        assert len({d.delivery for d in everything}) == 11      # each once
        assert per_entry(everything) == {
            "a": ["entry.state-changed", "booking.created", "booking.moved", "booking.moved",
                  "booking.moved"],
            "b": ["entry.state-changed", "booking.created", "booking.moved"],
            "c": ["entry.state-changed", "booking.created", "booking.moved"]}
        moves = [d.data["start"] for d in everything if d.data["uid"] == "a"][2:]
        assert moves == ["2026-12-08T10:00:00+01:00", "2026-12-11T10:00:00+01:00",
                         "2026-12-11T12:00:00+01:00"]
    finally:
        server.stop()


def test_kill_9_between_the_write_and_the_delivery_loses_nothing(tmp_path, receiver):
    receiver.stop()                                     # nobody to deliver to yet
    server = Server(tmp_path, receiver)
    server.mkcalendar()
    for uid in "abc":
        assert server.put(uid + ".ics", appointment(uid)).status_code == 201
    # Acknowledged PUTs: their events are durable before the answer.
    assert len(outbox_rows(tmp_path)) == 6
    server.kill()
    receiver.start()
    again = Server(tmp_path, receiver, name="again")
    try:
        found = receiver.wait_for(6, timeout=60)
        assert per_entry(found) == {uid: ["entry.state-changed", "booking.created"]
                                    for uid in "abc"}
        assert all(d.signature_ok for d in found)
    finally:
        again.stop()


def test_kill_9_while_a_delivery_is_on_the_way_sends_it_again_with_the_same_id(
        tmp_path, receiver):
    # A claim would last a minute (the timeout): only its dead owner ends it sooner.
    server = Server(tmp_path, receiver, kamin_webhook_timeout="60")
    server.mkcalendar()
    receiver.delay = 4.0                                # the receiver takes its time
    assert server.put("a.ics", appointment("a")).status_code == 201
    receiver.wait_for(1, timeout=20)                    # the first POST arrived …
    server.kill()                                       # … and the server dies before the 2xx
    receiver.delay = 0.0
    started = time.monotonic()
    again = Server(tmp_path, receiver, name="again", kamin_webhook_timeout="60")
    try:
        found = receiver.wait_for(3, timeout=90)
        ids = [d.delivery for d in found]
        assert [d.event for d in found][:1] == ["entry.state-changed"]
        assert ids[0] == ids[1] and len(set(ids)) == 2     # sent again, same id; then the next
        # The dead process's claim ended at once: no wait for it to expire.
        assert time.monotonic() - started < 30
    finally:
        again.stop()


def test_kill_9_between_the_file_write_and_the_outbox_loses_nothing(tmp_path, receiver):
    server = Server(tmp_path, receiver, command=CRASHING, name="crashing")
    server.mkcalendar()
    assert server.put("a.ics", appointment("a")).status_code == 201
    receiver.wait_for(2)
    with pytest.raises(requests.ConnectionError):       # killed inside the PUT
        server.put("crash.ics", appointment("crash"))
    server.process.wait(timeout=30)
    assert server.process.returncode == -signal.SIGKILL
    stored = tmp_path / "collections" / "collection-root" / "anna" / "termine" / "crash.ics"
    assert stored.exists(), "the file was written before the kill"
    assert [s for _, _, s in outbox_rows(tmp_path) if "crash" in s] == []
    again = Server(tmp_path, receiver, name="again")
    try:
        found = receiver.wait_for(4, timeout=60)
        assert per_entry(found)["crash"] == ["entry.state-changed", "booking.created"]
        assert all(d.signature_ok for d in found)
    finally:
        again.stop()


def test_two_processes_on_one_storage_send_every_event_once(tmp_path, receiver):
    # A calling window all day, every day: call.due comes from both processes' clocks.
    window = {"kamin_calling_days": "mon-sun", "kamin_calling_hours": "00:00-23:59",
              "kamin_holiday_categories": "public"}
    first = Server(tmp_path, receiver, name="first", **window)
    second = Server(tmp_path, receiver, name="second", **window)
    try:
        first.mkcalendar()
        soon = dt.datetime.now(ZoneInfo("Europe/Berlin")) + dt.timedelta(days=3)
        for n in range(8):
            server = (first, second)[n % 2]
            day = soon + dt.timedelta(hours=n)
            start = day.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H0000Z")
            text = ics(event("e%d" % n, "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:089 12345%d" % n,
                             "X-KAMIN-CUSTOMER:Kunde %d" % n, ADDRESS, start=start,
                             end=start[:11] + "5900Z"))
            assert server.put("e%d.ics" % n, text).status_code == 201
        receiver.wait_for(16, timeout=60)
        time.sleep(3)                                   # time for a second send, if any
        found = [d for d in receiver.deliveries if d.event != "call.due"]
        assert len(found) == 16 and len({d.delivery for d in found}) == 16
        due = receiver.of("call.due")
        if not _calling_all_day(dt.datetime.now(ZoneInfo("Europe/Berlin"))):
            return                      # a public holiday, or 23:59: no calling window now
        # Both processes look at the due list; each call is announced once.
        assert sorted(d.data["uid"] for d in due) == ["e%d" % n for n in range(8)]
        assert len({d.delivery for d in due}) == 8
    finally:
        first.stop()
        second.stop()


def _calling_all_day(moment: dt.datetime) -> bool:
    import holidays
    return (moment.date() not in holidays.country_holidays("DE", subdiv="BY")
            and (moment.hour, moment.minute) != (23, 59))
