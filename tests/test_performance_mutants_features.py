"""The estimate's input columns, value for value: which columns are inputs, how numbers, booleans
and categories become the error model's floats, which current values lie outside the reference,
and which columns are left out and why (found by mutation testing:
``scripts/mutation scripts/mlmon/services/performance/features.py``).

Expected arrays are written out by hand from the small frames built here: categories are coded
in the order the reference first shows them, a value the reference never held is missing (NaN)
and outside; numbers outside the reference's [min, max] are outside."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlmon.errors import MlmonError, option
from mlmon.services.performance import PerfOptions
from mlmon.services.performance.features import MAX_CATEGORIES, encode_features, feature_columns

NAN = np.nan


def _opts(**kw):
    return PerfOptions(task="regression", target="y", prediction="yhat", **kw)


def test_the_inputs_are_the_columns_without_a_role_unless_named():
    frame = pd.DataFrame(columns=["y", "yhat", "p", "q", "ts", "lts", "lo", "hi", "id", "a", "b", "score"])
    o = PerfOptions(task="multiclass", target="y", prediction="yhat", proba=["p", "q"], timestamp="ts",
                    label_timestamp="lts", lower="lo", upper="hi", join_on="id")
    assert feature_columns(o, frame) == ["a", "b", "score"]
    assert feature_columns(PerfOptions(task="binary", target="y", proba="score"), frame) == [
        "yhat", "p", "q", "ts", "lts", "lo", "hi", "id", "a", "b"]
    assert feature_columns(PerfOptions(task="binary", prediction="yhat"), frame) == [
        "y", "p", "q", "ts", "lts", "lo", "hi", "id", "a", "b", "score"]
    assert feature_columns(_opts(features=("b", "zz")), frame) == ["b", "zz"]


def test_numbers_booleans_and_categories_are_encoded_on_the_reference_terms():
    ref = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "yhat": [1.0] * 4, "x": [1.0, 2.0, np.inf, 3.0],
                        "flag": [True, False, True, False], "city": ["b", "a", None, "b"],
                        "n": pd.array([1, None, 3, 2], dtype="Int64")})
    cur = pd.DataFrame({"y": [0.0] * 4, "yhat": [0.0] * 4, "x": [0.5, 3.0, -np.inf, 1.0],
                        "flag": [True, True, False, False], "city": ["a", "c", None, "b"],
                        "n": pd.array([4, 2, None, 1], dtype="Int64")})
    f = encode_features(_opts(), ref, cur)
    assert f.names == ["x", "flag", "city", "n"] and f.dropped == []
    assert f.categorical.tolist() == [False, False, True, False] and f.categorical.dtype == bool
    np.testing.assert_array_equal(f.reference, [[1, 1, 0, 1], [2, 0, 1, NAN], [NAN, 1, NAN, 3], [3, 0, 0, 2]])
    np.testing.assert_array_equal(f.current, [[0.5, 1, 1, 4], [3, 1, NAN, 2], [NAN, 0, NAN, NAN], [1, 0, 0, 1]])
    # 0.5 below the reference's range, 4 above it, "c" never seen; missing values are not outside
    assert f.outside.tolist() == [[True, False, False, True], [False, False, True, False],
                                  [False, False, False, False], [False, False, False, False]]


def test_without_inputs_the_arrays_are_empty_with_one_row_per_row():
    ref = pd.DataFrame({"y": [1.0, 2.0], "yhat": [1.0, 2.0]})
    cur = pd.DataFrame({"y": [1.0, 2.0, 3.0], "yhat": [1.0, 2.0, 3.0]})
    f = encode_features(_opts(), ref, cur)
    assert (f.names, f.dropped, f.reference.shape, f.current.shape, f.outside.shape, f.categorical.shape) == (
        [], [], (2, 0), (3, 0), (3, 0), (0,))
    assert f.outside.dtype == bool and f.categorical.dtype == bool


def test_unusable_inputs_are_left_out_with_their_reason_when_not_named():
    many = [f"v{i}" for i in range(MAX_CATEGORIES + 1)]
    ref = pd.DataFrame({"y": 1.0, "yhat": 1.0, "when": pd.date_range("2024-01-01", periods=len(many)),
                        "took": pd.to_timedelta(range(len(many)), unit="s"), "words": many,
                        "codes": many[:MAX_CATEGORIES] + [many[0]], "mixed": 1.0, "only_ref": 1.0, "z": 2.0})
    cur = ref.drop(columns="only_ref").assign(mixed="x")
    f = encode_features(_opts(), ref, cur)
    assert MAX_CATEGORIES == 254
    assert f.names == ["codes", "z"]  # a column left out does not end the others
    assert f.dropped == ["when (a date or duration)", "took (a date or duration)",
                         "words (text with 255 distinct values, more than 254)",
                         "mixed (numbers in one file, text in the other)"]


def test_numbers_in_the_current_file_against_text_in_the_reference_are_codes_of_its_text():
    ref = pd.DataFrame({"y": [1.0, 2.0], "yhat": [1.0, 2.0], "size": ["1", "2"]})
    cur = pd.DataFrame({"y": [1.0, 2.0], "yhat": [1.0, 2.0], "size": [2, 3]})
    f = encode_features(_opts(), ref, cur)
    np.testing.assert_array_equal(f.current, [[1], [NAN]])
    assert f.outside.tolist() == [[False], [True]]


@pytest.mark.parametrize("named, what", [
    (["x", "gone", "also_gone"], "feature column(s) not in both files: gone, also_gone"),
    (["x", "cur_only"], "feature column(s) not in both files: cur_only"),
])
def test_named_inputs_missing_from_a_file_are_refused(named, what):
    ref = pd.DataFrame({"y": [1.0], "yhat": [1.0], "x": [1.0]})
    cur = ref.assign(cur_only=1.0)
    with pytest.raises(MlmonError) as info:
        encode_features(_opts(features=named), ref, cur)
    assert (info.value.what, info.value.where, info.value.todo) == (
        what, option("features"), "name columns present in the reference and the current data")


def test_only_the_first_five_missing_or_unusable_named_inputs_are_listed():
    ref = pd.DataFrame({"y": [1.0], "yhat": [1.0]})
    with pytest.raises(MlmonError) as info:
        encode_features(_opts(features=[f"c{i}" for i in range(7)]), ref, ref)
    assert info.value.what == "feature column(s) not in both files: c0, c1, c2, c3, c4"
    dates = {f"d{i}": pd.to_datetime(["2024-01-01"]) for i in range(7)}
    ref = pd.DataFrame({"y": [1.0], "yhat": [1.0], "x": [1.0], **dates})
    with pytest.raises(MlmonError) as info:
        encode_features(_opts(features=["x", *dates]), ref, ref)
    assert (info.value.what, info.value.where, info.value.todo) == (
        "the error model cannot use feature(s) " + ", ".join(f"d{i} (a date or duration)" for i in range(5)),
        option("features"), "encode them as numbers or fewer categories, or leave them out")


def test_unnamed_inputs_missing_from_the_current_file_are_left_out_silently():
    ref = pd.DataFrame({"y": [1.0, 2.0], "yhat": [1.0, 2.0], "x": [1.0, 2.0], "gone": [1.0, 2.0]})
    f = encode_features(_opts(), ref, ref.drop(columns="gone"))
    assert (f.names, f.dropped) == (["x"], [])


def test_arrow_backed_booleans_are_numbers_like_numpy_ones():
    ref = pd.DataFrame({"y": [1.0, 2.0, 3.0], "yhat": [1.0] * 3,
                        "flag": pd.array([True, False, None], dtype="bool[pyarrow]")})
    cur = ref.assign(flag=pd.array([False, None, True], dtype="bool[pyarrow]"))
    f = encode_features(_opts(), ref, cur)
    assert (f.names, f.dropped, f.categorical.tolist()) == (["flag"], [], [False])
    np.testing.assert_array_equal(f.reference, [[1], [0], [NAN]])
    np.testing.assert_array_equal(f.current, [[0], [NAN], [1]])
