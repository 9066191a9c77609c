"""What imports wrote, by record key: so that a re-import can tell an item
the office deleted from one never imported.

The items themselves carry what was last imported (``X-KAMIN-IMPORT``), but
a deleted item carries nothing any more. Without this ledger the next import
of the district program's file would bring back every appointment and
contact the office had deleted. It lives in the state store because no index
rebuild may forget it.
"""

from __future__ import annotations

from typing import Iterable

from radicale_kamin.server.state import StateStore, register_schema

register_schema("imports", (
    """
    CREATE TABLE imported (
        kind TEXT NOT NULL,               -- Kontakt, Termin
        key TEXT NOT NULL,                -- a record key's digest (importing.mark.key_digest)
        source TEXT NOT NULL,             -- digest of what the source said (importing.run)
        PRIMARY KEY (kind, key)
    );
    """,
))


class ImportLedger:

    def __init__(self, state: StateStore):
        self.state = state

    def sources(self, kind: str, keys: Iterable[str]) -> set[str]:
        """The source digests last imported under any of ``keys``."""
        keys = list(keys)
        if not keys:
            return set()
        with self.state.connection() as db:
            rows = db.execute("SELECT source FROM imported WHERE kind=? AND key IN (%s)"
                              % ",".join("?" * len(keys)), (kind, *keys)).fetchall()
        return {row[0] for row in rows}

    def note(self, rows: Iterable[tuple[str, str, str]]) -> None:
        """Record (kind, key, source digest) for items an import has written or found unchanged."""
        rows = list(rows)
        if rows:
            with self.state.transaction() as db:
                db.executemany("INSERT OR REPLACE INTO imported VALUES (?, ?, ?)", rows)
