"""The corpus of calendar entries as real clients write them (``tests/fixtures/clients/``).

These tests check the corpus itself, not the plugin: every file listed in ``manifest.json``
exists and every ``.ics`` is listed, each file parses with ``icalendar`` and ``vobject``, holds
one calendar object resource (one VCALENDAR, one UID), keeps the client's CRLF line breaks,
and the hand-written expectations are consistent (busy intervals inside the window, all-day
entries as dates, the labelled phone really in the entry's text). Where each file's shape
comes from is written down in ``tests/fixtures/clients/README.md``.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import icalendar
import pytest
import vobject

CLIENTS = Path(__file__).parent / "fixtures" / "clients"
MANIFEST: list[dict[str, Any]] = json.loads((CLIENTS / "manifest.json").read_text("utf-8"))
KEYS = {"file", "client", "situation", "uid", "window", "busy", "all_day", "blocks", "notes_phone"}
E164 = re.compile(r"\+[1-9]\d{6,14}")

# icalendar warns that it resolves Evolution's "/freeassociation.sourceforge.net/..." TZIDs by
# stripping the vendor prefix; the README documents this, the warning adds nothing here.
pytestmark = pytest.mark.filterwarnings("ignore:Timezone '/freeassociation")


def entry_id(entry: dict[str, Any]) -> str:
    return entry["file"].removesuffix(".ics")


each_entry = pytest.mark.parametrize("entry", MANIFEST, ids=entry_id)


def raw(entry: dict[str, Any]) -> bytes:
    return (CLIENTS / entry["file"]).read_bytes()


def instant(text: str) -> date | datetime:
    """A manifest time: ``YYYY-MM-DD`` (all-day) or ``YYYY-MM-DDTHH:MM`` (local wall clock)."""
    if "T" in text:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M")
    return date.fromisoformat(text)


def test_every_manifest_entry_has_its_file() -> None:
    missing = [e["file"] for e in MANIFEST if not (CLIENTS / e["file"]).is_file()]
    assert missing == []


def test_every_client_file_is_in_the_manifest() -> None:
    listed = [e["file"] for e in MANIFEST]
    on_disk = sorted(p.name for p in CLIENTS.glob("*.ics"))
    assert len(listed) == len(set(listed))
    assert sorted(listed) == on_disk


@each_entry
def test_manifest_entry_has_exactly_the_agreed_keys(entry: dict[str, Any]) -> None:
    assert set(entry) == KEYS
    assert isinstance(entry["all_day"], bool) and isinstance(entry["blocks"], bool)


@each_entry
def test_file_parses_with_icalendar_as_one_calendar_with_one_uid(entry: dict[str, Any]) -> None:
    calendar = icalendar.Calendar.from_ical(raw(entry))
    events = [c for c in calendar.subcomponents if c.name == "VEVENT"]
    assert events, "no VEVENT"
    assert {str(e["UID"]) for e in events} == {entry["uid"]}
    assert raw(entry).count(b"BEGIN:VCALENDAR") == 1


@each_entry
def test_file_parses_with_vobject_with_the_same_uid(entry: dict[str, Any]) -> None:
    calendar = vobject.readOne(raw(entry).decode("utf-8"))
    assert {e.uid.value for e in calendar.vevent_list} == {entry["uid"]}


@each_entry
def test_line_breaks_are_crlf_as_the_clients_write_them(entry: dict[str, Any]) -> None:
    data = raw(entry)
    assert data.count(b"\n") == data.count(b"\r\n"), "bare LF found"
    assert data.rstrip(b"\r\n").endswith(b"END:VCALENDAR")


@each_entry
def test_busy_intervals_lie_inside_the_window(entry: dict[str, Any]) -> None:
    first, last = (date.fromisoformat(d) for d in entry["window"])
    assert first < last
    for interval in entry["busy"]:
        start, end = instant(interval["start"]), instant(interval["end"])
        assert type(start) is type(end) and start < end
        start_day = start if type(start) is date else start.date()
        assert first <= start_day
        if type(end) is date:
            assert end <= last
        else:
            assert end <= datetime.combine(last, datetime.min.time())


@each_entry
def test_all_day_entries_and_only_they_use_dates(entry: dict[str, Any]) -> None:
    kinds = {type(instant(i[edge])) for i in entry["busy"] for edge in ("start", "end")}
    assert kinds <= ({date} if entry["all_day"] else {datetime})


@each_entry
def test_labelled_phone_is_e164_and_really_in_the_text(entry: dict[str, Any]) -> None:
    phone = entry["notes_phone"]
    if phone is None:
        return
    assert E164.fullmatch(phone)
    calendar = icalendar.Calendar.from_ical(raw(entry))
    text = " ".join(
        str(event.get(name, "")) for event in calendar.walk("VEVENT") for name in ("DESCRIPTION", "LOCATION")
    )
    digits = re.sub(r"\D", "", text)
    national = phone.removeprefix("+49")
    assert national in digits or phone[1:] in digits
