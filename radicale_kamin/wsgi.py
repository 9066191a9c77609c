"""``radicale_kamin.wsgi``: the name Radicale (or a WSGI server) loads; the
code lives in ``radicale_kamin.server.wsgi``."""

from radicale_kamin.server.wsgi import application  # noqa: F401
