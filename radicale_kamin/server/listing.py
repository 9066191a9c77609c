"""Many items in one multistatus: Radicale's answer for one template item,
repeated for each item with its own values.

Radicale renders every response of a PROPFIND Depth 1 or a
sync-collection through its XML code — a rights check, property by
property, ElementTree — about 100 µs an item, 1.5 s for a calendar of
15,000 entries before a single file is read. The storage plugin lets
Radicale render one template item whose values are unique placeholders
(``Placeholders``) and a template for a deleted one, then ``expand``
repeats those responses' bytes for every item, each placeholder replaced
by the item's value from the side index: the answer has exactly Radicale's
form (the same properties, statuses, namespaces and 404s, whatever the
client asked), built in milliseconds.

Pure: bytes and strings in, bytes out.
"""

from __future__ import annotations

import functools
import secrets
import time
from dataclasses import dataclass, field
from typing import Iterator, NamedTuple, Optional, Sequence
from urllib.parse import quote

TEXT_LENGTH = 99991         # the template's length: its getcontentlength is ">99991<"


def http_date(mtime_ns: int) -> str:
    """Radicale's getlastmodified of a file with this mtime (it formats the
    float ``st_mtime``, which is this sum)."""
    return _http_date(int(mtime_ns // 1_000_000_000 + (mtime_ns % 1_000_000_000) * 1e-9))


@functools.lru_cache(maxsize=4096)
def _http_date(seconds: int) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(seconds))


class Listed(NamedTuple):
    """One item of a listing, as Radicale would answer for it."""

    href: str                   # the file name
    etag: str
    component: str              # VEVENT, VTODO, … ('' for none)
    last_modified: str
    length: int                 # getcontentlength
    size: int                   # of the file (Radicale skips big ones in some answers)


@dataclass(frozen=True)
class Placeholders:
    """The template items' values, each unique in an answer."""

    token: str = field(default_factory=lambda: secrets.token_hex(12))

    @property
    def name(self) -> str:
        return "kamin-template-%s.ics" % self.token

    @property
    def missing_name(self) -> str:
        return "kamin-deleted-%s.ics" % self.token

    @property
    def etag(self) -> str:
        return '"kamin-etag-%s"' % self.token

    @property
    def component(self) -> str:
        return "KAMINCOMPONENT%s" % self.token

    @property
    def last_modified(self) -> str:
        return "KAMINMODIFIED%s" % self.token

    @property
    def text(self) -> str:
        """The template's text: only its length is ever answered."""
        marker = "KAMINTEXT%s" % self.token
        return marker + "x" * (TEXT_LENGTH - len(marker))


def _escape(text: str) -> str:
    """ElementTree's escaping of element text."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def _segment(answer: bytes, name: bytes) -> Optional[tuple[int, int]]:
    """Where the response whose href ends in ``name`` starts and ends."""
    at = answer.find(b"/" + name + b"<")
    if at < 0:
        return None
    if answer.find(b"/" + name + b"<", at + 1) >= 0:
        raise ValueError("template href twice in the answer")
    href_start = answer.rfind(b"<", 0, at)
    start = answer.rfind(b"<", 0, href_start)
    tag = answer[start + 1:answer.index(b">", start)].split()[0]
    end = answer.find(b"</" + tag + b">", at)
    if start < 0 or end < 0:
        raise ValueError("template response not found")
    return start, end + len(tag) + 3


def _template(segment: str, fields: dict[str, str]) -> str:
    """``segment`` as a ``str.format`` template: each field's text becomes
    ``{name}``, literal braces are doubled."""
    found = sorted((at, key) for key in fields for at in _occurrences(segment, key))
    out, position = [], 0
    for at, key in found:
        out.append(segment[position:at].replace("{", "{{").replace("}", "}}"))
        out.append("{%s}" % fields[key])
        position = at + len(key)
    out.append(segment[position:].replace("{", "{{").replace("}", "}}"))
    return "".join(out)


def _occurrences(text: str, key: str) -> Iterator[int]:
    at = text.find(key)
    while at >= 0:
        yield at
        at = text.find(key, at + len(key))


def _href_fields(segment: str, name: str) -> tuple[str, dict[str, str]]:
    """The quoted collection path before the template's name, and the
    field for the whole href."""
    at = segment.index("/" + name + "<") + 1
    href_open = segment.rfind(">", 0, at) + 1
    return segment[href_open:at], {segment[href_open:at] + name: "href"}


def expand(answer: bytes, placeholders: Placeholders, present: Sequence[Listed],
           missing: Sequence[str], encoding: str) -> bytes:
    """``answer`` with the template item's response repeated for each of
    ``present`` and the deleted template's for each of ``missing``.
    Raises ValueError when a template is not where it should be, or when
    the answer carries an item's text (a template never does)."""
    p = placeholders
    found = []
    for name, items in ((p.name, present), (p.missing_name, missing)):
        where = _segment(answer, name.encode())
        if where is not None:
            found.append((where, name, items))
    out, position = [], 0
    for (start, end), name, items in sorted(found, key=lambda f: f[0][0]):
        out.append(answer[position:start])
        segment = answer[start:end].decode(encoding)
        prefix, fields = _href_fields(segment, name)
        if "KAMINTEXT" + p.token in segment:
            raise ValueError("an item's text in a listing")
        if name == p.name:
            fields.update({p.etag: "etag", ";component=" + p.component: "component",
                           p.last_modified: "modified", ">%d<" % TEXT_LENGTH: "length"})
        template = _template(segment, fields)
        if name == p.name:
            rows = [template.format(
                href=prefix + quote(item.href), etag=_escape(item.etag),
                component=";component=" + item.component if item.component else "",
                modified=item.last_modified, length=">%d<" % item.length) for item in items]
        else:
            rows = [template.format(href=prefix + quote(href)) for href in items]
        out.append("".join(rows).encode(encoding))
        position = end
    out.append(answer[position:])
    return b"".join(out)
