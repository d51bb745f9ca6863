"""The command line's process keeps freed array memory for reuse (glibc ``mallopt``), and the
bootstrap that sets it does nothing where there is no glibc."""

from __future__ import annotations

import ctypes
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _entry():
    spec = importlib.util.spec_from_file_location("mlmon_entry", ROOT / "scripts" / "entry.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines, runs nothing: the run is under __main__
    return module


def test_the_thresholds_are_set_together_on_glibc(monkeypatch):
    entry = _entry()
    calls = []

    class Libc:
        def mallopt(self, param, value):
            calls.append((param, value))
            return 1

    monkeypatch.setattr(ctypes, "CDLL", lambda name: Libc())
    assert entry.keep_freed_memory() is True
    assert calls == [(-3, 128 << 20), (-1, 256 << 20)]  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD (malloc.h)


def test_without_mallopt_nothing_is_set(monkeypatch):
    entry = _entry()
    monkeypatch.setattr(ctypes, "CDLL", lambda name: object())  # macOS' libc: no mallopt
    assert entry.keep_freed_memory() is False

    def no_library(name):
        raise OSError("no C library")

    monkeypatch.setattr(ctypes, "CDLL", no_library)
    assert entry.keep_freed_memory() is False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="page-fault counts are read from Linux's rusage")
def test_a_column_copied_again_and_again_faults_its_pages_in_once(tmp_path):
    """Twenty rounds of five 8 MB column copies, freed after each round: with the thresholds set the
    heap hands the same pages back (about 10,000 faults, the first round's); without, glibc gives
    much of the 40 MB back to the kernel each round and faults those pages in again (about 44,000)."""
    script = tmp_path / "copies.py"
    script.write_text(
        "import resource, sys\n"
        f"sys.path.insert(0, {str(ROOT / 'scripts')!r})\n"
        "import importlib.util\n"
        f"spec = importlib.util.spec_from_file_location('e', {str(ROOT / 'scripts' / 'entry.py')!r})\n"
        "e = importlib.util.module_from_spec(spec); spec.loader.exec_module(e)\n"
        "if sys.argv[1] == 'set': assert e.keep_freed_memory()\n"
        "import numpy as np\n"
        "a = np.ones(1_000_000)\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
        "for _ in range(20):\n"
        "    columns = [a.copy() for _ in range(5)]; del columns\n"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    faults = {mode: int(subprocess.run([sys.executable, str(script), mode], capture_output=True, text=True, env=env,
                                       check=True).stdout) for mode in ("set", "unset")}
    assert faults["set"] < 15_000 and faults["set"] * 3 < faults["unset"], faults


def test_the_command_line_puts_arrays_on_plain_pages_unless_told_otherwise(monkeypatch):
    """numpy reads NUMPY_MADVISE_HUGEPAGE at import: the command line sets it to 0 before anything
    imports numpy; a value the user set stays, and hooks get neither setting."""
    entry = _entry()
    calls = []
    monkeypatch.setattr(entry, "keep_freed_memory", lambda: calls.append("mallopt"))
    env = {}
    entry.command_line_memory("mlmon", env)
    assert env == {"NUMPY_MADVISE_HUGEPAGE": "0"} and calls == ["mallopt"]
    env = {"NUMPY_MADVISE_HUGEPAGE": "1", "MALLOC_TRIM_THRESHOLD_": "0"}
    entry.command_line_memory("mlmon", env)
    assert env == {"NUMPY_MADVISE_HUGEPAGE": "1", "MALLOC_TRIM_THRESHOLD_": "0"} and calls == ["mallopt"]
    env = {}
    entry.command_line_memory("mlmon.hooks.session_start", env)
    assert env == {} and calls == ["mallopt"]


def test_a_command_line_run_imports_numpy_without_huge_pages(tmp_path):
    """Through the real bootstrap: a module run as the command line sees numpy's huge-page advice off."""
    probe = tmp_path / "mlmon"
    probe.mkdir()
    (probe / "__init__.py").write_text("")
    (probe / "__main__.py").write_text(
        "import os, numpy\n"
        "try:\n    from numpy._core import multiarray\n"
        "except ImportError:  # numpy 1.x\n    from numpy.core import multiarray\n"
        "print(os.environ['NUMPY_MADVISE_HUGEPAGE'], multiarray._get_madvise_hugepage())\n")
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    # the probe package stands in for mlmon: entry.py puts its own folder first, so run a copy beside the probe
    (tmp_path / "entry.py").write_text((ROOT / "scripts" / "entry.py").read_text())
    out = subprocess.run([sys.executable, "-I", str(tmp_path / "entry.py"), "mlmon"], capture_output=True, text=True,
                         env=env, check=True).stdout.split()
    assert out == ["0", "False"]
