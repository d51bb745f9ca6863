"""Which history store a command uses: a SQLite file or a PostgreSQL URL.

In order, the first that is set wins:

1. ``--history PATH_OR_URL``;
2. the environment variable ``MLMON_DB_URL``;
3. the config's ``storage.history_url_env`` (the name of a variable holding the URL);
4. the config's ``storage.history_url`` (``sqlite:///PATH``, relative to the config's folder,
   or ``postgresql://USER@HOST:PORT/DATABASE``);
5. ``.mlmon/history.db``.

A URL that carries a password is accepted only from an environment variable: written in the
config or on the command line it would end up in files, shell history and process lists.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Mapping, Optional, Union
from urllib.parse import urlsplit

from mlmon.errors import MlmonError
from mlmon.store.backends import POSTGRES_SCHEMES, redact, url_password

if TYPE_CHECKING:
    from mlmon.services.config.model import Config

DEFAULT_PATH = os.path.join(".mlmon", "history.db")
ENV_URL = "MLMON_DB_URL"


def check_location(location: str, where: str, from_env: bool = False) -> str:
    """``location`` if it names a store this toolkit can use (a SQLite URL's scheme in lower case);
    otherwise one line (exit 2).

    >>> check_location("postgresql://mlmon@db:5432/history", "MLMON_DB_URL", from_env=True)
    'postgresql://mlmon@db:5432/history'
    >>> check_location("history.db", "--history"), check_location("SQLite:///h.db", "--history")
    ('history.db', 'sqlite:///h.db')
    """
    if "://" not in location:
        return location
    scheme = location.split("://", 1)[0].lower()
    if scheme == "sqlite":  # a scheme's case does not matter (RFC 3986): the rest of the toolkit sees sqlite:///
        path = location[len("sqlite://"):]
        if not path.startswith("/") or path == "/":
            raise MlmonError(f"not a SQLite URL: {location}", where, "write it as sqlite:///PATH (relative) or sqlite:////ABS/PATH")
        return "sqlite://" + path
    if scheme not in POSTGRES_SCHEMES:
        raise MlmonError(f"unsupported history database: {scheme}", where,
                         "use a SQLite path (sqlite:///PATH) or postgresql://USER@HOST:PORT/DATABASE")
    try:
        urlsplit(location).port
    except ValueError as exc:
        raise MlmonError(f"not a valid PostgreSQL URL ({exc})", f"{where}: {redact(location)}",
                         "write it as postgresql://USER@HOST:PORT/DATABASE") from None
    if url_password(location) and not from_env:
        raise MlmonError(f"the history URL holds a password ({redact(location)})", where,
                         f"put the URL in an environment variable: {ENV_URL}, or the one storage.history_url_env names")
    return location


def resolve(config: Union["Config", Mapping[str, Any], None], given: Optional[str], base: str,
            env: Mapping[str, str]) -> str:
    """The history store's location: a SQLite path (relative ones against ``base``, the config's
    folder, when they come from the config) or a PostgreSQL URL. ``config`` is a typed
    :class:`~mlmon.services.config.model.Config` (a validated config dict is typed first).

    >>> from mlmon.services.config.model import from_dict
    >>> resolve(from_dict({"storage": {"history_url": "sqlite:///.mlmon/history.db"}}), None, "/srv/m", {})
    '/srv/m/.mlmon/history.db'
    >>> resolve(from_dict({"storage": {"history_url": "sqlite:///data/h.db"}}), None, "/srv/m", {"MLMON_DB_URL": "postgresql://db/h"})
    'postgresql://db/h'
    >>> resolve(None, "other.db", "/srv/m", {"MLMON_DB_URL": "postgresql://db/h"})
    'other.db'
    """
    from mlmon.services.config.model import typed

    if given:
        return _sqlite_path(check_location(given, "--history"), None)
    if env.get(ENV_URL):
        return _sqlite_path(check_location(env[ENV_URL], ENV_URL, from_env=True), None)
    # only what the file itself says: the schema's defaults stand for "not set" here
    config = typed(config) if config is not None else None
    storage = config.storage if config is not None else None
    if storage is not None and config.given("storage", "history_url_env") and storage.history_url_env:
        name = storage.history_url_env
        url = env.get(name)
        if not url:
            raise MlmonError(f"environment variable {name} is not set", "storage.history_url_env",
                             "export it, or pass --history PATH")
        return _sqlite_path(check_location(url, name, from_env=True), base)
    url = storage.history_url if storage is not None and config.given("storage", "history_url") else None
    if not url:
        return DEFAULT_PATH
    return _sqlite_path(check_location(url, "storage.history_url"), base)


def _sqlite_path(location: str, base: Optional[str]) -> str:
    if location.startswith("sqlite:///"):
        location = location[len("sqlite:///"):]
    elif "://" in location:
        return location
    return location if base is None or os.path.isabs(location) else os.path.join(base, location)
