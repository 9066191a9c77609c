"""The one door to Radicale's internals.

Radicale offers plugins a storage and a web interface, and nothing for what
the plugin must also change in how Radicale answers. Every private member of
Radicale the plugin uses is reached here and nowhere else, and each
assumption is pinned by ``tests/test_compat.py``: a Radicale upgrade that
moves one of them turns a named test red instead of failing in production.

* ``CollectionBase`` / ``StorageBase``: Radicale's ``multifilesystem``
  storage with its private members under public names — the stored item of
  an href without a file-name check, the collection's folder and encoding,
  the item cache's key and entries, the collection root, directory syncs —
  and the one private hook the plugin overrides (an item-cache miss,
  ``read_uncached``).
* The item check: Radicale expands recurrences while preparing a PUT,
  before any storage call; a rule to refuse must be refused before that,
  so ``install_item_check`` wraps ``radicale.item.check_and_sanitize_items``.
* Reading iCalendar text: vobject splits a single-valued TEXT property at
  an unescaped comma or semicolon and keeps the first part — clients that
  do not escape lost "90402 Nürnberg" from ``LOCATION:Hauptstr. 5, 90402
  Nürnberg``. ``radicale.item.read_components`` (Radicale's one reader, for
  PUT bodies and files alike, already home to workarounds for other clients)
  escapes them first (``entries.icslines.escape_text_separators``).
* Logins: Radicale keeps successful logins (``cache_logins``) only for auth
  types it knows; ``as_htpasswd`` presents a configuration as ``htpasswd``.
* REPORT filters: ``simplify_prefilters``, the time bounds Radicale uses,
  and its own prefilter and collection ETag (``prefiltered``,
  ``collection_etag``) for items the plugin hands it.
* Change history: Radicale keeps a history file per item for
  sync-collection and scans the folder on every write; a collection that
  keeps its own (``keeps_own_history``) skips both.
* Listings from the index: PROPFIND and REPORT are wrapped so that, for
  the request being answered, the storage may hand Radicale one template
  item instead of every item (``listing_plan``); the answer is then
  expanded (``server/listing.py``). The plan also sees the request body.
* Rights read again: Radicale's ``from_file`` rights read their file once;
  ``RightsBase`` names the file and lets a fresh reading's rules replace the
  ones in force.

* The PUT answer: RFC 4791 section 5.3.4 and RFC 9110 section 9.3.4 forbid a
  strong ETag in the answer to a PUT whose body the server stored
  transformed. The plugin rewrites what clients PUT (state, colour, labels,
  normalised phone and address), so a client that kept the ETag would never
  download the coloured entry. ``do_PUT`` is wrapped: the ETag stays only
  when the stored file is the request octet for octet.
* The reason of a refusal: Radicale answers a refused write with a bare
  400 and logs the exception. The plugin notes the reason where it refuses
  (``note_refusal``, per thread: Radicale serves each request in a thread
  of its own) so that the WSGI entry can answer with it; for a body
  Radicale cannot parse, the PUT wrapper notes the parser's complaint
  (without the data it complains about).
* PUT below ``/.web/``: Radicale hands a web plugin GET and POST only and
  treats every PUT as a write into the storage. ``do_PUT`` is wrapped: a
  PUT below ``/.web/`` goes to the web plugin's ``put`` (the JSON API's
  ``PUT settings`` and ``PUT staff/{id}/working-hours``) when it has one.
* Request bodies: Radicale answers 500 to hostile or odd bodies it already
  refuses — XML with entity declarations or external references (defusedxml
  refuses them with an exception Radicale does not expect), XML nested
  thousands deep (a RecursionError later), a ``charset`` in Content-Type no
  codec knows (LookupError). Its own rule for a body it cannot read is a
  ``RuntimeError`` that becomes 400, so the body readers raise that, with the
  reason; and an unknown charset never breaks reading the credentials.
"""

from __future__ import annotations

import codecs
import functools
import hashlib
import json
import os
import pickle
import sys
import threading
from typing import Any, Callable, Iterable, Iterator, Optional, Sequence

import radicale.item as radicale_item
import radicale.item.filter as radicale_filter
from defusedxml import DefusedXmlException
from radicale import httputils, pathutils
from radicale.app import base as radicale_base
from radicale.app import propfind as radicale_propfind
from radicale.app import put as radicale_put
from radicale.app import report as radicale_report
from radicale.log import logger
from radicale.rights import from_file as radicale_from_file
from radicale.storage import multifilesystem

from radicale_kamin.entries import icslines
from radicale_kamin.server import durable, listing, privacy

# How deep a WebDAV request body may nest: CalDAV filters need about eight
# levels; Radicale walks the tree recursively.
MAX_XML_DEPTH = 64

_recording = threading.local()


class _RecordedInput:
    """``wsgi.input`` that keeps what the application read of the body."""

    def __init__(self, stream: Any):
        self._stream = stream
        self.data = bytearray()

    def read(self, *args: Any) -> bytes:
        chunk = self._stream.read(*args)
        self.data += chunk
        return chunk

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def note_refusal(reason: str) -> None:
    """The plugin refuses the current request's write for ``reason`` (a
    text free of customer data)."""
    _recording.refusal = reason


def take_refusal() -> Optional[str]:
    """The reason noted for the current request, if any (and forget it)."""
    reason = getattr(_recording, "refusal", None)
    _recording.refusal = None
    return reason


def _note_unparsable_body(body: bytes) -> None:
    if getattr(_recording, "refusal", None) is not None:
        return
    try:
        radicale_item.read_components(body.decode("utf-8", "replace"))
    except Exception as e:              # what vobject says is wrong, scrubbed
        note_refusal(privacy.safe_text(e))


def note_stored(data: Optional[bytes]) -> None:
    """The storage wrote ``data`` for the request being answered (None: a
    whole collection). Outside a PUT this does nothing."""
    stored = getattr(_recording, "stored", None)
    if stored is not None:
        stored.append(data)


def _etag_allowed(request_body: bytes, stored: list) -> bool:
    return len(stored) == 1 and stored[0] is not None and stored[0] == request_body


def _without_etag(headers: Any) -> Any:
    if isinstance(headers, dict):
        return {k: v for k, v in headers.items() if k.lower() != "etag"}
    return [(k, v) for k, v in headers if k.lower() != "etag"]


def _web_put(application: Any, args: tuple) -> Optional[Callable]:
    """The web plugin's ``put`` for a PUT below ``/.web/`` (args: base
    prefix, path, …), if it has one."""
    path = args[1] if len(args) > 1 else ""
    if path == "/.web" or path.startswith("/.web/"):
        return getattr(application._web, "put", None)
    return None


def _answer_put_without_changed_etag(do_put):
    @functools.wraps(do_put)
    def do_PUT(self, environ, *args, **kwargs):
        web_put = _web_put(self, args)
        if web_put is not None:
            return web_put(environ, *args, **kwargs)
        body = environ["wsgi.input"] = _RecordedInput(environ["wsgi.input"])
        _recording.stored = []
        try:
            status, headers, answer, xml_request = do_put(self, environ, *args, **kwargs)
            if status in (200, 201, 204) and not _etag_allowed(bytes(body.data),
                                                               _recording.stored):
                headers = _without_etag(headers)
            elif status == 400:
                _note_unparsable_body(bytes(body.data))
        finally:
            _recording.stored = None
        return status, headers, answer, xml_request
    do_PUT.kamin_patched = True
    return do_PUT


# --- the storage ------------------------------------------------------------------

TIMESTAMP_MIN = radicale_filter.TIMESTAMP_MIN    # REPORT time bounds without a time range
TIMESTAMP_MAX = radicale_filter.TIMESTAMP_MAX
simplify_prefilters = radicale_filter.simplify_prefilters


def is_item_name(name: str) -> bool:
    """Whether Radicale lists a file of this name found in a collection's
    folder (``is_safe_filesystem_path_component`` for a name that has no
    ``/`` and is not empty; three string tests instead of its path
    functions: 15,000 names a listing)."""
    return not name.startswith(".") and not name.endswith("~") and \
        (sys.platform != "win32" or ":" not in name)

CACHE_FOLDER = ".Radicale.cache"                 # Radicale's per-collection cache folder


def prefiltered(items: Iterable[radicale_item.Item], tag: Optional[str], start: int, end: int,
                simple: bool) -> Iterator[tuple[radicale_item.Item, bool]]:
    """Radicale's own prefilter (``BaseCollection.get_filtered``) over
    ``items``: (item, whether the filter is decided) for those it keeps."""
    for item in items:
        if tag is not None and tag != item.component_name:
            continue
        item_start, item_end = item.time_range
        if item_start >= end or item_end <= start:
            continue
        yield item, simple and (start <= item_start or item_end <= end)


def collection_etag(etags: Iterable[tuple[str, str]], meta: Any) -> str:
    """Radicale's ETag (and CTag) of a collection from its items' (href,
    ETag) in Radicale's order and its properties (``BaseCollection.etag``)."""
    etag = hashlib.sha256()
    for href, item_etag in etags:
        etag.update((href + "/" + item_etag).encode())
    etag.update(json.dumps(meta, sort_keys=True).encode())
    return '"%s"' % etag.hexdigest()


class CollectionBase(multifilesystem.Collection):
    """Radicale's multifilesystem collection, its internals by name."""

    @property
    def storage(self) -> "StorageBase":
        """The storage this collection belongs to."""
        return self._storage

    @property
    def folder(self) -> str:
        """The collection's directory."""
        return self._filesystem_path

    @property
    def encoding(self) -> str:
        return self._encoding

    @property
    def props_file(self) -> str:
        """The collection's ``.Radicale.props``."""
        return self._props_path

    def stored(self, href: str) -> Optional[radicale_item.Item]:
        """The item stored under ``href`` (a name Radicale made or checked)."""
        return self._get(href, verify_href=False)

    def cache_key(self, raw: bytes, stat: os.stat_result) -> str:
        """Radicale's item-cache key of a file: the hash of its bytes, or its
        mtime and size (``use_mtime_and_size_for_item_cache``)."""
        if self._storage._use_mtime_and_size_for_item_cache:
            return self._item_cache_mtime_and_size(stat.st_size, stat.st_mtime_ns)
        return self._item_cache_hash(raw)

    def cache_content(self, item: radicale_item.Item):
        """What Radicale keeps of an item in its cache (and serves from)."""
        return self._item_cache_content(item)

    def write_cached(self, href: str, item: radicale_item.Item, key: str):
        """Radicale's cache entry for ``item``, in its format but without its
        three fsyncs: an entry lost in a crash is read again from the file."""
        content = self._item_cache_content(item)
        folder = self._storage._get_collection_cache_subfolder(
            self._filesystem_path, CACHE_FOLDER, "item")
        os.makedirs(folder, exist_ok=True)
        durable.replace_file(os.path.join(folder, href), pickle.dumps((key, *content)))
        return content

    def cached(self, href: str, key: str):
        """Radicale's cached facts of an item under ``key``, or None."""
        return multifilesystem.Collection._load_item_cache(self, href, key)

    def _load_item_cache(self, href: str, cache_hash: str):
        # Radicale's hook on every cache lookup: a miss goes to read_uncached.
        content = self.cached(href, cache_hash)
        return content if content is not None else self.read_uncached(href, cache_hash)

    def read_uncached(self, href: str, key: str):
        """Radicale's cached facts of an item its cache lacks, or None
        (Radicale then parses the file with vobject)."""
        return None

    def _store_item_cache(self, href: str, item: radicale_item.Item, cache_hash: str = ""):
        # Radicale's hook on every cache write: after a PUT, and after it
        # parsed a file its cache lacked (then the ETag may be new).
        content = super()._store_item_cache(href, item, cache_hash)
        self.item_cached(href, content.etag)
        return content

    def item_cached(self, href: str, etag: str) -> None:
        """Radicale cached the item under ``href`` with ``etag``."""

    def item_names(self) -> Optional[list[str]]:
        """The items Radicale lists in this collection, in its order
        (``_list``); None when the folder also holds collections (Radicale
        lists those after the items)."""
        names = []
        with os.scandir(self._filesystem_path) as entries:
            for entry in entries:
                if entry.is_dir():
                    if is_item_name(entry.name):
                        return None
                elif entry.is_file() and is_item_name(entry.name):
                    names.append(entry.name)
        return names

    def keeps_own_history(self) -> bool:
        """Whether this collection answers sync-collection from its own
        change history: then Radicale's per-item history files are neither
        written nor scanned on a write (8–450 ms at 3,500 buildings)."""
        return False

    def _update_history_etag(self, href, item):
        if self.keeps_own_history():
            return ""
        return super()._update_history_etag(href, item)

    def _clean_history(self):
        if not self.keeps_own_history():
            super()._clean_history()


class StorageBase(multifilesystem.Storage):
    """Radicale's multifilesystem storage, its internals by name. A
    subclass names its collection class as ``collection_type``."""

    collection_type = CollectionBase

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls._collection_class = cls.collection_type

    @property
    def storage_folder(self) -> str:
        """``[storage] filesystem_folder``."""
        return self._filesystem_folder

    @property
    def collection_root(self) -> str:
        return self._get_collection_root_folder()

    def folder_of(self, sane_path: str) -> str:
        """The directory of a collection (or of an item in ``folder``)."""
        return pathutils.path_to_filesystem(self._get_collection_root_folder(), sane_path,
                                            self._is_collision_free)

    def item_file(self, folder: str, href: str) -> str:
        return pathutils.path_to_filesystem(folder, href, self._is_collision_free)

    def collection_at(self, sane_path: str) -> CollectionBase:
        """The collection object of ``sane_path`` without discovering it."""
        return self._collection_class(self, pathutils.unstrip_path(sane_path, True),
                                      filesystem_path=self.folder_of(sane_path))

    def cache_folder(self, folder: str) -> str:
        """Radicale's item-cache folder of a collection's ``folder``, made."""
        cache = self._get_collection_cache_subfolder(folder, CACHE_FOLDER, "item")
        self._makedirs_synced(cache)
        return cache

    def sync_directory(self, path: str) -> None:
        self._sync_directory(path)

    @property
    def max_resource_size(self) -> int:
        """``[server] max_resource_size``: larger items Radicale skips when
        it reads a whole collection or several items."""
        return self._max_resource_size

    @property
    def max_sync_token_age(self) -> int:
        return self.configuration.get("storage", "max_sync_token_age")


# --- listings from the index -------------------------------------------------

_listing = threading.local()
_DAV = "{DAV:}"
_CALDAV = "{urn:ietf:params:xml:ns:caldav}"
_CARDDAV = "{urn:ietf:params:xml:ns:carddav}"


class ListingPlan:
    """The PROPFIND or REPORT being answered, and the listing the storage
    handed Radicale as a template instead of its items (``use``)."""

    def __init__(self, method: str):
        self.method = method
        self.body = None                    # the request's XML, once read
        self.raw_body = b""
        self.placeholders = listing.Placeholders()
        self.present: Optional[Sequence[listing.Listed]] = None
        self.missing: Sequence[str] = ()

    def _report_template(self, tag: str) -> bool:
        """A REPORT of this kind that asks nothing but what a listing knows:
        no item texts (Radicale counts their events against
        ``max_expand_occurrence``), no recurrences expanded."""
        return (self.method == "REPORT" and self.body is not None and self.present is None
                and self.body.tag == tag
                and all(self.body.find(".//" + name) is None for name in (
                    _CALDAV + "expand", _CALDAV + "calendar-data", _CARDDAV + "address-data")))

    def sync_template(self) -> bool:
        """A sync-collection REPORT the storage may answer with a template."""
        return self._report_template(_DAV + "sync-collection")

    def query_template(self) -> bool:
        """A calendar-query REPORT the storage may answer with a template
        for the items it judged itself."""
        return self._report_template(_CALDAV + "calendar-query")

    def use(self, present: Sequence[listing.Listed], missing: Sequence[str] = ()) -> list[str]:
        """Answer with these items: the names to hand Radicale instead."""
        self.present, self.missing = present, missing
        return [self.placeholders.missing_name] * bool(missing) + [self.placeholders.name]

    def template(self, collection) -> radicale_item.Item:
        p = self.placeholders
        return radicale_item.Item(collection=collection, href=p.name, last_modified=p.last_modified,
                                  text=p.text, etag=p.etag, uid="kamin-template", name="VCALENDAR",
                                  component_name=p.component, time_range=(0, 0))

    def templates(self, collection, names: Iterable[str]) -> Iterator[tuple[str, Any]]:
        """What ``get_multi`` yields for the template names."""
        for name in names:
            if name == self.placeholders.missing_name:
                yield name, None
            elif name == self.placeholders.name:
                yield name, self.template(collection)

    def expand(self, answer: bytes, encoding: str) -> bytes:
        return listing.expand(answer, self.placeholders, self.present or (), self.missing,
                              encoding)


def listing_plan() -> Optional[ListingPlan]:
    """The plan of the PROPFIND or REPORT this thread answers, if any."""
    return getattr(_listing, "plan", None)


def _listing_from_index(method):
    """Answer ``method`` (do_PROPFIND, do_REPORT) with a plan the storage
    may use; expand the answer if it did. If the expansion fails, the
    request is answered again the ordinary way."""
    @functools.wraps(method)
    def answer(self, environ, base_prefix, path, user, user_groups, request_info):
        args = (environ, base_prefix, path, user, user_groups, request_info)
        if not getattr(self._storage, "lists_from_index", False) or self._sharing._enabled:
            return method(self, *args)
        plan = _listing.plan = ListingPlan(method.__name__[3:])
        try:
            status, headers, content, xml_request = method(self, *args)
        finally:
            _listing.plan = None
        if plan.present is None or not isinstance(content, bytes):
            return status, headers, content, xml_request
        try:
            return status, headers, plan.expand(content, self._encoding), xml_request
        except ValueError as e:
            logger.warning("Listing of %r not expanded (%s): answered by Radicale", path, e)
            environ["wsgi.input"] = _Replay(plan.raw_body)
            return method(self, *args)
    answer.kamin_patched = True
    return answer


class _Replay:
    """A request body read again."""

    def __init__(self, data: bytes):
        self._data = data

    def read(self, *args) -> bytes:
        data, self._data = self._data, b""
        return data


def install_item_check(check: Callable[[Any], None]) -> None:
    """Run ``check`` on every VEVENT of a written item before Radicale
    prepares it (and expands its recurrences); its exceptions refuse the
    write as Radicale's own check would (400)."""
    if getattr(radicale_item.check_and_sanitize_items, "kamin_guarded", False):
        return
    original = radicale_item.check_and_sanitize_items

    @functools.wraps(original)
    def guarded(vobject_items, *args, **kwargs):
        for vobject_item in vobject_items:
            for component in getattr(vobject_item, "vevent_list", ()):
                check(component)
        return original(vobject_items, *args, **kwargs)
    guarded.kamin_guarded = True
    radicale_item.check_and_sanitize_items = guarded


class as_htpasswd:
    """A configuration as Radicale's own ``htpasswd`` auth type sees it:
    Radicale keeps successful logins (``cache_logins``) only for types it
    knows, and without that every request pays a bcrypt check (80 ms)."""

    def __init__(self, configuration):
        self._configuration = configuration

    def get(self, section, option):
        if (section, option) == ("auth", "type"):
            return "htpasswd"
        return self._configuration.get(section, option)

    def __getattr__(self, name):
        return getattr(self._configuration, name)


def forget_cached_logins(auth: Any) -> None:
    """Empty Radicale's cache of successful logins (``cache_logins``): after
    a password reset the old password must not stay valid for
    ``cache_successful_logins_expiry`` seconds."""
    cached = getattr(auth, "_cache_successful", None)
    if cached:
        with auth._lock:
            cached.clear()


class RightsBase(radicale_from_file.Rights):
    """Radicale's ``from_file`` rights with the file they were read from and
    a way to take over the rules of a fresh reading of it."""

    @property
    def rights_file(self) -> str:
        return self._filename

    def adopt_rules(self, fresh: "radicale_from_file.Rights") -> None:
        self._rights_config = fresh._rights_config


# --- request bodies ------------------------------------------------------------

def declared_charset(environ: dict) -> Optional[str]:
    """The charset a request's Content-Type names, if any."""
    content_type = environ.get("CONTENT_TYPE") or ""
    if "charset=" not in content_type:
        return None
    return content_type.split("charset=")[1].split(";")[0].strip().strip('"') or None


def _refuse_unknown_charset(environ: dict) -> None:
    charset = declared_charset(environ)
    if charset is None:
        return
    try:
        codecs.lookup(charset)
    except LookupError:
        raise RuntimeError("unknown charset %r in Content-Type" % charset[:40]) from None


def _decode_skipping_unknown_charsets(decode_request):
    """Radicale decodes the Basic credentials with the body's charset too:
    an unknown one is skipped there like one that does not fit (the body
    readers refuse it with a reason)."""
    @functools.wraps(decode_request)
    def decode(configuration, environ, text):
        try:
            return decode_request(configuration, environ, text)
        except LookupError:
            cleaned = dict(environ)
            cleaned["CONTENT_TYPE"] = (environ.get("CONTENT_TYPE") or "").split(";")[0]
            return decode_request(configuration, cleaned, text)
    decode.kamin_patched = True
    return decode


def _read_body_refusing_unknown_charsets(read_request_body):
    @functools.wraps(read_request_body)
    def read(configuration, environ, request_info):
        _refuse_unknown_charset(environ)
        return read_request_body(configuration, environ, request_info)
    read.kamin_patched = True
    return read


def _depth(element) -> int:
    deepest, stack = 0, [(element, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_XML_DEPTH:
            break
        stack.extend((child, level + 1) for child in node)
    return deepest


def _read_xml_refusing_hostile_bodies(read_xml):
    @functools.wraps(read_xml)
    def read(self, environ, request_info):
        _refuse_unknown_charset(environ)
        plan = listing_plan()
        if plan is not None:
            environ["wsgi.input"] = body = _RecordedInput(environ["wsgi.input"])
        try:
            element = read_xml(self, environ, request_info)
        except DefusedXmlException as e:
            raise RuntimeError("the XML body declares entities or external references, "
                               "which are not allowed (%s)" % type(e).__name__) from None
        if element is not None and _depth(element) > MAX_XML_DEPTH:
            raise RuntimeError("the XML body nests more than %d levels deep" % MAX_XML_DEPTH)
        if plan is not None:
            plan.body, plan.raw_body = element, bytes(body.data)
        return element
    read.kamin_patched = True
    return read


def _keeping_text_whole(read_components):
    @functools.wraps(read_components)
    def read(text: str):
        if "BEGIN:VCALENDAR" in text[:4096].upper():
            text = icslines.escape_text_separators(text)
        return read_components(text)
    read.kamin_patched = True
    return read


def install() -> None:
    """Patch Radicale once per process (idempotent)."""
    if not getattr(radicale_item.read_components, "kamin_patched", False):
        radicale_item.read_components = _keeping_text_whole(radicale_item.read_components)
    part = radicale_put.ApplicationPartPut
    if not getattr(part.do_PUT, "kamin_patched", False):
        part.do_PUT = _answer_put_without_changed_etag(part.do_PUT)
    if not getattr(httputils.decode_request, "kamin_patched", False):
        httputils.decode_request = _decode_skipping_unknown_charsets(httputils.decode_request)
    if not getattr(httputils.read_request_body, "kamin_patched", False):
        httputils.read_request_body = _read_body_refusing_unknown_charsets(
            httputils.read_request_body)
    base = radicale_base.ApplicationBase
    if not getattr(base._read_xml_request_body, "kamin_patched", False):
        base._read_xml_request_body = _read_xml_refusing_hostile_bodies(
            base._read_xml_request_body)
    for part, name in ((radicale_propfind.ApplicationPartPropfind, "do_PROPFIND"),
                       (radicale_report.ApplicationPartReport, "do_REPORT")):
        if not getattr(getattr(part, name), "kamin_patched", False):
            setattr(part, name, _listing_from_index(getattr(part, name)))
