"""radicale_kamin — the appointment and booking calendar of a chimney-sweep
business, as a plugin for the Radicale CalDAV/CardDAV server.

Load it with ``[storage] type = radicale_kamin.storage`` and
``[web] type = radicale_kamin.web``.
"""

__version__ = "0.1.0"
