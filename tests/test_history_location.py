"""Which history store a command uses, and every way of naming one wrongly: ``--history``, then
``MLMON_DB_URL``, then the config's ``storage``, then ``.mlmon/history.db``; a URL with a password
only from the environment; an unsupported or malformed URL is one line and exit 2."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest

from mlmon.errors import MlmonError
from mlmon.store.backends import PostgresDialect, redact
from mlmon.store.location import DEFAULT_PATH, resolve
from mlmon_testing import ROOT, run_mlmon

CONFIG = ROOT / "assets" / "config.yaml"
PG = "postgresql://mlmon@db.example:5432/history"


@pytest.mark.parametrize("config, given, env, expected", [
    ({}, None, {}, DEFAULT_PATH),
    ({"storage": {"history_url": "sqlite:///state/h.db"}}, None, {}, "/srv/m/state/h.db"),
    ({"storage": {"history_url": "sqlite:////var/h.db"}}, None, {}, "/var/h.db"),
    ({"storage": {"history_url": PG}}, None, {}, PG),
    ({"storage": {"history_url": "sqlite:///h.db", "history_url_env": "HIST"}}, None, {"HIST": PG + "x"}, PG + "x"),
    ({"storage": {"history_url": "sqlite:///h.db"}}, None, {"MLMON_DB_URL": PG}, PG),           # the variable beats the file
    ({"storage": {"history_url_env": "HIST"}}, None, {"MLMON_DB_URL": PG, "HIST": "sqlite:///x.db"}, PG),
    ({"storage": {"history_url": PG}}, "local.db", {"MLMON_DB_URL": PG}, "local.db"),           # the flag beats both
    ({}, "sqlite:///rel/h.db", {}, "rel/h.db"),                                                 # a flag's path is the cwd's
    ({}, None, {"MLMON_DB_URL": "postgresql://u:secret@db/h"}, "postgresql://u:secret@db/h"),  # a password from the environment
])
def test_the_first_location_given_wins(config, given, env, expected):
    assert resolve(config, given, "/srv/m", env) == expected


@pytest.mark.parametrize("config, given, env, message", [
    ({"storage": {"history_url": "postgresql://u:secret@db/h"}}, None, {},
     "the history URL holds a password (postgresql://u:***@db/h) (storage.history_url); put the URL in an environment "
     "variable: MLMON_DB_URL, or the one storage.history_url_env names"),
    ({}, "postgresql://db/h?password=secret", {},
     "the history URL holds a password (postgresql://db/h?password=%2A%2A%2A) (--history); put the URL in an environment "
     "variable: MLMON_DB_URL, or the one storage.history_url_env names"),
    ({}, None, {"MLMON_DB_URL": "mysql://db/h"},
     "unsupported history database: mysql (MLMON_DB_URL); use a SQLite path (sqlite:///PATH) or "
     "postgresql://USER@HOST:PORT/DATABASE"),
    ({"storage": {"history_url": "sqlite://h.db"}}, None, {},
     "not a SQLite URL: sqlite://h.db (storage.history_url); write it as sqlite:///PATH (relative) or sqlite:////ABS/PATH"),
    ({}, None, {"MLMON_DB_URL": "postgresql://u:secret@db:port/h"},
     "not a valid PostgreSQL URL (Port could not be cast to integer value as 'port') (MLMON_DB_URL: "
     "postgresql://u:***@db:port/h); write it as postgresql://USER@HOST:PORT/DATABASE"),
    ({"storage": {"history_url_env": "HIST"}}, None, {},
     "environment variable HIST is not set (storage.history_url_env); export it, or pass --history PATH"),
])
def test_a_bad_location_is_one_line_with_what_to_do(config, given, env, message):
    with pytest.raises(MlmonError) as err:
        resolve(config, given, "/srv/m", env)
    assert str(err.value) == f"mlmon: error: {message}"
    assert "secret" not in str(err.value)


def test_redaction_hides_every_password_form():
    assert redact("postgresql://u:p%40ss@db/h") == "postgresql://u:***@db/h"
    assert redact("postgres://u:pw@[::1/h") == "postgres://u:***@[::1/h"  # even a malformed URL
    assert redact(PG) == PG


def test_parameters_are_rendered_for_postgresql_outside_literals_only():
    d = PostgresDialect()
    assert d.sql("SELECT '?' AS q, x FROM t WHERE a=? AND b LIKE '5%' AND c=?") == \
        "SELECT '?' AS q, x FROM t WHERE a=%s AND b LIKE '5%%' AND c=%s"
    assert d.json_text("result_json", "model.name") == "(result_json::jsonb #>> '{model,name}')"


# ---------------------------------------------------------------------------- through the commands


@pytest.fixture
def csvs(tmp_path):
    rng = np.random.default_rng(1)
    pd.DataFrame({"x": rng.normal(0, 1, 200)}).to_csv(tmp_path / "ref.csv", index=False)
    pd.DataFrame({"x": rng.normal(1, 1, 200)}).to_csv(tmp_path / "cur.csv", index=False)
    return tmp_path / "ref.csv", tmp_path / "cur.csv"


def test_a_password_on_the_command_line_is_refused_before_any_work(tmp_path):
    r = run_mlmon("run", "--config", CONFIG, "--history", "postgresql://u:secret@127.0.0.1:1/h")
    assert r.code == 2 and r.out == "" and r.err.count("\n") == 1
    assert r.err.startswith("mlmon: error: the history URL holds a password (postgresql://u:***@127.0.0.1:1/h) (--history)")
    assert "secret" not in r.err


def test_a_password_in_the_configs_history_url_is_refused(tmp_path):
    text = CONFIG.read_text().replace("history_url: sqlite:///.mlmon/history.db", "history_url: postgresql://u:hunter2@db/h")
    (tmp_path / "monitoring.yaml").write_text(text)
    r = run_mlmon("run", "--config", tmp_path / "monitoring.yaml")
    assert r.code == 2 and r.err.count("\n") == 1 and "hunter2" not in r.err
    assert "history_url_env: MLMON_HISTORY_URL" in r.err  # the config check names the variable form


def test_an_ad_hoc_check_whose_server_is_down_still_reports_and_warns(csvs, monkeypatch):
    """The computed result stands when it cannot be recorded (as with an unwritable SQLite file)."""
    monkeypatch.setenv("MLMON_DB_URL", "postgresql://mlmon:secret@127.0.0.1:1/h")
    r = run_mlmon("drift", *csvs, "--format", "json")
    assert r.code == 0, r.err
    warning = [w for w in r.json()["warnings"] if w.startswith("history not recorded")]
    assert len(warning) == 1 and "postgresql://mlmon:***@127.0.0.1:1/h" in warning[0] and "secret" not in r.out
    assert not os.path.exists(DEFAULT_PATH)


def test_an_ad_hoc_check_with_an_unsupported_url_is_exit_2(csvs, monkeypatch):
    monkeypatch.setenv("MLMON_DB_URL", "mongodb://db/h")
    r = run_mlmon("drift", *csvs)
    assert r.code == 2 and r.err == ("mlmon: error: unsupported history database: mongodb (MLMON_DB_URL); use a SQLite "
                                     "path (sqlite:///PATH) or postgresql://USER@HOST:PORT/DATABASE\n")
