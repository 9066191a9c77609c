"""The backend's pages on the in-process application: who may see them,
their headers, escaping, the page's token, long lists."""

from __future__ import annotations

import json
import re
import urllib.parse

from conftest import Client, event, ics

PAGES = "/.web/kamin/"
ORANGE = ("X-KAMIN-KIND:internal", "LOCATION:Hauptstraße 12\\, 80331 München")


def test_only_admins_see_the_backend(app, client):
    assert Client(app, "meister").get(PAGES).status == 200
    refused = client.get(PAGES)
    assert refused.status == 403 and "Meine Arbeitszeiten" in refused.text
    assert client.get(PAGES + "arbeitszeiten/anna").status == 200
    assert client.get(PAGES + "arbeitszeiten/ben").status == 403
    anonymous = Client(app, None).get(PAGES)
    assert anonymous.status == 401 and anonymous.headers["www-authenticate"].startswith("Basic")


def test_pages_allow_no_script_and_no_frame(app, client):
    answer = Client(app, "meister").get(PAGES + "woche")
    policy = answer.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert "frame-ancestors 'none'" in policy and "form-action 'self'" in policy
    assert answer.headers["x-frame-options"] == "DENY"
    assert "<script" not in answer.text and "style=" not in answer.text


def test_markup_in_names_is_escaped(app, client):
    client.put("/anna/termine/x.ics", ics(event(
        "x", *ORANGE, "X-KAMIN-CUSTOMER:<script>alert(1)</script>\"'&")))
    page = Client(app, "meister").get(PAGES + "?now=2026-12-01T10:00")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&#34;&#39;&amp;" in page.text
    assert "<script>" not in page.text


def test_a_form_without_the_token_changes_nothing(app, client):
    client.put("/anna/termine/x.ics", ics(event("x", *ORANGE)))
    meister = Client(app, "meister")
    body = urllib.parse.urlencode({"uid": "x", "calendar": "/anna/termine/",
                                   "phone": "0871 123456"})
    refused = meister.request("POST", PAGES, body,
                              content_type="application/x-www-form-urlencoded")
    assert refused.status == 403 and "abgelaufen" in refused.text
    token = re.search(r'name="csrf" value="([^"]+)"', meister.get(PAGES).text).group(1)
    taken = meister.request("POST", PAGES, body + "&csrf=" + token,
                            content_type="application/x-www-form-urlencoded")
    assert taken.status == 303 and "ok=fix" in taken.headers["location"]
    assert "X-KAMIN-STATUS:planned" in client.get("/anna/termine/x.ics").text


def test_a_refused_form_shows_the_reason_beside_the_field(app):
    meister = Client(app, "meister")
    token = re.search(r'name="csrf" value="([^"]+)"', meister.get(PAGES + "regeln").text).group(1)
    body = urllib.parse.urlencode({"csrf": token, "present_slot_step": "1", "slot_step": "7"})
    answer = meister.request("POST", PAGES + "regeln", body,
                             content_type="application/x-www-form-urlencoded")
    assert answer.status == 400
    assert "Das Raster muss einen Tag glatt teilen" in answer.text
    assert 'value="7"' in answer.text           # what was typed stays


def test_long_lists_show_their_first_entries(app, client, monkeypatch):
    from radicale_kamin.api.backend import views
    monkeypatch.setattr(views, "SHOWN", 2)
    for n in range(3):
        client.put("/anna/termine/o%d.ics" % n, ics(event("o%d" % n, *ORANGE)))
    meister = Client(app, "meister")
    page = meister.get(PAGES + "?now=2026-12-01T10:00").text
    assert page.count('class="card fix"') == 2 and "alle 3 zeigen" in page
    whole = meister.get(PAGES + "?now=2026-12-01T10:00&alle=daten-fehlen").text
    assert whole.count('class="card fix"') == 3


def _post(client, page, fields):
    token = re.search(r'name="csrf" value="([^"]+)"', client.get(PAGES + page).text).group(1)
    return client.request("POST", PAGES + page, urllib.parse.urlencode(
        {**fields, "csrf": token}, doseq=True), content_type="application/x-www-form-urlencoded")


def test_the_staff_table_sets_names_admins_and_calendars(app, client):
    client.mkcalendar("/anna/privat/")
    meister = Client(app, "meister")
    answer = _post(meister, "mitarbeiter", {
        "action": "staff", "name_anna": "Anna Huber", "name_meister": "Meister",
        "admin": ["meister", "anna"], "staff_calendar": ["/anna/termine/"],
        "bookable_anna": "/anna/termine/"})
    assert answer.status == 303, answer.text
    settings = json.loads(meister.get("/.web/kamin/api/settings").text)
    assert settings["staff_names"]["anna"] == "Anna Huber"
    assert settings["admins"] == ["meister", "anna"]
    assert settings["non_staff_calendars"] == ["/anna/privat/"]
    staff = json.loads(meister.get("/.web/kamin/api/staff").text)["staff"]
    assert [(s["id"], s["name"], s["calendars"]) for s in staff] == [
        ("anna", "Anna Huber", ["/anna/termine/"])]
    assert client.get(PAGES).status == 200              # anna is an admin now


def test_the_hours_form_saves_week_b(app, client):
    answer = _post(client, "arbeitszeiten/anna", {
        "action": "save", "w0_mon_1_start": "07:00", "w0_mon_1_end": "12:00",
        "rotation": "on", "rotation_start": "2026-11-30",
        "w1_mon_1_start": "13:00", "w1_mon_1_end": "18:00"})
    assert answer.status == 303, answer.text
    hours = json.loads(client.get("/.web/kamin/api/staff/anna/working-hours").text)
    assert hours["rotation"]["start"] == "2026-11-30"
    assert hours["rotation"]["weeks"][0]["mon"] == [{"start": "13:00", "end": "18:00"}]
    page = client.get(PAGES + "arbeitszeiten/anna").text
    assert 'name="rotation" checked' in page
