"""A problem found in a config, and the report that collects problems at their YAML positions."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Dict, List, Tuple

Path = Tuple[Any, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config, at the YAML node it is about (1-based line and column)."""

    file: str
    line: int
    col: int
    path: str
    message: str
    severity: str = "error"  # or "warning"

    def format(self) -> str:
        """The one-line form editors and compilers use.

        >>> Problem("monitoring.yaml", 3, 5, "model.task", "not one of binary, multiclass, regression").format()
        'monitoring.yaml:3:5: model.task: not one of binary, multiclass, regression'
        """
        label = "" if self.severity == "error" else f"{self.severity}: "
        return f"{self.file}:{self.line}:{self.col}: {self.path}: {label}{self.message}"

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)


class Report:
    def __init__(self, file: str, pos) -> None:  # pos: positions.Positions
        self.file, self.pos = file, pos
        self.problems: List[Problem] = []
        self.claimed: set = set()  # paths already explained; schema errors there are dropped

    def at_key(self, path: Path, message: str, severity: str = "error") -> None:
        self._add(self.pos.key(path), path, message, severity)

    def at_value(self, path: Path, message: str, severity: str = "error") -> None:
        self._add(self.pos.value(path), path, message, severity)

    def _add(self, where, path: Path, message: str, severity: str) -> None:
        line, col = where
        self.problems.append(Problem(self.file, line, col, dotted(path), message, severity))


def dotted(path: Path) -> str:
    """``("alerts", "critical", "notify", 0)`` -> ``alerts.critical.notify[0]``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return str(value)
