"""The SQLite side index: what the rules and REPORTs need, without parsing
every file on every request.

The ``.ics`` files stay the only source of truth. The index is a cache of
``facts.item_facts`` per file, keyed by the file's (mtime, size) — like an
index keyed by etag, it cannot silently disagree with the file for long:

* every write path of the storage plugin updates it inside Radicale's write
  lock;
* before answering, a calendar whose directory changed (a file added,
  removed or replaced, also from outside Radicale) is compared file by file;
  a few changed files are indexed at once, more (a storage copied in) in
  the background while requests read those files themselves;
* every ``verify_seconds`` a background thread compares all calendars file
  by file, which also catches files edited in place;
* a missing or corrupt index file is rebuilt from the files.

One file, WAL mode, inside the storage folder (``kamin-index.sqlite``).

The index is composed of one mixin per concern, like Radicale's own
storage: ``connection`` (the file and its pooled connections), ``files``
(keeping in step with the files), ``background`` (its thread), ``history``
(what changed since a sync token), ``settlement`` (deadlines a booking
settles), ``contacts`` and ``queries``; ``schema`` has the tables and
``filters`` the CalDAV filters it answers, ``calling`` the calling
options its due periods were computed with, ``office`` the backend's
contact search. State that is no cache —
holds, leases — is in the state store (``server/state.py``), which a
rebuild never touches; the change history is kept across rebuilds.
"""

from __future__ import annotations

import os
import threading
from typing import Callable, Optional

from radicale_kamin.entries.entry import Settings
from radicale_kamin.schedule.calls import CallSettings
from radicale_kamin.server.index.background import Background
from radicale_kamin.server.index.calling import Calling
from radicale_kamin.server.index.connection import Connection
from radicale_kamin.server.index.office import OfficeQueries
from radicale_kamin.server.index.contacts import Contacts
from radicale_kamin.server.index.files import Files, IndexNotReady, Seen  # noqa: F401
from radicale_kamin.server.index.filters import EventQuery, event_query  # noqa: F401
from radicale_kamin.server.index.history import History
from radicale_kamin.server.index.queries import Queries
from radicale_kamin.server.index.schema import INDEX_FILE, SCHEMA_VERSION, etag_of  # noqa: F401
from radicale_kamin.server.index.settlement import Settlement


class SideIndex(Connection, Background, Files, History, Settlement, Contacts, Queries,
                Calling, OfficeQueries):
    """The index of one Radicale storage folder."""

    def __init__(self, folder: str, collection_root: str,
                 settings: Settings = Settings(), verify_seconds: float = 60.0,
                 call_settings: CallSettings = CallSettings()):
        self.path = os.path.join(folder, INDEX_FILE)
        self.root = collection_root
        self.settings = settings
        self.call_settings = call_settings
        # The due periods depend on the calling options, which the office
        # changes at run time: they are recomputed in place
        # (``apply_call_settings``), never a reason to rebuild.
        self.version = SCHEMA_VERSION
        self.verify_seconds = verify_seconds
        # What Radicale makes of a file read from disk (``Seen``: its ETag
        # where it is not the hash of the text, its length, whether it can
        # read it), given (calendar, href, text, stat, plain): the storage
        # plugin sets it.
        self.etag_reader: Optional[Callable[..., Seen]] = None
        # The webhooks' observer (``webhooks/observer.py``): told every row
        # stored and dropped, committed before the index commits.
        self.observer = None
        self._local = threading.local()
