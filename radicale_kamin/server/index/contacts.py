"""Contacts (vCards of the address books) in the side index: found by UID,
building or address, and the entries each one may claim."""

from __future__ import annotations

import logging
import os
import sqlite3
from typing import Iterable, Optional, Sequence

from radicale_kamin.entries.contact import read_contact
from radicale_kamin.server.index.schema import is_item_file

logger = logging.getLogger("radicale")


class Contacts:
    """A mixin of ``SideIndex``."""

    def sync_contacts(self) -> None:
        """Bring the contacts in step with the address books' files (only
        books whose directory changed are read again)."""
        books = self.collections_on_disk("VADDRESSBOOK")
        known = {r[0][len("book:"):]: r[1] for r in self.db.execute(
            "SELECT calendar, dir_mtime_ns FROM calendars WHERE calendar LIKE 'book:%'")}
        for book in set(known) - set(books):
            self.remove_contact(book)
            self.db.execute("DELETE FROM calendars WHERE calendar=?", ("book:" + book,))
        for book in books:
            directory = self._calendar_dir(book)
            mtime = os.stat(directory).st_mtime_ns
            if known.get(book) == mtime:
                continue
            with self.transaction():
                self.remove_contact(book)
                for entry in os.scandir(directory):
                    if not is_item_file(entry):
                        continue
                    try:
                        with open(entry.path, encoding="utf-8", newline="") as f:
                            _, facts, _ = read_contact(f.read(), self.settings.phone_region)
                    except (ValueError, UnicodeDecodeError):
                        logger.warning("Side index: %s/%s is not a readable vCard", book, entry.name)
                        continue
                    self.update_contact(book, entry.name, facts)
                self.db.execute("INSERT OR REPLACE INTO calendars VALUES (?, ?)",
                                ("book:" + book, mtime))

    def update_contact(self, addressbook: str, href: str, facts) -> None:
        self.remove_contact(addressbook, href)
        self.db.execute("INSERT INTO contacts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (addressbook, href, facts.uid, facts.name, facts.phone, facts.phone_type,
                         facts.location, facts.address, "\x1f".join(facts.buildings),
                         facts.address_key))
        self.db.executemany("INSERT INTO contact_buildings VALUES (?, ?, ?)",
                            [(addressbook, href, b) for b in facts.buildings])

    def remove_contact(self, addressbook: str, href: Optional[str] = None) -> None:
        for table in ("contacts", "contact_buildings"):
            if href is None:
                self.db.execute("DELETE FROM %s WHERE addressbook=?" % table, (addressbook,))
            else:
                self.db.execute("DELETE FROM %s WHERE addressbook=? AND href=?" % table,
                                (addressbook, href))

    def find_contact(self, uid: Optional[str], building: Optional[str]) -> Optional[sqlite3.Row]:
        """The contact an entry links to: by its UID, else by the building."""
        if uid:
            row = self.db.execute("SELECT * FROM contacts WHERE uid=? LIMIT 1", (uid,)).fetchone()
            if row is not None:
                return row
        if building:
            return self.db.execute(
                "SELECT c.* FROM contacts c JOIN contact_buildings b USING (addressbook, href)"
                " WHERE b.building=? ORDER BY c.addressbook, c.href LIMIT 1", (building,)).fetchone()
        return None

    def contacts_at(self, address_key: str) -> list[sqlite3.Row]:
        """The contacts at an address (``AddressResult.match_key``)."""
        return self.db.execute("SELECT * FROM contacts WHERE address_key=?"
                               " ORDER BY addressbook, href", (address_key,)).fetchall()

    def unlinked_entries_at(self, address_key: str, kinds: Sequence[str]) -> list[sqlite3.Row]:
        """Entries of ``kinds`` at an address linked to no contact and no
        building: the ones a contact living there may claim."""
        return self.rows("contact IS NULL AND building IS NULL AND address_key=? AND kind IN (%s)"
                         % ",".join("?" * len(kinds)), (address_key, *kinds))

    def linked_entries(self, uid: Optional[str], buildings: Iterable[str]) -> list[sqlite3.Row]:
        buildings = list(buildings)
        where, parameters = [], []
        if uid:
            where.append("contact = ?")
            parameters.append(uid)
        if buildings:
            where.append("(contact IS NULL AND building IN (%s))" % ",".join("?" * len(buildings)))
            parameters.extend(buildings)
        if not where:
            return []
        return self.rows(" OR ".join(where), parameters)