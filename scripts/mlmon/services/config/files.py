"""Where configs are, which files are configs, and reading one: bounded, regular files only,
into the typed :class:`~mlmon.services.config.model.Config` once it is valid."""

from __future__ import annotations

import fnmatch
import json
import os
import stat
from typing import Any, Dict, List, Optional

from mlmon.errors import MlmonError

SCHEMA_PATH = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "assets", "schema.json"))
DEFAULT_CONFIG_PATH = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "assets", "config.yaml"))
CONFIG_NAMES = ("monitoring.yaml", "monitoring.yml")
CONFIG_SUFFIXES = (".monitoring.yaml", ".monitoring.yml")
MAX_CHARS = 1_000_000  # a monitoring config is a few KB; more is a mistake (or an attack)


def is_config_path(path: str, project_settings: Optional[List[str]] = None) -> bool:
    """Whether ``path`` is a monitoring config: by name, or listed in the project's settings.

    >>> is_config_path("deploy/monitoring.yaml"), is_config_path("fraud.monitoring.yml")
    (True, True)
    >>> is_config_path("config.yaml"), is_config_path("notes/monitoring.yaml.bak")
    (False, False)
    >>> is_config_path("conf/alerts.yaml", ["conf/alerts.yaml"])
    True
    """
    if not path:
        return False
    base = os.path.basename(path)
    if base in CONFIG_NAMES or base.endswith(CONFIG_SUFFIXES):
        return True
    norm = os.path.normpath(path)
    for listed in project_settings or ():
        if not listed:
            continue
        want = os.path.normpath(listed)
        if norm == want or fnmatch.fnmatch(norm, want):
            return True
        if os.path.isabs(norm) and not os.path.isabs(want):
            if norm.endswith(os.sep + want) or fnmatch.fnmatch(norm, "*" + os.sep + want):
                return True
    return False


class NotRegular(OSError):
    pass


def read_config_bytes(path: str, limit: int = MAX_CHARS + 1) -> bytes:
    """At most ``limit`` bytes of the regular file at ``path`` (symlinks followed).

    The file is opened without blocking, so a FIFO cannot hang the caller, and checked to be a
    regular file before anything is read from it."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(st.st_mode):
            raise NotRegular(path)
        chunks, left = [], limit
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def load_config(path: str):
    """The config at ``path`` as a typed, frozen :class:`~mlmon.services.config.model.Config`
    with the schema's defaults filled in; :class:`MlmonError` (one line) when it has errors."""
    from mlmon.services.config.validation import validate_file

    errors = [p for p in validate_file(path) if p.severity == "error"]
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise MlmonError(
            f"invalid monitoring config: {first.path}: {first.message}{more}",
            f"{first.file}:{first.line}:{first.col}",
            f"run `mlmon validate {path}` to see every problem",
        )
    import yaml

    from mlmon.services.config.model import from_dict

    return from_dict(yaml.safe_load(read_config_bytes(path).decode("utf-8")), path=path, schema=load_schema())


def load_schema() -> Dict[str, Any]:
    global _SCHEMA
    if _SCHEMA is None:
        with open(SCHEMA_PATH, encoding="utf-8") as fh:
            _SCHEMA = json.load(fh)
    return _SCHEMA


_SCHEMA: Optional[Dict[str, Any]] = None
