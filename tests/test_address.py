"""The normaliser end to end: canonical parts and verdict (docs/address-rules.md)."""

from radicale_kamin.address.verdict import normalise

PHONE = "0351 1234567"


def parts(result):
    return (result.street, result.number, result.postcode, result.city, result.district, result.country)


def codes(result):
    return [r.code for r in result.reasons]


def test_complete_address_with_valid_phone_is_green():
    result = normalise({"address": "Hauptstr.12, 1067 Dresden", "phone": PHONE})
    assert parts(result) == ("Hauptstraße", "12", "01067", "Dresden", None, "DE")
    assert result.verdict == "green"
    assert result.location_line() == "Hauptstraße 12, 01067 Dresden"


def test_plz_first_and_letter_suffix():
    result = normalise({"address": "80331 München, Hauptstraße 12 a", "phone": PHONE})
    assert parts(result)[:4] == ("Hauptstraße", "12a", "80331", "München")
    assert result.verdict == "green"


def test_icalendar_escapes_are_undone():
    result = normalise({"address": "Hauptstr. 12\\, 01067 Dresden", "phone": PHONE})
    assert result.verdict == "green"


def test_street_with_ordinal_keeps_its_digits():
    result = normalise({"address": "Str. des 17. Juni 110, 10623 Berlin", "phone": PHONE})
    assert (result.street, result.number) == ("Straße des 17. Juni", "110")


def test_street_whose_only_digits_belong_to_the_name_has_no_number():
    result = normalise({"address": "Str. des 17. Juni, 10623 Berlin", "phone": PHONE})
    assert (result.number, result.verdict, codes(result)) == (None, "orange", ["number-missing"])


def test_lowercase_street_abbreviation_is_written_out():
    assert normalise({"address": "hauptstr. 5, 01067 Dresden"}).street == "Hauptstraße"


def test_number_range_and_fraction_forms():
    assert normalise({"address": "Karl-Marx-Str. 12 bis 14, 01067 Dresden"}).number == "12-14"
    assert normalise({"address": "Am Markt 7½, 01067 Dresden"}).number == "7 1/2"
    assert normalise({"address": "Lindenweg 12/1, 01067 Dresden"}).number == "12/1"


def test_names_and_care_of_lines_are_dropped():
    result = normalise({"address": "Max Mustermann\nc/o Müller\nKarl-Marx-Str. 12\n01067 Dresden",
                        "phone": PHONE})
    assert (result.street, result.verdict) == ("Karl-Marx-Straße", "green")


def test_floor_note_is_dropped():
    result = normalise({"address": "Hauptstr. 12, 2. OG links, 01067 Dresden", "phone": PHONE})
    assert (result.street, result.number, result.verdict) == ("Hauptstraße", "12", "green")


def test_country_name_is_dropped():
    assert normalise({"address": "Hauptstr. 12, 01067 Dresden, Deutschland", "phone": PHONE}).verdict == "green"


def test_ortsteil_in_place_of_municipality():
    result = normalise({"address": "Dorfstr. 3, 15377 Bollersdorf", "phone": PHONE})
    assert (result.city, result.district, result.verdict) == ("Oberbarnim", "Bollersdorf", "green")


def test_ot_marker_names_the_district():
    result = normalise({"address": "Dorfstr. 3, 16831 Rheinsberg OT Kagar", "phone": PHONE})
    assert (result.city, result.district) == ("Rheinsberg", "Kagar")


def test_labelled_phone_in_address_counts_and_fax_does_not():
    result = normalise({"address": "Hauptstr. 12, 01067 Dresden, Fax 0351 111111, Tel. 0351 222222"})
    assert (result.phone_e164, result.verdict) == ("+49351222222", "green")


def test_missing_phone_makes_orange():
    result = normalise({"address": "Hauptstr. 12, 01067 Dresden"})
    assert (result.verdict, codes(result)) == ("orange", ["phone-missing"])


def test_local_number_without_area_code_makes_orange():
    assert codes(normalise({"address": "Hauptstr. 12, 01067 Dresden", "phone": "5551234"})) == ["phone-invalid"]


def test_wrong_plz_for_city_is_orange_not_red():
    result = normalise({"address": "Hauptstr. 12, 80331 Berlin", "phone": PHONE})
    assert (result.verdict, codes(result)) == ("orange", ["postcode-city-mismatch"])


def test_unknown_plz_is_orange():
    assert codes(normalise({"address": "Hauptstr. 12, 99999 Dresden", "phone": PHONE})) == ["postcode-unknown"]


def test_plz_is_never_guessed_from_the_city():
    result = normalise({"address": "Hauptstr. 12, Muenchen", "phone": PHONE})
    assert (result.postcode, result.city, codes(result)) == (None, "München", ["postcode-missing"])


def test_missing_city_is_filled_from_unique_plz_but_stays_orange():
    result = normalise({"address": "Hauptstr. 12, 01067", "phone": PHONE})
    assert (result.city, result.verdict) == ("Dresden", "orange")


def test_two_addresses_take_the_first_and_turn_orange():
    result = normalise({"address": "Hauptstr. 12, 01067 Dresden; Nebenstr. 3, 04109 Leipzig", "phone": PHONE})
    assert (result.street, result.postcode, codes(result)) == ("Hauptstraße", "01067", ["several-addresses"])


def test_austrian_address_is_foreign_and_keeps_four_digits():
    result = normalise({"address": "Stephansplatz 1, A-1010 Wien", "phone": "+43 1 5123456"})
    assert (result.postcode, result.country, result.verdict) == ("1010", "AT", "orange")


def test_swiss_address_is_foreign():
    result = normalise({"address": "Bahnhofstrasse 1, CH-8001 Zürich", "phone": PHONE})
    assert (result.postcode, result.country, result.verdict) == ("8001", "CH", "orange")


def test_csv_columns_with_excel_plz():
    result = normalise({"street": "Hauptstr.", "housenumber": "12 A", "zip": "4109.0", "city": "Leipzig",
                        "phone": PHONE})
    assert parts(result)[:4] == ("Hauptstraße", "12a", "04109", "Leipzig")
    assert result.verdict == "green"


def test_csv_plz_in_city_column():
    result = normalise({"street": "Hauptstr. 12", "city": "01067 Dresden", "phone": PHONE})
    assert (result.postcode, result.city, result.verdict) == ("01067", "Dresden", "green")


def test_empty_record_is_red():
    assert normalise({"address": "   "}).verdict == "red"


def test_notes_are_red():
    assert normalise({"address": "siehe Rechnung"}).verdict == "red"
    assert normalise({"address": "???"}).verdict == "red"


def test_plz_and_city_without_street_is_red():
    assert codes(normalise({"address": "01067 Dresden"})) == ["street-missing"]


def test_street_without_plz_and_city_is_red():
    assert normalise({"address": "Hauptstr. 12"}).verdict == "red"


def test_postfach_is_red():
    assert codes(normalise({"address": "Postfach 1234, 01067 Dresden"})) == ["postbox"]


def test_phone_in_red_record_is_still_reported():
    result = normalise({"address": "Tel. 0351 123456"})
    assert (result.verdict, result.phone_e164, result.country) == ("red", "+49351123456", None)


def test_location_line_is_none_for_red():
    assert normalise({"address": "???"}).location_line() is None


def test_json_has_flat_contract_keys_and_reason_codes():
    data = normalise({"address": "Hauptstr. 12, 01067 Dresden"}).as_json()
    for key in ("street", "number", "postcode", "city", "district", "country",
                "phone_e164", "phone_type", "verdict", "reasons"):
        assert key in data
    assert data["reasons"] == ["phone-missing"]


def test_unlabelled_number_after_city_is_neither_city_nor_phone():
    result = normalise({"address": "Hauptstr. 12, 01067 Dresden 0351 1234567"})
    assert (result.city, result.phone_e164) == ("Dresden", None)


def test_bundesland_after_city_is_dropped():
    result = normalise({"address": "Hauptstr. 12, 04109 Leipzig, Sachsen", "phone": PHONE})
    assert (result.district, result.verdict) == (None, "green")


def test_district_column_with_ot_marker():
    result = normalise({"street": "Hauptstr. 5", "zip": "01067", "city": "Dresden",
                        "district": "OT Friedrichstadt", "phone": PHONE})
    assert result.district == "Friedrichstadt"


def test_country_letter_with_space_before_austrian_plz():
    result = normalise({"address": "Hauptstr. 12, A 6020 Innsbruck", "phone": PHONE})
    assert (result.postcode, result.country) == ("6020", "AT")


def test_red_record_still_shows_what_was_read_but_no_country():
    result = normalise({"address": "Postfach 1123, 83471 Berchtesgaden"})
    assert (result.verdict, result.postcode, result.city, result.country) == ("red", "83471", "Berchtesgaden", None)
    assert result.location_line() is None


def test_street_alone_is_red_but_reported():
    result = normalise({"address": "Am Markt 3"})
    assert (result.verdict, result.street, result.number) == ("red", "Am Markt", "3")


def test_five_digit_excel_float_plz():
    result = normalise({"street": "Marienplatz", "housenumber": "8", "zip": "80331.0", "city": "", "phone": PHONE})
    assert (result.postcode, result.city) == ("80331", "München")


def test_three_digit_plz_is_malformed_not_red():
    result = normalise({"address": "Münsterplatz 2, 531 Bonn", "phone": PHONE})
    assert (result.postcode, result.city, [r.code for r in result.reasons]) == (None, "Bonn", ["postcode-malformed"])


def test_city_ending_in_a_street_word_is_not_split():
    result = normalise({"address": "Hauptplatz 3, 86899 Landsberg am Lech", "phone": PHONE})
    assert (result.city, result.verdict) == ("Landsberg am Lech", "green")


def test_regional_abbreviation_in_city_is_expanded():
    assert normalise({"address": "Max-Reger-Straße 5, 92637 Weiden i.d.OPf.", "phone": PHONE}).verdict == "green"


def test_phone_label_does_not_swallow_the_plz_on_the_next_line():
    result = normalise({"address": "Breite Str. 2\n\nTel. 0331 1234567\n14467 Potsdam"})
    assert (result.postcode, result.phone_e164, result.verdict) == ("14467", "+493311234567", "green")


def test_nr_word_before_house_number_is_dropped():
    assert normalise({"address": "Hauptstraße Nr. 12, 01067 Dresden"}).street == "Hauptstraße"


def test_postfach_beside_a_street_takes_the_street_and_turns_orange():
    result = normalise({"address": "Postfach 1234\n01001 Dresden\nHauptstr. 5\n01067 Dresden", "phone": PHONE})
    assert (result.street, result.postcode, result.verdict) == ("Hauptstraße", "01067", "orange")


def test_heading_before_the_address_is_dropped():
    assert normalise({"address": "Lieferung an: Gartenweg 3, 23552 Lübeck"}).street == "Gartenweg"


def test_house_number_in_both_columns_is_taken_once():
    result = normalise({"street": "Lindenallee 5", "housenumber": "5.0", "zip": "01067", "city": "Dresden"})
    assert (result.street, result.number) == ("Lindenallee", "5")
