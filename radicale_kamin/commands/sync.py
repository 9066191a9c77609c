"""``kamin sync``: mirror the external calendars of the subscriptions file
into their staff calendars (run it from cron or a systemd timer; see
docs/subscriptions.md). Works while the server runs."""

from __future__ import annotations

import datetime as dt

from radicale_kamin.commands import kamin_storage, radicale_config


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "sync", help="fetch the external calendars ([storage] kamin_subscriptions)")
    parser.add_argument("--config", required=True, metavar="RADICALE_CONFIG")
    parser.add_argument("--name", action="append", metavar="NAME",
                        help="only this subscription (repeatable)")
    parser.add_argument("--force", action="store_true",
                        help="fetch even when the interval has not passed yet")
    parser.set_defaults(func=run)


def run(args) -> int:
    from radicale_kamin.server.storage import PLUGIN_CONFIG_SCHEMA
    from radicale_kamin.feeds.office import office_subscriptions
    from radicale_kamin.feeds.sync import load_subscriptions, sync_all

    configuration = radicale_config(args.config)
    store = kamin_storage(configuration)
    config = configuration.copy(PLUGIN_CONFIG_SCHEMA)
    try:
        from_file = load_subscriptions(config.get("storage", "kamin_subscriptions"))
    except RuntimeError as e:
        raise SystemExit("kamin sync: %s" % e)
    # The file's, with those the office added or removed in the backend.
    subscription_list = [s for s, _ in office_subscriptions(from_file, store.office)]
    if not subscription_list:
        print("no subscriptions configured ([storage] kamin_subscriptions)")
        return 0
    unknown = set(args.name or ()) - {s.name for s in subscription_list}
    if unknown:
        raise SystemExit("kamin sync: no subscription %s" % ", ".join(sorted(unknown)))
    now = dt.datetime.now(store.settings.timezone).replace(microsecond=0)
    failed = False
    for outcome in sync_all(store, subscription_list, store.storage_folder, now,
                            args.name, args.force):
        if outcome.status == "failed":
            failed = True
            print("%s: FEHLER – %s (letzte gute Kopie bleibt)" % (outcome.name, outcome.error))
        elif outcome.status == "skipped":
            print("%s: noch nicht fällig" % outcome.name)
        elif outcome.status == "unchanged":
            print("%s: unverändert" % outcome.name)
        else:
            print("%s: %d neu, %d geändert, %d gelöscht" % (
                outcome.name, outcome.created, outcome.updated, outcome.deleted))
    return 1 if failed else 0
