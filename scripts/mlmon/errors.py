"""The one error type users see.

Every input or usage problem becomes an :class:`MlmonError` carrying what is wrong, where, and
what to do; the CLI prints it as one line and exits 2::

    mlmon: error: <what is wrong> (<where>); <what to do>
"""

from __future__ import annotations


class MlmonError(Exception):
    """A problem with the user's input or invocation (exit code 2)."""

    exit_code = 2

    def __init__(self, what: str, where: str = "", todo: str = ""):
        self.what = what
        self.where = where
        self.todo = todo
        super().__init__(self.line())

    def line(self) -> str:
        """The single stderr line.

        >>> MlmonError("file not found", "ref.parquet", "check the path").line()
        'mlmon: error: file not found (ref.parquet); check the path'
        """
        text = f"mlmon: error: {self.what}"
        if self.where:
            text += f" ({self.where})"
        if self.todo:
            text += f"; {self.todo}"
        return " ".join(text.split())
