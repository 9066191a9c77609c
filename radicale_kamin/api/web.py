"""The web plugin: Radicale's own web page, plus the plugin's JSON API under
``/.web/kamin/api/`` (the package ``radicale_kamin.api``).

``[web] type = radicale_kamin.web``.
"""

from __future__ import annotations

from radicale.web import internal

from radicale_kamin.api import PREFIX, Api


class Web(internal.Web):
    """Radicale's internal web page; ``/.web/kamin/api/…`` is the JSON API."""

    def __init__(self, configuration) -> None:
        super().__init__(configuration)
        self.api = Api(configuration)

    def get(self, environ, base_prefix, path, user, user_groups, request_info):
        if path.startswith(PREFIX):
            # Radicale answers HEAD with its GET; the API must know it is a
            # HEAD, which never changes anything (no lease is taken).
            method = "HEAD" if environ.get("REQUEST_METHOD", "").upper() == "HEAD" else "GET"
            return self.api.handle(method, environ, path, user, user_groups) + (None,)
        return super().get(environ, base_prefix, path, user, user_groups, request_info)

    def post(self, environ, base_prefix, path, user, user_groups, request_info):
        if path.startswith(PREFIX):
            return self.api.handle("POST", environ, path, user, user_groups) + (None,)
        return super().post(environ, base_prefix, path, user, user_groups, request_info)
