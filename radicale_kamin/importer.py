"""The shell of ``kamin import``: readers' records → contacts and entries in
Radicale's storage, with a verdict per record.

Everything goes through the storage plugin (``Storage.bulk_write``): each
contact is normalised and each entry derived exactly like a client's write,
inside Radicale's write lock, in batches — an import interrupted midway
leaves whole files, and running it again completes it without duplicates,
because every UID is made from the record's stable ``source_id``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable, Optional

from radicale_kamin import profile
from radicale_kamin.address import AddressResult, REASON_TEXTS, normalise
from radicale_kamin.contact import new_contact_text
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

    def as_json(self) -> dict:
        return {"source_id": self.source_id, "line": self.line, "kind": self.kind,
                "verdict": self.verdict, "reasons": self.reasons,
                "reasons_de": [REASON_TEXTS.get(r, r) for r in self.reasons],
                "customer": self.customer, "building": self.building, "uid": self.uid,
                "target": self.target}


@dataclass
class ImportReport:
    file: str
    format: str
    dry_run: bool
    notes: list[str]
    records: list[RecordResult] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    written: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})

    def counts(self) -> dict[str, int]:
        counts = {"green": 0, "orange": 0, "red": 0}
        for record in self.records:
            counts[record.verdict] += 1
        return counts

    def as_json(self) -> dict:
        return {"file": self.file, "format": self.format, "dry_run": self.dry_run,
                "notes": self.notes, "counts": self.counts(), "written": self.written,
                "skipped": self.skipped, "records": [r.as_json() for r in self.records]}


def _location(judged: AddressResult, record: ImportRecord) -> Optional[str]:
    line = judged.location_line()
    if line:
        return line
    address = record.address
    parts = [address.get("address"),
             " ".join(p for p in (address.get("street"), address.get("housenumber")) if p),
             " ".join(p for p in (address.get("zip"), address.get("city")) if p)]
    return ", ".join(p for p in parts if p and p.strip()) or None


def contact_text(record: ImportRecord, judged: AddressResult, uid: str, source: str) -> str:
    address = record.address
    street = " ".join(p for p in (judged.street, judged.number) if p) if judged.street else \
        " ".join(p for p in (address.get("street"), address.get("housenumber")) if p) or None
    return new_contact_text(
        uid=uid, name=record.customer, street=street,
        postcode=judged.postcode or address.get("zip"), city=judged.city or address.get("city"),
        label=address.get("address") if not street else None,
        phone=address.get("phone"), mobile=address.get("mobile"), email=record.email,
        buildings=(record.building,) if record.building else (),
        note="Importiert aus %s (%s)" % (source, record.line))


def entry_text(record: ImportRecord, judged: AddressResult, uid: str, contact_uid: Optional[str],
               now: dt.datetime, source: str) -> str:
    entry = record.entry
    end = entry.end
    if end is None:
        end = entry.start + (dt.timedelta(hours=1) if isinstance(entry.start, dt.datetime)
                             else dt.timedelta(days=1))
    phone = judged.phone_e164 or record.address.get("phone") or record.address.get("mobile")
    summary = entry.summary or ("Frist: %s" % (record.customer or record.building or "Liegenschaft")
                                if entry.kind == "deadline" else
                                "Termin: %s" % (record.customer or "Kunde"))
    stamp = now.strftime("%d.%m.%Y %H:%M")
    log = "%s importiert aus %s (%s)" % (stamp, source, record.line)
    return profile.new_entry_text(
        uid=uid, start=entry.start, end=end, created=now, kind=entry.kind, summary=summary,
        customer=record.customer, phone=phone, building=record.building,
        location=_location(judged, record),
        log_line=(entry.description + "\n" + log) if entry.description else log,
        extra={"X-KAMIN-WINDOW-START": entry.window_start.isoformat() if entry.window_start else None,
               "X-KAMIN-CONTACT": contact_uid})


def plan(result: ReadResult, calendar: str, addressbook: str, now: dt.datetime,
         source: str, staff_calendars: dict[str, str], region: str = "DE"):
    """(report rows, contact texts by href, entry texts by calendar and href)."""
    rows: list[RecordResult] = []
    contacts: dict[str, str] = {}
    entries: dict[str, dict[str, str]] = {}
    contact_by_building: dict[str, str] = {}
    for record in result.records:          # contacts first: entries link to them
        if record.entry is not None and record.entry.kind == "deadline":
            continue
        judged = normalise(record.address, region)
        key = ("building:" + record.building) if record.building else record.source_id
        uid = uid_for("c", key)
        if record.customer or judged.phone_e164 or judged.street:
            contacts[uid + ".vcf"] = contact_text(record, judged, uid, source)
            if record.building:
                contact_by_building[record.building] = uid
        if record.entry is None:
            rows.append(RecordResult(record.source_id, record.line, "contact", judged.verdict,
                                     [r.code for r in judged.reasons], record.customer,
                                     record.building, uid, "/%s/" % addressbook))
    for record in result.records:
        if record.entry is None:
            continue
        judged = normalise(record.address, region)
        uid = uid_for("e", record.source_id)
        target = staff_calendar(record.entry.staff, staff_calendars) or calendar
        contact_uid = contact_by_building.get(record.building or "")
        entries.setdefault(target, {})[uid + ".ics"] = entry_text(
            record, judged, uid, contact_uid, now, source)
        rows.append(RecordResult(record.source_id, record.line, record.entry.kind, judged.verdict,
                                 [r.code for r in judged.reasons], record.customer,
                                 record.building, uid, "/%s/" % target))
    return rows, contacts, entries


def staff_calendar(staff: Optional[str], calendars: dict[str, str]) -> Optional[str]:
    """The calendar of an employee named by the source ("Anna Berger"): by
    the whole name (user or a name from kamin_staff_names), else by its first
    word (the user name is usually the first name)."""
    if not staff:
        return None
    name = " ".join(staff.split()).casefold()
    return calendars.get(name) or calendars.get(name.split(" ")[0])


def _batches(items: dict[str, str]) -> Iterable[list[tuple[str, str]]]:
    pairs = sorted(items.items())
    for start in range(0, len(pairs), BATCH):
        yield pairs[start:start + BATCH]


def run(store, result: ReadResult, file: str, calendar: str, addressbook: str,
        dry_run: bool, now: dt.datetime, staff_calendars: dict[str, str],
        progress: Optional[Progress] = None) -> ImportReport:
    """Import ``result`` into ``calendar`` (sane path) and ``addressbook``."""
    rows, contacts, entries = plan(result, calendar, addressbook, now, file, staff_calendars,
                                   store.settings.phone_region)
    report = ImportReport(file=file, format=result.format, dry_run=dry_run,
                          notes=list(result.notes), records=rows,
                          skipped=[{"line": s.line, "reason": s.reason} for s in result.skipped])
    if dry_run:
        return report
    total = len(contacts) + sum(len(e) for e in entries.values())
    done = 0
    targets = [(addressbook, "VADDRESSBOOK", contacts)] + [
        (target, "VCALENDAR", texts) for target, texts in sorted(entries.items())]
    for target, tag, texts in targets:
        if not texts:
            continue
        for batch in _batches(texts):
            # One lock per batch: the server keeps answering between batches.
            with store.acquire_lock("w", "kamin-import"):
                collection = _collection(store, target, tag)
                for key, value in store.bulk_write(collection, batch).items():
                    report.written[key] += value
            done += len(batch)
            if progress:
                progress(done, total)
    return report


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
