"""The frame of the admin's INI files (external calendars, webhooks): every
problem of every section named at once, and the shared calendar path rule."""

from __future__ import annotations

import pytest

from radicale_kamin.schedule.inisections import calendar_path, read_sections


def _read(name, section, problem):
    if "url" not in section:
        problem("url is missing")
    return (name, section.get("url"))


def test_every_problem_of_every_section_is_named():
    text = "[a b]\nurl = x\n[ok]\nurl = y\n[c]\ncolour = red\n"
    with pytest.raises(ValueError) as e:
        read_sections(text, "test file", ("url",), _read)
    assert str(e.value) == ("[a b]: the name may only hold letters, digits, - and _ (at most 64); "
                            "[c]: unknown key 'colour' (known: url); [c]: url is missing")


def test_good_sections_come_in_order():
    assert read_sections("[b]\nurl = 1 ; a comment\n[a]\nurl = 2\n", "f", ("url",), _read) == [
        ("b", "1"), ("a", "2")]
    assert read_sections("", "f", ("url",), _read) == []


@pytest.mark.parametrize("text, message", [
    ("[a]\nurl = 1\n[a]\nurl = 2\n", "[a]: the name is used twice; names must be unique"),
    ("[a]\nurl = 1\nurl = 2\n", "[a]: url is given twice"),
    ("url = 1\n", "test file: File contains no section headers."),
])
def test_a_file_that_is_no_ini_file_is_named(text, message):
    with pytest.raises(ValueError) as e:
        read_sections(text, "test file", ("url",), _read)
    assert str(e.value) == message


def test_calendar_paths():
    assert calendar_path("/anna/termine/") == "anna/termine"
    assert calendar_path(" /anna//termine ") == "anna/termine"
    assert calendar_path("/anna/") is None
    assert calendar_path("/anna/", whole_user=True) == "anna"
    for wrong in ("anna/termine/", "/", "", "/anna/../ben/", "/./x/"):
        assert calendar_path(wrong) is None and calendar_path(wrong, whole_user=True) is None
