"""A parquet table of plain columns stays in Arrow, and what it hands to the drift tests is what
its pandas frame would have handed them: the same kinds, numbers, codes and counts, and so the
same drift result, to the last digit.

The reference for every check is the frame pandas builds from the same file (``Table.frame``,
which is ``pyarrow.Table.to_pandas``), read through the pre-Arrow code path (``_kind``,
``_series_numbers``, ``_categorical``).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlmon.io.tables import Table, _kind, read_table
from mlmon.services.drift import DriftOptions, compute_drift
from mlmon.services.drift.sources import _categorical, _categorical_columns, _series_numbers


def _frame_table(table: Table) -> Table:
    """The same data as a pandas-backed table: what every run used before the Arrow path."""
    frame = table.frame.copy()
    kinds = {}
    for name in frame.columns:
        kinds[name] = _kind(frame[name])
    for name, kind in table.kinds.items():  # string vs category is the file's, not pandas'
        if kinds[name] == "category":
            kinds[name] = kind
    return Table(table.path, frame, kinds)


def _write(path, columns: dict, row_group_size=None):
    pq.write_table(pa.table(columns), path, row_group_size=row_group_size)
    return str(path)


@st.composite
def plain_tables(draw):
    """A dict of Arrow arrays: floats (32/64, NaN, inf, nulls), integers (with and without nulls),
    text (plain or dictionary-encoded, with nulls)."""
    n = draw(st.integers(1, 60))
    cols = {}
    floats = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True, width=32))
    cols["f64"] = pa.array(draw(st.lists(floats, min_size=n, max_size=n)), pa.float64())
    cols["f32"] = pa.array(draw(st.lists(floats, min_size=n, max_size=n)), pa.float32())
    ints = st.integers(-5, 5)
    cols["i64"] = pa.array(draw(st.lists(ints, min_size=n, max_size=n)), pa.int64())
    cols["i8_nulls"] = pa.array(draw(st.lists(st.one_of(st.none(), ints), min_size=n, max_size=n)), pa.int8())
    cols["u16"] = pa.array(draw(st.lists(st.integers(0, 60000), min_size=n, max_size=n)), pa.uint16())
    words = st.one_of(st.none(), st.sampled_from(["a", "b", "é", "", "zz", "10", "2"]))
    cols["text"] = pa.array(draw(st.lists(words, min_size=n, max_size=n)), pa.string())
    cols["dict"] = pa.array(draw(st.lists(words, min_size=n, max_size=n)), pa.string()).dictionary_encode()
    flags = draw(st.sampled_from([st.booleans(), st.one_of(st.none(), st.booleans()), st.none()]))
    cols["flag"] = pa.array(draw(st.lists(flags, min_size=n, max_size=n)), pa.bool_())
    stamps = st.one_of(st.none(), st.integers(0, 2 * 10**9))
    cols["ts"] = pa.array(draw(st.lists(stamps, min_size=n, max_size=n)),
                          draw(st.sampled_from([pa.timestamp("s"), pa.timestamp("us", tz="Europe/Berlin")])))
    return cols, draw(st.sampled_from([None, 1, 7]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=plain_tables())
def test_the_arrow_views_equal_the_pandas_frames_columns(tmp_path, data):
    cols, row_group = data
    table = read_table(_write(tmp_path / "t.parquet", cols, row_group))
    assert table.in_arrow
    kinds = dict(table.kinds)
    numbers = {n: table.numbers(n) for n in kinds}
    dictionaries = {n: table.dictionary(n) for n in kinds}
    distinct = {n: table.distinct(n) for n in kinds}
    frame = table.frame  # built now, from the same Arrow table
    assert not table.in_arrow
    for name in frame.columns:
        series = frame[name]
        expected_kind = _kind(series)
        if expected_kind == "category":
            expected_kind = "category" if name == "dict" else "string"
        assert kinds[name] == expected_kind, name
        if kinds[name] in ("bool", "datetime", "empty"):
            assert distinct[name] is None  # counted on the frame when typing asks
        else:
            assert distinct[name] == (series.nunique(), series.count()), name
        if kinds[name] in ("bool", "datetime", "empty"):
            assert numbers[name] is None and dictionaries[name] is None  # read from the frame
        elif kinds[name] in ("float", "int"):
            want = _series_numbers(series)
            assert numbers[name].dtype == want.dtype, name
            np.testing.assert_array_equal(numbers[name], want)
        else:
            codes, values = dictionaries[name]
            assert values == list(series.cat.categories), name
            np.testing.assert_array_equal(codes, series.cat.codes.to_numpy())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ref=plain_tables(), cur=plain_tables())
def test_codes_of_two_arrow_tables_equal_the_pandas_codes(tmp_path, ref, cur):
    pa_, pb = _write(tmp_path / "a.parquet", ref[0], ref[1]), _write(tmp_path / "b.parquet", cur[0], cur[1])
    for name in ("text", "dict", "i64", "u16"):
        got = _categorical_columns(read_table(pa_), read_table(pb), name)
        want = _categorical(read_table(pa_).frame[name], read_table(pb).frame[name])
        np.testing.assert_array_equal(got[0], want[0])
        np.testing.assert_array_equal(got[1], want[1])
        assert [str(v) for v in got[2]] == [str(v) for v in want[2]]
        assert got[3:] == want[3:]


def _drift_json(ref: Table, cur: Table) -> str:
    result = compute_drift(ref, cur, DriftOptions(workers=1)).to_dict()
    return json.dumps(result, sort_keys=True)


def test_drift_from_arrow_equals_drift_from_pandas_to_the_last_digit(tmp_path):
    rng = np.random.default_rng(3)
    n = 3000

    def side(shift, nulls):
        amount = rng.lognormal(3 + shift, 1, n)
        amount[rng.random(n) < 0.03] = np.nan
        age = rng.integers(18, 90, n)
        tier = rng.integers(0, 4 + int(shift * 4), n)  # int with few values: categorical
        with_nulls = pa.array(rng.integers(0, 500, n), pa.int32(), mask=rng.random(n) < nulls)
        country = rng.choice(["de", "fr", "it", "es"] + (["pl"] if shift else []), n)
        channel = pa.array(rng.choice(["web", "app", None], n)).dictionary_encode()
        return {"amount": pa.array(amount), "score32": pa.array(rng.normal(shift, 1, n).astype(np.float32)),
                "age": pa.array(age), "tier": pa.array(tier), "visits": with_nulls,
                "country": pa.array(country), "channel": channel,
                "ts": pa.array(rng.integers(0, 10**9, n), pa.timestamp("s", tz="UTC"))}

    ref = read_table(_write(tmp_path / "ref.parquet", side(0.0, 0.1), row_group_size=700))
    cur = read_table(_write(tmp_path / "cur.parquet", side(0.5, 0.2), row_group_size=1100))
    assert ref.in_arrow and cur.in_arrow
    assert ref.kinds == {"amount": "float", "score32": "float", "age": "int", "tier": "int", "visits": "float",
                         "country": "string", "channel": "category", "ts": "datetime"}
    from_arrow = _drift_json(ref, cur)
    assert ref.in_arrow and cur.in_arrow  # the run asked no pandas frame of a plain table
    from_pandas = _drift_json(_frame_table(read_table(ref.path)), _frame_table(read_table(cur.path)))
    assert from_arrow == from_pandas
    result = json.loads(from_arrow)
    assert result["columns"]["tier"]["type"] == "categorical"
    assert result["columns"]["age"]["type"] == "numerical"
    assert result["columns"]["visits"]["type"] == "numerical"
    assert "ts" in result["skipped"]


def test_a_bool_column_is_tested_from_the_frame_built_when_it_is_asked_for(tmp_path):
    rng = np.random.default_rng(4)
    n = 2000

    def side(p):
        return {"x": pa.array(rng.normal(size=n)),
                "flag": pa.array(rng.random(n) < p, mask=rng.random(n) < 0.05)}

    ref = read_table(_write(tmp_path / "ref.parquet", side(0.2)))
    cur = read_table(_write(tmp_path / "cur.parquet", side(0.4)))
    assert ref.in_arrow and ref.kinds["flag"] == "bool"
    from_arrow = _drift_json(ref, cur)
    assert not ref.in_arrow  # the bool's codes came from pandas
    from_pandas = _drift_json(_frame_table(read_table(ref.path)), _frame_table(read_table(cur.path)))
    assert from_arrow == from_pandas
    assert json.loads(from_arrow)["columns"]["flag"]["drifted"]


def test_a_directory_of_files_with_different_dictionaries_is_coded_once(tmp_path):
    folder = tmp_path / "cur"
    folder.mkdir()
    _write(folder / "a.parquet", {"c": pa.array(["x", "y", None, "x"]).dictionary_encode(), "v": pa.array([1.0, 2, 3, 4])})
    _write(folder / "b.parquet", {"c": pa.array(["z", "x", "z"]).dictionary_encode(), "v": pa.array([5.0, 6, 7])})
    table = read_table(str(folder))
    assert table.in_arrow and table.rows == 7
    codes, values = table.dictionary("c")
    assert [values[i] if i >= 0 else None for i in codes] == ["x", "y", None, "x", "z", "x", "z"]
    assert table.distinct("c") == (3, 6)


@pytest.mark.parametrize("frame, why", [
    (pd.DataFrame({"day": [pd.Timestamp("2024-01-01").date()] * 3, "x": [1.0, 2, 3]}), "dates (objects in pandas)"),
    (pd.DataFrame({"n": pd.array([1, None, 3], dtype="Int64"), "x": [1.0, 2, 3]}), "pandas' nullable Int64"),
    (pd.DataFrame({"x": [1.0, 2, 3]}, index=pd.Index(["a", "b", "c"], name="key")), "an index stored as a column"),
    (pd.DataFrame({"x": [1.0, 2, 3], "gap": pd.to_timedelta([1, 2, 3], unit="s")}), "a duration"),
    (pd.DataFrame({"v": [[1.0, 2.0], [3.0, 4.0], None], "x": [1.0, 2, 3]}), "lists (an embedding)"),
])
def test_other_tables_become_pandas_frames_as_before(tmp_path, frame, why):
    path = tmp_path / "t.parquet"
    frame.to_parquet(path)
    table = read_table(str(path))
    assert not table.in_arrow, why
    assert table.numbers("x") is None
    assert list(table.frame.columns) == list(frame.columns)


def test_threads_asking_for_the_frame_and_the_views_at_once_get_one_frame(tmp_path):
    # windowed drift asks every column's thread for the frame: built once, under a lock, never
    # while another thread takes a view from the Arrow table it releases
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(0)
    cols = {f"x{i}": pa.array(rng.normal(size=50_000)) for i in range(8)}
    cols["c"] = pa.array(rng.choice(["a", "b", None], 50_000))
    path = _write(tmp_path / "t.parquet", cols, row_group_size=5_000)
    for _ in range(5):
        table = read_table(path)

        def ask(i):
            if i % 3 == 0:
                return id(table.frame)
            got = table.numbers(f"x{i % 8}")
            return None if got is None else float(np.nansum(got))

        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(ask, range(48)))
        frames = {a for i, a in enumerate(answers) if i % 3 == 0}
        assert frames == {id(table.frame)}
        for i, a in enumerate(answers):
            if i % 3 and a is not None:
                assert a == float(np.nansum(table.frame[f"x{i % 8}"].to_numpy()))


def test_a_table_read_through_a_memory_map_keeps_its_values_when_the_file_is_rewritten(tmp_path):
    """Parquet is read through a memory map, but the values are decoded into memory of their
    own: rewriting (truncating) the file after the read changes nothing the table holds."""
    from mlmon.io import tables

    assert tables.MEMORY_MAP
    path = tmp_path / "t.parquet"
    pd.DataFrame({"x": np.arange(50_000, dtype=np.float64), "c": ["a", "b"] * 25_000}).to_parquet(path)
    table = read_table(str(path))
    with open(path, "wb") as fh:  # truncated in place, as a writer opening the path does
        fh.write(b"PAR1")
    assert table.numbers("x")[-3:].tolist() == [49_997.0, 49_998.0, 49_999.0]
    codes, values = table.dictionary("c")
    assert (values, codes[:4].tolist()) == (["a", "b"], [0, 1, 0, 1])
    assert table.frame["x"].sum() == 50_000 * 49_999 / 2
