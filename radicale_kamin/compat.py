"""The one door to Radicale's internals.

Radicale offers plugins a storage and a web interface, and nothing for what
the plugin must also change in how Radicale answers. What is reached here is
pinned by ``tests/test_compat.py``: a Radicale upgrade that moves one of
these members turns a named test red instead of failing in production.

* The PUT answer: RFC 4791 section 5.3.4 and RFC 9110 section 9.3.4 forbid a
  strong ETag in the answer to a PUT whose body the server stored
  transformed. The plugin rewrites what clients PUT (state, colour, labels,
  normalised phone and address), so a client that kept the ETag would never
  download the coloured entry. ``do_PUT`` is wrapped: the ETag stays only
  when the stored file is the request octet for octet.
* The reason of a refusal: Radicale answers a refused write with a bare
  400 and logs the exception. The plugin notes the reason where it refuses
  (``note_refusal``, per thread: Radicale serves each request in a thread
  of its own) so that the WSGI entry can answer with it; for a body
  Radicale cannot parse, the PUT wrapper notes the parser's complaint
  (without the data it complains about).
* Request bodies: Radicale answers 500 to hostile or odd bodies it already
  refuses — XML with entity declarations or external references (defusedxml
  refuses them with an exception Radicale does not expect), XML nested
  thousands deep (a RecursionError later), a ``charset`` in Content-Type no
  codec knows (LookupError). Its own rule for a body it cannot read is a
  ``RuntimeError`` that becomes 400, so the body readers raise that, with the
  reason; and an unknown charset never breaks reading the credentials.
"""

from __future__ import annotations

import codecs
import functools
import threading
from typing import Any, Optional

import radicale.item as radicale_item
from defusedxml import DefusedXmlException
from radicale import httputils
from radicale.app import base as radicale_base
from radicale.app import put as radicale_put

from radicale_kamin import privacy

# How deep a WebDAV request body may nest: CalDAV filters need about eight
# levels; Radicale walks the tree recursively.
MAX_XML_DEPTH = 64

_recording = threading.local()


class _RecordedInput:
    """``wsgi.input`` that keeps what the application read of the body."""

    def __init__(self, stream: Any):
        self._stream = stream
        self.data = bytearray()

    def read(self, *args: Any) -> bytes:
        chunk = self._stream.read(*args)
        self.data += chunk
        return chunk

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def note_refusal(reason: str) -> None:
    """The plugin refuses the current request's write for ``reason`` (a
    text free of customer data)."""
    _recording.refusal = reason


def take_refusal() -> Optional[str]:
    """The reason noted for the current request, if any (and forget it)."""
    reason = getattr(_recording, "refusal", None)
    _recording.refusal = None
    return reason


def _note_unparsable_body(body: bytes) -> None:
    if getattr(_recording, "refusal", None) is not None:
        return
    try:
        radicale_item.read_components(body.decode("utf-8", "replace"))
    except Exception as e:              # what vobject says is wrong, scrubbed
        note_refusal(privacy.safe_text(e))


def note_stored(data: Optional[bytes]) -> None:
    """The storage wrote ``data`` for the request being answered (None: a
    whole collection). Outside a PUT this does nothing."""
    stored = getattr(_recording, "stored", None)
    if stored is not None:
        stored.append(data)


def _etag_allowed(request_body: bytes, stored: list) -> bool:
    return len(stored) == 1 and stored[0] is not None and stored[0] == request_body


def _without_etag(headers: Any) -> Any:
    if isinstance(headers, dict):
        return {k: v for k, v in headers.items() if k.lower() != "etag"}
    return [(k, v) for k, v in headers if k.lower() != "etag"]


def _answer_put_without_changed_etag(do_put):
    @functools.wraps(do_put)
    def do_PUT(self, environ, *args, **kwargs):
        body = environ["wsgi.input"] = _RecordedInput(environ["wsgi.input"])
        _recording.stored = []
        try:
            status, headers, answer, xml_request = do_put(self, environ, *args, **kwargs)
            if status in (200, 201, 204) and not _etag_allowed(bytes(body.data),
                                                               _recording.stored):
                headers = _without_etag(headers)
            elif status == 400:
                _note_unparsable_body(bytes(body.data))
        finally:
            _recording.stored = None
        return status, headers, answer, xml_request
    do_PUT.kamin_patched = True
    return do_PUT


# --- request bodies ------------------------------------------------------------

def declared_charset(environ: dict) -> Optional[str]:
    """The charset a request's Content-Type names, if any."""
    content_type = environ.get("CONTENT_TYPE") or ""
    if "charset=" not in content_type:
        return None
    return content_type.split("charset=")[1].split(";")[0].strip().strip('"') or None


def _refuse_unknown_charset(environ: dict) -> None:
    charset = declared_charset(environ)
    if charset is None:
        return
    try:
        codecs.lookup(charset)
    except LookupError:
        raise RuntimeError("unknown charset %r in Content-Type" % charset[:40]) from None


def _decode_skipping_unknown_charsets(decode_request):
    """Radicale decodes the Basic credentials with the body's charset too:
    an unknown one is skipped there like one that does not fit (the body
    readers refuse it with a reason)."""
    @functools.wraps(decode_request)
    def decode(configuration, environ, text):
        try:
            return decode_request(configuration, environ, text)
        except LookupError:
            cleaned = dict(environ)
            cleaned["CONTENT_TYPE"] = (environ.get("CONTENT_TYPE") or "").split(";")[0]
            return decode_request(configuration, cleaned, text)
    decode.kamin_patched = True
    return decode


def _read_body_refusing_unknown_charsets(read_request_body):
    @functools.wraps(read_request_body)
    def read(configuration, environ, request_info):
        _refuse_unknown_charset(environ)
        return read_request_body(configuration, environ, request_info)
    read.kamin_patched = True
    return read


def _depth(element) -> int:
    deepest, stack = 0, [(element, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_XML_DEPTH:
            break
        stack.extend((child, level + 1) for child in node)
    return deepest


def _read_xml_refusing_hostile_bodies(read_xml):
    @functools.wraps(read_xml)
    def read(self, environ, request_info):
        _refuse_unknown_charset(environ)
        try:
            element = read_xml(self, environ, request_info)
        except DefusedXmlException as e:
            raise RuntimeError("the XML body declares entities or external references, "
                               "which are not allowed (%s)" % type(e).__name__) from None
        if element is not None and _depth(element) > MAX_XML_DEPTH:
            raise RuntimeError("the XML body nests more than %d levels deep" % MAX_XML_DEPTH)
        return element
    read.kamin_patched = True
    return read


def install() -> None:
    """Patch Radicale once per process (idempotent)."""
    part = radicale_put.ApplicationPartPut
    if not getattr(part.do_PUT, "kamin_patched", False):
        part.do_PUT = _answer_put_without_changed_etag(part.do_PUT)
    if not getattr(httputils.decode_request, "kamin_patched", False):
        httputils.decode_request = _decode_skipping_unknown_charsets(httputils.decode_request)
    if not getattr(httputils.read_request_body, "kamin_patched", False):
        httputils.read_request_body = _read_body_refusing_unknown_charsets(
            httputils.read_request_body)
    base = radicale_base.ApplicationBase
    if not getattr(base._read_xml_request_body, "kamin_patched", False):
        base._read_xml_request_body = _read_xml_refusing_hostile_bodies(
            base._read_xml_request_body)
