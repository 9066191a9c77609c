"""Contract tests for ``radicale_kamin.compat``: each pins one assumption
about Radicale's internals, so an upgrade that breaks one names it."""

from __future__ import annotations

import inspect

from radicale import Application
from radicale.app import put as radicale_put

from conftest import Client, event, ics, load_config
from radicale_kamin import compat


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
