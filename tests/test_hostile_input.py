"""Hostile and odd request bodies are 4xx with a reason, never 500:
entity bombs, external entities, deep nesting, unknown charsets — under
Radicale's own server and under the production command alike."""

from __future__ import annotations

import pytest
import requests

import servers
from conftest import event, ics

CAL = "/anna/termine/"
LAUGHS = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
          '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
          '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
          '<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/>&lol3;</D:prop></D:propfind>')
EXTERNAL = ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
            '<D:propfind xmlns:D="DAV:"><D:prop>&e;</D:prop></D:propfind>')
DEEP = ('<?xml version="1.0"?><D:propfind xmlns:D="DAV:">' + "<D:prop>" * 5000
        + "</D:prop>" * 5000 + "</D:propfind>")
BODIES = {"entity-bomb": LAUGHS, "external-entity": EXTERNAL, "deep-nesting": DEEP}


@pytest.mark.parametrize("method", ["PROPFIND", "REPORT"])
@pytest.mark.parametrize("name", BODIES)
def test_hostile_xml_is_400(client, method, name):
    response = client.request(method, CAL, BODIES[name], depth="1",
                              content_type="application/xml")
    assert response.status == 400


def test_an_ordinary_propfind_still_works(client):
    body = ('<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/>'
            '</D:prop></D:propfind>')
    assert client.request("PROPFIND", CAL, body, depth="1",
                          content_type="application/xml").status == 207


def test_unknown_charset_is_400_and_nothing_stored(client):
    response = client.request("PUT", CAL + "x.ics", ics(event("x")),
                              content_type="text/calendar; charset=klingonisch")
    assert response.status == 400
    assert client.get(CAL + "x.ics").status == 404
    response = client.request("PROPFIND", CAL, "<x/>", depth="1",
                              content_type="application/xml; charset=klingonisch")
    assert response.status == 400


def test_unknown_charset_on_a_get_does_not_break_the_login(client):
    response = client.request("GET", CAL, content_type="text/plain; charset=klingonisch")
    assert response.status == 200


@pytest.mark.e2e
@pytest.mark.parametrize("command", ["radicale", "kamin serve"])
def test_hostile_bodies_over_http(tmp_path, command):
    folder, log = tmp_path / "collections", tmp_path / "server.log"
    if command == "radicale":
        context = servers.radicale(folder, log)
    else:
        context = servers.kamin_serve(tmp_path, log)
    auth = ("anna", "anna-demo")
    with context as url:
        assert requests.request("MKCALENDAR", url + CAL, auth=auth).status_code == 201
        for body in BODIES.values():
            answer = requests.request("PROPFIND", url + CAL, data=body.encode(), auth=auth,
                                      headers={"Depth": "1", "Content-Type": "application/xml"})
            assert answer.status_code == 400
        answer = requests.put(url + CAL + "x.ics", data=ics(event("x")).encode(), auth=auth,
                              headers={"Content-Type": "text/calendar; charset=klingonisch"})
        assert answer.status_code == 400
