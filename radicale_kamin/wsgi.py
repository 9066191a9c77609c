"""WSGI entry for production: Radicale with readable refusals.

``gunicorn 'radicale_kamin.wsgi:application'`` (config from the environment
variable ``RADICALE_CONFIG``, as with Radicale's own ``radicale`` WSGI
entry). Under the plain ``radicale`` command a refused entry gets Radicale's
bare "400 Bad Request" and the reason goes to the log; here the client gets
the reason in the body, e.g. ``X-KAMIN-KIND: unknown kind; allowed: …``.
"""

from __future__ import annotations

import json
from typing import Callable, Iterable, Optional

import radicale

from radicale_kamin import privacy

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]


class ReadableRefusals:
    """Wraps a Radicale ``Application``: a 400 caused by a refused entry
    carries its reason (text, or JSON when the client asks for JSON)."""

    def __init__(self, app: WSGIApp):
        self.app = app

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        privacy.remember_reason(None)
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers, exc_info=exc_info)
            return lambda data: None

        body = self.app(environ, capture)
        reason: Optional[str] = privacy.last_reason()
        privacy.remember_reason(None)
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


def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
    """Entry point for external WSGI servers (gunicorn, uWSGI, mod_wsgi)."""
    return _wrapped(environ, start_response)


_wrapped = ReadableRefusals(radicale.application)
