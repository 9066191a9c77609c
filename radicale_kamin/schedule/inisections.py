"""The admin's INI files of named sections (external calendars, webhook
subscribers): read whole, every problem of every section named — an admin
who fixes one mistake must not meet the next only on the next restart.

Each file's own rules for a section come as a function; the frame — the
section names, unknown keys, names and keys given twice, the message
format ``[name]: problem`` — is the same for all, and so is the calendar
path rule they share.
"""

from __future__ import annotations

import configparser
import re
from typing import Callable, Mapping, Optional, Sequence, TypeVar

T = TypeVar("T")
Problem = Callable[[str], None]

NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
NAME_RULE = "the name may only hold letters, digits, - and _ (at most 64)"


def valid_name(name: str) -> bool:
    """Letters, digits, - and _ (at most 64): names appear in logs and paths."""
    return bool(NAME.fullmatch(name))


def read_sections(text: str, file: str, keys: Sequence[str],
                  read: Callable[[str, Mapping[str, str], Problem], Optional[T]]) -> list[T]:
    """``read(name, section, problem)`` of every section of ``text``, in
    order; raises ValueError naming every problem of the file (``file`` is
    what the admin calls it: "subscriptions file")."""
    parser = configparser.ConfigParser(interpolation=None, strict=True,
                                       inline_comment_prefixes=(";", "#"))
    try:
        parser.read_string(text, source=file)
    except configparser.DuplicateSectionError as e:
        raise ValueError("[%s]: the name is used twice; names must be unique"
                         % e.section) from None
    except configparser.DuplicateOptionError as e:
        raise ValueError("[%s]: %s is given twice" % (e.section, e.option)) from None
    except configparser.Error as e:
        raise ValueError("%s: %s" % (file, e.message.splitlines()[0])) from None
    problems: list[str] = []
    found = []
    for name in parser.sections():
        before = len(problems)

        def problem(text: str, name: str = name) -> None:
            problems.append("[%s]: %s" % (name, text))

        if not valid_name(name):
            problem(NAME_RULE)
        for key in parser[name]:
            if key not in keys:
                problem("unknown key %r (known: %s)" % (key, ", ".join(keys)))
        value = read(name, parser[name], problem)
        if len(problems) == before and value is not None:
            found.append(value)
    if problems:
        raise ValueError("; ".join(problems))
    return found


def calendar_path(raw: str, whole_user: bool = False) -> Optional[str]:
    """``/anna/termine/`` as a sane path (``anna/termine``); with
    ``whole_user`` also ``/anna/``. None for anything else (relative, empty,
    ``..``)."""
    parts = [p for p in raw.strip().split("/") if p]
    if not raw.strip().startswith("/") or any(p in (".", "..") for p in parts):
        return None
    if len(parts) < (1 if whole_user else 2):
        return None
    return "/".join(parts)
