"""Reading and writing content lines as text."""

import pytest

from radicale_kamin.entries import icslines


def test_unfold_joins_continuations_for_crlf_and_lf():
    assert icslines.unfold("A:1\r\n 2\r\nB:3\r\n") == ["A:12", "B:3"]
    assert icslines.unfold("A:1\n\t2\nB:3\n") == ["A:12", "B:3"]


def test_fold_never_splits_a_character_and_round_trips():
    line = "X-KAMIN-CUSTOMER:" + "Müßiggänger " * 12
    folded = icslines.fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert icslines.unfold(folded + "\r\n") == [line]


@pytest.mark.parametrize("text", ["a, b; c", "zwei\nZeilen", "back\\slash", ""])
def test_escape_round_trips(text):
    assert icslines.unescape_text(icslines.escape_text(text)) == text


def test_split_list_respects_escaped_commas():
    assert icslines.split_list("Büro\\, Akten,Privat") == ["Büro, Akten", "Privat"]


def test_parse_line_with_quoted_parameter_containing_colon():
    line = icslines.parse_line('LOCATION;ALTREP="http://x.invalid/a:b":Hauptstraße 1')
    assert (line.name, line.param("ALTREP"), line.value) == ("LOCATION", "http://x.invalid/a:b", "Hauptstraße 1")


def test_nested_component_lines_are_not_the_events():
    calendar = icslines.parse("BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:A\nBEGIN:VALARM\n"
                              "SUMMARY:B\nEND:VALARM\nEND:VEVENT\nEND:VCALENDAR\n")
    event, = calendar.components("VEVENT")
    assert [line.value for line in event.props("SUMMARY")] == ["A"]


def test_serialize_keeps_unchanged_lines():
    text = "BEGIN:VCALENDAR\r\nX-A;P=1:v\\,w\r\nEND:VCALENDAR\r\n"
    assert icslines.serialize(icslines.parse(text)) == text


@pytest.mark.parametrize("text", ["BEGIN:VCALENDAR\nEND:VEVENT\n", "BEGIN:VCALENDAR\n",
                                  "X:1\n", "BEGIN:VCALENDAR\nnot a line\nEND:VCALENDAR\n"])
def test_broken_structure_is_refused(text):
    with pytest.raises(ValueError):
        icslines.parse(text)


@pytest.mark.parametrize("line,escaped", [
    ("SUMMARY:Kehrung, Messung", "SUMMARY:Kehrung\\, Messung"),
    ("LOCATION;LANGUAGE=de:Hauptstr. 5\\, 90402 Nürnberg, DE",
     "LOCATION;LANGUAGE=de:Hauptstr. 5\\, 90402 Nürnberg\\, DE"),
    ("DESCRIPTION:a\\\\, b; c", "DESCRIPTION:a\\\\\\, b\\; c"),      # an escaped backslash first
    ("CATEGORIES:A,B", "CATEGORIES:A,B"),                          # a list: commas separate
    ("X-KAMIN-CUSTOMER:Huber, Hans", "X-KAMIN-CUSTOMER:Huber, Hans"),
    ("SUMMARY:schon\\, gut", "SUMMARY:schon\\, gut"),
])
def test_unescaped_separators_of_single_text_values_are_escaped(line, escaped):
    text = "BEGIN:VEVENT\r\n%s\r\nEND:VEVENT\r\n" % line
    assert icslines.escape_text_separators(text) == "BEGIN:VEVENT\r\n%s\r\nEND:VEVENT\r\n" % escaped


def test_a_broken_line_is_left_for_the_parser_to_name():
    """Escaping never judges syntax: a line without ':' passes through as
    it is, so vobject's ParseError (a 400 naming the line) stays the answer."""
    text = "BEGIN:VEVENT\r\nSUMMARY;oops\r\nLOCATION:a, b\r\nEND:VEVENT\r\n"
    assert icslines.escape_text_separators(text) == (
        "BEGIN:VEVENT\r\nSUMMARY;oops\r\nLOCATION:a\\, b\r\nEND:VEVENT\r\n")


def test_only_the_escaped_line_changes():
    """Folding, line ends and trailing blanks elsewhere stay byte for byte:
    the parser after us sees what the client sent."""
    text = ("BEGIN:VEVENT\nSUMMARY:Keh\r\n rung\r\nLOCATION:Hauptstr. 5,\r\n  90402 Nürnberg\r\n"
            "END:VEVENT\r\n   ")
    assert icslines.escape_text_separators(text) == (
        "BEGIN:VEVENT\nSUMMARY:Keh\r\n rung\r\nLOCATION:Hauptstr. 5\\, 90402 Nürnberg\r\n"
        "END:VEVENT\r\n   ")
