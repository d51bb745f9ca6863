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

module = sys.argv.pop(1)
sys.argv[0] = module
runpy.run_module(module, run_name="__main__", alter_sys=True)
