"""External calendar subscriptions: a real HTTP server on 127.0.0.1 serves
the feeds of ``fixtures/feeds/``; the mirror entries go into the real
Radicale storage where it matters that the storage accepts them."""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import threading
import time
from typing import Callable
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from conftest import FIXTURES
from radicale_kamin.feeds.config import Subscription, parse_subscriptions, redact_url
from radicale_kamin.feeds.fetch import FetchState, fetch, is_due
from radicale_kamin.feeds.mirror import is_mirror_uid, mirror, mirror_entries
from radicale_kamin.feeds.plan import plan_sync

BERLIN = ZoneInfo("Europe/Berlin")
FEEDS = FIXTURES / "feeds"
NOW = dt.datetime(2026, 7, 1, 8, 0, tzinfo=BERLIN)
LATER = NOW + dt.timedelta(hours=1)


def feed(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


# --- a real HTTP server ------------------------------------------------------

Reply = tuple  # (status, headers dict, body bytes[, delay seconds])


class FeedServer:
    """http.server in a thread; ``routes`` maps a path to a function of the
    request headers giving the reply, so a feed can change between requests."""

    def __init__(self):
        self.routes: dict[str, Callable[[dict], Reply]] = {}
        self.seen: list[tuple[str, dict]] = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                path = self.path.split("?")[0]
                headers = {k.lower(): v for k, v in self.headers.items()}
                server.seen.append((path, headers))
                route = server.routes.get(path)
                status, reply_headers, body, *delay = (
                    route(headers) if route else (404, {}, b"not found"))
                if delay:
                    time.sleep(delay[0])
                try:
                    self.send_response(status)
                    for key, value in reply_headers.items():
                        self.send_header(key, value)
                    if "Content-Length" not in reply_headers:
                        self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base(self) -> str:
        return "http://127.0.0.1:%d" % self.httpd.server_address[1]

    def serve(self, path: str, reply: Callable[[dict], Reply] | Reply) -> str:
        self.routes[path] = reply if callable(reply) else (lambda headers: reply)
        return self.base + path


@pytest.fixture
def server():
    feed_server = FeedServer()
    feed_server.thread.start()
    yield feed_server
    feed_server.httpd.shutdown()
    feed_server.httpd.server_close()
    feed_server.thread.join(5)


def subscription(url: str, name: str = "privat-anna") -> Subscription:
    return Subscription(name, url, "/anna/termine/", 60)


def ok(body: bytes, **headers: str) -> Reply:
    return (200, {"Content-Type": "text/calendar; charset=utf-8", **headers}, body)


def by_source_uid(entries) -> dict[str, str]:
    """Mirror texts by the upstream UID they came from."""
    found = {}
    for entry in entries:
        calendar = icalendar.Calendar.from_ical(entry.text)
        found[str(next(iter(calendar.walk("VEVENT")))["X-KAMIN-SOURCE-UID"])] = entry.text
    return found


# --- the subscriptions file ----------------------------------------------------

def test_subscriptions_file_gives_one_subscription_per_section():
    text = """
[privat-anna]
url = https://calendar.example/anna.ics
calendar = /anna/termine/
interval = 30          ; minutes

[ben_outlook]
url = http://outlook.example/ben/calendar.ics
calendar = /ben/termine
"""
    anna, ben = parse_subscriptions(text)
    assert anna == Subscription("privat-anna", "https://calendar.example/anna.ics",
                                "/anna/termine/", 30)
    assert ben.calendar == "/ben/termine/" and ben.interval_minutes == 60


@pytest.mark.parametrize("section, problem", [
    ("[a]\nurl = file:///etc/passwd\ncalendar = /anna/termine/", "[a]: url must start with http"),
    ("[a]\nurl = ftp://example/x.ics\ncalendar = /anna/termine/", "not ftp"),
    ("[a]\nurl = https://example/x.ics", "[a]: calendar is missing"),
    ("[a]\ncalendar = /anna/termine/", "[a]: url is missing"),
    ("[a]\nurl = https://x/a.ics\ncalendar = /anna/termine/\ninterval = 1", "at least 5"),
    ("[a]\nurl = https://x/a.ics\ncalendar = /anna/termine/\ninterval = oft", "whole minutes"),
    ("[a]\nurl = https://x/a.ics\ncalendar = /anna/termine/\nintervall = 5", "unknown key 'intervall'"),
    ("[a b]\nurl = https://x/a.ics\ncalendar = /anna/termine/", "[a b]: the name may only"),
    ("[a]\nurl = https://x/a.ics\ncalendar = /anna/../ben/", "calendar must be"),
    ("[a]\nurl = https://x/a.ics\ncalendar = /anna/termine/\n"
     "[a]\nurl = https://x/b.ics\ncalendar = /anna/termine/", "[a]: the name is used twice"),
])
def test_subscriptions_file_problems_name_section_and_problem(section, problem):
    with pytest.raises(ValueError) as error:
        parse_subscriptions(section)
    assert problem in str(error.value)


def test_subscription_repr_hides_the_url():
    sub = subscription("https://anna:geheim@calendar.example/private-0a1b2c3d4e5f6a7b8c/basic.ics")
    assert "geheim" not in repr(sub)
    assert sub.safe_url == "https://calendar.example/…/basic.ics"


def test_subscription_is_due_after_its_interval():
    sub = subscription("https://calendar.example/a.ics")
    assert is_due(sub, FetchState(), NOW)
    state = FetchState(last_attempt=NOW.isoformat())
    assert not is_due(sub, state, NOW + dt.timedelta(minutes=59))
    assert is_due(sub, state, NOW + dt.timedelta(minutes=60))


# --- fetching and planning ------------------------------------------------------

def test_changes_and_deletions_upstream_plan_create_update_delete(server):
    current = {"body": feed("google_private_feed.ics")}
    url = server.serve("/anna.ics", lambda headers: ok(current["body"]))
    sub = subscription(url)

    first = fetch(sub, FetchState(), NOW, timeout=2)
    assert first.status == "changed" and first.error is None
    assert first.state.event_count == 10 and first.state.last_success == NOW.isoformat()
    wanted = mirror_entries(sub, first.body, NOW)
    plan = plan_sync({}, wanted)
    assert len(plan.create) == len(wanted) == 7 and not plan.update and not plan.delete
    stored = {e.uid: e.fingerprint for e in wanted}
    names = {uid: text for uid, text in by_source_uid(wanted).items()}

    current["body"] = feed("feed_changed.ics")
    second = fetch(sub, first.state, LATER, timeout=2)
    assert second.status == "changed"
    changed = mirror_entries(sub, second.body, LATER)
    plan = plan_sync(stored, changed)
    assert [by_source_uid([e]).popitem()[0] for e in plan.create] == ["9xq7newkfz-werkstatt@google.com"]
    assert [by_source_uid([e]).popitem()[0] for e in plan.update] == ["1a2b3c4d5e6f7g8h9i0j@google.com"]
    assert "DTSTART:20260710T140000Z" in plan.update[0].text
    assert len(plan.delete) == 1 and "Elternabend" not in "".join(e.text for e in changed)
    assert "Elternabend" in names["5rk2f0a1elternabend@google.com"]
    assert plan.unchanged == 5


def test_google_restamping_every_event_changes_no_entry(server):
    """Google writes the download time into every DTSTAMP."""
    sub = subscription("https://calendar.example/a.ics")
    before = mirror_entries(sub, feed("google_private_feed.ics"), NOW)
    after = mirror_entries(sub, feed("google_private_feed_restamped.ics"), NOW)
    plan = plan_sync({e.uid: e.fingerprint for e in before}, after)
    assert (plan.create, plan.update, plan.delete, plan.unchanged) == ([], [], [], 7)


def test_304_with_etag_is_unchanged(server):
    def reply(headers):
        if headers.get("if-none-match") == '"v1"':
            return (304, {"ETag": '"v1"'}, b"")
        return ok(feed("google_private_feed.ics"), ETag='"v1"')
    sub = subscription(server.serve("/etag.ics", reply))
    first = fetch(sub, FetchState(), NOW, timeout=2)
    assert first.state.etag == '"v1"'
    second = fetch(sub, first.state, LATER, timeout=2)
    assert second.status == "unchanged" and second.body is None
    assert second.state.last_success == LATER.isoformat()
    assert second.state.event_count == first.state.event_count
    assert server.seen[-1][1]["if-none-match"] == '"v1"'


def test_304_with_last_modified_is_unchanged(server):
    stamp = "Wed, 01 Jul 2026 06:00:00 GMT"

    def reply(headers):
        if headers.get("if-modified-since") == stamp:
            return (304, {}, b"")
        return ok(feed("google_private_feed.ics"), **{"Last-Modified": stamp})
    sub = subscription(server.serve("/lm.ics", reply))
    first = fetch(sub, FetchState(), NOW, timeout=2)
    assert first.status == "changed" and first.state.last_modified == stamp
    assert fetch(sub, first.state, LATER, timeout=2).status == "unchanged"


def test_304_without_an_earlier_copy_fails(server):
    sub = subscription(server.serve("/odd.ics", (304, {}, b"")))
    result = fetch(sub, FetchState(etag='"x"'), NOW, timeout=2)
    assert result.status == "failed" and "no earlier copy" in result.error


def test_same_body_without_validators_is_unchanged(server):
    sub = subscription(server.serve("/plain.ics", ok(feed("google_private_feed.ics"))))
    first = fetch(sub, FetchState(), NOW, timeout=2)
    second = fetch(sub, first.state, LATER, timeout=2)
    assert second.status == "unchanged" and second.state.content_hash == first.state.content_hash


def test_server_error_fails_and_keeps_the_last_success(server):
    current = {"reply": ok(feed("google_private_feed.ics"), ETag='"v1"')}
    sub = subscription(server.serve("/flaky.ics", lambda headers: current["reply"]))
    good = fetch(sub, FetchState(), NOW, timeout=2)
    current["reply"] = (500, {}, b"Internal Server Error")
    bad = fetch(sub, good.state, LATER, timeout=2)
    assert bad.status == "failed" and bad.body is None
    assert "HTTP 500" in bad.error
    assert bad.state.last_success == NOW.isoformat() and bad.state.etag == '"v1"'
    assert bad.state.last_attempt == LATER.isoformat() and bad.state.last_error == bad.error
    assert bad.state.event_count == good.state.event_count
    assert bad.state.content_hash == good.state.content_hash


def test_slow_server_times_out(server):
    sub = subscription(server.serve("/slow.ics", (*ok(feed("google_private_feed.ics")), 2.0)))
    started = time.monotonic()
    result = fetch(sub, FetchState(), NOW, timeout=0.5)
    assert time.monotonic() - started < 1.5
    assert result.status == "failed" and "timeout" in result.error


def test_oversized_body_is_cut_off(server):
    huge = b"BEGIN:VCALENDAR\r\n" + b"X-PAD:" + b"x" * 2_000_000 + b"\r\nEND:VCALENDAR\r\n"
    sub = subscription(server.serve("/huge.ics", ok(huge)))
    result = fetch(sub, FetchState(), NOW, timeout=2, max_bytes=100_000)
    assert result.status == "failed" and "feed larger than 100000 bytes" in result.error


def test_oversized_body_without_content_length_is_cut_off():
    """A server that sends no length and just keeps streaming."""
    class Endless(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/calendar")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                self.wfile.write(b"BEGIN:VCALENDAR\r\n")
                for _ in range(1000):
                    self.wfile.write(b"X-PAD:" + b"x" * 10_000 + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Endless)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        url = "http://127.0.0.1:%d/endless.ics" % httpd.server_address[1]
        result = fetch(subscription(url), FetchState(), NOW, timeout=2, max_bytes=200_000)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert result.status == "failed" and "download stopped" in result.error


def test_redirects_are_followed_up_to_the_limit(server):
    server.serve("/final.ics", ok(feed("google_private_feed.ics")))
    for hop in range(4):
        target = "/hop%d" % (hop + 1) if hop < 3 else "/final.ics"
        server.serve("/hop%d" % hop, (302, {"Location": target}, b""))
    sub = subscription(server.base + "/hop0")
    assert fetch(sub, FetchState(), NOW, timeout=2, max_redirects=4).status == "changed"
    result = fetch(sub, FetchState(), NOW, timeout=2, max_redirects=3)
    assert result.status == "failed" and "more than 3 redirects" in result.error


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/feed.ics",
                                      "gopher://127.0.0.1/1"])
def test_redirect_to_another_scheme_is_refused(server, location):
    sub = subscription(server.serve("/away.ics", (301, {"Location": location}, b"")))
    result = fetch(sub, FetchState(), NOW, timeout=2)
    assert result.status == "failed"
    assert "redirect to" in result.error and "must start with http:// or https://" in result.error


def test_login_page_instead_of_a_feed_fails(server):
    """An expired Google link answers 200 with an HTML page."""
    sub = subscription(server.serve("/expired.ics", (
        200, {"Content-Type": "text/html; charset=utf-8"}, feed("google_login_page.html"))))
    result = fetch(sub, FetchState(), NOW, timeout=2)
    assert result.status == "failed"
    assert result.error.startswith("the answer is not an iCalendar feed (text/html")


def test_truncated_feed_fails(server):
    body = feed("google_private_feed.ics")
    sub = subscription(server.serve("/cut.ics", ok(body[: len(body) // 2])))
    assert fetch(sub, FetchState(), NOW, timeout=2).status == "failed"


def test_credentials_in_the_url_do_not_leak_into_errors(server):
    secret_path = "/private-0a1b2c3d4e5f6a7b8c9d/basic.ics"
    sub = Subscription("privat-anna", server.base.replace("//", "//anna:geheim-42@")
                       + secret_path + "?token=s3cr3t-t0ken", "/anna/termine/")
    server.serve(secret_path, (500, {}, b""))
    error = fetch(sub, FetchState(), NOW, timeout=2).error
    assert server.seen[-1][1]["authorization"] == "Basic " + base64.b64encode(
        b"anna:geheim-42").decode()
    closed = Subscription("x", "http://anna:geheim-42@127.0.0.1:9" + secret_path
                          + "?token=s3cr3t-t0ken", "/anna/termine/")
    refused = fetch(closed, FetchState(), NOW, timeout=0.5).error
    for message in (error, refused):
        assert message
        for secret in ("geheim-42", "anna:", "s3cr3t", "0a1b2c3d4e5f6a7b8c9d"):
            assert secret not in message, message
    assert "127.0.0.1" in error and "HTTP 500" in error


def test_redacted_url_keeps_host_and_plain_path():
    assert redact_url("https://u:p@calendar.example:8443/feeds/anna.ics?k=v") == \
        "https://calendar.example:8443/feeds/anna.ics?…"


# --- what is mirrored ------------------------------------------------------------

SUB = Subscription("privat-anna", "https://calendar.example/a.ics", "/anna/termine/")


def google_entries() -> dict[str, str]:
    return by_source_uid(mirror_entries(SUB, feed("google_private_feed.ics"), NOW))


def occurrences(text: str, frm: dt.datetime, to: dt.datetime) -> list[dt.datetime]:
    calendar = icalendar.Calendar.from_ical(text)
    return sorted(o["DTSTART"].dt for o in recurring_ical_events.of(calendar).between(frm, to))


def test_weekly_event_is_mirrored_as_one_recurring_entry():
    text = google_entries()["7ut0weeklychoir@google.com"]
    assert text.count("BEGIN:VEVENT") == 2 and "RRULE:FREQ=WEEKLY;BYDAY=TU" in text
    july = occurrences(text, dt.datetime(2026, 7, 1, tzinfo=BERLIN),
                       dt.datetime(2026, 8, 1, tzinfo=BERLIN))
    assert [(o.day, o.hour) for o in july] == [(7, 18), (22, 18), (28, 18)]  # 14th off, 21st moved


def test_attendees_are_dropped_and_transparency_kept():
    entries = google_entries()
    meeting = entries["0org3meeting@google.com"]
    assert "ATTENDEE" not in meeting and "ORGANIZER" not in meeting
    assert "TRANSP:OPAQUE" in meeting
    birthday = entries["2bday4lena@google.com"]
    assert "TRANSP:TRANSPARENT" in birthday and "DTSTART;VALUE=DATE:20260724" in birthday


def test_every_mirror_entry_is_a_white_individual_entry_of_its_source():
    for entry in mirror_entries(SUB, feed("google_private_feed.ics"), NOW):
        assert is_mirror_uid("privat-anna", entry.uid)
        assert "UID:%s\r\n" % entry.uid in entry.text
        for event in icalendar.Calendar.from_ical(entry.text).walk("VEVENT"):
            assert event["X-KAMIN-KIND"] == "individual"
            assert event["X-KAMIN-SOURCE"] == "privat-anna"
    assert not is_mirror_uid("privat", "sub-privat-anna-" + "0" * 24)


def test_alarms_and_kamin_labels_of_the_feed_are_dropped():
    entries = google_entries()
    assert "VALARM" not in entries["1a2b3c4d5e6f7g8h9i0j@google.com"]
    assert "CATEGORIES:Verein\r\n" in entries["0org3meeting@google.com"]


def test_private_event_blocks_without_its_details():
    text = google_entries()["3priv8arzt@google.com"]
    assert "SUMMARY:Privater Termin" in text and "CLASS:PRIVATE" in text
    assert "Psychotherapie" not in text and "Praxis" not in text and "Sitzung" not in text


def test_cancelled_and_long_past_events_are_not_mirrored():
    result = mirror(SUB, feed("google_private_feed.ics"), NOW)
    sources = by_source_uid(result.entries)
    assert "8cancel3d@google.com" not in sources and "6old2024event@google.com" not in sources
    assert result.cancelled == 1 and result.outside_window == 1 and result.skipped == []


def test_occurrence_without_its_series_becomes_an_entry_of_its_own():
    text = google_entries()["4orph4nseries@google.com"]
    assert "RECURRENCE-ID" not in text and "DTSTART:20260709T170000Z" in text


def test_event_without_uid_gets_a_stable_hash_uid():
    first = mirror_entries(SUB, feed("feed_without_uids.ics"), NOW)
    again = mirror_entries(SUB, feed("feed_without_uids.ics"), LATER)
    assert len(first) == 2 and len({e.uid for e in first}) == 2
    assert [e.uid for e in first] == [e.uid for e in again]
    assert [e.fingerprint for e in first] == [e.fingerprint for e in again]


def test_outlook_windows_time_zone_becomes_europe_berlin():
    entries = by_source_uid(mirror_entries(SUB, feed("outlook_feed_with_timezones.ics"), NOW))
    weekly = next(t for t in entries.values() if "Teambesprechung" in t)
    assert "W. Europe Standard Time" not in weekly
    assert "DTSTART;TZID=Europe/Berlin:20260309T080000" in weekly
    assert "TZID:Europe/Berlin" in weekly          # its VTIMEZONE, renamed
    # 08:00 local in winter and in summer: the zone, not a fixed offset.
    winter = occurrences(weekly, dt.datetime(2026, 3, 9, tzinfo=BERLIN),
                         dt.datetime(2026, 3, 10, tzinfo=BERLIN))
    summer = occurrences(weekly, dt.datetime(2026, 7, 6, tzinfo=BERLIN),
                         dt.datetime(2026, 7, 7, tzinfo=BERLIN))
    assert [o.astimezone(BERLIN).hour for o in winter + summer] == [8, 8]
    assert winter[0].utcoffset() != summer[0].utcoffset()
    single = next(t for t in entries.values() if "Elterngespräch" in t)
    assert "DTSTART:20260714T130000Z" in single     # 15:00 CEST, written in UTC
    custom = next(t for t in entries.values() if "Sport" in t)
    assert "BEGIN:VTIMEZONE\r\nTZID:Customized Time Zone" in custom


def test_invalid_events_are_skipped_and_counted():
    result = mirror(SUB, feed("feed_with_invalid_events.ics"), NOW)
    assert [e.text.count("Gültig") for e in result.entries] == [1]
    assert sorted(s.reason.split(" ")[0] for s in result.skipped) == ["DTEND", "RRULE:", "no"]


def test_body_that_is_no_icalendar_is_refused_by_mirror():
    with pytest.raises(ValueError):
        mirror_entries(SUB, feed("google_login_page.html"), NOW)


def test_plan_refuses_two_entries_with_one_uid():
    entry = mirror_entries(SUB, feed("feed_without_uids.ics"), NOW)[0]
    with pytest.raises(ValueError):
        plan_sync({}, [entry, entry])


@pytest.mark.parametrize("name", ["google_private_feed.ics", "outlook_feed_with_timezones.ics",
                                  "feed_without_uids.ics"])
def test_the_storage_accepts_every_mirror_entry_as_white_individual(client, name):
    for entry in mirror_entries(SUB, feed(name), NOW):
        response = client.put("/anna/termine/%s.ics" % entry.uid, entry.text)
        assert response.status == 201, (response.status, response.text, entry.text)
        stored = client.request("GET", "/anna/termine/%s.ics" % entry.uid).text
        assert "X-KAMIN-STATUS:individual" in stored and "COLOR:white" in stored
