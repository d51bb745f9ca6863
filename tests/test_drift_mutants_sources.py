"""What the row source hands the pipeline for each column: vectors of an embedding (float32 kept,
other numbers as float64, rows without a vector counted missing), the refusals of bad vectors
word for word, numbers cleaned and counted, and categories coded over one sorted list (the rules
stated in :mod:`mlmon.services.drift.sources`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlmon.errors import MlmonError
from mlmon.io.columns import EMBEDDING, ColumnSpec
from mlmon.io.tables import Table, _kind, read_table
from mlmon.services.drift import DriftOptions, compute_drift
from mlmon.services.drift.sources import RowSource


def _lists(path, rows, kind=pa.float32()):
    pq.write_table(pa.table({"emb": pa.array(rows, pa.list_(kind))}), path)
    return str(path)


def _column(ref, cur, spec):
    return RowSource(ref, cur).column(spec)


def _frame_table(path, frame):
    return Table(path, frame, {c: _kind(frame[c]) for c in frame.columns})


# ---------------------------------------------------------------------------- embeddings


def test_vectors_of_another_dimension_are_refused_naming_both_files(tmp_path):
    r = _lists(tmp_path / "r.parquet", [[1.0, 2, 3]] * 40)
    c = _lists(tmp_path / "c.parquet", [[1.0, 2, 3, 4]] * 40)
    with pytest.raises(MlmonError) as exc:
        compute_drift(read_table(r), read_table(c))
    assert exc.value.line() == (f"mlmon: error: embedding 'emb' has 3 values a vector in the reference but 4 in "
                                f"current ({r} vs {c}); compare embeddings from the same model, or --exclude the "
                                "column")


def test_an_embedding_has_no_infinite_values_to_report(tmp_path):
    rng = np.random.default_rng(0)
    r = _lists(tmp_path / "r.parquet", rng.normal(size=(40, 3)).tolist())
    res = compute_drift(read_table(r), read_table(r))
    assert res.columns["emb"].infinite_dropped == 0 and res.warnings == []


def test_list_vectors_keep_float32_and_turn_integers_into_float64(tmp_path):
    f32 = read_table(_lists(tmp_path / "f.parquet", [[1.0, 2.0], [3.0, 4.0]]))
    ints = read_table(_lists(tmp_path / "i.parquet", [[1, 2], [3, 4]], pa.int64()))
    spec = ColumnSpec("emb", EMBEDDING, "feature")
    data = _column(f32, ints, spec)
    assert data.reference.dtype == np.float32 and data.current.dtype == np.float64
    assert data.current.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert (data.n_reference, data.n_current, data.reference_missing, data.current_missing, data.infinite) == (
        2, 2, 0, 0, 0)


def test_a_side_of_one_vector_is_one_row(tmp_path):
    one = read_table(_lists(tmp_path / "o.parquet", [[1.0, 2.0, 3.0]]))
    data = _column(one, one, ColumnSpec("emb", EMBEDDING, "feature"))
    assert data.reference.tolist() == [[1.0, 2.0, 3.0]] and data.n_reference == 1


def test_a_side_without_any_vector_is_all_missing():
    ref = pd.DataFrame({"emb": [[1.0, 2.0], None, [3.0, 4.0]]})
    cur = pd.DataFrame({"emb": [None, None]})
    data = _column(Table("r", ref, {"emb": "other"}), Table("c", cur, {"emb": "empty"}),
                   ColumnSpec("emb", EMBEDDING, "feature"))
    assert (data.n_reference, data.reference_missing, data.n_current, data.current_missing) == (2, 1, 0, 2)
    assert data.reference.tolist() == [[1.0, 2.0], [3.0, 4.0]] and data.current.size == 0


def test_unequal_lengths_name_the_first_length_and_the_first_row_that_differs(tmp_path):
    r = _lists(tmp_path / "r.parquet", [[1.0, 2.0, 3.0]] * 40)
    c = _lists(tmp_path / "c.parquet", [[1.0, 2.0, 3.0], [1.0, 2.0], [1.0, 2.0, 3.0], [5.0]])
    with pytest.raises(MlmonError) as exc:
        compute_drift(read_table(r), read_table(c))
    assert exc.value.line() == (
        f"mlmon: error: embedding column 'emb' holds vectors of different lengths (3 and 2 values, row 1) ({c}); "
        "export every vector with the same length (one model, one dimension), or --exclude the column")


PREFIX = ColumnSpec("v_", EMBEDDING, "feature", members=("v_0", "v_1"))


def test_prefix_columns_keep_float32_turn_integers_into_float64_and_drop_rows_without_a_vector():
    ref = pd.DataFrame({"v_0": np.array([1, 2, 3], dtype=np.float32), "v_1": np.array([4, 5, 6], dtype=np.float32)})
    cur = pd.DataFrame({"v_0": [1, 2], "v_1": [3, 4]})
    data = _column(_frame_table("r", ref), _frame_table("c", cur), PREFIX)
    assert data.reference.dtype == np.float32 and data.current.dtype == np.float64
    assert data.current.tolist() == [[1.0, 3.0], [2.0, 4.0]]
    gaps = pd.DataFrame({"v_0": [1.0, np.nan, 3.0], "v_1": [4.0, np.nan, 6.0]})
    data = _column(_frame_table("r", gaps), _frame_table("c", cur), PREFIX)
    assert data.reference.tolist() == [[1.0, 4.0], [3.0, 6.0]]
    assert (data.n_reference, data.reference_missing, data.n_current, data.current_missing) == (2, 1, 2, 0)


def test_a_prefix_vector_missing_some_values_is_refused_naming_its_file():
    ref = pd.DataFrame({"v_0": [1.0, 2.0, 3.0], "v_1": [4.0, 5.0, 6.0]})
    bad = pd.DataFrame({"v_0": [1.0, np.nan, np.nan, 4.0], "v_1": [4.0, 5.0, np.nan, np.nan]})
    with pytest.raises(MlmonError) as exc:
        _column(_frame_table("r.parquet", ref), _frame_table("c.parquet", bad), PREFIX)
    assert exc.value.line() == ("mlmon: error: embedding 'v_' has missing values inside 2 vector(s) (first at row 1) "
                                "(c.parquet); fill or drop those rows before the check, or --exclude the columns")


# ---------------------------------------------------------------------------- profiles


def _both(ref, cur, kinds, options, profile_options=None):
    """The drift result from the rows and from the two profiles, as dicts."""
    from mlmon.profiles import drift_from_profiles, profile_frame

    rows = compute_drift(Table("r", ref, kinds), Table("c", cur, kinds), options).to_dict()
    prof = drift_from_profiles(profile_frame(ref, profile_options, kinds), profile_frame(cur, profile_options, kinds),
                               options).to_dict()
    return rows, prof


@pytest.mark.parametrize("n, basis", [(2000, "exact values"), (2001, "exact value counts")])
def test_a_bool_column_tested_as_numbers_from_a_profile_scores_as_from_the_rows(n, basis):
    # up to 2,000 values the profile hands over the values themselves, beyond them their counts
    # (with the mean and population standard deviation of the 0/1 values): every method agrees
    from mlmon.stats.univariate import catalog

    rng = np.random.default_rng(1)
    ref, cur = pd.DataFrame({"flag": rng.random(n) < 0.3}), pd.DataFrame({"flag": rng.random(n) < 0.4})
    for method in catalog.profile_ids():
        rows, prof = _both(ref, cur, {"flag": "bool"}, DriftOptions(method=method, numerical=["flag"]))
        r, p = rows["columns"]["flag"], prof["columns"]["flag"]
        assert p["score"] == pytest.approx(r["score"], rel=1e-12, abs=1e-300), method
        assert (p["method"], p["basis"], p["approximate"], p["reference_count"]) == (r["method"], basis, False, n)


def test_truncated_category_lists_pool_what_either_side_dropped_into_one_bin():
    # at most 3 categories kept: the reference keeps a, b, c (d's 5 rows pooled), current a, c, b
    # (e's 15 rows pooled); a, b and c are counted exactly on both sides, d and e make "(other)":
    # the same test as on rows where d and e are one category
    ref = pd.DataFrame({"c": ["a"] * 50 + ["b"] * 30 + ["c"] * 15 + ["d"] * 5})
    cur = pd.DataFrame({"c": ["a"] * 40 + ["b"] * 20 + ["c"] * 25 + ["e"] * 15})
    from mlmon.profiles import ProfileOptions

    _, prof = _both(ref, cur, {"c": "string"}, DriftOptions(categorical=["c"]), ProfileOptions(max_categories=3))
    pooled, _ = _both(ref.replace({"d": "zz"}), cur.replace({"e": "zz"}), {"c": "string"},
                      DriftOptions(categorical=["c"]))
    p, r = prof["columns"]["c"], pooled["columns"]["c"]
    assert (p["score"], p["statistic"]) == pytest.approx((r["score"], r["statistic"]), rel=1e-12)
    assert (p["reference_count"], p["current_count"], p.get("new_categories")) == (100, 100, None)
    assert prof["warnings"] == ["c: more distinct values than the profile keeps; the rarest are pooled into one "
                                "'other' bin"]


def test_numbers_tested_as_categories_from_a_profile_list_new_values_in_numeric_order():
    ref = pd.DataFrame({"x": [1, 2, 3] * 20})
    cur = pd.DataFrame({"x": [1, 2, 3] * 18 + [10, 9, 10, 9, 9, 10]})
    rows, prof = _both(ref, cur, {"x": "int"}, DriftOptions(categorical=["x"]))
    p, r = prof["columns"]["x"], rows["columns"]["x"]
    assert p["new_categories"] == r["new_categories"] == ["9", "10"]
    assert (p["score"], p["reference_count"], p["current_count"], p["basis"]) == (r["score"], 60, 60, "exact counts")
    assert prof["warnings"] == rows["warnings"] == ["x: 2 categories only in current (9, 10; 6 rows)"]
    # the same values as floats: no pooled bin appears, the counts are the rows'
    f_rows, f_prof = _both(ref.astype(float), cur.astype(float), {"x": "float"}, DriftOptions(categorical=["x"]))
    assert f_prof["columns"]["x"]["score"] == pytest.approx(f_rows["columns"]["x"]["score"], rel=1e-12)
    assert f_prof["columns"]["x"]["new_categories"] == ["9.0", "10.0"]


@pytest.mark.parametrize("many_in", ["reference", "current"])
def test_numbers_with_too_many_values_cannot_be_categories_from_a_profile(many_in):
    many, few = pd.DataFrame({"x": np.arange(60)}), pd.DataFrame({"x": [1, 2, 3] * 20})
    ref, cur = (many, few) if many_in == "reference" else (few, many)
    _, prof = _both(ref, cur, {"x": "int"}, DriftOptions(categorical=["x"]))
    assert prof["skipped"] == {"x": "too many distinct values to test as categories from a profile (profiles keep "
                                     "value counts for at most a few numbers)"}


def test_few_reference_values_against_many_current_ones_choose_a_numeric_test_from_a_profile():
    rows, prof = _both(pd.DataFrame({"x": [1, 2, 3] * 20}), pd.DataFrame({"x": np.arange(60)}), {"x": "int"},
                       DriftOptions())
    assert prof["columns"]["x"]["method"] == rows["columns"]["x"]["method"] == "ks"


@pytest.mark.parametrize("ref, cur, skipped, counts", [
    ([np.nan] * 40, list(range(40)), {"x": "all values missing in reference"}, None),
    (list(range(40)), [np.nan] * 40, {"x": "all values missing in current"}, None),
    ([5.0] + [np.nan] * 39, list(range(40)), {}, (1, 40)),
])
def test_a_numeric_profile_side_without_values_is_skipped_and_one_value_is_tested(ref, cur, skipped, counts):
    rows, prof = _both(pd.DataFrame({"x": np.array(ref, dtype=float)}), pd.DataFrame({"x": np.array(cur, dtype=float)}),
                       {"x": "float"}, DriftOptions(numerical=["x"]))
    assert prof["skipped"] == rows["skipped"] == skipped
    if counts is None:
        assert "x" not in prof["columns"]
    else:
        assert (prof["columns"]["x"]["reference_count"], prof["columns"]["x"]["current_count"]) == counts


@pytest.mark.parametrize("side", ["reference", "current"])
def test_a_categorical_profile_side_without_values_is_skipped(side):
    empty, full = pd.DataFrame({"c": [None] * 40}, dtype=object), pd.DataFrame({"c": ["u", "v"] * 20})
    ref, cur = (empty, full) if side == "reference" else (full, empty)
    _, prof = _both(ref, cur, {"c": "string"}, DriftOptions(categorical=["c"]))
    assert prof["skipped"] == {"c": f"all values missing in {side}"}


def test_profiles_with_different_columns_are_refused_naming_both_profiles():
    from mlmon.profiles import drift_from_profiles, profile_frame

    a, b = pd.DataFrame({"x": np.arange(40.0), "y": np.arange(40.0)}), pd.DataFrame({"x": np.arange(40.0)})
    with pytest.raises(MlmonError) as exc:
        drift_from_profiles(profile_frame(a), profile_frame(b), reference_path="r.json", current_path="c.json")
    assert exc.value.line() == ("mlmon: error: reference and current have different columns: missing in current: y "
                                "(r.json vs c.json); export both with the same columns, or leave the odd ones out "
                                "with --exclude")
    with pytest.raises(MlmonError) as exc:
        drift_from_profiles(profile_frame(a), profile_frame(a), DriftOptions(multivariate="mmd"))
    assert exc.value.line() == ("mlmon: error: the multivariate test needs the rows, a profile holds summaries "
                                "(multivariate); run the drift check on the data files, or drop multivariate")


def test_small_numeric_profiles_run_the_test_on_their_exact_values_with_the_threshold_asked_for():
    from scipy.stats import ks_2samp

    from mlmon.profiles import drift_from_profiles, profile_frame

    rng = np.random.default_rng(0)
    a, b = pd.DataFrame({"x": rng.normal(0, 1, 300)}), pd.DataFrame({"x": rng.normal(0.1, 1, 300)})
    scipy = ks_2samp(a["x"], b["x"])  # p = 0.0812, D = 0.10333
    for threshold, drifted in ((None, False), (0.5, True)):
        col = drift_from_profiles(profile_frame(a), profile_frame(b),
                                  DriftOptions(method="ks", threshold=threshold)).columns["x"]
        assert (col.score, col.statistic) == pytest.approx((scipy.pvalue, scipy.statistic), rel=1e-12)
        assert (col.drifted, col.basis, col.approximate) == (drifted, "exact values", False)


REF_ABCD = ["a"] * 50 + ["b"] * 30 + ["c"] * 15 + ["d"] * 5  # 3 kept: d's 5 rows pooled


@pytest.mark.parametrize("ref, cur, pooled", [
    # both truncated, keeping different values: c is pooled in current, e is unknown to the
    # reference: c, d and e all go to the pooled bin (reference 20 rows, current 40)
    (REF_ABCD, ["a"] * 40 + ["b"] * 20 + ["e"] * 25 + ["c"] * 15, ("c", "d", "e")),
    # only the reference truncated: c is still counted on both sides (0 in current), e (unknown
    # to the reference) joins d in the pooled bin
    (REF_ABCD, ["a"] * 40 + ["b"] * 30 + ["e"] * 30, ("d", "e")),
    # only current truncated: only current has a pooled bin (e's 15 rows); it is no new category
    (["a"] * 50 + ["b"] * 30 + ["c"] * 20, ["a"] * 40 + ["b"] * 20 + ["c"] * 25 + ["e"] * 15, ("e",)),
])
def test_a_value_is_its_own_bin_only_where_every_truncated_side_counts_it(ref, cur, pooled):
    from mlmon.profiles import ProfileOptions

    ref, cur = pd.DataFrame({"c": ref}), pd.DataFrame({"c": cur})
    _, prof = _both(ref, cur, {"c": "string"}, DriftOptions(categorical=["c"]), ProfileOptions(max_categories=3))
    merged = {v: "zz" for v in pooled}
    rows, _ = _both(ref.replace(merged), cur.replace(merged), {"c": "string"}, DriftOptions(categorical=["c"]))
    p, r = prof["columns"]["c"], rows["columns"]["c"]
    assert (p["method"], p["score"]) == (r["method"], pytest.approx(r["score"], rel=1e-12))
    if r["statistic"] is None:  # the p-values of strong shifts underflow to 0: the statistic tells them apart
        assert p["statistic"] is None
    else:
        assert p["statistic"] == pytest.approx(r["statistic"], rel=1e-12)
    assert (p["reference_count"], p["current_count"], p.get("new_categories")) == (100, 100, None)
    assert prof["warnings"] == ["c: more distinct values than the profile keeps; the rarest are pooled into one "
                                "'other' bin"]


def test_a_new_category_seen_once_is_named_from_a_profile():
    ref, cur = pd.DataFrame({"c": ["a", "b"] * 20}), pd.DataFrame({"c": ["a", "b"] * 19 + ["a", "z"]})
    rows, prof = _both(ref, cur, {"c": "string"}, DriftOptions(categorical=["c"]))
    assert prof["columns"]["c"]["new_categories"] == rows["columns"]["c"]["new_categories"] == ["z"]
    assert prof["warnings"] == ["c: 1 category only in current (z; 1 rows)"]
    assert prof["columns"]["c"]["score"] == pytest.approx(rows["columns"]["c"]["score"], rel=1e-12)


@pytest.mark.parametrize("options, method", [(DriftOptions(column_methods={"x": "anderson"}), "anderson"),
                                             (DriftOptions(method="t_test"), "t_test")])
def test_a_method_that_needs_the_rows_is_refused_for_profiles_naming_those_that_do_not(options, method):
    from mlmon.profiles import drift_from_profiles, profile_frame
    from mlmon.stats.univariate import catalog

    a = pd.DataFrame({"x": [1.0, 2.0] * 20})
    with pytest.raises(MlmonError) as exc:
        drift_from_profiles(profile_frame(a), profile_frame(a), options)
    assert catalog.profile_ids() == ["chisquare", "g_test", "hellinger", "jensenshannon", "kl_div", "ks", "psi",
                                     "wasserstein", "z"]
    assert exc.value.line() == (f"mlmon: error: drift method '{method}' needs the rows, a profile holds summaries "
                                "(options); with profiles use one of: chisquare, g_test, hellinger, jensenshannon, "
                                "kl_div, ks, psi, wasserstein, z")


# ---------------------------------------------------------------------------- rows


@pytest.mark.parametrize("rows, distinct, warned", [(100, 100, True), (99, 99, False), (100, 95, False),
                                                    (100, 96, True)])
def test_an_integer_column_with_more_than_95_percent_distinct_of_at_least_100_values_looks_like_an_id(
        rows, distinct, warned):
    ref = pd.DataFrame({"u": np.arange(100)})
    cur = pd.DataFrame({"u": np.r_[np.arange(distinct) + 1000, np.full(rows - distinct, 1000)]})
    r = compute_drift(_frame_table("r", ref), _frame_table("c", cur), DriftOptions(numerical=["u"]))
    note = "u: almost every value is distinct: looks like an identifier; consider --exclude u"
    assert r.warnings == ([note] if warned else [])


def test_a_float_column_of_distinct_values_is_no_id():
    ref = pd.DataFrame({"u": np.arange(100.0)})
    assert compute_drift(_frame_table("r", ref), _frame_table("c", ref.copy())).warnings == []


@pytest.mark.parametrize("ref, cur, method", [
    ([1, 2, 3], [3, 4, 5], "chisquare"),  # 5 distinct values over both sides: tested as categories
    ([1, 2, 3], [4, 5, 6], "ks"),  # 6 over both sides
    ([1, 2, 3, 4, 5, 6], [1, 2], "ks"),  # 6 in the reference alone
    ([1, 2], [1, 2, 3, 4, 5, 6], "ks"),  # 6 in current alone
    ([1, 2, 3, 4, 5], [6], "ks"),  # 5 in the reference and one more in current
    ([6], [1, 2, 3, 4, 5], "ks"),  # 5 in current and one more in the reference
])
def test_more_than_five_distinct_numbers_over_both_sides_choose_a_numeric_test(ref, cur, method):
    r = compute_drift(_frame_table("r", pd.DataFrame({"v": np.array(ref * 10, dtype=float)})),
                      _frame_table("c", pd.DataFrame({"v": np.array(cur * 10, dtype=float)})),
                      DriftOptions(numerical=["v"]))
    assert r.columns["v"].method == method


def test_row_numbers_keep_float32_and_read_categorical_numbers_as_floats():
    frame = pd.DataFrame({"f": np.array([3, 1, 2], dtype=np.float32), "c": pd.Categorical([2.0, 1.0, np.nan])})
    source = RowSource(_frame_table("r", frame), _frame_table("c", frame.copy()))
    f = source.column(ColumnSpec("f", "numerical", "feature"))
    assert f.reference.dtype == np.float32 and f.reference.tolist() == [1.0, 2.0, 3.0] and f.n_unique == 3
    assert (f.reference_missing, f.current_missing, f.infinite) == (0, 0, 0)
    c = source.column(ColumnSpec("c", "numerical", "feature"))
    assert c.reference.tolist() == [1.0, 2.0] and (c.reference_missing, c.current_missing) == (1, 1)


def test_categories_of_mixed_types_sort_by_type_name_then_text():
    ref = pd.DataFrame({"m": pd.Series(["b", 1, "a", 2.5] * 10, dtype=object)})
    cur = pd.DataFrame({"m": pd.Series(["b", 1, "z", 3, None] * 8, dtype=object)})
    r = compute_drift(_frame_table("r", ref), _frame_table("c", cur), DriftOptions(categorical=["m"]))
    assert r.columns["m"].new_categories == ["3", "z"]  # ("int", "3") before ("str", "z")
    assert (r.columns["m"].reference_count, r.columns["m"].current_count, r.columns["m"].current_missing) == (
        40, 32, 8)


def test_infinite_numbers_tested_as_categories_are_dropped_and_counted_apart_from_missing():
    ref = pd.DataFrame({"x": [1.0, 2.0, np.inf, np.nan] * 10})
    cur = pd.DataFrame({"x": [1.0, -np.inf, 3.0, 2.0] * 10})
    r = compute_drift(_frame_table("r", ref), _frame_table("c", cur), DriftOptions(categorical=["x"]))
    c = r.columns["x"]
    assert (c.reference_count, c.current_count, c.reference_missing, c.current_missing, c.infinite_dropped) == (
        20, 30, 10, 0, 20)
    assert r.warnings == ["x: 20 infinite value(s) dropped", "x: 1 category only in current (3.0; 10 rows)"]


def test_pandas_categoricals_are_coded_over_the_union_of_both_category_lists():
    ref = pd.DataFrame({"x": pd.Categorical(["b", "a", None] * 10)})
    cur = pd.DataFrame({"x": pd.Categorical(["c", "a", "a"] * 10)})
    r = compute_drift(_frame_table("r", ref), _frame_table("c", cur), DriftOptions(categorical=["x"]))
    c = r.columns["x"]
    assert (c.reference_count, c.current_count, c.reference_missing, c.new_categories) == (20, 30, 10, ["c"])
    assert r.warnings == ["x: 1 category only in current (c; 10 rows)"]


@pytest.mark.parametrize("ref, cur, kind", [
    ([0, 2 ** 61, 0, 5], [5, 0, 7, 0], pa.int64()),  # a range too wide to count in one pass
    ([-2 ** 61, 2 ** 61, 0, 5], [5, 0, 7, 0], pa.int64()),  # wide, around zero
    ([2 ** 63, 2 ** 63 + 1, 2 ** 63 + 1, 2 ** 63 + 2], [2 ** 63 + 2, 2 ** 63, 2 ** 63 + 7, 2 ** 63], pa.uint64()),
])
def test_integer_categories_from_arrow_are_the_pandas_frames_whatever_their_range(tmp_path, ref, cur, kind):
    r, c = str(tmp_path / "r.parquet"), str(tmp_path / "c.parquet")
    pq.write_table(pa.table({"k": pa.array(ref * 10, kind)}), r)
    pq.write_table(pa.table({"k": pa.array(cur * 10, kind)}), c)
    ref_t, cur_t = read_table(r), read_table(c)
    assert ref_t.in_arrow and ref_t.integers("k") is not None
    options = DriftOptions(categorical=["k"])
    arrow = compute_drift(ref_t, cur_t, options).to_dict()
    frames = compute_drift(_frame_table(r, read_table(r).frame), _frame_table(c, read_table(c).frame),
                           options).to_dict()
    assert arrow["columns"] == frames["columns"] and arrow["warnings"] == frames["warnings"]
    assert arrow["columns"]["k"]["new_categories"] == [str(cur[2])]


@pytest.mark.parametrize("cells, message", [
    ([[1.0, 2.0], ["a", "b"], [3.0, 4.0]],
     "embedding column 'emb' holds values that are not numbers inside its vectors (c.parquet); export the vectors as "
     "lists of floats (missing values as NaN rows dropped), or --exclude the column"),
    # rows 2 and 3 hold a NaN; row 1 has no vector, so the first bad vector is the file's row 2
    ([[1.0, 2.0], None, [3.0, np.nan], [np.nan, 1.0]],
     "embedding column 'emb' has NaN inside 2 vector(s) (first at row 2) (c.parquet); fill or drop those rows before "
     "the check, or --exclude the column"),
])
def test_list_vectors_with_text_or_nan_inside_are_refused_word_for_word(cells, message):
    ok = pd.DataFrame({"emb": [[1.0, 2.0]] * 3})
    source = RowSource(Table("r.parquet", ok, {"emb": "other"}), Table("c.parquet", pd.DataFrame({"emb": cells}),
                                                                     {"emb": "other"}))
    with pytest.raises(MlmonError) as exc:
        source.column(ColumnSpec("emb", EMBEDDING, "feature"))
    assert exc.value.line() == "mlmon: error: " + message


def test_float_values_tested_as_categories_from_a_profile_have_no_pooled_bin():
    ref = pd.DataFrame({"x": [1.0, 2.0, 3.0] * 20})
    cur = pd.DataFrame({"x": [1.0, 2.0, 3.0] * 19 + [1.0, 2.0, 2.0]})
    rows, prof = _both(ref, cur, {"x": "float"}, DriftOptions(categorical=["x"], method="chisquare"))
    p, r = prof["columns"]["x"], rows["columns"]["x"]
    assert 0 < r["score"] < 1
    assert (p["score"], p["statistic"]) == pytest.approx((r["score"], r["statistic"]), rel=1e-12)



def test_mixed_type_categories_sort_by_type_name_and_within_a_type_by_text():
    # sorted() cannot compare str with float: ("float", "2.5") < ("int", "1") < ("str", "y") < ("str", "z")
    ref = pd.DataFrame({"m": pd.Series(["b", "a"] * 20, dtype=object)})
    cur = pd.DataFrame({"m": pd.Series(["z", "y", 2.5, 1, "b"] * 8, dtype=object)})
    r = compute_drift(_frame_table("r", ref), _frame_table("c", cur), DriftOptions(categorical=["m"]))
    assert r.columns["m"].new_categories == ["2.5", "1", "y", "z"]


def test_a_categorical_column_missing_on_both_sides_is_skipped():
    frame = pd.DataFrame({"m": [np.nan] * 40, "a": np.arange(40.0)})
    r = compute_drift(_frame_table("r", frame), _frame_table("c", frame.copy()), DriftOptions(categorical=["m"]))
    assert r.skipped == {"m": "all values missing"}


def test_forcing_categories_on_a_column_missing_in_both_files_skips_it_from_the_command_line(tmp_path):
    from mlmon_testing import run_mlmon

    frame = pd.DataFrame({"m": [np.nan] * 40, "a": np.arange(40.0)})
    frame.to_csv(tmp_path / "r.csv", index=False)
    frame.to_csv(tmp_path / "c.csv", index=False)
    run = run_mlmon("drift", tmp_path / "r.csv", tmp_path / "c.csv", "--categorical", "m", "--format", "json",
                    "--no-history")
    assert run.code == 0, run.err
    assert run.json()["skipped"] == {"m": "all values missing"}


@pytest.mark.parametrize("ref_type, cur_type, ref, cur, new", [
    (pa.int8(), pa.int64(), [1, 2], [1, 2, 1000], "1000"),
    (pa.int64(), pa.int8(), [1, 2, 1000], [1, 2, -5], "-5"),
    (pa.int8(), pa.int64(), [1, 2], [1, 2, 2 ** 40], str(2 ** 40)),  # too wide to count in one pass
])
def test_integer_categories_of_two_widths_are_named_in_the_wider_type(tmp_path, ref_type, cur_type, ref, cur, new):
    r, c = str(tmp_path / "r.parquet"), str(tmp_path / "c.parquet")
    pq.write_table(pa.table({"k": pa.array(ref * 20, ref_type)}), r)
    pq.write_table(pa.table({"k": pa.array(cur * 20, cur_type)}), c)
    res = compute_drift(read_table(r), read_table(c), DriftOptions(categorical=["k"]))
    assert res.columns["k"].new_categories == [new]


def test_the_result_names_each_table_and_its_row_count():
    ref, cur = pd.DataFrame({"a": np.arange(40.0)}), pd.DataFrame({"a": np.arange(35.0)})
    r = compute_drift(_frame_table("r.csv", ref), _frame_table("c.csv", cur))
    assert (r.reference, r.current) == ({"path": "r.csv", "rows": 40}, {"path": "c.csv", "rows": 35})


def test_a_pandas_categorical_against_plain_text_is_coded_over_both_sides_values():
    ref = pd.DataFrame({"x": pd.Categorical(["b", "a", None] * 10)})
    cur = pd.DataFrame({"x": pd.Series(["c", "a", "a"] * 10, dtype=object)})
    r = compute_drift(_frame_table("r", ref), _frame_table("c", cur), DriftOptions(categorical=["x"]))
    c = r.columns["x"]
    assert (c.reference_count, c.current_count, c.reference_missing, c.new_categories) == (20, 30, 10, ["c"])
