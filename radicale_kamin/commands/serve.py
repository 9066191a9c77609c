"""``kamin serve``: run the server for production on waitress
(docs/production.md); ``radicale --config`` stays for small installs."""

from __future__ import annotations

import argparse
import re

from radicale_kamin.commands import radicale_config


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "serve", help="run the CalDAV/CardDAV server with the plugin (production)")
    parser.add_argument("--config", required=True, metavar="RADICALE_CONFIG",
                        help="the Radicale config file (e.g. config/radicale.conf)")
    parser.add_argument("--bind", type=_bind, metavar="HOST:PORT",
                        help="listen here (default: the first of the config's [server] hosts)")
    parser.add_argument("--trusted-proxy", metavar="ADDRESS",
                        help="the reverse proxy's address (e.g. 127.0.0.1): its "
                        "X-Forwarded-For/-Host/-Proto/-Port headers are believed")
    parser.set_defaults(func=run)


def _bind(text: str) -> tuple[str, int]:
    from radicale_kamin.server.serve import parse_bind

    try:
        return parse_bind(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e))


def run(args) -> int:
    from radicale_kamin.server import serve

    configuration = _load(args.config)
    try:
        server = serve.create(configuration, args.bind, args.trusted_proxy)
    except Exception as e:    # anything Radicale or a plugin raises at start-up
        raise SystemExit("kamin serve: cannot start: %s" % _one_line(e))
    serve.run(server)
    return 0


def _load(path: str):
    try:
        return radicale_config(path)
    except (ValueError, RuntimeError) as e:
        raise SystemExit("kamin serve: %s" % _one_line(e))


def _one_line(error: BaseException) -> str:
    return re.sub(r"\s+", " ", str(error)).strip()
