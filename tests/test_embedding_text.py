"""`mlmon drift --text COL`: a text column tested through three descriptors as numbers.

Expected values are counted by hand from the small texts each test writes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlmon.services.drift.text import descriptors, vocabulary
from mlmon_testing import run_mlmon


def test_descriptors_by_hand():
    texts = pd.Series(["Good product!", "bad, BAD", "", None, "123 ok"])
    d = descriptors(texts, vocabulary(pd.Series(["a good product", "ok then"])))
    assert d["length"].tolist()[:3] == [13.0, 8.0, 0.0] and np.isnan(d["length"][3])
    assert d["non_letters"][0] == pytest.approx(2 / 13)   # the space and "!"
    assert d["non_letters"][1] == pytest.approx(2 / 8)    # "," and the space
    assert np.isnan(d["non_letters"][2])                   # an empty text has no characters to share
    assert d["non_letters"][4] == pytest.approx(4 / 6)     # "1", "2", "3", " "
    assert d["oov"].tolist()[0] == 0.0 and d["oov"][1] == 1.0  # "bad" twice, not in the vocabulary
    assert np.isnan(d["oov"][2]) and d["oov"][4] == 0.0        # digits are not words


def _reviews(n, seed, words):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"review": [" ".join(rng.choice(words, rng.integers(3, 9))) for _ in range(n)],
                         "x": rng.normal(size=n)})


def test_new_words_move_the_out_of_vocabulary_share_and_nothing_else(tmp_path):
    base = ["".join(p) for p in zip(np.repeat(list("abcdefghij"), 10), np.tile(list("klmnopqrst"), 10))]
    new = ["".join(p) for p in zip(np.repeat(list("uvwxyz"), 5), np.tile(list("abcde"), 6))]
    _reviews(3000, 0, base).to_parquet(tmp_path / "r.parquet")
    _reviews(3000, 1, base + new).to_parquet(tmp_path / "c.parquet")
    run = run_mlmon("drift", tmp_path / "r.parquet", tmp_path / "c.parquet", "--text", "review", "--format", "json",
                    "--no-history")
    assert run.code == 0, run.err
    cols = run.json()["columns"]
    assert list(cols) == ["review:length", "review:non_letters", "review:oov", "x"]
    assert cols["review:oov"]["drifted"] is True and cols["review:oov"]["type"] == "numerical"
    assert cols["review:length"]["drifted"] is False


@pytest.mark.parametrize("column, message", [
    ("x", "--text x: column holds float values, not text"),
    ("comment", "--text names column 'comment', which is not in the data"),
])
def test_a_text_option_naming_no_text_column_is_refused(tmp_path, column, message):
    _reviews(50, 0, ["ab", "cd"]).to_parquet(tmp_path / "r.parquet")
    _reviews(50, 1, ["ab", "cd"]).to_parquet(tmp_path / "c.parquet")
    run = run_mlmon("drift", tmp_path / "r.parquet", tmp_path / "c.parquet", "--text", column, "--no-history")
    assert run.code == 2 and run.out == "" and run.err.count("\n") == 1 and message in run.err
