"""End to end: a real ``radicale --config config/radicale.conf`` process on a
free 127.0.0.1 port, driven with the ``caldav`` client library."""

from __future__ import annotations

import time
import uuid

import caldav
import pytest
import requests

import servers
from conftest import event, ics, prop

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("e2e") / "collections"
    log = tmp_path_factory.mktemp("e2e-log") / "radicale.log"
    with servers.radicale(folder, log) as url:
        yield url, log


def _calendar(url: str, user: str, password: str):
    client = caldav.DAVClient(url=url + "/", username=user, password=password)
    principal = client.principal()
    return client, principal


KINDS = {
    "internal": ("planned", "lightgray"),
    "external": ("booked", "yellow"),
    "deadline": ("deadline", "lightblue"),
    "individual": ("individual", "white"),
    "imported": ("import-ok", "green"),
}


def test_staff_and_assistant_over_caldav(server):
    url, log = server
    client, principal = _calendar(url, "anna", "anna-demo")
    calendar = principal.make_calendar(name="Termine", cal_id="termine")
    uids = {}
    for kind in KINDS:
        uid = "e2e-%s-%s" % (kind, uuid.uuid4().hex[:6])
        uids[kind] = uid
        body = ics(event(uid, "X-KAMIN-KIND:" + kind, "X-KAMIN-BUILDING:LG-%s" % kind,
                         "X-KAMIN-CUSTOMER:Erika Beispiel", "X-KAMIN-PHONE:0911 123456",
                         "LOCATION:Königstraße 3\\, 90402 Nürnberg")).replace("\r\n", "\n")
        calendar.save_event(body)

    # Read back: every kind has its state and colour.
    for kind, (state, colour) in KINDS.items():
        data = calendar.event_by_uid(uids[kind]).data
        assert (prop(data, "X-KAMIN-STATUS"), prop(data, "COLOR")) == (state, colour)
        assert prop(data, "X-KAMIN-PHONE") == "+49911123456"
        assert prop(data, "LOCATION") == "Königstraße 3\\, 90402 Nürnberg"

    # Find a building's entries with a calendar-query text-match.
    query = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:prop-filter name="X-KAMIN-BUILDING">
      <C:text-match collation="i;octet">LG-deadline</C:text-match>
    </C:prop-filter>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>"""
    found = calendar.search(xml=query)
    assert [o.icalendar_component["UID"] for o in found] == [uids["deadline"]]

    # The assistant reads (and writes) a staff calendar.
    assistant = caldav.DAVClient(url=url + "/", username="assistant", password="assistant-demo")
    staff_calendar = assistant.calendar(url=url + "/anna/termine/")
    assert {str(e.icalendar_component["UID"]) for e in staff_calendar.events()} == set(uids.values())
    done = staff_calendar.event_by_uid(uids["internal"])
    done.data = done.data.replace("X-KAMIN-KIND:internal", "X-KAMIN-KIND:internal\nX-KAMIN-OUTCOME:confirmed")
    done.save()
    data = calendar.event_by_uid(uids["internal"]).data
    assert prop(data, "COLOR") == "green" and prop(data, "SUMMARY").startswith("✓")

    # Another staff member does not see anna's calendar.
    as_ben = requests.request("PROPFIND", url + "/anna/termine/", auth=("ben", "ben-demo"),
                              headers={"Depth": "1"})
    assert as_ben.status_code == 403

    # No customer data reached the server's log.
    text = log.read_text()
    assert "Erika" not in text and "123456" not in text and "Königstraße" not in text


def test_bad_entry_gets_a_4xx_and_the_reason_in_the_log(server):
    url, log = server
    response = requests.put(url + "/anna/termine/bad.ics", auth=("anna", "anna-demo"),
                            data=ics(event("bad", "X-KAMIN-KIND:sometime")).encode(),
                            headers={"Content-Type": "text/calendar"})
    assert response.status_code == 400
    assert requests.get(url + "/anna/termine/bad.ics", auth=("anna", "anna-demo")).status_code == 404
    deadline = time.monotonic() + 5
    while "X-KAMIN-KIND: unknown kind" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "X-KAMIN-KIND: unknown kind" in log.read_text()


def test_slots_follow_caldav_and_parallel_bookings_across_processes(tmp_path):
    """Two server processes on one storage folder; a staff member adds an
    entry with a CalDAV client; then 20 bookings of one slot race."""
    from concurrent.futures import ThreadPoolExecutor

    folder = tmp_path / "collections"
    with servers.radicale(folder, tmp_path / "a.log") as url_a, \
            servers.radicale(folder, tmp_path / "b.log") as url_b:
        _, principal = _calendar(url_a, "anna", "anna-demo")
        calendar = principal.make_calendar(name="Termine", cal_id="termine")
        api = "/.web/kamin/api/"
        params = {"from": "2026-12-08T00:00", "to": "2026-12-09T00:00", "staff": "anna",
                  "now": "2026-12-01T10:00"}
        auth = ("assistant", "assistant-demo")
        before = requests.get(url_b + api + "slots", params=params, auth=auth).json()["slots"]
        assert "2026-12-08T09:00:00+01:00" in [s["start"] for s in before]
        calendar.save_event(ics(event("zahnarzt", summary="Zahnarzt",
                                      start="20261208T080000Z", end="20261208T090000Z")))
        after = requests.get(url_b + api + "slots", params=params, auth=auth).json()["slots"]
        assert "2026-12-08T09:00:00+01:00" not in [s["start"] for s in after]

        def attempt(number):
            url = (url_a, url_b)[number % 2]
            return requests.post(url + api + "bookings", params={"now": "2026-12-01T10:00"},
                                 auth=auth, json={"start": "2026-12-08T13:00", "duration": 60,
                                                  "staff": "anna", "customer": "Kunde %d" % number})

        with ThreadPoolExecutor(max_workers=20) as pool:
            statuses = sorted(r.status_code for r in pool.map(attempt, range(20)))
        assert statuses == [201] + [409] * 19
        uids = [str(e.icalendar_component["UID"]) for e in calendar.events()]
        assert len(uids) == 2                     # the dentist and exactly one booking
