"""Evidently 0.7.23 as the reference: its per-column drift results in mlmon's vocabulary.

Shared by the parity test and the benchmark, so both read Evidently's snapshot the same way.
"""

from __future__ import annotations

import warnings


def evidently_drift(reference, current) -> dict:
    """Run ``Report([DataDriftPreset()])`` on two pandas frames; per-column type, method id,
    score, threshold and drifted flag, and the dataset drift share.

    In Evidently 0.7's snapshot each column is a ``ValueDrift`` metric whose config carries the
    column and the resolved method (as the test's *display name*, e.g. "Wasserstein distance
    (normed)"), and whose value is the drift score. With ``include_tests=True`` each ValueDrift
    also gets a test whose status is FAIL when drift was detected. Column types are those of the
    current dataset's inferred data definition, which is what ValueDrift itself uses.
    """
    from evidently import Report
    from evidently.legacy.calculations import stattests
    from evidently.presets import DataDriftPreset

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        snapshot = Report([DataDriftPreset()], include_tests=True).run(current, reference)
    result = snapshot.dict()

    # the snapshot names the method by display name; map it back to the test id
    tests = [v for v in vars(stattests).values() if isinstance(v, stattests.StatTest)]
    method_id = {test.display_name: test.name for test in tests}
    definition = snapshot.context.data_definition
    types = {c: "numerical" for c in definition.get_numerical_columns()}
    types.update({c: "categorical" for c in definition.get_categorical_columns()})
    types.update({c: "text" for c in definition.get_text_columns()})
    drifted = {
        t["metric_config"]["metric_id"]: t["status"] == "FAIL"
        for t in result["tests"]
        if t["metric_config"]["params"]["type"] == "evidently:metric_v2:ValueDrift"
    }

    columns, share = {}, None
    for metric in result["metrics"]:
        config = metric["config"]
        if config["type"] == "evidently:metric_v2:DriftedColumnsCount":
            share = metric["value"]["share"]
        elif config["type"] == "evidently:metric_v2:ValueDrift":
            columns[config["column"]] = {
                "type": types[config["column"]],
                "method": method_id[config["method"]],
                "score": float(metric["value"]),
                "threshold": config["threshold"],
                "drifted": drifted[metric["id"]],
            }
    return {"columns": columns, "drift_share": share}
