"""Cross-site request forgery: browsers send Basic credentials with every
request to the server, also one a foreign page makes them send. So a request
that changes something is refused (403) when

* its ``Origin`` names another host than the request's own (or is
  ``null``), or its ``Sec-Fetch-Site`` says another site sent it;
* it is a **form** — ``application/x-www-form-urlencoded``,
  ``multipart/form-data`` or ``text/plain``, the bodies a foreign page's
  form can send without asking — and carries no valid token of the page:
  the form field ``csrf`` or the header ``X-Kamin-CSRF``.

A token is signed for one user with the state store's secret
(``office.OfficeStore.secret``) and valid for 12 hours; the backend's pages
put it into every form. JSON clients (the assistant, scripts) send
``Content-Type: application/json``, which a foreign page cannot send
without the server's consent (CORS), and need no token.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import urllib.parse
from typing import Optional

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")
TOKEN_SECONDS = 12 * 3600
HEADER = "HTTP_X_KAMIN_CSRF"
DEFAULT_PORTS = {"http": "80", "https": "443"}


def make_token(secret: bytes, user: str, now: Optional[float] = None) -> str:
    issued = int(now if now is not None else time.time())
    return "%d.%s" % (issued, _signature(secret, user, issued))


def _signature(secret: bytes, user: str, issued: int) -> str:
    return hmac.new(secret, ("%s\x00%d" % (user, issued)).encode("utf-8"),
                    hashlib.sha256).hexdigest()[:40]


def token_valid(secret: bytes, user: str, token: Optional[str],
                now: Optional[float] = None) -> bool:
    issued_text, _, signature = (token or "").partition(".")
    if not issued_text.isdigit() or not signature:
        return False
    age = int(now if now is not None else time.time()) - int(issued_text)
    if not -300 <= age <= TOKEN_SECONDS:
        return False
    return hmac.compare_digest(signature, _signature(secret, user, int(issued_text)))


def _netloc(scheme: str, host: str) -> str:
    host = host.strip().lower()
    if ":" in host.rsplit("]", 1)[-1]:
        name, _, port = host.rpartition(":")
        if port == DEFAULT_PORTS.get(scheme):
            return name
    return host


def request_host(environ: dict) -> str:
    """The host (and port) the client addressed: a reverse proxy's
    ``X-Forwarded-Host``, else ``Host``, else the server's name."""
    scheme = environ.get("HTTP_X_FORWARDED_PROTO") or environ.get("wsgi.url_scheme", "http")
    host = (environ.get("HTTP_X_FORWARDED_HOST", "").split(",")[0].strip()
            or environ.get("HTTP_HOST")
            or "%s:%s" % (environ.get("SERVER_NAME", ""), environ.get("SERVER_PORT", "")))
    return _netloc(scheme.split(",")[0].strip(), host)


def cross_site(environ: dict) -> Optional[str]:
    """Why a state-changing request looks sent by another site, or None."""
    site = environ.get("HTTP_SEC_FETCH_SITE")
    if site in ("cross-site", "same-site"):
        return "the request comes from another site (Sec-Fetch-Site: %s)" % site
    origin = environ.get("HTTP_ORIGIN")
    if origin is None:
        return None
    parts = urllib.parse.urlsplit(origin.strip())
    if origin.strip() == "null" or not parts.netloc:
        return "the request comes from a page without an origin (Origin: null)"
    if _netloc(parts.scheme, parts.netloc) != request_host(environ):
        return "the request comes from another origin (%s)" % origin.strip()[:100]
    return None


def is_form(environ: dict) -> bool:
    content_type = (environ.get("CONTENT_TYPE") or "").split(";")[0].strip().lower()
    return content_type in FORM_TYPES
