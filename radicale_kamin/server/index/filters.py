"""CalDAV REPORT filters the side index answers itself.

Radicale judges a calendar-query by parsing every candidate item with
vobject (5 ms each): a property search on a calendar of 15,000 entries
takes a minute. The index keeps the values of the entry's own properties
(``facts.INDEXED_PROPERTIES``) as Radicale's text-match reads them, so a
query made only of tests on those — optionally after a time range — is
answered by SQL with Radicale's semantics (``radicale/item/filter.py``):

* a prop-filter holds if any VEVENT of the item satisfies it; with no
  test the property must be there, ``is-not-defined`` it must not;
* each ``text-match`` is a substring test (CalDAV knows no other match
  type: Radicale ignores ``match-type`` there), case-sensitive for the
  collation ``i;octet``, else on Python's ``lower()`` of both sides;
  ``negate-condition="yes"`` turns it round — but only where the property
  is there at all;
* several text-matches in one prop-filter must hold for the same VEVENT.

Any other shape (a param-filter, a time range on a property, filters on
VTODOs, several filters) is left to Radicale, candidates narrowed by the
time range only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

from radicale_kamin.entries.facts import INDEXED_PROPERTIES

_CALDAV = "{urn:ietf:params:xml:ns:caldav}"


@dataclass(frozen=True)
class TextTest:
    text: str
    case_sensitive: bool
    negate: bool


@dataclass(frozen=True)
class PropertyTest:
    """A prop-filter: ``defined`` True (no test), False (is-not-defined),
    or None and ``texts`` (text-matches, all for one VEVENT)."""

    name: str                       # one of INDEXED_PROPERTIES
    defined: Optional[bool] = None
    texts: tuple[TextTest, ...] = ()


@dataclass(frozen=True)
class EventQuery:
    """A calendar-query on VEVENTs made of property tests, after a time
    range (``timed``) or not."""

    tests: tuple[PropertyTest, ...]
    timed: bool


def _tag(element, name: str) -> bool:
    return element.tag == _CALDAV + name


def event_query(filters: Sequence) -> Optional[EventQuery]:
    """The REPORT's filter as an ``EventQuery``, or None when the index
    cannot answer it exactly (Radicale judges it then)."""
    if len(filters) != 1 or len(filters[0]) != 1:
        return None
    calendar_filter = filters[0][0]
    if not (_tag(calendar_filter, "comp-filter") and len(calendar_filter) == 1
            and calendar_filter.get("name", "").upper() == "VCALENDAR"):
        return None
    event_filter = calendar_filter[0]
    if not _tag(event_filter, "comp-filter") or event_filter.get("name", "").upper() != "VEVENT":
        return None
    children = list(event_filter)
    # Radicale tests a time range against the comp-filter's first child,
    # whatever that is: only a leading one means what it says.
    timed = bool(children) and _tag(children[0], "time-range")
    tests = [_property_test(child) for child in children[1 if timed else 0:]]
    if not tests or any(test is None for test in tests):
        return None
    return EventQuery(tuple(tests), timed)


def _property_test(element) -> Optional[PropertyTest]:
    if not _tag(element, "prop-filter"):
        return None
    name = element.get("name", "").upper()
    if name not in INDEXED_PROPERTIES:
        return None
    children = list(element)
    if not children:
        return PropertyTest(name, defined=True)
    if len(children) == 1 and _tag(children[0], "is-not-defined"):
        return PropertyTest(name, defined=False)
    if not all(_tag(child, "text-match") for child in children):
        return None
    return PropertyTest(name, texts=tuple(
        TextTest(text=next(child.itertext(), ""),
                 case_sensitive=child.get("collation") == "i;octet",
                 negate=child.get("negate-condition") == "yes") for child in children))
