"""``kamin webhooks``: the outbox for the admin — what each subscriber got,
what is parked — a retry, and one delivery round for cron
(docs/webhooks.md)."""

from __future__ import annotations

import datetime as dt

from radicale_kamin.commands import kamin_storage, radicale_config


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "webhooks", help="list, retry or deliver the webhook events (the file and the backend)",
        description="The webhooks' outbox: list shows every subscriber and the parked events, "
                    "retry sends parked events again, deliver-once sends what is due (for cron).")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="subscribers, counts and parked events")
    retry = actions.add_parser("retry", help="send parked events again now")
    retry.add_argument("--subscriber", metavar="NAME", help="only this subscriber's")
    retry.add_argument("--delivery", type=int, metavar="N", help="only this delivery")
    once = actions.add_parser("deliver-once", help="catch up, look at the due list, send "
                                                   "what is due, and exit (cron)")
    once.add_argument("--budget", type=float, default=50.0, metavar="SECONDS",
                      help="stop sending after this long (default 50)")
    for action in (listing, retry, once):
        action.add_argument("--config", required=True, metavar="RADICALE_CONFIG")
    parser.set_defaults(func=run)


def _stamp(epoch, tz) -> str:
    if not epoch:
        return "–"
    return dt.datetime.fromtimestamp(epoch, tz).strftime("%d.%m.%Y %H:%M:%S")


def run(args) -> int:
    from radicale_kamin.webhooks import outbox

    store = kamin_storage(radicale_config(args.config))
    webhooks = store.webhooks
    if not webhooks.enabled:
        print("kein Webhook-Empfänger eingerichtet (weder in [storage] kamin_webhooks noch "
              "im Backend)")
        return 0
    tz = store.settings.timezone
    if args.action == "retry":
        now = int(dt.datetime.now(tz).timestamp())
        names = {s.name for s in webhooks.subscribers.get()}
        if args.subscriber and args.subscriber not in names:
            raise SystemExit("kamin webhooks: kein Empfänger %s (weder in %s noch im Backend)"
                             % (args.subscriber, webhooks.options.path or "der Webhooks-Datei"))
        with store.state.transaction() as db:
            count = outbox.retry(db, now, args.subscriber, args.delivery)
        print("%d geparkte Zustellung(en) werden erneut gesendet" % count)
        return 0
    if args.action == "deliver-once":
        done = webhooks.dispatcher.run_once(dt.datetime.now(tz), args.budget)
        print("zugestellt %d, fehlgeschlagen %d, davon geparkt %d; neu fällige Anrufe %d"
              % (done.delivered, done.failed, done.parked, done.queued_due))
        return 1 if done.failed else 0
    _list(store, webhooks, tz)
    return 0


def _list(store, webhooks, tz) -> None:
    from radicale_kamin.feeds.config import redact_url
    from radicale_kamin.webhooks import outbox

    with store.state.connection() as db:
        counts = outbox.summary(db)
        parked = outbox.parked(db)
    for subscriber, source in webhooks.subscribers.sources():
        known = counts.get(subscriber.name, {})
        print("%s  %s  (%s)" % (subscriber.name, redact_url(subscriber.url),
                                "Datei" if source == "file" else "Backend"))
        calendars = ", ".join("/%s/" % c for c in subscriber.calendars)
        print("  Ereignisse: %s%s" % (", ".join(sorted(subscriber.events)),
                                      "; Kalender: " + calendars if calendars else ""))
        print("  offen %d, zugestellt %d, geparkt %d; zuletzt zugestellt %s, zuletzt "
              "fehlgeschlagen %s" % (known.get("pending", 0), known.get("delivered", 0),
                                     known.get("parked", 0), _stamp(known.get("last_success"), tz),
                                     _stamp(known.get("last_failure"), tz)))
        if known.get("last_error"):
            print("  letzter Fehler: %s" % known["last_error"])
        if (known.get("paused_until") or 0) > dt.datetime.now(tz).timestamp():
            print("  pausiert bis %s" % _stamp(known["paused_until"], tz))
    if parked:
        print("Geparkt (kamin webhooks retry sendet erneut):")
    for row in parked:
        print("  #%d %s %s an %s, %d Versuche, zuletzt %s: %s%s" % (
            row["seq"], row["type"], row["event"], row["subscriber"], row["attempts"],
            _stamp(row["last_attempt"] or row["done_at"], tz), row["last_error"] or "–",
            "; %d warten dahinter" % row["waiting"] if row["waiting"] else ""))
