"""The command line: parse argv, call a service, render the result, choose the exit code.

Each command group lives in its own module beside this one (``drift.py``, ``config.py``, ...)
with a ``register(subparsers)`` function that adds its parsers and sets ``func``; shared flags
and output helpers are in ``common.py``.

Exit codes: 0 the command did its job (whatever it found); 1 only when the user asked for it
with ``--fail-on``; 2 usage or input errors, reported as one line on stderr (``--debug`` shows
the traceback instead).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
import warnings
from typing import Dict, Optional, Sequence

from mlmon import __version__
from mlmon.errors import MlmonError

# Command-group modules, in the order `mlmon --help` lists them.
COMMAND_MODULES = ["demo", "drift", "perf", "ab", "diagnose", "run", "watch", "serve", "generate", "config", "profile", "history"]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse's own errors: one line, exit 2
        raise MlmonError(message, self.prog, f"see `{self.prog} --help`")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="mlmon", description="Production ML model monitoring toolkit.")
    parser.add_argument("--version", action="version", version=f"mlmon {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(f"mlmon.cli.{name}").register(sub)
    return parser


def option_flags(parser: argparse.ArgumentParser, args) -> Dict[str, str]:
    """Option field -> the flag that sets it, for the command that ran (from its own parser):
    the one place where services' option names become flags in error messages."""
    names = {"options": "command line"}
    if args is None:
        return names
    command = parser
    for dest in ("command", "subcommand", "action"):
        sub = next((a for a in command._actions if isinstance(a, argparse._SubParsersAction)), None)
        chosen = getattr(args, getattr(sub, "dest", None) or dest, None) if sub else None
        if not sub or chosen not in sub.choices:
            break
        command = sub.choices[chosen]
    for action in command._actions:
        flags = [f for f in action.option_strings if f.startswith("--")]
        if flags and action.dest not in names:
            names[action.dest] = flags[0]
    return names


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    parser = build_parser()
    args = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            args = parser.parse_args(argv)
            if not getattr(args, "func", None):
                # a group without its subcommand (`mlmon ab`) prints that group's help
                (getattr(args, "group_parser", None) or parser).print_help()
                return 0
            args.option_names = option_flags(parser, args)  # how results that name an option show it
            return args.func(args)
    except MlmonError as exc:
        if debug:
            traceback.print_exc()
        print(exc.line(option_flags(parser, args)), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("mlmon: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: still one line unless --debug
        if debug:
            traceback.print_exc()
        else:
            print(
                f"mlmon: error: internal error: {type(exc).__name__}: {exc} (mlmon {__version__}); "
                "rerun with --debug and report the traceback",
                file=sys.stderr,
            )
        return 2
