"""What the office must ask for (``radicale_kamin.address.missing``): every reason
code of the address verdict maps to the contract's field names."""

import pytest

from radicale_kamin.address.verdict import REASON_TEXTS, normalise
from radicale_kamin.address.missing import BY_REASON, FIELDS, missing_data


def test_every_reason_code_of_the_verdict_has_a_row():
    assert set(BY_REASON) == set(REASON_TEXTS)
    assert all(set(fields) <= set(FIELDS) and fields for fields in BY_REASON.values())


def test_fields_are_the_contracts():
    assert FIELDS == ("phone", "street", "number", "postcode", "city", "address")


def test_unknown_reason_code_is_not_ignored():
    with pytest.raises(KeyError):
        missing_data(["reason-nobody-knows"], phone_ok=True)


# (address, phone) → what to ask for, through the real verdict.
CASES = [
    ("Hauptstraße 12, 80331 München", "089 123456", ()),
    ("Hauptstraße 12, 80331 München", None, ("phone",)),
    ("Hauptstraße 12, 80331 München", "5551234", ("phone",)),
    ("Hauptstraße, 80331 München", "089 123456", ("number",)),
    ("Hauptstraße 12, München", "089 123456", ("postcode",)),
    ("Hauptstraße 12, 99999 München", "089 123456", ("postcode",)),
    ("Hauptstraße 12, 80331", "089 123456", ("city",)),
    ("Hauptstraße 12, 80331 Hamburg", "089 123456", ("postcode", "city")),
    ("Hauptstraße, 80331", None, ("phone", "number", "city")),
    ("80331 München", "089 123456", ("street", "number")),
    ("Hauptstraße 12", None, ("phone", "postcode", "city")),
    ("beim Nachbarn klingeln", "089 123456", ("address",)),
    (None, None, ("phone", "address")),
    ("Postfach 1234, 80331 München", "089 123456", ("address",)),
]


@pytest.mark.parametrize("address,phone,expected", CASES)
def test_missing_data_follows_the_verdict(address, phone, expected):
    result = normalise({"address": address, "phone": phone})
    codes = [r.code for r in result.reasons]
    assert missing_data(codes, result.phone_e164 is not None) == expected


def test_no_field_is_named_twice():
    assert missing_data(["postcode-missing", "postcode-city-mismatch", "city-missing"],
                        phone_ok=False) == ("phone", "postcode", "city")
