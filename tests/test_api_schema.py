"""The API against its generated OpenAPI document, on the real Radicale
application in process: schemathesis generates valid (positive) and invalid
(negative) requests from the document; no answer may be a 5xx, every answer
must match the document, invalid requests must be refused and credentials
must be required. Deterministic (fixed seed, derandomized), so a failure
here is a failure on every run."""

from __future__ import annotations

import importlib.util

import pytest
import schemathesis
from radicale import Application
from schemathesis.specs.openapi.checks import (allow_header_conformance,
                                               positive_data_acceptance, unsupported_method)

from conftest import ROOT, Client, event, ics, load_config
from radicale_kamin.api.endpoints import ENDPOINTS
from radicale_kamin.api.openapi import document

CONFIG = schemathesis.Config.from_dict({
    "seed": 20261201,
    "base-url": "http://localhost/.web/kamin/api",
    "auth": {"basic": {"username": "assistant", "password": "assistant-demo"}},
    "generation": {"mode": "all", "max-examples": 100, "deterministic": True,
                   "database": "none"},
    "phases": {"stateful": {"enabled": False}},
})


class LazyApp:
    """The WSGI application schemathesis calls, also for the probes of its
    checks (a request without credentials must reach this application, not
    whatever answers on localhost:80); the fixture puts a fresh Radicale
    application behind it."""

    application = None

    def __call__(self, environ, start_response):
        return self.application(environ, start_response)


APP = LazyApp()
schema = schemathesis.openapi.from_dict(document(ENDPOINTS), config=CONFIG)
schema.app = APP


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    # No delay after a wrong password: the checks send some on purpose.
    application = Application(load_config(tmp_path_factory.mktemp("schema") / "collections",
                                          auth={"delay": "0"}))
    anna = Client(application, "anna")
    anna.mkcalendar("/anna/termine/")
    anna.put("/anna/termine/known.ics", ics(event(
        "known", "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:089 123456",
        "LOCATION:Hauptstraße 12\\, 80331 München")))
    APP.application = application
    return application


@schema.parametrize()
def test_api_matches_its_schema_and_never_fails(case, app):
    response = case.call(headers={"Accept-Encoding": "identity"})
    assert response.status_code < 500, response.text
    # Radicale itself answers methods the API does not declare (OPTIONS with
    # its own Allow, TRACE, …) and paths it finds malformed (plain-text
    # 400). Valid data
    # may rightly be refused: a generated UID names no entry (404), a
    # generated slot is in the past (400).
    case.validate_response(response, excluded_checks=[
        unsupported_method, allow_header_conformance, positive_data_acceptance])


def _build_openapi():
    spec = importlib.util.spec_from_file_location("build_openapi",
                                                  ROOT / "tools" / "build_openapi.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_document_is_what_the_code_generates():
    expected = _build_openapi().render()
    committed = (ROOT / "docs" / "openapi.yaml").read_text(encoding="utf-8")
    assert committed == expected, "docs/openapi.yaml is stale: run tools/build_openapi.py"
