"""Phone numbers in an entry's notes (``radicale_kamin.entries.notes``): what staff
type into DESCRIPTION or behind the address in LOCATION, table by table."""

import pytest

from radicale_kamin.address.verdict import normalise
from radicale_kamin.entries.notes import location_keeping_phone, phone_in_notes, phone_tail

# Notes as staff write them → the E.164 number taken (labelled numbers only).
LABELLED = [
    ("Tel.: 0871 123456", "+49871123456"),
    ("Tel 0871/123456", "+49871123456"),
    ("tel. 0871 123456", "+49871123456"),
    ("TEL: +49 (0)871 123456", "+49871123456"),
    ("Tel.:0871123456", "+49871123456"),
    ("Tel (0871) 123456", "+49871123456"),
    ("Tel.-Nr. 0871 123456", "+49871123456"),
    ("Telefon: 0871-123456", "+49871123456"),
    ("Telefonnummer 0871 123456", "+49871123456"),
    ("Fon 0871 12 34 56", "+49871123456"),
    ("Rufnummer (0871) 12 34 56", "+49871123456"),
    ("Festnetz 0049 871 123456", "+49871123456"),
    ("Festnetz: 0871 / 12 34 56 – abends", "+49871123456"),
    ("Mobil: 0171 1234567", "+491711234567"),
    ("Mobiltelefon +49 171 1234567", "+491711234567"),
    ("Mobilnummer 0171 1234567", "+491711234567"),
    ("Handy 0171/1234567", "+491711234567"),
    ("Handy-Nr. 0171 1234567", "+491711234567"),
    ("Kunde bittet um Anruf, Tel. 0871 123456", "+49871123456"),
    ("Schlüssel beim Nachbarn.\nTel. 08 71 / 12 34 56", "+49871123456"),
    ("Tel. privat: 0871 123456", "+49871123456"),
    ("Tel. Mieterin (Frau Huber): 0871 123456", "+49871123456"),
    ("Hund im Hof! Mobil 0151-23456789 (Sohn)", "+4915123456789"),
    ("Ansprechpartner Hr. Maier Tel 0171 1234567", "+491711234567"),
    ("Geb. 1965 Tel 0871 123456", "+49871123456"),
    ("Tel. 0871 123456 ab 18 Uhr", "+49871123456"),
    ("Tel. 0871 123456\nTermin 14.12. 10 Uhr", "+49871123456"),
    ("Tel: 0871 123456 oder 0171 1234567", "+49871123456"),             # the first one
    ("Fax 0871 654321, Tel. 0871 123456", "+49871123456"),              # Fax skipped
    ("Telefon: +43 1 234567", "+431234567"),                            # Vienna
    ("30.11.2026 10:05 Anruf: nicht erreicht (1. Versuch)\nHandy 0171 1234567",
     "+491711234567"),
]

# Digits that are no phone number: unlabelled, a Fax, or a label with a date,
# a time, a PLZ or an invalid number behind it.
NO_PHONE = [
    "Termin am 12.03.2026 um 10:00, Hausnr. 12, 84028 Landshut",
    "Auftrag 0871123456",
    "Kd-Nr. 0871 123456",
    "Rechnungsnr. 2026-0815",
    "0871 123456",
    "Rückruf 0871 123456",
    "Zugang über Hof, Code 0815#",
    "Tel.: 12.03.2026",
    "Tel. ab 14:00",
    "Telefon 84028",
    "Telefonat am 12.03. mit Herrn Huber",
    "Fax 0871 654321",
    "Tel. 5551234",
    "Tel. siehe Kontakt; 0871 123456",
    "30.11.2026 10:05 Anruf: nicht erreicht (1. Versuch)",
    "",
]


@pytest.mark.parametrize("text,e164", LABELLED)
def test_labelled_number_in_description_is_found(text, e164):
    found = phone_in_notes(text, None)
    assert (found.phone.e164, found.field) == (e164, "DESCRIPTION")


@pytest.mark.parametrize("text", NO_PHONE)
def test_unlabelled_digits_are_never_a_phone(text):
    assert phone_in_notes(text, None) is None
    assert phone_in_notes(None, text) is None


def test_description_comes_before_location():
    found = phone_in_notes("Handy 0171 1234567", "Hauptstr. 5, 84028 Landshut, Tel. 0871 123456")
    assert (found.phone.e164, found.field) == ("+491711234567", "DESCRIPTION")
    found = phone_in_notes("Hund!", "Hauptstr. 5, 84028 Landshut, Tel. 0871 123456")
    assert (found.phone.e164, found.field) == ("+49871123456", "LOCATION")


def test_escaped_ical_text_is_read_as_typed():
    found = phone_in_notes("Notiz\\nTel.\\: 0871 123456\\, abends", None)
    assert found.phone.e164 == "+49871123456"


# LOCATION as typed → as stored: the address normalised, the phone as typed.
LOCATIONS = [
    ("Hauptstr. 5, 84028 Landshut, Tel. 0871 123456",
     "Hauptstraße 5, 84028 Landshut, Tel. 0871 123456"),
    ("Hauptstr. 5 84028 Landshut Tel 0871/123456",
     "Hauptstraße 5, 84028 Landshut Tel 0871/123456"),
    ("Hauptstr. 5, 84028 Landshut - Handy 0171 1234567",
     "Hauptstraße 5, 84028 Landshut - Handy 0171 1234567"),
    ("Hauptstr. 5, 84028 Landshut (Tel. 0871 123456)",
     "Hauptstraße 5, 84028 Landshut (Tel. 0871 123456)"),
    ("Hauptstr. 5, 84028 Landshut, Tel. 0871 123456 (abends)",
     "Hauptstraße 5, 84028 Landshut, Tel. 0871 123456 (abends)"),
    ("Hauptstr. 5\n84028 Landshut\nTel. 0871 123456",
     "Hauptstraße 5, 84028 Landshut, Tel. 0871 123456"),
    ("Hauptstr. 5, 84028 Landshut, Fax 0871 654321",
     "Hauptstraße 5, 84028 Landshut, Fax 0871 654321"),
    ("Tel. 0871 123456, Hauptstr. 5, 84028 Landshut",
     "Hauptstraße 5, 84028 Landshut, Tel. 0871 123456"),
    ("Hauptstr. 5, 84028 Landshut", "Hauptstraße 5, 84028 Landshut"),
]


def _stored_location(text: str) -> str:
    line = normalise({"address": text}).location_line()
    tail = phone_tail(text)
    head_line = normalise({"address": tail.head}).location_line() if tail else None
    return location_keeping_phone(line, tail, head_line, text)


@pytest.mark.parametrize("typed,stored", LOCATIONS)
def test_location_keeps_the_phone_behind_the_normalised_address(typed, stored):
    assert _stored_location(typed) == stored
    assert _stored_location(stored) == stored          # the same on every later write


@pytest.mark.parametrize("typed,_", LOCATIONS[:-1])
def test_phone_tail_does_not_break_address_recognition(typed, _):
    result = normalise({"address": typed})
    assert (result.street, result.number, result.postcode, result.city) == (
        "Hauptstraße", "5", "84028", "Landshut")


def test_location_without_anything_before_the_number_has_no_tail():
    assert phone_tail("Tel. 0871 123456") is None
    assert phone_tail("Hauptstr. 5, 84028 Landshut") is None
