"""Contract tests for ``radicale_kamin.server.compat``: each pins one assumption
about Radicale's internals, so an upgrade that breaks one names it."""

from __future__ import annotations

import inspect

from radicale import Application
from radicale.app import put as radicale_put

from conftest import Client, event, ics, load_config
from radicale_kamin.server import compat


def test_put_is_answered_by_application_part_put_do_put():
    parameters = list(inspect.signature(radicale_put.ApplicationPartPut.do_PUT).parameters)
    assert parameters[:3] == ["self", "environ", "base_prefix"]
    assert "do_PUT" not in Application.__dict__          # the patched method is the one used


def test_stock_put_answers_a_headers_dict_with_the_etag(tmp_path, monkeypatch):
    """Radicale's own do_PUT answers ``(status, {"ETag": …}, answer, xml)``:
    the shape the patch filters."""
    compat.install()
    original = radicale_put.ApplicationPartPut.do_PUT.__wrapped__
    answers = []

    def recording(self, *args, **kwargs):
        answers.append(original(self, *args, **kwargs))
        return answers[-1]

    monkeypatch.setattr(radicale_put.ApplicationPartPut, "do_PUT", recording)
    stock = Client(Application(load_config(tmp_path / "collections",
                                           storage={"type": "multifilesystem"})), "anna")
    assert stock.mkcalendar("/anna/termine/").status == 201
    assert stock.put("/anna/termine/a.ics", ics(event("a"))).status == 201
    (status, headers, _, _), = answers
    assert status == 201 and isinstance(headers, dict) and headers["ETag"].startswith('"')


def test_put_reads_its_body_through_wsgi_input(client):
    """The patch learns the request body by recording ``wsgi.input``: if
    Radicale read it another way, an unchanged entry would lose its ETag."""
    client.put("/anna/termine/a.ics", ics(event("a")))
    stored = client.get("/anna/termine/a.ics")
    assert client.put("/anna/termine/a.ics", stored.body).headers["etag"] == stored.headers["etag"]


def test_webdav_bodies_are_read_by_application_base_read_xml_request_body():
    """Every XML body goes through this one reader; its RuntimeError is
    Radicale's "bad request" (400) for PROPFIND, REPORT, PROPPATCH, MKCOL,
    MKCALENDAR."""
    import radicale.app as app_package
    from radicale.app import base

    assert getattr(base.ApplicationBase._read_xml_request_body, "kamin_patched", False)
    for module in ("propfind", "report", "proppatch", "mkcol", "mkcalendar"):
        source = inspect.getsource(getattr(app_package, module))
        assert "_read_xml_request_body" in source and "except RuntimeError" in source, module


def test_put_reads_its_body_with_httputils_read_request_body():
    from radicale import httputils

    assert getattr(httputils.read_request_body, "kamin_patched", False)
    assert "httputils.read_request_body(" in inspect.getsource(radicale_put.ApplicationPartPut)
    assert "except RuntimeError" in inspect.getsource(radicale_put.ApplicationPartPut.do_PUT
                                                      .__wrapped__)


# --- the storage's internals ----------------------------------------------------

def test_radicale_has_the_storage_members_the_plugin_names():
    from radicale.storage import multifilesystem

    for name in ("_get", "_item_cache_hash", "_item_cache_mtime_and_size",
                 "_item_cache_content", "_load_item_cache", "upload", "get_all"):
        assert callable(getattr(multifilesystem.Collection, name)), name
    assert "verify_href" in inspect.signature(multifilesystem.Collection._get).parameters
    for name in ("_get_collection_root_folder", "_get_collection_cache_subfolder",
                 "_makedirs_synced", "_sync_directory", "acquire_lock", "discover"):
        assert callable(getattr(multifilesystem.Storage, name)), name


def test_a_cache_miss_reaches_read_uncached_and_our_cache_entries_are_radicales(
        app, client, storage_folder, monkeypatch):
    """Radicale asks ``_load_item_cache`` on every item lookup; an entry
    written by ``write_cached`` is one Radicale's own lookup accepts."""
    import shutil

    from radicale_kamin.server.storage import Collection

    client.put("/anna/termine/a.ics", ics(event("a")))
    shutil.rmtree(storage_folder / "collection-root" / "anna" / "termine" / ".Radicale.cache")
    misses = []
    original = Collection.read_uncached
    monkeypatch.setattr(Collection, "read_uncached",
                        lambda self, href, key: misses.append(href) or original(self, href, key))
    assert client.get("/anna/termine/a.ics").status == 200
    assert misses == ["a.ics"]
    assert client.get("/anna/termine/a.ics").status == 200
    assert misses == ["a.ics"]                 # the entry written on the miss was used


def test_the_item_check_runs_before_radicale_prepares_a_put(client):
    """A refusal from the check is Radicale's 400, before any storage call."""
    from radicale import item as radicale_item

    assert getattr(radicale_item.check_and_sanitize_items, "kamin_guarded", False)
    put_source = inspect.getsource(radicale_put.prepare)
    assert "radicale_item.check_and_sanitize_items(" in put_source
    rule = event("r", "RRULE:FREQ=SECONDLY")
    assert client.put("/anna/termine/r.ics", ics(rule)).status == 400


def test_radicale_caches_logins_only_for_auth_types_it_knows(tmp_path):
    from radicale.auth import htpasswd

    configuration = load_config(tmp_path / "c")
    assert configuration.get("auth", "type") == "radicale_kamin.auth"
    assert htpasswd.Auth(compat.as_htpasswd(configuration))._cache_logins is True
    assert "cache_logins" in inspect.getsource(htpasswd.Auth.__mro__[1].__init__)


def test_report_prefilters_are_radicales():
    import radicale.item.filter as radicale_filter

    assert compat.simplify_prefilters is radicale_filter.simplify_prefilters
    assert list(inspect.signature(compat.simplify_prefilters).parameters)[:2] == [
        "filters", "collection_tag"]


def test_storage_subclasses_set_radicales_collection_class():
    from radicale_kamin.server.storage import Collection, Storage

    assert Storage._collection_class is Collection
    from radicale.storage.multifilesystem import discover
    assert "self._collection_class(" in inspect.getsource(discover)


# --- listings from the index -----------------------------------------------------

def test_propfind_and_report_are_answered_by_the_methods_the_plugin_wraps():
    """Both take (environ, base_prefix, path, user, user_groups, request_info)
    and are patched; the answer they return is (status, headers, bytes, xml)."""
    from radicale.app import propfind, report

    for part, name in ((propfind.ApplicationPartPropfind, "do_PROPFIND"),
                       (report.ApplicationPartReport, "do_REPORT")):
        method = getattr(part, name)
        assert getattr(method, "kamin_patched", False), name
        assert list(inspect.signature(method.__wrapped__).parameters) == [
            "self", "environ", "base_prefix", "path", "user", "user_groups", "request_info"]
        assert name not in Application.__dict__
    assert "return client.MULTI_STATUS, headers, self._xml_response(" in inspect.getsource(
        propfind.ApplicationPartPropfind.do_PROPFIND.__wrapped__)


def test_propfind_lists_a_collection_through_storage_discover():
    """The storage hands PROPFIND Depth 1 its items through discover(path,
    depth, None, user_groups), after the collection (first)."""
    from radicale.app import propfind

    source = inspect.getsource(propfind.ApplicationPartPropfind.do_PROPFIND.__wrapped__)
    assert "self._storage.discover(\n                path, http_depth,\n                None, " \
        "user_groups)" in source
    assert "self._sharing._enabled" in source


def test_sync_collection_asks_collection_sync_then_get_multi():
    """A sync-collection REPORT takes the token and the changed names from
    collection.sync(old_token), then the items from get_multi(names), a
    missing one answered 404."""
    from radicale.app import report

    source = inspect.getsource(report.xml_report)
    assert "sync_token, names = collection.sync(old_sync_token)" in source
    assert "collection.get_multi(get_names(share))" in inspect.getsource(report.retrieve_items)
    assert "found_item=False" in inspect.getsource(report.retrieve_items)


def test_radicale_keeps_history_on_writes_through_the_two_methods_skipped():
    from radicale.storage.multifilesystem import delete, get, sync, upload

    for source in (inspect.getsource(upload.CollectionPartUpload.upload),
                   inspect.getsource(delete.CollectionPartDelete.delete)):
        assert "self._update_history_etag(href, " in source
        assert "self._clean_history()" in source
    assert "self._update_history_etag(href, item)" in inspect.getsource(
        sync.CollectionPartSync.sync)
    assert "self._store_item_cache(" in inspect.getsource(get.CollectionPartGet._get)


def test_the_plugins_listing_names_are_radicales(client, storage_folder):
    """item_names is Radicale's _list (files with safe names, in its order)."""
    from radicale_kamin.server.storage import Collection

    for name in ("a", "b", "c"):
        client.put("/anna/termine/%s.ics" % name, ics(event(name)))
    folder = storage_folder / "collection-root" / "anna" / "termine"
    (folder / ".hidden").write_text("x")
    collection = next(iter(client.app._storage.discover("/anna/termine/")))
    assert isinstance(collection, Collection)
    assert collection.item_names() == list(collection._list())


def test_the_plugins_prefilter_and_collection_etag_are_radicales(client):
    """compat.prefiltered and collection_etag compute what
    BaseCollection.get_filtered and BaseCollection.etag do."""
    from radicale import storage as radicale_storage
    from radicale.item import filter as radicale_filter

    client.put("/anna/termine/a.ics", ics(event("a")))
    client.put("/anna/termine/b.ics", ics(event("b", start="20270101T090000Z",
                                                end="20270101T100000Z")))
    collection = next(iter(client.app._storage.discover("/anna/termine/")))
    items = list(multifilesystem_items(collection))
    for start, end in ((1796800000, 1796900400), (1830000000, 1830003600),
                       (1700000000, 1900000000), (1796896800, 1796900400)):
        filters = [time_filter(start, end)]
        prefilter = radicale_filter.simplify_prefilters(filters, "VCALENDAR")
        theirs = [(i.href, m) for i, m in radicale_storage.BaseCollection.get_filtered(
            collection, filters)]
        assert [(i.href, m) for i, m in compat.prefiltered(items, *prefilter)] == theirs
    assert compat.collection_etag(((i.href, i.etag) for i in items), collection.get_meta()) == \
        radicale_storage.BaseCollection.etag.fget(collection)


def multifilesystem_items(collection):
    from radicale.storage import multifilesystem
    return multifilesystem.Collection.get_all(collection)


def time_filter(start: int, end: int):
    import datetime as dt
    import xml.etree.ElementTree as ET

    def stamp(t):
        return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return ET.fromstring(
        '<C:filter xmlns:C="urn:ietf:params:xml:ns:caldav"><C:comp-filter name="VCALENDAR">'
        '<C:comp-filter name="VEVENT"><C:time-range start="%s" end="%s"/></C:comp-filter>'
        '</C:comp-filter></C:filter>' % (stamp(start), stamp(end)))


def test_the_listings_dates_are_radicales(client, storage_folder):
    """getlastmodified of an item: Radicale formats its file's float mtime."""
    import os

    from radicale.storage import multifilesystem

    from radicale_kamin.server.listing import http_date

    client.put("/anna/termine/a.ics", ics(event("a")))
    path = storage_folder / "collection-root" / "anna" / "termine" / "a.ics"
    collection = next(iter(client.app._storage.discover("/anna/termine/")))
    for ns in (1_733_340_000_999_999_999, 1_733_340_000_000_000_001, 1_733_340_000_500_000_000):
        os.utime(path, ns=(ns, ns))
        item = multifilesystem.Collection._get(collection, "a.ics")
        assert http_date(os.stat(path).st_mtime_ns) == item.last_modified


def test_radicale_has_the_members_the_listing_names(client, app):
    import os

    collection = next(iter(app._storage.discover("/anna/termine/")))
    assert os.path.basename(collection.props_file) == ".Radicale.props"
    assert os.path.exists(collection.props_file)
    assert app._storage.max_resource_size == app.configuration.get("server",
                                                                   "max_resource_size")
    assert app._storage.max_sync_token_age == 30 * 24 * 3600


def test_the_file_names_radicale_lists_are_the_plugins():
    from radicale import pathutils

    for name in ("a.ics", "ä b.ics", ".hidden", ".Radicale.props", "x.ics~", "~x", "a:b",
                 "..ics", "x.", "-", " ", "a~b.ics"):
        assert compat.is_item_name(name) == pathutils.is_safe_filesystem_path_component(name)


def test_the_properties_vobject_allows_once_are_the_plugins():
    """A plain file (read without vobject) must be one vobject can read:
    none of these twice (entries.facts)."""
    from vobject import icalendar

    from radicale_kamin.entries import facts

    assert set(facts.SINGLE_EVENT_PROPERTIES) == {
        name for name, (_, most, _) in icalendar.VEvent.knownChildren.items() if most == 1}
    assert set(facts.SINGLE_CALENDAR_PROPERTIES) == {
        name for name, (_, most, _) in icalendar.VCalendar2_0.knownChildren.items() if most == 1}


def test_radicale_reads_put_bodies_and_files_with_read_components():
    from radicale import item as radicale_item
    from radicale.storage.multifilesystem import get

    assert getattr(radicale_item.read_components, "kamin_patched", False)
    assert "radicale_item.read_components(" in inspect.getsource(radicale_put.ApplicationPartPut)
    assert "radicale_item.read_components(" in inspect.getsource(get)


def test_a_put_below_web_reaches_the_web_plugin_not_the_storage(app):
    """Radicale hands a web plugin only GET and POST; the JSON API's PUT
    settings needs the PUT too (compat routes it by Radicale's do_PUT
    arguments: environ, base_prefix, path, user, …)."""
    parameters = list(inspect.signature(radicale_put.ApplicationPartPut.do_PUT.__wrapped__
                                        ).parameters)
    assert parameters[:5] == ["self", "environ", "base_prefix", "path", "user"]
    assert hasattr(app, "_web")
    meister = Client(app, "meister")
    answer = meister.request("PUT", "/.web/kamin/api/settings", '{"announce_days": 9}',
                             content_type="application/json")
    assert answer.status == 200, answer.text
    assert '"announce_days": 9' in answer.text


def test_radicales_login_cache_is_a_dict_by_user_under_a_lock(app):
    """``forget_cached_logins`` empties ``_cache_successful`` under ``_lock``
    of Radicale's auth (cache_logins): a reset password must stop working
    at once."""
    auth = app._auth
    assert isinstance(auth._cache_successful, dict)
    assert hasattr(auth._lock, "acquire")
    assert Client(app, "anna").request("PROPFIND", "/anna/", depth="0").status in (207, 404)
    assert "anna" in auth._cache_successful
    compat.forget_cached_logins(auth)
    assert auth._cache_successful == {}


def test_rights_base_names_radicales_file_and_rules(tmp_path):
    """``RightsBase`` reads ``_filename`` and replaces ``_rights_config`` of
    Radicale's ``from_file`` rights: a fresh reading's rules take effect."""
    rules = tmp_path / "rights"
    rules.write_text("[all]\nuser: .+\ncollection: .*\npermissions: RrWw\n")
    configuration = load_config(tmp_path / "collections", rights={"file": str(rules)})
    rights = compat.RightsBase(configuration)
    assert rights.rights_file == str(rules)
    assert rights.authorization("anna", set(), "/bert/termine") == "RrWw"
    rules.write_text("[own]\nuser: .+\ncollection: {user}(/.*)?\npermissions: RrWw\n")
    rights.adopt_rules(compat.RightsBase(configuration))
    assert rights.authorization("anna", set(), "/bert/termine") == ""
    assert rights.authorization("anna", set(), "/anna/termine") == "RrWw"


def test_no_module_but_compat_reaches_another_objects_private_member():
    """Radicale behind one door: ``x._member`` on anything but ``self`` or
    ``cls`` is written in compat.py only."""
    import ast
    import pathlib

    package = pathlib.Path(compat.__file__).resolve().parents[1]
    reached = []
    for path in package.rglob("*.py"):
        if path.name == "compat.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_")
                    and not node.attr.startswith("__")
                    and ast.unparse(node.value) not in ("self", "cls")):
                reached.append("%s:%d %s" % (path.name, node.lineno, ast.unparse(node)))
    assert reached == []
