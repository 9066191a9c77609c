"""Real clients syncing with the plugin over HTTP — python caldav with
sync-collection tokens (as DAVx5 and iOS sync), vdirsyncer with PROPFIND
Depth 1 listings and multiget (as Thunderbird lists): new, changed and
deleted entries reach them, and nothing else is fetched again."""

from __future__ import annotations

import uuid

import caldav
import pytest
import requests

import servers
from conftest import event, ics, prop
from syncing import vdirsyncer_of

CAL = "/anna/termine/"
AUTH = ("anna", "anna-demo")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    work = tmp_path_factory.mktemp("client-sync")
    with servers.radicale(work / "collections", work / "radicale.log") as url:
        assert requests.request("MKCALENDAR", url + CAL, auth=AUTH).status_code == 201
        for number in range(5):
            put(url, "seed%d" % number, event("seed%d" % number, "X-KAMIN-KIND:external"))
        yield url


def put(url: str, name: str, body: str) -> None:
    response = requests.put(url + CAL + name + ".ics", data=ics(body).encode(), auth=AUTH,
                            headers={"Content-Type": "text/calendar"})
    assert response.status_code in (201, 204), response.text


def delete(url: str, name: str) -> None:
    assert requests.delete(url + CAL + name + ".ics", auth=AUTH).status_code == 200


@pytest.mark.e2e
def test_python_caldav_syncs_changes_and_deletions_by_token(server):
    client = caldav.DAVClient(url=server + "/", username=AUTH[0], password=AUTH[1])
    local = client.calendar(url=server + CAL).objects_by_sync_token(load_objects=True)
    first_token = local.sync_token
    names = {str(o.url).rsplit("/", 1)[1] for o in local.objects}
    assert {"seed%d.ics" % n for n in range(5)} <= names
    tag = uuid.uuid4().hex[:8]
    put(server, "new-" + tag, event("new-" + tag, "X-KAMIN-KIND:external"))
    put(server, "seed1", event("seed1", "X-KAMIN-KIND:external", summary="Verlegt " + tag))
    delete(server, "seed2")
    updated, deleted = local.sync()
    assert sorted(str(o.url).rsplit("/", 1)[1] for o in updated) == sorted(
        ["new-%s.ics" % tag, "seed1.ics"])
    assert [str(o.url).rsplit("/", 1)[1] for o in deleted] == ["seed2.ics"]
    assert local.sync_token != first_token
    by_name = {str(o.url).rsplit("/", 1)[1]: o for o in local.objects}
    assert "seed2.ics" not in by_name
    assert prop(by_name["seed1.ics"].data, "SUMMARY") == "Verlegt " + tag
    assert prop(by_name["new-%s.ics" % tag].data, "COLOR") == "yellow"
    assert local.sync() == ([], [])                     # nothing changed: nothing fetched


@pytest.mark.e2e
def test_vdirsyncer_follows_changes_and_deletions(server, tmp_path):
    local, run = vdirsyncer_of(tmp_path, server + CAL)

    def texts() -> dict[str, str]:
        return {path.name: path.read_text() for path in local.iterdir()}

    run("discover")
    run("sync")
    before = texts()
    assert sum("UID:seed" in text for text in before.values()) >= 3
    tag = uuid.uuid4().hex[:8]
    put(server, "vdir-" + tag, event("vdir-" + tag, "X-KAMIN-KIND:external"))
    put(server, "seed3", event("seed3", "X-KAMIN-KIND:external", summary="Neu " + tag))
    delete(server, "seed4")
    run("sync")
    after = texts()
    assert any("UID:vdir-%s\n" % tag in text for text in after.values())
    assert not any("UID:seed4\n" in text for text in after.values())
    seed3, = [text for text in after.values() if "UID:seed3\n" in text]
    assert prop(seed3, "SUMMARY") == "Neu " + tag
    unchanged = {name: text for name, text in before.items()
                 if "UID:seed3\n" not in text and "UID:seed4\n" not in text}
    assert all(after.get(name) == text for name, text in unchanged.items())
