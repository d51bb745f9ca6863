"""``mlmon watch``: print a line per alert transition the history store records (see mlmon.watch).

Exit codes: 0 stopped (SIGTERM, SIGINT, SIGHUP, a closed stdout) or nothing to watch in this
directory; 2 usage errors (an interval that is not a positive number, a config or store location
that cannot work, a store written by a newer mlmon).
"""

from __future__ import annotations

import math
import os
import signal
import sys
import time

from mlmon.errors import MlmonError

DEFAULT_INTERVAL = 30.0
MIN_INTERVAL = 0.1


def register(sub) -> None:
    w = sub.add_parser(
        "watch", help="print a line per alert transition as runs record them (the plugin's monitor)",
        description="Follow the history store: one line per alert transition recorded after the watch started "
                    "(firing, resolved, reminders) and per scheduled run that left notifications undelivered, each "
                    "naming model, condition, tier, value, threshold, data period and the command that diagnoses it. "
                    "Exits at once, silently, in a directory with no monitoring.yaml, no .mlmon/history.db and no "
                    "MLMON_DB_URL. Stops cleanly on SIGTERM.")
    where = w.add_mutually_exclusive_group()
    where.add_argument("--config", metavar="FILE",
                       help="monitoring config whose storage names the store (default: monitoring.yaml here, if any)")
    where.add_argument("--history", metavar="PATH",
                       help="history store: a SQLite file or postgresql:// URL (default: $MLMON_DB_URL, else the "
                            "config's storage, else .mlmon/history.db)")
    w.add_argument("--interval", metavar="SECONDS", type=float, default=DEFAULT_INTERVAL,
                   help=f"seconds between two looks at the store (default {DEFAULT_INTERVAL:g}); with --once, how far "
                        "back to look")
    w.add_argument("--once", action="store_true",
                   help="look once and exit: the transitions recorded in the last --interval seconds, or after "
                        "--since-id")
    w.add_argument("--since-id", metavar="ID", type=int,
                   help="with --once: the transitions after this alert event id (exact, for a caller that keeps it)")
    w.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    w.set_defaults(func=watch_command)


def default_location(args) -> str:
    """The store without the config: ``MLMON_DB_URL``, else ``.mlmon/history.db``."""
    from mlmon.store.location import resolve

    return resolve(None, None, ".", os.environ)


class _Stop(Exception):
    pass


def _stop(signum, frame):
    raise _Stop()


def _emit(lines) -> None:
    for line in lines:
        sys.stdout.write(line + "\n")
    if lines:
        sys.stdout.flush()


def watch_command(args) -> int:
    from mlmon.watch import Reader, Watch, check_openable, config_problem_line, default_config, has_monitoring, once

    if not math.isfinite(args.interval) or args.interval < MIN_INTERVAL:
        raise MlmonError(f"--interval {args.interval:g} is not a positive number of seconds", "--interval",
                         f"give {MIN_INTERVAL:g} or more (default {DEFAULT_INTERVAL:g})")
    if args.since_id is not None and not args.once:
        raise MlmonError("--since-id needs --once", "--since-id", "add --once, or drop --since-id to follow from now")
    cwd = os.getcwd()
    if not args.config and not args.history and not has_monitoring(cwd, os.environ):
        return 0  # nothing to watch here: silent, at once
    if args.config and not os.path.isfile(args.config):
        raise MlmonError("config file not found", args.config, "check the path, or pass --history PATH")
    given = bool(args.config)
    args.config = args.config or (None if args.history else default_config(cwd))

    from mlmon.cli.common import history_location

    notes = []
    try:
        location = history_location(args)
    except MlmonError as exc:
        if given or not args.config:
            raise
        # the project's own monitoring.yaml, found here, is broken: its runs fail too, which is
        # worth one line; the default store is still watched
        location = default_location(args)
        notes.append(config_problem_line(args.config, exc, location))
    check_openable(location)
    watch = Watch(Reader(location), config=args.config)
    if args.once:
        _emit(notes + once(watch, args.since_id, args.interval))
        return 0

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _stop)
    try:
        _emit(notes + watch.start())
        while True:
            time.sleep(args.interval)
            _emit(watch.poll())
    except _Stop:
        return 0
    except BrokenPipeError:  # the reader went away (the session ended): nothing left to tell
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    finally:
        watch.reader.close()
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
