"""The office backend's endpoints on the real Radicale application in
process: settings that apply in every process and survive a restart, staff
who can log in at once, working hours that change the slots, the office's
fixes, contacts, external calendars, imports, CSRF and access."""

from __future__ import annotations

import base64
import json
import os
import shutil
import urllib.parse

import pytest
from radicale import Application

from conftest import FIXTURES, ROOT, Client, event, ics, load_config, prop
from test_subscriptions import FeedServer, feed, ok

API = "/.web/kamin/api/"
JSON = {"content_type": "application/json"}
ORANGE = ("X-KAMIN-KIND:internal", "X-KAMIN-CUSTOMER:Familie Huber",
          "LOCATION:Hauptstraße 12\\, 80331 München")


@pytest.fixture
def users(tmp_path):
    path = tmp_path / "users"
    shutil.copy(ROOT / "config" / "users", path)
    return path


@pytest.fixture
def make_app(storage_folder, users):
    def make():
        return Application(load_config(storage_folder, auth={"htpasswd_filename": str(users)}))
    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def meister(app):
    return Client(app, "meister")


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()


def call(client, method, path, body=None, **headers):
    answer = client.request(method, API + path, json.dumps(body) if body is not None else "",
                            **{**JSON, **headers})
    return answer.status, json.loads(answer.text)


def at(moment: str) -> str:
    return urllib.parse.quote(moment)


# --- settings ----------------------------------------------------------------------

def test_a_changed_calling_window_applies_in_every_process_and_after_a_restart(
        make_app, client):
    first, second = make_app(), make_app()          # two server processes, one storage
    assert client.put("/anna/termine/a.ics", ics(event(
        "a", "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:089 123456",
        "LOCATION:Hauptstraße 12\\, 80331 München"))).status == 201
    assistant = Client(second, "assistant")
    monday = "due-calls?lease=false&now=" + at("2026-11-30T08:30:00+01:00")
    assert call(assistant, "GET", monday)[1]["calling_time"] is True
    status, settings = call(Client(first, "meister"), "PUT", "settings",
                            {"calling_hours": "09:00-17:00"})
    assert status == 200 and settings["calling_hours"] == "09:00-17:00"
    assert call(assistant, "GET", monday)[1]["calling_time"] is False
    restarted = Client(make_app(), "assistant")
    assert call(restarted, "GET", monday)[1]["calling_time"] is False


def test_a_changed_announce_period_recomputes_due_periods_without_a_rebuild(app, client):
    assert client.put("/anna/termine/a.ics", ics(event(
        "a", "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:089 123456",
        "LOCATION:Hauptstraße 12\\, 80331 München",
        start="20261210T090000Z", end="20261210T100000Z"))).status == 201
    assistant = Client(app, "assistant")
    tuesday = "due-calls?lease=false&now=" + at("2026-12-01T10:00:00+01:00")
    assert call(assistant, "GET", tuesday)[1]["calls"] == []       # 7 days: from 3 December
    index_file = os.path.join(app._storage.storage_folder, "kamin-index.sqlite")
    inode = os.stat(index_file).st_ino
    assert call(Client(app, "meister"), "PUT", "settings", {"announce_days": 10})[0] == 200
    assert [c["uid"] for c in call(assistant, "GET", tuesday)[1]["calls"]] == ["a"]
    assert os.stat(index_file).st_ino == inode


def test_invalid_settings_are_refused_in_german_and_nothing_is_stored(meister):
    status, answer = call(meister, "PUT", "settings",
                          {"calling_hours": "18-08", "announce_days": 9})
    assert status == 400
    assert set(answer["problems"]) == {"calling_hours"}
    assert call(meister, "GET", "settings")[1]["announce_days"] == 7
    status, answer = call(meister, "PUT", "settings", {"announce_days": "neun"})
    assert status == 400 and answer["problems"]["announce_days"] == "Bitte eine ganze Zahl angeben."


def test_settings_and_their_log_are_for_admins_only(app, meister):
    assert call(Client(app, "anna"), "GET", "settings")[0] == 403
    assert call(Client(app, "anna"), "PUT", "settings", {"announce_days": 9})[0] == 403
    assert call(Client(app, None), "GET", "settings")[0] == 401
    call(meister, "PUT", "settings", {"announce_days": 9})
    change = call(meister, "GET", "changes")[1]["changes"][0]
    assert (change["user"], change["area"], change["old"], change["new"]) == (
        "meister", "settings", "7", "9")
    options = {o["name"]: o for o in call(meister, "GET", "settings/options")[1]["options"]}
    assert (options["announce_days"]["value"], options["announce_days"]["default"],
            options["announce_days"]["changed"]) == (9, 7, True)


def test_setting_a_default_again_removes_the_offices_change(meister):
    call(meister, "PUT", "settings", {"slot_buffer": 30})
    call(meister, "PUT", "settings", {"slot_buffer": 15})
    options = {o["name"]: o for o in call(meister, "GET", "settings/options")[1]["options"]}
    assert options["slot_buffer"]["changed"] is False


def test_an_admin_cannot_remove_themself(meister):
    status, answer = call(meister, "PUT", "settings", {"admins": ["anna"]})
    assert status == 400 and "selbst" in answer["problems"]["admins"]


# --- CSRF -----------------------------------------------------------------------------

def test_a_request_from_another_origin_is_refused(meister):
    status, answer = call(meister, "PUT", "settings", {"announce_days": 9},
                          origin="http://evil.example")
    assert status == 403 and "another origin" in answer["error"]
    assert call(meister, "GET", "settings")[1]["announce_days"] == 7
    assert call(meister, "PUT", "settings", {"announce_days": 9},
                origin="http://localhost:5232", host="localhost:5232")[0] == 200


def test_a_form_post_without_the_pages_token_is_refused(meister):
    answer = meister.request("PUT", API + "settings", '{"announce_days": 9}',
                             content_type="text/plain")
    assert answer.status == 403 and "CSRF" in answer.text


# --- staff --------------------------------------------------------------------------

def test_a_new_employee_logs_in_at_once_and_is_bookable(app, meister):
    status, member = call(meister, "POST", "staff",
                          {"id": "carla", "name": "Carla Huber", "password": "carla-geheim"})
    assert status == 201
    assert member == {"id": "carla", "name": "Carla Huber", "calendar": "/carla/termine/",
                      "calendars": ["/carla/termine/"]}
    carla = Client(app, None)
    found = carla.request("PROPFIND", "/carla/termine/", depth="0",
                          authorization=basic("carla", "carla-geheim"))
    assert found.status == 207
    staff = call(Client(app, "assistant"), "GET", "staff")[1]["staff"]
    assert {"id": "carla", "name": "Carla Huber", "calendar": "/carla/termine/",
            "calendars": ["/carla/termine/"]} in staff
    assert call(meister, "POST", "staff", {"id": "carla", "name": "C",
                                           "password": "noch-eins-1"})[0] == 409


def test_the_password_is_stored_bcrypt_hashed(users, meister):
    call(meister, "POST", "staff", {"id": "dora", "name": "Dora", "password": "dora-geheim"})
    line = [l for l in users.read_text().splitlines() if l.startswith("dora:")][0]
    assert line.split(":", 1)[1].startswith("$2b$")
    assert "dora-geheim" not in users.read_text()


def test_a_weak_password_is_refused_in_german(meister):
    status, answer = call(meister, "POST", "staff", {"id": "eva", "name": "Eva",
                                                     "password": "kurz"})
    assert status == 400 and "mindestens 8 Zeichen" in answer["problems"]["password"]


def test_a_reset_password_replaces_the_old_one_at_once(app, meister):
    anna = Client(app, None)
    old = basic("anna", "anna-demo")
    assert anna.request("PROPFIND", "/anna/", depth="0", authorization=old).status == 207
    assert call(meister, "POST", "staff/anna/password", {"password": "neues-passwort"})[0] == 200
    # Radicale's login cache (cache_logins) would keep the old one for 15 s.
    assert anna.request("PROPFIND", "/anna/", depth="0", authorization=old).status == 401
    assert anna.request("PROPFIND", "/anna/", depth="0",
                        authorization=basic("anna", "neues-passwort")).status == 207


def test_accounts_list_every_user_with_calendars_and_flags(client, meister):
    accounts = {a["id"]: a for a in call(meister, "GET", "accounts")[1]["accounts"]}
    assert set(accounts) == {"meister", "anna", "ben", "assistant"}
    assert accounts["meister"]["admin"] and not accounts["anna"]["admin"]
    assert accounts["anna"]["calendars"] == [{"path": "/anna/termine/", "name": None,
                                              "staff": True, "bookable": True}]


# --- working hours --------------------------------------------------------------------

SLOTS = "slots?staff=anna&from=2026-12-07T00:00&to=2026-12-08T00:00&now=" + at(
    "2026-12-01T10:00:00+01:00")


def test_changed_working_hours_change_the_slots(app, client):
    assistant = Client(app, "assistant")
    before = [s["start"][11:16] for s in call(assistant, "GET", SLOTS)[1]["slots"]]
    assert before[0] == "07:00" and before[-1] == "15:00"
    status, hours = call(client, "PUT", "staff/anna/working-hours", {
        "weekly": {"mon": [{"start": "08:00", "end": "10:00"}]}})
    assert status == 200 and hours["source"] == "backend"
    after = [s["start"][11:16] for s in call(assistant, "GET", SLOTS)[1]["slots"]]
    assert after == ["08:00", "08:15", "08:30", "08:45", "09:00"]
    call(client, "POST", "staff/anna/working-hours/reset", {})
    assert [s["start"][11:16] for s in call(assistant, "GET", SLOTS)[1]["slots"]] == before


def test_changed_working_hours_are_published_on_the_employees_calendar(client):
    """The calendar's ``calendar-availability`` (RFC 7953) follows an edit and
    a reset at once, as ``kamin setup`` would write it."""
    def published():
        answer = client.request("PROPFIND", "/anna/termine/", depth="0", body=(
            '<?xml version="1.0"?><propfind xmlns="DAV:" '
            'xmlns:C="urn:ietf:params:xml:ns:caldav"><prop><C:calendar-availability/>'
            '</prop></propfind>'))
        return answer.text

    call(client, "PUT", "staff/anna/working-hours", {
        "weekly": {"mon": [{"start": "08:00", "end": "10:00"}]}})
    edited = published()
    assert "BYDAY=MO" in edited and "T080000" in edited and "T100000" in edited
    assert "BYDAY=TU" not in edited
    call(client, "POST", "staff/anna/working-hours/reset", {})
    assert "BYDAY=MO,TU,WE,TH,FR" in published()


def test_an_employee_edits_their_own_hours_but_nobody_elses(app, client):
    assert call(client, "GET", "staff/anna/working-hours")[0] == 200
    Client(app, "ben").mkcalendar("/ben/termine/")
    assert call(client, "PUT", "staff/ben/working-hours", {"weekly": {}})[0] == 403
    assert call(Client(app, "meister"), "PUT", "staff/ben/working-hours",
                {"weekly": {}})[0] == 200


def test_working_hours_show_holidays_and_all_day_absences(client):
    assert client.put("/anna/termine/u.ics", ics(
        "UID:u\nDTSTAMP:20261101T100000Z\nDTSTART;VALUE=DATE:20261228\n"
        "DTEND;VALUE=DATE:20261231\nSUMMARY:Urlaub")).status == 201
    hours = call(client, "GET", "staff/anna/working-hours?now=" + at("2026-12-01T10:00"))[1]
    assert {"date": "2026-12-25", "name": "Erster Weihnachtstag"} in hours["holidays"]
    assert hours["absences"] == [{"start": "2026-12-28", "end": "2026-12-30",
                                  "summary": "Urlaub", "calendar": "/anna/termine/"}]


def test_a_plan_with_overlapping_times_is_refused_in_german(client):
    status, answer = call(client, "PUT", "staff/anna/working-hours", {"weekly": {"mon": [
        {"start": "07:00", "end": "12:00"}, {"start": "11:00", "end": "16:00"}]}})
    assert status == 400 and "überschneidet" in answer["error"]


# --- the office's boards ------------------------------------------------------------------

def test_fixing_the_phone_takes_an_entry_out_of_orange(client, meister):
    assert client.put("/anna/termine/o.ics", ics(event("o", *ORANGE))).status == 201
    missing = call(meister, "GET", "data-missing?now=" + at("2026-12-01T10:00"))[1]["entries"]
    assert [(e["uid"], e["missing"]) for e in missing] == [("o", ["phone"])]
    status, changed = call(meister, "POST", "entries/o/fix", {"phone": "0871 123456"})
    assert status == 200 and changed["entry"]["state"] == "planned"
    assert changed["entry"]["phone"] == "+49871123456"
    assert call(meister, "GET", "data-missing?now=" + at("2026-12-01T10:00"))[1]["entries"] == []
    assert "Telefon ergänzt im Büro von meister" in client.get("/anna/termine/o.ics").text


def test_the_week_board_shows_each_employees_entries_and_hours(client, meister):
    client.put("/anna/termine/o.ics", ics(event("o", *ORANGE)))
    board = call(meister, "GET", "week?start=2026-12-09")[1]
    assert board["from"] == "2026-12-07"
    monday = board["rows"][0]["days"][0]
    assert monday["hours"] == [{"start": "07:00", "end": "16:00"}]
    assert [(e["uid"], e["state"]) for e in monday["entries"]] == [("o", "data-missing")]
    assert {"state": "data-missing", "label": "Kamin: Daten fehlen", "colour": "orange",
            "meaning": "Daten fehlen: kein Anruf möglich"} in board["legend"]


def test_an_entry_shows_its_call_log_and_building(client, meister, app):
    client.put("/anna/termine/c.ics", ics(event(
        "c", "X-KAMIN-KIND:internal", "X-KAMIN-PHONE:089 123456", "X-KAMIN-BUILDING:LG-7",
        "LOCATION:Hauptstraße 12\\, 80331 München")))
    call(Client(app, "assistant"), "POST", "calls/c/outcome?now=" + at("2026-11-30T10:05"),
         {"outcome": "unreached"})
    detail = call(meister, "GET", "entries/c")[1]
    assert detail["log"] == ["30.11.2026 10:05 Anruf: nicht erreicht (1. Versuch)"]
    assert detail["location"] == "Hauptstraße 12, 80331 München"


def test_a_contact_edit_rederives_its_orange_entries(client, meister, app):
    anna = Client(app, "anna")
    assert anna.request("MKCOL", "/anna/kontakte/", (
        '<?xml version="1.0"?><mkcol xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">'
        '<set><prop><resourcetype><collection/><C:addressbook/></resourcetype></prop></set>'
        '</mkcol>')).status == 201
    assert anna.request("PUT", "/anna/kontakte/h.vcf", (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:h\r\nFN:Familie Huber\r\n"
        "ADR;TYPE=home:;;Hauptstraße 12;München;;80331;Deutschland\r\n"
        "X-KAMIN-BUILDING:LG-9\r\nEND:VCARD\r\n"), content_type="text/vcard").status == 201
    client.put("/anna/termine/o.ics", ics(event("o", *ORANGE, "X-KAMIN-BUILDING:LG-9")))
    assert prop(client.get("/anna/termine/o.ics").text, "X-KAMIN-STATUS") == "data-missing"
    found = call(meister, "GET", "contacts?q=huber")[1]["contacts"]
    assert [c["uid"] for c in found] == ["h"]
    assert [c["uid"] for c in call(meister, "GET", "contacts?q=LG-9")[1]["contacts"]] == ["h"]
    status, detail = call(meister, "PUT", "contacts/h", {"phone": "089 1234567"})
    assert status == 200 and detail["contact"]["phone"] == "+49891234567"
    assert [(e["uid"], e["state"]) for e in detail["entries"]] == [("o", "planned")]
    assert prop(client.get("/anna/termine/o.ics").text, "X-KAMIN-STATUS") == "planned"


# --- external calendars and imports ---------------------------------------------------------

def test_a_subscription_added_in_the_backend_is_synced_and_removed(client, meister):
    server = FeedServer()
    server.thread.start()
    try:
        url = server.serve("/feed.ics", ok(feed("google_private_feed.ics")))
        status, added = call(meister, "POST", "subscriptions", {
            "name": "privat-anna", "url": url, "calendar": "/anna/termine/"})
        assert status == 201 and added["source"] == "backend"
        status, synced = call(meister, "POST", "subscriptions/privat-anna/sync", {})
        assert status == 200 and synced["status"] == "changed" and synced["created"] > 0
        listed = call(meister, "GET", "subscriptions")[1]["subscriptions"]
        assert [(s["name"], s["ok"], s["events"] > 0) for s in listed] == [
            ("privat-anna", True, True)]
        assert call(meister, "POST", "subscriptions/privat-anna/remove", {})[0] == 200
        assert call(meister, "GET", "subscriptions")[1]["subscriptions"] == []
        assert "privat-anna" not in client.request("PROPFIND", "/anna/termine/",
                                                   depth="1").text
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()


def test_a_bad_subscription_url_is_refused_in_german(client, meister):
    status, answer = call(meister, "POST", "subscriptions", {
        "name": "x", "url": "ftp://example.org/a.ics", "calendar": "/anna/termine/"})
    assert status == 400 and "http://" in answer["problems"]["url"]


def test_an_uploaded_file_is_previewed_then_imported(client, meister):
    data = (FIXTURES / "imports" / "customers_cp1252_semicolon_messy.csv").read_bytes()
    status, preview = call(meister, "POST", "imports", {
        "file": "kunden.csv", "content": base64.b64encode(data).decode(),
        "calendar": "/anna/termine/"})
    assert status == 201 and preview["status"] == "preview"
    assert ("Telefon", "phone") in [(c["header"], c["field"]) for c in preview["columns"]]
    assert sum(preview["counts"].values()) == preview["total"] > 0
    assert client.request("PROPFIND", "/anna/kontakte/", depth="0").status == 404
    remapped = call(meister, "POST", "imports/%s/preview" % preview["id"],
                    {"columns": {"Telefon": "ignore"}})[1]
    assert ("Telefon", None) in [(c["header"], c["field"]) for c in remapped["columns"]]
    assert call(meister, "POST", "imports/%s/preview" % preview["id"], {"columns": {}})[0] == 200
    status, started = call(meister, "POST", "imports/%s/run" % preview["id"], {})
    assert status == 202
    import time
    for _ in range(200):
        job = call(meister, "GET", "imports/" + preview["id"])[1]
        if job["status"] != "running":
            break
        time.sleep(0.05)
    assert job["status"] == "done" and job["written"]["created"] > 0
    assert client.request("PROPFIND", "/anna/kontakte/", depth="1").status == 207
    assert "Import kunden.csv" in call(meister, "GET", "changes")[1]["changes"][0]["what"]
