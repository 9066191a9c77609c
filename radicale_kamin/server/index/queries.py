"""Named queries over the side index: REPORT candidates, busy time, whom to
call, the office's lists, a building's entries. Callers never write SQL."""

from __future__ import annotations

import sqlite3
from typing import Iterable, Optional, Sequence

from radicale_kamin.server.index.filters import EventQuery
from radicale_kamin.server.index.schema import FOLDED, PROPERTY_COLUMNS


class Queries:
    """A mixin of ``SideIndex``."""

    def rows(self, where: str = "1", parameters: Iterable = ()) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM items WHERE %s" % where,
                               tuple(parameters)).fetchall()

    def has_uid(self, calendar: str, uid: str) -> bool:
        return self.db.execute("SELECT 1 FROM items WHERE calendar=? AND uid=? LIMIT 1",
                               (calendar, uid)).fetchone() is not None

    def candidates(self, calendar: str, component: Optional[str], start: int, end: int,
                   query: Optional[EventQuery] = None) -> list[sqlite3.Row]:
        """Items that may match a REPORT: a superset of Radicale's prefilter
        (component, time range), narrowed by ``query`` where the index
        knows the item's properties exactly (one VEVENT, ``props_exact``)."""
        # Exact ranges are found on the range index, reaching back by the
        # calendar's longest one; the others (recurring, to-dos) are few.
        span = self.db.execute(
            "SELECT max(range_end - range_start) FROM items WHERE calendar=? AND exact=1",
            (calendar,)).fetchone()[0] or 0
        where = ["calendar=?", "listed", "((exact=1 AND range_start >= ? AND range_start < ?)"
                 " OR (exact=0 AND range_start < ?))", "range_end > ?"]
        parameters: list = [calendar, start - span, end, end, start]
        if component is not None:
            where.append("(component=? OR component IS NULL)")     # NULL: Radicale tells
            parameters.append(component)
        if query is not None:
            condition, values = _query_sql(query)
            where.append("(NOT (vevents = 1 AND props_exact) OR (%s))" % condition)
            parameters += values
        return self.db.execute(
            "SELECT href, exact, recurring, component, range_start, range_end, vevents,"
            " props_exact, etag, mtime_ns, length, size FROM items WHERE "
            + " AND ".join(where), parameters).fetchall()

    def listing(self, calendar: str, hrefs: Optional[Sequence[str]] = None
                ) -> dict[str, tuple]:
        """href → (ETag, component, mtime_ns, length, size) of every item
        Radicale lists (or of those of ``hrefs``): what PROPFIND and
        sync-collection answer."""
        sql = ("SELECT href, etag, component, mtime_ns, length, size FROM items"
               " WHERE calendar=? AND listed")
        if hrefs is None or len(hrefs) > 500:
            return {row[0]: row[1:] for row in self.db.execute(sql, (calendar,))}
        return {row[0]: row[1:] for row in self.db.execute(
            sql + " AND href IN (%s)" % ",".join("?" * len(hrefs)), (calendar, *hrefs))}

    def hrefs_with_uid(self, calendar: str, uid: str) -> list[str]:
        """The items of ``calendar`` Radicale lists with this UID."""
        return [r[0] for r in self.db.execute(
            "SELECT href FROM items WHERE calendar=? AND uid=? AND listed", (calendar, uid))]

    def newest_mtime(self, calendar: str) -> Optional[int]:
        return self.db.execute("SELECT max(mtime_ns) FROM items WHERE calendar=?",
                               (calendar,)).fetchone()[0]

    def due_rows(self, calendars: Sequence[str], moment: int) -> list[sqlite3.Row]:
        """Entries whose due period contains ``moment``, but for deadlines a
        booking settles: found on the due_since index, reaching back by the
        longest due period."""
        self.settle_pending()
        span = self.db.execute("SELECT max(due_until - due_since) FROM items").fetchone()[0] or 0
        return self.db.execute(
            "SELECT * FROM items INDEXED BY items_due WHERE due_since >= ? AND due_since <= ?"
            " AND due_until > ? AND valid AND NOT (kind = 'deadline' AND settled)"
            " AND calendar IN (%s)" % ",".join("?" * len(calendars)),
            (moment - span, moment, moment, *calendars)).fetchall()

    def next_due_since(self, calendars: Sequence[str], moment: int) -> Optional[int]:
        """The first start of a due period after ``moment`` (webhooks: when
        the due list may change next without a write)."""
        if not calendars:
            return None
        return self.db.execute(
            "SELECT min(due_since) FROM items INDEXED BY items_due WHERE due_since > ?"
            " AND calendar IN (%s)" % ",".join("?" * len(calendars)),
            (moment, *calendars)).fetchone()[0]

    def blocking(self, calendar: str, low: int, high: int) -> list[sqlite3.Row]:
        """Entries of ``calendar`` that take time between ``low`` and
        ``high``: single entries overlapping it (found on the start index,
        reaching back by the calendar's longest entry) and every recurring
        one that has begun (its occurrences are for the rules to expand)."""
        span = self.db.execute("SELECT max(end - start) FROM items WHERE calendar=?",
                               (calendar,)).fetchone()[0] or 0
        single = self.db.execute(
            "SELECT * FROM items INDEXED BY items_start WHERE start >= ? AND start < ?"
            " AND calendar = ? AND valid AND blocks AND NOT recurring AND end > ?",
            (low - max(span, 0) - 1, high, calendar, low)).fetchall()
        recurring = self.db.execute(
            "SELECT * FROM items WHERE recurring AND calendar = ? AND valid AND blocks"
            " AND start < ?", (calendar, high)).fetchall()
        return single + recurring

    # --- queries of the JSON API --------------------------------------------
    # Each names what the API asks; the rules (calls.py) decide exactly
    # from the rows, so a query may return a superset.

    def _in_calendars(self, calendars: Sequence[str], where: str,
                      parameters: Sequence = ()) -> list[sqlite3.Row]:
        if not calendars:
            return []
        return self.rows("calendar IN (%s) AND (%s)" % (",".join("?" * len(calendars)), where),
                         (*calendars, *parameters))

    def entry(self, calendar: str, href: str) -> Optional[sqlite3.Row]:
        """The row of one file, or None."""
        return self.db.execute("SELECT * FROM items WHERE calendar=? AND href=?",
                               (calendar, href)).fetchone()

    def entries_with_uid(self, calendars: Sequence[str], uid: str) -> list[sqlite3.Row]:
        """Every row of ``uid`` in ``calendars`` (one per calendar holding it)."""
        return self._in_calendars(calendars, "uid = ?", (uid,))

    def building_entries(self, calendars: Sequence[str], building: str) -> list[sqlite3.Row]:
        """The valid entries of a building (X-KAMIN-BUILDING) in ``calendars``."""
        return self._in_calendars(calendars, "valid AND building = ?", (building,))

    def has_deadline(self, calendars: Sequence[str], building: str) -> bool:
        """Whether a building has a deadline entry in ``calendars``."""
        return bool(self._in_calendars(calendars, "kind = 'deadline' AND building = ?",
                                       (building,)))

    def _listable(self, calendars: Sequence[str], where: str,
                  parameters: Sequence = ()) -> list[sqlite3.Row]:
        """Rows for an office list: valid, dated, and no deadline a booking
        settles (``settle_pending`` decides those first)."""
        self.settle_pending()
        return self._in_calendars(
            calendars, "valid AND start IS NOT NULL AND NOT (kind = 'deadline' AND settled)"
            " AND (%s)" % where, parameters)

    def data_missing_candidates(self, calendars: Sequence[str],
                                orange_states: Sequence[str]) -> list[sqlite3.Row]:
        """Entries that may be on GET data-missing: orange ones, and deadlines
        without phone not yet answered, notified or proven by a Formblatt."""
        return self._listable(
            calendars, "state IN (%s) OR (kind = 'deadline' AND phone IS NULL AND outcome IS NULL"
            " AND notified IS NULL AND formblatt IS NULL)" % ",".join("?" * len(orange_states)),
            tuple(orange_states))

    def follow_up_candidates(self, calendars: Sequence[str], formblatt_before: int,
                             notice_works: Sequence[str]) -> list[sqlite3.Row]:
        """Entries that may be on GET follow-up: rejected, callback, failed
        attempts, deadlines due before ``formblatt_before`` without a
        Formblatt, and unanswered appointments of a work that needs notice."""
        works = ",".join("?" * len(notice_works)) or "NULL"
        return self._listable(
            calendars,
            "kind IN ('internal', 'deadline') AND (outcome IN ('rejected', 'callback')"
            " OR state IN ('rejected', 'callback') OR attempts > 0"
            " OR (kind = 'deadline' AND formblatt IS NULL AND start <= ?)"
            " OR (kind = 'internal' AND outcome IS NULL AND work IN (%s)))" % works,
            (formblatt_before, *notice_works))

def _query_sql(query: EventQuery) -> tuple[str, list]:
    """The SQL condition of ``query`` on an item with one VEVENT whose
    property columns are exact: a column holds its values \x1f-joined,
    and no text a REPORT sends contains \x1f (XML has no such character),
    so "a value contains t" is instr(column, t) > 0."""
    conditions, parameters = [], []
    for test in query.tests:
        column = PROPERTY_COLUMNS[test.name]
        if test.defined is not None:
            conditions.append("%s IS %sNULL" % (column, "NOT " if test.defined else ""))
            continue
        parts = ["%s IS NOT NULL" % column]
        for text in test.texts:
            value = column if text.case_sensitive else "coalesce(%s%s, %s)" % (column, FOLDED,
                                                                              column)
            parts.append("instr(%s, ?) %s 0" % (value, "=" if text.negate else ">"))
            parameters.append(text.text if text.case_sensitive else text.text.lower())
        conditions.append("(%s)" % " AND ".join(parts))
    return " AND ".join(conditions), parameters
