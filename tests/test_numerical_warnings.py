"""A numerical warning (divide by zero, invalid value) raised from the package fails the test
run (pyproject.toml's ``filterwarnings``); one raised elsewhere does not."""

from __future__ import annotations

import warnings

import numpy as np
import pytest


def _log_of_zero_in(module_name):
    # warnings are attributed to the module whose code called numpy: the frame's __name__
    code = compile("np.log(np.zeros(1))", f"<{module_name}>", "eval")
    return eval(code, {"__name__": module_name, "np": np})


def test_a_runtime_warning_from_the_package_is_an_error():
    with pytest.raises(RuntimeWarning, match="divide by zero"):
        _log_of_zero_in("mlmon.stats.example")


def test_a_runtime_warning_from_other_code_is_only_a_warning():
    with warnings.catch_warnings(record=True) as seen:
        _log_of_zero_in("mlmon_testing")
    assert [w.category for w in seen] == [RuntimeWarning]
