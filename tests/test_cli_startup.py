"""Building the command line costs no data-library import: `mlmon --help`, `mlmon validate` and
argument errors answer without loading pandas, numpy, scipy, pyarrow or Evidently (pandas alone
costs about half a second)."""

from __future__ import annotations

import subprocess
import sys

from mlmon_testing import ROOT

HEAVY = ("pandas", "numpy", "scipy", "pyarrow", "evidently", "dask", "datasketches", "psycopg")


def test_building_the_parser_imports_no_data_library():
    code = ("import sys, mlmon.cli; mlmon.cli.build_parser(); "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT / "scripts")}, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""


# pandas and scipy too: a parquet table of plain columns is read from Arrow into numpy, and
# Jensen-Shannon's relative entropy is numpy's (tests/test_table_arrow.py, tests/stats/test_rel_entr.py)
NOT_ON_THE_ROWS_PATH = ("scipy", "pandas", "evidently", "dask", "datasketches")


def test_drift_on_rows_with_default_methods_imports_no_profile_or_engine_library(tmp_path):
    # the default tests on 2,000 rows are wasserstein and jensenshannon: neither needs
    # scipy.stats (a second of import), and asking "is this a profile?" reads the file's first
    # bytes instead of importing the profile machinery
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    paths = []
    for side, shift in (("reference", 0.0), ("current", 0.3)):
        frame = pd.DataFrame({"amount": rng.normal(shift, 1, 2000), "country": rng.choice(["de", "fr", "it"], 2000),
                              "ts": pd.date_range("2026-11-01", periods=2000, freq="min", tz="UTC")})
        paths.append(tmp_path / f"{side}.parquet")
        frame.to_parquet(paths[-1])
    code = ("import sys; from mlmon.cli import main; "
            f"rc = main(['drift', {str(paths[0])!r}, {str(paths[1])!r}, '--no-history', '--format', 'json']); "
            f"print(','.join(m for m in {NOT_ON_THE_ROWS_PATH!r} if m in sys.modules), file=sys.stderr); sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT / "scripts")}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert '"wasserstein"' in proc.stdout and '"jensenshannon"' in proc.stdout
    assert proc.stderr.strip().splitlines()[-1:] in ([], [""])


def test_drift_on_small_files_with_default_methods_imports_no_scipy_at_all(tmp_path):
    # at most 1,000 rows a side the default tests are ks, chisquare and z: their p-values
    # (exact KS distribution, chi-square and normal tails) are computed without scipy, whose
    # import would be most of a small check's time
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(1)
    paths = []
    for side, n, shift in (("reference", 200, 0.0), ("current", 150, 0.3)):
        frame = pd.DataFrame({"amount": rng.normal(shift, 1, n).round(2), "country": rng.choice(["de", "fr", "it"], n),
                              "churned": rng.choice(["yes", "no"], n)})
        paths.append(tmp_path / f"{side}.parquet")
        frame.to_parquet(paths[-1])
    code = ("import sys; from mlmon.cli import main; "
            f"rc = main(['drift', {str(paths[0])!r}, {str(paths[1])!r}, '--no-history', '--format', 'json']); "
            "print(','.join(sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.'))), file=sys.stderr); "
            "sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT / "scripts")}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert all(f'"method": "{test}"' in proc.stdout for test in ("ks", "chisquare", "z")), proc.stdout
    assert proc.stderr.strip().splitlines()[-1:] in ([], [""])
