"""``radicale`` that is killed (SIGKILL, as by ``kill -9``) at the worst
moment for the webhooks: an entry's file is written, the side index is
about to commit it, and the outbox has not recorded it yet — when the
entry's file name contains "crash". For tests/test_webhooks_e2e.py only."""

import os
import signal
import sys

from radicale.__main__ import run

from radicale_kamin.webhooks import observer

_commit = observer.Observer.commit


def _commit_or_die(self):
    changes = getattr(self._local, "changes", None) or {}
    if any("crash" in href for _, href in changes):
        os.kill(os.getpid(), signal.SIGKILL)
    return _commit(self)


observer.Observer.commit = _commit_or_die

if __name__ == "__main__":
    sys.exit(run())
