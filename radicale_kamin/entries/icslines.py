"""iCalendar content lines (RFC 5545 section 3.1), read and edited as text.

Why not vobject here: a full vobject parse of one stored entry costs about
5 ms on this machine (most of it time-zone handling), more than a whole
PUT may grow by. The server only reads and rewrites a handful of its own
properties, so it works on the lines and leaves every other line — and the
client's formatting of it — exactly as it was. Full parsing stays with
vobject (Radicale's parser) wherever meaning beyond text is needed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator, Optional

_PARAM = re.compile(r';([A-Za-z0-9-]+)=((?:"[^"]*"|[^";:,]*)(?:,(?:"[^"]*"|[^";:,]*))*)')
_NAME = re.compile(r"[A-Za-z0-9-]+")


@dataclass
class Line:
    """One logical (unfolded) content line."""

    name: str                                   # upper-case
    params: list[tuple[str, str]] = field(default_factory=list)  # raw text
    value: str = ""                             # raw, still escaped
    raw: Optional[str] = None                   # as read; None once edited

    def text(self) -> str:
        """The line unfolded; unchanged lines keep their original text."""
        if self.raw is not None:
            return self.raw
        params = "".join(";%s=%s" % p for p in self.params)
        return "%s%s:%s" % (self.name, params, self.value)

    def param(self, name: str) -> Optional[str]:
        for key, value in self.params:
            if key.upper() == name:
                return value.strip('"')
        return None


def unfold(text: str) -> list[str]:
    """Logical lines; CRLF and bare LF (caldav, vdirsyncer) alike."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"\n[ \t]", "", text)
    return [line for line in text.split("\n") if line.strip()]


def parse_line(raw: str) -> Line:
    name_match = _NAME.match(raw)
    if not name_match:
        raise ValueError("not an iCalendar content line")
    position = name_match.end()
    params = []
    while position < len(raw) and raw[position] == ";":
        param = _PARAM.match(raw, position)
        if not param:
            break
        params.append((param.group(1).upper(), param.group(2)))
        position = param.end()
    if position >= len(raw) or raw[position] != ":":
        # Lenient like vobject: parameters we cannot split stay in the raw
        # text; the value starts at the first colon outside quotes.
        colon = _first_colon_outside_quotes(raw)
        if colon < 0:
            raise ValueError("iCalendar line without ':'")
        return Line(name_match.group().upper(), [], raw[colon + 1:], raw)
    return Line(name_match.group().upper(), params, raw[position + 1:], raw)


def _first_colon_outside_quotes(raw: str) -> int:
    quoted = False
    for index, char in enumerate(raw):
        if char == '"':
            quoted = not quoted
        elif char == ":" and not quoted:
            return index
    return -1


def fold(line: str) -> str:
    """Fold at 75 octets without splitting a UTF-8 character."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts, start, limit = [], 0, 75
    while start < len(data):
        end = min(start + limit, len(data))
        while end < len(data) and (data[end] & 0xC0) == 0x80:
            end -= 1
        parts.append(data[start:end].decode("utf-8"))
        start, limit = end, 74
    return "\r\n ".join(parts)


def escape_text(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;")
            .replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n"))


def unescape_text(value: str) -> str:
    return re.sub(r"\\([\\;,nN])",
                  lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def split_list(value: str) -> list[str]:
    """A TEXT list (CATEGORIES) split at unescaped commas, unescaped."""
    return [unescape_text(part) for part in re.split(r"(?<!\\),", value)]


@dataclass
class Component:
    """A component's own lines (nested components kept as raw lines)."""

    name: str
    lines: list = field(default_factory=list)   # Line or Component

    def props(self, name: str) -> list[Line]:
        return [line for line in self.lines
                if isinstance(line, Line) and line.name == name]

    def first(self, name: str) -> Optional[Line]:
        for line in self.lines:
            if type(line) is Line and line.name == name:
                return line
        return None

    def components(self, name: str) -> Iterator["Component"]:
        for line in self.lines:
            if isinstance(line, Component) and line.name == name:
                yield line

    def remove(self, name: str) -> None:
        self.lines = [line for line in self.lines
                      if not (isinstance(line, Line) and line.name == name)]

    def serialize(self) -> list[str]:
        out = ["BEGIN:" + self.name]
        for line in self.lines:
            if isinstance(line, Component):
                out.extend(line.serialize())
            else:
                out.append(fold(line.text()))
        out.append("END:" + self.name)
        return out


def parse(text: str) -> Component:
    """The single top-level component of ``text`` (a VCALENDAR item)."""
    stack: list[Component] = []
    top: Optional[Component] = None
    for raw in unfold(text):
        line = parse_line(raw)
        if line.name == "BEGIN":
            component = Component(line.value.strip().upper())
            if stack:
                stack[-1].lines.append(component)
            elif top is not None:
                raise ValueError("more than one top-level component")
            else:
                top = component
            stack.append(component)
        elif line.name == "END":
            if not stack or stack[-1].name != line.value.strip().upper():
                raise ValueError("END:%s without matching BEGIN" % line.value.strip())
            stack.pop()
        elif not stack:
            raise ValueError("content line outside a component")
        else:
            stack[-1].lines.append(line)
    if top is None or stack:
        raise ValueError("unterminated or empty iCalendar object")
    return top


def serialize(component: Component) -> str:
    return "\r\n".join(component.serialize()) + "\r\n"


# Single-valued TEXT properties (RFC 5545 3.8.1): a comma or semicolon in
# them must be escaped; vobject splits at an unescaped one and keeps the
# first part only ("Hauptstr. 5, 90402 Nürnberg" became "Hauptstr. 5").
SINGLE_TEXT = frozenset({"SUMMARY", "LOCATION", "DESCRIPTION", "COMMENT", "CONTACT"})
_SINGLE_TEXT_NAMES = tuple(SINGLE_TEXT)
_UNESCAPED_SEPARATOR = re.compile(r"(?<!\\)((?:\\\\)*)([,;])")


# A logical line as it stands in the text: a first line and its folded continuations.
_LOGICAL_LINE = re.compile(r"^[A-Za-z][^\r\n]*(?:(?:\r\n|\r|\n)[ \t][^\r\n]*)*", re.MULTILINE)


def escape_separators(value: str) -> str:
    """A single-valued TEXT value with its unescaped commas and semicolons
    escaped (what ``escape_text_separators`` does to such a line)."""
    return _UNESCAPED_SEPARATOR.sub(lambda m: m.group(1) + "\\" + m.group(2), value)


def escape_text_separators(text: str) -> str:
    """``text`` with unescaped commas and semicolons in single-valued TEXT
    properties escaped — what a client meant, kept whole. A line that needs
    it is written unfolded; every other byte stays as it was (a broken line
    is the parser's to name, not ours)."""
    def escaped(match: re.Match) -> str:
        raw = match.group(0)
        if not raw[:12].upper().startswith(_SINGLE_TEXT_NAMES):
            return raw                  # the cheap test first: this runs on every PUT
        unfolded = re.sub(r"(?:\r\n|\r|\n)[ \t]", "", raw)
        try:
            line = parse_line(unfolded)
        except ValueError:
            return raw
        if line.name not in SINGLE_TEXT or not _UNESCAPED_SEPARATOR.search(line.value):
            return raw
        return unfolded[:len(unfolded) - len(line.value)] + escape_separators(line.value)
    return _LOGICAL_LINE.sub(escaped, text)
