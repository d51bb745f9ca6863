"""The Dask engine: profiles computed on a real two-worker cluster equal the local engine's.

The cluster is a ``distributed.LocalCluster`` of two worker *processes* (not threads), so every
piece is read, profiled and serialised in another process, and merged there. What "equal"
means: every exact part of a profile (counts, missing values, category counts, fine histograms,
exact sums, extremes) is identical; the KLL quantile sketch is randomised by design (DataSketches
seeds its compactor from the clock, so even one engine run twice differs), and both engines'
sketches answer within the sketch's rank-error bound of the true ranks.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from mlmon.engines import dask as dask_engine  # noqa: E402
from mlmon.engines import local as local_engine  # noqa: E402
from mlmon.io.stream import open_stream  # noqa: E402
from mlmon.profiles.profile import ProfileOptions  # noqa: E402

SCRIPTS = str(Path(__file__).resolve().parents[1] / "scripts")
ROWS_PER_FILE = 6_000
FILES = 4


@pytest.fixture(scope="module")
def client():
    env = {"PYTHONPATH": SCRIPTS + os.pathsep + os.environ.get("PYTHONPATH", "")}
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                       silence_logs=logging.ERROR, env=env)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def write_source(directory: Path, seed: int, drifted: bool = False) -> Path:
    """FILES parquet files of ROWS_PER_FILE rows in row groups of 1,000: 24 row groups, 8 pieces of at most 4."""
    directory.mkdir()
    rng = np.random.default_rng(seed)
    for i in range(FILES):
        n = ROWS_PER_FILE
        x = rng.normal(0.5 if drifted else 0.0, 1.0, n)
        x[rng.random(n) < 0.02] = np.nan
        frame = pd.DataFrame({
            "x": x,
            "amount": rng.lognormal(3.0, 1.0, n),
            "visits": rng.poisson(3.0, n),  # few distinct integers: categorical
            "score": rng.integers(0, 10_000, n),  # many distinct integers: numerical
            "country": rng.choice(["de", "fr", "it", "es"] if not drifted else ["de", "fr", "pl"], n),
        })
        frame.to_parquet(directory / f"part-{i}.parquet", row_group_size=1_000)
    return directory


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return write_source(tmp_path_factory.mktemp("dask") / "reference", seed=1)


def _true_rank(values: np.ndarray, x: float) -> float:
    values = values[np.isfinite(values)]
    return float(np.mean(values <= x))


def test_pieces_are_profiled_on_both_worker_processes_and_equal_the_local_profile(client, source):
    stream = open_stream(str(source), batch_rows=700)
    assert len(stream.pieces()) == 8
    with distributed.get_task_stream(client) as tasks:
        on_dask = dask_engine.profile_stream(stream, client=client)
    workers = {t["worker"] for t in tasks.data}
    assert len(workers) == 2  # both workers computed something
    worker_pids = set(client.run(os.getpid).values())
    assert len(worker_pids) == 2 and os.getpid() not in worker_pids  # separate processes

    local = local_engine.profile_stream(stream)
    assert on_dask.rows == local.rows == FILES * ROWS_PER_FILE
    assert on_dask.exact_parts() == local.exact_parts()

    frame = pd.concat([pd.read_parquet(f) for f in sorted(source.glob("*.parquet"))], ignore_index=True)
    for name in ("x", "amount", "score"):
        for prof in (on_dask, local):
            sketch = prof.columns[name].numeric.sketch
            assert not sketch.exact  # 24,000 values: the sketch has compacted
            for q in (0.05, 0.25, 0.5, 0.75, 0.95):
                assert abs(_true_rank(frame[name].to_numpy(float), sketch.quantile(q)) - q) <= 2 * sketch.rank_error


def test_profile_options_reach_the_workers(client, source):
    options = ProfileOptions(sketch_k=200, bins_per_octave=16, max_exact_values=100_000)
    stream = open_stream(str(source), batch_rows=5_000)
    on_dask = dask_engine.profile_stream(stream, options, client=client)
    assert on_dask.options == options
    assert on_dask.columns["x"].numeric.values is not None  # every value kept, as the options ask
    assert on_dask.exact_parts() == local_engine.profile_stream(stream, options).exact_parts()


def test_drift_from_dask_profiles_equals_drift_from_local_profiles(client, source, tmp_path):
    from mlmon.profiles.drift import drift_from_profiles

    current = write_source(tmp_path / "current", seed=2, drifted=True)
    ref_stream, cur_stream = open_stream(str(source)), open_stream(str(current))
    by_dask = drift_from_profiles(dask_engine.profile_stream(ref_stream, client=client),
                                  dask_engine.profile_stream(cur_stream, client=client)).to_dict()
    by_local = drift_from_profiles(local_engine.profile_stream(ref_stream),
                                   local_engine.profile_stream(cur_stream)).to_dict()
    assert set(by_dask["columns"]) == set(by_local["columns"]) == {"x", "amount", "visits", "score", "country"}
    for name, a in by_dask["columns"].items():
        b = by_local["columns"][name]
        if a.get("approximate") or b.get("approximate"):
            # from the sketch: both scores lie inside both engines' bounds
            lo = max(a["score_bounds"][0], b["score_bounds"][0])
            hi = min(a["score_bounds"][1], b["score_bounds"][1])
            assert lo <= hi, name
            assert a["method"] == b["method"]
            if a["verdict_certain"] and b["verdict_certain"]:
                assert a["drifted"] == b["drifted"], name
        else:
            assert a == b, name
    assert by_dask["n_drifted"] == by_local["n_drifted"]
    assert by_dask["columns"]["x"]["drifted"] and by_dask["columns"]["country"]["drifted"]


def test_local_cluster_is_started_and_closed_when_no_scheduler_is_given(source):
    stream = open_stream(str(source), batch_rows=10_000)
    profile = dask_engine.profile_stream(stream, workers=2)
    assert profile.exact_parts() == local_engine.profile_stream(stream).exact_parts()


def test_an_input_error_on_a_worker_comes_back_as_the_same_one_line_error(client, tmp_path):
    from mlmon.errors import MlmonError

    d = write_source(tmp_path / "gone", seed=3)
    stream = open_stream(str(d))
    for f in d.glob("*.parquet"):
        f.write_bytes(b"truncated")  # the files change after the footers were read
    with pytest.raises(MlmonError) as err:
        dask_engine.profile_stream(stream, client=client)
    assert err.value.what.startswith("corrupt parquet file")
    assert err.value.todo == "re-export the file"


def test_an_unreachable_scheduler_is_a_one_line_error(source, monkeypatch):
    from mlmon.errors import MlmonError

    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT_S", 1)
    with pytest.raises(MlmonError) as err:
        dask_engine.profile_stream(open_stream(str(source)), scheduler="tcp://127.0.0.1:9")
    assert err.value.what.startswith("cannot reach the Dask scheduler")
    # the engine names its option; the CLI shows the flag (mlmon.cli.option_flags)
    assert "(--dask-scheduler tcp://127.0.0.1:9)" in err.value.line({"dask_scheduler": "--dask-scheduler"})


def test_without_the_dask_package_the_engine_says_what_to_install(source, monkeypatch):
    import sys

    from mlmon.errors import MlmonError

    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    with pytest.raises(MlmonError) as err:
        dask_engine.profile_stream(open_stream(str(source)))
    assert "dask[distributed]" in err.value.what


def test_cli_profile_on_a_running_scheduler_equals_the_local_profile(client, source, tmp_path):
    from mlmon.profiles import load_profile
    from mlmon_testing import run_mlmon

    address = client.scheduler.address
    on_dask = run_mlmon("profile", source, "--out", tmp_path / "d.mlprofile", "--dask-scheduler", address, "--format", "json")
    local = run_mlmon("profile", source, "--out", tmp_path / "l.mlprofile", "--engine", "local", "--format", "json")
    assert on_dask.code == local.code == 0, on_dask.err
    assert (load_profile(str(tmp_path / "d.mlprofile")).exact_parts()
            == load_profile(str(tmp_path / "l.mlprofile")).exact_parts())
    client.run(lambda: None)  # the cluster is still up: mlmon leaves a running cluster running


def test_cli_drift_with_an_unreachable_scheduler_is_a_one_line_error(source, monkeypatch):
    from mlmon_testing import run_mlmon

    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT_S", 1)
    run = run_mlmon("drift", source, source, "--dask-scheduler", "tcp://127.0.0.1:9", "--no-history")
    assert run.code == 2
    lines = run.err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("mlmon: error: cannot reach the Dask scheduler")
    assert lines[0].endswith("(--dask-scheduler tcp://127.0.0.1:9); check the address (tcp://HOST:PORT) and that the scheduler is running")
