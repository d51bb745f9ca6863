"""What every subcommand shares: the common flags, atomic output, the history record."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from typing import Callable, Iterable, List, Optional

from mlmon.errors import MlmonError


def csv_list(text: str) -> List[str]:
    return [p.strip() for p in text.split(",") if p.strip()]


def add_common(p: argparse.ArgumentParser) -> None:
    """``--format``, ``--output`` and ``--debug``, the same on every reporting command."""
    p.add_argument("--format", choices=["md", "json"], default="md", help="report format (default: md)")
    p.add_argument("--output", metavar="FILE", help="write the report to FILE instead of stdout")
    p.add_argument("--debug", action="store_true", help="show tracebacks for errors")


def add_history(p: argparse.ArgumentParser) -> None:
    p.add_argument("--history", metavar="PATH", help="history database: a SQLite file or postgresql:// URL "
                                                     "(default: $MLMON_DB_URL, else .mlmon/history.db)")
    p.add_argument("--no-history", action="store_true", help="do not record this run")


def history_location(args) -> str:
    """Where this command's history lives: ``--history``, else ``MLMON_DB_URL``, else the
    ``storage`` of ``--config`` (relative to the config's folder), else ``.mlmon/history.db``;
    the same resolution ``mlmon run`` and ``mlmon serve`` use."""
    from mlmon.store.location import resolve

    config, base = None, "."
    if getattr(args, "config", None):
        from mlmon.services.config import load_config

        config, base = load_config(args.config), os.path.dirname(os.path.abspath(args.config))
    return resolve(config, getattr(args, "history", None), base, os.environ)


def history_store(args):
    """The store this run records into, or None with ``--no-history``."""
    if getattr(args, "no_history", False):
        return None
    from mlmon.store.history import HistoryStore

    return HistoryStore(history_location(args))


def record(data: dict, args, append: Callable[..., object]) -> None:
    """Append ``data`` with ``append(store, data)``; a failure becomes a warning in the result,
    because the computed result stands even when it cannot be recorded."""
    store = history_store(args)
    if store is None:
        return
    try:
        append(store, data)
    except Exception as exc:
        data.setdefault("warnings", []).append(
            f"history not recorded ({store.path}: {exc}); pass --history PATH or --no-history")


def emit(data: dict, args, render: Callable[[dict], str]) -> None:
    """JSON or Markdown from the same result dict, to stdout or ``--output``."""
    if args.format == "json":
        text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    else:
        text = render(data)
    write(text, args.output)


def check_output_paths(args, inputs: Iterable[Optional[str]], flags=("--output", "--html")) -> None:
    """Refuse before any work an output that cannot be written or would overwrite an input."""
    inputs = [p for p in inputs if p]
    for flag in flags:
        path = getattr(args, flag.lstrip("-").replace("-", "_"), None)
        if not path:
            continue
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise MlmonError("output directory does not exist", f"{flag} {path}", "create the directory first")
        if os.path.isdir(path):
            raise MlmonError("output path is a directory", f"{flag} {path}", "give a file name")
        for inp in inputs:
            if os.path.exists(path) and os.path.exists(inp) and os.path.samefile(path, inp):
                raise MlmonError("output would overwrite an input file", f"{flag} {path}", "choose another file name")


def write(text: str, path: Optional[str]) -> None:
    """Write atomically: a failed run never leaves a half-written or emptied file behind."""
    if not path:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    directory = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".mlmon-", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        raise MlmonError(f"cannot write the report: {exc.strerror or exc}", path, "choose a writable location") from exc
    print(f"mlmon: wrote {path}", file=sys.stderr)
