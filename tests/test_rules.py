"""The state table of docs/entry-profile.md, row by row, and the labels."""

import pytest

from radicale_kamin.entries import rules
from radicale_kamin.entries.rules import (FORMBLATT_LABEL, STATES, WORKS, entry_state,
                                          marked_summary, merge_categories, picked_state,
                                          picked_work, picks_formblatt, summary_mark, work_of)

# (kind, address, outcome, attempts) → (state, colour), as docs/entry-profile.md gives them.
TABLE = [
    ("internal", "incomplete", None, 0, "data-missing", "orange"),
    ("internal", "unrecognised", None, 0, "data-missing", "orange"),
    ("internal", "complete", None, 0, "planned", "lightgray"),
    ("internal", "complete", "confirmed", 0, "confirmed", "green"),
    ("internal", "complete", "callback", 0, "callback", "lightgreen"),
    ("internal", "complete", "rejected", 0, "rejected", "red"),
    ("internal", "complete", None, 1, "unreached-1", "lightcoral"),
    ("internal", "complete", None, 2, "unreached-2", "darkred"),
    ("internal", "complete", None, 5, "unreached-2", "darkred"),
    ("external", "complete", None, 0, "booked", "yellow"),
    ("external", "incomplete", None, 0, "booked", "yellow"),
    ("individual", "unrecognised", None, 0, "individual", "white"),
    ("deadline", "incomplete", None, 0, "deadline", "lightblue"),
    ("imported", "complete", None, 0, "import-ok", "green"),
    ("imported", "incomplete", None, 0, "import-rework", "orange"),
    ("imported", "unrecognised", None, 0, "import-unrecognised", "red"),
]


@pytest.mark.parametrize("kind,address,outcome,attempts,state,colour", TABLE)
def test_state_table(kind, address, outcome, attempts, state, colour):
    result = entry_state(kind, address, outcome, attempts)
    assert (result.name, result.colour) == (state, colour)


def test_every_state_of_the_contract_is_reachable():
    reached = {row[4] for row in TABLE}
    assert reached == set(STATES) and len(STATES) == 13


def test_every_state_has_a_distinct_german_label():
    labels = [s.label for s in STATES.values()]
    assert len(set(labels)) == 13
    assert all(label.startswith("Kamin: ") and "," not in label for label in labels)
    assert STATES["confirmed"].label == "Kamin: bestätigt"


def test_customer_answer_outranks_missing_data():
    assert entry_state("internal", "incomplete", "confirmed", 0).name == "confirmed"
    assert entry_state("internal", "unrecognised", "rejected", 0).name == "rejected"


def test_calls_still_needed_with_missing_data_are_orange():
    assert entry_state("internal", "incomplete", "callback", 0).name == "data-missing"
    assert entry_state("internal", "incomplete", None, 1).name == "data-missing"


def test_confirmation_outranks_failed_attempts():
    assert entry_state("internal", "complete", "confirmed", 2).name == "confirmed"


def test_unknown_kind_has_no_state():
    with pytest.raises(ValueError):
        entry_state("holiday", "complete", None, 0)


def test_merge_puts_label_first_and_keeps_user_categories_in_order():
    merged = merge_categories(["Privat", "Kamin: geplant", "Wichtig"], STATES["confirmed"])
    assert merged == ["Kamin: bestätigt", "Privat", "Wichtig"]


def test_merge_drops_every_stale_kamin_label_and_duplicates():
    merged = merge_categories(["kamin: ABGELEHNT", "Kamin: whatever", "Privat", "privat", " "],
                              STATES["planned"])
    assert merged == ["Kamin: geplant", "Privat"]


def test_merge_is_idempotent():
    once = merge_categories(["Büro", "Kamin: Rückruf"], STATES["callback"])
    assert merge_categories(once, STATES["callback"]) == once


def test_check_mark_added_for_confirmed_only_by_default():
    assert summary_mark(STATES["confirmed"]) == "✓"
    assert all(summary_mark(s) == "" for s in STATES.values() if s.name != "confirmed")
    assert marked_summary("Kehrung Müller", "✓", None) == "✓ Kehrung Müller"
    assert marked_summary("Kehrung Müller", "", None) == "Kehrung Müller"


def test_every_state_but_individual_has_its_own_mark_in_mode_all():
    marks = {s.name: summary_mark(s, "all") for s in STATES.values()}
    assert marks["individual"] == ""
    shown = [m for m in marks.values() if m]
    assert len(shown) == 12 and len(set(shown)) == 12
    assert marks["confirmed"] == "✓"
    assert all(" " not in m and len(m) <= 2 for m in shown)


def test_unknown_mark_mode_has_no_marks_table():
    with pytest.raises(KeyError):
        summary_mark(STATES["planned"], "some")


# (summary sent, mark of the new state, mark the server wrote before) → SUMMARY
MARKED = [
    ("Kehrung", "✓", None, "✓ Kehrung"),
    ("✓ Kehrung", "✓", "✓", "✓ Kehrung"),                 # idempotent
    ("✓ Kehrung", "", "✓", "Kehrung"),                     # removed when the state changes
    ("✓ Kehrung", "✗", "✓", "✗ Kehrung"),                  # replaced, never doubled
    ("○ Kehrung", "☏1", "○", "☏1 Kehrung"),
    ("☏1 Kehrung", "☏2", "☏1", "☏2 Kehrung"),
    ("Kehrung (Hund!)", "○", "○", "○ Kehrung (Hund!)"),    # the user took our mark off
    ("✓ Rechnung bezahlt", "○", None, "○ ✓ Rechnung bezahlt"),  # the user's own ✓ stays
    ("○ ✓ Rechnung bezahlt", "✓", "○", "✓ ✓ Rechnung bezahlt"),
    ("✓ ✓ Rechnung bezahlt", "✓", "✓", "✓ ✓ Rechnung bezahlt"),
    ("✓ ✓ Rechnung bezahlt", "", "✓", "✓ Rechnung bezahlt"),
    ("★Stern", "", "★", "★Stern"),                         # not our "★ " prefix
    ("○", "", "○", ""),
    ("", "⌛", None, "⌛"),
    (None, "⌛", None, "⌛"),
    (None, "", "⌛", None),
    ("⇩⚠ Import", "⇩", "⇩⚠", "⇩ Import"),
]


@pytest.mark.parametrize("summary,mark,written,expected", MARKED)
def test_marked_summary_takes_off_only_what_the_server_wrote(summary, mark, written, expected):
    assert marked_summary(summary, mark, written) == expected


def test_picking_a_new_label_picks_its_state():
    assert picked_state(["Kamin: geplant", "Kamin: bestätigt"], "planned").name == "confirmed"


def test_stored_label_is_no_pick():
    assert picked_state(["Kamin: geplant", "Privat"], "planned") is None


@pytest.mark.parametrize("typed", ["kamin: bestaetigt", "KAMIN:BESTÄTIGT", "Kamin:  bestätigt "])
def test_labels_match_as_people_type_them(typed):
    assert picked_state([typed], "planned").name == "confirmed"


def test_unreached_label_matches_with_plain_x():
    assert picked_state(["Kamin: nicht erreicht (2x)"], "planned").name == "unreached-2"


def test_states_that_follow_from_data_cannot_be_picked():
    assert picked_state(["Kamin: Daten fehlen"], "planned") is None
    assert picked_state(["Kamin: Import vollständig"], "planned") is None


def test_two_new_labels_are_ambiguous():
    with pytest.raises(rules.AmbiguousPick, match="more than one"):
        picked_state(["Kamin: bestätigt", "Kamin: abgelehnt"], "planned")


@pytest.mark.parametrize("name", sorted(rules.PICKS))
def test_every_pick_leads_to_its_state(name):
    pick = rules.PICKS[name]
    outcome = None if pick.clear_outcome else pick.outcome
    result = entry_state(pick.kind, "complete", outcome, pick.attempts or 0)
    assert result.name == name


def test_merge_puts_fact_labels_after_the_state_label():
    merged = merge_categories(["Privat", "Kamin: Kehrung", "Kamin: Feuerstättenschau"],
                              STATES["planned"], ["Kamin: Feuerstättenschau"])
    assert merged == ["Kamin: geplant", "Kamin: Feuerstättenschau", "Privat"]


@pytest.mark.parametrize("typed,name", [
    ("feuerstaettenschau", "feuerstaettenschau"), ("Feuerstättenschau", "feuerstaettenschau"),
    ("FEUERSTÄTTEN-SCHAU", "feuerstaettenschau"), (" kehrung ", "kehrung"),
    ("Überprüfung", "ueberpruefung"), ("ueberpruefung", "ueberpruefung"), ("Messung", "messung"),
    ("abnahme", "abnahme"), ("Kaminofen", None), ("", None), (None, None),
])
def test_work_is_read_as_people_type_it(typed, name):
    work = work_of(typed)
    assert (work.name if work else None) == name


def test_only_the_feuerstaettenschau_needs_notice():
    assert [w.name for w in WORKS.values() if w.notice] == ["feuerstaettenschau"]
    assert all(w.label.startswith("Kamin: ") for w in WORKS.values())


def test_picking_a_work_label_picks_the_work_once():
    assert picked_work(["Kamin: Feuerstättenschau"], None).name == "feuerstaettenschau"
    assert picked_work(["kamin: feuerstaettenschau", "Privat"], "feuerstaettenschau") is None
    assert picked_work(["Kamin: Kehrung", "Kamin: Feuerstättenschau"], "kehrung").name == \
        "feuerstaettenschau"
    with pytest.raises(rules.AmbiguousPick, match="more than one new work"):
        picked_work(["Kamin: Kehrung", "Kamin: Messung"], None)


def test_work_and_formblatt_labels_are_no_state_picks():
    assert picked_state(["Kamin: Kehrung", FORMBLATT_LABEL], "planned") is None


@pytest.mark.parametrize("categories,picked", [
    ([FORMBLATT_LABEL], True), (["kamin: formblatt ERHALTEN"], True),
    (["Formblatt erhalten"], False), (["Kamin: Frist"], False), ([], False)])
def test_formblatt_label_is_matched_as_people_type_it(categories, picked):
    assert picks_formblatt(categories) is picked
