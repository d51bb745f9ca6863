"""``mlmon run``: the scheduled job (drift, performance, alert rules, notifications, history).

Exit codes: 0 the run did its job (whatever it found); 1 only with ``--fail-on`` when a rule of
that tier (or a more severe one) was breached; 2 config or input errors; 3 some notification
could not be delivered and stays in the outbox for the next run (3 wins over 1).
"""

from __future__ import annotations

import sys

from mlmon.cli.common import add_common, check_output_paths, emit

EXIT_UNDELIVERED = 3
_FAIL_ON = {"critical": ("critical",), "warning": ("critical", "warning")}


def register(sub) -> None:
    r = sub.add_parser(
        "run", help="the scheduled check: drift, performance, alerts, notifications",
        description="Check one period: fill {date} into the config's data sources, compute drift and "
                    "performance, step the alert rules (state kept in the history store), record it all in "
                    "one transaction, then deliver the notifications due. Exit 0 ok, 1 with --fail-on, "
                    "2 config/input error, 3 a notification could not be delivered (kept for the next run).")
    r.add_argument("--config", metavar="FILE", required=True, help="monitoring config")
    r.add_argument("--date", metavar="YYYY-MM-DD", help="the period to check: fills {date} (default today)")
    r.add_argument("--history", metavar="PATH",
                   help="history store: a SQLite file or a postgresql:// URL (default: $MLMON_DB_URL, else the "
                        "config's storage, else .mlmon/history.db)")
    r.add_argument("--dry-run", action="store_true",
                   help="evaluate and report, but record nothing and send nothing")
    r.add_argument("--fail-on", choices=sorted(_FAIL_ON), help="exit 1 when a rule of this tier or above is breached")
    add_common(r)
    r.set_defaults(func=run_scheduled_command)


def _render(data: dict) -> str:
    from mlmon.render.run import run_report

    return run_report(data)


def run_scheduled_command(args) -> int:
    from mlmon.services.scheduled import RunSettings, parse_date, run_scheduled

    check_output_paths(args, [args.config])
    day = parse_date(args.date) if args.date else None
    data = run_scheduled(RunSettings(config_path=args.config, date=day, history=args.history, dry_run=args.dry_run))
    emit(data, args, _render)
    if data["undelivered"]:
        sys.stderr.write(undelivered_line(data["notifications"]) + "\n")  # a cron job sees more than the code
        return EXIT_UNDELIVERED
    if args.fail_on and set(data["breached_tiers"]) & set(_FAIL_ON[args.fail_on]):
        return 1
    return 0


def undelivered_line(notifications) -> str:
    """One line for stderr: how many notifications are undelivered, on which channels and why.

    >>> undelivered_line([{"channel": "slack", "status": "pending", "error": "HTTP 500 from h"},
    ...                   {"channel": "email", "status": "sent", "error": None}])
    'mlmon: 1 notification undelivered (slack: HTTP 500 from h); kept in the outbox, the next run retries it'
    """
    waiting = [n for n in notifications if n.get("status") != "sent"]
    why: dict = {}
    for n in waiting:
        why.setdefault(n.get("channel"), n.get("error") or "not sent")
    many = len(waiting) != 1
    return (f"mlmon: {len(waiting)} notification{'s' if many else ''} undelivered ("
            + "; ".join(f"{channel}: {reason}" for channel, reason in why.items())
            + f"); kept in the outbox, the next run retries {'them' if many else 'it'}")
