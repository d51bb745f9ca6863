"""How the diagnosis weighs evidence into a verdict (``unknown``, ``none``, several causes), and
the timeline it reads from the history store."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import rca_scenarios as rs
from mlmon.services.rca import Findings
from mlmon.services.rca.changes import ChangeFindings
from mlmon.services.rca.concept import ConceptFindings
from mlmon.services.rca.drift import DriftFindings
from mlmon.services.rca.evidence import Evidence
from mlmon.services.rca.operations import OperationsFindings
from mlmon.services.rca.performance import PerfFindings
from mlmon.services.rca.ranking import rank
from mlmon.services.rca.segments import CoverageFindings
from mlmon.store.history import HistoryStore
from mlmon_testing import run_mlmon


def findings(perf=None, drift=None, ops=None) -> Findings:
    return Findings(
        performance=perf or PerfFindings(True), drift=drift or DriftFindings({}), drift_covered=None, pipeline=[],
        concept=ConceptFindings(False), coverage=CoverageFindings(np.ones(10, dtype=bool), 0.0),
        operations=ops or OperationsFindings(), changes=ChangeFindings(), consecutive=2)


def dropped(strength=0.8) -> PerfFindings:
    return PerfFindings(True, degraded=True, evidence=[Evidence("performance", "accuracy", "accuracy fell", strength)])


def drifted(strength) -> DriftFindings:
    return DriftFindings({}, features=[Evidence("feature_drift", "ks", "x drifted", strength, column="x")],
                         strengths={"x": strength})


def breach(strength) -> OperationsFindings:
    return OperationsFindings(infra=[Evidence("infrastructure", "latency_p99_ms", "slow", strength, metric="latency_p99_ms")])


def test_a_drop_that_nothing_explains_is_unknown():
    v = rank(findings(perf=dropped()))
    assert v.primary == "unknown" and v.confidence == 1.0


def test_a_weak_explanation_is_still_unknown_with_confidence_one_minus_its_score():
    v = rank(findings(perf=dropped(), drift=drifted(0.4)))
    assert v.primary == "unknown" and v.confidence == pytest.approx(0.6)
    assert [c.cause for c in v.candidates] == ["data_drift"]


def test_drift_without_degradation_is_none():
    v = rank(findings(drift=drifted(0.9)))
    assert v.primary == "none" and v.confidence == pytest.approx(1 - 0.9 / 2)


def test_several_supported_causes_are_all_reported_and_the_strongest_leads():
    v = rank(findings(perf=dropped(), drift=drifted(0.9), ops=breach(0.7)))
    assert v.primary == "data_drift"
    assert [(c.cause, round(c.score, 6)) for c in v.candidates] == [("data_drift", 0.9), ("infrastructure", 0.7)]
    assert v.confidence == pytest.approx(0.9 - 0.7 / 2)
    # the performance change is put with the model-quality cause, not with the serving one
    assert [c.evidence[0].diagnostic for c in v.candidates] == ["performance", "infrastructure"]


def test_a_serving_breach_with_intact_quality_cannot_be_blamed_on_drift():
    v = rank(findings(perf=PerfFindings(True), drift=drifted(0.95), ops=breach(0.6)))
    assert v.primary == "infrastructure" and v.confidence == pytest.approx(0.6)


# ------------------------------------------------------------------------------ timeline from history

def test_the_timeline_reads_past_runs_from_the_history_store(tmp_path):
    s = rs.Scenario("healthy", "none", [], 7)
    files = rs.build(s, tmp_path)
    store = HistoryStore(str(tmp_path / "h.db"))
    day = pd.Timestamp("2026-03-05T00:00:00Z")
    windows = [{"start": (day + pd.Timedelta(days=k)).isoformat(), "end": (day + pd.Timedelta(days=k + 1)).isoformat(),
                "n": 500, "severity": sev, "metrics": {"accuracy": acc}}
               for k, (sev, acc) in enumerate([("healthy", 0.83), ("degraded", 0.77), ("critical", 0.69)])]
    with store._connection() as conn:
        store._insert_run(conn, "perf", {"windows": windows}, created_at=day.timestamp() + 3 * 86400)
    store.append_drift({"reference": {"path": "r", "rows": 1}, "current": {"path": "c", "rows": 1}, "dataset_drift": True,
                        "drift_share": 0.6, "severity": "critical", "columns": {}}, created_at=day.timestamp() + 2 * 86400)
    run = run_mlmon("diagnose", *[x for kv in files.items() if kv[0] in ("--reference", "--current") for x in kv],
                    "--target", "label", "--prediction", "predicted", "--proba", "score",
                    "--history", str(tmp_path / "h.db"), "--format", "json")
    assert run.code == 0, run.err
    timeline = run.json()["timeline"]
    assert timeline == [
        {"timestamp": "2026-03-06T00:00:00Z", "event": "last healthy window ends (window from 2026-03-05T00:00:00Z, "
                                                        "accuracy 0.83, history)"},
        {"timestamp": "2026-03-06T00:00:00Z", "event": "first anomaly: performance window degraded (accuracy 0.77, history)"},
        {"timestamp": "2026-03-07T00:00:00Z", "event": "history: drift check recorded, severity critical, drift share 0.6"},
        {"timestamp": "2026-03-08T00:00:00Z", "event": "degradation confirmed: 2 non-healthy windows in a row (critical)"},
    ]
    recorded = store.query("SELECT kind, severity, result_json FROM runs WHERE kind='diagnose'")
    assert len(recorded) == 1 and recorded[0]["severity"] == json.loads(recorded[0]["result_json"])["primary_cause"]


def test_the_timeline_reads_windows_and_drift_periods_of_the_configs_model(tmp_path):
    files = rs.build(rs.Scenario("healthy", "none", [], 7), tmp_path)
    store = HistoryStore(str(tmp_path / "h.db"))

    def row(day, value, kind, severity, known):
        return {"timestamp": f"2026-03-0{day}T00:00:00+00:00", "window_end": f"2026-03-0{day + 1}T00:00:00+00:00",
                "window": "1D", "metric": "accuracy", "value": value, "kind": kind, "n": 500, "severity": severity,
                "known_at": f"2026-03-{known:02d}T00:00:00"}

    credit = {"model": "credit", "version": "1"}
    store.append_metrics({}, [row(5, 0.83, "realized", "healthy", 6), row(6, 0.80, "estimated", "healthy", 7)],
                         created_at=1.0, identity=credit)
    # the labels of 03-06 arrive: the realized value (degraded) supersedes the estimate
    store.append_metrics({}, [row(6, 0.77, "realized", "degraded", 26), row(7, 0.69, "realized", "critical", 27)],
                         created_at=2.0, identity=credit)
    store.append_metrics({}, [row(4, 0.5, "realized", "critical", 5)], created_at=3.0, identity={"model": "fraud"})
    store.append_drift({"reference": {"path": "r", "rows": 1}, "current": {"path": "c", "rows": 1}, "dataset_drift": True,
                        "drift_share": 0.6, "severity": "critical", "columns": {}}, created_at=4.0,
                       identity={**credit, "period_start": "2026-03-06T00:00:00", "period_end": "2026-03-07T00:00:00"})
    config = tmp_path / "monitoring.yaml"
    config.write_text("version: 1\nmodel: {name: credit, task: binary}\ndata:\n"
                      f"  reference: {{path: {files['--reference']}}}\n  current: {{path: {files['--current']}}}\n")
    run = run_mlmon("diagnose", "--config", config, "--target", "label", "--prediction", "predicted", "--proba", "score",
                    "--history", str(tmp_path / "h.db"), "--format", "json")
    assert run.code == 0, run.err
    assert run.json()["timeline"] == [  # fraud's critical window of 03-04 is not credit's
        {"timestamp": "2026-03-06T00:00:00Z", "event": "history: drift check of the data 2026-03-06T00:00:00Z to "
                                                        "2026-03-07T00:00:00Z, severity critical, drift share 0.6"},
        {"timestamp": "2026-03-06T00:00:00Z", "event": "last healthy window ends (window from 2026-03-05T00:00:00Z, "
                                                        "accuracy 0.83, history)"},
        {"timestamp": "2026-03-06T00:00:00Z", "event": "first anomaly: performance window degraded (accuracy 0.77, history)"},
        {"timestamp": "2026-03-08T00:00:00Z", "event": "degradation confirmed: 2 non-healthy windows in a row (critical)"},
    ]


def test_without_timestamps_or_history_there_is_no_timeline(tmp_path):
    files = rs.build(rs.Scenario("healthy", "none", [], 8), tmp_path)
    run = run_mlmon("diagnose", "--reference", files["--reference"], "--current", files["--current"],
                    "--target", "label", "--prediction", "predicted", "--proba", "score", "--no-history")
    assert run.code == 0, run.err
    assert "No timestamps in the inputs or the history: no timeline (pass --timestamp COL)." in run.out
    assert "**Primary cause: none** (`none`)" in run.out


@pytest.mark.parametrize("scenario,code", [(rs.Scenario("healthy", "none", [], 9), 0),
                                           (rs.Scenario("unit_change", "model_bug", ["income"], 9, {"factor": 100.0}), 1)])
def test_fail_on_degraded_exits_1_only_when_something_degraded(tmp_path, scenario, code):
    files = rs.build(scenario, tmp_path)
    run = run_mlmon("diagnose", *[x for kv in files.items() for x in kv], *rs.ROLES, "--fail-on", "degraded",
                    "--no-history", "--format", "json")
    assert run.code == code, run.err
    assert run.json()["primary_cause"] == scenario.cause


def test_labels_that_kept_leaving_the_estimates_make_concept_drift_the_cause_when_inputs_held():
    parted = Evidence("concept_drift", "estimate_vs_realized", "accuracy: the estimate has been off by 0.07 for 5 windows",
                      1.0 - 0.5 ** 4, metric="accuracy", value=-0.07)
    f = findings(perf=dropped(0.9))
    f.disagreement = [parted]
    v = rank(f)
    assert v.primary == "concept_drift"
    (concept,) = [c for c in v.candidates if c.cause == "concept_drift"]
    assert concept.score == pytest.approx(0.9375) and parted in concept.evidence
    # the same disagreement while the inputs moved is what a covariate shift does to no estimate:
    # it is discounted by how much the inputs moved
    g = findings(perf=dropped(0.9), drift=drifted(0.95))
    g.disagreement = [parted]
    (moved,) = [c for c in rank(g).candidates if c.cause == "concept_drift"]
    assert moved.score < 0.1


def test_diagnose_reads_the_disagreement_from_the_history_store(tmp_path):
    import late_labels_scenario as scenario
    from mlmon.services.scheduled import RunSettings, run_scheduled
    from mlmon.store.history import HistoryStore
    from mlmon.services.rca import estimate_disagreement

    config, _ = scenario.write(str(tmp_path), days=26, concept_from=2)
    for day in scenario.dates(26):
        run_scheduled(RunSettings(config, date=day, history=str(tmp_path / "h.db"), env={}))

    class Ctx:
        warnings: list = []
        inputs = type("I", (), {"history": HistoryStore(str(tmp_path / "h.db")), "model": "credit"})()

    found = estimate_disagreement(Ctx())
    assert [e.metric for e in found] == ["accuracy", "precision", "recall"]
    assert found[0].signal == "estimate_vs_realized" and found[0].value < -0.05 and found[0].strength >= 0.75
