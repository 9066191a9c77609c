"""Queries of the office backend over the index's contacts: the search of
the *Kontakte* page and one contact by its UID."""

from __future__ import annotations

import re
import sqlite3
from typing import Optional


class OfficeQueries:
    """A mixin of ``SideIndex``."""

    def search_contacts(self, text: str, limit: int = 100) -> list[sqlite3.Row]:
        """Contacts whose name, address, building or phone contains ``text``
        (case-insensitive for ASCII; a phone by its digits, so ``0871 12``
        finds +4987112…)."""
        pattern = "%" + re.sub(r"([\\%_])", r"\\\1", text.strip()) + "%"
        digits = re.sub(r"\D", "", text)
        national = digits[1:] if digits.startswith("0") else digits
        where = ["name LIKE ? ESCAPE '\\'", "location LIKE ? ESCAPE '\\'",
                 "buildings LIKE ? ESCAPE '\\'"]
        parameters: list = [pattern, pattern, pattern]
        if len(national) >= 3:
            where.append("phone LIKE ?")
            parameters.append("%" + national + "%")
        return self.db.execute(
            "SELECT * FROM contacts WHERE %s ORDER BY name COLLATE NOCASE, addressbook, href"
            " LIMIT ?" % " OR ".join(where), (*parameters, limit)).fetchall()

    def contacts_with_uid(self, uid: str, addressbook: Optional[str] = None
                          ) -> list[sqlite3.Row]:
        if addressbook:
            return self.db.execute("SELECT * FROM contacts WHERE uid=? AND addressbook=?",
                                   (uid, addressbook)).fetchall()
        return self.db.execute("SELECT * FROM contacts WHERE uid=? ORDER BY addressbook",
                               (uid,)).fetchall()
