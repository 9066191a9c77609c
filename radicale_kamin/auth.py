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


class _AsHtpasswd:
    """The configuration as Radicale's own htpasswd type sees it: Radicale
    keeps successful logins (``cache_logins``) only for types it knows, and
    without that every request pays a bcrypt check (80 ms here)."""

    def __init__(self, configuration):
        self._configuration = configuration

    def get(self, section, option):
        if (section, option) == ("auth", "type"):
            return "htpasswd"
        return self._configuration.get(section, option)

    def __getattr__(self, name):
        return getattr(self._configuration, name)


class Auth(htpasswd.Auth):

    def __init__(self, configuration) -> None:
        super().__init__(_AsHtpasswd(configuration))

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
