"""``kamin serve``: the plugin's WSGI application on waitress.

Why waitress (measured in docs/production.md): its asynchronous front reads
every request whole before a worker thread sees it, so idle and slow clients
hold no thread (8 idle sockets froze gunicorn for good and Radicale's own
server for 30 s; Radicale's own server also drops part of a burst of 50
requests); it refuses a body above ``max_request_body_size`` from the
declared Content-Length, before reading it; and it is pure Python. Its
worker threads share one process, as under Radicale's own server, so
Radicale's storage lock and the plugin's SQLite index work as under
``radicale``.

The Radicale config decides what the two servers share: ``[server] hosts``
(the first entry; ``--bind`` overrides it), ``max_content_length``,
``max_connections`` (worker threads) and ``timeout`` (idle connections).
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import sys
from typing import Any, Optional

# Connections open at once, idle ones included (waitress's default); beyond
# it waitress stops accepting and new clients wait in the kernel's queue.
CONNECTION_LIMIT = 100

# What a trusted reverse proxy may tell about the client: its address, the
# host and scheme it asked for (Radicale reads X-Forwarded-For for its log
# and X-Forwarded-Host/-Proto for the links it builds). X-Script-Name is not
# a proxy header to waitress: it always reaches Radicale.
PROXY_HEADERS = ("x-forwarded-for", "x-forwarded-host", "x-forwarded-proto",
                 "x-forwarded-port")


@dataclasses.dataclass(frozen=True)
class ServerSettings:
    """The ``[server]`` options of a Radicale config that ``kamin serve`` uses."""

    hosts: tuple[tuple[str, int], ...]
    max_content_length: int    # bytes; 0 = no limit
    max_connections: int       # requests at once; 0 = no limit
    timeout: float             # seconds an idle connection stays open
    ssl: bool


def server_settings(configuration: Any) -> ServerSettings:
    """The ``[server]`` options of a loaded Radicale configuration."""
    def get(option: str) -> Any:
        return configuration.get("server", option)
    return ServerSettings(hosts=tuple(get("hosts")),
                          max_content_length=get("max_content_length"),
                          max_connections=get("max_connections"),
                          timeout=get("timeout"), ssl=get("ssl"))


def parse_bind(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:5232`` for IPv6) as Radicale's ``hosts`` reads it."""
    from radicale.config import list_of_ip_address

    addresses = list_of_ip_address(text)
    if len(addresses) != 1 or not addresses[0][0]:
        raise ValueError("expected one HOST:PORT, e.g. 127.0.0.1:5232: %r" % text)
    return addresses[0]


def listen_text(host: str, port: int) -> str:
    """``host:port`` as waitress's ``listen`` takes it (IPv6 in brackets)."""
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


def waitress_options(settings: ServerSettings, bind: Optional[tuple[str, int]] = None,
                     trusted_proxy: Optional[str] = None) -> dict:
    """waitress's adjustments for ``settings``.

    waitress refuses a body of ``max_request_body_size`` bytes or more;
    Radicale refuses only what is above ``max_content_length``, hence the +1.
    """
    if settings.ssl:
        raise ValueError("[server] ssl = True: kamin serve speaks plain HTTP; terminate "
                         "TLS in a reverse proxy (docs/production.md)")
    host, port = bind or settings.hosts[0]
    options = {
        "listen": listen_text(host, port),
        "threads": settings.max_connections or 8,
        "connection_limit": CONNECTION_LIMIT,
        "channel_timeout": max(1, round(settings.timeout)),
        "max_request_body_size": (settings.max_content_length + 1
                                  if settings.max_content_length else sys.maxsize),
        # poll(): select() cannot watch file descriptors above 1023.
        "asyncore_use_poll": True,
    }
    if trusted_proxy:
        options.update(trusted_proxy=trusted_proxy,
                       trusted_proxy_headers=" ".join(PROXY_HEADERS))
    return options


def setup_logging(configuration: Any) -> None:
    """Radicale's log setup as under ``radicale`` (``[logging] level``), with
    waitress's messages at the same level and behind the privacy filter."""
    from radicale import log

    from radicale_kamin.server import privacy

    log.setup()
    level = configuration.get("logging", "level")
    log.set_level(level, configuration.get("logging", "backtrace_on_debug"),
                  configuration.get("logging", "trace_filter"))
    waitress_logger = logging.getLogger("waitress")
    waitress_logger.setLevel(log.logger.level)
    privacy.install(waitress_logger)


def create(configuration: Any, bind: Optional[tuple[str, int]] = None,
           trusted_proxy: Optional[str] = None) -> Any:
    """The listening waitress server for ``configuration``, logging set up.
    Raises ``ValueError`` for a config it cannot serve, ``OSError`` when it
    cannot listen, and whatever Radicale or the plugin raise at start-up."""
    from importlib.metadata import version

    import waitress
    from radicale import utils
    from radicale.log import logger

    from radicale_kamin.server import wsgi

    options = waitress_options(server_settings(configuration), bind, trusted_proxy)
    setup_logging(configuration)
    for source, missing in configuration.sources():
        logger.info("%s %s", "Skipped missing/unreadable" if missing else "Loaded", source)
    application = wsgi.for_configuration(configuration)
    socket_map: dict = {}
    server = waitress.create_server(application, map=socket_map, **options)
    _refuse_before_continue(socket_map)
    logger.info("Starting radicale_kamin %s (%s, waitress=%s) on %s: %d threads, "
                "%d connections at most", version("radicale_kamin"),
                utils.packages_version(), version("waitress"),
                options["listen"], options["threads"], options["connection_limit"])
    return server


def _refuse_before_continue(socket_map: dict) -> None:
    """waitress 3.0.2 answers ``Expect: 100-continue`` with "100 Continue"
    even when the declared Content-Length is above the limit, then reads the
    whole body before it answers 413. Here a request waitress has already
    refused gets its 413 at once: its parser drops the client's expectation
    as soon as it holds an error. (``parser_class``, ``channel_class`` and
    ``expect_continue`` are waitress internals; tests/test_serve.py checks
    the behaviour.)"""
    from waitress.channel import HTTPChannel
    from waitress.parser import HTTPRequestParser
    from waitress.server import BaseWSGIServer

    class RefusingParser(HTTPRequestParser):
        def received(self, data: bytes) -> int:
            consumed = super().received(data)
            if self.error is not None:
                self.expect_continue = False
            return consumed

    class RefusingChannel(HTTPChannel):
        parser_class = RefusingParser

    for dispatcher in socket_map.values():
        if isinstance(dispatcher, BaseWSGIServer):
            dispatcher.channel_class = RefusingChannel


def run(server: Any) -> None:
    """Serve until SIGTERM, SIGINT or SIGHUP."""
    from radicale.log import logger

    _stop_on_signals()
    try:
        server.run()
    finally:
        logger.info("Stopping Radicale")


def _stop_on_signals() -> None:
    # waitress's loop ends on SystemExit and shuts its worker threads down.
    def stop(signal_number: int, frame: Any) -> None:
        raise SystemExit(0)
    for name in ("SIGTERM", "SIGINT", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), stop)
