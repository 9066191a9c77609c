"""The calling options the index's due periods were computed with.

Each entry's due period (``schedule.due.due_period``) and each deadline's
settlement depend on the calling options, which the office changes at run
time (``GET/PUT settings``). A change must not rebuild the index inside a
request: the periods are a function of the indexed row and the options, so
they are recomputed in place, in one transaction, and the options' digest
is noted in ``meta`` — every process that meets other options (a change in
another process, a restart with another config file) finds out with one
look-up and recomputes only if no one has yet. Measured at 3,500
buildings in docs/backend.md.
"""

from __future__ import annotations

import hashlib
import logging
import time

from radicale_kamin.schedule.calls import CallSettings
from radicale_kamin.schedule.due import due_period
from radicale_kamin.server.index.schema import SETTLEMENT_SQL

logger = logging.getLogger("radicale")
DUE_KINDS = ("internal", "deadline")       # the only rows with a due period


def calling_digest(settings: CallSettings) -> str:
    return hashlib.sha256(repr(settings).encode()).hexdigest()[:16]


class Calling:
    """A mixin of ``SideIndex``."""

    def apply_call_settings(self, settings: CallSettings) -> int:
        """Use ``settings`` from now on; recompute the stored due periods
        and settlements if they were computed with other options. Returns
        the rows recomputed (0 when they were right)."""
        digest = calling_digest(settings)
        self.call_settings = settings
        if getattr(self, "_calling_digest", None) == digest:
            return 0
        began = time.perf_counter()
        with self.transaction() as db:
            row = db.execute("SELECT value FROM meta WHERE key='calling'").fetchone()
            if row is not None and row[0] == digest:
                count = 0
            else:
                count = self._recompute_due_periods(db, settings)
                db.execute("INSERT OR REPLACE INTO meta VALUES ('calling', ?)", (digest,))
        self.settle_pending()
        self._calling_digest = digest
        if count:
            logger.info("Side index: due periods of %d entries recomputed for the calling "
                        "options in %.2f s", count, time.perf_counter() - began)
        return count

    def _recompute_due_periods(self, db, settings: CallSettings) -> int:
        rows = db.execute("SELECT * FROM items WHERE valid AND kind IN ('internal', 'deadline')"
                          ).fetchall()
        db.executemany(
            "UPDATE items SET due_since=?, due_until=? WHERE calendar=? AND href=?",
            [(*due_period(row, settings), row["calendar"], row["href"]) for row in rows])
        # Whether a booking settles a deadline depends on the options too.
        db.execute("INSERT OR IGNORE INTO unsettled SELECT DISTINCT building FROM items"
                   " WHERE building IS NOT NULL AND kind IN %s" % SETTLEMENT_SQL)
        return len(rows)
