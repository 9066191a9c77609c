"""CalDAV REPORT filters the side index can narrow by itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

_CALDAV = "{urn:ietf:params:xml:ns:caldav}"


@dataclass(frozen=True)
class BuildingMatch:
    """A REPORT's text-match on X-KAMIN-BUILDING, evaluated like Radicale's
    ``radicale.item.filter.text_match`` (substring, Python ``lower()``
    unless the collation is ``i;octet``)."""

    text: str
    case_sensitive: bool
    negate: bool
    whole_filter: bool          # the REPORT asks for nothing else

    def matches(self, values: Sequence[str]) -> bool:
        """Whether any of an item's building values matches (negation
        aside: the caller only narrows on positive matches)."""
        text = self.text if self.case_sensitive else self.text.lower()
        return any(text in (value if self.case_sensitive else value.lower()) for value in values)


def building_match(filters: Sequence) -> Optional[BuildingMatch]:
    """The first text-match on X-KAMIN-BUILDING of a VEVENT in CalDAV REPORT
    filters — a necessary condition, as every child of a comp-filter must
    match — or None."""
    found = []
    for top in filters:
        for calendar_filter in top.findall(_CALDAV + "comp-filter"):
            if calendar_filter.get("name", "").upper() != "VCALENDAR":
                continue
            for event_filter in calendar_filter.findall(_CALDAV + "comp-filter"):
                if event_filter.get("name", "").upper() != "VEVENT":
                    continue
                for prop_filter in event_filter.findall(_CALDAV + "prop-filter"):
                    if prop_filter.get("name", "").upper() != "X-KAMIN-BUILDING":
                        continue
                    for match in prop_filter.findall(_CALDAV + "text-match"):
                        whole = (len(filters) == 1 and len(top) == 1 and len(calendar_filter) == 1
                                 and len(event_filter) == 1 and len(prop_filter) == 1)
                        found.append(BuildingMatch(
                            text=next(match.itertext(), ""),
                            case_sensitive=match.get("collation") == "i;octet",
                            negate=match.get("negate-condition") == "yes", whole_filter=whole))
    return found[0] if found else None
