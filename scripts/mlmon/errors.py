"""The one error type users see.

Every input or usage problem becomes an :class:`MlmonError` carrying what is wrong, where, and
what to do; the CLI prints it as one line and exits 2::

    mlmon: error: <what is wrong> (<where>); <what to do>
"""

from __future__ import annotations

import re
from typing import Mapping, Optional

# Services name options by their field (``drift_share``), never by a flag: ``option("drift_share")``
# in a message, and ``OPTIONS`` as the place. The surface that shows the error says how the user
# gave them: the CLI renders ``--drift-share`` and "command line" (from its own parser, so the
# mapping is written once); anything else shows the field names.
_NAME = re.compile(r"\u27e6([A-Za-z0-9_.]+)\u27e7")
OPTIONS = "\u27e6options\u27e7"


def option(field: str) -> str:
    """The token a service writes where an error names one of its options.

    >>> MlmonError(f"{option('drift_share')} 2 is outside (0, 1]", OPTIONS).line({"drift_share": "--drift-share", "options": "command line"})
    'mlmon: error: --drift-share 2 is outside (0, 1] (command line)'
    >>> MlmonError(f"{option('drift_share')} 2 is outside (0, 1]", OPTIONS).line()
    'mlmon: error: drift_share 2 is outside (0, 1] (options)'
    """
    return f"\u27e6{field}\u27e7"


def render_options(text: str, names: Optional[Mapping[str, str]] = None) -> str:
    """``text`` with every :func:`option` token shown as ``names`` says (else as the field):
    for results (warnings, reasons, actions) that name an option, as :meth:`MlmonError.line`
    does for errors.

    >>> render_options(f"pass {option('infra')} FILE", {"infra": "--infra"}), render_options(f"pass {option('infra')}")
    ('pass --infra FILE', 'pass infra')
    """
    names = names or {}
    return _NAME.sub(lambda m: names.get(m.group(1), m.group(1)), text)


def render_options_in(data, names: Optional[Mapping[str, str]] = None):
    """Every string in ``data`` (nested dicts and lists, changed in place) through
    :func:`render_options`; returns ``data``."""
    if isinstance(data, dict):
        for key, value in data.items():
            data[key] = render_options_in(value, names)
    elif isinstance(data, list):
        data[:] = [render_options_in(v, names) for v in data]
    elif isinstance(data, str) and "\u27e6" in data:
        return render_options(data, names)
    return data


class MlmonError(Exception):
    """A problem with the user's input or invocation (exit code 2)."""

    exit_code = 2

    def __init__(self, what: str, where: str = "", todo: str = ""):
        self.what = what
        self.where = where
        self.todo = todo
        super().__init__(self.line())

    def line(self, names: Optional[Mapping[str, str]] = None) -> str:
        """The single stderr line; ``names`` maps option fields to what the user typed.

        >>> MlmonError("file not found", "ref.parquet", "check the path").line()
        'mlmon: error: file not found (ref.parquet); check the path'
        """
        text = f"mlmon: error: {self.what}"
        if self.where:
            text += f" ({self.where})"
        if self.todo:
            text += f"; {self.todo}"
        return " ".join(render_options(text, names).split())
