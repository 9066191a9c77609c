"""Radicale's htpasswd authentication, but a malformed ``Authorization:
Basic`` header (no colon, not base64, not text) is answered 401 — asking
for credentials again — instead of Radicale's 500: Radicale splits the
header before any plugin runs, and ``get_external_login`` is the one hook
before that; it drops the header, so Radicale sees a request without
credentials. Configure with ``[auth] type = radicale_kamin.auth``; every
htpasswd option stays as it is."""

from __future__ import annotations

import base64
import binascii

from radicale import httputils
from radicale.auth import htpasswd
from radicale.log import logger

from radicale_kamin.server import compat


class Auth(htpasswd.Auth):

    def __init__(self, configuration) -> None:
        super().__init__(compat.as_htpasswd(configuration))

    def get_external_login(self, environ):
        found = super().get_external_login(environ)
        header = environ.get("HTTP_AUTHORIZATION", "")
        if found or not header.startswith("Basic"):
            return found
        try:
            # The same steps as radicale.app's, which raise on bad input.
            text = httputils.decode_request(self.configuration, environ, base64.b64decode(
                header[len("Basic"):].strip().encode("ascii")))
            malformed = ":" not in text
        except (ValueError, binascii.Error, UnicodeError):
            malformed = True
        if malformed:
            logger.info("Malformed Basic authorization header: treated as no credentials")
            del environ["HTTP_AUTHORIZATION"]
        return found
