"""``mlmon history --html FILE``: the store's record of one model as a page, checked in headless
Chromium like the other pages (tests/browser.py; fails, never skips, without a browser).

The history is 30 days of ``mlmon run`` with 20-day labels whose relation to the scores changes
from day 9 and whose inputs move from day 24: realized values, estimates, drift per column and a
firing accuracy alert all appear. Specifications: the page's embedded data equals the command's
JSON to the last digit; every series is named and drawn; the alert is marked where its firing
stretch begins (once, not once per window); hostile model names stay text.
"""

from __future__ import annotations

import json

import pytest

import late_labels_scenario as scenario
from browser import assert_clean, open_page, same_json
from mlmon.services.scheduled import RunSettings, run_scheduled
from mlmon_testing import run_mlmon


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    root = tmp_path_factory.mktemp("history-page")
    config, _ = scenario.write(str(root), days=30, concept_from=8, shift_from=23)
    store = str(root / "h.db")
    for day in scenario.dates(30):
        run_scheduled(RunSettings(config, date=day, history=store, env={}))
    return root, store


def test_the_page_draws_every_series_and_holds_the_commands_json(history):
    root, store = history
    page = root / "history.html"
    r = run_mlmon("history", "--history", store, "--all-sources", "--format", "json", "--html", page)
    assert r.code == 0, r.err
    data = json.loads(r.out)
    seen = open_page(page, root / "history.png")
    assert_clean(seen)
    assert same_json(seen.data["result"], data) and seen.data["kind"] == "history"
    names = {p["name"] for p in data["points"] if p["kind"] != "alert"}
    assert {"accuracy", "income", "utilization", "region", "drift_share"} <= names
    for name in names:
        assert name in seen.text, name
    labels = [c["label"] for c in seen.charts]
    assert "accuracy over time" in labels and "utilization drift over time" in labels
    assert len(seen.charts) == len(names)
    # realized and estimated of one window both reach the page's tables
    accuracy = [row for row in seen.cells if row and row[0] == "2026-03-02T00:00:00" and len(row) == 7
                and row[1] in ("realized", "estimated")]
    assert {row[1] for row in accuracy} >= {"realized", "estimated"}
    firing = [p for p in data["points"] if p["kind"] == "alert" and p["breached"]]
    assert firing and "firing" in seen.text


def test_an_alert_firing_for_many_windows_is_one_mark(history):
    from mlmon.render.html.history import history_page

    root, store = history
    data = json.loads(run_mlmon("history", "--history", store, "--metric", "accuracy", "accuracy_drop",
                                "--format", "json").out)
    starts = sorted({p["start"] for p in data["points"]})
    at = sorted({starts.index(p["start"]) for p in data["points"] if p["kind"] == "alert" and p["breached"]})
    stretches = [i for i in at if i - 1 not in at]
    assert len(at) > len(stretches) >= 1  # the alert fired on several windows in a row
    figure = history_page(data).sections[1].blocks[0]
    assert figure.svg.count('<line class="onset"') == len(stretches) + 1  # and the legend's sample line


def test_a_summary_page_is_refused_and_a_bad_page_path_is_one_line(history, tmp_path):
    _, store = history
    r = run_mlmon("history", "--history", store, "--summary", "--html", tmp_path / "s.html")
    assert r.code == 2 and r.err.count("\n") == 1 and "drop --summary to draw the series" in r.err
    assert not (tmp_path / "s.html").exists()
    r = run_mlmon("history", "--history", store, "--html", tmp_path / "missing" / "p.html")
    assert r.code == 2 and r.err.count("\n") == 1 and "--html" in r.err
    r = run_mlmon("history", "--history", store, "--html", store)
    assert r.code == 2 and "the history store" in r.err


def test_a_hostile_model_name_is_text_on_the_page(tmp_path):
    from mlmon.render.html.page import render_page
    from mlmon.render.html.history import history_page

    name = '</script><script>alert(1)</script>"' + "x" * 10_000
    data = {"schema_version": 1, "model": name, "points": [
        {"name": "<b>acc</b>", "kind": "metric", "start": "2026-03-01T00:00:00", "end": "2026-03-02T00:00:00",
         "value": 0.9, "lower": 0.8, "upper": 0.95, "source": "realized", "n": 100, "threshold": None,
         "breached": False}]}
    path = tmp_path / "hostile.html"
    path.write_text(render_page(history_page(data)), encoding="utf-8")
    seen = open_page(path, tmp_path / "hostile.png")
    assert_clean(seen)
    assert not seen.dialogs and "<b>acc</b>" in seen.text and seen.data["result"]["model"] == name
