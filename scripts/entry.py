"""Run one of mlmon's modules with only the environment's and the plugin's code importable.

``python -I scripts/entry.py MODULE ARGS...`` is how every entry point (``bin/mlmon``, the hooks)
starts Python. ``python -m MODULE`` would put the current directory first on the import path, so a
``yaml.py`` or an ``mlmon/`` folder in the user's project would run instead of the real one, in a
hook too. ``-I`` keeps the working directory, ``PYTHONPATH`` and the user's site-packages off the
path; this file then adds the plugin's ``scripts/`` folder (its own) and nothing else.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import runpy  # noqa: E402  (stdlib: found in the interpreter's own library, never in the cwd)

#: glibc's malloc gives arrays above a threshold fresh pages from the kernel and hands them back
#: when they are freed, so every copy of a million-value column pays for zeroed pages again (about
#: 70,000 page faults, up to half a second of kernel time, in a million-row drift check). Arrays up
#: to 128 MB are taken from the heap instead, and up to 256 MB freed there is kept for the next one.
MMAP_THRESHOLD, TRIM_THRESHOLD = 128 << 20, 256 << 20

#: numpy asks the kernel for transparent huge pages on every large array (madvise). Where the
#: kernel then compacts memory on the spot to find one (THP defrag "madvise", the default of many
#: distributions), a page fault can stall: a million-row drift check spent 0.16 to 1.25 s in the
#: kernel from run to run, against 0.22 to 0.36 s on plain pages. numpy reads this at import.
PLAIN_PAGES = ("NUMPY_MADVISE_HUGEPAGE", "0")


def keep_freed_memory():
    """Set glibc's thresholds (``mallopt``) in this process; elsewhere (macOS, musl) nothing.
    Both are set together: setting either alone turns off glibc's own adaptive threshold."""
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, ImportError):
        return False
    M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))


def command_line_memory(module, environ=os.environ):
    """The memory settings of a run of ``module``: the command line (``mlmon``) works on whole
    columns, so it keeps freed memory and puts arrays on plain pages; hooks stay as they are.
    Settings already in the environment (``MALLOC_*``, ``NUMPY_MADVISE_HUGEPAGE``) win."""
    if module != "mlmon":
        return
    if "MALLOC_MMAP_THRESHOLD_" not in environ and "MALLOC_TRIM_THRESHOLD_" not in environ:
        keep_freed_memory()
    environ.setdefault(*PLAIN_PAGES)


if __name__ == "__main__":
    module = sys.argv.pop(1)
    sys.argv[0] = module
    command_line_memory(module)
    runpy.run_module(module, run_name="__main__", alter_sys=True)
