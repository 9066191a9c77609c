"""The re-import merge as plain functions: texts in, text out (``importing.merge``,
``importing.mark``, ``importing.fields``), without storage or Radicale."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from conftest import event, ics, prop, props
from radicale_kamin.entries import icslines
from radicale_kamin.importing.fields import read_fields
from radicale_kamin.importing.mark import (Mark, format_mark, identity, key_digest, parse_mark,
                                           read_mark)
from radicale_kamin.importing.merge import Import, merge, stamp_stored

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=ZoneInfo("Europe/Berlin"))
LATER = dt.datetime(2026, 12, 2, 16, 45, tzinfo=ZoneInfo("Europe/Berlin"))
FIRST = Import(NOW, "kunden.csv", "Zeile 2", ("csv:Kd-Nr.:1001", "csv-row:abc"))
AGAIN = Import(LATER, "kunden.csv", "Zeile 2", ("csv:Kd-Nr.:1001", "csv-row:abc"))


def same(text):
    return text


def source(phone="08161 12345", start="20261207T080000Z", summary="Kehren", notes="Hund im Hof"):
    return ics(event("e1", "X-KAMIN-KIND:imported", "X-KAMIN-PHONE:" + phone,
                     "LOCATION:Hauptstraße 12\\, 85354 Freising", "DESCRIPTION:" + notes,
                     start=start, end=start[:9] + "090000Z", summary=summary))


def imported(text=None):
    """What the first import stored (no derivation here: the stored values are the source's)."""
    return stamp_stored(merge(None, text or source(), same, FIRST).text)


def change(text, **values):
    item = icslines.parse(text)
    vevent = next(item.components("VEVENT"))
    for name, value in values.items():
        line = vevent.first(name.replace("_", "-"))
        line.value, line.raw = value, None
    return icslines.serialize(item)


def test_a_new_record_is_stored_with_its_log_line_and_mark():
    result = merge(None, source(), same, FIRST)
    assert result.created
    assert prop(result.text, "DESCRIPTION") == "Hund im Hof\\n28.11.2026 09:00 importiert aus kunden.csv (Zeile 2)"
    mark = parse_mark(prop(result.text, "X-KAMIN-IMPORT"))
    assert mark.keys == (key_digest("csv:Kd-Nr.:1001"), key_digest("csv-row:abc"))
    assert set(mark.source) >= {"start", "end", "summary", "phone", "location"}
    assert len(mark.notes) == 1                                     # the log line is not the source's


def test_an_unchanged_source_leaves_the_item_alone_whatever_the_server_did():
    stored = change(imported(), X_KAMIN_PHONE="+4981619999", SUMMARY="Kehren und Dach")
    assert merge(stored, source(), same, AGAIN).text is None


@pytest.mark.parametrize("server_changed, expected, conflict", [
    (False, "08161 55555", False),          # only the source changed it: taken
    (True, "+4981619999", True),            # both changed it: the server's value stays, reported
])
def test_three_way_merge_of_one_field(server_changed, expected, conflict):
    stored = imported()
    if server_changed:
        stored = change(stored, X_KAMIN_PHONE="+4981619999")
    result = merge(stored, source(phone="08161 55555"), same, AGAIN)
    assert prop(result.text, "X-KAMIN-PHONE") == expected
    assert [c.field for c in result.conflicts] == (["phone"] if conflict else [])
    assert result.changed == ([] if conflict else ["Telefon"])


def test_both_sides_making_the_same_change_is_no_conflict():
    stored = change(imported(), X_KAMIN_PHONE="08161 55555")
    result = merge(stored, source(phone="08161 55555"), same, AGAIN)
    assert result.conflicts == [] and result.changed == []
    assert result.text is not None                                  # the mark learns the source's value


def test_the_server_value_is_compared_in_the_form_the_server_stores():
    stored = change(imported(), X_KAMIN_PHONE="+49816155555")      # the office typed the new number
    derive = lambda text: text.replace("X-KAMIN-PHONE:08161 55555", "X-KAMIN-PHONE:+49816155555")
    assert merge(stored, source(phone="08161 55555"), derive, AGAIN).conflicts == []


def test_a_client_rewriting_the_start_in_its_own_zone_did_not_move_it():
    stored = change(imported(), DTSTART="20261207T090000")           # Thunderbird: same moment, Berlin time
    item = icslines.parse(stored)
    line = next(item.components("VEVENT")).first("DTSTART")
    line.params, line.raw = [("TZID", "Europe/Berlin")], None
    stored = icslines.serialize(item)
    result = merge(stored, source(start="20261208T080000Z"), same, AGAIN)
    assert result.changed == ["Beginn", "Ende"] and result.conflicts == []
    assert prop(result.text, "DTSTART") == "20261208T080000Z"


def test_notes_are_merged_line_by_line_and_no_line_is_dropped():
    stored = imported()
    item = icslines.parse(stored)
    vevent = next(item.components("VEVENT"))
    line = vevent.first("DESCRIPTION")
    line.value, line.raw = line.value + "\\n01.12.2026 10:15 Anruf: nicht erreicht (1. Versuch)", None
    stored = icslines.serialize(item)
    result = merge(stored, source(notes="Hund im Hof\\nSchlüssel beim Nachbarn"), same, AGAIN)
    assert icslines.unescape_text(prop(result.text, "DESCRIPTION")).split("\n") == [
        "Hund im Hof", "Schlüssel beim Nachbarn",                   # the source's block, extended
        "28.11.2026 09:00 importiert aus kunden.csv (Zeile 2)",
        "01.12.2026 10:15 Anruf: nicht erreicht (1. Versuch)",      # the call log
        "02.12.2026 16:45 Import kunden.csv (Zeile 2): übernommen: Notizen"]
    dropped = merge(stamp_stored(result.text), source(notes="Schlüssel beim Nachbarn"), same, AGAIN)
    assert "Hund im Hof" in icslines.unescape_text(prop(dropped.text, "DESCRIPTION"))
    assert dropped.kept_lines == 1


def test_an_item_without_mark_keeps_the_server_values_and_reports_the_differences():
    stored = change(imported(), X_KAMIN_PHONE="+4981619999")
    item = icslines.parse(stored)
    next(item.components("VEVENT")).remove("X-KAMIN-IMPORT")
    result = merge(icslines.serialize(item), source(), same, AGAIN)
    assert prop(result.text, "X-KAMIN-PHONE") == "+4981619999"
    assert [(c.field, c.server, c.source) for c in result.conflicts] == [("phone", "+4981619999", "08161 12345")]
    assert read_mark(next(icslines.parse(result.text).components("VEVENT"))) is not None


def test_the_stored_digest_is_what_derivation_made_of_the_value():
    text = merge(None, source(), same, FIRST).text
    derived = text.replace("X-KAMIN-PHONE:08161 12345", "X-KAMIN-PHONE:+49816112345")
    mark = parse_mark(prop(stamp_stored(derived), "X-KAMIN-IMPORT"))
    assert mark.source["phone"] != mark.stored["phone"]
    assert mark.source["start"] == mark.stored["start"]
    assert stamp_stored(stamp_stored(derived)) == stamp_stored(derived)


def test_mark_line_round_trips_and_identity_reads_uid_and_keys_from_folded_text():
    mark = Mark(("a" * 12, "b" * 12), {"start": "11111111", "phone": "22222222"},
                {"start": "11111111", "phone": "33333333"}, frozenset({"44444444"}))
    value = format_mark(mark)
    assert value == "v1 key=%s key=%s start=11111111 phone=22222222/33333333 note=44444444" % ("a" * 12, "b" * 12)
    assert parse_mark(value) == mark
    assert parse_mark("v2 whatever") is None
    text = icslines.serialize(icslines.parse(imported()))
    assert any(line.startswith(" ") for line in text.split("\r\n"))          # the mark line is folded
    assert identity(text) == ("e1", (key_digest("csv:Kd-Nr.:1001"), key_digest("csv-row:abc")))


SERIES = ics(event("s1", "X-KAMIN-KIND:imported", "RRULE:FREQ=WEEKLY;COUNT=4", start="20261207T080000Z"),
             event("s1", "X-KAMIN-KIND:imported", "RECURRENCE-ID:20261214T080000Z", start="20261214T100000Z"))


def test_a_changed_occurrence_the_source_dropped_goes_unless_the_server_changed_it():
    stored = stamp_stored(merge(None, SERIES, same, FIRST).text)
    single = ics(event("s1", "X-KAMIN-KIND:imported", "RRULE:FREQ=WEEKLY;COUNT=4", start="20261207T080000Z"))
    gone = merge(stored, single, same, AGAIN)
    assert props(gone.text, "RECURRENCE-ID") == [] and gone.changed == ["Termin 14.12.2026 08:00 entfernt"]
    moved = stored.replace("DTSTART:20261214T100000Z", "DTSTART:20261214T110000Z")
    kept = merge(moved, single, same, AGAIN)
    assert props(kept.text, "RECURRENCE-ID") == ["20261214T080000Z"]
    assert [c.field for c in kept.conflicts] == ["occurrence"]
    assert merge(stamp_stored(kept.text), single, same, AGAIN).text is None   # reported once


def test_an_occurrence_a_client_moved_with_a_copy_of_the_series_mark_is_staffs():
    stored = stamp_stored(merge(None, ics(event("s1", "X-KAMIN-KIND:imported", "RRULE:FREQ=WEEKLY;COUNT=4",
                                                start="20261207T080000Z")), same, FIRST).text)
    item = icslines.parse(stored)
    master = next(item.components("VEVENT"))
    copy = icslines.parse("\r\n".join(master.serialize()))          # Thunderbird copies every line
    copy.remove("RRULE")
    copy.lines.insert(1, icslines.Line("RECURRENCE-ID", [], "20261221T080000Z"))
    copy.first("DTSTART").value, copy.first("DTSTART").raw = "20261222T080000Z", None
    item.lines.append(copy)
    moved = icslines.serialize(item)
    single = ics(event("s1", "X-KAMIN-KIND:imported", "RRULE:FREQ=WEEKLY;COUNT=4", start="20261207T080000Z"))
    assert merge(moved, single, same, AGAIN).text is None


def test_fields_read_a_summary_without_the_status_mark():
    item = icslines.parse(change(imported(), SUMMARY="✓ Kehren"))
    vevent = next(item.components("VEVENT"))
    assert read_fields(vevent)["summary"] == "✓ Kehren"          # a user's own ✓ stays
    vevent.lines.append(icslines.Line("X-KAMIN-MARK", [], "✓"))   # the server wrote it
    assert read_fields(vevent)["summary"] == "Kehren"
