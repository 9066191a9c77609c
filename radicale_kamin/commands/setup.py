"""``kamin setup``: give every staff user a calendar, so a fresh install is
ready for Thunderbird, iOS and DAVx5 (Thunderbird cannot create calendars on
a CalDAV server itself)."""

from __future__ import annotations

from radicale_kamin.commands import kamin_storage, radicale_config, staff_users


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
    import datetime as dt

    from radicale_kamin.api import Api

    configuration = radicale_config(args.config)
    store = kamin_storage(configuration)
    api = Api(configuration)
    today = dt.datetime.now(api.timezone).date()
    created = []
    with store.acquire_lock("w", "kamin-setup"):
        for user in staff_users(configuration):
            path = "/%s/%s/" % (user, args.calendar)
            if next(iter(store.discover(path)), None) is None:
                store.create_collection(path, props={
                    "tag": "VCALENDAR", "D:displayname": args.display_name,
                    "C:supported-calendar-component-set": "VEVENT"})
                created.append(path)
        # Publish each staff calendar's working hours (RFC 7953) so that
        # standards-minded clients can see them.
        published = api.publish_working_hours(store.index.calendars_on_disk(), today)
    for path in created:
        print("created calendar", path)
    if not created:
        print("every staff user has a calendar")
    if published:
        print("published working hours on %d calendars" % published)
    return 0
