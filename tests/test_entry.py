"""``derive``: the write rule as a pure function — carry-over, validation,
picks from ordinary clients, idempotence."""

import pytest

from radicale_kamin.entry import Entry, EntryRejected, as_entry, derive

GOOD = dict(location="Hauptstraße 12, 80331 München", phone="089 123456")


def internal(**facts) -> Entry:
    return Entry(**{"kind": "internal", **GOOD, **facts})


def test_absent_kind_is_individual_and_white():
    derived = derive(Entry(summary="Zahnarzt"))
    assert (derived.kind, derived.state.name, derived.state.colour) == ("individual", "individual", "white")


def test_phone_is_normalised_to_e164():
    assert derive(internal(phone="(089) 12 34 56")).phone == "+4989123456"


def test_invalid_phone_is_kept_as_typed_and_entry_is_orange():
    derived = derive(internal(phone="5551234"))
    assert derived.phone == "5551234"
    assert (derived.state.name, derived.address) == ("data-missing", "incomplete")


def test_missing_phone_makes_internal_entry_orange():
    derived = derive(internal(phone=None))
    assert derived.state.colour == "orange"


def test_location_is_normalised():
    derived = derive(internal(location="80331 München, Hauptstraße 12"))
    assert derived.location == "Hauptstraße 12, 80331 München"


def test_unrecognised_location_is_kept_as_typed():
    derived = derive(Entry(location="beim Nachbarn klingeln"))
    assert derived.location == "beim Nachbarn klingeln"
    assert derived.address == "unrecognised"


@pytest.mark.parametrize("kind", ["internal", "INTERNAL", " external "])
def test_kind_is_read_case_insensitively(kind):
    assert derive(internal(kind=kind)).kind == kind.strip().lower()


def test_unknown_kind_is_refused_naming_the_allowed_values():
    with pytest.raises(EntryRejected, match="X-KAMIN-KIND: unknown kind; allowed: internal, external"):
        derive(Entry(kind="urgent"))


@pytest.mark.parametrize("attempts", ["-1", "two", "1.5"])
def test_bad_attempts_are_refused(attempts):
    with pytest.raises(EntryRejected, match="X-KAMIN-ATTEMPTS"):
        derive(internal(attempts=attempts))


@pytest.mark.parametrize("callback", ["morgen", "2026-13-01T10:00", "20261301T100000"])
def test_bad_callback_is_refused(callback):
    with pytest.raises(EntryRejected, match="X-KAMIN-CALLBACK"):
        derive(internal(outcome="callback", callback=callback))


def test_unknown_outcome_is_refused():
    with pytest.raises(EntryRejected, match="X-KAMIN-OUTCOME"):
        derive(internal(outcome="maybe"))


def test_all_problems_are_named_at_once():
    with pytest.raises(EntryRejected) as refused:
        derive(Entry(kind="x", attempts="-3", callback="soon"))
    assert len(refused.value.problems) == 3


def test_problems_never_quote_customer_data():
    with pytest.raises(EntryRejected) as refused:
        derive(Entry(kind="Müller 0171 1234567", attempts="Hauptstraße", callback="Hans"))
    message = str(refused.value)
    assert "Müller" not in message and "0171" not in message and "Hans" not in message


@pytest.mark.parametrize("callback,expected", [
    ("2026-12-01T10:00:00+01:00", "2026-12-01T10:00:00+01:00"),
    ("2026-12-01T10:00", "2026-12-01T10:00:00+01:00"),
    ("20261201T090000Z", "2026-12-01T10:00:00+01:00"),
    ("2026-07-01T09:00:00Z", "2026-07-01T11:00:00+02:00"),
    ("2026-12-01", "2026-12-01T00:00:00+01:00"),
])
def test_callback_is_stored_as_berlin_time(callback, expected):
    derived = derive(internal(outcome="callback", callback=callback))
    assert (derived.state.name, derived.callback) == ("callback", expected)


def test_client_omitting_kamin_properties_loses_nothing():
    stored = as_entry(derive(internal(outcome="callback", callback="2026-12-01T10:00",
                                      attempts="1", building="B-1", customer="Hans Huber")))
    client = Entry(location=GOOD["location"], summary="Kehrung",
                   categories=("Kamin: Rückruf",))
    derived = derive(client, stored)
    assert (derived.kind, derived.outcome, derived.attempts) == ("internal", "callback", 1)
    assert (derived.building, derived.customer, derived.phone) == ("B-1", "Hans Huber", "+4989123456")
    assert derived.callback == "2026-12-01T10:00:00+01:00"


def test_explicit_empty_value_clears_a_fact():
    stored = as_entry(derive(internal(building="B-1")))
    assert derive(internal(building=""), stored).building is None


def test_explicit_new_value_wins_over_stored():
    stored = as_entry(derive(internal(attempts="1")))
    assert derive(internal(attempts="2"), stored).state.name == "unreached-2"


def test_client_values_for_server_derived_facts_are_ignored():
    derived = derive(Entry(kind="external", state="confirmed"))
    assert derived.state.name == "booked"


def test_derivation_is_idempotent():
    first = derive(internal(outcome="confirmed", categories=("Privat",), summary="Kehrung"))
    again = derive(as_entry(first), as_entry(first))
    assert again == first


def test_staff_confirm_by_picking_the_category():
    stored = as_entry(derive(internal()))
    client = Entry(categories=("Kamin: geplant", "Kamin: bestätigt"), location=GOOD["location"],
                   summary="Kehrung")
    derived = derive(client, stored)
    assert (derived.state.name, derived.summary) == ("confirmed", "✓ Kehrung")
    assert derived.categories == ("Kamin: bestätigt",)


def test_staff_reset_to_planned_clears_outcome_and_attempts():
    stored = as_entry(derive(internal(outcome="rejected", attempts="2")))
    derived = derive(Entry(categories=("Kamin: geplant",), location=GOOD["location"]), stored)
    assert (derived.state.name, derived.outcome, derived.attempts) == ("planned", None, 0)


def test_staff_pick_of_unreached_sets_attempts():
    stored = as_entry(derive(internal()))
    derived = derive(Entry(categories=("Kamin: nicht erreicht (1×)",), location=GOOD["location"]), stored)
    assert (derived.state.name, derived.attempts) == ("unreached-1", 1)


def test_staff_pick_of_customer_booked_changes_kind():
    stored = as_entry(derive(internal()))
    derived = derive(Entry(categories=("Kamin: vom Kunden gebucht",)), stored)
    assert (derived.kind, derived.state.colour) == ("external", "yellow")


def test_explicit_property_change_wins_over_category_pick():
    stored = as_entry(derive(internal()))
    client = Entry(outcome="rejected", categories=("Kamin: bestätigt",), location=GOOD["location"])
    assert derive(client, stored).state.name == "rejected"


def test_two_new_kamin_categories_are_refused():
    stored = as_entry(derive(internal()))
    with pytest.raises(EntryRejected, match="more than one new Kamin category"):
        derive(Entry(categories=("Kamin: bestätigt", "Kamin: abgelehnt")), stored)


def test_status_confirmed_from_client_confirms_internal_entry():
    stored = as_entry(derive(internal()))
    assert stored.status == "TENTATIVE"
    derived = derive(Entry(status="CONFIRMED", location=GOOD["location"]), stored)
    assert (derived.state.name, derived.status) == ("confirmed", "CONFIRMED")


def test_status_cancelled_from_client_rejects_internal_entry():
    stored = as_entry(derive(internal()))
    derived = derive(Entry(status="CANCELLED", location=GOOD["location"]), stored)
    assert derived.state.name == "rejected"


def test_unchanged_status_is_no_pick():
    stored = as_entry(derive(internal(outcome="confirmed")))
    derived = derive(Entry(status="CONFIRMED", location=GOOD["location"]), stored)
    assert derived.state.name == "confirmed"


def test_status_of_other_kinds_is_the_clients():
    assert derive(Entry(kind="external", status="CONFIRMED")).status == "CONFIRMED"
    assert derive(Entry(kind="individual")).status is None


def test_category_pick_wins_over_status_change():
    stored = as_entry(derive(internal()))
    client = Entry(status="CANCELLED", categories=("Kamin: bestätigt",), location=GOOD["location"])
    assert derive(client, stored).state.name == "confirmed"


def test_callback_time_dropped_when_outcome_moves_on():
    stored = as_entry(derive(internal(outcome="callback", callback="2026-12-01T10:00")))
    derived = derive(Entry(categories=("Kamin: bestätigt",), location=GOOD["location"]), stored)
    assert (derived.state.name, derived.callback) == ("confirmed", None)
