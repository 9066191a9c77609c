"""What the office must ask for: the address verdict's reasons as missing data.

``GET data-missing`` tells the office, per entry, which data to get from the
customer before a call or an SMS is possible. The list follows from the
reason codes of the address verdict (``address.REASON_TEXTS``) through one
table, so a new reason code is a new row here. Pure: imports nothing.
"""

from __future__ import annotations

from typing import Iterable, Mapping

# The contract's names, in the order the office reads them.
FIELDS = ("phone", "street", "number", "postcode", "city", "address")

# Reason code → what is missing or wrong. "address": the address was not
# recognised at all (or is not a building address in Germany); the others
# name the part to ask for. Codes that only inform (repairs) are absent.
BY_REASON: Mapping[str, tuple[str, ...]] = {
    # red: no building address could be read
    "address-empty": ("address",),
    "address-unrecognised": ("address",),
    "postbox": ("address",),
    "phone-only": ("address",),
    "street-missing": ("street", "number"),
    "place-missing": ("postcode", "city"),
    # orange: an address with gaps
    "number-missing": ("number",),
    "postcode-missing": ("postcode",),
    "postcode-malformed": ("postcode",),
    "postcode-unknown": ("postcode",),
    "postcode-city-mismatch": ("postcode", "city"),
    "city-missing": ("city",),
    "city-from-postcode": ("city",),
    "foreign-address": ("address",),
    "several-addresses": ("address",),
    "phone-missing": ("phone",),
    "phone-invalid": ("phone",),
}


def missing_data(reason_codes: Iterable[str], phone_ok: bool) -> tuple[str, ...]:
    """The data to ask for, in ``FIELDS`` order, without repeats.

    ``phone_ok``: the entry has a valid phone number. A red verdict names
    only why the address is unreadable, never the phone, so the phone is
    judged on its own. Unknown codes raise KeyError: a reason the office
    cannot act on must not pass silently.
    """
    wanted = set() if phone_ok else {"phone"}
    for code in reason_codes:
        wanted.update(BY_REASON[code])
    return tuple(name for name in FIELDS if name in wanted)
