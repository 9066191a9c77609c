"""A real webhook receiver for tests and the benchmark: an ``http.server``
on 127.0.0.1 in a thread, recording every delivery with the moment it
arrived and whether its signature verifies. ``status`` sets the answer
(503 = "down, come back later"); ``stop`` closes the port (connection
refused) and ``start`` opens it again on the same port."""

from __future__ import annotations

import http.server
import json
import threading
import time
from dataclasses import dataclass
from typing import Optional

from radicale_kamin.webhooks import signature

SECRET = "test-secret-0123456789abcdef"


@dataclass
class Delivery:
    event: str                  # X-Kamin-Event
    delivery: str               # X-Kamin-Delivery
    signature_ok: bool
    body: dict
    raw: bytes
    arrived: float              # time.time()

    @property
    def data(self) -> dict:
        return self.body["data"]


class Receiver:
    def __init__(self, secret: str = SECRET, port: int = 0):
        self.secret = secret
        self.status = 204
        self.delay = 0.0                # seconds before answering (a slow receiver)
        self.deliveries: list[Delivery] = []
        self.lock = threading.Condition()
        self.port = port
        self.server: Optional[http.server.ThreadingHTTPServer] = None
        self.start()

    @property
    def url(self) -> str:
        return "http://127.0.0.1:%d/kamin" % self.port

    def config(self, name: str = "test", events: str = "*", extra: str = "") -> str:
        """A webhooks file with this receiver as its one subscriber."""
        return "[%s]\nurl = %s\nsecret = %s\nevents = %s\n%s" % (
            name, self.url, self.secret, events, extra)

    def start(self) -> None:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver.status
                if 200 <= status < 300:
                    ok = signature.verify(self.headers.get("X-Kamin-Signature", ""),
                                          receiver.secret, raw, time.time())
                    with receiver.lock:
                        receiver.deliveries.append(Delivery(
                            self.headers.get("X-Kamin-Event"), self.headers.get("X-Kamin-Delivery"),
                            ok, json.loads(raw), raw, time.time()))
                        receiver.lock.notify_all()
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def wait_for(self, count: int, timeout: float = 20,
                 event: Optional[str] = None) -> list[Delivery]:
        """At least ``count`` deliveries (of ``event``), waiting up to ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                found = [d for d in self.deliveries if event is None or d.event == event]
                if len(found) >= count or time.monotonic() >= deadline:
                    return found
                self.lock.wait(max(0.0, min(0.5, deadline - time.monotonic())))

    def of(self, event: str) -> list[Delivery]:
        with self.lock:
            return [d for d in self.deliveries if d.event == event]
