"""``derive``: the write rule as a pure function — carry-over, validation,
picks from ordinary clients, idempotence."""

from dataclasses import replace

import pytest

from radicale_kamin.entries.entry import Contact, Entry, EntryRejected, Settings, derive


def as_entry(derived) -> Entry:
    """The stored form of a derived entry, as ``derive`` reads it back."""
    return Entry(kind=derived.kind, building=derived.building,
                 customer=derived.customer, phone=derived.phone,
                 outcome=derived.outcome, attempts=str(derived.attempts),
                 callback=derived.callback, last_attempt=derived.last_attempt,
                 notified=derived.notified, window_start=derived.window_start,
                 contact=derived.contact, work=derived.work, formblatt=derived.formblatt,
                 location=derived.location, summary=derived.summary, status=derived.status,
                 categories=derived.categories, state=derived.state.name,
                 description=derived.description, phone_from=derived.phone_from,
                 mark=derived.mark)

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


# --- a phone number typed into the notes ----------------------------------------

ADDRESS_ONLY = dict(kind="internal", location="Hauptstraße 12, 80331 München", summary="Kehrung")


def test_labelled_phone_in_description_completes_the_entry():
    derived = derive(Entry(**ADDRESS_ONLY, description="Hund im Hof.\nTel. 0871 123456"))
    assert (derived.state.name, derived.phone, derived.phone_from) == (
        "planned", "+49871123456", "DESCRIPTION")
    assert derived.description == "Hund im Hof.\nTel. 0871 123456"


def test_unlabelled_number_in_description_is_no_phone():
    derived = derive(Entry(**ADDRESS_ONLY, description="Auftrag 0871123456, 12.03. 10 Uhr"))
    assert (derived.state.name, derived.phone, derived.missing) == (
        "data-missing", None, ("phone",))


def test_phone_behind_the_address_completes_the_entry_and_stays_in_location():
    derived = derive(Entry(kind="internal", location="Hauptstr. 12, 80331 München, Handy 0171 1234567"))
    assert (derived.state.name, derived.phone, derived.phone_from) == (
        "planned", "+491711234567", "LOCATION")
    assert derived.location == "Hauptstraße 12, 80331 München, Handy 0171 1234567"


def test_explicit_phone_wins_over_the_notes():
    derived = derive(Entry(**ADDRESS_ONLY, phone="089 123456", description="Tel. 0871 123456"))
    assert (derived.phone, derived.phone_from) == ("+4989123456", None)


def test_changed_number_in_the_notes_takes_effect():
    first = derive(Entry(**ADDRESS_ONLY, description="Tel. 0871 123456"))
    stored = as_entry(first)
    # The client sends the server's X-KAMIN-PHONE back unchanged, or not at all.
    for phone in (stored.phone, None):
        client = Entry(**ADDRESS_ONLY, phone=phone, description="Tel. 0871 654321")
        derived = derive(client, stored)
        assert (derived.phone, derived.phone_from) == ("+49871654321", "DESCRIPTION")


def test_number_removed_from_the_notes_leaves_no_phone():
    stored = as_entry(derive(Entry(**ADDRESS_ONLY, description="Tel. 0871 123456")))
    derived = derive(Entry(**ADDRESS_ONLY, phone=stored.phone, description="Hund im Hof"), stored)
    assert (derived.state.name, derived.phone, derived.phone_from) == ("data-missing", None, None)


def test_phone_written_over_one_read_from_the_notes_becomes_explicit():
    stored = as_entry(derive(Entry(**ADDRESS_ONLY, description="Tel. 0871 123456")))
    client = Entry(**ADDRESS_ONLY, phone="089 123456", phone_from="DESCRIPTION",
                   description="Tel. 0871 123456")
    derived = derive(client, stored)
    assert (derived.phone, derived.phone_from) == ("+4989123456", None)
    # ... and the notes no longer decide.
    again = derive(Entry(**ADDRESS_ONLY, description="Tel. 0871 999999"), as_entry(derived))
    assert again.phone == "+4989123456"


def test_invalid_explicit_phone_gives_way_to_a_valid_one_in_the_notes():
    derived = derive(Entry(**ADDRESS_ONLY, phone="5551234", description="Mobil: 0171 1234567"))
    assert (derived.state.name, derived.phone, derived.phone_from) == (
        "planned", "+491711234567", "DESCRIPTION")


def test_notes_come_before_the_linked_contact():
    contact = Contact(uid="c1", phone="089 777777")
    derived = derive(Entry(**ADDRESS_ONLY, description="Tel. 0871 123456"), contact=contact)
    assert (derived.phone, derived.phone_from) == ("+49871123456", "DESCRIPTION")
    assert derive(Entry(**ADDRESS_ONLY), contact=contact).phone == "+4989777777"


def test_entry_with_phone_from_notes_derives_the_same_again():
    first = derive(Entry(**ADDRESS_ONLY, description="Tel. 0871 123456", categories=("Privat",)))
    assert derive(as_entry(first), as_entry(first)) == first


def test_missing_names_what_to_ask_for():
    assert derive(internal()).missing == ()
    assert derive(internal(location="Hauptstraße, 80331 München", phone=None)).missing == (
        "phone", "number")
    assert derive(Entry(kind="deadline", location="irgendwo")).missing == ("phone", "address")


# --- SUMMARY marks ------------------------------------------------------------------

ALL_MARKS = Settings(summary_marks="all")


def test_marks_for_every_state_are_an_option():
    assert derive(internal(summary="Kehrung"), settings=ALL_MARKS).summary == "○ Kehrung"
    assert derive(internal(summary="Kehrung")).summary == "Kehrung"
    assert derive(Entry(kind="deadline", summary="Frist"), settings=ALL_MARKS).summary == "⌛ Frist"
    assert derive(Entry(summary="Zahnarzt"), settings=ALL_MARKS).summary == "Zahnarzt"


def test_unknown_mark_mode_is_refused():
    with pytest.raises(ValueError, match="summary_marks"):
        Settings(summary_marks="some")


def test_mark_changes_with_the_state_and_is_never_doubled():
    planned = derive(internal(summary="Kehrung"), settings=ALL_MARKS)
    assert (planned.summary, planned.mark) == ("○ Kehrung", "○")
    stored = as_entry(planned)
    client = replace(stored, attempts="1")
    unreached = derive(client, stored, settings=ALL_MARKS)
    assert (unreached.summary, unreached.mark) == ("☏1 Kehrung", "☏1")
    again = derive(as_entry(unreached), as_entry(unreached), settings=ALL_MARKS)
    assert again.summary == "☏1 Kehrung"


def test_users_title_beginning_with_a_mark_character_survives():
    derived = derive(internal(summary="✓ Rechnung bezahlt"))
    assert (derived.state.name, derived.summary, derived.mark) == (
        "planned", "✓ Rechnung bezahlt", None)
    confirmed = derive(replace(as_entry(derived), outcome="confirmed"), as_entry(derived))
    assert confirmed.summary == "✓ ✓ Rechnung bezahlt"
    planned = derive(replace(as_entry(confirmed), outcome=""), as_entry(confirmed))
    assert planned.summary == "✓ Rechnung bezahlt"


def test_check_mark_written_before_marks_were_recorded_is_recognised():
    legacy = Entry(kind="internal", outcome="confirmed", state="confirmed",
                   summary="✓ Kehrung", **GOOD)
    derived = derive(replace(legacy, outcome="rejected"), legacy)
    assert derived.summary == "Kehrung"


def test_switching_marks_off_takes_every_mark_off_on_the_next_write():
    stored = as_entry(derive(internal(summary="Kehrung", attempts="1"), settings=ALL_MARKS))
    assert stored.summary == "☏1 Kehrung"
    assert derive(stored, stored).summary == "Kehrung"


# --- work and Formblatt -------------------------------------------------------------

def test_work_is_stored_by_its_name_and_shown_as_a_category():
    derived = derive(internal(work="Feuerstättenschau", categories=("Privat",)))
    assert derived.work == "feuerstaettenschau"
    assert derived.categories == ("Kamin: geplant", "Kamin: Feuerstättenschau", "Privat")


def test_unknown_work_is_refused_naming_the_vocabulary():
    with pytest.raises(EntryRejected, match="X-KAMIN-WORK: unknown work; allowed: "
                                            "feuerstaettenschau, kehrung"):
        derive(internal(work="Kaminofen putzen"))


def test_staff_pick_the_work_by_category():
    stored = as_entry(derive(internal(work="kehrung")))
    client = replace(stored, categories=("Kamin: geplant", "Kamin: Kehrung",
                                         "Kamin: Feuerstättenschau"))
    derived = derive(client, stored)
    assert derived.work == "feuerstaettenschau"
    assert derived.categories == ("Kamin: geplant", "Kamin: Feuerstättenschau")


def test_formblatt_picked_on_a_deadline_is_recorded_with_the_day_of_the_edit():
    stored = as_entry(derive(Entry(kind="deadline", summary="Frist")))
    client = replace(stored, categories=stored.categories + ("Kamin: Formblatt erhalten",),
                     stamp="20261220T091500Z")
    derived = derive(client, stored)
    assert derived.formblatt == "2026-12-20"
    assert derived.categories == ("Kamin: Frist", "Kamin: Formblatt erhalten")
    assert derive(as_entry(derived), as_entry(derived)).formblatt == "2026-12-20"


def test_formblatt_pick_without_any_timestamp_is_recorded_as_received():
    derived = derive(Entry(kind="deadline", categories=("Kamin: Formblatt erhalten",)))
    assert derived.formblatt == "ja"


def test_formblatt_label_means_nothing_on_an_appointment():
    derived = derive(internal(categories=("Kamin: Formblatt erhalten",), stamp="20261220T091500Z"))
    assert (derived.formblatt, derived.categories) == (None, ("Kamin: geplant",))


@pytest.mark.parametrize("raw,stored", [
    ("2026-12-20", "2026-12-20"), ("20261220", "2026-12-20"),
    ("2026-12-20T23:30:00Z", "2026-12-21"), ("JA", "ja")])
def test_formblatt_day_is_stored_as_an_iso_date(raw, stored):
    assert derive(Entry(kind="deadline", formblatt=raw)).formblatt == stored


def test_bad_formblatt_value_is_refused():
    with pytest.raises(EntryRejected, match="X-KAMIN-FORMBLATT"):
        derive(Entry(kind="deadline", formblatt="gestern"))


def test_the_linked_contact_completes_the_same_houses_address():
    contact = Contact(uid="c1", location="Altstadt 12, 84028 Landshut", phone="0871 123456")
    derived = derive(internal(location="altstadt 12, Landshut", phone=None), contact=contact)
    assert (derived.state.name, derived.location) == ("planned", "Altstadt 12, 84028 Landshut")
    # another house, another town, another PLZ, or a phone typed behind the address: its own stays
    for own in ("Altstadt 14, Landshut", "Altstadt 12, Ergolding", "Altstadt 12, 84036 Landshut",
                "Altstadt 12, Landshut, Tel. 0871 654321"):
        derived = derive(internal(location=own, phone=None), contact=contact)
        assert derived.location.startswith(own.split(", Tel.")[0]), own
    # a complete own address is never replaced
    assert derive(internal(location="Altstadt 12, 84036 Landshut"),
                  contact=contact).location == "Altstadt 12, 84036 Landshut"


def test_the_contact_completes_the_address_also_while_the_phone_is_missing():
    contact = Contact(uid="c1", location="Altstadt 12, 84028 Landshut")
    derived = derive(internal(location="Altstadt 12, Landshut", phone=None), contact=contact)
    assert derived.location == "Altstadt 12, 84028 Landshut" and derived.missing == ("phone",)
