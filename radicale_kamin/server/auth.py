"""Radicale's htpasswd authentication, but a malformed ``Authorization:
Basic`` header (no colon, not base64, not text) is answered 401 — asking
for credentials again — instead of Radicale's 500: Radicale splits the
header before any plugin runs, and ``get_external_login`` is the one hook
before that; it drops the header, so Radicale sees a request without
credentials. And when the users file changes (the backend resets a
password), Radicale's cache of successful logins is emptied, so an old
password stops working at once. Configure with ``[auth] type =
radicale_kamin.auth``; every htpasswd option stays as it is."""

from __future__ import annotations

import base64
import binascii

from radicale import httputils
from radicale.auth import htpasswd
from radicale.log import logger

from radicale_kamin.server import compat
from radicale_kamin.server.optionfiles import file_identity


class Auth(htpasswd.Auth):

    def __init__(self, configuration) -> None:
        super().__init__(compat.as_htpasswd(configuration))
        self._users_file = file_identity(configuration.get("auth", "htpasswd_filename"))

    def login(self, login, password, *args, **kwargs):
        """Radicale's login; when the users file changed (a password reset
        in the backend), Radicale's cache of successful logins is emptied
        first, so an old password stops working at once."""
        identity = file_identity(self.configuration.get("auth", "htpasswd_filename"))
        if identity != self._users_file:
            compat.forget_cached_logins(self)
            self._users_file = identity
        return super().login(login, password, *args, **kwargs)

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
