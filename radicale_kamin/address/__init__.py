"""German addresses and phone numbers: normalised and judged (pure).

``normalise(record)`` (``verdict.py``) reads an address as people and
exports write it, repairs what can be repaired against the offline postcode
table, and says green, orange or red with reasons (docs/address-rules.md).
"""

from radicale_kamin.address.verdict import AddressResult, normalise  # noqa: F401
