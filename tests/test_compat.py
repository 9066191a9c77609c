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
