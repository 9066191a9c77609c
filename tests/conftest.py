"""Fixtures: the real Radicale ``Application`` with the bundled config, in
process, on a fresh storage folder per test."""

from __future__ import annotations

import base64
import io
import pathlib
import textwrap
from typing import Optional

import pytest
from radicale import Application, config

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"
# A VTIMEZONE as Outlook and Exchange write it, named by ``{tzid}``: a
# Windows name, an IANA name or a name of the client's own.
VTIMEZONE = """BEGIN:VTIMEZONE
TZID:{tzid}
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE"""
PASSWORDS = {"meister": "meister-demo", "anna": "anna-demo",
             "ben": "ben-demo", "assistant": "assistant-demo"}


def load_config(storage_folder: pathlib.Path, **sections) -> config.Configuration:
    configuration = config.load([(str(ROOT / "config" / "radicale.conf"), False)])
    overrides = {
        # The contract's default hours (Mon-Fri 07:00-16:00), not the demo file.
        "storage": {"filesystem_folder": str(storage_folder), "kamin_working_hours": ""},
        "auth": {"htpasswd_filename": str(ROOT / "config" / "users")},
        "rights": {"file": str(ROOT / "config" / "rights")},
    }
    for section, values in sections.items():
        overrides.setdefault(section, {}).update(values)
    if overrides["storage"].get("type", "radicale_kamin.storage") != "radicale_kamin.storage":
        del overrides["storage"]["kamin_working_hours"]      # stock Radicale knows no kamin_*
    configuration.update(overrides, "test", privileged=True)
    return configuration


def plugin_and_stock(folder: pathlib.Path, *calendars: str) -> list["Client"]:
    """anna's clients of the plugin and of stock Radicale, in process, each on
    a storage of its own with ``calendars`` made: for answers compared with
    stock's."""
    clients = []
    for name, storage_type in (("kamin", "radicale_kamin.storage"), ("stock", "multifilesystem")):
        client = Client(Application(load_config(folder / name, storage={"type": storage_type})),
                        "anna")
        for calendar in calendars:
            assert client.mkcalendar(calendar).status == 201
        clients.append(client)
    return clients


class Response:
    def __init__(self, status: str, headers: list, body: bytes):
        self.status = int(status.split()[0])
        self.headers = {k.lower(): v for k, v in headers}
        self.body = body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


class Client:
    """Drives a WSGI application the way an HTTP server would."""

    def __init__(self, app, user: Optional[str] = "anna"):
        self.app = app
        self.user = user

    def as_user(self, user: Optional[str]) -> "Client":
        return Client(self.app, user)

    def request(self, method: str, path: str, body: str | bytes = b"",
                **headers: str) -> Response:
        data = body.encode("utf-8") if isinstance(body, str) else body
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "SCRIPT_NAME": "",
            "QUERY_STRING": "", "SERVER_NAME": "localhost", "SERVER_PORT": "5232",
            "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "wsgi.input": io.BytesIO(data), "wsgi.errors": io.StringIO(),
            "wsgi.url_scheme": "http", "wsgi.version": (1, 0),
            "wsgi.multithread": False, "wsgi.multiprocess": False,
            "wsgi.run_once": False, "CONTENT_LENGTH": str(len(data)),
        }
        if "?" in path:
            environ["PATH_INFO"], environ["QUERY_STRING"] = path.split("?", 1)
        if self.user:
            token = "%s:%s" % (self.user, PASSWORDS[self.user])
            environ["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(token.encode()).decode()
        for key, value in headers.items():
            key = key.upper()
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            else:
                environ["HTTP_" + key] = value
        captured = {}

        def start_response(status, response_headers, exc_info=None):
            captured.update(status=status, headers=response_headers)

        chunks = self.app(environ, start_response)
        body_bytes = b"".join(chunks)
        return Response(captured["status"], captured["headers"], body_bytes)

    def put(self, path: str, body: str, **headers) -> Response:
        return self.request("PUT", path, body, content_type="text/calendar", **headers)

    def get(self, path: str, **headers) -> Response:
        return self.request("GET", path, **headers)

    def mkcalendar(self, path: str) -> Response:
        return self.request("MKCALENDAR", path)


@pytest.fixture
def storage_folder(tmp_path) -> pathlib.Path:
    return tmp_path / "collections"


@pytest.fixture
def app(storage_folder):
    return Application(load_config(storage_folder))


@pytest.fixture
def client(app) -> Client:
    """anna, logged in, with her calendar /anna/termine/ created."""
    anna = Client(app, "anna")
    assert anna.mkcalendar("/anna/termine/").status == 201
    return anna


def ics(*events: str, timezone: bool = False) -> str:
    """A VCALENDAR around VEVENT bodies (each given without BEGIN/END)."""
    parts = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//kamin tests//EN"]
    if timezone:
        parts.append((FIXTURES / "vtimezone_berlin.txt").read_text().strip())
    for body in events:
        parts += ["BEGIN:VEVENT", textwrap.dedent(body).strip(), "END:VEVENT"]
    parts.append("END:VCALENDAR")
    return "\r\n".join("\r\n".join(p.splitlines()) for p in parts) + "\r\n"


def event(uid: str, *lines: str, start: str = "20261207T090000Z",
          end: str = "20261207T100000Z", summary: str = "Kehrung") -> str:
    return "\n".join(["UID:" + uid, "DTSTAMP:20261101T100000Z",
                      "DTSTART:" + start, "DTEND:" + end,
                      "SUMMARY:" + summary, *lines])


def props(text: str, name: str) -> list[str]:
    """Values of property ``name`` in ``text`` (unfolded, params dropped)."""
    from radicale_kamin.entries import icslines
    found = []
    for raw in icslines.unfold(text):
        line = icslines.parse_line(raw)
        if line.name == name:
            found.append(line.value)
    return found


def prop(text: str, name: str) -> Optional[str]:
    values = props(text, name)
    assert len(values) <= 1, (name, values)
    return values[0] if values else None
