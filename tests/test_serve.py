"""``kamin serve``: the application on waitress, as a real process on a free
127.0.0.1 port — idle and slow clients, body limits, non-ASCII paths, bursts,
signals and the command line. Plain ``radicale`` is started next to it where
the two must behave alike."""

from __future__ import annotations

import base64
import pathlib
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import ROOT, Client, event, ics, prop
from servers import BIN, free_port, running, start, stop, write_config
from radicale_kamin.server import serve
from radicale_kamin.server.wsgi import kamin_application, path_as_text

KAMIN = str(BIN / "kamin")
RADICALE = str(BIN / "radicale")
ANNA = ("anna", "anna-demo")
ASSISTANT = ("assistant", "assistant-demo")
CAL = "/anna/termine/"
CUSTOMER = ("X-KAMIN-CUSTOMER:Hildegard Obermüller", "X-KAMIN-PHONE:0171 9876543",
            "LOCATION:Sonnenblumenweg 7\\, 80331 München")
SECRETS = ("Obermüller", "9876543", "Sonnenblumenweg")
REPORT = """<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter>
</C:calendar-query>"""


def kamin_serve(tmp: pathlib.Path, *extra: str):
    port = free_port()
    config = write_config(tmp, port)
    url = "http://127.0.0.1:%d" % port
    return [KAMIN, "serve", "--config", str(config), *extra], tmp / "serve.log", url


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One ``kamin serve`` with anna's calendar: (url, log, storage folder, pid)."""
    tmp = tmp_path_factory.mktemp("serve")
    argv, log, url = kamin_serve(tmp)
    with running(argv, log, url) as process:
        mkcalendar = requests.request("MKCALENDAR", url + CAL, auth=ANNA, timeout=30)
        assert mkcalendar.status_code == 201
        yield url, log, tmp / "collections", process.pid


@pytest.fixture(scope="module")
def radicale_server(tmp_path_factory):
    """Plain ``radicale`` on the same config, for comparison."""
    tmp = tmp_path_factory.mktemp("radicale")
    port = free_port()
    config = write_config(tmp, port)
    url = "http://127.0.0.1:%d" % port
    with running([RADICALE, "--config", str(config)], tmp / "radicale.log", url):
        assert requests.request("MKCALENDAR", url + CAL, auth=ANNA, timeout=30).status_code == 201
        yield url, tmp / "radicale.log", tmp / "collections", None


def rss_kib(pid: int) -> int:
    for line in pathlib.Path("/proc/%d/status" % pid).read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS for %d" % pid)


def basic(user_password: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(("%s:%s" % user_password).encode()).decode()


def read_response(sock: socket.socket, timeout: float = 10) -> tuple[int, dict, bytes]:
    """One HTTP response from ``sock``: status, headers, the body as declared."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "connection closed before a complete head: %r" % data
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
    length = int(headers["content-length"])
    while len(body) < length:
        chunk = sock.recv(65536)
        assert chunk, "connection closed inside the body: %r" % body
        body += chunk
    return int(lines[0].split()[1]), headers, body[:length]


def closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(10)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def put_head(content_length: int, *extra: str) -> bytes:
    lines = ["PUT %sbig.ics HTTP/1.1" % CAL, "Host: 127.0.0.1", "Authorization: " + basic(ANNA),
             "Content-Type: text/calendar", "Content-Length: %d" % content_length, *extra]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


# --- idle and slow clients ---------------------------------------------------

def test_idle_and_slow_clients_do_not_starve_an_authenticated_request(server):
    url, _, _, _ = server
    host, port = urllib.parse.urlsplit(url).hostname, urllib.parse.urlsplit(url).port
    assert requests.get(url + CAL, auth=ANNA, timeout=30).status_code == 200  # login cached
    idle = [socket.create_connection((host, port)) for _ in range(50)]
    stop_slowloris = threading.Event()

    def slowloris():
        with socket.create_connection((host, port)) as sock:
            for byte in b"PROPFIND /anna/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ":
                if stop_slowloris.wait(1):
                    return
                sock.send(bytes([byte]))
    loris = threading.Thread(target=slowloris)
    loris.start()
    try:
        time.sleep(2.5)                     # the slowloris has sent a few bytes
        began = time.monotonic()
        response = requests.request("PROPFIND", url + CAL, auth=ANNA, headers={"Depth": "1"},
                                    timeout=30)
        took = time.monotonic() - began
        assert response.status_code == 207
        assert took < 1, "answered after %.2f s" % took
    finally:
        stop_slowloris.set()
        loris.join()
        for sock in idle:
            sock.close()


# --- bodies above [server] max_content_length --------------------------------

def test_declared_two_gigabytes_get_413_at_once(server):
    url, _, _, _ = server
    with socket.create_connection((urllib.parse.urlsplit(url).hostname,
                                   urllib.parse.urlsplit(url).port)) as sock:
        began = time.monotonic()
        sock.sendall(put_head(2 * 10**9))
        status, headers, body = read_response(sock)
        took = time.monotonic() - began
        assert status == 413 and b"Request Entity Too Large" in body
        assert took < 5, "413 after %.2f s" % took
        assert headers["connection"] == "close" and closed_by_server(sock)


def test_150_megabytes_offered_are_refused_without_being_read(server):
    url, _, _, pid = server
    before = rss_kib(pid)
    with socket.create_connection((urllib.parse.urlsplit(url).hostname,
                                   urllib.parse.urlsplit(url).port)) as sock:
        sock.sendall(put_head(150 * 10**6))
        sent = [0]

        def offer_body():
            chunk = b"x" * 65536
            try:
                while sent[0] < 150 * 10**6:
                    sock.sendall(chunk)
                    sent[0] += len(chunk)
            except OSError:
                pass                        # the server closed after its 413
        sender = threading.Thread(target=offer_body)
        sender.start()
        status, headers, body = read_response(sock)
        sender.join(60)
        assert status == 413 and headers["connection"] == "close"
        assert not sender.is_alive() and sent[0] < 50 * 10**6
    grown = rss_kib(pid) - before
    assert grown < 20 * 1024, "server RSS grew by %d KiB" % grown
    assert requests.get(url + CAL, auth=ANNA, timeout=30).status_code == 200


def test_expect_continue_above_the_limit_gets_413_instead_of_continue(server):
    url, _, _, _ = server
    with socket.create_connection((urllib.parse.urlsplit(url).hostname,
                                   urllib.parse.urlsplit(url).port)) as sock:
        sock.sendall(put_head(150 * 10**6, "Expect: 100-continue"))
        status, headers, body = read_response(sock)
        assert status == 413 and headers["connection"] == "close"


def test_body_at_the_limit_is_not_refused(tmp_path):
    argv, log, url = kamin_serve(tmp_path)
    write_config(tmp_path, urllib.parse.urlsplit(url).port,
                 server={"max_content_length": "2000"})
    with running(argv, log, url):
        requests.request("MKCALENDAR", url + CAL, auth=ANNA, timeout=30)
        body = ics(event("at-limit")).encode()
        body += b" " * (2000 - len(body))  # trailing blanks: still a valid calendar
        assert requests.put(url + CAL + "a.ics", data=body, auth=ANNA, timeout=30,
                            headers={"Content-Type": "text/calendar"}).status_code == 201
        assert requests.put(url + CAL + "b.ics", data=body + b" ", auth=ANNA, timeout=30,
                            headers={"Content-Type": "text/calendar"}).status_code == 413


# --- non-ASCII paths, as under Radicale's own server ----------------------------

@pytest.mark.parametrize("which", ["kamin serve", "radicale"])
def test_non_ascii_paths_round_trip(which, request):
    url, _, folder, _ = request.getfixturevalue(
        "server" if which == "kamin serve" else "radicale_server")
    body = ics(event("mueller-7", "X-KAMIN-KIND:external", "X-KAMIN-BUILDING:LG-Müller-7"))
    href = CAL + urllib.parse.quote("Müller.ics")
    assert href.endswith("M%C3%BCller.ics")
    put = requests.put(url + href, data=body.encode(), auth=ANNA, timeout=30,
                       headers={"Content-Type": "text/calendar"})
    assert put.status_code == 201
    assert (folder / "collection-root" / "anna" / "termine" / "Müller.ics").is_file()
    got = requests.get(url + href, auth=ANNA, timeout=30)
    assert got.status_code == 200 and prop(got.text, "UID") == "mueller-7"
    listing = requests.request("PROPFIND", url + CAL, auth=ANNA, headers={"Depth": "1"},
                               timeout=30)
    assert "<href>%s</href>" % href in listing.text
    building = requests.get(url + "/.web/kamin/api/buildings/" + urllib.parse.quote("LG-Müller-7"),
                            auth=ASSISTANT, timeout=30)
    assert building.status_code == 200
    assert building.json()["building"] == "LG-Müller-7"
    assert [e["uid"] for e in building.json()["entries"]] == ["mueller-7"]


def test_wsgi_stack_takes_latin1_paths_as_pep_3333_servers_send_them(app, storage_folder):
    anna = Client(kamin_application(app), "anna")
    assert anna.mkcalendar(CAL).status == 201
    latin1 = CAL + "Müller.ics".encode("utf-8").decode("latin-1")
    body = ics(event("mueller-7", "X-KAMIN-KIND:external", "X-KAMIN-BUILDING:LG-Müller-7"))
    assert anna.put(latin1, body).status == 201
    assert (storage_folder / "collection-root" / "anna" / "termine" / "Müller.ics").is_file()
    building = anna.as_user("assistant").get(
        "/.web/kamin/api/buildings/" + "LG-Müller-7".encode("utf-8").decode("latin-1"))
    assert building.status == 200 and '"LG-Müller-7"' in building.text


def test_wsgi_path_is_decoded_as_utf8():
    assert path_as_text("/anna/termine/M\u00c3\u00bcller.ics") == "/anna/termine/Müller.ics"
    assert path_as_text("/anna/termine/Müller\u2013neu.ics") == "/anna/termine/Müller\u2013neu.ics"
    assert path_as_text("/anna/termine/M\u00fcller.ics") == "/anna/termine/M\u00fcller.ics"
    assert path_as_text("/anna/termine/") == "/anna/termine/"


# --- bursts --------------------------------------------------------------------

def test_fifty_parallel_requests_are_all_answered(server):
    url, _, _, _ = server
    barrier = threading.Barrier(50, timeout=60)

    def one(number: int) -> int:
        kind = number % 3
        barrier.wait()
        if kind == 0:
            return requests.request("PROPFIND", url + CAL, auth=ANNA, headers={"Depth": "1"},
                                    timeout=60).status_code
        if kind == 1:
            return requests.request("REPORT", url + CAL, auth=ASSISTANT, data=REPORT,
                                    headers={"Depth": "1", "Content-Type": "application/xml"},
                                    timeout=60).status_code
        return requests.get(url + "/.web/kamin/api/due-calls", auth=ASSISTANT,
                            timeout=60).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(one, range(50)))
    assert statuses == [207, 207, 200] * 16 + [207, 207]


# --- the same application: refusals, privacy, reverse proxies ------------------

def test_refused_entry_carries_its_reason_and_the_log_no_customer_data(server):
    url, log, _, _ = server
    body = ics(event("bad", "X-KAMIN-KIND:urgent", *CUSTOMER))
    response = requests.put(url + CAL + "bad.ics", data=body.encode(), auth=ANNA, timeout=30,
                            headers={"Content-Type": "text/calendar"})
    assert response.status_code == 400 and "X-KAMIN-KIND" in response.text
    good = ics(event("good", "X-KAMIN-KIND:internal", *CUSTOMER))
    assert requests.put(url + CAL + "good.ics", data=good.encode(), auth=ANNA, timeout=30,
                        headers={"Content-Type": "text/calendar"}).status_code == 201
    deadline = time.monotonic() + 10
    while "X-KAMIN-KIND: unknown kind" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    text = log.read_text()
    assert "X-KAMIN-KIND: unknown kind" in text
    assert not [s for s in SECRETS if s in text]


def test_x_script_name_from_a_proxy_reaches_radicale(server):
    url, _, _, _ = server
    response = requests.request("PROPFIND", url + CAL, auth=ANNA, timeout=30,
                                headers={"Depth": "0", "X-Script-Name": "/kamin"})
    assert response.status_code == 207
    assert "<href>/kamin/anna/termine/</href>" in response.text


# --- the command: bind, default, signals, errors --------------------------------

def test_listens_on_the_configs_host_and_stops_cleanly_on_sigterm(tmp_path):
    argv, log, url = kamin_serve(tmp_path)
    process = start(argv, log, url)
    try:
        assert requests.get(url + "/.web/", timeout=30).status_code in (200, 302, 401)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        stop(process)
    text = log.read_text()
    assert "Stopping" in text and "Traceback" not in text
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/.web/", timeout=5)


def test_bind_overrides_the_config_and_a_trusted_proxy_names_the_client(tmp_path):
    other = free_port()
    argv, log, config_url = kamin_serve(tmp_path, "--bind", "127.0.0.1:%d" % other,
                                        "--trusted-proxy", "127.0.0.1")
    url = "http://127.0.0.1:%d" % other
    with running(argv, log, url):
        with pytest.raises(requests.ConnectionError):
            requests.get(config_url + "/.web/", timeout=5)
        requests.get(url + CAL, auth=ANNA, headers={"X-Forwarded-For": "203.0.113.7"}, timeout=30)
        deadline = time.monotonic() + 10
        while "203.0.113.7" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert "received from '203.0.113.7'" in log.read_text()


def test_forwarded_headers_from_an_untrusted_peer_are_dropped(server):
    url, log, _, _ = server
    probe = "/anna/forwarded-probe/"           # a collection path: item names are hashed
    requests.get(url + probe, auth=ANNA, headers={"X-Forwarded-For": "198.51.100.9"}, timeout=30)
    deadline = time.monotonic() + 10
    while probe not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    line = next(l for l in log.read_text().splitlines() if "GET request for '%s'" % probe in l)
    assert "received from '127.0.0.1'" in line and "198.51.100.9" not in line


@pytest.mark.parametrize("arguments, message", [
    ([], "the following arguments are required: --config"),
    (["--config", "config/radicale.conf", "--bind", "localhost"], "argument --bind"),
    (["--config", "config/radicale.conf", "--bind", "127.0.0.1:99999"], "argument --bind"),
    (["--config", "config/radicale.conf", "--port", "5232"], "unrecognized arguments"),
])
def test_bad_arguments_give_a_usage_error(arguments, message):
    result = subprocess.run([KAMIN, "serve", *arguments], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2
    assert "usage: kamin" in result.stderr and message in result.stderr


def _one_line_error(argv, text: str, after_start_up_log: bool = False) -> None:
    result = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert after_start_up_log or len(lines) == 1, result.stderr
    assert lines[-1].startswith("kamin") and text in lines[-1], result.stderr


def test_missing_config_is_one_line(tmp_path):
    _one_line_error([KAMIN, "serve", "--config", str(tmp_path / "nope.conf")], "nope.conf")


def test_broken_config_is_one_line(tmp_path):
    broken = tmp_path / "broken.conf"
    broken.write_text("[server\nhosts = 127.0.0.1:5232\n")
    _one_line_error([KAMIN, "serve", "--config", str(broken)], "broken.conf")
    unknown = tmp_path / "unknown.conf"
    unknown.write_text("[server]\nhostz = 127.0.0.1:5232\n")
    _one_line_error([KAMIN, "serve", "--config", str(unknown)], "hostz")


def test_tls_in_the_config_is_refused_in_one_line(tmp_path):
    config = write_config(tmp_path, free_port(), server={"ssl": "True"})
    _one_line_error([KAMIN, "serve", "--config", str(config)], "reverse proxy")


def test_busy_port_is_one_line(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        config = write_config(tmp_path, taken.getsockname()[1])
        _one_line_error([KAMIN, "serve", "--config", str(config)], "Address already in use",
                        after_start_up_log=True)


# --- options derived from the config (no process) -------------------------------

SETTINGS = serve.ServerSettings(hosts=(("localhost", 5232), ("::1", 5233)),
                                max_content_length=100_000_000, max_connections=8,
                                timeout=30.0, ssl=False)


def test_waitress_gets_radicales_limits():
    options = serve.waitress_options(SETTINGS)
    assert options["listen"] == "localhost:5232"
    assert options["max_request_body_size"] == 100_000_001    # waitress refuses >= limit
    assert options["threads"] == 8 and options["channel_timeout"] == 30
    assert "trusted_proxy" not in options


def test_no_content_limit_in_radicale_is_none_in_waitress():
    options = serve.waitress_options(serve.ServerSettings(
        hosts=(("127.0.0.1", 5232),), max_content_length=0, max_connections=0,
        timeout=0.2, ssl=False))
    assert options["max_request_body_size"] == sys.maxsize
    assert options["threads"] == 8 and options["channel_timeout"] == 1


def test_bind_takes_ipv6_in_brackets():
    assert serve.parse_bind("[::1]:5232") == ("::1", 5232)
    assert serve.waitress_options(SETTINGS, ("::1", 5232))["listen"] == "[::1]:5232"
    with pytest.raises(ValueError):
        serve.parse_bind("127.0.0.1:5232,127.0.0.1:5233")


def test_trusted_proxy_may_name_the_client():
    options = serve.waitress_options(SETTINGS, trusted_proxy="127.0.0.1")
    assert options["trusted_proxy"] == "127.0.0.1"
    assert "x-forwarded-for" in options["trusted_proxy_headers"]
