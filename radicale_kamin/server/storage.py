"""The Radicale storage plugin: derive every calendar entry on every write.

``[storage] type = radicale_kamin.storage``. The ``.ics`` files stay the
only source of truth; what is stored is what the server derived (state,
colour, labels, normalised phone and address), whichever way it arrived:

* a single-item PUT → ``Collection.upload``;
* a whole-calendar PUT (also the web page's upload) → ``create_collection``;
* MOVE → ``Storage.move``.

Each of them runs inside Radicale's storage write lock and keeps the SQLite
side index (``server/index/``) in step. A refused entry raises
``EntryRejected`` (a ValueError): Radicale answers 400 and stores nothing;
``radicale_kamin.wsgi`` turns that into a readable message. The reads —
REPORTs, the UID check of every PUT, PROPFIND, sync-collection — are
answered from the index (``server/reads.py``).
"""

from __future__ import annotations

import contextlib
import functools
import os
from typing import Any, Callable, Iterable, Mapping, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import radicale.item as radicale_item
from radicale import pathutils
from radicale.log import logger

from radicale_kamin.entries import profile, timefacts
from radicale_kamin.schedule import availability, staff
from radicale_kamin.server import compat, durable, privacy
from radicale_kamin.address.verdict import normalise
from radicale_kamin.schedule.callsettings import OPTION_NAMES, CallSettings
from radicale_kamin.entries.contact import (ContactFacts, contacts_for_entry, normalise_contact,
                                            read_contact)
from radicale_kamin.entries.entry import Contact, EntryRejected, Settings
from radicale_kamin.entries.facts import plain_item
from radicale_kamin.server.index import Seen, SideIndex
from radicale_kamin.server.reads import IndexedDiscovery, IndexedReads
from radicale_kamin.schedule import settings as office_rules
from radicale_kamin.server.imported import ImportLedger
from radicale_kamin.server.office import OfficeStore
from radicale_kamin.server.optionfiles import WatchedFile
from radicale_kamin.server.settings import OfficeSettings
from radicale_kamin.server.state import StateStore
from radicale_kamin.server.webhooks import Webhooks
from radicale_kamin.schedule.recurrence import RecurrenceRejected, check_recurrence
from radicale_kamin.schedule.workhours import (DEFAULT_WORKING_HOURS, WorkingHoursBook,
                                               parse_working_hours)

# Kinds of entries that have a customer: only these are linked to a
# contact by their address (a private entry at a customer's house is not).
CUSTOMER_KINDS = ("internal", "external", "deadline", "imported")


def _option(default: str, help_text: str, type_=str) -> dict:
    return {"value": default, "help": help_text, "type": type_}


# The plugin's options in [storage] (also read by the web plugin). Each is
# documented in docs/configuration.md and listed in config/radicale.conf.
PLUGIN_CONFIG_SCHEMA = {
    "storage": {
        "kamin_timezone": _option(
            timefacts.DEFAULT_TIMEZONE.key, "time zone of the business: times without offset are "
            "local time here (callbacks, calling windows)"),
        "kamin_phone_region": _option(
            "DE", "region for phone numbers written without +country code"),
        "kamin_index_verify_seconds": _option(
            "60", "compare every indexed file with the disk at most this often "
            "(catches files edited in place outside Radicale); 0 = before every query",
            float),
        "kamin_bundesland": _option("BY", "Bundesland whose public holidays have no calls"),
        "kamin_holiday_categories": _option(
            "public, catholic", "holiday categories of the holidays package; "
            "catholic adds e.g. Mariä Himmelfahrt in BY"),
        "kamin_closed_days": _option(
            "", "extra days without calls: 12-24 (every year) or 2026-05-15 (once), comma-separated"),
        "kamin_calling_days": _option("mon-fri", "weekdays with calling windows"),
        "kamin_calling_hours": _option("08:00-18:00", "the calling window, local time"),
        "kamin_announce_days": _option("7", "call this many days before an internal appointment"),
        "kamin_deadline_days": _option("28", "call this many days before a deadline's due date"),
        "kamin_max_attempts": _option("2", "failed calls before an entry goes to follow-up"),
        "kamin_retry_hours": _option(
            "0", "retry after this many calling hours; 0 = at the start of the next calling day"),
        "kamin_prefer_sms": _option("true", "deadline reminders to mobile numbers go out as SMS"),
        "kamin_lease_minutes": _option(
            "15", "a call handed out by due-calls is not handed out again for this long"),
        "kamin_callback_days": _option(
            "7", "an unanswered callback request leaves the list after this many days"),
        "kamin_formblatt_days": _option(
            "14", "a deadline's Formblatt is due this many days after its window ends; "
            "then the entry goes to follow-up unless a booking or the Formblatt settles it"),
        "kamin_sms_confirm_hours": _option(
            "48", "an internal appointment told by SMS and not confirmed this many hours "
            "before it starts is called"),
        "kamin_feuerstaettenschau_notice_days": _option(
            "5", "working days' notice a Feuerstättenschau needs"),
        "kamin_summary_marks": _option(
            "confirmed", "which states show a mark at the start of SUMMARY: confirmed "
            "(only the check mark) or all (every state, for iOS)"),
        "kamin_working_hours": _option(
            "", "the working-hours file (docs/availability.md); empty = Mon-Fri 07:00-16:00 for all"),
        "kamin_slot_duration": _option("60", "default appointment length in minutes"),
        "kamin_slot_buffer": _option(
            "15", "minutes kept free before and after every appointment (travel)"),
        "kamin_min_notice_hours": _option("24", "no slot starts sooner than this many hours from now"),
        "kamin_max_appointments_per_day": _option("6", "appointments per employee and day at most"),
        "kamin_slot_step": _option("15", "slot starts lie on this grid of minutes"),
        "kamin_hold_minutes": _option("10", "a hold (tentative reservation) expires after this long"),
        "kamin_subscriptions": _option(
            "", "the external calendars file (docs/subscriptions.md); empty = none"),
        "kamin_non_staff_calendars": _option(
            "", "calendars that are not staff calendars (paths like /meister/privat/, "
            "or a user's whole home /buero/), comma-separated"),
        "kamin_staff_names": _option(
            "", "display names of staff, e.g. anna: Anna Huber, ben: Ben Maier"),
        "kamin_booking_calendars": _option(
            "", "the calendar bookings go into, per staff member, e.g. anna: /anna/arbeit/ "
            "(default: the user's calendar termine, else their first calendar)"),
        "kamin_admins": _option(
            "", "user names of the admins (the master, the office), comma-separated: they use "
            "the backend (/.web/kamin/), may release any hold and see the webhooks"),
        "kamin_webhooks": _option(
            "", "the webhooks file: subscribers, their secrets and events (docs/webhooks.md); "
            "empty = no webhooks"),
        "kamin_webhook_timeout": _option(
            "10", "seconds a subscriber has to answer one event (1-60)"),
        "kamin_webhook_retry_hours": _option(
            "24", "hours a failed event is retried before it is parked (1-336)"),
        "kamin_webhook_background": _option(
            "true", "the server sends events itself; false = only `kamin webhooks deliver-once` "
            "(cron) sends them"),
    },
}


def load_settings(configuration: Any) -> Settings:
    """The plugin's options of ``[storage]``, checked at start-up: a wrong
    value stops the server with a message naming the option."""
    config = configuration.copy(PLUGIN_CONFIG_SCHEMA)
    for option in configuration.options("storage"):
        if option.startswith("kamin_") and option not in PLUGIN_CONFIG_SCHEMA["storage"]:
            logger.warning("[storage] %s: unknown option, ignored; known options: %s",
                           option, ", ".join(sorted(PLUGIN_CONFIG_SCHEMA["storage"])))
    try:
        calling = call_settings(config)
        availability.SlotSettings.from_options(
            {name: str(config.get("storage", name)) for name in availability.OPTIONS})
        int(config.get("storage", "kamin_hold_minutes"))
        staff_options(config)
    except ValueError as e:
        raise RuntimeError("[storage] %s" % e) from e
    load_working_hours(config.get("storage", "kamin_working_hours"), calling)
    name = config.get("storage", "kamin_timezone")
    try:
        timezone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as e:
        raise RuntimeError("[storage] kamin_timezone: unknown time zone %r" % name) from e
    marks = config.get("storage", "kamin_summary_marks").strip().lower() or "confirmed"
    try:
        return Settings(timezone=timezone,
                        phone_region=config.get("storage", "kamin_phone_region").upper(),
                        summary_marks=marks)
    except ValueError as e:
        raise RuntimeError("[storage] kamin_summary_marks = %s: %s" % (marks, e)) from e


def staff_options(config: Any) -> staff.StaffOptions:
    """Who the staff are, from a config copied with our schema."""
    option = functools.partial(config.get, "storage")
    return staff.StaffOptions.from_options(option("kamin_non_staff_calendars"),
                                           option("kamin_staff_names"),
                                           option("kamin_booking_calendars"))


def call_settings(config: Any) -> CallSettings:
    """The calling rules' settings from a config copied with our schema."""
    return CallSettings.from_options(
        {name: str(config.get("storage", name)) for name in OPTION_NAMES})


def watch_working_hours(path: str, settings: CallSettings) -> WatchedFile[WorkingHoursBook]:
    """The working-hours file ("" = the contract's default hours), read
    again when the office changes it."""
    return WatchedFile("kamin_working_hours", path,
                       lambda text: parse_working_hours(text, settings),
                       lambda: parse_working_hours(DEFAULT_WORKING_HOURS, settings))


def load_working_hours(path: str, settings: CallSettings) -> WorkingHoursBook:
    return watch_working_hours(path, settings).get()


def office_settings(configuration: Any, office: OfficeStore) -> OfficeSettings:
    """The options the office changes at run time (``GET/PUT settings``):
    the config file's values are their defaults."""
    config = configuration.copy(PLUGIN_CONFIG_SCHEMA)
    defaults = {o.name: str(config.get("storage", o.config_name)) for o in office_rules.OPTIONS}
    return OfficeSettings(defaults, call_settings(config), office)


def load_index(configuration: Any, folder: str, root: str,
               settings: Settings) -> SideIndex:
    config = configuration.copy(PLUGIN_CONFIG_SCHEMA)
    return SideIndex(folder, root, settings,
                     verify_seconds=config.get("storage", "kamin_index_verify_seconds"),
                     call_settings=call_settings(config))


def _refuse_noted(rule, *args, **kwargs):
    """``rule(*args, **kwargs)``; a refusal's reason is noted where it is
    raised, for the answer (``compat.note_refusal``)."""
    try:
        return rule(*args, **kwargs)
    except (EntryRejected, RecurrenceRejected) as e:
        compat.note_refusal(str(e))
        raise


def _install_guards() -> None:
    # Refused before Radicale expands the rule (compat.install_item_check).
    compat.install_item_check(functools.partial(_refuse_noted, check_recurrence))
    privacy.install(logger)
    compat.install()


class Collection(IndexedReads):

    def upload(self, href: str, item: radicale_item.Item):
        if self.tag == "VADDRESSBOOK":
            uploaded, replaced = self.storage.upload_contact(self, href, item)
        elif not self._is_calendar():
            uploaded, replaced = super().upload(href, item)
        else:
            stored = self.stored(href)
            item = self.storage.derive_item(item, stored, self.path)
            uploaded, replaced = super().upload(href, item)
            self._index.update_item(self.path, href, uploaded.serialize())
        compat.note_stored(uploaded.serialize().encode(self.encoding))
        return uploaded, replaced

    def plain_upload(self, href: str, item: radicale_item.Item):
        """Radicale's own upload, for items the plugin already prepared."""
        return super().upload(href, item)

    def delete(self, href: Optional[str] = None) -> None:
        super().delete(href)
        if href is None:
            self._index.remove_collection(self.path)
            self._index.remove_contact(self.path)
        elif self._is_calendar():
            self._index.remove_item(self.path, href)
        elif self.tag == "VADDRESSBOOK":
            # The contact goes; its appointments stay as they are (they
            # carry copies of what they took from it).
            self._index.remove_contact(self.path, href)


class Storage(IndexedDiscovery):

    collection_type = Collection

    def __init__(self, configuration) -> None:
        super().__init__(configuration)
        self.settings = load_settings(configuration)
        self.index = load_index(configuration, self.storage_folder, self.collection_root,
                                self.settings)
        self.index.etag_reader = self._radicale_seen
        # A server leaves big indexing jobs to the index's thread (the
        # ``kamin`` commands index what they need themselves).
        self.index.background = True
        self.index.max_sync_token_age = self.max_sync_token_age
        self.state = StateStore(self.storage_folder)
        self.office = OfficeStore(self.state)
        self.imported = ImportLedger(self.state)
        self.office_settings = office_settings(configuration, self.office)
        self.webhooks = Webhooks(configuration.copy(PLUGIN_CONFIG_SCHEMA), self)
        if self.index.verify_seconds > 0:
            self.index.start_background(lambda: self.acquire_lock("r", "kamin-index"))
        _install_guards()

    @contextlib.contextmanager
    def acquire_lock(self, mode: str, user: str = "", *args, **kwargs):
        """Radicale's storage lock; a request holding it goes before the
        index's background work (``SideIndex.serving``). Inside it the
        calling options in force now are applied to the index: a change the
        office made — in any process — applies from this request on
        (``server/settings.py``)."""
        with self.index.serving(), super().acquire_lock(mode, user, *args, **kwargs):
            self.index.apply_call_settings(self.office_settings.current().call_settings)
            yield

    def announce(self, event_type: str, data: Mapping[str, Any], stream: str,
                 calendar: Optional[str] = None) -> bool:
        """Queue a webhook event of something that ran — an import, a
        subscription's sync (``server/webhooks.py``); entries' events come
        from the side index by themselves."""
        return self.webhooks.announce(event_type, data, stream, calendar)

    def _radicale_seen(self, calendar: str, href: str, text: str, stat: os.stat_result,
                       plain: bool) -> Seen:
        """What Radicale's GET would answer of an item in ``calendar`` (a
        sane path), for the side index: its ETag where that is not the hash
        of ``text``, its length, whether it can read it at all. A plain
        item is looked up in Radicale's cache only (an entry cached before
        the plugin came keeps its ETag; without one the plugin reads the
        file as it is); the others need vobject."""
        collection = self.collection_at(calendar)
        encoding = collection.encoding
        if plain:
            cached = collection.cached(href, collection.cache_key(text.encode(encoding), stat))
            if cached is None:
                return Seen(None, None)
            return Seen(cached.etag, len(cached.text.encode(encoding)))
        item = collection.stored(href)
        if item is None:
            return Seen(None, None, listed=False)
        return Seen(item.etag, len(item.serialize().encode(encoding)))

    def linked_contact(self, text: str, stored_text: Optional[str]) -> Optional[Contact]:
        """The contact an entry links to: its X-KAMIN-CONTACT, else its
        building, else — for an entry with a customer that has neither — the
        one contact at its normalised address (and of its customer's name,
        where given). Several candidates are never guessed between."""
        try:
            link = profile.link_of(text) or (profile.link_of(stored_text) if stored_text else None)
        except ValueError:
            return None
        if link:
            row = self.index.find_contact(*link)
        else:
            candidates = self.contacts_by_address(text, stored_text)
            row = candidates[0] if len(candidates) == 1 else None
        if row is None:
            return None
        return Contact(uid=row["uid"], customer=row["name"], phone=row["phone"],
                       location=row["location"])

    def contacts_by_address(self, text: str, stored_text: Optional[str] = None) -> list:
        """The contacts an unlinked entry with a customer may belong to (see
        ``linked_contact``; the data-missing list shows ambiguous ones)."""
        try:
            entry = profile.master_entry(text)
            stored = profile.master_entry(stored_text) if stored_text else None
        except ValueError:
            return []
        if entry is None:
            return []
        kind = (entry.kind or (stored.kind if stored else None) or "").strip().lower()
        if kind not in CUSTOMER_KINDS or not entry.location:
            return []
        key = normalise({"address": entry.location}, self.settings.phone_region).match_key()
        if not key:
            return []
        customer = entry.customer or (stored.customer if stored else None)
        return contacts_for_entry(customer, self.index.contacts_at(key))

    def _contact_facts(self, item: Optional[radicale_item.Item]) -> Optional[ContactFacts]:
        if item is None:
            return None
        try:
            return read_contact(item.serialize(), self.settings.phone_region)[1]
        except ValueError:
            return None

    def normalised_card(self, item: radicale_item.Item, collection_path: str
                        ) -> tuple[radicale_item.Item, Optional[ContactFacts]]:
        """A vCard as stored — address and phones normalised, the verdict
        added — on every way a vCard arrives (single PUT, whole address-book
        PUT, MOVE, import). One Radicale accepted but we cannot read is
        stored as sent rather than refused (facts None)."""
        if item.name != "VCARD":
            return item, None
        try:
            text, facts = normalise_contact(item.serialize(), self.settings.phone_region)
        except ValueError:
            logger.warning("Contact in %s kept as sent: not normalisable", collection_path)
            return item, None
        return radicale_item.Item(collection_path=collection_path, text=text, uid=item.uid,
                                  name=item.name, component_name=item.component_name), facts

    def upload_contact(self, collection: "Collection", href: str, item: radicale_item.Item):
        """A vCard is normalised on write; the appointments linked to it are
        derived again with its new data (a phone number added to a contact
        turns its orange appointments ready to call)."""
        previous = self._contact_facts(collection.stored(href))
        item, facts = self.normalised_card(item, collection.path)
        uploaded, replaced = collection.plain_upload(href, item)
        if facts is not None:
            self.index.update_contact(collection.path, href, facts)
            self._rederive_linked(facts, previous)
        return uploaded, replaced

    def _rederive_linked(self, facts: ContactFacts, previous: Optional[ContactFacts]) -> None:
        contact = facts.as_contact()
        if previous is not None:
            contact = Contact(uid=contact.uid, customer=contact.customer, phone=contact.phone,
                              location=contact.location, previous=previous.as_contact())
        buildings = set(facts.buildings) | set(previous.buildings if previous else ())
        linked = [(row, contact) for row in self.index.linked_entries(facts.uid, sorted(buildings))]
        if facts.address_key:
            # Entries no contact claimed yet may belong to this one by their
            # address: derived again, ``linked_contact`` decides (never a guess).
            linked += [(row, None) for row in self.index.unlinked_entries_at(
                facts.address_key, CUSTOMER_KINDS)]
        for row, with_contact in linked:
            collection = next(iter(self.discover("/%s/" % row["calendar"])), None)
            entry = collection.stored(row["href"]) if collection else None
            if entry is None:
                continue
            try:
                derived = self.derive_item(entry, entry, collection.path, contact=with_contact)
            except ValueError:
                continue      # an entry that cannot be derived stays as it is
            if derived is not entry:
                uploaded, _ = collection.plain_upload(row["href"], derived)
                self.index.update_item(collection.path, row["href"], uploaded.serialize())

    def derive_item(self, item: radicale_item.Item,
                    stored: Optional[radicale_item.Item],
                    collection_path: str,
                    contact: Optional[Contact] = None) -> radicale_item.Item:
        """``item`` as it is to be stored; raises ``EntryRejected``."""
        if item.name != "VCALENDAR" or item.component_name != "VEVENT":
            return item
        text = item.serialize()
        if "RRULE" in text.upper():   # vobject's parse is slow: only when needed
            for component in getattr(item.vobject_item, "vevent_list", ()):
                _refuse_noted(check_recurrence, component)
        stored_text = stored.serialize() if stored is not None else None
        derived, _ = _refuse_noted(profile.derive_text, text, stored_text, self.settings,
                                   contact or self.linked_contact(text, stored_text))
        if derived == text:
            return item
        # Only server-owned lines changed: UID, component and time range
        # are the client's, so Radicale's cached facts carry over.
        return radicale_item.Item(
            collection_path=collection_path, text=derived,
            uid=item.uid, name=item.name, component_name=item.component_name,
            time_range=item.time_range)

    def new_item(self, collection_path: str, text: str) -> radicale_item.Item:
        """An item from iCalendar text the plugin wrote itself, with
        Radicale's cached facts (UID, component, time range) read from the
        text instead of a vobject parse (5 ms each; imports write
        thousands)."""
        plain = plain_item(text)
        if plain is None:
            return radicale_item.Item(collection_path=collection_path, text=text)
        uid, component, time_range = plain
        return radicale_item.Item(collection_path=collection_path, text=text, uid=uid,
                                  name="VCALENDAR", component_name=component,
                                  time_range=time_range)

    def bulk_write(self, collection: "Collection",
                   texts: Iterable[tuple[str, str]],
                   merge: Optional[Callable[[str, Optional[str], str], Optional[str]]] = None,
                   finish: Optional[Callable[[str, str], str]] = None,
                   results: Optional[dict[str, str]] = None,
                   rejected: Optional[dict[str, ValueError]] = None) -> dict[str, int]:
        """Write many items into ``collection`` at once (imports, feeds).

        Each entry is derived (or each vCard normalised) exactly like a
        single PUT, but files are written without Radicale's per-item fsync
        and history scan — both grow with the calendar and made one item
        cost 8–14 ms here. Each file still appears atomically (temporary file,
        then rename), and the whole batch is on disk when this returns
        (``durable.write_batch``: one file-system flush a batch). Radicale's
        item cache is written along; the side index is updated in one
        transaction. Call inside the storage write lock. Returns the counts
        of created, updated and unchanged items.

        Optional, for imports that merge into what is stored:
        ``merge(href, stored text or None, text)`` gives the text to write,
        or None to leave the item alone (counted unchanged) — it runs here,
        inside the lock, so a change made meanwhile is never overwritten
        unseen; ``finish(href, text)`` gets the text as derived/normalised
        and returns the text to store (it may add lines derivation keeps);
        ``results`` receives per href ``created``, ``updated`` or
        ``unchanged``; ``rejected`` receives per href the refusal
        (``ValueError``) of an item that cannot be stored — without it such
        an item stops the batch.
        """
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        outcome = results if results is not None else {}
        folder = collection.folder
        cache_folder = self.cache_folder(folder)
        is_book = collection.tag == "VADDRESSBOOK"
        written = []
        relink = []
        for href, text in texts:
            stored = collection.stored(href)
            if merge is not None:
                text = merge(href, stored.serialize() if stored is not None else None, text)
                if text is None:
                    counts["unchanged"] += 1
                    outcome[href] = "unchanged"
                    continue
            facts = previous = None
            try:
                if is_book:
                    text, facts = normalise_contact(text, self.settings.phone_region)
                    previous = read_contact(stored.serialize(), self.settings.phone_region)[1] \
                        if stored is not None else None
                    item = radicale_item.Item(collection_path=collection.path, text=text)
                else:
                    item = self.derive_item(self.new_item(collection.path, text), stored,
                                            collection.path)
            except ValueError as e:
                if rejected is None:
                    raise
                rejected[href] = e
                continue
            text = item.serialize()
            if finish is not None:
                finished = finish(href, text)
                if finished != text and is_book:
                    item = radicale_item.Item(collection_path=collection.path, text=finished)
                elif finished != text:
                    # Only lines derivation keeps were added: Radicale's facts carry over.
                    item = radicale_item.Item(
                        collection_path=collection.path, text=finished, uid=item.uid,
                        name=item.name, component_name=item.component_name,
                        time_range=item.time_range)
                text = finished
            if stored is not None and stored.serialize() == text:
                counts["unchanged"] += 1
                outcome[href] = "unchanged"
                continue
            if is_book:
                relink.append((facts, previous))
            outcome[href] = "updated" if stored is not None else "created"
            counts[outcome[href]] += 1
            path = self.item_file(folder, href)
            written.append((href, text, facts, item, path, text.encode(collection.encoding)))
        # Durable before the index knows them (durable.py: one flush a batch).
        durable.write_batch(folder, [(path, raw) for *_, path, raw in written])
        for href, _, _, item, path, raw in written:
            collection.write_cached(href, item, collection.cache_key(raw, os.stat(path)))
        self.sync_directory(cache_folder)
        with self.index.transaction():
            for href, text, facts, *_ in written:
                if is_book:
                    self.index.update_contact(collection.path, href, facts)
                else:
                    self.index.update_item(collection.path, href, text, settle=False)
        self.index.settle_pending()
        for facts, previous in relink:
            if previous != facts:
                self._rederive_linked(facts, previous)
        return counts

    def _stored_by_uid(self, sane_path: str, tag: str) -> Mapping[str, radicale_item.Item]:
        """The items of the collection about to be replaced, if it is a
        ``tag`` collection."""
        if not os.path.isdir(self.folder_of(sane_path)):
            return {}
        collection = self.collection_at(sane_path)
        if collection.tag != tag:
            return {}
        return {item.uid: item for item in collection.get_all()}

    def create_collection(self, href: str,
                          items: Optional[Iterable[radicale_item.Item]] = None,
                          props=None):
        """A whole calendar or address book written at once (Radicale's web
        page uploads this way): every entry derived, every vCard normalised
        and linked, exactly as single PUTs."""
        sane_path = pathutils.strip_path(href)
        tag = props.get("tag") if props else None
        cards: list[tuple[Optional[ContactFacts], Optional[ContactFacts]]] = []
        if items is not None and tag == "VCALENDAR":
            stored = self._stored_by_uid(sane_path, tag)
            # Every entry is derived (and may be refused) before anything is
            # written: a refused entry leaves the old calendar untouched.
            items = [self.derive_item(item, stored.get(item.uid), sane_path)
                     for item in items]
        elif items is not None and tag == "VADDRESSBOOK":
            stored = self._stored_by_uid(sane_path, tag)
            prepared = [(self.normalised_card(item, sane_path), stored.get(item.uid))
                        for item in items]
            items = [item for (item, _), _ in prepared]
            cards = [(facts, self._contact_facts(old)) for (_, facts), old in prepared]
        result = super().create_collection(href, items, props)
        compat.note_stored(None)
        self.index.remove_collection(sane_path)
        if tag == "VCALENDAR":
            self.index.sync([sane_path])
        elif tag == "VADDRESSBOOK":
            self.index.sync_contacts()
            for facts, previous in cards:
                if facts is not None and facts != previous:
                    self._rederive_linked(facts, previous)
        return result

    def move(self, item: radicale_item.Item, to_collection, to_href: str) -> None:
        """MOVE derives an entry, and normalises and links a vCard, for the
        collection it arrives in, like a PUT there."""
        derived = item
        if to_collection.tag == "VCALENDAR":
            derived = self.derive_item(item, item, to_collection.path)
        source = item.collection
        super().move(item, to_collection, to_href)
        if source is not None and source.tag == "VCALENDAR":
            self.index.remove_item(source.path, item.href)
        elif source is not None and source.tag == "VADDRESSBOOK":
            self.index.remove_contact(source.path, item.href)
        if to_collection.tag == "VADDRESSBOOK":
            to_collection.upload(to_href, item)         # normalised, indexed, linked
        elif derived is not item:
            to_collection.upload(to_href, derived)
        elif to_collection.tag == "VCALENDAR":
            self.index.update_item(to_collection.path, to_href, item.serialize())

    def verify(self) -> bool:
        """``radicale --verify-storage`` also rebuilds the side index."""
        ok = super().verify()
        count = self.index.rebuild()
        logger.info("Side index rebuilt: %d items", count)
        return ok
