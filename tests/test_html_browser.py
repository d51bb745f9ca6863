"""Every ``--html`` page in headless Chromium: no console error, no request, every column and
metric named, every chart drawn with a size, and the numbers shown equal the command's JSON.

Screenshots land in the test run's temporary directory (``<basetemp>/pages*/*.png``). These tests
fail, never skip, without Chromium or Playwright (tests/browser.py).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from browser import assert_clean, open_page, same_json
from mlmon_testing import run_mlmon
from mlmon.render.html.page import fmt, pct


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """The demo's data through each command with --html: {name: (page path, the JSON result)}."""
    root = tmp_path_factory.mktemp("pages")
    from mlmon.services.demo import DEMO_PREDICTION, DEMO_TARGET, DEMO_TIMESTAMP, write_demo_data

    ref, cur = write_demo_data(str(root / "demo"))
    roles = ["--target", DEMO_TARGET]
    rng = np.random.default_rng(7)
    n = 4000
    variant = rng.choice(["control", "treatment"], n)
    pd.DataFrame({"variant": variant, "converted": (rng.random(n) < np.where(variant == "control", 0.10, 0.13)).astype(int),
                  "revenue": rng.normal(10, 2, n)}).to_csv(root / "events.csv", index=False)
    commands = {
        "drift": ["drift", ref, cur, *roles, "--prediction", DEMO_PREDICTION, "--exclude", DEMO_TIMESTAMP],
        "drift_windows": ["drift", ref, cur, *roles, "--prediction", DEMO_PREDICTION, "--timestamp", DEMO_TIMESTAMP,
                          "--window", "1D"],
        "perf": ["perf", cur, "--reference", ref, "--task", "binary", *roles, "--proba", DEMO_PREDICTION,
                 "--timestamp", DEMO_TIMESTAMP, "--window", "1D", "--estimate"],
        "diagnose": ["diagnose", "--reference", ref, "--current", cur, *roles, "--proba", DEMO_PREDICTION,
                     "--timestamp", DEMO_TIMESTAMP],
        "ab": ["ab", "analyze", root / "events.csv", "--variant-col", "variant", "--metric-col", "converted,revenue",
               "--look", "2", "--of", "4"],
    }
    out = {}
    for name, argv in commands.items():
        path = root / f"{name}.html"
        run = run_mlmon(*argv, "--format", "json", "--html", path, "--no-history")
        assert run.code == 0, run.err
        out[name] = (path, run.json())
    return out


def _opened(pages, name):
    path, result = pages[name]
    seen = open_page(path, path.with_suffix(".png"))
    assert_clean(seen)
    return seen, result


def _row(cells, first):
    rows = [r for r in cells if r and r[0] == first]
    assert rows, f"no table row for {first!r}"
    return rows[0]


@pytest.mark.parametrize("name", ["drift", "drift_windows"])
def test_drift_pages_show_every_column_with_the_jsons_numbers(pages, name):
    seen, result = _opened(pages, name)
    data = {k: v for k, v in result.items() if k != "windows"}
    assert same_json(seen.data["result"], data)
    cols = dict(result["columns"])
    for key in ("target_drift", "prediction_drift"):
        if result[key]:
            cols[result[key]["column"]] = result[key]
    for column, c in cols.items():
        assert column in seen.text
        row = _row(seen.cells, column)  # the overview table: column, role, type, test, score, threshold, ...
        assert row[3] == c["method"] and row[4] == fmt(c["score"]) and row[5] == fmt(c["threshold"])
    assert f"{result['n_drifted']} of {result['n_columns']}" in seen.text
    if name == "drift_windows":
        windows = result["windows"]
        assert seen.data["windows"]["columns"]["amount"]["score"] == [w["columns"]["amount"]["score"] for w in windows]
        assert result["onsets"]["amount"] and "drift onset" in seen.text  # the onset is marked
        assert any("Score over threshold per column and window" == c["label"] for c in seen.charts)
        first = windows[0]
        amount = first["columns"]["amount"]  # the first row of the heatmap, its first window, on hover
        def js(x):  # the hover's number: 4 significant digits, as JavaScript prints them
            return f"{float(format(x, '.4g')):g}"

        assert seen.heat_tip == f"amount · {first['start']}: score {js(amount['score'])} / threshold {js(amount['threshold'])}"
        row = _row(seen.cells, first["start"][:10])  # the heatmap's table: score / threshold per cell
        assert f"{fmt(first['columns']['amount']['score'])} / {fmt(first['columns']['amount']['threshold'])}" in row


def test_perf_page_shows_every_metric_per_window_with_the_jsons_numbers(pages):
    seen, result = _opened(pages, "perf")
    assert same_json(seen.data["result"], result)
    metrics = set(result["baseline"]["metrics"]) | {m for w in result["windows"] for m in w["metrics"]}
    for m in metrics:
        assert f"{m} per window" in [c["label"] for c in seen.charts]
    w = result["windows"][4]
    # the accuracy chart's table: window start, accuracy, lower, upper, estimated, severity
    rows = [r for r in seen.cells if r and r[0] == w["start"][:10] and len(r) == 6]
    acc = w["metrics"]["accuracy"]
    assert [fmt(acc), fmt(w["intervals"]["accuracy"]["lower"]), fmt(w["intervals"]["accuracy"]["upper"]),
            fmt(w["estimated"]["accuracy"]), w["severity"]] in [r[1:] for r in rows]
    row = _row([r for r in seen.cells if len(r) == 4], w["start"][:10])  # label coverage
    assert row[1:] == [str(w["n"]), str(w["n_labeled"]), pct(w["n_labeled"] / w["n"])]


def test_diagnose_page_ranks_the_causes_and_puts_the_timeline_on_a_time_axis(pages):
    seen, result = _opened(pages, "diagnose")
    assert same_json(seen.data["result"], result)
    for c in result["candidates"]:
        assert c["cause"] in seen.text
        assert _row(seen.cells, c["cause"])[1] == fmt(c["score"])
    for i, e in enumerate(result["timeline"]):
        assert _row(seen.cells, str(i + 1))[1:] == [e["timestamp"], e["event"]]
    ev = result["candidates"][0]["evidence"][0]
    assert [ev["diagnostic"], fmt(ev["value"]), fmt(ev["baseline"])] == _row(seen.cells, ev["signal"])[1:4]
    assert {"Ranked causes by score", "Timeline of the diagnosis"} <= {c["label"] for c in seen.charts}


def test_ab_page_draws_the_lift_intervals_and_the_sequential_boundaries(pages):
    seen, result = _opened(pages, "ab")
    assert same_json(seen.data["result"], result)
    for c in result["comparisons"]:
        row = _row(seen.cells, c["metric"])
        assert row[1:5] == [c["treatment"], fmt(c["control_mean"]), fmt(c["treatment_mean"]), pct(c["lift"])]
        assert row[8] == fmt(c["p_value"])
    for b in result["sequential"]["boundaries"]:
        look = f"look {b['look']} ({pct(b['information_fraction'])})"
        assert _row(seen.cells, look)[1] == fmt(b["z"])
    assert {"Relative lift per metric with its interval",
            "z statistic against the group-sequential boundaries"} <= {c["label"] for c in seen.charts}


def test_hostile_column_names_run_nothing_and_show_whole_on_hover(tmp_path):
    rng = np.random.default_rng(3)
    script, quotes, long = "<script>alert(1)</script>", "a\"b'c</title>", "L" * 10_000
    for name, shift in (("ref.parquet", 0.0), ("cur.parquet", 1.0)):
        pd.DataFrame({script: rng.normal(shift, 1, 300), quotes: rng.choice(["<b>x</b>", "y"], 300),
                      long: rng.normal(shift, 1, 300)}).to_parquet(tmp_path / name)
    run = run_mlmon("drift", tmp_path / "ref.parquet", tmp_path / "cur.parquet", "--html", tmp_path / "h.html",
                    "--format", "json", "--no-history")
    assert run.code == 0, run.err
    seen = open_page(tmp_path / "h.html", tmp_path / "h.png")
    assert_clean(seen)  # no alert() ran, no error
    assert script in seen.text and quotes in seen.text  # shown as text
    assert long not in seen.text and "L" * 30 in seen.text  # shortened in place...
    assert "L" * 1999 + "…" in seen.titles  # ...whole (to 2,000 characters) on hover
    assert same_json(seen.data["result"], run.json())


def test_a_365_window_page_of_25_columns_opens_in_under_2_seconds(tmp_path):
    from test_html_reports import SIZE_BOUND, synthetic_windowed_result

    from mlmon.render.html.drift import drift_page
    from mlmon.render.html.page import render_page

    result, dist = synthetic_windowed_result()
    path = tmp_path / "year.html"
    path.write_text(render_page(drift_page(result, dist)), encoding="utf-8")
    assert path.stat().st_size <= SIZE_BOUND
    seen = open_page(path, tmp_path / "year.png")
    assert_clean(seen)
    assert seen.load_event_ms < 2000, seen.load_event_ms
    for name in result["columns"]:
        assert name in seen.text
    assert json.dumps(seen.data["windows"]["start"]) == json.dumps([w["start"] for w in result["windows"]])


def test_a_missing_browser_fails_the_page_tests_instead_of_skipping_them(monkeypatch, tmp_path):
    import sys

    import browser

    monkeypatch.delenv("MLMON_CHROMIUM", raising=False)
    monkeypatch.setattr(browser, "CANDIDATES", ())
    monkeypatch.setattr(browser.shutil, "which", lambda name: None)
    with pytest.raises(AssertionError, match="chromium is not installed"):
        browser.chromium_path()
    monkeypatch.setitem(sys.modules, "playwright.sync_api", None)  # import fails as if not installed
    with pytest.raises(AssertionError, match="playwright is not installed"):
        browser.open_page(tmp_path / "p.html", tmp_path / "p.png")
