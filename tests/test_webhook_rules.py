"""The webhooks' pure core: which change makes which event, ids, the
signature, the subscribers file, the retry policy and the moments the due
list changes — without starting anything."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from zoneinfo import ZoneInfo

import pytest

from radicale_kamin.schedule.callsettings import CallSettings
from radicale_kamin.webhooks import backend, duecalls, events, retry, signature
from radicale_kamin.webhooks.events import entry_events, observed_of
from radicale_kamin.webhooks.subscribers import Subscriber, parse_subscribers, url_problem

BERLIN = ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN)
MONDAY_0800 = int(dt.datetime(2026, 12, 7, 8, 0, tzinfo=BERLIN).timestamp())
SECRET = "0123456789abcdef0123"


def values(**overrides):
    base = dict(uid="u1", component="VEVENT", kind="internal", state="planned", valid=True,
                blocks=True, start=MONDAY_0800 + 3600, end=MONDAY_0800 + 7200, all_day=False,
                customer="Frau Huber", phone="+4989123456", building="LG-1", summary="Kehrung",
                address="complete", attempts=0, outcome=None, callback=None)
    base.update(overrides)
    return base


def change(old_values, new_values, old_version=1):
    old = observed_of(old_values, '"e1"', old_version) if old_values else None
    new = observed_of(new_values, '"e2"', old_version + 1) if new_values else None
    fields = (events.entry_fields(new_values, "anna/termine", "u1.ics", '"e2"', BERLIN)
              if new_values else None)
    return entry_events("anna/termine", "u1.ics", old, new, fields, "g", NOW, BERLIN)


def types(found):
    return [e.type for e in found]


# --- which change makes which event -------------------------------------------------

def test_a_new_appointment_is_a_state_change_from_nothing_and_a_new_booking():
    found = change(None, values())
    assert types(found) == ["entry.state-changed", "booking.created"]
    assert found[0].data["old_state"] is None and found[0].data["state"] == "planned"
    assert found[0].data["customer"] == "Frau Huber"


def test_confirming_changes_the_state_but_books_nothing_new():
    found = change(values(), values(state="confirmed", outcome="confirmed"))
    assert types(found) == ["entry.state-changed"]
    assert (found[0].data["old_state"], found[0].data["state"]) == ("planned", "confirmed")
    assert found[0].data["colour"] == "green" and found[0].data["label"] == "Kamin: bestätigt"


def test_a_new_start_moves_the_booking_and_says_where_from():
    found = change(values(), values(start=MONDAY_0800 + 86400 + 3600))
    assert types(found) == ["booking.moved"]
    assert found[0].data["old_start"] == "2026-12-07T09:00:00+01:00"
    assert found[0].data["start"] == "2026-12-08T09:00:00+01:00"


@pytest.mark.parametrize("after", [dict(blocks=False),                    # STATUS:CANCELLED
                                   dict(blocks=False, state="rejected"),  # the customer said no
                                   dict(kind="individual", state="individual")])
def test_a_booking_that_stops_taking_its_time_is_cancelled(after):
    assert "booking.cancelled" in types(change(values(), values(**after)))


def test_a_deleted_entry_says_what_it_was_but_names_no_customer():
    found = change(values(), None)
    assert types(found) == ["entry.state-changed", "booking.cancelled"]
    gone = found[0].data
    assert gone["deleted"] is True and gone["state"] is None and gone["old_state"] == "planned"
    assert "customer" not in gone and "phone" not in gone
    assert found[1].data["deleted"] is True


def test_a_change_of_nothing_the_events_speak_of_makes_no_event():
    assert change(values(), values(summary="Kehrung und Messung")) == []


def test_a_deadline_or_private_entry_is_no_booking():
    assert types(change(None, values(kind="deadline", state="deadline", blocks=False))) == [
        "entry.state-changed"]
    assert types(change(None, values(kind="individual", state="individual"))) == [
        "entry.state-changed"]


def test_a_todo_has_no_state_and_makes_no_event():
    assert change(None, values(component="VTODO", kind=None, state=None)) == []


def test_ids_are_derived_the_same_way_twice_and_differ_per_change_and_type():
    first, again = change(None, values()), change(None, values())
    assert [e.id for e in first] == [e.id for e in again]
    assert first[0].id != first[1].id
    assert change(values(), values(state="confirmed"), old_version=2)[0].id != first[0].id


def test_every_event_of_an_entry_is_in_its_stream():
    found = change(None, values())
    assert {e.stream for e in found} == {"entry:anna/termine/u1.ics"}


def test_the_body_is_the_contracts_object():
    event = change(None, values())[0]
    body = json.loads(event.body())
    assert set(body) == {"id", "type", "created", "data"}
    assert body["created"] == "2026-12-01T10:00:00+01:00" and body["id"] == event.id


def test_an_oversized_body_keeps_only_what_its_type_promises():
    event = change(None, values(summary="x" * 100_000))[0]
    body = json.loads(event.body())
    assert len(event.body()) < events.MAX_BODY
    assert body["data"] == {"uid": "u1", "calendar": "/anna/termine/", "href": "u1.ics",
                            "old_state": None, "state": "planned", "truncated": True}


def test_no_repr_of_an_event_names_the_customer():
    assert "Huber" not in repr(change(None, values())[0])


def test_an_all_day_entry_starts_on_a_date():
    midnight = int(dt.datetime(2026, 12, 7, tzinfo=BERLIN).timestamp())
    data = change(None, values(kind="deadline", state="deadline", start=midnight,
                               all_day=True))[0].data
    assert data["start"] == "2026-12-07" and data["end"] is None


# --- the signature ---------------------------------------------------------------------

def test_the_signature_is_hmac_sha256_over_timestamp_dot_body():
    body = b'{"id":"x"}'
    expected = hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature.header(SECRET, 1700000000, body) == "t=1700000000,v1=" + expected


def test_a_receiver_accepts_a_fresh_signature_and_refuses_tampering_and_replays():
    body = b'{"id":"x"}'
    value = signature.header(SECRET, 1_700_000_000, body)
    assert signature.verify(value, SECRET, body, now=1_700_000_100)
    assert not signature.verify(value, SECRET, body + b" ", now=1_700_000_100)
    assert not signature.verify(value, "another secret 0123", body, now=1_700_000_100)
    assert not signature.verify(value, SECRET, body, now=1_700_000_000 + 301)     # replayed
    assert not signature.verify("v1=abc", SECRET, body, now=1_700_000_000)


# --- the subscribers file -------------------------------------------------------------------

def test_a_subscriber_names_its_url_secret_and_events():
    found = parse_subscribers(
        "[assistent]\nurl = https://a.example/hook\nsecret = %s\n"
        "events = call.due, booking.created\ncalendars = /anna/termine/\n" % SECRET)
    assert [s.name for s in found] == ["assistent"]
    subscriber = found[0]
    assert subscriber.wants("call.due", "anna/termine")
    assert not subscriber.wants("call.due", "ben/termine")
    assert not subscriber.wants("booking.moved", "anna/termine")
    assert subscriber.wants("call.due", None)
    assert SECRET not in repr(subscriber) and "a.example" not in repr(subscriber)


def test_a_star_takes_every_event_and_an_empty_file_has_no_subscribers():
    assert parse_subscribers("[a]\nurl = https://x/\nsecret = %s\nevents = *\n"
                             % SECRET)[0].events == frozenset(events.EVENT_TYPES)
    assert parse_subscribers("") == []
    assert parse_subscribers("; nobody yet\n") == []


@pytest.mark.parametrize("url,ok", [
    ("https://hooks.example.com/k", True), ("http://127.0.0.1:9000/k", True),
    ("http://localhost/k", True), ("http://[::1]:80/k", True), ("http://127.8.9.1/", True),
    ("http://hooks.example.com/k", False), ("http://10.0.0.5/k", False),
    ("ftp://127.0.0.1/", False), ("https:///nohost", False), ("https://x/#frag", False)])
def test_events_go_over_https_and_plain_http_only_to_this_machine(url, ok):
    assert (url_problem(url) is None) == ok


def test_every_mistake_is_named_and_no_secret_is_quoted():
    weak = "short-secret"
    with pytest.raises(ValueError) as problem:
        parse_subscribers("[a b]\nurl = http://example.com/\nsecret = %s\nevents = call.due, "
                          "call.overdue\ncolour = red\n" % weak)
    text = str(problem.value)
    for part in ("only hold letters", "https://", "shorter than 16", "call.overdue",
                 "unknown key 'colour'"):
        assert part in text
    assert weak not in text


def test_a_section_given_twice_is_refused():
    with pytest.raises(ValueError, match="used twice"):
        parse_subscribers("[a]\nurl=https://x/\n[a]\nurl=https://y/\n")


# --- subscribers added in the backend ---------------------------------------------------------

ON_DISK = ("anna/termine", "anna/privat", "ben/termine")


def added(name="assistent", url="https://a.example/hook", secret=SECRET,
          chosen=("call.due",), calendars=()):
    return backend.new_subscriber(name, url, secret, list(chosen), list(calendars), ON_DISK)


def test_a_backend_subscriber_is_what_the_office_typed():
    subscriber = added(chosen=["call.due", "booking.created"], calendars=["/anna/termine/"])
    assert (subscriber.name, subscriber.url, subscriber.secret) == (
        "assistent", "https://a.example/hook", SECRET)
    assert subscriber.events == {"call.due", "booking.created"}
    assert subscriber.calendars == ("anna/termine",)
    assert added(chosen=["*"]).events == frozenset(events.EVENT_TYPES)


def test_a_backend_subscriber_follows_the_files_rules_refused_in_german_by_field():
    with pytest.raises(backend.SubscriberRefused) as refused:
        added(name="a b", url="http://hooks.example.com/k", secret="kurz",
              chosen=["call.due", "call.overdue"], calendars=["anna/termine"])
    problems = refused.value.problems
    assert set(problems) == {"name", "url", "secret", "events", "calendars"}
    assert "nur Buchstaben, Ziffern" in problems["name"]
    assert "https://" in problems["url"] and "nur zu diesem Rechner" in problems["url"]
    assert "mindestens 16 Zeichen" in problems["secret"] and "kurz" not in str(refused.value)
    assert "call.overdue" in problems["events"]
    assert "Pfade wie /anna/termine/" in problems["calendars"]


@pytest.mark.parametrize("url,problem", [
    ("", "Bitte die Adresse angeben."), ("ftp://127.0.0.1/", "mit https:// beginnen"),
    ("https:///nohost", "keinen Server"), ("https://x/#frag", "#-Teil"),
    ("https://x:port/", "keine gültige URL")])
def test_an_address_is_refused_with_the_reason(url, problem):
    with pytest.raises(backend.SubscriberRefused) as refused:
        added(url=url)
    assert problem in refused.value.problems["url"]


def test_http_only_to_this_machine_as_in_the_file():
    assert added(url="http://127.0.0.1:9000/k").url == "http://127.0.0.1:9000/k"
    assert added(url="http://localhost/k").url == "http://localhost/k"


def test_no_event_chosen_is_refused():
    with pytest.raises(backend.SubscriberRefused) as refused:
        added(chosen=[])
    assert refused.value.problems == {"events": "Bitte mindestens ein Ereignis wählen."}


def test_a_calendar_must_exist_or_be_a_home_that_has_one():
    assert added(calendars=["/anna/", "/ben/termine/", "/anna/"]).calendars == (
        "anna", "ben/termine")
    with pytest.raises(backend.SubscriberRefused) as refused:
        added(calendars=["/carla/termine/"])
    assert refused.value.problems["calendars"] == "Den Kalender /carla/termine/ gibt es nicht."
    with pytest.raises(backend.SubscriberRefused):
        added(calendars=["/an/"])            # a prefix of a home is no home


def test_the_file_wins_on_a_name_both_have():
    from_file = [Subscriber("assistent", "https://file.example/", SECRET),
                 Subscriber("buero", "https://buero.example/", SECRET)]
    from_backend = [Subscriber("assistent", "https://backend.example/", SECRET),
                    Subscriber("crm", "https://crm.example/", SECRET)]
    laid = backend.lay_over(from_file, from_backend)
    assert [(s.name, s.url, source) for s, source in laid] == [
        ("assistent", "https://file.example/", "file"), ("buero", "https://buero.example/", "file"),
        ("crm", "https://crm.example/", "backend")]


def test_a_taken_name_says_where_to_change_it():
    assert "in der Webhooks-Datei" in backend.name_taken("assistent", True)
    assert "ersetzen" in backend.name_taken("assistent", False)


@pytest.mark.parametrize("english,german", [
    ("HTTP 503", "HTTP 503"),
    ("no answer within 10 s", "keine Antwort innerhalb von 10 s"),
    ("no connection within 5 s", "keine Verbindung innerhalb von 5 s"),
    ("connection failed (refused, reset or unknown host)",
     "keine Verbindung (abgelehnt, abgebrochen oder unbekannter Server)"),
    ("TLS error (certificate or protocol)", "TLS-Fehler (Zertifikat oder Protokoll)"),
    ("request failed (InvalidURL)", "Anfrage fehlgeschlagen (InvalidURL)"),
    ("HTTP 301: redirects are not followed; give the final URL",
     "HTTP 301: Weiterleitungen werden nicht verfolgt; bitte die endgültige Adresse eintragen"),
    ("the receiver failed for longer than the retry period",
     "der Empfänger war länger als die Wiederholungszeit gestört"),
    ("the subscriber is no longer in the webhooks file",
     "der Empfänger steht nicht mehr in der Webhooks-Datei")])
def test_every_reason_a_delivery_fails_reads_in_german_on_the_page(english, german):
    assert backend.delivery_error(english) == german


def test_the_test_event_names_its_subscriber_and_nothing_else():
    ping = events.ping_event("assistent", NOW, "t1")
    body = json.loads(ping.body())
    assert body["type"] == "webhook.test" and body["id"] == ping.id
    assert set(body["data"]) == {"subscriber", "note"} and body["data"]["subscriber"] == "assistent"
    assert ping.id != events.ping_event("assistent", NOW, "t2").id
    assert "webhook.test" not in events.EVENT_TYPES        # nobody subscribes to it


# --- the retry policy -------------------------------------------------------------------------

def test_pauses_grow_to_an_hour_and_are_spread_a_little():
    pauses = [retry.pause_after(n, "e1") for n in range(1, 10)]
    assert 9 <= pauses[0] <= 11 and 27 <= pauses[1] <= 33
    assert all(3240 <= p <= 3960 for p in pauses[6:])
    assert pauses == sorted(pauses[:7]) + pauses[7:]
    assert retry.pause_after(1, "e1") != retry.pause_after(1, "e2") or \
        retry.pause_after(2, "e1") != retry.pause_after(2, "e2")


def test_a_failed_event_is_retried_for_the_retry_period_then_parked():
    policy = retry.RetryPolicy(retry_hours=24)
    queued = 1_000_000
    assert policy.next_attempt(1, queued, queued + 5, "e") == queued + 5 + retry.pause_after(1, "e")
    assert policy.next_attempt(20, queued, queued + 23 * 3600, "e") is not None
    assert policy.next_attempt(21, queued, queued + 24 * 3600, "e") is None
    assert policy.park_before(queued + 24 * 3600) == queued


def test_the_schedule_tries_about_thirty_times_in_a_day():
    policy, queued, now, attempts = retry.RetryPolicy(24), 0, 0, 0
    while now is not None:
        attempts += 1
        now = policy.next_attempt(attempts, queued, now, "e")
    assert 25 <= attempts <= 32


# --- the due list -----------------------------------------------------------------------------

SETTINGS = CallSettings(timezone=BERLIN)


def test_the_due_list_changes_when_the_window_opens_and_closes():
    saturday = dt.datetime(2026, 12, 5, 12, 0, tzinfo=BERLIN)
    assert duecalls.window_start(saturday, SETTINGS) is None
    assert duecalls.next_change(saturday, SETTINGS, None) == dt.datetime(2026, 12, 7, 8, 0,
                                                                         tzinfo=BERLIN)
    monday = dt.datetime(2026, 12, 7, 10, 0, tzinfo=BERLIN)
    assert duecalls.window_start(monday, SETTINGS) == dt.datetime(2026, 12, 7, 8, 0,
                                                                  tzinfo=BERLIN)
    assert duecalls.next_change(monday, SETTINGS, None) == dt.datetime(2026, 12, 7, 18, 0,
                                                                       tzinfo=BERLIN)


def test_the_due_list_changes_when_the_next_due_period_starts():
    monday = dt.datetime(2026, 12, 7, 10, 0, tzinfo=BERLIN)
    callback = dt.datetime(2026, 12, 7, 14, 30, tzinfo=BERLIN)
    assert duecalls.next_change(monday, SETTINGS, int(callback.timestamp())) == callback
    assert duecalls.next_change(monday, SETTINGS, int(monday.timestamp()) - 60) == \
        dt.datetime(2026, 12, 7, 18, 0, tzinfo=BERLIN)


def _due_row(uid, phone="+4989123456", start_days=5, **more):
    start = int((dt.datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN)
                 + dt.timedelta(days=start_days)).timestamp())
    row = dict(uid=uid, calendar="anna/termine", href=uid + ".ics", etag='"%s"' % uid,
               kind="internal", state="planned", start=start, phone=phone, phone_type="fixed_line",
               customer="Frau Huber", building="LG-1", attempts=0, outcome=None, callback=None,
               last_attempt=None, notified=None, window_start=None, work=None, formblatt=None)
    row.update(more)
    return row


def test_a_call_that_enters_the_list_is_one_event_with_the_due_calls_item():
    monday = dt.datetime(2026, 12, 7, 10, 0, tzinfo=BERLIN)
    rows = [_due_row("a"), _due_row("b", start_days=6)]     # one phone: one call
    due = duecalls.due_now(rows, monday, SETTINGS)
    assert len(due) == 1
    etags = {(r["calendar"], r["href"]): r["etag"] for r in rows}
    window = duecalls.window_start(monday, SETTINGS)
    found = duecalls.entered_events(due, duecalls.keys_of(due), etags, "g", monday, window)
    assert [e.type for e in found] == ["call.due"]
    item = found[0].data
    assert (item["uid"], item["calendar"], item["reason"], item["phone"]) == (
        "a", "/anna/termine/", "announce", "+4989123456")
    assert [e["uid"] for e in item["entries"]] == ["a", "b"]
    assert found[0].stream == "entry:anna/termine/a.ics"
    # Only "b" entered (a was there already): the call is announced again, with a new id.
    again = duecalls.entered_events(due, {("anna/termine", "b.ics")}, etags, "g", monday, window)
    assert again[0].id != found[0].id
    assert duecalls.entered_events(due, set(), etags, "g", monday, window) == []
