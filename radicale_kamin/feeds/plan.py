"""What to write so a calendar's stored mirror equals a feed: the entries
to create, update and delete, decided by their fingerprints."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from radicale_kamin.feeds.mirror import MirrorEntry



# --- the plan -------------------------------------------------------------------

@dataclass(frozen=True)
class SyncPlan:
    create: list[MirrorEntry]
    update: list[MirrorEntry]
    delete: list[str]          # UIDs stored from this subscription, gone upstream
    unchanged: int


def plan_sync(existing: Mapping[str, str], wanted: Sequence[MirrorEntry]) -> SyncPlan:
    """What to write so the stored mirror equals ``wanted``.

    ``existing`` maps the UIDs stored from this subscription (and only
    those: see ``is_mirror_uid``) to their fingerprints. Raises ValueError
    for two wanted entries with one UID.
    """
    by_uid: dict[str, MirrorEntry] = {}
    for entry in wanted:
        if entry.uid in by_uid:
            raise ValueError("two mirror entries with UID %s" % entry.uid)
        by_uid[entry.uid] = entry
    create = [e for uid, e in sorted(by_uid.items()) if uid not in existing]
    update = [e for uid, e in sorted(by_uid.items())
              if uid in existing and existing[uid] != e.fingerprint]
    delete = sorted(uid for uid in existing if uid not in by_uid)
    unchanged = len(by_uid) - len(create) - len(update)
    return SyncPlan(create, update, delete, unchanged)
