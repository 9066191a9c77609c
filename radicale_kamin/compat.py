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
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Optional

from radicale.app import put as radicale_put

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
        finally:
            _recording.stored = None
        return status, headers, answer, xml_request
    do_PUT.kamin_patched = True
    return do_PUT


def install() -> None:
    """Patch Radicale once per process (idempotent)."""
    part = radicale_put.ApplicationPartPut
    if not getattr(part.do_PUT, "kamin_patched", False):
        part.do_PUT = _answer_put_without_changed_etag(part.do_PUT)
