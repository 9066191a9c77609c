"""The web plugin: Radicale's own web page, the plugin's JSON API under
``/.web/kamin/api/`` (the package ``radicale_kamin.api``) and the office
backend's pages under ``/.web/kamin/`` (``api/backend/``).

``[web] type = radicale_kamin.web``.
"""

from __future__ import annotations

from radicale import httputils
from radicale.web import internal

from radicale_kamin.api import PREFIX, Api
from radicale_kamin.api.backend.pages import PAGES, Pages


class Web(internal.Web):
    """Radicale's internal web page; ``/.web/kamin/api/…`` is the JSON API."""

    def __init__(self, configuration) -> None:
        super().__init__(configuration)
        self.api = Api(configuration)
        self.pages = Pages(self.api)

    def get(self, environ, base_prefix, path, user, user_groups, request_info):
        if path.startswith(PREFIX):
            # Radicale answers HEAD with its GET; the API must know it is a
            # HEAD, which never changes anything (no lease is taken).
            method = "HEAD" if environ.get("REQUEST_METHOD", "").upper() == "HEAD" else "GET"
            return self.api.handle(method, environ, path, user, user_groups) + (None,)
        if path.startswith(PAGES) or path == PAGES.rstrip("/"):
            return self.pages.get(environ, base_prefix, path, user, user_groups)
        return super().get(environ, base_prefix, path, user, user_groups, request_info)

    def post(self, environ, base_prefix, path, user, user_groups, request_info):
        if path.startswith(PREFIX):
            return self.api.handle("POST", environ, path, user, user_groups) + (None,)
        if path.startswith(PAGES):
            return self.pages.post(environ, base_prefix, path, user, user_groups)
        return super().post(environ, base_prefix, path, user, user_groups, request_info)

    def put(self, environ, base_prefix, path, user, user_groups, request_info):
        """A PUT below ``/.web/`` (routed here by ``server/compat.py``)."""
        if path.startswith(PREFIX):
            return self.api.handle("PUT", environ, path, user, user_groups) + (None,)
        return httputils.METHOD_NOT_ALLOWED
