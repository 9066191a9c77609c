"""The shell of ``kamin import``: readers' records → contacts and entries in
Radicale's storage, with a verdict per record.

1. **Find** what earlier imports wrote: every item of the target address
   book and of the calendars entries may live in (the given one and the
   staff calendars — an entry may have been moved) is looked at once for its
   UID and the keys in its ``X-KAMIN-IMPORT`` line (``importing.mark``).
2. **Plan** (pure, ``plan``): per record the contact and the entry the source
   stands for ("fresh" texts, ``importing.build``), addressed to the item an
   earlier import made — found by UID or by any of the record's keys, so a
   changed column mapping finds it too — or to a new one.
3. **Write** through the storage plugin (``Storage.bulk_write``), in batches
   under Radicale's write lock; inside the lock each item is merged with its
   current stored text (``importing.merge``: the source's changes in, the
   server's changes kept, conflicts reported), derived like a client's write,
   and stamped with what was stored. An unchanged record is not written.
4. **Remember** per record key what the source said (a digest, in the
   storage's import ledger), so that the next import leaves an item the
   office deleted deleted — unless the source changed that record since.

An import interrupted midway leaves whole files; running it again completes
it without duplicates.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

from radicale_kamin.entries import profile
from radicale_kamin.address.verdict import AddressResult, REASON_TEXTS, normalise
from radicale_kamin.entries.contact import normalise_contact
from radicale_kamin.importing import build, merge
from radicale_kamin.importing.mark import identity, key_digest
from radicale_kamin.importing.records import ImportRecord, ReadResult

BATCH = 500
Progress = Callable[[int, int], None]


def uid_for(prefix: str, source_id: str) -> str:
    """A stable UID (and file name) for a source id: readable, unique."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", source_id).strip("-")[:48]
    digest = hashlib.sha1(source_id.encode("utf-8")).hexdigest()[:10]
    return "kamin-%s-%s-%s" % (prefix, slug, digest)


@dataclass
class RecordResult:
    source_id: str
    line: str
    kind: str                       # contact, imported, deadline
    verdict: str
    reasons: list[str]
    customer: Optional[str]
    building: Optional[str]
    uid: str
    target: str                     # the calendar or address book
    written: Optional[str] = None   # created, updated, unchanged, deleted (a dry run: what would happen)
    changed: list[str] = field(default_factory=list)       # what the source changed and was taken
    conflicts: list[dict] = field(default_factory=list)    # what both changed; the server's value kept
    kept_lines: int = 0             # note lines the source removed, kept on the server

    def as_json(self) -> dict:
        return {"source_id": self.source_id, "line": self.line, "kind": self.kind,
                "verdict": self.verdict, "reasons": self.reasons,
                "reasons_de": [REASON_TEXTS.get(r, r) for r in self.reasons],
                "customer": self.customer, "building": self.building, "uid": self.uid,
                "target": self.target, "written": self.written, "changed": self.changed,
                "conflicts": self.conflicts, "kept_lines": self.kept_lines}


@dataclass
class ImportReport:
    file: str
    format: str
    dry_run: bool
    notes: list[str]
    records: list[RecordResult] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    written: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0,
                                                             "deleted": 0})

    def counts(self) -> dict[str, int]:
        counts = {"green": 0, "orange": 0, "red": 0}
        for record in self.records:
            counts[record.verdict] += 1
        return counts

    def conflicts(self) -> list[tuple[RecordResult, dict]]:
        return [(record, conflict) for record in self.records for conflict in record.conflicts]

    def as_json(self) -> dict:
        return {"file": self.file, "format": self.format, "dry_run": self.dry_run,
                "notes": self.notes, "counts": self.counts(), "written": self.written,
                "conflicts": len(self.conflicts()),
                "skipped": self.skipped, "records": [r.as_json() for r in self.records]}


# --- what earlier imports wrote ----------------------------------------------------------------------

@dataclass
class Found:
    """The items of the searched collections by UID and by the key digests of their marks."""

    by_uid: dict[str, tuple[str, str]] = field(default_factory=dict)      # uid → (collection, href)
    by_key: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # key digest → (collection, href, uid)
    texts: dict[tuple[str, str], str] = field(default_factory=dict)      # kept for dry runs only

    def add(self, collection: str, href: str, text: str, keep_text: bool = False) -> None:
        uid, keys = identity(text)
        if uid:
            self.by_uid.setdefault(uid, (collection, href))
            for key in keys:
                self.by_key.setdefault(key, (collection, href, uid))
        if keep_text:
            self.texts[(collection, href)] = text

    def find(self, uid: str, keys: Iterable[str]) -> Optional[tuple[str, str, str]]:
        """(collection, href, UID) of the item with ``uid``, else of one whose mark has a key."""
        if uid in self.by_uid:
            return (*self.by_uid[uid], uid)
        for key in keys:
            hit = self.by_key.get(key_digest(key))
            if hit is not None:
                return hit
        return None


def scan(store, paths: Iterable[str], keep_texts: bool = False) -> Found:
    """Every item of the collections at ``paths`` that exist (call under a read lock)."""
    found = Found()
    for path in paths:
        collection = next(iter(store.discover("/%s/" % path)), None)
        if collection is None or collection.tag not in ("VCALENDAR", "VADDRESSBOOK"):
            continue
        for item in collection.get_all():
            found.add(path, item.href, item.serialize(), keep_texts)
    return found


# --- the plan ----------------------------------------------------------------------------------------

@dataclass
class Item:
    """One contact or entry to write: where, the fresh text, and the report rows it answers for."""

    target: str                     # collection (sane path)
    href: str
    fresh: str
    source: merge.Import
    exists: bool                    # an earlier import's item was found
    label: str                      # "Kontakt" / "Termin", for the report
    said: str                       # digest of what the source says (``record_digest``)
    rows: list[RecordResult] = field(default_factory=list)

    def ledger_keys(self) -> list[str]:
        return [key_digest(key) for key in self.source.keys]


def record_digest(record: ImportRecord, of_contact: bool = False) -> str:
    """What the source says of a record (``of_contact``: of its customer, not
    of its appointment) — its content, not the keys that find it, nor where
    in the file it stands: the same record read again gives the same digest."""
    said = dataclasses.asdict(record)
    for key in ("line", "source_id", "aliases") + (("entry",) if of_contact else ()):
        del said[key]
    text = json.dumps(said, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def resolve(found: Found, wanted: dict) -> dict:
    """(collection, href, UID) of the earlier item for each wanted ``(uid, keys)``, or None.

    Two records never get one item, and an exact UID wins over a key: every
    UID is matched first, then what is left is looked up by the keys (the
    row of a remapped export), so one record's key cannot take the item
    another record owns by its UID.
    """
    hits: dict = {}
    taken: set[tuple[str, str]] = set()
    for name, (uid, _keys) in wanted.items():
        hit = found.find(uid, ())
        if hit is not None and hit[:2] not in taken:
            hits[name] = hit
            taken.add(hit[:2])
    for name, (uid, keys) in wanted.items():
        if name in hits:
            continue
        hit = next((h for h in (found.find("", (key,)) for key in keys) if h and h[:2] not in taken), None)
        hits[name] = hit
        if hit is not None:
            taken.add(hit[:2])
    return hits


@dataclass
class _Planned:
    """What ``plan`` has built so far."""

    rows: dict[int, RecordResult] = field(default_factory=dict)      # by id() of the record
    contacts: dict[str, Item] = field(default_factory=dict)          # by contact key
    contact_of: dict[int, str] = field(default_factory=dict)         # record → its contact's UID
    by_building: dict[str, str] = field(default_factory=dict)        # building → contact UID
    entries: list[Item] = field(default_factory=list)


def plan(result: ReadResult, calendar: str, addressbook: str, now: dt.datetime, source: str,
         staff_calendars: dict[str, str], region: str = "DE", cards: Optional[Found] = None,
         entries: Optional[Found] = None) -> tuple[list[RecordResult], list[Item]]:
    """The report rows and the items to write (contacts first: entries link to them)."""
    judged = {id(record): normalise(record.address, region) for record in result.records}
    planned = _Planned()
    _plan_contacts(planned, result.records, judged, addressbook, now, source, cards or Found())
    _plan_entries(planned, result.records, judged, calendar, staff_calendars, now, source, entries or Found())
    rows = [planned.rows[id(record)] for record in result.records if id(record) in planned.rows]
    return rows, list(planned.contacts.values()) + planned.entries


def _plan_contacts(planned: _Planned, records: list[ImportRecord], judged: dict[int, AddressResult],
                   addressbook: str, now: dt.datetime, source: str, found: Found) -> None:
    """One contact per building (else per record), written from its last row that names someone
    or has a phone or street; its keys are its own and those of all its rows."""
    groups = _contact_groups(records)
    writers = {key: next((r for r in reversed(members) if _wants_contact(r, judged[id(r)])), None)
               for key, members in groups.items()}
    keys = {key: (key, *(k for r in groups[key] for k in (r.source_id, *r.aliases)))
            for key, writer in writers.items() if writer is not None}
    hits = resolve(found, {key: (uid_for("c", key), keys[key]) for key in keys})
    for key, members in groups.items():
        writer, uid = writers[key], uid_for("c", key)
        if writer is not None:
            target, href, uid = hits[key] or (addressbook, uid + ".vcf", uid)
            planned.contacts[key] = Item(target, href, build.contact_text(writer, judged[id(writer)], uid),
                                         merge.Import(now, source, writer.line, keys[key]),
                                         hits[key] is not None, "Kontakt", record_digest(writer, of_contact=True))
            planned.contact_of.update((id(member), uid) for member in members)
            if writer.building:
                planned.by_building[writer.building] = uid
        for member in (m for m in members if m.entry is None):
            row = planned.rows[id(member)] = _row(member, judged[id(member)], "contact", uid, addressbook)
            if writer is not None:
                planned.contacts[key].rows.append(row)


def _plan_entries(planned: _Planned, records: list[ImportRecord], judged: dict[int, AddressResult],
                  calendar: str, staff_calendars: dict[str, str], now: dt.datetime, source: str,
                  found: Found) -> None:
    """One entry per record with a date: where an earlier import's entry is now, else in the
    employee's calendar, else in ``calendar``; linked to its contact."""
    with_entries = [record for record in records if record.entry is not None]
    keys = {id(record): (record.source_id, *record.aliases) for record in with_entries}
    hits = resolve(found, {id(r): (uid_for("e", r.source_id), keys[id(r)]) for r in with_entries})
    for record in with_entries:
        uid = uid_for("e", record.source_id)
        target, href, uid = hits[id(record)] or (
            staff_calendar(record.entry.staff, staff_calendars) or calendar, uid + ".ics", uid)
        contact_uid = planned.contact_of.get(id(record)) or planned.by_building.get(record.building or "")
        row = planned.rows[id(record)] = _row(record, judged[id(record)], record.entry.kind, uid, target)
        planned.entries.append(Item(target, href, build.entry_text(record, judged[id(record)], uid, contact_uid,
                                                                   now),
                                    merge.Import(now, source, record.line, keys[id(record)]),
                                    hits[id(record)] is not None, "Termin", record_digest(record), [row]))
        if record.entry.kind != "deadline" and _contact_key(record) in planned.contacts:
            planned.contacts[_contact_key(record)].rows.append(row)


def _contact_key(record: ImportRecord) -> str:
    return ("building:" + record.building) if record.building else record.source_id


def _contact_groups(records: list[ImportRecord]) -> dict[str, list[ImportRecord]]:
    """Records by the contact they describe: one per building, else one per record. ZIV
    deadlines describe no contact of their own (their building's contact is read too)."""
    groups: dict[str, list[ImportRecord]] = {}
    for record in records:
        if record.entry is None or record.entry.kind != "deadline":
            groups.setdefault(_contact_key(record), []).append(record)
    return groups


def _wants_contact(record: ImportRecord, judged: AddressResult) -> bool:
    return bool(record.customer or judged.phone_e164 or judged.street)


def _row(record: ImportRecord, judged: AddressResult, kind: str, uid: str, target: str) -> RecordResult:
    return RecordResult(record.source_id, record.line, kind, judged.verdict, [r.code for r in judged.reasons],
                        record.customer, record.building, uid, "/%s/" % target)


def staff_calendar(staff: Optional[str], calendars: dict[str, str]) -> Optional[str]:
    """The calendar of an employee named by the source ("Anna Berger"): by
    the whole name (user or a name from kamin_staff_names), else by its first
    word (the user name is usually the first name)."""
    if not staff:
        return None
    name = " ".join(staff.split()).casefold()
    return calendars.get(name) or calendars.get(name.split(" ")[0])


# --- writing -----------------------------------------------------------------------------------------

def run(store, result: ReadResult, file: str, calendar: str, addressbook: str,
        dry_run: bool, now: dt.datetime, staff_calendars: dict[str, str],
        progress: Optional[Progress] = None) -> ImportReport:
    """Import ``result`` into ``calendar`` (sane path) and ``addressbook``."""
    with store.acquire_lock("r", "kamin-import"):
        cards = scan(store, [addressbook], keep_texts=dry_run)
        entries = scan(store, sorted({calendar, *staff_calendars.values()}), keep_texts=dry_run)
    rows, items = plan(result, calendar, addressbook, now, file, staff_calendars,
                       store.settings.phone_region, cards, entries)
    report = ImportReport(file=file, format=result.format, dry_run=dry_run,
                          notes=list(result.notes), records=rows,
                          skipped=[{"line": s.line, "reason": s.reason} for s in result.skipped])
    derived = _deriver(store)
    items = _without_deleted(report, items, store.imported)
    if dry_run:
        _try(report, items, cards, entries, derived)
        return report
    done = 0
    for target, tag, group in _targets(items):
        for start in range(0, len(group), BATCH):
            batch = group[start:start + BATCH]
            stored = _write_batch(store, target, tag, batch, derived, report)
            store.imported.note((item.label, key, item.said) for item in stored
                                for key in item.ledger_keys())
            done += len(batch)
            if progress:
                progress(done, len(items))
    store.announce("import.finished", finished_event(report, calendar, addressbook),
                   "import:" + calendar, calendar)
    return report


def finished_event(report: ImportReport, calendar: str, addressbook: str) -> dict:
    """The data of the ``import.finished`` webhook: what ran and its counts."""
    return {"file": report.file, "format": report.format, "calendar": "/%s/" % calendar,
            "addressbook": "/%s/" % addressbook, "records": len(report.records),
            "counts": report.counts(), "written": dict(report.written),
            "skipped": len(report.skipped), "conflicts": len(report.conflicts())}


def _without_deleted(report: ImportReport, items: list[Item], ledger) -> list[Item]:
    """The items to write: an item an earlier import wrote and that is gone
    now was deleted on the server — left deleted while the source still says
    what it said then, created again (and said so) when the source changed."""
    kept = []
    for item in items:
        earlier = set() if item.exists else ledger.sources(item.label, item.ledger_keys())
        if item.said in earlier:
            report.written["deleted"] += 1
            _note(report, item, None, "deleted")
            continue
        if earlier and item.rows:
            item.rows[0].changed.append("%s: auf dem Server gelöscht, in der Quelle geändert – "
                                        "neu angelegt" % item.label)
        kept.append(item)
    return kept


def _try(report: ImportReport, items: list[Item], cards: Found, entries: Found,
         derived: Callable[[str], Callable[[str], str]]) -> None:
    """A dry run: each item merged with what is stored now, nothing written."""
    for item in items:
        stored = (cards if item.label == "Kontakt" else entries).texts.get((item.target, item.href))
        try:
            outcome = merge.merge(stored, item.fresh, derived(item.label), item.source)
        except ValueError as error:
            report.skipped.append({"line": item.rows[0].line if item.rows else item.source.line,
                                   "reason": "%s: gespeicherte Fassung nicht lesbar (%s)" % (item.label, error)})
            continue
        written = "created" if outcome.created else "updated" if outcome.text is not None else "unchanged"
        report.written[written] += 1
        _note(report, item, outcome, written)


def _targets(items: list[Item]) -> list[tuple[str, str, list[Item]]]:
    """Items per collection, the address book first (entries link to its contacts)."""
    groups: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        tag = "VADDRESSBOOK" if item.label == "Kontakt" else "VCALENDAR"
        groups.setdefault((item.target, tag), []).append(item)
    order = sorted(groups, key=lambda key: (key[1] != "VADDRESSBOOK", key[0]))
    return [(target, tag, sorted(groups[(target, tag)], key=lambda i: i.href)) for target, tag in order]


def _write_batch(store, target: str, tag: str, batch: list[Item], derived: Callable[[str], Callable[[str], str]],
                 report: ImportReport) -> list[Item]:
    """Write one batch; the items now stored as the source says (written or unchanged)."""
    by_href = {item.href: item for item in batch}
    outcomes: dict[str, merge.MergeResult] = {}
    left: dict[str, str] = {}               # href → why it was left alone

    def merged(href: str, stored: Optional[str], fresh: str) -> Optional[str]:
        item = by_href[href]
        if stored is None and item.exists:
            left[href] = "seit dem Suchen gelöscht – nicht neu angelegt"   # not brought back unasked
            return None
        try:
            outcomes[href] = merge.merge(stored, fresh, derived(item.label), item.source)
        except ValueError as error:
            left[href] = "gespeicherte Fassung nicht lesbar (%s) – nicht geändert" % error
            return None
        return outcomes[href].text

    results: dict[str, str] = {}
    rejected: dict[str, ValueError] = {}
    # One lock per batch: the server keeps answering between batches.
    with store.acquire_lock("w", "kamin-import"):
        collection = _collection(store, target, tag)
        store.bulk_write(collection, [(item.href, item.fresh) for item in batch], merge=merged,
                         finish=lambda href, text: merge.stamp_stored(text), results=results,
                         rejected=rejected)
    for href, item in by_href.items():
        if href in left or href in rejected:
            reason = left.get(href) or "vom Kalender abgelehnt: %s" % rejected[href]
            report.skipped.extend({"line": row.line, "reason": "%s: %s" % (item.label, reason)}
                                  for row in item.rows[:1])
            continue
        report.written[results[href]] += 1
        _note(report, item, outcomes.get(href), results[href])
    return [item for href, item in by_href.items() if href not in left and href not in rejected]


def _note(report: ImportReport, item: Item, outcome: Optional[merge.MergeResult], written: str) -> None:
    """An item's outcome on its report rows: an entry's row shows the entry's ``written``, a
    contact's row the contact's; what changed and the conflicts go on the item's first row
    (a contact may serve several rows)."""
    for row in item.rows:
        if item.label == "Termin" or row.kind == "contact":
            row.written = written
    if outcome is None or not item.rows:
        return
    row = item.rows[0]
    row.changed += ["%s: %s" % (item.label, label) for label in outcome.changed]
    row.conflicts += [{**conflict.as_json(), "item": item.label} for conflict in outcome.conflicts]
    row.kept_lines += outcome.kept_lines


def _deriver(store) -> Callable[[str], Callable[[str], str]]:
    """Per kind of item, a text as the server would store it (for the merge to compare with)."""
    def derived(label: str) -> Callable[[str], str]:
        def derive(text: str) -> str:
            try:
                if label == "Kontakt":
                    return normalise_contact(text, store.settings.phone_region)[0]
                return profile.derive_text(text, None, store.settings)[0]
            except ValueError:
                return text
        return derive
    return derived


def _collection(store, path: str, tag: str):
    collection = next(iter(store.discover("/%s/" % path)), None)
    if collection is None:
        props = {"tag": tag, "D:displayname": "Kunden" if tag == "VADDRESSBOOK" else "Termine"}
        store.create_collection("/%s/" % path, props=props)
        collection = next(iter(store.discover("/%s/" % path)))
    if collection.tag != tag:
        raise ValueError("/%s/ is not a%s" % (path, "n address book" if tag == "VADDRESSBOOK"
                                               else " calendar"))
    return collection
