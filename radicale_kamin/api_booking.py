"""JSON API endpoints of availability and booking: buildings, free
slots, holds and bookings (CONTRACT.md section 3)."""

from __future__ import annotations

from radicale_kamin.api import Api, ApiError, Request, route


@route("GET", r"buildings/(?P<building>[^/]+)", query=("now",))
def get_building(api: Api, request: Request) -> tuple[int, dict]:
    """Everything the calendars know of one building (Liegenschaft)."""
    building = request.params["building"]
    calendars = api.calendars(request)
    with api.storage.acquire_lock("r", request.user):
        api.index.sync(calendars)
        rows = api.rows(calendars, "valid AND building = ?", (building,))
    if not rows:
        raise ApiError(404, "no entries for building %s in the calendars you may read" % building)
    rows.sort(key=lambda r: (r["start"] is None, r["start"] or 0))
    entries = [api.entry_json(r) for r in rows if r["kind"] != "deadline"]
    deadlines = []
    for row in (r for r in rows if r["kind"] == "deadline"):
        deadline = api.entry_json(row)
        deadline["window_start"] = row["window_start"]
        deadlines.append(deadline)
    now = int(api.now(request).timestamp())
    upcoming = [e for e, r in zip(entries, [r for r in rows if r["kind"] != "deadline"])
                if r["start"] is not None and r["start"] >= now and r["blocks"]]
    latest = max(rows, key=lambda r: (r["customer"] is not None, r["phone"] is not None,
                                      r["start"] or 0))
    contact = {"customer": latest["customer"], "phone": latest["phone"],
               "phone_type": latest["phone_type"], "location": latest["location"],
               "street": latest["street"], "postcode": latest["postcode"],
               "address": latest["address"]}
    return 200, {"building": building, "contact": contact, "entries": entries,
                 "deadlines": deadlines, "next": upcoming[0] if upcoming else None}
