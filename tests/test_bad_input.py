"""Bad input: a 4xx that names the problem, nothing stored, and no customer
data in the log."""

import base64
import logging

import pytest
from radicale import Application

from conftest import Client, event, ics, load_config
from radicale_kamin.server.wsgi import ReadableRefusals

CAL = "/anna/termine/"
CUSTOMER = ("X-KAMIN-CUSTOMER:Hildegard Obermüller", "X-KAMIN-PHONE:0171 9876543",
            "LOCATION:Sonnenblumenweg 7\\, 80331 München")
SECRETS = ("Obermüller", "Hildegard", "9876543", "Sonnenblumenweg")

BAD_ENTRIES = {
    "unknown kind": (event("x", "X-KAMIN-KIND:urgent", *CUSTOMER), "X-KAMIN-KIND"),
    "negative attempts": (event("x", "X-KAMIN-KIND:internal", "X-KAMIN-ATTEMPTS:-1", *CUSTOMER),
                          "X-KAMIN-ATTEMPTS"),
    "malformed callback": (event("x", "X-KAMIN-KIND:internal", "X-KAMIN-OUTCOME:callback",
                                 "X-KAMIN-CALLBACK:nächste Woche", *CUSTOMER), "X-KAMIN-CALLBACK"),
    "unknown outcome": (event("x", "X-KAMIN-KIND:internal", "X-KAMIN-OUTCOME:vielleicht", *CUSTOMER),
                        "X-KAMIN-OUTCOME"),
    "never occurring rule": (event("x", "RRULE:FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30", *CUSTOMER),
                             "FREQ=SECONDLY"),
    "impossible yearly rule": (event("x", "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", *CUSTOMER),
                               "no occurrence within 8 years"),
    "two new categories": (event("x", "X-KAMIN-KIND:internal", "CATEGORIES:Kamin: bestätigt,Kamin: abgelehnt",
                                 *CUSTOMER), "more than one new Kamin category"),
}

MALFORMED = {
    "line without colon": ics(event("x", *CUSTOMER)).replace(
        "X-KAMIN-CUSTOMER:Hildegard Obermüller", "X-KAMIN-CUSTOMER Hildegard Obermüller"),
    "unterminated": ics(event("x", *CUSTOMER)).replace("END:VCALENDAR\r\n", ""),
    "bad date": ics(event("x", *CUSTOMER, start="Hildegard Obermüller 0171 9876543")),
    "garbage": "Hildegard Obermüller, Sonnenblumenweg 7, Tel 0171 9876543",
    "no uid": ics(event("x", *CUSTOMER)).replace("UID:x\r\n", ""),
}


@pytest.fixture
def quiet_log(caplog):
    caplog.set_level(logging.INFO, logger="radicale")
    return caplog


@pytest.mark.parametrize("name", sorted(BAD_ENTRIES))
def test_bad_entry_is_refused_and_nothing_stored(client, name):
    body, _ = BAD_ENTRIES[name]
    response = client.put(CAL + "x.ics", ics(body))
    assert 400 <= response.status < 500
    assert client.get(CAL + "x.ics").status == 404


@pytest.mark.parametrize("name", sorted(BAD_ENTRIES))
def test_bad_update_leaves_the_stored_entry_as_it_was(client, name):
    client.put(CAL + "x.ics", ics(event("x", "X-KAMIN-KIND:internal", *CUSTOMER)))
    before = client.get(CAL + "x.ics").body
    body, _ = BAD_ENTRIES[name]
    assert client.put(CAL + "x.ics", ics(body)).status == 400
    assert client.get(CAL + "x.ics").body == before


@pytest.mark.parametrize("name", sorted(BAD_ENTRIES))
def test_wsgi_entry_answers_with_the_reason(app, name):
    readable = Client(ReadableRefusals(app), "anna")
    readable.mkcalendar(CAL)
    body, expected = BAD_ENTRIES[name]
    response = readable.put(CAL + "x.ics", ics(body))
    assert response.status == 400
    assert expected in response.text
    assert not any(secret in response.text for secret in SECRETS)


def test_wsgi_entry_answers_json_when_asked(app):
    readable = Client(ReadableRefusals(app), "anna")
    readable.mkcalendar(CAL)
    response = readable.put(CAL + "x.ics", ics(BAD_ENTRIES["unknown kind"][0]),
                            accept="application/json")
    assert response.headers["content-type"] == "application/json"
    assert "allowed: internal" in response.text


def test_wsgi_entry_names_an_icalendar_syntax_error(app):
    readable = Client(ReadableRefusals(app), "anna")
    readable.mkcalendar(CAL)
    response = readable.put(CAL + "x.ics", MALFORMED["line without colon"])
    assert response.status == 400
    assert "not valid iCalendar" in response.text


def test_wsgi_entry_passes_good_requests_through(app):
    readable = Client(ReadableRefusals(app), "anna")
    assert readable.mkcalendar(CAL).status == 201
    assert readable.put(CAL + "ok.ics", ics(event("ok"))).status == 201
    assert readable.get(CAL + "ok.ics").status == 200


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_icalendar_is_refused_without_customer_data_in_log(client, quiet_log, name):
    response = client.put(CAL + "x.ics", MALFORMED[name])
    assert 400 <= response.status < 500
    assert client.get(CAL + "x.ics").status == 404
    assert not [s for s in SECRETS if s in quiet_log.text], quiet_log.text


@pytest.mark.parametrize("name", sorted(BAD_ENTRIES))
def test_refused_entry_reason_is_logged_without_customer_data(client, quiet_log, name):
    body, expected = BAD_ENTRIES[name]
    client.put(CAL + "x.ics", ics(body))
    assert expected in quiet_log.text
    assert not [s for s in SECRETS if s in quiet_log.text], quiet_log.text


def test_debug_level_keeps_radicales_detail(client, caplog):
    caplog.set_level(logging.DEBUG, logger="radicale")
    client.put(CAL + "x.ics", MALFORMED["line without colon"])
    assert "Bad PUT request" in caplog.text



@pytest.mark.parametrize("credentials", [
    "Basic " + base64.b64encode(b"anna-without-colon").decode(),
    "Basic not base64 at all!",
    "Basic",
    "Basic äöü",
])
def test_malformed_basic_authorization_is_a_401_not_a_500(storage_folder, credentials):
    """Stock Radicale's htpasswd answers these with 500 before any plugin
    runs; radicale_kamin.auth asks for credentials again."""
    stock = Application(load_config(storage_folder, auth={"type": "htpasswd"}))
    assert Client(stock, None).request("PROPFIND", CAL, authorization=credentials).status == 500
    app = Application(load_config(storage_folder))
    response = Client(app, None).request("PROPFIND", CAL, authorization=credentials)
    assert response.status == 401
    assert response.headers["www-authenticate"].startswith("Basic")


def test_the_auth_plugin_keeps_successful_logins_like_radicales_htpasswd(app):
    """bcrypt costs ~80 ms: the polling assistant must not pay it per request."""
    assert app._auth._cache_logins is True
    Client(app, "assistant").get("/.web/kamin/api/staff")
    assert len(app._auth._cache_successful) == 1
