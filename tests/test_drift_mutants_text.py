"""Text descriptors computed by hand on four reference texts: each reference row is scored against
the vocabulary of the other half (seed 0: numpy's ``default_rng(0).random(4)`` is 0.637, 0.270,
0.041, 0.017, so rows 1-3 make one half and row 0 the other), current rows against the first
half's vocabulary; the descriptors replace the column where it stood, as floats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlmon.errors import MlmonError
from mlmon.io.tables import Table
from mlmon.services.drift.text import descriptor_names, descriptors, with_text_descriptors

REF = pd.DataFrame({"a": [1.0, 2, 3, 4], "t": ["alpha beta", "beta gamma", "gamma delta", "delta alpha"],
                    "z": [0, 1, 0, 1]})
CUR = pd.DataFrame({"a": [1.0, 2], "t": ["alpha omega", "Zeta!"], "z": [0, 1]})


def test_reference_rows_are_scored_against_the_other_halfs_vocabulary():
    assert (np.random.default_rng(0).random(4) < 0.5).tolist() == [False, True, True, True]
    ref, cur = with_text_descriptors(Table("r", REF, {"a": "float", "t": "string", "z": "int"}),
                                     Table("c", CUR, {"a": "float", "t": "category", "z": "int"}), ["t"])
    names = ["a", "t:length", "t:non_letters", "t:oov", "z"]
    assert list(ref.frame.columns) == names and list(cur.frame.columns) == names
    assert ref.kinds == cur.kinds == {"a": "float", "z": "int", "t:length": "float", "t:non_letters": "float",
                                      "t:oov": "float"}
    # row 0 against {alpha, beta, gamma, delta}: 0; rows 1-3 against {alpha, beta}: gamma, gamma delta, delta
    assert ref.frame["t:oov"].tolist() == [0.0, 0.5, 1.0, 0.5]
    assert ref.frame["t:length"].tolist() == [10.0, 10.0, 11.0, 11.0]
    assert ref.frame["t:non_letters"].tolist() == pytest.approx([1 / 10, 1 / 10, 1 / 11, 1 / 11])
    # current against rows 1-3's words: omega is new, zeta is new
    assert cur.frame["t:oov"].tolist() == [0.5, 1.0]
    assert cur.frame["t:non_letters"].tolist() == pytest.approx([1 / 11, 1 / 5])
    assert (ref.path, cur.path) == ("r", "c")
    assert list(REF.columns) == ["a", "t", "z"]  # the inputs are left alone


def test_an_all_missing_column_is_accepted_as_text():
    ref = pd.DataFrame({"t": [None, None]})
    out, _ = with_text_descriptors(Table("r", ref, {"t": "empty"}), Table("c", ref.copy(), {"t": "empty"}), ["t"])
    assert out.frame.isna().all().all() and list(out.frame.columns) == descriptor_names(["t"])


@pytest.mark.parametrize("side, message", [(0, "'r'"), (1, "'c'")])
def test_a_column_missing_or_not_text_on_either_side_names_that_side(side, message):
    frames = [REF.copy(), CUR.copy()]
    kinds = [{"a": "float", "t": "string", "z": "int"}, {"a": "float", "t": "string", "z": "int"}]
    kinds[side]["t"] = "int"
    with pytest.raises(MlmonError) as exc:
        with_text_descriptors(Table("r", frames[0], kinds[0]), Table("c", frames[1], kinds[1]), ["t"])
    assert exc.value.line().startswith("mlmon: error: text t: column holds int values, not text (")
    assert ("(r)" in exc.value.line()) is (side == 0)
    del frames[side]["t"]
    with pytest.raises(MlmonError) as exc:
        with_text_descriptors(Table("r", frames[0], kinds[0]), Table("c", frames[1], kinds[1]), ["t"])
    assert exc.value.line().startswith("mlmon: error: text names column 't', which is not in the data (")
    assert ("(r)" in exc.value.line()) is (side == 0)


def test_descriptors_of_a_text_without_letters_and_of_nan():
    d = descriptors(pd.Series(["!!", np.nan, "Ünïcode ok"]), {"ok"})
    assert d["length"].tolist()[0] == 2.0 and np.isnan(d["length"][1])
    assert d["non_letters"][0] == 1.0 and np.isnan(d["oov"][0])
    assert d["non_letters"][2] == pytest.approx(1 / 10) and d["oov"][2] == 0.5


def test_a_non_text_value_counts_as_its_string_and_the_index_is_kept():
    # a float among texts (an object column) is measured as str(1.5) == "1.5": 3 characters, none
    # a letter, no word; None and NaN stay missing
    d = descriptors(pd.Series(["ab", 1.5, np.nan, None], index=[10, 20, 30, 40], dtype=object), {"ab"})
    assert d.index.tolist() == [10, 20, 30, 40]
    assert d["length"].tolist()[:2] == [2.0, 3.0] and d["length"][[30, 40]].isna().all()
    assert d["non_letters"].tolist()[:2] == [0.0, 1.0]
    assert d["oov"].tolist()[0] == 0.0 and np.isnan(d["oov"][20])


def test_the_errors_are_one_line_with_what_to_do():
    num = Table("r", pd.DataFrame({"a": [1.0]}), {"a": "float"})
    with pytest.raises(MlmonError) as exc:
        with_text_descriptors(num, num, ["t"])
    assert exc.value.line() == ("mlmon: error: text names column 't', which is not in the data (r); "
                                "name a text column both files hold")
    floats = Table("r", pd.DataFrame({"t": [1.0]}), {"t": "float"})
    with pytest.raises(MlmonError) as exc:
        with_text_descriptors(floats, floats, ["t"])
    assert exc.value.line() == "mlmon: error: text t: column holds float values, not text (r); drop it from text"
