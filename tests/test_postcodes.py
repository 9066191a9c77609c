"""The shipped postcode table and the PLZ–city repairs (R1–R4, T, C)."""

import gzip
from importlib import resources

from radicale_kamin.address.names import fold, within_one_edit
from radicale_kamin.address.places import resolve
from radicale_kamin.address.postcodes import table


def test_table_ships_inside_the_package_and_is_compact():
    data = resources.files("radicale_kamin").joinpath("data", "postcodes.tsv.gz").read_bytes()
    assert len(data) < 400_000
    assert b"GeoNames" in gzip.decompress(data)[:1000]


def test_table_knows_german_and_austrian_postcodes():
    assert table().exists("01067")
    assert table().exists("1010", "AT")
    assert not table().exists("99999")


def test_ortsteil_spelling_points_to_its_municipality():
    place = next(p for p in table().places("15377") if p.name == "Bollersdorf")
    assert (place.city, place.district) == ("Oberbarnim", "Bollersdorf")


def test_fold_ignores_lost_umlauts_and_sharp_s():
    assert fold("München") == fold("Muenchen") == fold("Munchen")
    assert fold("Straße") == fold("Strasse")


def test_one_edit_detects_a_single_typo():
    assert within_one_edit("nurnburg", "nurnberg")
    assert not within_one_edit("leipzig", "dresden")


def test_four_digit_plz_gets_leading_zero_when_city_matches():
    place = resolve("1067", "Dresden")
    assert (place.postcode, place.postcode_status, place.repairs) == ("01067", "ok", ["R1"])


def test_four_digit_plz_of_another_city_is_malformed():
    place = resolve("1067", "Leipzig")
    assert (place.postcode, place.postcode_status, place.city) == (None, "malformed", "Leipzig")


def test_excel_float_plz_is_repaired():
    assert resolve("4109.0", "Leipzig").postcode == "04109"


def test_lost_umlauts_are_restored_for_the_plz():
    assert resolve("80331", "Muenchen").city == "München"


def test_lost_umlauts_are_restored_without_plz():
    place = resolve(None, "Munchen")
    assert (place.city, place.postcode_status) == ("München", "missing")


def test_abbreviated_city_is_expanded_within_the_plz():
    assert resolve("60311", "Frankfurt a. M.").city == "Frankfurt am Main"
    assert resolve("60311", "Frankfurt/Main").city == "Frankfurt am Main"
    assert resolve("61348", "Bad Homburg v.d.H.").city == "Bad Homburg vor der Höhe"


def test_qualifier_not_in_reference_is_dropped():
    assert resolve("26121", "Oldenburg (Oldb)").city == "Oldenburg"


def test_contradicting_qualifier_is_not_expanded():
    assert resolve("60311", "Frankfurt (Oder)").city_status == "mismatch"


def test_old_name_still_listed_is_valid():
    assert resolve("06842", "Dessau").city_status == "ok"


def test_one_typo_city_is_corrected():
    assert resolve("80331", "Müchen").city == "München"
    assert resolve("90402", "Nürnburg").city == "Nürnberg"


def test_city_is_filled_from_a_unique_plz():
    place = resolve("01067", None)
    assert (place.city, place.city_status) == ("Dresden", "filled")


def test_wrong_city_for_plz_is_a_mismatch():
    assert resolve("80331", "Berlin").city_status == "mismatch"


def test_unknown_plz_is_flagged():
    assert resolve("99999", "Dresden").postcode_status == "unknown"


def test_letter_o_is_never_read_as_zero():
    place = resolve("8O331", "München")
    assert (place.postcode, place.postcode_status) == (None, "malformed")


def test_ortsteil_in_place_of_municipality():
    place = resolve("15377", "Bollersdorf")
    assert (place.city, place.district) == ("Oberbarnim", "Bollersdorf")


def test_hyphenated_district_is_split_but_municipality_is_not():
    assert (resolve("10115", "Berlin-Mitte").city, resolve("10115", "Berlin-Mitte").district) == ("Berlin", "Mitte")
    assert resolve("82467", "Garmisch-Partenkirchen").district is None


def test_austrian_plz_is_not_zero_padded():
    place = resolve("1010", "Wien")
    assert (place.postcode, place.country) == ("1010", "AT")
