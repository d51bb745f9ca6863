"""``--evidently-html FILE``: Evidently's interactive drift report for the same columns and methods.

Evidently is imported here only (it costs seconds), and only when ``--evidently-html`` is asked for.

Column names and text values come from the data: they reach the page HTML-escaped (a column
named ``</script><script>...`` would otherwise run in the reader's browser). Escaping is
one-to-one, so the report tests the same columns and categories, under display names.
"""

from __future__ import annotations

import html
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
            raise MlmonError("evidently is not installed", "--evidently-html", "rebuild the environment (see TROUBLESHOOTING.md)") from exc

        cols = dict(result["columns"])
        for key in ("target_drift", "prediction_drift"):
            if result.get(key):
                cols[result[key]["column"]] = result[key]
        numerical = [n for n, c in cols.items() if c["type"] == "numerical"]
        categorical = [n for n, c in cols.items() if c["type"] == "categorical"]
        per_column_method = {n: c["method"] for n, c in cols.items() if c["method"] in EVIDENTLY_METHODS}
        per_column_threshold = {n: c["threshold"] for n, c in cols.items() if c["method"] in EVIDENTLY_METHODS}
        names = numerical + categorical
        shown = {n: html.escape(str(n)) for n in names}  # one-to-one: no two names collide
        numerical, categorical = [shown[n] for n in numerical], [shown[n] for n in categorical]
        per_column_method = {shown[n]: m for n, m in per_column_method.items()}
        per_column_threshold = {shown[n]: t for n, t in per_column_threshold.items()}
        definition = DataDefinition(numerical_columns=numerical, categorical_columns=categorical)
        ref = Dataset.from_pandas(_safe_frame(reference.frame, names, shown, categorical), data_definition=definition)
        cur = Dataset.from_pandas(_safe_frame(current.frame, names, shown, categorical), data_definition=definition)
        names = [shown[n] for n in names]
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


def _safe_frame(frame, names, shown, categorical):
    """``frame[names]`` under HTML-escaped names, with text values of categorical columns escaped."""
    import pandas as pd

    out = frame[names].rename(columns=shown)
    for name in categorical:
        col = out[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            if col.cat.categories.dtype == object:
                out[name] = col.cat.rename_categories([_escape(v) for v in col.cat.categories])
        elif col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            out[name] = col.map(_escape, na_action="ignore")
    return out


def _escape(value):
    return html.escape(value) if isinstance(value, str) else value
