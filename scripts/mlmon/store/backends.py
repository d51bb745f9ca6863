"""Where the history lives: a SQLite file (the default) or a PostgreSQL database, behind one
connection interface, so every area's SQL is written once.

The store writes its SQL in SQLite's spelling (``?`` parameters, ``INTEGER``/``REAL`` columns);
each :class:`Dialect` renders it for its database:

================================  ==========================  ====================================
written                           SQLite                      PostgreSQL
================================  ==========================  ====================================
``?`` parameter                   ``?``                       ``%s`` (a literal ``%`` is doubled)
``INTEGER PRIMARY KEY             as written                  ``BIGINT GENERATED ALWAYS AS
AUTOINCREMENT``                                               IDENTITY PRIMARY KEY``
``INTEGER``                       as written                  ``BIGINT``
``REAL``                          as written                  ``DOUBLE PRECISION``
a JSON field of a text column     ``json_extract(c, '$.a')``  ``(c::jsonb #>> '{a}')``
the write lock of a table         a no-op ``UPDATE``          ``LOCK TABLE ... IN SHARE ROW
                                  (takes the database lock)   EXCLUSIVE MODE``
================================  ==========================  ====================================

Both store a float NaN as NULL (SQLite does so itself; PostgreSQL would keep the NaN).

PostgreSQL is reached through ``psycopg`` (version 3), imported only when a ``postgresql://`` URL
is used.
"""

from __future__ import annotations

import re
import sqlite3
from typing import Any, Iterable, List, Optional, Sequence, Tuple
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from mlmon.errors import MlmonError

POSTGRES_SCHEMES = ("postgresql", "postgres")
_USER_PASSWORD = re.compile(r"^([a-zA-Z][\w+.-]*://[^:/@]*:)([^@]*)@")
CONNECT_TIMEOUT = 10  # seconds: an unreachable server is an error soon, not a hang


class StoreError(Exception):
    """A database error of a server-backed store (SQLite's are ``sqlite3.Error``)."""


def is_postgres(location: str) -> bool:
    return "://" in location and location.split("://", 1)[0].lower() in POSTGRES_SCHEMES


def url_password(location: str) -> Optional[str]:
    """The password a database URL carries, in its user part or as ``?password=``."""
    if "://" not in location:
        return None
    try:
        parts = urlsplit(location)
        password = parts.password
    except ValueError:  # malformed (an unclosed [IPv6]): read the user part by hand
        match = _USER_PASSWORD.match(location)
        return match.group(2) if match else None
    if password:
        return password
    return dict(parse_qsl(parts.query)).get("password") or None


def redact(location: str) -> str:
    """The location with any password replaced by ``***`` (what messages and results show).

    >>> redact("postgresql://mlmon:s3cret@db.example:5432/history?sslmode=require")
    'postgresql://mlmon:***@db.example:5432/history?sslmode=require'
    >>> redact("postgresql://db/history?password=s3cret")
    'postgresql://db/history?password=%2A%2A%2A'
    >>> redact(".mlmon/history.db")
    '.mlmon/history.db'
    """
    if "://" not in location or not url_password(location):
        return location
    try:
        parts = urlsplit(location)
    except ValueError:
        return _USER_PASSWORD.sub(lambda m: m.group(1) + "***@", location)
    netloc = parts.netloc
    if "@" in netloc:
        user, host = netloc.rsplit("@", 1)
        if ":" in user:
            user = user.split(":", 1)[0] + ":***"
        netloc = f"{user}@{host}"
    query = urlencode([(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)])
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


# ---------------------------------------------------------------------------- dialects

class Dialect:
    name = "sqlite"

    def render(self, ddl: str) -> str:
        return ddl

    def sql(self, text: str) -> str:
        return text

    def json_text(self, column: str, dotted: str) -> str:
        """The text of field ``dotted`` (``model.name``) of a JSON text column."""
        return f"json_extract({column}, '$.{dotted}')"

    def lock(self, table: str) -> str:
        """A statement that, inside a transaction, makes concurrent writers of ``table`` wait for
        this transaction's end (readers are not blocked)."""
        return f"UPDATE {table} SET rowid = rowid WHERE 0"


class SQLiteDialect(Dialect):
    pass


class PostgresDialect(Dialect):
    name = "postgresql"

    _TYPES = [
        (re.compile(r"\bINTEGER\s+PRIMARY\s+KEY\s+AUTOINCREMENT\b", re.I), "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
        (re.compile(r"\bINTEGER\b", re.I), "BIGINT"),
        (re.compile(r"\bREAL\b", re.I), "DOUBLE PRECISION"),
    ]

    def render(self, ddl: str) -> str:
        """
        >>> PostgresDialect().render("id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER, x REAL")
        'id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n BIGINT, x DOUBLE PRECISION'
        """
        for pattern, replacement in self._TYPES:
            ddl = pattern.sub(replacement, ddl)
        return ddl

    def sql(self, text: str) -> str:
        """``?`` outside quoted literals becomes ``%s``; every ``%`` is doubled.

        >>> PostgresDialect().sql("SELECT * FROM t WHERE a=? AND b LIKE 'x?%'")
        "SELECT * FROM t WHERE a=%s AND b LIKE 'x?%%'"
        """
        out: List[str] = []
        quote_char: Optional[str] = None
        for ch in text:
            if quote_char:
                if ch == quote_char:
                    quote_char = None
            elif ch in ("'", '"'):
                quote_char = ch
            elif ch == "?":
                out.append("%s")
                continue
            out.append("%%" if ch == "%" else ch)
        return "".join(out)

    def json_text(self, column: str, dotted: str) -> str:
        return f"({column}::jsonb #>> '{{{','.join(dotted.split('.'))}}}')"

    def lock(self, table: str) -> str:
        return f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE"


SQLITE = SQLiteDialect()
POSTGRES = PostgresDialect()


def statements(script: str) -> List[str]:
    """A DDL script split into statements (``--`` comments dropped first)."""
    lines = [re.sub(r"--.*$", "", line) for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


# ---------------------------------------------------------------------------- connections

def _no_nan(params: Sequence[Any]) -> Tuple[Any, ...]:
    return tuple(None if isinstance(p, float) and p != p else p for p in params)


class Connection:
    """One database connection with the store's SQL spelling (see the module docstring).

    ``execute`` returns the driver's cursor: ``fetchall()``/``fetchone()`` give rows that
    ``dict()`` accepts, ``rowcount`` counts changed rows.
    """

    def __init__(self, raw: Any, dialect: Dialect, location: str):
        self.raw = raw
        self.dialect = dialect
        self.location = location  # as messages show it: a URL's password masked

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        if self.dialect is SQLITE:
            return self.raw.execute(sql, tuple(params))
        return self._pg(lambda cur: cur.execute(self.dialect.sql(sql), _no_nan(params)))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        if self.dialect is SQLITE:
            self.raw.executemany(sql, rows)
            return
        rows = [_no_nan(r) for r in rows]
        if rows:
            self._pg(lambda cur: cur.executemany(self.dialect.sql(sql), rows))

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one ``INSERT`` into a table with an ``id`` column; returns the new row's id."""
        if self.dialect is SQLITE:
            return int(self.raw.execute(sql, tuple(params)).lastrowid)
        cur = self.execute(sql + " RETURNING id", params)
        return int(cur.fetchone()["id"])

    def tables(self) -> set:
        """The tables of the store's schema (PostgreSQL: the first schema of the search path)."""
        if self.dialect is SQLITE:
            return {r[0] for r in self.raw.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        rows = self.execute("SELECT tablename FROM pg_catalog.pg_tables WHERE schemaname = current_schema()")
        return {r["tablename"] for r in rows.fetchall()}

    def _pg(self, action):
        import psycopg

        cur = self.raw.cursor()
        try:
            action(cur)
        except psycopg.Error as exc:
            raise StoreError(f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}") from exc
        return cur

    def idle(self) -> bool:
        """Open, and in no transaction (so another block may use it)."""
        if self.dialect is SQLITE:
            return not self.raw.in_transaction
        from psycopg.pq import TransactionStatus

        return not self.raw.closed and self.raw.info.transaction_status == TransactionStatus.IDLE

    def commit(self) -> None:
        self.raw.commit()

    def rollback(self) -> None:
        if self.dialect is SQLITE:
            self.raw.rollback()
            return
        import psycopg

        try:
            self.raw.rollback()
        except psycopg.Error:  # the connection is gone: so is the transaction; the store drops it
            pass

    def close(self) -> None:
        self.raw.close()


def connect_sqlite(path: str, read_only: bool = False, timeout: float = 30) -> Connection:
    if read_only:
        import os

        raw = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True, timeout=timeout)
    else:
        raw = sqlite3.connect(path, timeout=timeout)
    raw.row_factory = sqlite3.Row
    return Connection(raw, SQLITE, path)


def connect_postgres(url: str, read_only: bool = False) -> Connection:
    """A connection to the server ``url`` names; one line (exit 2) when the driver is missing,
    the URL malformed or the server unreachable."""
    try:
        import psycopg
        from psycopg.rows import dict_row
    except ImportError:
        raise MlmonError("a PostgreSQL history store needs the psycopg package", redact(url),
                         "pip install 'psycopg[binary]' (scripts/requirements.txt lists it)") from None
    netloc = url.split("://", 1)[1].split("/", 1)[0]
    if netloc.count("@") > 1:
        # libpq would cut the user part at the first "@" and read the rest of the password as the
        # host name, which its error message then shows
        raise MlmonError("the URL's password holds an unencoded '@'", redact(url),
                         "percent-encode it in the password (write @ as %40)")
    try:
        raw = psycopg.connect(url, row_factory=dict_row, connect_timeout=CONNECT_TIMEOUT, autocommit=read_only)
    except psycopg.ProgrammingError as exc:  # libpq could not parse the URL
        raise MlmonError(f"not a valid PostgreSQL URL ({_first_line(exc)})", redact(url),
                         "write it as postgresql://USER@HOST:PORT/DATABASE, the password in the environment") from None
    except psycopg.Error as exc:
        raise MlmonError(f"cannot connect to the PostgreSQL history store: {_scrub(_first_line(exc), url)}", redact(url),
                         "check that the server is up and the URL (storage.history_url, MLMON_DB_URL) is right") from None
    if read_only:
        with raw.cursor() as cur:
            cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            cur.execute("SET statement_timeout = 5000")
    return Connection(raw, POSTGRES, redact(url))


def _scrub(text: str, url: str) -> str:
    """``text`` without the URL's password, should a driver message quote it."""
    password = url_password(url)
    return text.replace(password, "***") if password else text


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    # libpq prefixes its own message with the address tried; the last line names the cause
    return lines[-1] if lines else type(exc).__name__
