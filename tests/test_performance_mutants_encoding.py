"""From role columns to arrays, at the edges (found by mutation testing:
``scripts/mutation scripts/mlmon/services/performance/encoding.py``): probabilities at 0 and 1 and
beyond, every refusal word for word, class codes for numbers, text and mixtures, the range check
of ready-made codes, probability columns matched to classes by name, the argmax check at its
bounds, and the positive class of a binary task."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlmon.errors import OPTIONS, MlmonError, option
from mlmon.services.performance.encoding import (MIN_ARGMAX_AGREEMENT, MIN_ARGMAX_ROWS, Encoder, _codes, _proba,
                                                 _within, class_of_columns)
from mlmon.services.performance.options import PerfOptions


def _refusal(call):
    with pytest.raises(MlmonError) as err:
        call()
    return err.value.what, err.value.where, err.value.todo


# ---------------------------------------------------------------------------- probabilities


def test_probabilities_of_exactly_0_and_1_are_kept_as_float64():
    p, gaps = _proba(pd.DataFrame({"p": np.array([0.0, 0.25, 1.0], dtype=np.float32)}), "p", "current")
    assert (p.dtype, p.tolist(), gaps) == (np.float64, [0.0, 0.25, 1.0], False)
    p, gaps = _proba(pd.DataFrame({"p": [0.0, None, 1.0]}), "p", "current")
    assert np.isnan(p[1]) and (p[0], p[2], gaps) == (0.0, 1.0, True)
    p, gaps = _proba(pd.DataFrame({"p": pd.Series([], dtype=float)}), "p", "current")
    assert (p.size, gaps) == (0, False)


def test_probabilities_beyond_0_and_1_are_counted_and_the_first_shown():
    for values, what in (([0.5, 1.5, -0.25], "2 probabilities outside [0, 1] in column 'p', e.g. 1.5"),
                         ([0.5, -1e-9], "1 probabilities outside [0, 1] in column 'p', e.g. -1e-09"),
                         ([1.0000001, 0.0], "1 probabilities outside [0, 1] in column 'p', e.g. 1.0000001"),
                         ([1.0, -0.5], "1 probabilities outside [0, 1] in column 'p', e.g. -0.5")):
        assert _refusal(lambda: _proba(pd.DataFrame({"p": values}), "p", "reference")) == (
            what, "reference column p", f"pass probabilities (not scores or logits) with {option('proba')}")


def test_an_empty_or_textual_probability_column_is_refused_naming_it():
    assert _refusal(lambda: _proba(pd.DataFrame({"p": [None, None]}, dtype=float), "p", "current")) == (
        "probability column 'p' is empty", "current column p", f"fill it, or leave out {option('proba')}")
    text = pd.DataFrame({"p": pd.Series(["0.5", "high"], dtype="string")})
    assert _refusal(lambda: _proba(text, "p", "current")) == (
        "probability column 'p' is not numeric (1 rows, e.g. 'high')", "current column p",
        "a probability must be numbers here")
    p, _ = _proba(pd.DataFrame({"p": pd.Series(["0.5", "1"], dtype="string")}), "p", "current")
    assert p.tolist() == [0.5, 1.0]


# ---------------------------------------------------------------------------- class codes


def test_class_codes_for_numbers_text_and_mixtures():
    assert _codes(pd.Series([0, 2, 1]), [0, 1, 2]).tolist() == [0, 2, 1]  # ready-made codes, checked by range
    assert _codes(pd.Series([0, 3, 1]), [0, 1, 2]).tolist() == [0, -1, 1]
    assert _codes(pd.Series([1, 2, 1]), ["x", 1, 2]).tolist() == [1, 2, 1]  # a class only text names
    assert _codes(pd.Series(["1", "x", None]), [0, 1]).tolist() == [1, -1, -1]  # numbers written as text
    assert _codes(pd.Series([1.0, np.nan, 2.5]), [1, 2.5]).tolist() == [0, -1, 1]
    many = list(range(64))
    assert _codes(pd.Series([63, 5]), many).tolist() == [63, 5]
    assert _codes(pd.Series([64, 5]), many + [64]).tolist() == [64, 5]
    assert _codes(pd.Series([0, 1]), [0, 1]).dtype == np.int64
    assert _codes(pd.Series([0, 1, 2]), [0, 2]).tolist() == [0, -1, 1]  # not codes already: 1 is no class
    assert _codes(pd.Series([0, 1]), [0, 2]).tolist() == [0, -1]  # in range of the count, yet 1 is no class
    assert _codes(pd.Series([True, False, None], dtype="boolean"), [0, 1, "maybe"]).tolist() == [1, 0, -1]
    assert _codes(pd.Series([1.0, 2.5, np.nan]), [1, 2.5, "x"]).tolist() == [0, 1, -1]


def test_ready_made_codes_lie_in_0_to_k_minus_1():
    for distinct in ([0, 2], None):
        assert bool(_within(np.array([0, 2]), 3, distinct)) is True
    for values in ([1, 3], [-1, 1]):
        assert _within(np.array(values), 3, values) is False
        assert bool(_within(np.array(values), 3)) is False
    assert _within(np.array([0]), 1, [0]) is True and bool(_within(np.array([0]), 1)) is True
    assert _within(np.array([2]), 3, [2]) is True and bool(_within(np.array([2]), 3)) is True
    assert _within(np.array([], dtype=np.int64), 3, []) is False and bool(_within(np.array([], dtype=np.int64), 3)) is False


# ---------------------------------------------------------------------------- probability columns by name


@pytest.mark.parametrize("sep", ["_", "-", ".", " ", ":", "="])
def test_a_class_is_read_from_a_column_name_with_any_separator(sep):
    cols = [f"proba{sep}dog", f"cat{sep}probability"]
    assert class_of_columns(cols, ["cat", "dog"]) == [f"cat{sep}probability", f"proba{sep}dog"]


def test_names_that_do_not_pin_one_class_each_leave_the_order_as_given():
    assert class_of_columns(["p_a"], ["a", "b"]) is None  # fewer columns than classes
    assert class_of_columns(["p_a", "a_prob"], ["a", "b"]) is None  # two columns for one class
    assert class_of_columns(["p_a", "p_zebra"], ["a", "b"]) is None  # a name without a class
    assert class_of_columns(["zzat", "p_dog"], ["at", "dog"]) is None  # a class inside a name is no affix
    assert class_of_columns(["abcd", "p_x"], ["ab", "x"]) is None
    assert class_of_columns([], []) is None


def _multiclass(cols, **kw):
    return Encoder(PerfOptions(**{"task": "multiclass", "target": "y", "prediction": "yhat", "proba": cols, **kw}))


def _frame(n, classes, agree, seed=0):
    """``n`` rows predicting ``classes`` in turn, whose probabilities put their mass on the predicted
    class for the first ``agree`` rows and on the next class after it for the rest."""
    k = len(classes)
    pred = np.arange(n) % k
    top = np.where(np.arange(n) < agree, pred, (pred + 1) % k)
    p = np.full((n, k), 0.1 / (k - 1))
    p[np.arange(n), top] = 0.9
    frame = pd.DataFrame({"y": np.array(classes)[pred], "yhat": np.array(classes)[pred]})
    for j, c in enumerate(classes):
        frame[f"p_{c}"] = p[:, j]
    return frame


def test_columns_already_in_the_classes_order_are_matched_without_a_warning():
    enc = _multiclass(["p_a", "p_b", "p_c"])
    enc.encode(_frame(30, ["a", "b", "c"], 30), "current")
    assert (enc.proba_mapped, enc.warnings) == (["p_a", "p_b", "p_c"], [])
    enc = _multiclass(["p_c", "p_a", "p_b"])
    enc.encode(_frame(30, ["a", "b", "c"], 30), "current")
    assert enc.warnings == ["probability columns matched to classes by name: p_a = a, p_b = b, p_c = c"]


def test_the_argmax_check_starts_at_20_rows_and_passes_at_half_of_them():
    assert (MIN_ARGMAX_ROWS, MIN_ARGMAX_AGREEMENT) == (20, 0.5)
    cols = ["p_a", "p_b", "p_c"]
    _multiclass(cols).encode(_frame(19, ["a", "b", "c"], 0), "current")  # too few rows to judge
    _multiclass(cols).encode(_frame(20, ["a", "b", "c"], 10), "current")  # half of them agree
    what, _, _ = _refusal(lambda: _multiclass(cols).encode(_frame(20, ["a", "b", "c"], 9), "current"))
    assert what == "the probability columns' most likely class matches the predicted class on only 45% of rows"
    # every column is most likely where the class before it is predicted: the order they look like
    what, where, todo = _refusal(lambda: _multiclass(cols).encode(_frame(20, ["a", "b", "c"], 0), "current"))
    assert what == ("the probability columns' most likely class matches the predicted class on only 0% of rows "
                    "(they look like classes c, a, b in that order)")
    assert where == f"current, {option('proba')} p_a,p_b,p_c"
    assert todo == (f"give {option('proba')} one column per class in the classes' sorted order (a, b, c), "
                    "or name each column after its class (proba_<class>)")


def test_the_argmax_refusal_names_no_order_when_a_column_is_never_the_most_likely():
    frame = _frame(30, ["a", "b", "c"], 0)
    frame[["p_a", "p_b", "p_c"]] = [0.1, 0.2, 0.7]  # c is always the most likely: a and b never
    frame["yhat"] = np.array(["a", "b"])[np.arange(30) % 2]
    what, _, _ = _refusal(lambda: _multiclass(["p_a", "p_b", "p_c"]).encode(frame, "current"))
    assert what == "the probability columns' most likely class matches the predicted class on only 0% of rows"


def test_eleven_classes_are_listed_ten_at_most():
    classes = [f"k{i:02d}" for i in range(11)]
    what, _, todo = _refusal(lambda: _multiclass([f"p_{c}" for c in classes]).encode(
        _frame(33, classes, 0), "current"))
    assert todo.endswith("(k00, k01, k02, k03, k04, k05, k06, k07, k08, k09), or name each column after its class "
                         "(proba_<class>)")


# ---------------------------------------------------------------------------- the positive class


def _positive(target, pred=None, **kw):
    enc = Encoder(PerfOptions(task="binary", target="y", prediction="yhat", **kw))
    frame = pd.DataFrame({"y": target, "yhat": target if pred is None else pred})
    enc.encode(frame, "current")
    return enc.positive, enc.negative, enc.warnings


def test_the_positive_class_is_1_true_or_the_larger_of_two_labels():
    assert _positive([0, 1, 1])[:2] == (1, 0)
    assert _positive(["true", "false"])[:2] == ("true", "false")
    assert _positive(["no", "yes", "no"]) == ("yes", "no", [
        f"positive class taken as 'yes' (the larger label); pass {option('positive_label')} to choose another"])


def test_three_labels_for_a_binary_task_are_refused_listing_six_at_most():
    assert _refusal(lambda: _positive(["a", "b", "c"])) == (
        "3 classes for a binary task (a, b, c)", "column y", f"use {option('task')} multiclass")
    what, _, _ = _refusal(lambda: _positive(list("abcdefg")))
    assert what == "7 classes for a binary task (a, b, c, d, e, f)"


# ---------------------------------------------------------------------------- values shown in messages


@pytest.mark.parametrize("ids, shown", [([7, 7, 8], "7"), (["a7", "a7", "b"], "'a7'"), ([7.5, 7.5, 1.0], "7.5")])
def test_a_duplicate_label_id_is_shown_as_written_not_as_a_numpy_scalar(ids, shown):
    from mlmon.services.labels import join_labels

    predictions = pd.DataFrame({"id": ids[1:], "yhat": [0, 1]})
    labels = pd.DataFrame({"id": ids, "y": [0, 1, 1]})
    assert _refusal(lambda: join_labels(predictions, labels, "id", ["y"])) == (
        f"2 label rows share an id, e.g. {shown}", f"{option('labels')} column id",
        "keep one label per id (the latest) before joining")


# ---------------------------------------------------------------------------- distinct values and classes


def test_distinct_integer_labels_whatever_their_range():
    from mlmon.services.performance.encoding import _distinct

    assert _distinct(pd.Series([1, 0, 1])) == [0, 1]
    assert _distinct(pd.Series([-5, 3, 0, 3])) == [-5, 0, 3]  # below zero: counted from the smallest
    assert _distinct(pd.Series([9, 5, 7, 5])) == [5, 7, 9]
    assert sorted(_distinct(pd.Series([-10 ** 15, 5, 0]))) == [-10 ** 15, 0, 5]  # too wide to count: hashed
    assert _distinct(pd.Series([], dtype=np.int64)) == []


def test_classes_of_mixed_numbers_and_text_sort_by_their_text():
    from mlmon.services.performance.encoding import _uniques_of

    assert _uniques_of(["b", 1], ["a", True, 2.0]) == [1, 2, "a", "b"]
    assert _uniques_of([2.5, 1], [False]) == [0, 1, 2.5]


def test_a_binary_task_that_saw_only_true_names_false_as_the_negative_class():
    assert _positive(["true", "true"])[:2] == ("true", "False")
    assert _positive(["True", "True"])[:2] == ("True", "False")
    assert _positive([1, 1])[:2] == (1, 0)


# ---------------------------------------------------------------------------- a binary task's columns


def _binary(frame, where="current", **kw):
    return Encoder(PerfOptions(task="binary", **kw)).encode(frame, where)


def test_a_binary_task_takes_one_probability_column_and_some_prediction():
    two = pd.DataFrame({"y": [0, 1], "p0": [0.6, 0.3], "p1": [0.4, 0.7]})
    assert _refusal(lambda: _binary(two, target="y", proba=["p0", "p1"])) == (
        "a binary task takes one probability column", option("proba"), "pass the positive class's column only")
    assert _refusal(lambda: _binary(pd.DataFrame({"y": [0, 1]}), target="y")) == (
        "no prediction column", OPTIONS, f"pass {option('prediction')} COL or {option('proba')} COL")


def test_without_a_prediction_the_probability_at_the_threshold_predicts_the_positive_class():
    e = _binary(pd.DataFrame({"y": [0, 1, 1], "p": [0.5, 0.49, 0.9]}), target="y", proba="p", threshold=0.5)
    assert (e.yhat.dtype, e.yhat.tolist()) == (np.int64, [1, 0, 1])
    assert _refusal(lambda: _binary(pd.DataFrame({"y": [0, 1], "p": [0.5, 1.5]}), where="reference", target="y",
                                    proba="p"))[1] == "reference column p"


def test_a_float_prediction_of_probabilities_is_refused_but_0_and_1_are_classes():
    for values in ([0.0, 0.5, 1.0], [0.25, 0.75]):
        assert _refusal(lambda: _binary(pd.DataFrame({"y": [0] * len(values), "yhat": values}), target="y",
                                        prediction="yhat")) == (
            "prediction column 'yhat' holds probabilities, not classes", "current column yhat",
            f"pass it as {option('proba')} yhat")
    assert _binary(pd.DataFrame({"y": [0, 1], "yhat": [0.0, 1.0]}), target="y", prediction="yhat").yhat.tolist() == [0, 1]
    # beyond [0, 1]: not probabilities, so read as classes (four here, too many for a binary task)
    what, _, _ = _refusal(lambda: _binary(pd.DataFrame({"y": [0, 1], "yhat": [0.5, 1.5]}), target="y",
                                          prediction="yhat"))
    assert what == "4 classes for a binary task (0, 0.5, 1, 1.5)"


def test_a_reference_with_a_third_class_is_refused_after_the_current_fixed_the_two():
    enc = Encoder(PerfOptions(task="binary", target="y", prediction="yhat"))
    enc.encode(pd.DataFrame({"y": [0, 1], "yhat": [0, 1]}), "current")
    assert _refusal(lambda: enc.encode(pd.DataFrame({"y": [0, 1, 2], "yhat": [0, 1, 1]}), "reference")) == (
        "target column 'y' has more than two classes for a binary task", "reference column y",
        f"use {option('task')} multiclass")


def test_binary_rows_missing_a_prediction_or_a_probability_are_labeled_but_dropped():
    frame = pd.DataFrame({"y": [0, 1, 1, 0], "yhat": [0.0, np.nan, 1.0, 0.0], "p": [0.2, 0.9, np.nan, 0.1]})
    e = _binary(frame, target="y", prediction="yhat", proba="p")
    assert (e.labeled.tolist(), e.dropped) == ([True, False, False, True], 2)
    e = _binary(frame.drop(columns=["yhat"]), target="y", proba="p")
    assert (e.labeled.tolist(), e.dropped, e.yhat.tolist()) == ([True, True, False, True], 1, [0, 1, 0, 0])
    e = _binary(frame.drop(columns=["y"]), prediction="yhat", proba="p")  # no labels yet: nothing to check
    assert e.y is None and e.labeled.tolist() == [False] * 4


# ---------------------------------------------------------------------------- a multiclass task's columns


def test_multiclass_classes_come_from_the_labels_and_the_predictions_together():
    frame = pd.DataFrame({"y": ["a", "b", "b"], "yhat": ["c", "b", "a"]})  # c predicted, never a label
    e = _multiclass(None).encode(frame, "current")
    assert (e.classes, e.y.tolist(), e.yhat.tolist()) == (["a", "b", "c"], [0, 1, 1], [2, 1, 0])
    e = _multiclass(None).encode(frame.assign(y=["d", "b", "b"]), "current")  # d a label, never predicted
    assert e.classes == ["a", "b", "c", "d"]


def test_multiclass_refusals_word_for_word():
    assert _refusal(lambda: _multiclass(None, prediction=None).encode(pd.DataFrame({"y": ["a"]}), "current")) == (
        "no prediction column", OPTIONS, f"multiclass needs {option('prediction')} COL")
    classes = [f"k{i:02d}" for i in range(11)]
    frame = pd.DataFrame({"y": classes, "yhat": classes, "p0": 0.5, "p1": 0.5})
    assert _refusal(lambda: _multiclass(["p0", "p1"]).encode(frame, "current")) == (
        "2 probability columns for 11 classes (k00, k01, k02, k03, k04, k05, k06, k07, k08, k09)", option("proba"),
        "give one column per class, in the classes' sorted order")


def test_a_class_only_the_reference_labels_is_refused_and_rows_missing_a_probability_are_dropped():
    enc = _multiclass(["p_a", "p_b"])
    cur = pd.DataFrame({"y": ["a", "b", "a", "b"], "yhat": ["a", "b", "b", "a"],
                        "p_a": [0.9, 0.2, np.nan, 0.6], "p_b": [0.1, 0.8, 0.5, 0.4]})
    e = enc.encode(cur, "current")
    assert (e.labeled.tolist(), e.dropped) == ([True, True, False, True], 1)
    assert _refusal(lambda: enc.encode(cur.assign(y=["a", "b", "c", "a"]), "reference")) == (
        "the reference holds a class the current data never shows", "reference column y",
        "use a reference and current period with the same classes")
    assert _refusal(lambda: _multiclass(["p_a", "p_b"]).encode(cur.assign(p_b=[0.1, 0.8, 0.5, 1.4]), "reference")
                    )[:2] == ("1 probabilities outside [0, 1] in column 'p_b', e.g. 1.4", "reference column p_b")


# ---------------------------------------------------------------------------- a regression task's columns


def test_regression_columns_that_are_not_numbers_are_named_with_their_role():
    o = dict(task="regression", target="y", prediction="yhat", lower="lo", upper="hi")
    good = pd.DataFrame({"y": [1.0, 2.0], "yhat": [1.5, 2.5], "lo": [0.0, 1.0], "hi": [2.0, 3.0]})
    for column, what in (("y", "target"), ("yhat", "prediction"), ("lo", "interval bound"), ("hi", "interval bound")):
        bad = good.assign(**{column: ["1", "x"]})
        assert _refusal(lambda: Encoder(PerfOptions(**o)).encode(bad, "reference")) == (
            f"{what} column {column!r} is not numeric (1 rows, e.g. 'x')", f"reference column {column}",
            f"a {what} must be numbers here")
    e = Encoder(PerfOptions(**{**o, "target": None})).encode(good.drop(columns=["y"]), "current")  # no labels yet
    assert e.y is None and (e.lower.tolist(), e.upper.tolist()) == ([0.0, 1.0], [2.0, 3.0])


def test_regression_values_from_text_and_nullable_booleans_and_rows_without_a_prediction():
    from mlmon.services.performance.encoding import _numeric

    assert _numeric(pd.Series(["1", "2.5", None]), "y", "target", "current")[:2].tolist() == [1.0, 2.5]
    flags = _numeric(pd.Series([True, None, False], dtype="boolean"), "y", "target", "current")
    assert flags.dtype == np.float64 and flags[[0, 2]].tolist() == [1.0, 0.0] and np.isnan(flags[1])
    assert _refusal(lambda: _numeric(pd.Series([1.0, np.inf]), "y", "target", "current")) == (
        "target column 'y' holds infinite values", "current column y", "remove or fix those rows")
    frame = pd.DataFrame({"y": [1.0, 2.0, 3.0, np.nan], "yhat": [1.5, np.nan, 3.0, 4.0]})
    e = Encoder(PerfOptions(task="regression", target="y", prediction="yhat")).encode(frame, "current")
    assert (e.labeled.tolist(), e.dropped, e.lower, e.upper) == ([True, False, True, False], 1, None, None)
    assert _numeric(pd.Series([1, 2]), "y", "target", "current").dtype == np.float64


# ---------------------------------------------------------------------------- role columns the data lack


ROLES = dict(task="regression", target="y", prediction="yhat", lower="lo", upper="hi", timestamp="ts",
             label_timestamp="lts")


@pytest.mark.parametrize("field, column", [(f, c) for f, c in ROLES.items() if f != "task"])
def test_a_role_column_the_data_lack_is_named_with_its_flag(field, column):
    frame = pd.DataFrame({c: [1.0, 2.0] for f, c in ROLES.items() if f != "task"}).drop(columns=[column])
    assert _refusal(lambda: Encoder(PerfOptions(**ROLES)).encode(frame, "current")) == (
        f"column {column!r} not in the data", f"current, {option(field)} {column}",
        "columns are: " + ", ".join(frame.columns))


def test_the_reference_needs_no_label_timestamp_and_an_estimate_no_target_yet():
    frame = pd.DataFrame({c: [1.0, 2.0] for f, c in ROLES.items() if f != "task"})
    Encoder(PerfOptions(**ROLES)).encode(frame.drop(columns=["lts"]), "reference")
    Encoder(PerfOptions(**ROLES, estimate=True)).encode(frame.drop(columns=["y"]), "current")
    assert _refusal(lambda: Encoder(PerfOptions(**ROLES, estimate=True)).encode(frame.drop(columns=["y", "yhat"]),
                                                                                 "current"))[0] == (
        "column 'yhat' not in the data")


def test_a_probability_column_named_by_one_string_is_one_column():
    e = _binary(pd.DataFrame({"y": [0, 1], "score": [0.2, 0.9]}), target="y", proba="score")
    assert e.proba.tolist() == [0.2, 0.9]
    assert _refusal(lambda: _binary(pd.DataFrame({"y": [0, 1]}), target="y", proba="score")) == (
        "column 'score' not in the data", f"current, {option('proba')} score", "columns are: y")


def test_the_argmax_refusal_names_the_order_only_when_every_column_was_the_most_likely_somewhere():
    # p_b is most likely where c is predicted, p_c where b is; p_a never: no order to suggest
    frame = pd.DataFrame({"y": ["b", "c"] * 10, "yhat": ["c", "b"] * 10,
                          "p_a": 0.1, "p_b": [0.8, 0.1] * 10, "p_c": [0.1, 0.8] * 10})
    what, _, _ = _refusal(lambda: _multiclass(["p_a", "p_b", "p_c"]).encode(frame.assign(y=["a", "b"] * 10), "current"))
    assert what == "the probability columns' most likely class matches the predicted class on only 0% of rows"


def test_the_reference_needs_one_label_at_least():
    enc = Encoder(PerfOptions(task="binary", target="y", prediction="yhat"))
    assert _refusal(lambda: enc.encode(pd.DataFrame({"y": [None, None], "yhat": [0, 1]}, dtype=float), "reference",
                                       need_labels=True)) == (
        "the reference has no labels", "reference column y", "a baseline needs a labeled reference")
    assert enc.encode(pd.DataFrame({"y": [1.0, None], "yhat": [0, 1]}), "reference", need_labels=True).labeled.tolist() \
        == [True, False]


def test_positive_classes_when_labels_are_missing_or_a_chosen_positive_meets_many_values():
    assert _positive([np.nan, np.nan])[0] == 1  # nothing seen: 1
    enc = Encoder(PerfOptions(task="binary", prediction="yhat"))  # text predictions, no labels
    enc.encode(pd.DataFrame({"yhat": ["no", "yes"]}), "current")
    assert (enc.positive, enc.negative) == ("yes", "no")
    assert _positive(["a", "a"]) == ("a", None, [
        f"positive class taken as 'a' (the larger label); pass {option('positive_label')} to choose another"])
    what, _, _ = _refusal(lambda: _positive([1, "a", "b", "c", "d", "e", "f"], positive_label=1))
    assert what == "7 classes for a binary task (1, a, b, c, d, e)"


def test_multiclass_rows_without_a_prediction_are_dropped_even_with_probabilities():
    frame = pd.DataFrame({"y": ["a", "b", "a"], "yhat": ["a", None, "b"], "p_a": [0.9, 0.3, 0.2], "p_b": [0.1, 0.7, 0.8]})
    e = _multiclass(["p_a", "p_b"]).encode(frame, "current")
    assert (e.labeled.tolist(), e.dropped) == ([True, False, True], 1)


def test_sixteen_columns_are_listed_fifteen_at_most():
    from mlmon.services.performance.encoding import require_column

    frame = pd.DataFrame({f"c{i:02d}": [0] for i in range(16)})
    assert _refusal(lambda: require_column(frame, "y", "--target", "current"))[2] == (
        "columns are: " + ", ".join(f"c{i:02d}" for i in range(15)))
