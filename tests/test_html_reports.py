"""``--html``: mlmon's own pages from the same result as the JSON; bins from the binning kernel;
bad output paths; hostile names; the size bound. (The pages in a real browser:
tests/test_html_browser.py.)"""

from __future__ import annotations

import json
import os
import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from mlmon_testing import run_mlmon
from mlmon.stats import binning

DATA_BLOCK = re.compile(r'<script type="application/json" id="mlmon-data">(.*?)</script>', re.S)


def page_data(path):
    """The JSON a page carries (json.loads reads its \\u003c escapes back)."""
    text = open(path, encoding="utf-8").read()
    blocks = DATA_BLOCK.findall(text)
    assert len(blocks) == 1
    return json.loads(blocks[0])


def drift_pair(tmp_path, n=600, seed=3, columns=None):
    rng = np.random.default_rng(seed)
    columns = columns or {"x": "num", "y": "num", "c": "cat"}
    frames = []
    for shift in (0.0, 0.8):
        cols = {}
        for name, kind in columns.items():
            if kind == "num":
                cols[name] = rng.normal(shift, 1, n)
            else:
                cols[name] = rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1] if shift == 0 else [0.1, 0.2, 0.3, 0.4])
        frames.append(pd.DataFrame(cols))
    frames[0].loc[:9, list(columns)[0]] = np.nan
    ref, cur = tmp_path / "ref.parquet", tmp_path / "cur.parquet"
    frames[0].to_parquet(ref)
    frames[1].to_parquet(cur)
    return ref, cur


# ---------------------------------------------------------------------------- the kernel


def test_edges_are_the_reference_quantiles_within_its_range():
    ref = np.arange(101.0)
    s = binning.summarize(ref)
    edges = binning.shared_edges(s, binning.summarize(ref[10:90]))
    assert edges.tolist() == np.quantile(ref, np.linspace(0, 1, 21)).tolist()  # 0, 5, ..., 100


def test_edges_widen_to_current_values_past_the_reference():
    ref, cur = np.arange(21.0), np.arange(21.0) * 10  # 0..200: a unit change
    edges = binning.shared_edges(binning.summarize(ref), binning.summarize(cur))
    # reference quantiles 0..20 plus the current's 5 % quantiles above 20: 30, 40, ..., 200
    assert edges == pytest.approx(list(np.arange(21.0)) + list(np.arange(30.0, 201.0, 10)), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.integers(1, 300), elements=st.floats(-1e6, 1e6)),
       arrays(np.float64, st.integers(1, 300), elements=st.floats(-1e6, 1e6)))
def test_bin_counts_equal_numpy_histogram_and_keep_every_value(ref, cur):
    edges, rs, cs, rc, cc = binning.numeric_bins(ref, cur)
    assert np.all(np.diff(edges) > 0)
    assert rc.sum() == ref.size and cc.sum() == cur.size
    assert rc.tolist() == np.histogram(ref, edges)[0].tolist()  # numpy: [a, b) bins, the last closed
    assert cc.tolist() == np.histogram(cur, edges)[0].tolist()
    assert rs.quantiles.tolist() == np.quantile(ref, binning.BIN_PROBS).tolist()  # to the last digit
    assert cs.quantiles.tolist() == np.quantile(cur, binning.BIN_PROBS).tolist()


def test_category_shares_name_the_largest_moves_first():
    s = binning.category_shares(np.array([40, 30, 20, 10]), np.array([10, 20, 30, 40]), top=3, moved=2)
    assert s.shown == [0, 1, 3]  # largest share on either side: a (0.4), d (0.4), then b (0.3, before c)
    assert s.moved == [0, 3]  # |Δ| 0.3 for a and d, 0.1 for b and c


# ---------------------------------------------------------------------------- the drift page


def test_drift_page_carries_the_json_result_and_the_reference_counts(tmp_path):
    ref, cur = drift_pair(tmp_path)
    run = run_mlmon("drift", ref, cur, "--format", "json", "--html", tmp_path / "r.html", "--no-history")
    assert run.code == 0, run.err
    assert run.err.strip().endswith(f"wrote {tmp_path / 'r.html'}")
    result = run.json()
    data = page_data(tmp_path / "r.html")
    assert data["kind"] == "drift" and data["result"] == result and data["windows"] is None
    dist = data["distributions"]
    for name, col in result["columns"].items():  # the bins hold exactly the rows the test saw
        assert sum(dist[name]["reference"]["counts"]) == col["reference_count"]
        assert sum(dist[name]["current"]["counts"]) == col["current_count"]
    frame = pd.read_parquet(ref)
    assert dist["x"]["reference"]["mean"] == pytest.approx(frame["x"].mean(), rel=1e-12)
    assert dist["x"]["reference"]["quantiles"]["p25"] == pytest.approx(frame["x"].quantile(0.25), rel=1e-12)
    assert dist["c"]["categories"] == ["a", "b", "c", "d"]
    assert dist["c"]["current"]["counts"] == pd.read_parquet(cur)["c"].value_counts().sort_index().tolist()
    html = (tmp_path / "r.html").read_text()
    for name in result["columns"]:
        assert f'<span class="name">{name}</span>' in html


def test_windowed_drift_page_has_every_window_score(tmp_path):
    rng = np.random.default_rng(5)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 2000), "c": rng.choice(["a", "b"], 2000)})
    ts = pd.date_range("2026-01-01", periods=2400, freq="20min", tz="UTC")  # 72 rows a day
    cur = pd.DataFrame({"ts": ts, "x": np.r_[rng.normal(0, 1, 1200), rng.normal(1.5, 1, 1200)],
                        "c": rng.choice(["a", "b"], 2400)})
    ref.to_parquet(tmp_path / "ref.parquet")
    cur.to_parquet(tmp_path / "cur.parquet")
    run = run_mlmon("drift", tmp_path / "ref.parquet", tmp_path / "cur.parquet", "--timestamp", "ts", "--window", "1D",
                    "--no-calibrate", "--format", "json", "--html", tmp_path / "w.html", "--no-history")
    assert run.code == 0, run.err
    result = run.json()
    data = page_data(tmp_path / "w.html")
    assert data["result"] == {k: v for k, v in result.items() if k != "windows"}
    w = data["windows"]
    assert w["start"] == [x["start"] for x in result["windows"]]
    for key in ("score", "threshold", "drifted"):  # None where a window was not tested (the last: 24 rows)
        assert w["columns"]["x"][key] == [(x["columns"].get("x") or {}).get(key) for x in result["windows"]]
    assert w["columns"]["x"]["score"][-1] is None and not result["windows"][-1]["tested"]
    assert result["onsets"]["x"] is not None  # the shift half-way starts an episode the page marks
    html = (tmp_path / "w.html").read_text()
    assert "Score over threshold per column and window" in html and "drift onset" in html


def test_the_json_only_run_computes_no_binned_summaries(tmp_path, monkeypatch):
    import mlmon.services.distributions as distributions

    def refuse(*a, **k):
        raise AssertionError("binned summaries computed without --html")

    monkeypatch.setattr(distributions, "drift_distributions", refuse)
    ref, cur = drift_pair(tmp_path)
    assert run_mlmon("drift", ref, cur, "--format", "json", "--no-history").code == 0


def test_a_profile_drift_page_has_scores_without_pictures_of_values(tmp_path):
    ref, cur = drift_pair(tmp_path)
    assert run_mlmon("profile", ref, "--out", tmp_path / "ref.mlprofile").code == 0
    run = run_mlmon("drift", tmp_path / "ref.mlprofile", cur, "--format", "json", "--html", tmp_path / "p.html",
                    "--no-history")
    assert run.code == 0, run.err
    data = page_data(tmp_path / "p.html")
    assert data["result"] == run.json() and data["distributions"] == {}


# ---------------------------------------------------------------------------- bad input


def _perf_files(tmp_path):
    rng = np.random.default_rng(1)
    n = 400
    y = rng.integers(0, 2, n)
    p = np.clip(y * 0.6 + rng.random(n) * 0.4, 0, 1)
    frame = pd.DataFrame({"y": y, "p": p, "ts": pd.date_range("2026-01-01", periods=n, freq="h", tz="UTC")})
    frame.to_parquet(tmp_path / "pred.parquet")
    return tmp_path / "pred.parquet"


def _ab_file(tmp_path):
    rng = np.random.default_rng(2)
    n = 1000
    frame = pd.DataFrame({"variant": rng.choice(["control", "treatment"], n), "converted": rng.integers(0, 2, n)})
    frame.to_csv(tmp_path / "events.csv", index=False)
    return tmp_path / "events.csv"


def _commands(tmp_path):
    """command name → (argv before --html, the input file) for every command with --html."""
    ref, cur = drift_pair(tmp_path)
    pred = _perf_files(tmp_path)
    events = _ab_file(tmp_path)
    return {
        "drift": (["drift", ref, cur], ref),
        "perf": (["perf", pred, "--task", "binary", "--target", "y", "--proba", "p", "--timestamp", "ts",
                  "--window", "1D"], pred),
        "diagnose": (["diagnose", "--reference", ref, "--current", cur], cur),
        "ab": (["ab", "analyze", events, "--variant-col", "variant", "--metric-col", "converted"], events),
    }


@pytest.mark.parametrize("command", ["drift", "perf", "diagnose", "ab"])
@pytest.mark.parametrize("case", ["missing folder", "read-only place", "an input"])
def test_a_bad_html_path_is_one_line_exit_2_and_records_nothing(tmp_path, command, case):
    argv, an_input = _commands(tmp_path)[command]
    target, message = {
        "missing folder": (tmp_path / "nowhere" / "r.html", "output directory does not exist"),
        "read-only place": ("/proc/self/r.html", "not writable"),  # takes no new file, even for root
        "an input": (an_input, "output would overwrite an input file"),
    }[case]
    before = open(an_input, "rb").read()
    run = run_mlmon(*argv, "--html", target, "--history", tmp_path / "h.db")
    assert run.code == 2
    assert run.err.startswith("mlmon: error: ") and message in run.err and f"--html {target}" in run.err
    assert run.err.count("\n") == 1 and "Traceback" not in run.err
    assert not (tmp_path / "h.db").exists()
    assert open(an_input, "rb").read() == before


@pytest.mark.parametrize("other", ["--output", "--evidently-html"])
def test_the_page_and_another_output_on_one_file_is_one_line_and_exit_2(tmp_path, other):
    ref, cur = drift_pair(tmp_path)
    run = run_mlmon("drift", ref, cur, other, tmp_path / "r.html", "--html", tmp_path / "r.html", "--no-history")
    assert run.code == 2 and run.err.count("\n") == 1
    first, second = ("--output", "--html") if other == "--output" else ("--html", "--evidently-html")  # flag order
    assert f"output would overwrite the {first} file ({second} {tmp_path / 'r.html'})" in run.err
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("command", ["drift", "perf", "diagnose", "ab"])
def test_every_page_carries_its_commands_json(tmp_path, command):
    argv, _ = _commands(tmp_path)[command]
    run = run_mlmon(*argv, "--format", "json", "--html", tmp_path / "p.html", "--no-history")
    assert run.code == 0, run.err
    data = page_data(tmp_path / "p.html")
    assert data["kind"] == command
    expected = run.json()
    if command == "drift":
        expected = {k: v for k, v in expected.items() if k != "windows"}
    assert data["result"] == expected


def test_a_failed_page_leaves_no_file_and_keeps_the_old_one(tmp_path, monkeypatch):
    import mlmon.render.html.drift as drift_html

    ref, cur = drift_pair(tmp_path)
    out = tmp_path / "out" / "r.html"
    out.parent.mkdir()
    out.write_text("the old report")

    def broken(*a, **k):
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(drift_html, "drift_page", broken)
    run = run_mlmon("drift", ref, cur, "--html", out, "--no-history")
    assert run.code == 2 and "drawing failed" in run.err and run.err.count("\n") == 1
    assert out.read_text() == "the old report"
    assert os.listdir(out.parent) == ["r.html"]  # no temporary file left behind


# ---------------------------------------------------------------------------- hostile names

SCRIPT = "<script>alert(1)</script>"
QUOTES = "a\"b'c"
LONG = "L" * 10_000


def test_hostile_column_names_are_escaped_and_long_ones_shortened_with_a_hover(tmp_path):
    ref, cur = drift_pair(tmp_path, columns={SCRIPT: "num", QUOTES: "cat", LONG: "num"})
    run = run_mlmon("drift", ref, cur, "--format", "json", "--html", tmp_path / "r.html", "--no-history")
    assert run.code == 0, run.err
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>alert" not in html and "alert(1)" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "a&quot;b&#x27;c" in html and QUOTES not in html
    markup = DATA_BLOCK.sub("", html)  # the data block keeps names whole, as the JSON does
    assert LONG not in markup  # never whole in the markup...
    assert f'title="{"L" * 1999}…"' in html  # ...but on hover, up to 2,000 characters
    assert re.search(r'">L{20,60}…</span>', html)  # shortened in place
    assert page_data(tmp_path / "r.html")["result"] == run.json()  # the data block keeps the names whole
    assert len(html) < 600_000


# ---------------------------------------------------------------------------- the size bound


def synthetic_windowed_result(columns=25, windows=365, seed=0):
    """A windowed drift result of ``columns`` × ``windows`` (the shape run_windowed returns)."""
    rng = np.random.default_rng(seed)
    names = [f"feature_{i:02d}_with_a_longish_name" for i in range(columns)]
    starts = pd.date_range("2025-01-01", periods=windows + 1, freq="D", tz="UTC")
    cols = {n: {"column": n, "type": "numerical" if i % 3 else "categorical", "role": "feature", "method": "wasserstein",
                "method_name": "Wasserstein distance (normed)", "score": float(rng.random()), "threshold": 0.1,
                "drifted": bool(i % 4 == 0), "score_kind": "distance", "drift_rule": ">=", "statistic": None,
                "reference_count": 100_000, "current_count": 1_000_000, "reference_missing": 10, "current_missing": 99,
                "infinite_dropped": 0, "threshold_source": "calibrated"} for i, n in enumerate(names)}
    entries = []
    for w in range(windows):
        per = {n: {"method": "wasserstein", "score": float(rng.gamma(2, 0.02)), "threshold": float(0.08 + rng.random() / 100),
                   "drifted": bool(rng.random() < 0.05), "threshold_source": "calibrated"} for n in names}
        entries.append({"start": starts[w].isoformat(), "end": starts[w + 1].isoformat(), "n": 2740, "tested": True,
                        "dataset_drift": False, "drift_share": 0.04, "n_drifted": 1, "severity": "healthy",
                        "columns": per})
    dist = {}
    for i, n in enumerate(names):
        if cols[n]["type"] == "numerical":
            edges = np.sort(rng.normal(size=41)).tolist()
            counts = rng.integers(0, 10**6, 40).tolist()
            side = {"n": 10**6, "mean": 0.1, "quantiles": {q: 0.5 for q in ("p05", "p25", "p50", "p75", "p95")},
                    "counts": counts, "density": rng.random(40).tolist()}
            dist[n] = {"type": "numerical", "edges": edges, "reference": side, "current": side}
        else:
            side = {"n": 10**6, "counts": [1000] * 12, "share": [0.08] * 12, "other_share": 0.04}
            dist[n] = {"type": "categorical", "n_categories": 40, "categories": [f"category {k}" for k in range(12)],
                       "reference": side, "current": side,
                       "moved": [{"category": "category 1", "reference_share": 0.1, "current_share": 0.2}] * 5}
    result = {"schema_version": 1, "reference": {"path": "ref.parquet", "rows": 100_000},
              "current": {"path": "cur.parquet", "rows": 1_000_000, "timestamp": "ts", "window": "1D", "windows": windows,
                          "zone": "UTC", "missing_timestamps": 0},
              "dataset_drift": False, "drift_share": 0.28, "drift_share_threshold": 0.5, "n_columns": columns,
              "n_drifted": 7, "severity": "degraded", "columns": cols, "target_drift": None, "prediction_drift": None,
              "multivariate": None, "fdr": None, "skipped": {}, "warnings": [], "recommendations": [],
              "windows": entries, "onsets": {n: entries[100]["start"] if i % 4 == 0 else None for i, n in enumerate(names)}}
    return result, dist


#: The stated bound: a page of 25 columns × 365 windows is at most 2 MB.
SIZE_BOUND = 2_000_000


def test_a_page_of_25_columns_by_365_windows_stays_under_2_mb():
    from mlmon.render.html.drift import drift_page
    from mlmon.render.html.page import render_page

    result, dist = synthetic_windowed_result()
    html = render_page(drift_page(result, dist))
    assert len(html.encode("utf-8")) <= SIZE_BOUND, len(html.encode("utf-8"))


def test_bins_counted_on_the_runs_sorted_values_equal_bins_from_the_frames(tmp_path):
    """The page counts its histograms on the drift run's sorted columns instead of sorting them again: the
    distributions are the same, number for number (means to the last few digits: a sum of
    sorted values adds in another order)."""
    from mlmon.io.tables import read_table
    from mlmon.services.distributions import drift_distributions
    from mlmon.services.drift import DriftOptions
    from mlmon.services.drift.windowed import run_two_files

    rng = np.random.default_rng(5)
    n = 5000
    pd.DataFrame({"x": rng.normal(0, 1, n), "y": rng.exponential(1, n).astype(np.float32),
                  "c": rng.choice(list("abc"), n)}).to_parquet(tmp_path / "r.parquet")
    cur = pd.DataFrame({"x": rng.normal(0.3, 1, n), "y": rng.exponential(2, n).astype(np.float32),
                        "c": rng.choice(list("abd"), n)})
    cur.loc[::7, "x"] = np.nan
    cur.to_parquet(tmp_path / "c.parquet")
    ref, cur_t = read_table(str(tmp_path / "r.parquet")), read_table(str(tmp_path / "c.parquet"))
    from mlmon.services.distributions import sorted_summary

    counted = {}
    data = run_two_files(ref, cur_t, DriftOptions(),
                         on_sorted=lambda n, r, c: counted.__setitem__(n, sorted_summary(r, c))).to_dict()
    assert sorted(counted) == ["x", "y"]
    fresh = drift_distributions(data, ref.frame, cur_t.frame)
    reused = drift_distributions(data, ref.frame, cur_t.frame, counted)
    for name in ("x", "y"):
        for side in ("reference", "current"):
            a, b = fresh[name][side], reused[name][side]
            assert a["mean"] == pytest.approx(b["mean"], rel=1e-12)
            assert (a["counts"], a["quantiles"], a["n"]) == (b["counts"], b["quantiles"], b["n"])
        assert fresh[name]["edges"] == reused[name]["edges"]
    assert fresh["c"] == reused["c"]
