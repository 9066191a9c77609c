"""The architecture, held by a test: each package imports only the floors
below it, and the pure core (address, entries, schedule) imports neither
Radicale nor SQLite nor anything that talks HTTP (docs/architecture.md)."""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "radicale_kamin"

# Each floor may import itself and the floors listed.
FLOORS = {
    "address": set(),
    "entries": {"address"},
    "schedule": {"address", "entries"},
    "importing": {"address", "entries", "schedule"},
    # Webhooks are handed the state store, the index and the locks by server/webhooks.py.
    "webhooks": {"address", "entries", "schedule"},
    "server": {"address", "entries", "schedule", "webhooks"},
    "feeds": {"address", "entries", "schedule", "server"},
    "api": {"address", "entries", "schedule", "server", "feeds", "importing", "webhooks"},
    "commands": {"address", "entries", "schedule", "server", "feeds", "api", "importing",
                 "webhooks"},
    "": {"server", "api"},        # the plugin names Radicale loads
}
PURE = ("address", "entries", "schedule")
# Pure modules of floors that also hold a shell.
PURE_MODULES = {"webhooks": ("events", "duecalls", "signature", "subscribers", "retry", "backend")}
NOT_IN_THE_CORE = ("radicale", "sqlite3", "requests", "urllib3", "http", "socket",
                   "urllib.request", "waitress", "pydantic")


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        floor = parts[0] if len(parts) > 1 else ""
        yield floor, path


def _imports(path: pathlib.Path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "radicale_kamin":
                yield from ("radicale_kamin." + alias.name for alias in node.names)
            else:
                yield node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


MODULES = list(_modules())


def test_every_module_has_a_floor():
    assert {floor for floor, _ in MODULES} <= set(FLOORS)


@pytest.mark.parametrize("floor,path", MODULES, ids=lambda m: str(m).rsplit("radicale_kamin/", 1)[-1])
def test_a_module_imports_only_its_floor_and_those_below(floor, path):
    allowed = FLOORS[floor] | {floor}
    for name in _imports(path):
        if name.startswith("radicale_kamin."):
            target = name.split(".")[1]
            target = target if (PACKAGE / target).is_dir() else ""
            assert target in allowed, "%s imports %s" % (path.name, name)
        if floor in PURE or path.stem in PURE_MODULES.get(floor, ()):
            assert not any(name == banned or name.startswith(banned + ".")
                           for banned in NOT_IN_THE_CORE), "%s imports %s" % (path.name, name)
