"""Webhooks on the real Radicale application, in process, with a real HTTP
receiver on 127.0.0.1: what is queued for which write, what arrives, in
which order, signed; what is never queued twice; retries, parking, claims;
``call.due`` when the due list changes without a write."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
import urllib.parse

import pytest
from radicale import Application
from radicale import storage as radicale_storage

from conftest import Client, event, ics, load_config
from receiver import Receiver
from radicale_kamin.server import webhooks as server_webhooks
from radicale_kamin.server.index import INDEX_FILE
from radicale_kamin.webhooks import outbox
from radicale_kamin.webhooks.dispatcher import Dispatcher

API = "/.web/kamin/api/"
CAL = "/anna/termine/"
ADDRESS = "LOCATION:Hauptstraße 12\\, 80331 München"
MONDAY_10 = "2026-11-30T10:00:00+01:00"


def appointment(uid, start="20261207T090000Z", *lines, phone="089 123456", building=None):
    return ics(event(uid, "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:" + phone,
                     "X-KAMIN-CUSTOMER:Familie Huber",
                     "X-KAMIN-BUILDING:%s" % (building or "LG-" + uid),
                     ADDRESS, *lines, start=start, end=start[:9] + "100000Z"))


def post(client, path, body, now=MONDAY_10):
    return client.request("POST", API + path + "?now=" + urllib.parse.quote(now),
                          json.dumps(body), content_type="application/json")


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.stop()


class Hooked:
    """The app with webhooks to ``receiver``, anna's calendar, and a storage
    object of the test's own on the same folder (its dispatcher is driven
    by the test where ``background`` is off)."""

    def __init__(self, tmp_path, receiver, background=True, extra="", **storage):
        self.path = tmp_path / "webhooks.ini"
        self.path.write_text(receiver.config(extra=extra))
        self.folder = tmp_path / "collections"
        self.config = load_config(self.folder, storage={
            "kamin_webhooks": str(self.path),
            "kamin_webhook_background": "true" if background else "false", **storage})
        self.app = Application(self.config)
        self.anna = Client(self.app, "anna")
        self.assistant = Client(self.app, "assistant")
        if not (self.folder / "collection-root" / "anna" / "termine").is_dir():
            assert self.anna.mkcalendar(CAL).status == 201
        self.store = radicale_storage.load(self.config)

    @property
    def dispatcher(self) -> Dispatcher:
        return self.store.webhooks.dispatcher

    def queued(self) -> list[tuple[str, str, str]]:
        """(type, state, stream) of every delivery, in queue order."""
        with self.store.state.connection() as db:
            return [tuple(r) for r in db.execute(
                "SELECT e.type, d.state, d.stream FROM webhook_deliveries d"
                " JOIN webhook_events e ON e.id = d.event ORDER BY d.seq")]

    def types(self) -> list[str]:
        return [t for t, _, _ in self.queued()]

    def time_passes(self) -> None:
        """Every pause and waiting time is over (the clock moved on)."""
        with self.store.state.transaction() as db:
            db.execute("UPDATE webhook_deliveries SET next_at = 0")
            db.execute("UPDATE webhook_subscribers SET paused_until = 0")

    def close(self) -> None:
        server_webhooks.stop(str(self.folder))


@pytest.fixture
def hooked(tmp_path, receiver):
    made = []

    def make(**kwargs) -> Hooked:
        made.append(Hooked(tmp_path, receiver, **kwargs))
        return made[-1]

    yield make
    for hooks in made:
        hooks.close()


# --- what arrives ------------------------------------------------------------------------

def test_a_put_reaches_the_receiver_signed_with_the_contracts_headers(hooked, receiver):
    hooks = hooked()
    assert hooks.anna.put(CAL + "a.ics", appointment("a")).status == 201
    found = receiver.wait_for(2)
    assert [d.event for d in found] == ["entry.state-changed", "booking.created"]
    for delivery in found:
        assert delivery.signature_ok
        assert delivery.body["type"] == delivery.event
        assert delivery.body["id"] == delivery.delivery
        assert dt.datetime.fromisoformat(delivery.body["created"]).tzinfo is not None
    changed = found[0].data
    assert (changed["uid"], changed["calendar"], changed["old_state"], changed["state"]) == (
        "a", "/anna/termine/", None, "planned")


def test_every_event_is_as_the_openapi_document_describes_it(hooked, receiver):
    from radicale_kamin.api.webhooks import MODELS
    from radicale_kamin.webhooks.events import EVENT_TYPES, TEST

    assert set(MODELS) == set(EVENT_TYPES) | {TEST}     # the test event: tests/test_backend_webhooks.py
    hooks = hooked(background=False)            # the test's clock, not the machine's
    hooks.anna.put(CAL + "a.ics", appointment("a"))
    post(hooks.assistant, "bookings/a/move", {"start": "2026-12-08T10:00:00+01:00"})
    hooks.anna.request("DELETE", CAL + "a.ics")
    hooks.dispatcher.check_due(moment(MONDAY_10))      # nothing due: a was deleted
    hooks.anna.put(CAL + "b.ics", appointment("b"))
    hooks.dispatcher.check_due(moment("2026-11-30T10:01:00+01:00"))
    hooks.store.announce("import.finished", {
        "file": "x.csv", "format": "csv", "calendar": CAL, "addressbook": "/anna/kontakte/",
        "records": 1, "counts": {"green": 1, "orange": 0, "red": 0},
        "written": {"created": 1, "updated": 0, "unchanged": 0, "deleted": 0}, "skipped": 0,
        "conflicts": 0},
        "import:anna/termine", "anna/termine")
    hooks.time_passes()
    hooks.dispatcher.deliver()
    found = receiver.deliveries
    assert {d.event for d in found} >= {"entry.state-changed", "booking.created", "booking.moved",
                                        "booking.cancelled", "call.due", "import.finished"}
    for delivery in found:
        MODELS[delivery.event].model_validate(delivery.body)     # unknown fields refused too


def test_an_events_entry_fields_are_the_apis(hooked, receiver):
    hooks = hooked()
    hooks.anna.put(CAL + "a.ics", appointment("a"))
    data = receiver.wait_for(1)[0].data
    building = json.loads(hooks.assistant.get(API + "buildings/LG-a?now=" + urllib.parse.quote(
        MONDAY_10)).text)
    entry = building["entries"][0]
    assert {key: data[key] for key in entry} == entry
    assert set(data) - set(entry) == {"old_state"}


def test_events_of_one_entry_arrive_in_the_order_of_its_changes(hooked, receiver):
    hooks = hooked()
    hooks.anna.put(CAL + "a.ics", appointment("a"))
    assert post(hooks.assistant, "calls/a/outcome", {"outcome": "confirmed"}).status == 200
    assert post(hooks.assistant, "bookings/a/move",
                {"start": "2026-12-08T10:00:00+01:00"}).status == 200
    assert post(hooks.assistant, "bookings/a/cancel", {"reason": "krank"}).status == 200
    found = receiver.wait_for(6)
    # A cancelled internal appointment reads as rejected (STATUS:CANCELLED).
    assert [(d.event, d.data.get("old_state"), d.data.get("state")) for d in found] == [
        ("entry.state-changed", None, "planned"), ("booking.created", None, "planned"),
        ("entry.state-changed", "planned", "confirmed"), ("booking.moved", None, "confirmed"),
        ("entry.state-changed", "confirmed", "rejected"), ("booking.cancelled", None, "rejected")]
    assert found[3].data["old_start"] == "2026-12-07T10:00:00+01:00"
    assert found[3].data["start"] == "2026-12-08T10:00:00+01:00"
    assert len({d.delivery for d in found}) == 6


def test_a_booking_through_the_api_is_announced_with_its_start(hooked, receiver):
    hooks = hooked()
    answer = post(hooks.assistant, "bookings", {
        "start": "2026-12-08T09:00:00+01:00", "staff": "anna", "duration": 60,
        "kind": "external", "customer": "Familie Maier", "phone": "0171 2345678",
        "building": "LG-7", "location": "Lindenweg 3, 80331 München"})
    assert answer.status == 201, answer.text
    created = receiver.wait_for(1, event="booking.created")[0].data
    assert (created["uid"], created["calendar"], created["start"]) == (
        json.loads(answer.text)["uid"], "/anna/termine/", "2026-12-08T09:00:00+01:00")


def test_a_refused_write_is_never_announced(hooked):
    hooks = hooked(background=False)
    bad = ics(event("x", "X-KAMIN-KIND:sometimes"))
    assert hooks.anna.put(CAL + "x.ics", bad).status == 400
    assert hooks.queued() == []


def test_a_subscriber_gets_only_its_event_types_and_calendars(hooked, receiver, tmp_path):
    hooks = hooked(background=False)
    hooks.path.write_text(receiver.config(events="booking.created")
                          + "\n" + receiver.config(name="ben-only", events="*")
                          + "calendars = /ben/\n")
    hooks.anna.put(CAL + "a.ics", appointment("a"))
    with hooks.store.state.connection() as db:
        rows = db.execute("SELECT subscriber, e.type FROM webhook_deliveries d JOIN webhook_events"
                          " e ON e.id = d.event").fetchall()
    assert [tuple(r) for r in rows] == [("test", "booking.created")]


# --- never twice, never for nothing -----------------------------------------------------------

def test_the_same_change_seen_again_is_not_queued_again(hooked):
    hooks = hooked(background=False)
    hooks.anna.put(CAL + "a.ics", appointment("a"))
    assert hooks.types() == ["entry.state-changed", "booking.created"]
    hooks.store.index.sync(full=True)
    hooks.store.index.rebuild()                     # kamin reindex
    for suffix in ("", "-wal", "-shm"):               # a lost index: rebuilt from the files
        os.remove(str(hooks.folder / INDEX_FILE) + suffix)
    again = radicale_storage.load(hooks.config)
    again.index.sync()
    hooks.dispatcher.catch_up()
    assert hooks.types() == ["entry.state-changed", "booking.created"]


def test_a_whole_calendar_put_announces_only_what_changed(hooked):
    hooks = hooked(background=False)
    hooks.anna.put(CAL + "a.ics", appointment("a"))
    hooks.anna.put(CAL + "b.ics", appointment("b"))
    before = len(hooks.queued())
    whole = ics(event("a", "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:089 123456",
                      "X-KAMIN-CUSTOMER:Familie Huber", "X-KAMIN-BUILDING:LG-a", ADDRESS,
                      start="20261207T090000Z", end="20261207T100000Z"),
                event("c", "X-KAMIN-KIND:external", "X-KAMIN-CUSTOMER:Neu", ADDRESS,
                      start="20261209T090000Z", end="20261209T100000Z"))
    assert hooks.anna.put(CAL, whole).status in (200, 201)
    by_entry: dict[str, list[str]] = {}
    for event_type, _, stream in hooks.queued()[before:]:
        by_entry.setdefault(stream.rsplit("/", 1)[1], []).append(event_type)
    # a's file was written anew, but its state and start stayed: nothing to say.
    assert by_entry == {"b.ics": ["entry.state-changed", "booking.cancelled"],
                        "c.ics": ["entry.state-changed", "booking.created"]}


def test_entries_from_before_webhooks_are_not_announced_but_their_changes_are(
        tmp_path, receiver, hooked):
    plain = Application(load_config(tmp_path / "collections"))
    anna = Client(plain, "anna")
    assert anna.mkcalendar(CAL).status == 201
    for uid in "abc":
        anna.put(CAL + uid + ".ics", appointment(uid))
    hooks = hooked(background=False)
    hooks.dispatcher.catch_up()                     # the baseline
    assert hooks.queued() == []
    hooks.anna.put(CAL + "a.ics", appointment("a", "20261208T090000Z"))
    assert hooks.types() == ["booking.moved"]


def test_what_a_process_without_webhooks_wrote_is_not_announced_later(tmp_path, receiver, hooked):
    hooks = hooked(background=False)
    hooks.anna.put(CAL + "a.ics", appointment("a"))
    assert len(hooks.queued()) == 2
    plain = Application(load_config(hooks.folder))  # webhooks off: its writes are unobserved
    Client(plain, "anna").put(CAL + "a.ics", appointment("a", "20261208T090000Z"))
    Client(plain, "anna").request("DELETE", CAL + "a.ics")
    Client(plain, "anna").put(CAL + "b.ics", appointment("b"))
    on_again = hooked(background=False)
    on_again.dispatcher.catch_up()                  # reconciled, not announced
    assert len(on_again.queued()) == 2
    on_again.anna.put(CAL + "b.ics", appointment("b", "20261209T090000Z"))
    assert on_again.types()[2:] == ["booking.moved"]


def test_a_file_written_behind_radicales_back_is_announced_by_the_next_sync(hooked):
    hooks = hooked(background=False)
    hooks.anna.put(CAL + "a.ics", appointment("a"))
    hooks.anna.put(CAL + "b.ics", appointment("b"))
    folder = hooks.folder / "collection-root" / "anna" / "termine"
    text = (folder / "a.ics").read_text().replace("X-KAMIN-KIND:internal", "X-KAMIN-KIND:external")
    (folder / "a.ics.tmp").write_text(text)
    os.replace(folder / "a.ics.tmp", folder / "a.ics")      # as a sync tool writes
    hooks.dispatcher.catch_up()                             # the start after a crash
    assert hooks.queued()[4:] == [("entry.state-changed", "pending", "entry:anna/termine/a.ics")]
    time.sleep(0.01)                                        # edited in place: the full check
    (folder / "b.ics").write_text((folder / "b.ics").read_text().replace(
        "20261207T090000Z", "20261208T090000Z"))
    hooks.store.index.sync(full=True)
    assert hooks.queued()[5:] == [("booking.moved", "pending", "entry:anna/termine/b.ics")]


# --- delivery: failing receivers, order, parking, claims --------------------------------------

def test_a_receiver_that_fails_gets_the_events_later_in_order_with_the_same_ids(hooked, receiver):
    hooks = hooked(background=False)
    receiver.status = 503
    hooks.anna.put(CAL + "a.ics", appointment("a"))
    hooks.anna.put(CAL + "a.ics", appointment("a", "20261208T090000Z"))
    first = hooks.dispatcher.deliver()
    assert (first.delivered, first.failed) == (0, 1)        # one try, then the pause
    assert hooks.dispatcher.deliver().failed == 0           # paused: nobody knocks
    receiver.status = 204
    hooks.time_passes()
    assert hooks.dispatcher.deliver().delivered == 3
    assert [d.event for d in receiver.deliveries] == [
        "entry.state-changed", "booking.created", "booking.moved"]
    with hooks.store.state.connection() as db:
        first_id = db.execute("SELECT event FROM webhook_deliveries ORDER BY seq").fetchone()[0]
        attempts = [r[0] for r in db.execute(
            "SELECT attempts FROM webhook_deliveries ORDER BY seq")]
    assert receiver.deliveries[0].delivery == first_id
    assert attempts == [2, 1, 1]


def test_an_event_failing_past_the_retry_period_is_parked_and_holds_back_its_entry(
        hooked, receiver):
    hooks = hooked(background=False)
    receiver.status = 500
    hooks.anna.put(CAL + "a.ics", appointment("a"))
    hooks.anna.put(CAL + "b.ics", appointment("b"))
    with hooks.store.state.transaction() as db:         # queued more than 24 hours ago
        db.execute("UPDATE webhook_deliveries SET retry_from = retry_from - 90000,"
                   " created = created - 90000")
    hooks.dispatcher.deliver()
    assert {s for _, s, _ in hooks.queued()} == {"parked"}      # all of the failing receiver
    receiver.status = 204
    hooks.anna.put(CAL + "a.ics", appointment("a", "20261208T090000Z"))
    hooks.time_passes()
    assert hooks.dispatcher.deliver().delivered == 0            # a's move waits behind a's park
    with hooks.store.state.connection() as db:
        listed = outbox.parked(db)
    assert [(r["type"], r["waiting"]) for r in listed] == [
        ("entry.state-changed", 1), ("booking.created", 1), ("entry.state-changed", 0),
        ("booking.created", 0)]
    with hooks.store.state.transaction() as db:
        assert outbox.retry(db, int(time.time())) == 4
    assert hooks.dispatcher.deliver().delivered == 5
    streams = [d.data["uid"] + ":" + d.event for d in receiver.deliveries]
    assert streams.index("a:booking.created") < streams.index("a:booking.moved")


def test_a_retry_by_hand_also_ends_the_pause_of_a_receiver_that_is_back(hooked, receiver):
    hooks = hooked(background=False)
    receiver.status = 503
    hooks.anna.put(CAL + "a.ics", appointment("a"))
    assert hooks.dispatcher.deliver().failed == 1
    receiver.status = 204
    assert hooks.dispatcher.deliver().delivered == 0          # paused
    with hooks.store.state.transaction() as db:
        assert outbox.retry(db, int(time.time()), "test") == 0  # nothing parked, but …
    assert hooks.dispatcher.deliver().delivered == 2          # … the pause is over


def test_two_processes_never_claim_the_same_delivery(hooked):
    hooks = hooked(background=False)
    for n in range(12):
        hooks.anna.put(CAL + "e%d.ics" % n, appointment("e%d" % n))
    claimed: dict[str, list[int]] = {}
    barrier = threading.Barrier(2)

    def take(owner):
        barrier.wait()
        got = []
        while True:
            with hooks.store.state.transaction() as db:
                rows = outbox.claim(db, owner, int(time.time()), ["test"], 3, 60)
            if not rows:
                break
            got += [r["seq"] for r in rows]
        claimed[owner] = got

    threads = [threading.Thread(target=take, args=(owner,)) for owner in ("h@1:a", "h@2:b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Each entry's first event only (its second waits for it), each claimed once.
    assert sorted(claimed["h@1:a"] + claimed["h@2:b"]) == sorted(set(
        claimed["h@1:a"] + claimed["h@2:b"]))
    assert len(claimed["h@1:a"]) + len(claimed["h@2:b"]) == 12


def test_the_claim_of_a_killed_process_is_taken_over_at_once(hooked, receiver):
    hooks = hooked(background=False)
    hooks.anna.put(CAL + "a.ics", appointment("a"))
    dead = os.fork() if hasattr(os, "fork") else None
    if dead == 0:
        os._exit(0)
    os.waitpid(dead, 0)
    import socket
    with hooks.store.state.transaction() as db:
        outbox.claim(db, "%s@%d:x" % (socket.gethostname(), dead), int(time.time()), ["test"],
                     10, 3600)
    assert hooks.dispatcher.deliver().delivered == 2
    assert len(receiver.deliveries) == 2


def test_a_failed_delivery_logs_no_customer_and_no_url(hooked, receiver, caplog):
    hooks = hooked(background=False)
    receiver.status = 500
    hooks.anna.put(CAL + "a.ics", appointment("a"))
    with caplog.at_level(logging.INFO, logger="radicale"):
        hooks.dispatcher.deliver()
    text = caplog.text
    assert "Webhook test:" in text and "HTTP 500" in text
    assert "Huber" not in text and "Hauptstraße" not in text and "123456" not in text
    assert str(receiver.port) not in text and "/kamin" not in text


# --- things that ran --------------------------------------------------------------------------

def test_a_finished_import_is_announced_with_its_counts(hooked, receiver, tmp_path):
    from radicale_kamin.importing import read_file
    from radicale_kamin.importing import run as importer

    hooks = hooked(background=False)
    source = tmp_path / "kunden.csv"
    source.write_text("Name;Straße;PLZ;Ort;Telefon;Datum\nHuber;Hauptstraße 1;80331;München;"
                      "089 123456;07.12.2026\nMaier;;;;;08.12.2026\n", encoding="utf-8")
    result = read_file(str(source), None, {}, hooks.store.settings.timezone)
    importer.run(hooks.store, result, "kunden.csv", "anna/termine", "anna/kontakte", False,
                 dt.datetime(2026, 12, 1, 10, tzinfo=hooks.store.settings.timezone), {})
    assert hooks.types()[-1] == "import.finished"
    hooks.dispatcher.deliver()
    data = receiver.of("import.finished")[0].data
    assert (data["calendar"], data["file"], data["records"]) == ("/anna/termine/", "kunden.csv", 2)
    assert sum(data["counts"].values()) == 2 and data["written"]["created"] >= 2


def test_a_failed_subscription_sync_is_announced_without_its_secrets(hooked, receiver):
    from radicale_kamin.feeds.config import Subscription
    from radicale_kamin.feeds.fetch import FetchState
    from radicale_kamin.feeds.sync import sync_one
    from servers import free_port

    hooks = hooked(background=False)
    token = "private-0a1b2c3d4e5f6a7b8c9d"
    feed = Subscription("google", "http://127.0.0.1:%d/%s/basic.ics" % (free_port(), token),
                        CAL, 60)
    outcome, _ = sync_one(hooks.store, feed, FetchState(),
                          dt.datetime.now(hooks.store.settings.timezone))
    assert outcome.status == "failed"
    hooks.dispatcher.deliver()
    found = receiver.of("subscription.failed")
    assert len(found) == 1
    data = found[0].data
    assert (data["name"], data["calendar"]) == ("google", CAL) and data["error"]
    assert token not in found[0].raw.decode()


# --- call.due: the due list changes without a write -------------------------------------------

def moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


def due_item(hooks, now: str) -> list[dict]:
    answer = hooks.assistant.get(API + "due-calls?lease=false&now=" + urllib.parse.quote(now))
    return json.loads(answer.text)["calls"]


def test_a_call_is_due_when_the_calling_window_opens_and_again_the_next_day(hooked):
    hooks = hooked(background=False)
    # 2026-12-07 07:00: announced from 2026-11-30 07:00, when the window opens.
    hooks.anna.put(CAL + "a.ics", appointment("a", "20261207T060000Z"))
    queued = len(hooks.queued())
    check = hooks.dispatcher.check_due
    assert check(moment("2026-11-28T12:00:00+01:00")) == 0   # Saturday
    assert check(moment("2026-11-30T07:59:00+01:00")) == 0
    assert check(moment("2026-11-30T08:00:00+01:00")) == 1
    assert check(moment("2026-11-30T08:05:00+01:00")) == 0   # still on the list
    assert check(moment("2026-11-30T18:00:00+01:00")) == 0   # the window closed
    assert check(moment("2026-12-01T08:00:00+01:00")) == 1   # back the next calling day
    assert check(moment("2026-11-30T09:00:00+01:00")) == 0   # a stale look changes nothing
    assert hooks.types()[queued:] == ["call.due", "call.due"]


def test_calling_hours_the_office_changed_decide_when_a_call_is_due(hooked):
    """The dispatcher looks with the options in force, not those it started
    with: the office opened the calling window an hour earlier."""
    hooks = hooked(background=False)
    hooks.anna.put(CAL + "a.ics", appointment("a", "20261207T060000Z"))
    queued = len(hooks.queued())
    check = hooks.dispatcher.check_due
    assert check(moment("2026-11-28T12:00:00+01:00")) == 0   # looked before: Saturday
    answer = Client(hooks.app, "meister").request(
        "PUT", API + "settings", '{"calling_hours": "07:00-17:00"}',
        content_type="application/json")
    assert answer.status == 200, answer.text
    assert check(moment("2026-11-30T07:30:00+01:00")) == 1   # the file's window opens at 08:00
    assert hooks.types()[queued:] == ["call.due"]


def test_a_call_due_event_is_the_due_calls_item(hooked, receiver):
    hooks = hooked(background=False)
    hooks.anna.put(CAL + "a.ics", appointment("a"))
    hooks.dispatcher.check_due(moment(MONDAY_10))
    hooks.dispatcher.deliver()
    pushed = receiver.of("call.due")[0].data
    polled = due_item(hooks, MONDAY_10)
    assert pushed == polled[0]


def test_a_requested_callback_is_due_at_its_time_without_a_write(hooked):
    hooks = hooked(background=False)
    hooks.anna.put(CAL + "a.ics", appointment("a"))
    check = hooks.dispatcher.check_due
    check(moment(MONDAY_10))
    assert post(hooks.assistant, "calls/a/outcome",
                {"outcome": "callback", "at": "2026-12-02T14:30"}).status == 200
    assert check(moment("2026-12-02T14:29:00+01:00")) == 0
    # The dispatcher knows when to look next: the callback's time.
    assert hooks.dispatcher.next_due_check == moment("2026-12-02T14:30:00+01:00").timestamp()
    assert check(moment("2026-12-02T14:30:00+01:00")) == 1
    with hooks.store.state.connection() as db:
        body = db.execute("SELECT body FROM webhook_events WHERE type='call.due'"
                          " ORDER BY created DESC").fetchone()[0]
    assert json.loads(body)["data"]["reason"] == "callback"


def test_the_background_dispatcher_announces_a_call_that_became_due(hooked, receiver):
    # A calling window all day every day, so the real clock is inside one.
    hooks = hooked(kamin_calling_days="mon-sun", kamin_calling_hours="00:00-23:59",
                   kamin_closed_days="", kamin_holiday_categories="public")
    now = dt.datetime.now(hooks.store.settings.timezone)
    from radicale_kamin.schedule.calls import is_calling_time
    if not is_calling_time(now, hooks.store.index.call_settings):
        pytest.skip("today is a public holiday or the last minute of the day")
    start = (now + dt.timedelta(days=3)).astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M00Z")
    hooks.anna.put(CAL + "a.ics", appointment("a", start))
    found = receiver.wait_for(1, event="call.due", timeout=10)
    assert [d.data["uid"] for d in found] == ["a"]


# --- options ----------------------------------------------------------------------------------

def test_a_wrong_option_or_subscriber_stops_the_start_naming_it(tmp_path, receiver):
    bad = tmp_path / "webhooks.ini"
    bad.write_text("[a]\nurl = http://example.com/k\nsecret = %s\nevents = *\n" % receiver.secret)
    with pytest.raises(RuntimeError, match=r"kamin_webhooks: .*webhooks.ini: \[a\]: url must use"):
        Application(load_config(tmp_path / "c", storage={"kamin_webhooks": str(bad)}))
    with pytest.raises(RuntimeError, match="kamin_webhook_timeout = 0"):
        Application(load_config(tmp_path / "c", storage={"kamin_webhook_timeout": "0"}))


def test_a_broken_edit_of_the_file_keeps_the_last_good_subscribers(hooked, receiver, caplog):
    hooks = hooked(background=False)
    time.sleep(0.01)
    hooks.path.write_text(receiver.config() + "events = call.due\n")     # given twice
    with caplog.at_level(logging.ERROR, logger="radicale"):
        hooks.anna.put(CAL + "a.ics", appointment("a"))
    assert "kamin_webhooks" in caplog.text and "events is given twice" in caplog.text
    assert receiver.secret not in caplog.text
    assert hooks.types() == ["entry.state-changed", "booking.created"]


def test_without_any_subscriber_nothing_is_recorded_or_queued(tmp_path):
    # No file and nobody added in the backend.
    folder = tmp_path / "collections"
    config = load_config(folder, storage={"kamin_webhooks": ""})
    anna = Client(Application(config), "anna")
    anna.mkcalendar(CAL)
    anna.put(CAL + "a.ics", appointment("a"))
    store = radicale_storage.load(config)
    try:
        assert store.webhooks.enabled is False
        assert store.announce("import.finished", {}, "x") is False
        with store.state.connection() as db:
            assert outbox.generation(db) is None
            assert db.execute("SELECT count(*) FROM webhook_observed").fetchone()[0] == 0
            assert db.execute("SELECT count(*) FROM webhook_events").fetchone()[0] == 0
    finally:
        server_webhooks.stop(str(folder))


def test_a_file_without_subscribers_costs_nothing_until_one_is_added(tmp_path, receiver):
    # The bundled config names config/webhooks.ini, which lists nobody.
    hooks = tmp_path / "webhooks.ini"
    hooks.write_text("; nobody yet\n")
    folder = tmp_path / "collections"
    config = load_config(folder, storage={"kamin_webhooks": str(hooks)})
    anna = Client(Application(config), "anna")
    anna.mkcalendar(CAL)
    anna.put(CAL + "a.ics", appointment("a"))
    with radicale_storage.load(config).state.connection() as db:
        assert outbox.generation(db) is None                 # nothing recorded
        assert db.execute("SELECT count(*) FROM webhook_events").fetchone()[0] == 0   # nor queued
    time.sleep(0.01)
    hooks.write_text(receiver.config())                     # no restart
    try:
        deadline = time.monotonic() + 15                    # the dispatcher takes the baseline
        while time.monotonic() < deadline:
            store = radicale_storage.load(config)
            with store.state.connection() as db:
                if outbox.generation(db) is not None:
                    break
            time.sleep(0.2)
        anna.put(CAL + "a.ics", appointment("a", "20261208T090000Z"))
        assert [d.event for d in receiver.wait_for(1)] == ["booking.moved"]
    finally:
        server_webhooks.stop(str(folder))
