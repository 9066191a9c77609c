"""The web plugin: Radicale's own web page, plus the plugin's JSON API under
``/.web/kamin/`` (issue 4 onwards).

``[web] type = radicale_kamin.web``.
"""

from __future__ import annotations

from radicale.web import internal


class Web(internal.Web):
    """Radicale's internal web page, unchanged so far."""
