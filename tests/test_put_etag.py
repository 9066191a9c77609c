"""The writer's own client sees the colour: a PUT whose body the server
stored transformed answers without an ETag (RFC 4791 section 5.3.4), so the
client downloads the stored entry on its next sync instead of keeping its
own uncoloured copy."""

from __future__ import annotations

import textwrap
import uuid

import caldav
import pytest
import requests

import servers
from conftest import Client, event, ics, prop
from syncing import vdirsyncer_of
from radicale_kamin.server import wsgi

CAL = "/anna/termine/"
INTERNAL = ("X-KAMIN-KIND:internal", "X-KAMIN-PHONE:0911 123456",
            "LOCATION:Königstraße 3\\, 90402 Nürnberg")
VCARD = ("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c1\r\nFN:Erika Beispiel\r\n"
         "TEL;TYPE=HOME:089 / 260 1234\r\nEND:VCARD\r\n")


def test_changed_entry_answers_without_etag_unchanged_with(client):
    created = client.put(CAL + "a.ics", ics(event("a", *INTERNAL)))
    assert created.status == 201 and "etag" not in created.headers
    stored = client.get(CAL + "a.ics")
    same = client.put(CAL + "a.ics", stored.body)
    assert same.status == 204 and same.headers["etag"] == stored.headers["etag"]


def test_one_changed_octet_is_a_change(client):
    client.put(CAL + "a.ics", ics(event("a", *INTERNAL)))
    stored = client.get(CAL + "a.ics")
    with_lf = client.put(CAL + "a.ics", stored.body.replace(b"\r\n", b"\n"))
    assert with_lf.status == 204 and "etag" not in with_lf.headers
    assert client.get(CAL + "a.ics").body == stored.body


def test_contact_put_answers_without_etag_when_normalised(client):
    assert client.request("MKCOL", "/anna/kontakte/", textwrap.dedent("""\
        <?xml version="1.0"?><D:mkcol xmlns:D="DAV:"
          xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype>
          <D:collection/><CR:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>""")
        ).status == 201
    created = client.request("PUT", "/anna/kontakte/c1.vcf", VCARD, content_type="text/vcard")
    assert created.status == 201 and "etag" not in created.headers
    assert "+49892601234" in client.get("/anna/kontakte/c1.vcf").text


def test_whole_calendar_put_answers_without_etag(client):
    body = ics(event("a", *INTERNAL), event("b", "X-KAMIN-KIND:external"))
    response = client.put(CAL, body)
    assert response.status == 201
    assert "etag" not in response.headers
    assert prop(client.get(CAL + "a.ics").text, "COLOR") == "lightgray"


def test_the_wsgi_entry_answers_the_same(app, client):
    wrapped = Client(wsgi.ReadableRefusals(app), "anna")
    created = wrapped.put(CAL + "w.ics", ics(event("w", *INTERNAL)))
    assert created.status == 201 and "etag" not in created.headers
    stored = wrapped.get(CAL + "w.ics")
    same = wrapped.put(CAL + "w.ics", stored.body)
    assert same.headers["etag"] == stored.headers["etag"]


# --- real clients over HTTP ---------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("put-etag")
    with servers.radicale(work / "collections", work / "radicale.log") as url:
        assert requests.request("MKCALENDAR", url + CAL, auth=("anna", "anna-demo")
                                ).status_code == 201
        yield url


@pytest.mark.e2e
def test_python_caldav_client_gets_the_coloured_entry_on_its_next_sync(server):
    client = caldav.DAVClient(url=server + "/", username="anna", password="anna-demo")
    calendar = client.calendar(url=server + CAL)
    local = calendar.objects_by_sync_token(load_objects=True)
    uid = "caldav-" + uuid.uuid4().hex[:8]
    saved = calendar.save_event(ics(event(uid, *INTERNAL, "X-KAMIN-OUTCOME:confirmed")))
    assert saved.etag is None               # nothing to keep: the server changed it
    local.objects.append(saved)             # the client's local copy, as an app keeps it
    local.sync()
    mine = [o for o in local.objects if uid in o.data]
    assert len(mine) == 1
    data = mine[0].data
    assert prop(data, "X-KAMIN-STATUS") == "confirmed"
    assert prop(data, "COLOR") == "green"
    assert "Kamin: bestätigt" in prop(data, "CATEGORIES")
    assert prop(data, "SUMMARY").startswith("✓")


@pytest.mark.e2e
def test_vdirsyncer_gets_the_coloured_entry_on_its_next_sync(server, tmp_path):
    local, run = vdirsyncer_of(tmp_path, server + CAL)

    run("discover")
    run("sync")
    uid = "vdir-" + uuid.uuid4().hex[:8]
    (local / (uid + ".ics")).write_bytes(ics(event(uid, *INTERNAL)).encode())
    run("sync")                         # uploads the new entry
    run("sync")                         # the next ordinary sync
    data = (local / (uid + ".ics")).read_text()
    assert prop(data, "X-KAMIN-STATUS") == "planned"
    assert prop(data, "COLOR") == "lightgray"
    assert "Kamin: geplant" in prop(data, "CATEGORIES")
    assert prop(data, "X-KAMIN-PHONE") == "+49911123456"
