"""What staff devices and the assistant send over WebDAV, for the
benchmarks: request bodies (PROPFIND Depth 1, sync-collection, calendar
queries with time ranges and property filters, multiget) and the parts of
a multistatus answer that are compared between servers.

Each body is what a real client sends: DAVx5 and iOS poll with
``sync-collection`` (getetag), Thunderbird lists with PROPFIND Depth 1
(getetag, getcontenttype, resourcetype), the assistant asks REPORTs with
property filters.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import xml.etree.ElementTree as ET
from typing import Optional
from xml.sax.saxutils import escape

DAV = "{DAV:}"
HEAD = '<?xml version="1.0" encoding="utf-8"?>\n'

PROPFIND_LISTING = (HEAD + '<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getcontenttype/>'
                    '<D:resourcetype/></D:prop></D:propfind>')


def sync_collection(token: str = "") -> str:
    """RFC 6578 sync-collection for ETags; no token = initial sync."""
    return (HEAD + '<D:sync-collection xmlns:D="DAV:"><D:sync-token>%s</D:sync-token>'
            '<D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop>'
            '</D:sync-collection>' % escape(token))


def multiget(hrefs: list[str]) -> str:
    return (HEAD + '<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            '<D:prop><D:getetag/></D:prop>%s</C:calendar-multiget>'
            % "".join("<D:href>%s</D:href>" % escape(h) for h in hrefs))


def ical_utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")


@dataclasses.dataclass(frozen=True)
class TextMatch:
    text: str
    collation: Optional[str] = None     # i;octet (case-sensitive) or i;ascii-casemap …
    negate: bool = False

    def xml(self) -> str:
        attributes = ""
        if self.collation:
            attributes += ' collation="%s"' % self.collation
        if self.negate:
            attributes += ' negate-condition="yes"'
        return "<C:text-match%s>%s</C:text-match>" % (attributes, escape(self.text))


@dataclasses.dataclass(frozen=True)
class PropFilter:
    """A prop-filter on a VEVENT property: defined (no test), is-not-defined
    (``undefined``) or text-matches."""

    name: str
    matches: tuple[TextMatch, ...] = ()
    undefined: bool = False

    def xml(self) -> str:
        inner = "<C:is-not-defined/>" if self.undefined else "".join(m.xml() for m in self.matches)
        return '<C:prop-filter name="%s">%s</C:prop-filter>' % (self.name, inner)


def calendar_query(prop_filters: tuple[PropFilter, ...] = (),
                   time_range: Optional[tuple[dt.datetime, dt.datetime]] = None,
                   calendar_data: bool = False) -> str:
    """A calendar-query REPORT (getetag, optionally calendar-data) on
    VEVENTs: a time range, property filters, or both."""
    inner = ""
    if time_range is not None:
        inner += '<C:time-range start="%s" end="%s"/>' % tuple(ical_utc(m) for m in time_range)
    inner += "".join(f.xml() for f in prop_filters)
    data = "<C:calendar-data/>" if calendar_data else ""
    return (HEAD + '<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
            '<D:prop><D:getetag/>%s</D:prop><C:filter><C:comp-filter name="VCALENDAR">'
            '<C:comp-filter name="VEVENT">%s</C:comp-filter></C:comp-filter></C:filter>'
            '</C:calendar-query>' % (data, inner))


@dataclasses.dataclass
class Multistatus:
    """What is compared between servers: each href's ETag (None for a 404
    response), and the sync token if there is one."""

    etags: dict[str, Optional[str]]
    missing: set[str]
    token: Optional[str]


def parse_multistatus(content: bytes) -> Multistatus:
    root = ET.fromstring(content)
    etags, missing = {}, set()
    for response in root.findall(DAV + "response"):
        href = response.findtext(DAV + "href")
        status = response.findtext(DAV + "status") or ""
        if " 404 " in status:
            missing.add(href)
            continue
        etag = None
        for propstat in response.findall(DAV + "propstat"):
            if " 200 " in (propstat.findtext(DAV + "status") or ""):
                etag = propstat.findtext(DAV + "prop/" + DAV + "getetag") or etag
        etags[href] = etag
    return Multistatus(etags, missing, root.findtext(DAV + "sync-token"))
