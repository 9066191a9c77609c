"""The office's real tasks in a real browser (headless Chromium, selenium)
against a real ``kamin serve`` process: add an employee and log in over
CalDAV as them, change working hours and see the slots change, fix an
orange entry in place, import a file, add an external calendar and sync it,
add a webhook subscriber and send a parked event again, markup in a customer's name shown as text, and a cross-site form refused.
One browser and one server for the module; the last test saves the
screenshots of the main pages (into docs/screenshots/ with
KAMIN_SCREENSHOTS=docs)."""

from __future__ import annotations

import http.server
import os
import pathlib
import shutil
import sqlite3
import threading
import urllib.parse

import caldav
import pytest
import requests
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

import browser
import servers
from conftest import FIXTURES, ROOT, event, ics
from receiver import Receiver
from radicale_kamin.server.state import STATE_FILE
from test_subscriptions import FeedServer, feed, ok

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
PASSWORDS = {"meister": "meister-demo", "anna": "anna-demo", "assistant": "assistant-demo"}
NOW = "2026-12-01T10:00:00+01:00"
ORANGE = ("X-KAMIN-KIND:internal", "X-KAMIN-CUSTOMER:Familie Gruber",
          "LOCATION:Hauptstraße 12\\, 80331 München")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> pathlib.Path:
    """The server's folder (its storage is ``collections/`` in it)."""
    return tmp_path_factory.mktemp("backend")


@pytest.fixture(scope="module")
def server(folder):
    users = folder / "users"
    shutil.copy(ROOT / "config" / "users", users)
    with servers.kamin_serve(folder, folder / "serve.log",
                             auth={"htpasswd_filename": str(users)},
                             storage={"kamin_working_hours": "",
                                      "kamin_subscriptions": ""}) as url:
        for user in ("anna", "ben"):
            answer = requests.request("MKCALENDAR", "%s/%s/termine/" % (url, user),
                                      auth=(user, "%s-demo" % user), timeout=10)
            assert answer.status_code == 201
        yield url


@pytest.fixture(scope="module")
def chrome():
    problem = browser.missing()
    if problem:
        pytest.fail(problem)
    driver = browser.start()
    yield driver
    driver.quit()


@pytest.fixture
def office(chrome):
    browser.log_in(chrome, "meister", PASSWORDS["meister"])
    return chrome


def page(driver, server: str, path: str = "", **query) -> None:
    driver.get(server + "/.web/kamin/" + path + (
        "?" + urllib.parse.urlencode(query) if query else ""))


def text(driver) -> str:
    return driver.find_element(By.TAG_NAME, "main").text


def api(server, user, method, path, **kwargs):
    return requests.request(method, server + "/.web/kamin/api/" + path,
                            auth=(user, PASSWORDS.get(user, "")), timeout=30, **kwargs)


def put_entry(server, uid: str, *lines: str, start="20261207T090000Z", end="20261207T100000Z"):
    answer = requests.put("%s/anna/termine/%s.ics" % (server, uid),
                          data=ics(event(uid, *lines, start=start, end=end)).encode(),
                          headers={"Content-Type": "text/calendar"},
                          auth=("anna", "anna-demo"), timeout=10)
    assert answer.status_code in (201, 204), answer.text


def set_value(driver, element, value: str) -> None:
    """Date and time inputs take their value as the page would get it typed."""
    driver.execute_script("arguments[0].value = arguments[1]", element, value)


def submit(driver, button) -> None:
    """Click a form's button (or a link) and wait until the browser shows
    the next page, loaded: the old page's mark is gone."""
    driver.execute_script("window.kaminOldPage = true")
    button.click()
    WebDriverWait(driver, 30, 0.05, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(
            "return document.readyState === 'complete' && !window.kaminOldPage"))


def message(driver) -> str:
    found = driver.find_elements(By.CSS_SELECTOR, ".message")
    return " ".join(m.text for m in found)


# --- the office's tasks --------------------------------------------------------------------

def test_staff_get_no_backend_but_their_own_hours(chrome, server):
    browser.log_in(chrome, "anna", PASSWORDS["anna"])
    page(chrome, server)
    assert "Kein Zugang" in chrome.find_element(By.TAG_NAME, "h1").text
    submit(chrome, chrome.find_element(By.LINK_TEXT, "Meine Arbeitszeiten und Abwesenheiten"))
    assert "Arbeitszeiten Anna" in chrome.find_element(By.TAG_NAME, "h1").text


def test_add_an_employee_who_then_logs_in_over_caldav(office, server):
    page(office, server, "mitarbeiter")
    form = office.find_element(By.ID, "new-staff")
    form.find_element(By.NAME, "id").send_keys("carla")
    form.find_element(By.NAME, "name").send_keys("Carla Huber")
    form.find_element(By.NAME, "password").send_keys("carla-geheim")
    form.find_element(By.NAME, "password2").send_keys("carla-geheim")
    submit(office, form.find_element(By.TAG_NAME, "button"))
    assert "sofort anmelden" in message(office)
    assert "/carla/termine/" in text(office)
    client = caldav.DAVClient(url=server + "/", username="carla", password="carla-geheim")
    names = [c.url.path for c in client.principal().calendars()]
    assert names == ["/carla/termine/"]
    staff = api(server, "assistant", "GET", "staff").json()["staff"]
    assert {"id": "carla", "name": "Carla Huber", "calendar": "/carla/termine/",
            "calendars": ["/carla/termine/"]} in staff


def test_change_working_hours_and_the_slots_change(office, server):
    slots = "slots?staff=anna&from=2026-12-07T00:00&to=2026-12-08T00:00&now=" + \
        urllib.parse.quote(NOW)
    before = [s["start"][11:16] for s in api(server, "assistant", "GET", slots).json()["slots"]]
    assert (before[0], before[-1]) == ("07:00", "15:00")
    page(office, server, "arbeitszeiten/anna")
    set_value(office, office.find_element(By.NAME, "w0_mon_1_start"), "08:00")
    set_value(office, office.find_element(By.NAME, "w0_mon_1_end"), "10:00")
    submit(office, office.find_element(By.CSS_SELECTOR, "#hours button[type=submit]"))
    assert "gelten ab sofort" in message(office)
    after = [s["start"][11:16] for s in api(server, "assistant", "GET", slots).json()["slots"]]
    assert after == ["08:00", "08:15", "08:30", "08:45", "09:00"]


def test_fix_an_orange_entry_in_place(office, server):
    put_entry(server, "orange-1", *ORANGE)
    page(office, server, now=NOW)
    missing = office.find_element(By.ID, "daten-fehlen")
    assert "Familie Gruber" in missing.text and "Telefon" in missing.text
    form = next(f for f in missing.find_elements(By.CSS_SELECTOR, "form.fix")
                if "Familie Gruber" in f.text)
    form.find_element(By.NAME, "phone").send_keys("0871 123456")
    submit(office, form.find_element(By.TAG_NAME, "button"))
    assert "ergänzt" in message(office)
    assert "Familie Gruber" not in office.find_element(By.ID, "daten-fehlen").text
    stored = requests.get(server + "/anna/termine/orange-1.ics", auth=("anna", "anna-demo"),
                          timeout=10).text
    assert "X-KAMIN-STATUS:planned" in stored and "+49871123456" in stored


def test_import_a_file_with_preview_and_report(office, server):
    page(office, server, "import")
    upload = office.find_element(By.ID, "upload")
    upload.find_element(By.NAME, "file").send_keys(
        str(FIXTURES / "imports" / "customers_cp1252_semicolon_messy.csv"))
    Select(upload.find_element(By.NAME, "calendar")).select_by_value("/anna/termine/")
    submit(office, upload.find_element(By.TAG_NAME, "button"))
    assert "Vorschau" in office.find_element(By.ID, "status").text
    assert "grün" in text(office)
    columns = office.find_element(By.ID, "columns")
    fax = next(s for s in columns.find_elements(By.TAG_NAME, "select")
               if s.get_attribute("aria-label") == "Feld für Fax")
    Select(fax).select_by_value("ignore")
    submit(office, columns.find_element(By.TAG_NAME, "button"))
    assert "Spaltenzuordnung ist übernommen" in message(office)
    submit(office, office.find_element(By.CSS_SELECTOR, "#run button"))
    # The page reloads itself every 2 seconds while the import runs.
    WebDriverWait(office, 60, 0.2, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.find_element(By.ID, "status").text == "fertig")
    WebDriverWait(office, 30, 0.05, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script("return document.readyState") == "complete")
    assert "geschrieben" in text(office)
    report = office.find_element(By.LINK_TEXT, "Bericht herunterladen (CSV)").get_attribute("href")
    csv = requests.get(report, auth=("meister", "meister-demo"), timeout=10)
    assert csv.status_code == 200 and "Ampel" in csv.content.decode("utf-8-sig")
    page(office, server, "kontakte", q="Huber")
    assert "Huber" in text(office)


def test_add_an_external_calendar_and_sync_it(office, server):
    feeds = FeedServer()
    feeds.thread.start()
    try:
        url = feeds.serve("/private.ics", ok(feed("google_private_feed.ics")))
        page(office, server, "kalender")
        form = office.find_element(By.ID, "new-subscription")
        form.find_element(By.NAME, "name").send_keys("privat-anna")
        form.find_element(By.NAME, "url").send_keys(url)
        Select(form.find_element(By.NAME, "calendar")).select_by_value("/anna/termine/")
        submit(office, form.find_element(By.TAG_NAME, "button"))
        assert "eingetragen" in message(office)
        assert "noch nie" in text(office)
        submit(office, office.find_element(By.CSS_SELECTOR, "button[value=sync]"))
        assert "neu" in message(office) and "privat-anna" in message(office)
        assert "noch nie" not in text(office)
        listed = api(server, "meister", "GET", "subscriptions").json()["subscriptions"]
        assert listed[0]["ok"] and listed[0]["events"] > 0
    finally:
        feeds.httpd.shutdown()
        feeds.httpd.server_close()


def test_rules_are_checked_and_every_change_is_logged(office, server):
    page(office, server, "regeln")
    hours = office.find_element(By.NAME, "calling_hours")
    hours.clear()
    hours.send_keys("18:00-08:00")
    submit(office, office.find_element(By.CSS_SELECTOR, "#rules button[type=submit]"))
    problem = office.find_element(By.CSS_SELECTOR, ".option.invalid .problem").text
    assert "Beginn liegt vor dem Ende" in problem
    assert api(server, "meister", "GET", "settings").json()["calling_hours"] == "08:00-18:00"
    hours = office.find_element(By.NAME, "calling_hours")
    hours.clear()
    hours.send_keys("08:00-17:00")
    submit(office, office.find_element(By.CSS_SELECTOR, "#rules button[type=submit]"))
    assert "gelten ab sofort" in message(office)
    assert api(server, "meister", "GET", "settings").json()["calling_hours"] == "08:00-17:00"
    page(office, server, "protokoll")
    assert "Einstellung Anrufzeiten" in text(office) and "08:00-17:00" in text(office)


def test_markup_in_a_customers_name_is_shown_as_text(office, server):
    hostile = "<img src=x onerror=alert(1)>"
    put_entry(server, "hostile", "X-KAMIN-KIND:internal", "X-KAMIN-CUSTOMER:" + hostile,
              "LOCATION:Hauptstraße 12\\, 80331 München", start="20261208T090000Z",
              end="20261208T100000Z")
    for path, query in (("", {"now": NOW}), ("woche", {"start": "2026-12-08"}),
                        ("eintrag/hostile", {})):
        page(office, server, path, **query)
        assert hostile in office.find_element(By.TAG_NAME, "body").text
        assert office.find_elements(By.CSS_SELECTOR, "main img") == []
        with pytest.raises(NoAlertPresentException):
            office.switch_to.alert.text
    # gone again: the screenshots of the shared server show ordinary customers
    assert requests.delete(server + "/anna/termine/hostile.ics", auth=("anna", "anna-demo"),
                           timeout=10).status_code == 200


def reload_until(driver, server: str, path: str, ready, timeout: float = 30) -> None:
    """Show ``path`` again until ``ready(main's text)`` (the server's
    dispatcher sends in its own thread)."""
    def shown(d):
        page(d, server, path)
        return ready(text(d))
    WebDriverWait(driver, timeout, 0.3, ignored_exceptions=(WebDriverException,)).until(shown)


def park_waiting(folder: pathlib.Path, subscriber: str) -> int:
    """The retry period is over for ``subscriber``'s waiting events: parked
    as the dispatcher parks them (a day is too long to wait in a test)."""
    db = sqlite3.connect(folder / "collections" / STATE_FILE, timeout=30)
    try:
        with db:
            return db.execute(
                "UPDATE webhook_deliveries SET state='parked', done_at=strftime('%s', 'now')"
                " WHERE subscriber=? AND state='pending' AND owner IS NULL",
                (subscriber,)).rowcount
    finally:
        db.close()


def test_add_a_webhook_subscriber_and_send_a_parked_event_again(office, server, folder,
                                                                tmp_path):
    receiver = Receiver(secret="buero-geheimnis-0123456789")
    try:
        page(office, server, "webhooks")
        assert "Noch kein Empfänger" in text(office)
        form = office.find_element(By.ID, "new-webhook")
        form.find_element(By.NAME, "name").send_keys("assistent")
        form.find_element(By.NAME, "url").send_keys(receiver.url)
        form.find_element(By.NAME, "secret").send_keys(receiver.secret)
        for name in ("booking.created", "booking.cancelled"):
            form.find_element(By.CSS_SELECTOR, "input[value='%s']" % name).click()
        submit(office, form.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert "eingetragen" in message(office)
        card = office.find_element(By.ID, "empfaenger-assistent")
        assert "Geheimnis gesetzt" in card.text and "Termin gebucht" in card.text
        assert receiver.secret not in office.page_source

        put_entry(server, "hook-1", "X-KAMIN-KIND:external", "X-KAMIN-CUSTOMER:Familie Berger",
                  start="20261214T080000Z", end="20261214T090000Z")
        arrived = receiver.wait_for(1, event="booking.created")[0]
        assert arrived.signature_ok and arrived.data["uid"] == "hook-1"
        reload_until(office, server, "webhooks", lambda t: "1 zugestellt" in t)
        assert "noch nie" not in office.find_element(By.CSS_SELECTOR, ".last-success").text

        receiver.status = 503                   # the receiver is down
        assert requests.delete(server + "/anna/termine/hook-1.ics", auth=("anna", "anna-demo"),
                               timeout=10).status_code == 200
        reload_until(office, server, "webhooks", lambda t: "HTTP 503" in t)
        assert park_waiting(folder, "assistent") == 1
        page(office, server, "webhooks")
        parked = office.find_element(By.ID, "parked")
        assert "Termin abgesagt oder freigegeben" in parked.text and "assistent" in parked.text
        screenshot(office, screenshots(tmp_path) / "webhooks.png")
        office.set_window_size(390, 844)        # with a subscriber and a parked event
        try:
            width = office.execute_script(
                "return [document.body.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1] + 1, width
        finally:
            office.set_window_size(1400, 1000)
        parked = office.find_element(By.ID, "parked")

        receiver.status = 204                   # back
        submit(office, parked.find_element(By.CSS_SELECTOR, "button[value=retry]"))
        assert "1 geparkte Ereignisse werden jetzt erneut gesendet" in message(office)
        again = receiver.wait_for(1, event="booking.cancelled")[0]
        assert again.signature_ok and again.data["uid"] == "hook-1"
        reload_until(office, server, "webhooks", lambda t: "Keine geparkten Ereignisse" in t
                     and "2 zugestellt" in t)

        submit(office, office.find_element(By.CSS_SELECTOR,
                                           "#empfaenger-assistent button[value=remove]"))
        assert "entfernt" in message(office) and "Noch kein Empfänger" in text(office)
    finally:
        receiver.stop()


def test_a_form_on_another_site_is_refused(office, server):
    target = server + "/.web/kamin/regeln"
    evil = ("<html><body><form id=f method=post action='%s'>"
            "<input name=present_announce_days value=1><input name=announce_days value=99>"
            "<button>go</button></form>"
            "<form id=j method=post enctype=text/plain action='%s'>"
            "<input name='{\"id\": \"mallory\", \"name\": \"M\", \"password\": "
            "\"mallory-pw\", \"x\": \"' value='\"}'><button>json</button>"
            "</form></body></html>" % (target, server + "/.web/kamin/api/staff"))

    class Evil(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = evil.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Evil)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        for form in ("f", "j"):
            office.get("http://127.0.0.1:%d/" % site.server_address[1])
            submit(office, office.find_element(By.CSS_SELECTOR, "#%s button" % form))
            WebDriverWait(office, 10).until(lambda d: d.current_url.startswith(server))
            WebDriverWait(office, 10, 0.1).until(
                lambda d: "Abgelehnt" in d.page_source or "refused" in d.page_source)
        assert api(server, "meister", "GET", "settings").json()["announce_days"] == 7
        accounts = api(server, "meister", "GET", "accounts").json()["accounts"]
        assert "mallory" not in [a["id"] for a in accounts]
    finally:
        site.shutdown()
        site.server_close()


def test_the_pages_fit_a_phone_screen(office, server):
    office.set_window_size(390, 844)
    try:
        for path, query in (("", {"now": NOW}), ("woche", {"start": "2026-12-07"}),
                            ("arbeitszeiten/anna", {}), ("regeln", {}), ("webhooks", {})):
            page(office, server, path, **query)
            width = office.execute_script(
                "return [document.body.scrollWidth, window.innerWidth]")
            assert width[0] <= width[1] + 1, (path, width)
    finally:
        office.set_window_size(1400, 1000)


SHOTS = (("heute", "", {"now": NOW}), ("woche", "woche", {"start": "2026-12-07"}),
         ("mitarbeiter", "mitarbeiter", {}), ("arbeitszeiten", "arbeitszeiten/anna", {}),
         ("regeln", "regeln", {}), ("kontakte", "kontakte", {"q": "Freising"}),
         ("externe-kalender", "kalender", {}), ("import", "import", {}),
         ("protokoll", "protokoll", {}))


def screenshots(tmp_path) -> pathlib.Path:
    """Where screenshots go: docs/screenshots/ with KAMIN_SCREENSHOTS=docs,
    the folder it names, or the test's own."""
    target = pathlib.Path(os.environ["KAMIN_SCREENSHOTS"]) if os.environ.get(
        "KAMIN_SCREENSHOTS", "") not in ("", "docs") else (
        ROOT / "docs" / "screenshots" if os.environ.get("KAMIN_SCREENSHOTS") == "docs"
        else tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target


def screenshot(driver, path: pathlib.Path) -> None:
    """The whole page, as tall as it is."""
    height = driver.execute_script("return document.body.scrollHeight")
    driver.set_window_size(1400, min(max(height + 100, 700), 2400))
    driver.save_screenshot(str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    driver.set_window_size(1400, 1000)


def test_screenshots_of_the_main_pages(office, server, tmp_path):
    """Each main page as the office sees it, for the README."""
    put_entry(server, "booked-1", "X-KAMIN-KIND:external", "X-KAMIN-CUSTOMER:Familie Wagner",
              "X-KAMIN-PHONE:0171 2345678", "LOCATION:Lindenweg 3\\, 80331 München",
              start="20261209T080000Z", end="20261209T090000Z")
    put_entry(server, "deadline-1", "X-KAMIN-KIND:deadline", "X-KAMIN-CUSTOMER:Herr Lehner",
              "X-KAMIN-BUILDING:LG-000412", "LOCATION:Am Anger 7\\, 85354 Freising",
              start="20261211T080000Z", end="20261211T083000Z")
    target = screenshots(tmp_path)
    for name, path, query in SHOTS:
        page(office, server, path, **query)
        height = office.execute_script("return document.body.scrollHeight")
        office.set_window_size(1400, min(max(height + 40, 700), 2400))
        shot = target / ("%s.png" % name)
        office.save_screenshot(str(shot))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    office.set_window_size(390, 844)
    page(office, server, "", now=NOW)
    office.save_screenshot(str(target / "heute-telefon.png"))
    office.set_window_size(1400, 1000)

