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
