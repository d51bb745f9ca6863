"""What every subcommand shares: the common flags, atomic output, the history record."""

from __future__ import annotations

import argparse
import json
import os
import stat
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
    """Append ``data`` with ``append(store, data)`` (a :mod:`mlmon.services.recording` function);
    a failure becomes a warning in the result, because the computed result stands even when it
    cannot be recorded."""
    from mlmon.services.recording import record_or_warn

    present(data, args)
    store = history_store(args)
    if store is not None:
        record_or_warn(data, store, append, "pass --history PATH or --no-history")


def present(data, args):
    """``data`` with the options its texts name (warnings, reasons, actions) shown as this
    command's flags, in place: services name options by field (:func:`mlmon.errors.option`)."""
    from mlmon.errors import render_options_in

    return render_options_in(data, getattr(args, "option_names", None))


def emit(data: dict, args, render: Callable[[dict], str]) -> None:
    """JSON or Markdown from the same result dict, to stdout or ``--output``."""
    present(data, args)
    if args.format == "json":
        text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    else:
        text = render(data)
    write(text, args.output)


def add_html(p: argparse.ArgumentParser) -> None:
    p.add_argument("--html", metavar="FILE", help="also write the report as one self-contained HTML page (charts, "
                                                  "no network)")


def write_html(data: dict, args, page: Callable[[dict], object]) -> None:
    """With ``--html FILE``: ``page(data)`` (a :class:`mlmon.render.html.Page`) rendered and
    written atomically, from the same result (options shown as flags) as the JSON."""
    path = getattr(args, "html", None)
    if not path:
        return
    from mlmon.render.html import render_page

    present(data, args)
    write(render_page(page(data)), path)


def check_output_paths(args, inputs: Iterable[Optional[str]], flags=("--output", "--html")) -> None:
    """Refuse, before any work or side effect (a history row, a notification), an output that
    cannot be written or would overwrite something the user has: an input, the config, the
    history store (through symlinks too)."""
    protected = [(p, "an input file") for p in inputs if p]
    if getattr(args, "config", None):
        protected.append((args.config, "the config"))
    store = _store_file(args)
    if store:
        protected.append((store, "the history store"))
    for flag in flags:
        path = getattr(args, flag.lstrip("-").replace("-", "_"), None)
        if not path:
            continue
        where = f"{flag} {path}"
        directory = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(directory):
            raise MlmonError("output directory does not exist", where, "create the directory first")
        if os.path.isdir(path):
            raise MlmonError("output path is a directory", where, "give a file name")
        for other, what in protected:
            if _same_file(path, other):
                raise MlmonError(f"output would overwrite {what}", where, "choose another file name")
        _check_writable(path, directory, where)
        protected.append((path, f"the {flag} file"))  # two outputs never share a file


def _check_writable(path: str, directory: str, where: str) -> None:
    """Try what :func:`write` will do, so a run that cannot write its report fails before it
    records or sends anything (permission bits alone say nothing for root or a read-only mount)."""
    if os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode):
        # a device or FIFO: opening it to try would block (a FIFO waits for its reader)
        if not os.access(path, os.W_OK):
            raise MlmonError("output is not writable", where, "choose a writable location")
        return
    if os.path.exists(path):
        directory = os.path.dirname(os.path.realpath(path))  # a symlink's target is what gets written
    try:
        fd, probe = tempfile.mkstemp(prefix=".mlmon-", dir=directory)
    except OSError as exc:
        raise MlmonError(f"output directory is not writable: {exc.strerror or exc}", where,
                         "choose a writable location") from exc
    os.close(fd)
    os.unlink(probe)


def _same_file(a: str, b: str) -> bool:
    if os.path.realpath(a) == os.path.realpath(b):
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _store_file(args) -> Optional[str]:
    """The SQLite file this command records into, if it records into one."""
    if getattr(args, "no_history", False):
        return None
    try:
        location = history_location(args)
    except MlmonError:
        return None
    if "://" in location:
        return location[len("sqlite:///"):] if location.startswith("sqlite:///") else None
    return location


def write(text: str, path: Optional[str]) -> None:
    """Write a report. A regular file (or a new one) is replaced atomically, so a failed run never
    leaves a half-written or emptied file; anything else (a device such as /dev/null, a FIFO, a
    symlink) is written through, as a shell redirection would, never replaced."""
    if not path:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        if os.path.islink(path) or (os.path.exists(path) and not stat.S_ISREG(os.stat(path).st_mode)):
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            _replace_atomically(text, path)
    except OSError as exc:
        raise MlmonError(f"cannot write the report: {exc.strerror or exc}", path, "choose a writable location") from exc
    print(f"mlmon: wrote {path}", file=sys.stderr)


def _replace_atomically(text: str, path: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)  # an existing report keeps its permissions
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask  # a new one gets what the user's umask gives any new file
    fd, tmp = tempfile.mkstemp(prefix=".mlmon-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
