"""The state table of CONTRACT.md section 2, row by row, and the labels."""

import pytest

from radicale_kamin import rules
from radicale_kamin.rules import STATES, entry_state, marked_summary, merge_categories, picked_state

# (kind, address, outcome, attempts) → (state, colour), as CONTRACT.md gives them.
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


def test_check_mark_added_for_confirmed_only():
    assert marked_summary("Kehrung Müller", STATES["confirmed"]) == "✓ Kehrung Müller"
    assert marked_summary("Kehrung Müller", STATES["planned"]) == "Kehrung Müller"


def test_check_mark_is_idempotent_and_removed_when_state_changes():
    once = marked_summary("Kehrung", STATES["confirmed"])
    assert marked_summary(once, STATES["confirmed"]) == once
    assert marked_summary("✓✓  Kehrung", STATES["confirmed"]) == "✓ Kehrung"
    assert marked_summary(once, STATES["rejected"]) == "Kehrung"


def test_summary_absent_stays_absent_unless_marked():
    assert marked_summary(None, STATES["planned"]) is None
    assert marked_summary(None, STATES["confirmed"]) == "✓"


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
