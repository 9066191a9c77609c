"""Keep customers out of the log, and keep the reason of a refused write.

Radicale's warnings about bad requests quote the exception text, and
vobject's parse errors quote the offending line — a customer's name, phone
or address (measured: 4 of 5 malformed PUTs put one in the log). Above DEBUG
(Radicale's default is INFO) this filter replaces every exception argument
of a record by a text that names only the kind of problem.

The same filter remembers, per thread (Radicale serves each request in its
own thread), the safe reason of the last refused write, so the WSGI entry
can send it to the client instead of Radicale's bare "Bad Request".
"""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
from typing import Optional

from radicale_kamin.entry import EntryRejected
from radicale_kamin.recurrence import RecurrenceRejected

_OWN = (EntryRejected, RecurrenceRejected)
# Exceptions whose text names files and databases, never entry content.
_DATA_FREE = (sqlite3.Error, OSError)
_local = threading.local()

# Radicale messages that dump a whole item or request body.
_CONTENT_DUMP = re.compile(r"^(Bad PUT request content|Item content|Request content)")
# Radicale messages after which the request answers 400 or 409.
_REFUSAL = re.compile(r"^Bad (PUT|MOVE|PROPPATCH|MKCALENDAR|MKCOL|REPORT) request")


def _own_cause(exc: BaseException) -> Optional[BaseException]:
    while exc is not None:
        if isinstance(exc, _OWN):
            return exc
        exc = exc.__cause__ or exc.__context__
    return None


def safe_text(exc: BaseException) -> str:
    """What went wrong, without quoting the data it went wrong on."""
    own = _own_cause(exc)
    if own is not None:
        return str(own)
    line = getattr(exc, "lineNumber", None)
    name = type(exc).__name__
    if name == "ParseError" or "parse" in str(exc).lower():
        where = " at line %s" % line if line else ""
        return "the body is not valid iCalendar/vCard%s (%s)" % (where, name)
    if name == "ValidateError":
        return "the body is not valid iCalendar/vCard: a property has an invalid value"
    if isinstance(exc, _DATA_FREE):
        return "%s: %s" % (name, exc)
    return "%s (details only at log level debug)" % name


def remember_reason(reason: Optional[str]) -> None:
    _local.reason = reason


def last_reason() -> Optional[str]:
    return getattr(_local, "reason", None)


class PrivacyFilter(logging.Filter):
    """Installed on Radicale's logger by the storage plugin."""

    def filter(self, record: logging.LogRecord) -> bool:
        exceptions = [a for a in (record.args or ()) if isinstance(a, BaseException)]
        if isinstance(record.msg, str) and _REFUSAL.match(record.msg):
            cause = exceptions[0] if exceptions else (
                record.exc_info[1] if record.exc_info else None)
            remember_reason(safe_text(cause) if cause else None)
        if logging.getLogger(record.name).getEffectiveLevel() <= logging.DEBUG:
            return True
        if isinstance(record.msg, str) and _CONTENT_DUMP.match(record.msg):
            return False
        if exceptions and isinstance(record.args, tuple):
            record.args = tuple(safe_text(a) if isinstance(a, BaseException) else a
                                for a in record.args)
        record.exc_info = None
        record.exc_text = None
        return True


_FILTER = PrivacyFilter()


def install(logger: logging.Logger) -> None:
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
