"""Keep customers out of the log — and keep what a production 500 needs.

Radicale's warnings about bad requests quote the exception text, vobject's
parse errors quote the offending line, and vobject logs an unknown TZID
(often a customer's name typed into the wrong field) straight to the root
logger: measured, 4 of 5 malformed PUTs put a name, phone or address in the
log. Above DEBUG (Radicale's default is INFO) this filter therefore

* replaces every exception — a message, an argument, the text of a
  traceback Radicale formats itself — by a text that names only the kind of
  problem (``safe_text``; the plugin's own refusals are free of customer
  data and stay as they are);
* keeps tracebacks of unexpected errors, scrubbed the same way: every
  frame's file, line and function stays, every exception message goes —
  enough to find a bug, nothing about a customer;
* drops Radicale's dumps of whole request bodies;
* hides the names of items in paths (``/anna/termine/#a1b2c3d4.ics``
  instead of ``/anna/termine/Hildegard-Obermueller.ics``; clients choose
  them, often from the title) and the ids in API paths (a building id may
  carry the owner's name) behind a short hash, so one entry's lines still
  belong together. Only names ending in ``.ics``/``.vcf`` count as items:
  the rare client that names items without an extension is not covered.

It is installed on Radicale's logger, on the root logger (vobject logs
there directly) and on the root logger's handlers (every other library's
records reach those), so no logger bypasses it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import sqlite3
import traceback
from typing import Optional

from radicale_kamin.entries.entry import EntryRejected
from radicale_kamin.schedule.recurrence import RecurrenceRejected

_OWN = (EntryRejected, RecurrenceRejected)
_OWN_NAMES = tuple(cls.__name__ for cls in _OWN)
# Exceptions whose text names files and databases, never entry content.
_DATA_FREE = (sqlite3.Error, OSError)

# Radicale messages that dump a whole item or request body.
_CONTENT_DUMP = re.compile(r"^(Bad PUT request content|Item content|Request content)")
_TRACEBACK = "Traceback (most recent call last)"
# The line of a formatted traceback that states the exception and its message.
_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*)(: .*)?$")
_TRACEBACK_PROSE = ("Traceback", "During handling", "The above exception")


def _own_cause(exc: Optional[BaseException]) -> Optional[BaseException]:
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


def scrubbed_traceback(exc: BaseException) -> str:
    """The traceback of ``exc`` and its causes as Python prints it, each
    exception's message replaced by ``safe_text``."""
    chain = []
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        chain.append(exc)
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    parts = []
    for position, one in enumerate(reversed(chain)):
        if position:
            parts.append("\nThe above exception led to the following one:\n\n")
        if one.__traceback__ is not None:
            parts.append(_TRACEBACK + ":\n")
            parts.extend(traceback.format_tb(one.__traceback__))
        parts.append("%s.%s: %s\n" % (type(one).__module__, type(one).__qualname__,
                                      safe_text(one)))
    return "".join(parts).rstrip("\n")


def scrub_traceback_text(text: str) -> str:
    """A traceback someone formatted already (Radicale logs
    ``traceback.format_exc()``), its exception messages hidden."""
    lines = []
    for line in text.split("\n"):
        match = _EXCEPTION_LINE.match(line)
        if (match and match.group(2) and not line.startswith(_TRACEBACK_PROSE)
                and not match.group(1).endswith(_OWN_NAMES)):
            line = "%s: (message hidden above log level debug)" % match.group(1)
        lines.append(line)
    return "\n".join(lines)


_API = "/.web/kamin/api/"
_API_ACTIONS = ("outcome", "release", "move", "cancel", "working-hours")


def _hashed(segment: str) -> str:
    if not segment:
        return segment
    stem, dot, extension = segment.rpartition(".")
    if not dot or len(extension) > 4:
        stem, extension = segment, ""
    digest = hashlib.sha256(stem.encode("utf-8", "replace")).hexdigest()[:8]
    return "#%s%s" % (digest, "." + extension if extension else "")


_ITEM = re.compile(r".+\.(ics|vcf|vcs)$", re.IGNORECASE)


def scrub_path(path: str) -> str:
    """A path with item names (``….ics``, ``….vcf``) and API ids hashed;
    users, calendars and the folders of the storage stay — they are staff's
    or the admin's, and the log needs them."""
    query = ""
    if "?" in path:
        path, query = path.split("?", 1)
        query = "?…"
    if path.startswith(_API):
        parts = path[len(_API):].split("/")
        parts = [p if i == 0 or p in _API_ACTIONS else _hashed(p) for i, p in enumerate(parts)]
        return _API + "/".join(parts) + query
    return "/".join(_hashed(p) if _ITEM.match(p) else p for p in path.split("/")) + query


# A path quoted in a message Radicale formatted itself ("… for '/a/b/c.ics' …").
_QUOTED_PATH = re.compile(r"""(['"])(/[^'"\s]*)\1""")


def _scrubbed(value):
    if isinstance(value, BaseException):
        return safe_text(value)
    if isinstance(value, str) and _TRACEBACK in value:
        return scrub_traceback_text(value)
    if isinstance(value, str) and value.startswith("/"):
        return scrub_path(value)
    return value


def _scrubbed_message(msg):
    msg = _scrubbed(msg)
    if isinstance(msg, str) and "/" in msg:
        msg = _QUOTED_PATH.sub(lambda m: m.group(1) + scrub_path(m.group(2)) + m.group(1), msg)
    return msg


class PrivacyFilter(logging.Filter):
    """See the module docstring; idempotent, so a record may pass it at
    its logger and again at a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if logging.getLogger("radicale").isEnabledFor(logging.DEBUG):
            return True
        if getattr(record, "kamin_scrubbed", False):
            return True
        if isinstance(record.msg, str) and _CONTENT_DUMP.match(record.msg):
            return False
        record.msg = _scrubbed_message(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_scrubbed(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: _scrubbed(v) for k, v in record.args.items()}
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = scrubbed_traceback(record.exc_info[1])
        elif record.exc_text:
            record.exc_text = scrub_traceback_text(record.exc_text)
        record.exc_info = None
        record.kamin_scrubbed = True
        return True


_FILTER = PrivacyFilter()


def install(logger: logging.Logger) -> None:
    """On ``logger`` (Radicale's), the root logger and the root's handlers."""
    root = logging.getLogger()
    for target in (logger, root, *root.handlers):
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
