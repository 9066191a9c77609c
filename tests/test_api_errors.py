"""Refusals are mapped to 4xx in one place for every endpoint: an entry
the profile refuses (here: edited outside Radicale into an unknown kind)
gives 400 with the reason, never 500."""

from __future__ import annotations

import json

import pytest

from conftest import Client, event, ics

API = "/.web/kamin/api/"
CAL = "/anna/termine/"
NOW = "2026-12-01T10:00:00+01:00"


@pytest.fixture
def refused_on_disk(app, client, storage_folder):
    """An appointment whose file was edited outside Radicale into a value
    the profile refuses (X-KAMIN-KIND:sometime)."""
    body = ics(event("edited", "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:089 123456",
                     "LOCATION:Hauptstraße 12\\, 80331 München",
                     start="20261208T090000Z", end="20261208T100000Z"))
    assert client.put(CAL + "edited.ics", body).status == 201
    path = storage_folder / "collection-root" / "anna" / "termine" / "edited.ics"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "X-KAMIN-KIND:internal", "X-KAMIN-KIND:sometime"), encoding="utf-8")
    return Client(app, "assistant")


@pytest.mark.parametrize("path,body", [
    ("bookings/edited/move", {"start": "2026-12-09T09:00:00+01:00"}),
    ("bookings/edited/cancel", {"reason": "krank"}),
    ("calls/edited/outcome", {"outcome": "confirmed"}),
])
def test_refused_entry_is_a_400_with_its_reason(refused_on_disk, storage_folder, path, body):
    response = refused_on_disk.request("POST", API + path + "?now=" + NOW.replace("+", "%2B"), json.dumps(body),
                                       content_type="application/json")
    assert response.status == 400, response.text
    assert "X-KAMIN-KIND: unknown kind" in json.loads(response.text)["error"]
    on_disk = (storage_folder / "collection-root" / "anna" / "termine" / "edited.ics").read_text()
    assert "X-KAMIN-KIND:sometime" in on_disk            # nothing written
