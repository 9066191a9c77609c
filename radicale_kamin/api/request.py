"""A request as a handler receives it: who asks, and the validated path
parameters, query and body (models of ``models.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional


@dataclass(frozen=True)
class Request:
    user: str
    groups: frozenset
    path: Any                   # the endpoint's path model
    query: Any                  # its query model
    body: Any                   # its body model (None for a GET)
    if_match: Optional[str]     # the If-Match header, for the entry's ETag
    safe: bool                  # a HEAD: answered like the GET, nothing may change
