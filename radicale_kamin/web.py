"""``radicale_kamin.web``: the name Radicale (or a WSGI server) loads; the
code lives in ``radicale_kamin.api.web``."""

from radicale_kamin.api.web import Web  # noqa: F401
