"""Phone rules P1–P4 of docs/address-rules.md."""

from radicale_kamin.address.phone import find_phone, parse_phone, split_run


def test_national_number_becomes_e164():
    assert parse_phone("089 12 34 56").e164 == "+4989123456"


def test_mobile_number_is_typed_mobile():
    assert parse_phone("0171 1234567").type == "mobile"


def test_local_number_without_area_code_is_invalid():
    assert parse_phone("5551234") is None


def test_zero_in_brackets_after_country_code_is_fine():
    assert parse_phone("+49 (0)89 1234567").e164 == "+49891234567"


def test_tel_uri_is_read():
    assert parse_phone("tel:+49-89-123456").e164 == "+4989123456"


def test_din_5008_extension_hyphen_is_fine():
    assert parse_phone("089 1234-56").e164 == "+4989123456"


def test_austrian_number_is_valid_and_kept_foreign():
    assert parse_phone("+43 1 5123456").e164 == "+4315123456"


def test_toll_free_number_reports_its_type():
    assert parse_phone("0800 1234567").type == "toll_free"


def test_placeholder_is_invalid():
    assert find_phone("0000") is None
    assert find_phone("keine") is None


def test_first_valid_number_in_a_field_wins():
    assert find_phone("089 123456 / 0171 1234567").e164 == "+4989123456"


def test_invalid_first_number_lets_the_second_win():
    assert find_phone("5551234, 0171 1234567").e164 == "+491711234567"


def test_fax_number_is_skipped():
    assert find_phone("Fax 089 123456, Tel 089 654321").e164 == "+4989654321"


def test_telefax_is_not_read_as_tel():
    assert find_phone("Telefax: 089 1111111") is None


def test_labelled_number_with_words_between_label_and_digits():
    assert find_phone("Tel. privat 089 12 34 56", labelled_only=True).e164 == "+4989123456"


def test_unlabelled_number_in_address_text_is_ignored():
    assert find_phone("Hauptstr. 12, 16816 Neuruppin", labelled_only=True) is None


def test_town_named_like_a_label_is_no_label():
    assert find_phone("Telgte 48291 0251 123456", labelled_only=True) is None


def test_two_numbers_separated_by_a_space_are_split():
    assert split_run("0171-1234567 089 123456") == ["0171-1234567", "089 123456"]


def test_country_code_alone_does_not_split():
    assert split_run("+49 0171 1234567") == ["+49 0171 1234567"]


def test_fax_label_covers_only_its_own_number():
    assert find_phone("Fax 0351 1, 0351 2345678").e164 == "+493512345678"
