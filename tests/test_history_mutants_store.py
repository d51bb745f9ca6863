"""The history store's building blocks stated exactly: the rows a result becomes
(``mlmon.store.rows``), where a store lives (``mlmon.store.location``) and how one connection
speaks SQLite or PostgreSQL (``mlmon.store.backends``). Found by mutation testing
(``scripts/mutation history``): each test fails on a small change of the code it names.

Expected values are hand-computed from the inputs written in each test."""

from __future__ import annotations

from datetime import date

import pytest

from mlmon.store.rows import day_end, day_period, metric_rows, run_identity, utc_text

# ---------------------------------------------------------------------------- rows: metric_rows


def _window(**more):
    return {"start": "2024-01-01T00:00:00", "end": "2024-01-02T00:00:00", "n": 10, "n_labeled": 8, **more}


def test_metric_rows_carry_every_column_of_a_realized_and_an_estimated_value():
    result = {"window": "1D", "model": "m", "version": "1",
              "windows": [_window(metrics={"accuracy": 0.75}, intervals={"accuracy": {"lower": 0.4, "upper": 0.9}},
                                  estimated={"accuracy": 0.8},
                                  estimated_intervals={"accuracy": {"lower": 0.6, "upper": 1.0}},
                                  severity="warning", severity_basis="estimated")]}
    common = {"timestamp": "2024-01-01T00:00:00", "window_end": "2024-01-02T00:00:00", "model": "m", "version": "1",
              "window": "1D", "metric": "accuracy"}
    assert metric_rows(result) == [
        {**common, "value": 0.75, "lower": 0.4, "upper": 0.9, "kind": "realized", "n": 8, "severity": None},
        {**common, "value": 0.8, "lower": 0.6, "upper": 1.0, "kind": "estimated", "n": 10, "severity": "warning"},
    ]


def test_metric_rows_take_the_callers_model_and_version_over_the_results():
    result = {"model": "m", "version": "1", "windows": [_window(metrics={"accuracy": 0.5})]}
    [row] = metric_rows(result, model="other", version="7")
    assert (row["model"], row["version"]) == ("other", "7")
    [row] = metric_rows(result, model="other")
    assert (row["model"], row["version"]) == ("other", "1")
    [row] = metric_rows(result, version="7")
    assert (row["model"], row["version"]) == ("m", "7")


def test_metric_rows_skip_missing_values_but_keep_the_metrics_after_them():
    result = {"windows": [_window(metrics={"f1": None, "accuracy": 0.5, "recall": None, "precision": 0.25})]}
    rows = metric_rows(result)
    assert [(r["metric"], r["value"], r["lower"], r["upper"], r["severity"]) for r in rows] == [
        ("accuracy", 0.5, None, None, None), ("precision", 0.25, None, None, None)]
    assert [(r["model"], r["version"], r["window"]) for r in rows] == [(None, None, None)] * 2


def test_metric_rows_of_a_result_without_windows_or_values_are_none():
    assert metric_rows({}) == []
    assert metric_rows({"windows": [_window()]}) == []
    assert metric_rows({"windows": [_window(metrics={}, estimated=None)]}) == []


def test_metric_rows_read_an_interval_only_for_its_own_metric_and_a_window_end_in_utc():
    result = {"windows": [_window(start="2024-03-31T00:00:00+02:00", end=None, metrics={"accuracy": 0.5, "f1": 0.4},
                                  intervals={"f1": {"lower": 0.1}}, severity="critical", severity_basis="realized")]}
    rows = metric_rows(result)
    assert [(r["timestamp"], r["window_end"], r["metric"], r["lower"], r["upper"], r["severity"]) for r in rows] == [
        ("2024-03-30T22:00:00+00:00", None, "accuracy", None, None, "critical"),
        ("2024-03-30T22:00:00+00:00", None, "f1", 0.1, None, "critical")]
    result["windows"][0]["end"] = "2024-04-01T00:00:00+02:00"
    assert metric_rows(result)[0]["window_end"] == "2024-03-31T22:00:00+00:00"


# ---------------------------------------------------------------------------- rows: run_identity


def test_a_scheduled_run_is_identified_by_its_model_and_day():
    result = {"model": {"name": "fraud", "version": 3}, "date": "2026-03-01",
              "windows": [{"start": "2020-01-01", "end": "2020-01-02"}]}
    assert run_identity("scheduled", result) == {"model": "fraud", "version": "3",
                                                 "period_start": "2026-03-01T00:00:00",
                                                 "period_end": "2026-03-02T00:00:00"}


def test_a_non_scheduled_run_with_a_date_is_identified_by_its_windows():
    result = {"model": "m", "version": 2, "date": "2026-03-01",
              "windows": [{"start": "2024-01-01T00:00:00+01:00", "end": "2024-01-02T00:00:00+01:00"},
                          {"start": "2024-01-02T00:00:00+01:00", "end": "2024-01-03T00:00:00+01:00"}]}
    assert run_identity("drift", result) == {"model": "m", "version": "2",
                                             "period_start": "2023-12-31T23:00:00+00:00",
                                             "period_end": "2024-01-02T23:00:00+00:00"}


def test_a_scheduled_run_without_a_text_date_falls_back_to_its_windows():
    result = {"model": {"name": "fraud"}, "date": date(2026, 3, 1), "windows": [{"start": "2024-01-01", "end": None}]}
    assert run_identity("scheduled", result) == {"model": "fraud", "version": None, "period_start": "2024-01-01",
                                                 "period_end": None}


def test_windows_without_a_start_or_not_dicts_do_not_bound_the_period():
    result = {"windows": ["2024-01-01", {"start": None, "end": "2023-01-01"}, {"start": "2024-02-01", "end": "2024-02-02"},
                          {"start": "2024-02-02"}, {"end": "2030-01-01"}]}
    assert run_identity("perf", result) == {"model": None, "version": None, "period_start": "2024-02-01",
                                            "period_end": None}
    assert run_identity("perf", {"windows": None}) == {"model": None, "version": None, "period_start": None,
                                                       "period_end": None}


def test_the_callers_identity_wins_field_by_field_as_text_and_adds_nothing_else():
    result = {"model": "m", "version": "1", "windows": [{"start": "2024-01-01", "end": "2024-01-02"}]}
    identity = {"model": "scheduled-model", "version": None, "period_end": 20240105, "extra": "x"}
    assert run_identity("drift", result, identity) == {"model": "scheduled-model", "version": "1",
                                                       "period_start": "2024-01-01", "period_end": "20240105"}


# ---------------------------------------------------------------------------- rows: days and UTC text


def test_a_days_period_runs_from_its_midnight_to_the_next_given_as_text_or_date():
    assert day_period("2024-02-28") == ("2024-02-28T00:00:00", "2024-02-29T00:00:00")  # a leap year
    assert day_period(date(2023, 2, 28)) == ("2023-02-28T00:00:00", "2023-03-01T00:00:00")


def test_a_days_end_is_the_next_midnight_in_utc():
    end = day_end(date(2024, 2, 28))
    assert end.isoformat() == "2024-02-29T00:00:00+00:00"
    assert end.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("text, expected", [
    ("2024-03-31T02:30:00-05:00", "2024-03-31T07:30:00+00:00"),
    ("2024-03-31T00:00:00Z", "2024-03-31T00:00:00Z"),       # already UTC: kept as written
    ("2024-03-31", "2024-03-31"),
    ("", ""),
    (None, None),
    ("not a time", "not a time"),
])
def test_utc_text_turns_only_offset_times_into_utc(text, expected):
    assert utc_text(text) == expected


# ---------------------------------------------------------------------------- location


def _refused(location, where="w", from_env=False):
    from mlmon.errors import MlmonError
    from mlmon.store.location import check_location

    with pytest.raises(MlmonError) as info:
        check_location(location, where, from_env=from_env)
    return info.value.what, info.value.where, info.value.todo


SQLITE_TODO = "write it as sqlite:///PATH (relative) or sqlite:////ABS/PATH"
OTHER_TODO = "use a SQLite path (sqlite:///PATH) or postgresql://USER@HOST:PORT/DATABASE"


def test_a_location_without_a_scheme_or_with_a_known_one_is_kept_as_given():
    from mlmon.store.location import check_location

    for location in ("h.db", "", "sqlite:///h.db", "sqlite:////abs/h.db", "postgres://db/h",
                     "POSTGRESQL://u@db:5432/h", "postgresql://u:pw@db/h", "postgresql://db/h?password=pw",
                     "postgresql://u@db/h?application_name=a://b", "sqlite:///dir://h.db"):  # the first "://" ends the scheme
        if "pw" not in location:
            assert check_location(location, "w") == location
    assert check_location("postgresql://u:pw@db/h", "w", from_env=True) == "postgresql://u:pw@db/h"
    assert check_location("postgresql://db/h?password=pw", "w", from_env=True) == "postgresql://db/h?password=pw"


def test_a_sqlite_url_needs_three_slashes_and_a_path():
    assert _refused("sqlite:///", "--history") == ("not a SQLite URL: sqlite:///", "--history", SQLITE_TODO)
    assert _refused("sqlite://h.db") == ("not a SQLite URL: sqlite://h.db", "w", SQLITE_TODO)
    assert _refused("SQLite://h.db") == ("not a SQLite URL: SQLite://h.db", "w", SQLITE_TODO)  # spelled as shown


def test_a_sqlite_scheme_in_any_case_is_the_same_store():
    from mlmon.store.location import check_location, resolve

    assert check_location("SQLite:///h.db", "w") == "sqlite:///h.db"
    assert check_location("SQLITE:////srv/h.db", "w") == "sqlite:////srv/h.db"
    assert resolve(None, "SQLite:///data/h.db", "/srv/m", {}) == "data/h.db"


def test_an_unknown_scheme_is_named_in_lower_case():
    assert _refused("MySQL://db/h", "MLMON_DB_URL") == ("unsupported history database: mysql", "MLMON_DB_URL", OTHER_TODO)
    assert _refused("postgresqlx://db/h") == ("unsupported history database: postgresqlx", "w", OTHER_TODO)


def test_a_postgresql_url_with_a_bad_port_or_a_password_outside_the_environment_is_refused():
    assert _refused("postgresql://u:pw@db:99999/h", "storage.history_url", from_env=True) == (
        "not a valid PostgreSQL URL (Port out of range 0-65535)", "storage.history_url: postgresql://u:***@db:99999/h",
        "write it as postgresql://USER@HOST:PORT/DATABASE")
    assert _refused("postgres://u:pw@db/h", "--history") == (
        "the history URL holds a password (postgres://u:***@db/h)", "--history",
        "put the URL in an environment variable: MLMON_DB_URL, or the one storage.history_url_env names")


@pytest.mark.parametrize("config, given, env, expected", [
    (None, None, {}, ".mlmon/history.db"),
    ({"storage": {}}, None, {}, ".mlmon/history.db"),                       # the schema's default is not "given"
    ({"storage": {"retention_days": 9}}, "", {"MLMON_DB_URL": ""}, ".mlmon/history.db"),  # empty means unset
    (None, "/abs/h.db", {}, "/abs/h.db"),
    (None, "sqlite:///rel.db", {}, "rel.db"),                                # a flag is the cwd's, not the config's
    (None, None, {"MLMON_DB_URL": "rel.db"}, "rel.db"),                     # so is the variable
    (None, None, {"MLMON_DB_URL": "sqlite:///rel.db"}, "rel.db"),
    ({"storage": {"history_url_env": "HIST"}}, None, {"HIST": "sqlite:///rel.db"}, "/srv/m/rel.db"),
    ({"storage": {"history_url_env": "HIST"}}, None, {"HIST": "rel.db"}, "/srv/m/rel.db"),
    ({"storage": {"history_url_env": "HIST"}}, None, {"HIST": "postgresql://u:pw@db/h"}, "postgresql://u:pw@db/h"),
    ({"storage": {"history_url": "rel.db"}}, None, {}, "/srv/m/rel.db"),
    ({"storage": {"history_url": "/abs/h.db"}}, None, {}, "/abs/h.db"),
])
def test_where_the_store_lives_and_what_paths_are_relative_to(config, given, env, expected):
    from mlmon.store.location import resolve

    assert resolve(config, given, "/srv/m", env) == expected


@pytest.mark.parametrize("config, given, env, what, where", [
    (None, "mysql://db/h", {}, "unsupported history database: mysql", "--history"),
    (None, None, {"MLMON_DB_URL": "mysql://db/h"}, "unsupported history database: mysql", "MLMON_DB_URL"),
    ({"storage": {"history_url_env": "HIST"}}, None, {"HIST": "mysql://db/h"}, "unsupported history database: mysql",
     "HIST"),
    ({"storage": {"history_url_env": "HIST"}}, None, {"HIST": ""}, "environment variable HIST is not set",
     "storage.history_url_env"),
    ({"storage": {"history_url": "mysql://db/h"}}, None, {}, "unsupported history database: mysql",
     "storage.history_url"),
    ({"storage": {"history_url": "postgresql://u:pw@db/h"}}, None, {},
     "the history URL holds a password (postgresql://u:***@db/h)", "storage.history_url"),
])
def test_each_source_of_a_location_is_checked_under_its_own_name(config, given, env, what, where):
    from mlmon.errors import MlmonError
    from mlmon.store.location import resolve

    with pytest.raises(MlmonError) as info:
        resolve(config, given, "/srv/m", env)
    assert (info.value.what, info.value.where) == (what, where)


def test_utc_text_is_utc_whatever_the_local_zone(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        assert utc_text("2024-03-31T00:00:00+01:00") == "2024-03-30T23:00:00+00:00"
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


# ---------------------------------------------------------------------------- backends: URLs


@pytest.mark.parametrize("location, expected", [
    ("postgresql://db/h", True), ("POSTGRES://db/h", True), ("postgres://u@db/h", True),
    ("sqlite:///h.db", False), ("h.db", False), ("postgresql.db", False), ("mypostgres://db/h", False),
    ("dir/postgresql://x", False), ("postgresql://db/h?application_name=a://b", True),
])
def test_a_location_is_postgresql_by_its_scheme_in_any_case(location, expected):
    from mlmon.store.backends import is_postgres

    assert is_postgres(location) is expected


@pytest.mark.parametrize("location, password", [
    ("h.db", None),
    ("postgresql://u@db/h", None),
    ("postgresql://u:@db/h", None),                          # an empty password is none
    ("postgresql://u:pw@db/h", "pw"),
    ("postgresql://u:p%40w@db/h", "p%40w"),
    ("postgresql://u:a:b@db/h", "a:b"),
    ("postgresql://u@db/h?sslmode=require&password=q", "q"),
    ("postgresql://u@db/h?password=", None),
    ("postgresql://u:a@db/h?password=b", "a"),               # the user part first
    ("postgres://u:pw@[::1/h", "pw"),                        # a malformed URL, read by hand
    ("postgres://u@[::1/h", None),
])
def test_the_password_of_a_url_is_read_from_its_user_part_or_its_query(location, password):
    from mlmon.store.backends import url_password

    assert url_password(location) == password


@pytest.mark.parametrize("location, shown", [
    ("h.db", "h.db"),
    ("postgresql://u@db/h?sslmode=require", "postgresql://u@db/h?sslmode=require"),
    ("postgresql://u@db/h?application_name=a b&x", "postgresql://u@db/h?application_name=a b&x"),  # no password: as is
    ("postgresql://u:p@ss@db:5432/h", "postgresql://u:***@db:5432/h"),       # the host follows the last "@"
    ("postgresql://u:a:b@db/h#x", "postgresql://u:***@db/h#x"),
    ("postgresql://u@db/h?sslmode=require&password=pw&application_name=",
     "postgresql://u@db/h?sslmode=require&password=%2A%2A%2A&application_name="),
    ("postgres://u:pw@[::1/h?password=pw", "postgres://u:***@[::1/h?password=pw"),
])
def test_redaction_keeps_everything_but_the_password(location, shown):
    from mlmon.store.backends import redact

    assert redact(location) == shown


# ---------------------------------------------------------------------------- backends: dialects


def test_the_sqlite_dialect_writes_sql_as_given():
    from mlmon.store.backends import SQLITE

    ddl = "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, x REAL) -- ?%"
    assert (SQLITE.name, SQLITE.render(ddl), SQLITE.sql(ddl)) == ("sqlite", ddl, ddl)
    assert SQLITE.json_text("result_json", "model.name") == "json_extract(result_json, '$.model.name')"
    assert SQLITE.lock("runs") == "UPDATE runs SET rowid = rowid WHERE 0"


def test_the_postgresql_dialect_renders_types_in_any_case_as_whole_words():
    from mlmon.store.backends import POSTGRES

    assert POSTGRES.name == "postgresql"
    assert POSTGRES.render("id integer  primary\nkey Autoincrement, n Integer, x real, pointeger TEXT, realm TEXT") == \
        "id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, n BIGINT, x DOUBLE PRECISION, pointeger TEXT, realm TEXT"
    assert POSTGRES.json_text("c", "a") == "(c::jsonb #>> '{a}')"
    assert POSTGRES.json_text("c", "a.b.c") == "(c::jsonb #>> '{a,b,c}')"
    assert POSTGRES.lock("alert_state") == "LOCK TABLE alert_state IN SHARE ROW EXCLUSIVE MODE"


def test_postgresql_parameters_outside_either_quote_and_every_percent_sign():
    from mlmon.store.backends import POSTGRES

    assert POSTGRES.sql("""SELECT 'say "hi?"', "it's?", ?, '100%' || ? """) == \
        """SELECT 'say "hi?"', "it's?", %s, '100%%' || %s """
    assert POSTGRES.sql("a % ? %") == "a %% %s %%"


def test_a_script_splits_into_statements_without_comments_or_blanks():
    from mlmon.store.backends import statements

    script = "CREATE TABLE a (x INTEGER); -- a note; with a semicolon\n\n ;\nCREATE INDEX i ON a(x) -- last\n;  \n"
    assert statements(script) == ["CREATE TABLE a (x INTEGER)", "CREATE INDEX i ON a(x)"]
    assert statements("-- only a comment") == []


def test_nan_parameters_become_null_and_nothing_else_changes():
    from mlmon.store.backends import _no_nan

    out = _no_nan([1.0, float("nan"), "nan", None, 2, float("inf")])
    assert out == (1.0, None, "nan", None, 2, float("inf")) and isinstance(out, tuple)


# ---------------------------------------------------------------------------- backends: SQLite connections


def test_a_sqlite_connection_executes_inserts_lists_tables_and_rolls_back(tmp_path):
    import sqlite3

    from mlmon.store.backends import SQLITE, connect_sqlite

    path = str(tmp_path / "c.db")
    conn = connect_sqlite(path)
    assert (conn.location, conn.dialect) == (path, SQLITE)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, x REAL)")
    assert conn.tables() == {"t", "sqlite_sequence"}
    assert conn.insert("INSERT INTO t (x) VALUES (?)", [0.5]) == 1
    conn.executemany("INSERT INTO t (x) VALUES (?)", [(1.5,), (float("nan"),)])
    assert conn.insert("INSERT INTO t (x) VALUES (NULL)") == 4
    conn.commit()
    assert [dict(r) for r in conn.execute("SELECT id, x FROM t WHERE id > ?", [1]).fetchall()] == [
        {"id": 2, "x": 1.5}, {"id": 3, "x": None}, {"id": 4, "x": None}]
    conn.execute(SQLITE.lock("t"))
    assert not conn.idle()
    conn.execute("DELETE FROM t")
    conn.rollback()
    assert conn.idle()
    assert conn.execute("SELECT COUNT(*) AS n FROM t").fetchone()["n"] == 4
    conn.close()
    with pytest.raises(sqlite3.ProgrammingError):
        conn.execute("SELECT 1")


def test_a_read_only_sqlite_connection_reads_any_path_and_writes_nothing(tmp_path):
    import sqlite3

    from mlmon.store.backends import connect_sqlite

    path = str(tmp_path / "a b?#%.db")
    writer = connect_sqlite(path)
    writer.execute("CREATE TABLE t (x INTEGER)")
    writer.execute("INSERT INTO t VALUES (7)")
    writer.commit()
    reader = connect_sqlite(path, read_only=True)
    assert [dict(r) for r in reader.execute("SELECT x FROM t").fetchall()] == [{"x": 7}]
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        reader.execute("INSERT INTO t VALUES (8)")
    assert not (tmp_path / "missing.db").exists()
    with pytest.raises(sqlite3.OperationalError):
        connect_sqlite(str(tmp_path / "missing.db"), read_only=True)
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.parametrize("read_only", [False, True])
def test_a_sqlite_connection_waits_for_a_lock_as_long_as_its_timeout(tmp_path, read_only):
    import sqlite3
    import time

    from mlmon.store.backends import connect_sqlite

    path = str(tmp_path / "l.db")
    holder = sqlite3.connect(path)
    holder.execute("CREATE TABLE t (x INTEGER)")
    holder.commit()
    holder.execute("BEGIN EXCLUSIVE")
    conn = connect_sqlite(path, read_only=read_only, timeout=0.2)
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        conn.execute("SELECT * FROM t")
    waited = time.monotonic() - started
    assert 0.15 < waited < 3  # sqlite3's own default would be 5 s
    holder.rollback()


# ---------------------------------------------------------------------------- backends: PostgreSQL connections


def _connect_refused(url):
    from mlmon.errors import MlmonError
    from mlmon.store.backends import connect_postgres

    with pytest.raises(MlmonError) as info:
        connect_postgres(url)
    return info.value.what, info.value.where, info.value.todo


def test_a_postgresql_url_that_libpq_cannot_use_is_one_line():
    pytest.importorskip("psycopg")
    assert _connect_refused("postgresql://u:p@w@db/h") == (
        "the URL's password holds an unencoded '@'", "postgresql://u:***@db/h",
        "percent-encode it in the password (write @ as %40)")
    assert _connect_refused("postgresql://u:pw@db/h?badparam=1") == (
        'not a valid PostgreSQL URL (invalid URI query parameter: "badparam")', "postgresql://u:***@db/h?badparam=1",
        "write it as postgresql://USER@HOST:PORT/DATABASE, the password in the environment")
    assert _connect_refused("postgresql://u:pw@127.0.0.1:1/h") == (
        "cannot connect to the PostgreSQL history store: Is the server running on that host and accepting TCP/IP "
        "connections?", "postgresql://u:***@127.0.0.1:1/h",
        "check that the server is up and the URL (storage.history_url, MLMON_DB_URL) is right")
    assert _connect_refused("postgresql://u:p@w@db/h?application_name=a://b")[0] == \
        "the URL's password holds an unencoded '@'"
    # an "@" after the host is no password's
    assert _connect_refused("postgresql://u@127.0.0.1:1/h?application_name=a@b/c")[0] == (
        "cannot connect to the PostgreSQL history store: Is the server running on that host and accepting TCP/IP "
        "connections?")


def test_a_refused_login_never_shows_the_password_even_when_the_server_quotes_it(pg):
    url = f"postgresql://hunter2:hunter2@127.0.0.1:{pg.port}/postgres"
    what, where, _ = _connect_refused(url)
    assert what == ('cannot connect to the PostgreSQL history store: connection failed: connection to server at '
                    f'"127.0.0.1", port {pg.port} failed: FATAL:  password authentication failed for user "***"')
    assert where == f"postgresql://hunter2:***@127.0.0.1:{pg.port}/postgres"


def test_a_postgresql_connection_executes_inserts_and_lists_tables_in_the_stores_spelling(pg):
    import postgres_server
    from mlmon.store.backends import POSTGRES, StoreError, connect_postgres

    url = pg.create_database()
    conn = connect_postgres(url)
    assert conn.dialect is POSTGRES and conn.location == url.replace(f":{postgres_server.PASSWORD}@", ":***@")
    assert postgres_server.PASSWORD not in conn.location
    conn.execute(POSTGRES.render("CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, x REAL, s TEXT)"))
    assert conn.tables() == {"t"}
    assert conn.insert("INSERT INTO t (x, s) VALUES (?, ?)", [float("nan"), "100%"]) == 1
    conn.executemany("INSERT INTO t (x, s) VALUES (?, ?)", [])
    conn.executemany("INSERT INTO t (x, s) VALUES (?, '?')", [(1.5,), (float("nan"),)])
    assert conn.insert("INSERT INTO t (x) VALUES (NULL)") == 4
    conn.commit()
    assert conn.execute("SELECT id, x, s FROM t WHERE id >= ? ORDER BY id", [1]).fetchall() == [
        {"id": 1, "x": None, "s": "100%"}, {"id": 2, "x": 1.5, "s": "?"}, {"id": 3, "x": None, "s": "?"},
        {"id": 4, "x": None, "s": None}]
    conn.execute("DELETE FROM t")
    conn.rollback()
    assert conn.execute("SELECT COUNT(*) AS n FROM t").fetchone()["n"] == 4
    with pytest.raises(StoreError, match="^UndefinedTable: relation \"nope\" does not exist$"):
        conn.executemany("INSERT INTO nope VALUES (?)", [(1,)])
    conn.rollback()
    conn.close()
    conn.rollback()  # a closed connection has no transaction left to undo: no error


def test_a_read_only_postgresql_connection_reads_without_a_transaction_and_writes_nothing(pg):
    from mlmon.store.backends import StoreError, connect_postgres

    url = pg.create_database()
    writer = connect_postgres(url)
    writer.execute("CREATE TABLE t (x BIGINT)")
    writer.commit()
    reader = connect_postgres(url, read_only=True)
    assert reader.execute("SELECT COUNT(*) AS n FROM t").fetchone() == {"n": 0}
    assert reader.idle()  # autocommit: a read leaves no transaction open
    assert reader.execute("SHOW statement_timeout").fetchone() == {"statement_timeout": "5s"}
    with pytest.raises(StoreError, match="^ReadOnlySqlTransaction: cannot execute INSERT in a read-only transaction$"):
        reader.execute("INSERT INTO t VALUES (1)")
    reader.close()
    writer.close()


def test_a_driver_error_without_a_message_is_a_store_error_naming_its_type():
    psycopg = pytest.importorskip("psycopg")
    from mlmon.store.backends import POSTGRES, Connection, StoreError

    class Cursor:
        def __init__(self, message):
            self.message = message

        def execute(self, sql, params):
            raise psycopg.OperationalError(self.message)

    class Raw:
        message = ""

        def cursor(self):
            return Cursor(self.message)

    raw = Raw()
    conn = Connection(raw, POSTGRES, "postgresql://db/h")
    with pytest.raises(StoreError) as info:
        conn.execute("SELECT 1")
    assert str(info.value) == "OperationalError: "
    raw.message = "  \n  server closed the connection\nunexpectedly  \n"
    with pytest.raises(StoreError) as info:
        conn.execute("SELECT 1")
    assert str(info.value) == "OperationalError: server closed the connection"


def test_a_server_that_never_answers_is_an_error_after_the_connect_timeout(monkeypatch):
    import socket
    import threading
    import time

    pytest.importorskip("psycopg")
    from mlmon.store import backends

    monkeypatch.setattr(backends, "CONNECT_TIMEOUT", 1)
    outcome = []
    with socket.socket() as silent:  # accepts the connection, never speaks
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"postgresql://u@127.0.0.1:{silent.getsockname()[1]}/h"
        started = time.monotonic()
        # in a thread: without a timeout the connection would wait forever (until this socket closes)
        worker = threading.Thread(target=lambda: outcome.append(_connect_refused(url)[:2]), daemon=True)
        worker.start()
        worker.join(10)
        waited = time.monotonic() - started
    assert outcome == [("cannot connect to the PostgreSQL history store: connection timeout expired", url)]
    assert 0.9 < waited < 8  # libpq may try twice (with and without SSL)
