"""``mlmon history``: how a model's metrics, drift and alerts moved, read from the history store;
``mlmon history copy``: a history moved into another database (SQLite into PostgreSQL).

Reading never creates a store: a SQLite file that does not exist yet gives an empty result and a
note on stderr. See references/history.md for the JSON contract and the as-of semantics.
"""

from __future__ import annotations

import sys

from mlmon.cli.common import add_html, check_output_paths, history_location, write, write_html
from mlmon.errors import MlmonError

# --format -> how the result becomes text; --html FILE adds the page of trend charts
FORMATS = ("md", "json", "csv")


def _add_location(p) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument("--config", metavar="FILE", help="monitoring config: its storage names the history store")
    where.add_argument("--history", metavar="PATH_OR_URL",
                       help="history store: a SQLite file or postgresql:// URL (default: $MLMON_DB_URL, else "
                            ".mlmon/history.db)")


def register(sub) -> None:
    h = sub.add_parser(
        "history", help="trends of metrics, drift and alerts by model and date; copy a history",
        description="Read the history store: one point per series and window (metrics realized or estimated, "
                    "drift per column and drift share, alert rules), the latest known; --summary gives each "
                    "model's state now. `mlmon history copy --to URL` copies the store into another database.")
    _add_location(h)
    h.add_argument("--model", metavar="NAME", help="the model to read (needed when the history holds several)")
    h.add_argument("--metric", metavar="NAME", nargs="+", action="extend", default=[], dest="metrics",
                   help="performance metrics to read (also drift_share, or an alert CONDITION[/TIER])")
    h.add_argument("--column", metavar="NAME", nargs="+", action="extend", default=[], dest="columns",
                   help="drift columns to read")
    h.add_argument("--since", metavar="YYYY-MM-DD", help="windows starting on or after this day")
    h.add_argument("--until", metavar="YYYY-MM-DD", help="windows starting on or before this day")
    h.add_argument("--summary", action="store_true", help="each model's state now instead of points")
    h.add_argument("--all-sources", action="store_true",
                   help="per window, the latest realized AND the latest estimated value (estimate vs realized)")
    h.add_argument("--format", choices=FORMATS, default="md", help="md (default), json, or csv (one row per point)")
    h.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    add_html(h)
    h.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    h.set_defaults(func=run_history, group_parser=h)

    sub_h = h.add_subparsers(dest="history_command", metavar="[copy]", parser_class=type(h))
    c = sub_h.add_parser(
        "copy", help="copy the history into another database (SQLite into PostgreSQL)",
        description="Copy every run, row, alert state and queued message into the store --to names (migrated "
                    "to this mlmon's schema first), ids preserved, in one transaction: a failure leaves the "
                    "target as it was. A target holding any row is refused unless --force, which replaces "
                    "its contents.")
    c.add_argument("--to", metavar="URL", required=True, help="the target: postgresql://USER@HOST:PORT/DATABASE (its password through "
                                                              "PGPASSWORD or ~/.pgpass) or a SQLite path")
    _add_location(c)
    c.add_argument("--force", action="store_true", help="replace what the target holds")
    c.add_argument("--format", choices=["md", "json"], default="md", help="report format (default: md)")
    c.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    c.set_defaults(func=run_copy)


def _store(args):
    from mlmon.store.history import HistoryStore

    return HistoryStore(history_location(args))


def run_history(args) -> int:
    from mlmon.services import history

    since = history.parse_day(args.since, "since") if args.since else None
    until = history.parse_day(args.until, "until") if args.until else None
    history.bounds(since, until)  # --since after --until: refused before anything is read
    if args.summary and args.format == "csv":
        raise MlmonError("CSV holds points, one row each; a summary is not points", "--format csv",
                         "drop --summary, or use --format md or json")
    if args.summary and (args.metrics or args.columns or since or until or args.all_sources):
        raise MlmonError("--summary is each model's state now: it takes no series or dates", "--summary",
                         "drop --metric/--column/--since/--until/--all-sources, or drop --summary")
    if args.summary and args.html:
        raise MlmonError("the page draws each series over time; a summary is one state per model", "--summary",
                         "drop --summary to draw the series, or drop --html")
    check_output_paths(args, [], flags=("--output", "--html"))
    if args.model is None and getattr(args, "config", None):  # a config is one model's: read that one
        from mlmon.services.config import load_config

        args.model = load_config(args.config).model.name
    store = _store(args)
    try:
        if args.summary:
            data = history.summary(store, args.model)
        else:
            data = history.points(store, args.model, args.metrics, args.columns, since, until, args.all_sources)
    finally:
        store.close()
    note = None if store.exists() else f"no history at {store.path} yet: nothing recorded there"
    if note:
        print(f"mlmon: {note}", file=sys.stderr)
    if not args.summary:
        write_html(data, args, _page)
    write(_text(data, args, note), args.output)
    return 0


def _page(data):
    from mlmon.render.html.history import history_page

    return history_page(data)


def _text(data, args, note) -> str:
    import json

    if args.format == "json":
        return json.dumps(data, indent=2, allow_nan=False) + "\n"
    from mlmon.render import history as render

    if args.format == "csv":
        return render.points_csv(data)
    return render.summary_report(data, note) if args.summary else render.points_report(data, note)


def run_copy(args) -> int:
    import json
    import sqlite3

    from mlmon.store.backends import url_password
    from mlmon.store.history import HistoryStore, StoreError
    from mlmon.store.location import check_location

    if url_password(args.to):  # a password on the command line ends up in shell history and process lists
        raise MlmonError("the target URL holds a password", "--to",
                         "give the password through PGPASSWORD or ~/.pgpass (libpq reads both)")
    source = _store(args)
    if not source.exists():
        raise MlmonError("no history to copy: the file does not exist", source.path,
                         "name the store to copy with --history PATH or --config FILE")
    location = check_location(args.to, "--to")
    target = HistoryStore(location[len("sqlite:///"):] if location.startswith("sqlite:///") else location)
    try:
        counts = source.copy_into(target, replace=args.force)
    except (sqlite3.Error, StoreError) as exc:
        raise MlmonError(f"cannot copy the history: {exc}", target.path, "nothing was written to the target") from exc
    finally:
        source.close()
        target.close()
    data = {"schema_version": 1, "from": source.path, "to": target.path, "replaced": bool(args.force),
            "tables": counts}
    if args.format == "json":
        write(json.dumps(data, indent=2) + "\n", None)
    else:
        from mlmon.render.history import copy_report

        write(copy_report(data), None)
    return 0
