"""Streaming reader: a source read in bounded batches is the source read whole.

The specification is :func:`mlmon.io.tables.read_table`: concatenating the batches of
:func:`mlmon.io.stream.open_stream` gives the same values, dtypes and column kinds, for parquet
files, directories of them (with row groups and files cut anywhere) and CSV.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlmon.errors import MlmonError
from mlmon.io.stream import open_stream
from mlmon.io.tables import read_table


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categoricals as plain values: per-batch categories differ, the values must not."""
    return frame.astype({c: "object" for c in frame.columns if frame[c].dtype.name == "category"}).reset_index(drop=True)


def _streamed(path, batch_rows):
    stream = open_stream(str(path), batch_rows=batch_rows)
    batches = list(stream.batches())
    return stream, batches, pd.concat([_plain(b) for b in batches], ignore_index=True)


def _assert_same_as_whole(path, batch_rows):
    whole = read_table(str(path))
    stream, batches, frame = _streamed(path, batch_rows)
    assert stream.kinds == whole.kinds
    assert stream.rows == whole.rows == len(frame)
    assert max(len(b) for b in batches) <= batch_rows
    pd.testing.assert_frame_equal(frame, _plain(whole.frame), check_exact=True)
    for b in batches:  # every batch typed alike: text stays categorical even when a batch is all missing
        for name, kind in stream.kinds.items():
            if kind in ("string", "category"):
                assert b[name].dtype.name == "category"
    return stream, batches


def _frame(n, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "x": rng.normal(size=n),
        "count": rng.integers(0, 1000, n),
        "label": rng.choice(["a", "b", "c"], n),
        "flag": rng.random(n) < 0.3,
        "level": pd.Categorical(rng.choice(["low", "high"], n)),
    })


def test_parquet_directory_in_batches_equals_the_directory_read_whole(tmp_path):
    frame = _frame(1000)
    (tmp_path / "d").mkdir()
    frame.iloc[:600].to_parquet(tmp_path / "d" / "a.parquet", row_group_size=130)
    frame.iloc[600:].to_parquet(tmp_path / "d" / "b.parquet", row_group_size=130)
    stream, batches = _assert_same_as_whole(tmp_path / "d", batch_rows=70)
    assert stream.kinds == {"x": "float", "count": "int", "label": "string", "flag": "bool", "level": "category"}
    assert len(batches) >= -(-600 // 70) + -(-400 // 70)


def test_integer_column_with_a_missing_value_in_one_file_is_float_in_every_batch(tmp_path):
    """Read whole, pandas makes an int column with a null float64: so must every batch, even null-free ones."""
    (tmp_path / "d").mkdir()
    pq.write_table(pa.table({"n": pa.array([1, 2, 3], pa.int64())}), tmp_path / "d" / "a.parquet")
    pq.write_table(pa.table({"n": pa.array([4, None, 6], pa.int64())}), tmp_path / "d" / "b.parquet")
    stream, batches = _assert_same_as_whole(tmp_path / "d", batch_rows=2)
    assert stream.kinds == {"n": "float"}
    assert {b["n"].dtype.name for b in batches} == {"float64"}


def test_integer_column_without_statistics_is_checked_by_reading_it(tmp_path):
    pq.write_table(pa.table({"n": pa.array([1, None, 3], pa.int64())}), tmp_path / "a.parquet", write_statistics=False)
    stream, _ = _assert_same_as_whole(tmp_path / "a.parquet", batch_rows=2)
    assert stream.kinds == {"n": "float"}


def test_pandas_nullable_integers_come_back_as_pandas_wrote_them(tmp_path):
    frame = pd.DataFrame({"n": pd.array([1, None, 3, 4], dtype="Int64")})
    frame.to_parquet(tmp_path / "a.parquet")
    stream, batches = _assert_same_as_whole(tmp_path / "a.parquet", batch_rows=3)
    assert stream.kinds == {"n": "int"}
    assert {b["n"].dtype.name for b in batches} == {"Int64"}


def test_int_in_one_file_and_float_in_another_are_promoted_to_float(tmp_path):
    (tmp_path / "d").mkdir()
    pq.write_table(pa.table({"v": pa.array([1, 2], pa.int64())}), tmp_path / "d" / "a.parquet")
    pq.write_table(pa.table({"v": pa.array([0.5, 1.5])}), tmp_path / "d" / "b.parquet")
    stream, _ = _assert_same_as_whole(tmp_path / "d", batch_rows=10)
    assert stream.kinds == {"v": "float"}


def test_a_text_batch_holding_only_missing_values_stays_categorical(tmp_path):
    pq.write_table(pa.table({"s": pa.array([None, None, "a", "b"], pa.string())}), tmp_path / "a.parquet")
    _assert_same_as_whole(tmp_path / "a.parquet", batch_rows=2)


def test_pieces_cover_every_row_group_once_and_read_back_the_whole(tmp_path):
    (tmp_path / "d").mkdir()
    frame = _frame(1000, seed=3)
    for i in range(3):
        frame.iloc[i * 400:(i + 1) * 400].to_parquet(tmp_path / "d" / f"p{i}.parquet", row_group_size=50)
    stream = open_stream(str(tmp_path / "d"), batch_rows=64)
    pieces = stream.pieces(row_groups_per_piece=3)
    # 8 + 8 + 4 row groups, 3 per piece: 3 + 3 + 2 pieces
    assert len(pieces) == 8
    assert sum(p.rows for p in pieces) == 1000
    parts = [_plain(b) for p in pieces for b in stream.batches([p])]
    pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), _plain(read_table(str(tmp_path / "d")).frame))


def test_csv_in_batches_equals_the_file_read_whole(tmp_path):
    rng = np.random.default_rng(5)
    n = 500
    frame = pd.DataFrame({
        "x": rng.normal(size=n).round(6),
        "count": rng.integers(0, 100, n),
        "count_with_gap": np.where(np.arange(n) == 450, np.nan, rng.integers(0, 5, n)),
        "whole_floats": np.ones(n),  # written as 1.0: pandas reads float
        "label": rng.choice(["red", "green"], n),
        "flag": rng.random(n) < 0.5,
        "code": np.where(np.arange(n) < 400, "7", "x7"),  # numbers until row 400, then text
    })
    frame.to_csv(tmp_path / "t.csv", index=False)
    stream, batches = _assert_same_as_whole(tmp_path / "t.csv", batch_rows=64)
    assert stream.kinds == {"x": "float", "count": "int", "count_with_gap": "float", "whole_floats": "float",
                            "label": "string", "flag": "bool", "code": "string"}
    assert len(batches) >= 500 // 64


def test_tsv_is_read_with_tabs(tmp_path):
    (tmp_path / "t.tsv").write_text("a\tb\n1\tx\n2\ty\n")
    stream, _ = _assert_same_as_whole(tmp_path / "t.tsv", batch_rows=1)
    assert stream.kinds == {"a": "int", "b": "string"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    n=st.integers(1, 300),
    cuts=st.lists(st.integers(1, 299), max_size=4, unique=True),
    row_group=st.integers(1, 120),
    batch_rows=st.integers(1, 200),
    null_share=st.sampled_from([0.0, 0.1]),
    seed=st.integers(0, 2**16),
)
def test_any_split_into_files_row_groups_and_batches_reads_back_the_whole(tmp_path_factory, n, cuts, row_group,
                                                                         batch_rows, null_share, seed):
    rng = np.random.default_rng(seed)
    ints = rng.integers(-50, 50, n)
    labels = rng.choice(["a", "b", "c", "d"], n).astype(object)
    hole = rng.random(n) < null_share
    labels[hole] = None
    table = pa.table({
        "f": pa.array(rng.normal(size=n)),
        "i": pa.array(ints, mask=hole, type=pa.int64()),
        "s": pa.array(labels, pa.string()),
        "b": pa.array(rng.random(n) < 0.5),
    })
    d = tmp_path_factory.mktemp("split")
    bounds = [0] + sorted(c for c in cuts if c < n) + [n]
    for i, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
        pq.write_table(table.slice(lo, hi - lo), d / f"p{i:02d}.parquet", row_group_size=row_group)
    _assert_same_as_whole(d, batch_rows)


# -- errors ---------------------------------------------------------------------------------


def _file(name, content):
    def make(p):
        (p / name).write_bytes(content)
        return p / name
    return make


def _empty_dir(p):
    (p / "d").mkdir()
    return p / "d"


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "missing.parquet", "file not found"),
    (_file("e.csv", b""), "file is empty"),
    (_file("t.jsonl", b'{"a": 1}\n'), "unknown file type for streaming"),
    (_empty_dir, "directory holds no parquet files"),
    (_file("h.csv", b"\n\n"), "file has no header row"),
    (_file("dup.csv", b"a,a\n1,2\n"), "duplicate column names: a"),
    (_file("only.csv", b"a,b\n"), "zero rows"),
    (_file("bad.parquet", b"not parquet at all"), "not a readable parquet file"),
])
def test_bad_sources_are_one_line_errors(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(MlmonError) as err:
        open_stream(str(path))
    assert message in err.value.what
    assert str(path) in err.value.where


def test_files_with_different_columns_in_one_directory_are_refused(tmp_path):
    (tmp_path / "d").mkdir()
    pq.write_table(pa.table({"a": [1]}), tmp_path / "d" / "1.parquet")
    pq.write_table(pa.table({"b": [1]}), tmp_path / "d" / "2.parquet")
    with pytest.raises(MlmonError, match="different columns"):
        open_stream(str(tmp_path / "d"))


def test_files_with_incompatible_types_in_one_directory_are_refused(tmp_path):
    (tmp_path / "d").mkdir()
    pq.write_table(pa.table({"a": [1]}), tmp_path / "d" / "1.parquet")
    pq.write_table(pa.table({"a": [[1, 2]]}), tmp_path / "d" / "2.parquet")
    with pytest.raises(MlmonError, match="do not share column types"):
        open_stream(str(tmp_path / "d"))


def test_a_parquet_file_of_zero_rows_is_refused(tmp_path):
    pq.write_table(pa.table({"a": pa.array([], pa.int64())}), tmp_path / "z.parquet")
    with pytest.raises(MlmonError, match="zero rows"):
        open_stream(str(tmp_path / "z.parquet"))


def test_csv_not_in_the_given_encoding_is_refused(tmp_path):
    (tmp_path / "l.csv").write_bytes("name\ncaf\xe9\n".encode("latin-1"))
    with pytest.raises(MlmonError) as err:
        open_stream(str(tmp_path / "l.csv"))
    assert "not valid utf-8" in err.value.what and "--encoding" in err.value.todo
    assert open_stream(str(tmp_path / "l.csv"), encoding="latin-1").kinds == {"name": "string"}


def test_batch_rows_below_one_is_refused(tmp_path):
    pq.write_table(pa.table({"a": [1]}), tmp_path / "a.parquet")
    with pytest.raises(MlmonError) as err:
        open_stream(str(tmp_path / "a.parquet"), batch_rows=0)
    # the reader names its option; the CLI shows the flag (mlmon.cli.option_flags)
    assert err.value.line({"batch_rows": "--batch-rows", "options": "command line"}).startswith(
        "mlmon: error: --batch-rows must be at least 1, got 0 (command line)")
