"""Deadlines settled by a booking, decided in the index: a Feuerstättenbescheid
deadline whose building has an appointment in its window is not called
about. Which buildings to decide again is a table (``unsettled``), so a run
cut short is finished by the next query."""

from __future__ import annotations

from typing import Sequence

from radicale_kamin.schedule.due import settled_deadlines
from radicale_kamin.server.index.schema import SETTLEMENT_SQL


class Settlement:
    """A mixin of ``SideIndex``."""

    def _mark_unsettled(self, where: str, parameters: Sequence) -> None:
        """The buildings of the rows ``where`` selects need their
        settlement decided again (they are about to change or go)."""
        self.db.execute(
            "INSERT OR IGNORE INTO unsettled SELECT DISTINCT building FROM items"
            " WHERE building IS NOT NULL AND kind IN %s AND (%s)" % (SETTLEMENT_SQL, where),
            tuple(parameters))

    def settle_pending(self) -> None:
        """Decide, for every building written since the last time, which of
        its deadlines a booking settles (``due.settled_deadlines``), so
        whom to call is one indexed query. The pending buildings are a
        table: a run cut short is finished by the next one."""
        pending = [r[0] for r in self.db.execute("SELECT building FROM unsettled")]
        for first in range(0, len(pending), 500):
            chunk = pending[first:first + 500]
            with self._transaction_unless_open():
                rows = self.db.execute(
                    "SELECT * FROM items INDEXED BY items_building WHERE building IN (%s)"
                    " AND valid AND kind IN %s" % (",".join("?" * len(chunk)), SETTLEMENT_SQL),
                    chunk).fetchall()
                decided = settled_deadlines(rows, self.call_settings)
                self.db.executemany(
                    "UPDATE items SET settled=? WHERE calendar=? AND href=? AND settled != ?",
                    [(int(settled), calendar, href, int(settled))
                     for (calendar, href), settled in decided.items()])
                self.db.executemany("DELETE FROM unsettled WHERE building=?",
                                    [(b,) for b in chunk])