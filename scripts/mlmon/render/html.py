"""``--html FILE``: Evidently's interactive drift report for the same columns and methods.

Evidently is imported here only (it costs seconds), and only when ``--html`` is asked for.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from typing import Any, Dict

from mlmon.errors import MlmonError
from mlmon.io.tables import Table

EVIDENTLY_METHODS = {
    "ks", "chisquare", "z", "wasserstein", "psi", "jensenshannon", "kl_div", "hellinger", "anderson",
    "cramer_von_mises", "mannw", "t_test", "ed", "es", "g_test", "fisher_exact", "TVD", "empirical_mmd",
}


def write_evidently_html(reference: Table, current: Table, result: Dict[str, Any], path: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            from evidently import DataDefinition, Dataset, Report
            from evidently.presets import DataDriftPreset
        except ImportError as exc:  # pragma: no cover - evidently is a runtime dependency
            raise MlmonError("evidently is not installed", "--html", "rebuild the environment (see TROUBLESHOOTING.md)") from exc

        cols = dict(result["columns"])
        for key in ("target_drift", "prediction_drift"):
            if result.get(key):
                cols[result[key]["column"]] = result[key]
        numerical = [n for n, c in cols.items() if c["type"] == "numerical"]
        categorical = [n for n, c in cols.items() if c["type"] == "categorical"]
        per_column_method = {n: c["method"] for n, c in cols.items() if c["method"] in EVIDENTLY_METHODS}
        per_column_threshold = {n: c["threshold"] for n, c in cols.items() if c["method"] in EVIDENTLY_METHODS}
        definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)
        names = numerical + categorical
        ref = Dataset.from_pandas(reference.frame[names], data_definition=definition)
        cur = Dataset.from_pandas(current.frame[names], data_definition=definition)
        report = Report(
            [
                DataDriftPreset(
                    columns=names,
                    drift_share=result.get("drift_share_threshold", 0.5),
                    per_column_method=per_column_method,
                    per_column_threshold=per_column_threshold,
                )
            ]
        )
        snapshot = report.run(cur, ref)
        directory = os.path.dirname(os.path.abspath(path)) or "."
        fd, tmp = tempfile.mkstemp(prefix=".mlmon-", suffix=".html", dir=directory)
        os.close(fd)
        try:
            snapshot.save_html(tmp)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
