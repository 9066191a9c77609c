"""WSGI entry for production: Radicale with readable refusals and UTF-8 paths.

``kamin serve --config RADICALE_CONFIG`` runs this application on waitress
(docs/production.md). ``radicale_kamin.wsgi:application`` is the same stack
for any other WSGI server, configured from the environment variable
``RADICALE_CONFIG`` as Radicale's own ``radicale`` WSGI entry is.

Under the plain ``radicale`` command a refused entry gets Radicale's bare
"400 Bad Request" and the reason goes to the log; here the client gets the
reason in the body, e.g. ``X-KAMIN-KIND: unknown kind; allowed: …``.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Optional

import radicale

from radicale_kamin.server import compat

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class ReadableRefusals:
    """Wraps a Radicale ``Application``: a 400 caused by a refused entry
    carries its reason (text, or JSON when the client asks for JSON)."""

    def __init__(self, app: WSGIApp):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        compat.take_refusal()
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers, exc_info=exc_info)
            return lambda data: None

        body = self.app(environ, capture)
        reason: Optional[str] = compat.take_refusal()
        if not captured.get("status", "").startswith("400") or not reason:
            start_response(captured["status"], captured["headers"],
                           captured.get("exc_info"))
            return body
        if hasattr(body, "close"):
            body.close()
        if "json" in environ.get("HTTP_ACCEPT", ""):
            content = json.dumps({"error": reason}).encode()
            content_type = "application/json"
        else:
            content = ("Bad Request: %s\n" % reason).encode()
            content_type = "text/plain; charset=utf-8"
        start_response("400 Bad Request", [("Content-Type", content_type),
                                           ("Content-Length", str(len(content)))])
        return [content]


def path_as_text(path: str) -> str:
    """A WSGI path as the text the client meant.

    PEP 3333 servers (waitress, gunicorn, …) hand PATH_INFO as the request's
    bytes decoded as latin-1, so ``/anna/termine/M%C3%BCller.ics`` arrives as
    ``M\\xc3\\xbcller.ics``; Radicale's own server decodes UTF-8 itself
    (``urllib.parse.unquote``), and Radicale takes PATH_INFO as text. Bytes
    that are not UTF-8 stay as the server decoded them; a path that is
    already text (it holds characters beyond latin-1) is left alone.
    """
    try:
        return path.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return path


class Utf8Paths:
    """Wraps a WSGI application that expects text paths (Radicale) for a
    PEP 3333 server: PATH_INFO and SCRIPT_NAME become UTF-8 text."""

    def __init__(self, app: WSGIApp):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        for key in ("PATH_INFO", "SCRIPT_NAME"):
            if key in environ:
                environ[key] = path_as_text(environ[key])
        return self.app(environ, start_response)


def kamin_application(app: WSGIApp) -> WSGIApp:
    """Radicale's ``app`` as the plugin serves it on a PEP 3333 server."""
    return Utf8Paths(ReadableRefusals(app))


def for_configuration(configuration: Any) -> WSGIApp:
    """The application for a loaded Radicale configuration (``kamin serve``)."""
    return kamin_application(radicale.Application(configuration))


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Entry point for external WSGI servers (config from ``RADICALE_CONFIG``)."""
    return _wrapped(environ, start_response)


_wrapped = kamin_application(radicale.application)
