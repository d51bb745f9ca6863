"""`init --data` with column names YAML needs escaped, and `validate`'s split of its report
(problems on stdout) from its verdict (one status line per file on stderr, and the exit code)."""

from __future__ import annotations

import pandas as pd

from mlmon.services.config import load_config, validate_file
from mlmon_testing import ROOT, run_mlmon


def test_init_data_with_an_emoji_column_name(tmp_path):
    sample = tmp_path / "s.csv"
    pd.DataFrame({"amount": [1.5, 2.5, 3.0] * 20, "🚀 speed": [1.0, 2.0, 4.0] * 20,
                  "target": [0, 1, 0] * 20}).to_csv(sample, index=False)
    out = tmp_path / "monitoring.yaml"
    run = run_mlmon("init", "--data", sample, "--output", out)
    assert run.code == 0, run.err
    assert validate_file(str(out)) == []
    assert '"🚀 speed"' in out.read_text()  # written as the character, not as a JSON surrogate pair
    assert "🚀 speed" in load_config(str(out)).as_dict()["data"]["columns"]["numerical"]


def test_validate_problems_on_stdout_verdict_on_stderr(tmp_path):
    bad = tmp_path / "monitoring.yaml"
    bad.write_text((ROOT / "assets" / "config.yaml").read_text().replace("task: binary", "task: binry", 1))
    run = run_mlmon("validate", bad, ROOT / "assets" / "config.yaml")
    assert run.code == 2
    assert run.out.startswith(f"{bad}:") and ": model.task: " in run.out and "mlmon:" not in run.out
    assert run.err.splitlines() == [f"mlmon: {bad}: invalid, 1 error", f"mlmon: {ROOT / 'assets' / 'config.yaml'}: valid"]
