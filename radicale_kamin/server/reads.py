"""How a calendar answers reads from the side index instead of every file.

Radicale reads every item of a calendar — a file, a cache file, for
filtering often a vobject parse — to answer what staff devices ask on
every poll and the assistant on every search. For a calendar collection
of the storage plugin:

* REPORT (calendar-query): candidates from the index; a time range and the
  entry's own properties (``index.filters``) are decided there, so Radicale
  parses no candidate the index can judge (``get_filtered``);
* the UID check of every PUT: one indexed query (``has_uid``);
* PROPFIND Depth 1 and sync-collection: the items' hrefs, ETags, content
  types, lengths and dates from the index, rendered through one template
  item (``server/listing.py``; ``listing``, ``sync``, ``get_multi``); the
  change history behind sync tokens is the index's (``index/history.py``),
  so Radicale's history files are neither written nor scanned on a write;
* the collection's ETag (CTag) and last change from the index.

The answers are Radicale's own, item for item. While a calendar is indexed
in the background (a storage copied in), the files the index does not yet
know are read the ordinary way and the rest comes from the index
(``SideIndex.stale``). Address books are answered by Radicale.
"""

from __future__ import annotations

import itertools
import os
from typing import Iterable, Iterator, Optional, Sequence

import radicale.item as radicale_item
from radicale import pathutils
from radicale.log import logger

from radicale_kamin.entries.facts import plain_item
from radicale_kamin.server import compat
from radicale_kamin.server.index import SideIndex, event_query
from radicale_kamin.server.listing import Listed, http_date


class IndexedReads(compat.CollectionBase):
    """The read side of the plugin's collection (a mixin of
    ``storage.Collection``)."""

    @property
    def _index(self) -> SideIndex:
        return self.storage.index

    def _is_calendar(self) -> bool:
        return self.tag == "VCALENDAR"

    def keeps_own_history(self) -> bool:
        return self._is_calendar()

    def read_uncached(self, href: str, key: str):
        """A plain entry (``facts.plain_item``) Radicale's cache lacks is read
        without vobject (5 ms an entry: a storage copied in or a lost cache
        would make the first REPORTs take seconds) and cached as Radicale
        caches it, with the file's own text and its hash as ETag — which the
        index learns, should it still know the ETag of a lost cache entry."""
        if not self._is_calendar():
            return None
        try:
            raw, stat, text = self._file(href)
        except (OSError, UnicodeDecodeError):
            return None
        plain = plain_item(text) if self.cache_key(raw, stat) == key else None
        if plain is None:
            return None         # replaced meanwhile, or for vobject to read
        uid, component, time_range = plain
        item = radicale_item.Item(collection=self, href=href, text=text, uid=uid,
                                  name="VCALENDAR", component_name=component,
                                  time_range=time_range)
        self._index.note_etag(self.path, href, stat, item.etag)
        try:
            return self.write_cached(href, item, key)
        except OSError as e:
            logger.warning("Item cache of %r in %r not written: %s", href, self.path, e)
            return self.cache_content(item)

    def item_cached(self, href: str, etag: str) -> None:
        """Radicale read a file its cache lacked with vobject: if that gave
        another ETag than the index knows (Radicale's cache of an entry the
        plugin wrote was lost, and vobject writes it otherwise), the index
        takes Radicale's, and clients learn of the change."""
        if self._is_calendar():
            try:
                stat = os.stat(os.path.join(self.folder, href))
            except FileNotFoundError:
                return
            self._index.note_etag(self.path, href, stat, etag)

    def has_uid(self, uid: str) -> bool:
        if not self._is_calendar():
            return super().has_uid(uid)
        stale = set(self._index.stale(self.path))
        if any(href not in stale for href in self._index.hrefs_with_uid(self.path, uid)):
            return True
        return any(item.uid == uid for item in self._read(stale))

    def get_filtered(self, filters):
        """Candidates from the index instead of every file: a superset of
        Radicale's own prefilter (component, time range), narrowed by the
        entry's own properties where the REPORT asks only for those
        (``index.event_query``). Radicale applies the full filter to every
        candidate not flagged as matched — and parses it for that, 5 ms an
        entry — so candidates the index judges exactly are flagged: a plain
        time range on a single event, or property tests (after a time
        range) on an item whose properties the index knows exactly."""
        if not self._is_calendar():
            yield from super().get_filtered(filters)
            return
        filters = list(filters)
        tag, start, end, simple = compat.simplify_prefilters(filters, self.tag)
        query = event_query(filters)
        stale = set(self._index.stale(self.path))
        plan = compat.listing_plan()
        template = plan is not None and plan.query_template()
        limit = self.storage.max_resource_size      # get_all skips larger files
        judged = []
        for row in self._index.candidates(self.path, tag, start, end, query):
            if row["href"] in stale or row["size"] > limit:
                continue
            if query is not None:
                matched = bool(row["vevents"] == 1 and row["props_exact"]
                               and (not query.timed or row["exact"]))
            else:
                matched = simple and _prefilter_decides(row, start, end)
            if matched and template:
                judged.append(Listed(row["href"], row["etag"], row["component"] or "",
                                     http_date(row["mtime_ns"]), row["length"], row["size"]))
                continue
            item = self.stored(row["href"])
            if item is not None:
                yield item, matched
        yield from compat.prefiltered(self._read(sorted(stale)), tag, start, end, simple)
        if judged:
            plan.use(judged)
            yield plan.template(self), True

    def _read(self, hrefs: Iterable[str]) -> Iterator[radicale_item.Item]:
        """Items from files the index does not know yet."""
        for href in hrefs:
            item = self._item_from_file(href)
            if item is not None:
                yield item

    def _file(self, href: str) -> tuple[bytes, os.stat_result, str]:
        """The item file's bytes, their stat (one open: they belong
        together for Radicale's cache key) and its text."""
        with open(os.path.join(self.folder, href), "rb") as f:
            raw = f.read()
            stat = os.fstat(f.fileno())
        return raw, stat, raw.decode(self.encoding)

    def _item_from_file(self, href: str) -> Optional[radicale_item.Item]:
        """The item Radicale would read from this file, read as the index
        reads it (its cache entry, else a plain entry as it is, else
        vobject) and without writing Radicale's cache: while a copied-in
        storage is indexed, requests read many files once."""
        try:
            raw, stat, text = self._file(href)
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError):
            return self.stored(href)
        modified = http_date(stat.st_mtime_ns)
        cached = self.cached(href, self.cache_key(raw, stat))
        if cached is not None:
            return radicale_item.Item(
                collection=self, href=href, last_modified=modified, etag=cached.etag,
                text=cached.text, uid=cached.uid, name=cached.name,
                component_name=cached.tag, time_range=(cached.start, cached.end))
        plain = plain_item(text)
        if plain is None:
            return self.stored(href)
        uid, component, time_range = plain
        return radicale_item.Item(collection=self, href=href, last_modified=modified, text=text,
                                  uid=uid, name="VCALENDAR", component_name=component,
                                  time_range=time_range)

    # --- listings ---------------------------------------------------------------

    def listing(self) -> Optional[list[Listed]]:
        """Every item as Radicale lists it (PROPFIND Depth 1), in its
        order; None when the folder holds collections too (Radicale
        answers then). Kept for the request (the collection's ETag is
        made of it too)."""
        cached = getattr(self, "_kamin_listing", False)
        if cached is False:
            names = self.item_names()
            cached = self._kamin_listing = self._listed(names) if names is not None else None
        return cached

    def _listed(self, names: Sequence[str], every: bool = True) -> list[Listed]:
        """``names`` as listed items: those that exist and Radicale can read
        (``every``: ``names`` are all items, else a few)."""
        stale = set(self._index.stale(self.path))
        rows = self._index.listing(self.path, None if every else names)
        found = []
        for name in names:
            row = rows.get(name) if name not in stale else None
            if row is None:
                listed = self._listed_from_file(name)
                if listed is not None:
                    found.append(listed)
                continue
            etag, component, mtime_ns, length, size = row
            found.append(Listed(name, etag, component or "", http_date(mtime_ns), length, size))
        return found



    def _listed_from_file(self, name: str) -> Optional[Listed]:
        item = self._item_from_file(name)
        if item is None:
            return None
        size = os.stat(os.path.join(self.folder, name)).st_size
        return Listed(name, item.etag, item.component_name or "", item.last_modified,
                      len(item.serialize().encode(self.encoding)), size)

    def sync(self, old_token: str = ""):
        """The token and the changes since ``old_token`` from the index's
        history; in a sync-collection REPORT, the changed items are handed
        to Radicale as one template (``compat.ListingPlan``)."""
        if not self._is_calendar():
            return super().sync(old_token)
        stale = self._index.stale(self.path)
        token, names = self._index.changes(self.path, old_token)
        plan = compat.listing_plan()
        if plan is None or not plan.sync_template():
            return token, _unique(itertools.chain(names, stale))
        names = list(_unique(itertools.chain(names, stale)))
        limit = self.storage.max_resource_size      # get_multi skips larger files
        present = [item for item in self._listed(names, every=False) if item.size <= limit]
        listed = {item.href for item in present}
        missing = [name for name in names if name not in listed
                   and not os.path.lexists(os.path.join(self.folder, name))]
        return token, plan.use(present, missing)

    def get_multi(self, hrefs):
        plan = compat.listing_plan()
        if plan is not None and plan.present is not None and self._is_calendar():
            yield from plan.templates(self, hrefs)
            return
        yield from super().get_multi(hrefs)

    @property
    def etag(self) -> str:
        """Radicale's ETag of the collection (its CTag): of every item
        ``get_all`` reads, in its order, and of the properties."""
        items = self.listing()
        if not self._is_calendar() or items is None:
            return super().etag
        limit = self.storage.max_resource_size
        return compat.collection_etag(((item.href, item.etag) for item in items
                                       if item.size <= limit), self.get_meta())

    @property
    def last_modified(self) -> str:
        """The newest of the folder, its properties and its files."""
        if not self._is_calendar() or self._index.stale(self.path):
            return super().last_modified
        times = [os.stat(self.folder).st_mtime_ns, self._index.newest_mtime(self.path)]
        if os.path.exists(self.props_file):
            times.append(os.stat(self.props_file).st_mtime_ns)
        return http_date(max(t for t in times if t is not None))


def _unique(names: Iterable[str]) -> Iterator[str]:
    seen: set[str] = set()
    for name in names:
        if name not in seen:
            seen.add(name)
            yield name


def _prefilter_decides(row, start: int, end: int) -> bool:
    """Radicale's own rule for a simple filter (``BaseCollection.get_filtered``):
    the prefilter decides when the item's range starts after ``start`` or
    ends before ``end`` — always so without a time range, whatever the
    item's range. Recurring items have no exact range in the index; flagging
    them anyway where Radicale would matters: Radicale's expand copies an
    item shallowly for each property it serves, so an item parsed for
    filtering first shares one vobject tree between the copies and the
    second expansion fails (400/500 for ``getetag`` plus expanded data)."""
    if start <= compat.TIMESTAMP_MIN or end >= compat.TIMESTAMP_MAX:
        return True
    return bool(row["exact"] and (start <= row["range_start"] or row["range_end"] <= end))


class IndexedDiscovery(compat.StorageBase):
    """The storage's side (a mixin of ``storage.Storage``): a PROPFIND
    Depth 1 on a calendar hands Radicale the collection and one template
    item for all of its items."""

    lists_from_index = True

    def discover(self, path: str, depth: str = "0", child_context_manager=None,
                 user_groups: Iterable[str] = frozenset()):
        plan = compat.listing_plan()
        collection = None
        if plan is not None and plan.method == "PROPFIND" and depth != "0" \
                and child_context_manager is None and not user_groups:
            collection = self._calendar_at(path)
        if collection is None:
            yield from super().discover(path, depth, child_context_manager, user_groups)
            return
        listed = collection.listing()
        if listed is None:
            yield from super().discover(path, depth, child_context_manager, user_groups)
            return
        yield collection
        plan.use(listed)
        yield plan.template(collection)

    def _calendar_at(self, path: str):
        sane_path = pathutils.strip_path(path)
        try:
            folder = self.folder_of(sane_path)
        except ValueError:
            return None
        if not sane_path or not os.path.isdir(folder):
            return None
        collection = self.collection_at(sane_path)
        return collection if collection.tag == "VCALENDAR" else None
