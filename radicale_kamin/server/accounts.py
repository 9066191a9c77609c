"""The users file Radicale reads (``[auth] htpasswd_filename``): adding an
employee and resetting a password from the backend.

Passwords are stored bcrypt-hashed (``$2b$``, cost 10), one ``user:hash``
line each, as Apache's ``htpasswd -B`` writes them. The file is replaced
atomically (temporary file, fsync, rename): Radicale, which reads it again
when its size or modification time changes, never sees half a file, and an
edit by hand meanwhile is not lost (the change is made on the file as it is
then, under a lock). Radicale's own login cache (``[auth] cache_logins``)
is emptied by ``radicale_kamin.auth`` when the file changes, so a reset
password stops working at once (docs/backend.md).
"""

from __future__ import annotations

import fcntl
import os
import re
import threading
from typing import Optional

import bcrypt

from radicale_kamin.schedule.settings import USER_PATTERN

USER = re.compile(USER_PATTERN)
MIN_PASSWORD = 8
BCRYPT_ROUNDS = 10
_LOCK = threading.Lock()


class AccountRefused(ValueError):
    """An account change that cannot be made; ``status`` 400 or 404/409."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def users(path: str) -> list[str]:
    """The user names of the file, in its order."""
    try:
        with open(path, encoding="utf-8") as f:
            return [line.split(":", 1)[0].strip() for line in f
                    if ":" in line and not line.lstrip().startswith("#")]
    except FileNotFoundError:
        return []


def password_problem(password: str) -> Optional[str]:
    if len(password) < MIN_PASSWORD:
        return "Das Passwort braucht mindestens %d Zeichen." % MIN_PASSWORD
    if len(password.encode("utf-8")) > 72:
        return "Das Passwort darf höchstens 72 Bytes lang sein (bcrypt)."
    if ":" in password or "\n" in password or "\r" in password:
        return "Das Passwort darf keinen Doppelpunkt und keinen Zeilenumbruch enthalten."
    return None


def _hash(password: str) -> str:
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(BCRYPT_ROUNDS)).decode("ascii")


def set_password(path: str, user: str, password: str, create: bool) -> None:
    """Add ``user`` (``create``) or give them a new password. Raises
    AccountRefused: a user name that is not one, a weak password, a user
    that exists (create) or does not (reset)."""
    if not USER.fullmatch(user):
        raise AccountRefused(400, "%r ist kein Benutzername (Buchstaben, Ziffern, . _ -, "
                                  "beginnend mit Buchstabe oder Ziffer)." % user)
    problem = password_problem(password)
    if problem:
        raise AccountRefused(400, problem)
    line = "%s:%s\n" % (user, _hash(password))
    with _LOCK, open(path + ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            with open(path, encoding="utf-8") as f:
                lines = f.readlines()
        except FileNotFoundError:
            lines = []
        found = [n for n, text in enumerate(lines) if text.split(":", 1)[0].strip() == user]
        if create and found:
            raise AccountRefused(409, "Den Benutzer %s gibt es schon." % user)
        if not create and not found:
            raise AccountRefused(404, "Den Benutzer %s gibt es nicht." % user)
        if found:
            lines[found[0]] = line
        else:
            if lines and not lines[-1].endswith("\n"):
                lines[-1] += "\n"
            lines.append(line)
        _replace_synced(path, "".join(lines).encode("utf-8"))


def _replace_synced(path: str, data: bytes) -> None:
    """``path`` replaced by ``data`` in one rename, on disk when this
    returns; the file keeps its permissions."""
    mode = os.stat(path).st_mode & 0o777 if os.path.exists(path) else 0o600
    temporary = "%s.%d.tmp" % (path, os.getpid())
    try:
        with open(temporary, "wb") as f:
            os.fchmod(f.fileno(), mode)
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    directory = os.open(os.path.dirname(os.path.abspath(path)), os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
