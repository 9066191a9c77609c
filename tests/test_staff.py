"""Who the staff are: one person per user, whatever calendars they make."""

from __future__ import annotations

import pytest

from radicale_kamin.schedule.staff import (Staff, bookable_calendar, is_staff_calendar,
                                           parse_booking_calendars, parse_names, staff_of)


def test_a_second_calendar_does_not_make_a_second_person():
    staff = staff_of(["anna/termine", "anna/hochgeladen", "ben/termine"])
    assert staff == [
        Staff("anna", "Anna", ("anna/hochgeladen", "anna/termine"), "anna/termine"),
        Staff("ben", "Ben", ("ben/termine",), "ben/termine")]


@pytest.mark.parametrize("owned,choice,bookable", [
    (["anna/arbeit", "anna/termine"], "anna/arbeit", "anna/arbeit"),     # the admin's choice
    (["anna/arbeit", "anna/termine"], None, "anna/termine"),             # else termine
    (["anna/arbeit", "anna/termine"], "anna/weg", "anna/termine"),       # a choice gone
    (["anna/arbeit", "anna/zweit"], None, "anna/arbeit"),                # else the first
])
def test_the_bookable_calendar_rule(owned, choice, bookable):
    assert bookable_calendar("anna", owned, choice) == bookable


def test_non_staff_calendars_and_homes_belong_to_nobody():
    staff = staff_of(["meister/termine", "meister/privat", "buero/intern", "anna/termine",
                      "anna/termine/unter"], non_staff=["/meister/privat/", "/buero/"])
    assert [(s.id, s.calendars) for s in staff] == [
        ("anna", ("anna/termine",)), ("meister", ("meister/termine",))]
    assert not is_staff_calendar("buero/intern", ["buero"])
    assert is_staff_calendar("/anna/termine/", [])


def test_names_and_choices_from_the_options():
    assert parse_names("anna: Anna Huber, ben: Ben Maier, kaputt") == {
        "anna": "Anna Huber", "ben": "Ben Maier"}
    assert parse_booking_calendars(" anna: /anna/arbeit/ , ben:/ben/termine/") == {
        "anna": "anna/arbeit", "ben": "ben/termine"}
    staff = staff_of(["anna/arbeit", "anna/termine"], names={"anna": "Anna Huber"},
                     choices={"anna": "anna/arbeit"})
    assert (staff[0].name, staff[0].bookable) == ("Anna Huber", "anna/arbeit")


@pytest.mark.parametrize("raw", ["anna /anna/arbeit/", "anna: /ben/termine/",
                                 "anna: /anna/", ": /anna/termine/"])
def test_a_booking_calendar_must_be_the_users_own(raw):
    with pytest.raises(ValueError):
        parse_booking_calendars(raw)
