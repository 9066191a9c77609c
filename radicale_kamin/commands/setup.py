"""``kamin setup``: give every staff user a calendar, so a fresh install is
ready for Thunderbird, iOS and DAVx5 (Thunderbird cannot create calendars on
a CalDAV server itself)."""

from __future__ import annotations

from radicale_kamin.commands import radicale_config, staff_users


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "setup", help="create each staff user's calendar if it is missing")
    parser.add_argument("--config", required=True, metavar="RADICALE_CONFIG",
                        help="the Radicale config file (e.g. config/radicale.conf)")
    parser.add_argument("--calendar", default="termine",
                        help="name of the calendar to create (default: termine)")
    parser.add_argument("--display-name", default="Termine",
                        help="the name clients show (default: Termine)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from radicale import storage

    configuration = radicale_config(args.config)
    store = storage.load(configuration)
    created = []
    with store.acquire_lock("w", "kamin-setup"):
        for user in staff_users(configuration):
            path = "/%s/%s/" % (user, args.calendar)
            if next(iter(store.discover(path)), None) is None:
                store.create_collection(path, props={
                    "tag": "VCALENDAR", "D:displayname": args.display_name,
                    "C:supported-calendar-component-set": "VEVENT"})
                created.append(path)
    for path in created:
        print("created calendar", path)
    if not created:
        print("every staff user has a calendar")
    return 0
