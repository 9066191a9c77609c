"""``kamin due-calls``: the calls due now (or ``--at``), as the assistant's
``GET due-calls`` would list them — for a person checking the plan."""

from __future__ import annotations

import json

from radicale_kamin.commands import radicale_config


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "due-calls", help="print the calls due now (or at --at) in every staff calendar")
    parser.add_argument("--config", required=True, metavar="RADICALE_CONFIG",
                        help="the Radicale config file (e.g. config/radicale.conf)")
    parser.add_argument("--at", metavar="ISO", help="evaluate at this moment, e.g. "
                        "2026-12-01T09:00 (Europe/Berlin when no offset is given)")
    parser.add_argument("--json", action="store_true", help="print the API's JSON")
    parser.set_defaults(func=run)


def run(args) -> int:
    import datetime as dt

    from radicale_kamin.api import Api
    from radicale_kamin.schedule.calls import is_calling_time
    from radicale_kamin.entries.entry import parse_moment

    api = Api(radicale_config(args.config))
    if args.at:
        try:
            now = parse_moment(args.at, api.timezone)
        except ValueError:
            raise SystemExit("kamin due-calls: --at %s is not an ISO 8601 date-time" % args.at)
    else:
        now = dt.datetime.now(api.timezone).replace(microsecond=0)
    calendars = [c for c in api.index.calendars_on_disk() if api.is_staff(c)]
    due, etags = api.due_calls(calendars, now, lease_holder=None)
    if args.json:
        answer = [api.call_json(c, etags).model_dump(mode="json") for c in due]
        print(json.dumps({"now": now.isoformat(), "calls": answer}, ensure_ascii=False, indent=2))
        return 0
    local = now.astimezone(api.timezone)
    print("Fällige Anrufe am %s" % local.strftime("%d.%m.%Y %H:%M"))
    if not is_calling_time(now, api.call_settings):
        print("(keine Anrufzeit: außerhalb der Anrufzeiten, Wochenende oder Feiertag)")
    if not due:
        print("keine")
    for number, call in enumerate(due, 1):
        start = call.start.astimezone(api.timezone).strftime("%d.%m.%Y %H:%M")
        print("%2d. %-4s %-16s %-10s %-28s Termin %s  (%s)" % (
            number, "SMS" if call.action == "sms" else "Ruf", call.phone, call.reason,
            (call.customer or "-")[:28], start, call.building or "ohne Liegenschaft"))
        for entry in call.entries[1:]:
            print("      + %s %s %s" % (entry.kind, entry.uid, entry.calendar))
    return 0
