"""Radicale's ``from_file`` rights, read again when the file changes.

``[rights] type = radicale_kamin.rights``; every ``from_file`` option stays
as it is. Radicale reads its rights file once at start-up; the office
changes who sees which calendar while the server runs, and every server
process must apply the change on its next request — CalDAV and the JSON API
alike, since both ask this object. A broken edit is refused with one log
line and the last good rules stay in force (a typo must not lock everybody
out, nor open everything).
"""

from __future__ import annotations

from radicale.log import logger
from radicale.rights import from_file

from radicale_kamin.server.compat import RightsBase
from radicale_kamin.server.optionfiles import Identity, file_identity


class Rights(RightsBase):

    def __init__(self, configuration) -> None:
        self._seen: Identity = file_identity(configuration.get("rights", "file"))
        super().__init__(configuration)

    def _reload_if_changed(self) -> None:
        identity = file_identity(self.rights_file)
        if identity == self._seen:
            return
        self._seen = identity
        try:
            fresh = from_file.Rights(self.configuration)
        except RuntimeError as e:
            logger.error("[rights] file: %s — the last good rules stay in force", str(e))
            return
        self.adopt_rules(fresh)
        logger.info("[rights] file: %s changed, read again", self.rights_file)

    def authorization(self, user: str, user_groups: set, path: str) -> str:
        self._reload_if_changed()
        return super().authorization(user, user_groups, path)
