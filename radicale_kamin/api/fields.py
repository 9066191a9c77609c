"""The value types of the JSON API: what a field must look like on the wire
(the JSON Schema the OpenAPI document shows) and what a handler receives.

Each refusal says in plain words what was expected; ``problems.py`` puts
the field's name in front. The time zone for times without offset comes
from the validation context (``{"timezone": ZoneInfo}``), since it is an
option of the server, not of the schema.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Optional

from pydantic import (AfterValidator, BeforeValidator, Field, StringConstraints,
                      ValidationInfo, WithJsonSchema)
from pydantic_core import PydanticCustomError

from radicale_kamin.entries import rules
from radicale_kamin.schedule import availability
from radicale_kamin.entries.entry import parse_moment
from radicale_kamin.entries.timefacts import DEFAULT_TIMEZONE

EXAMPLE_MOMENT = "2026-12-01T09:30:00+01:00"
# ISO 8601 extended format: a date, optionally a time, optionally an
# offset; years 1970-2199, so nothing computed from a moment leaves what
# Python's datetime and the holiday tables can hold.
MOMENT_PATTERN = (
    r"^(19[7-9][0-9]|2[01][0-9][0-9])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"(T([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
    r"(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])?)?$")
_MOMENT = re.compile(MOMENT_PATTERN)
TEXT_LIMIT = 500
ID_LIMIT = 255


def _refuse(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, message)


def _moment(value: Any, info: ValidationInfo) -> dt.datetime:
    if not isinstance(value, str):
        raise _refuse("moment_type", "an ISO 8601 date-time string is expected, e.g. "
                      + EXAMPLE_MOMENT)
    problem = "not an ISO 8601 date-time between 1970 and 2199, e.g. " + EXAMPLE_MOMENT
    if not _MOMENT.fullmatch(value):
        raise _refuse("moment", problem)
    timezone = (info.context or {}).get("timezone", DEFAULT_TIMEZONE)
    try:
        return parse_moment(value, timezone)
    except ValueError:                  # e.g. 2026-02-30
        raise _refuse("moment", problem) from None


Moment = Annotated[dt.datetime, BeforeValidator(_moment), WithJsonSchema({
    "type": "string", "pattern": MOMENT_PATTERN, "examples": [EXAMPLE_MOMENT]})]
"""A moment: ISO 8601, years 1970-2199; without offset it is local time of
``kamin_timezone``, a bare date is the start of that day. Aware."""

# Answers: a moment written as ISO 8601 with offset (``datetime.isoformat``).
Instant = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]
Day = Annotated[str, WithJsonSchema({"type": "string", "format": "date"})]


def _blank_to_none(value: str) -> Optional[str]:
    return value.strip() or None


Text = Annotated[str, StringConstraints(max_length=TEXT_LIMIT), AfterValidator(_blank_to_none)]
"""Free text; surrounding blanks dropped, blank = not given."""

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=ID_LIMIT)]
"""A name or id that must be there (a staff id, a UID, a hold)."""

# Radicale refuses a path with : ' " * ? , or a control character itself
# ([server] validate_path_value = minimal), before any plugin sees it.
PATH_SEGMENT_PATTERN = r"^[^/:'\"*?,\x00-\x1f\x7f-\x9f]+$"
PathSegment = Annotated[str, StringConstraints(min_length=1, max_length=ID_LIMIT,
                                               pattern=PATH_SEGMENT_PATTERN)]
"""A path parameter: one segment, as Radicale lets it through."""

Token = Annotated[str, StringConstraints(min_length=1, max_length=ID_LIMIT)]
"""An opaque value passed back as received (an ETag)."""

Minutes = Annotated[int, Field(ge=5, le=600, description="minutes")]


def _work(value: Any) -> str:
    work = rules.work_of(value) if isinstance(value, str) else None
    if work is None:
        raise _refuse("work", "one of %s" % ", ".join(rules.WORKS))
    return work.name


Work = Annotated[str, BeforeValidator(_work), WithJsonSchema({
    "type": "string", "enum": list(rules.WORKS),
    "description": "the work an appointment is for (X-KAMIN-WORK); German spellings like "
                   "Feuerstättenschau are accepted too"})]

PARTS = ("morning", "afternoon", "allday", "vormittags", "nachmittags", "ganztags")


def _part(value: Any) -> str:
    try:
        availability.part_of_day(value if isinstance(value, str) else "")
    except ValueError:
        raise _refuse("part", "one of %s" % ", ".join(PARTS)) from None
    return value.strip().casefold()


Part = Annotated[str, BeforeValidator(_part), WithJsonSchema({
    "type": "string", "enum": list(PARTS), "description": "part of the day"})]


# --- query parameters: text on the wire, typed for the handler -----------------

def _query_int(value: Any) -> int:
    # Only ASCII digits: str.isdigit() lets "²" through, which int() refuses.
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,9}", value):
        return int(value)
    raise _refuse("int_type", "a whole number is expected")


def _query_bool(value: Any) -> bool:
    if value in ("true", "false"):
        return value == "true"
    raise _refuse("bool_type", "true or false")


def query_int(low: int, high: int) -> Any:
    """A whole number in [low, high] given as query text."""
    return Annotated[int, Field(ge=low, le=high), BeforeValidator(_query_int)]


QueryBool = Annotated[bool, BeforeValidator(_query_bool)]


DAY_PATTERN = r"^(19[7-9][0-9]|2[01][0-9][0-9])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"


def _date(value: Any) -> dt.date:
    if isinstance(value, str) and re.fullmatch(DAY_PATTERN, value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _refuse("date", "a date YYYY-MM-DD between 1970 and 2199 is expected, e.g. 2026-12-24")


Date = Annotated[dt.date, BeforeValidator(_date), WithJsonSchema({
    "type": "string", "pattern": DAY_PATTERN, "examples": ["2026-12-24"]})]
"""A calendar date (ISO 8601, years 1970-2199)."""

CLOCK_PATTERN = r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"
Clock = Annotated[str, StringConstraints(pattern=CLOCK_PATTERN), WithJsonSchema({
    "type": "string", "pattern": CLOCK_PATTERN, "examples": ["07:30"]})]
"""A wall-clock time HH:MM (24:00 as the end of a day)."""
