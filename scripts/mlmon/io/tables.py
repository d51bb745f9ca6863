"""Reading tables: parquet (file or directory), CSV and JSON Lines.

Text columns are read as categoricals (parquet: Arrow dictionaries) because every categorical
drift test works on counts: this keeps a million-row string column at one int32 code per row
instead of a million Python strings. :attr:`Table.kinds` remembers what each column was in the
file (``string`` vs a real ``category``), which column typing needs to follow Evidently's rules.

A parquet table of plain columns (floats, integers, text) stays in Arrow: :meth:`Table.numbers`
and :meth:`Table.dictionary` hand each column to numpy without pandas (whose import alone costs
a small check more than its tests) and without a copy through objects. :attr:`Table.frame`
builds the pandas frame the first time something asks for it; it has the same columns, kinds
and values as the numpy views (``tests/test_table_arrow.py``).
"""

from __future__ import annotations

import csv
import io
import os
import threading
from typing import TYPE_CHECKING, Dict, List, Optional, Tuple

import numpy as np

from mlmon.errors import MlmonError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
#: parquet files are read through a memory map (see :func:`_read_parquet_files`)
MEMORY_MAP = True
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


class Table:
    """A table read from one source, with each column's kind as found in the file.

    ``kinds`` values: ``float``, ``int``, ``bool``, ``string``, ``category``, ``datetime``,
    ``other`` (mixed or nested objects), ``empty`` (all missing).

    Made from a pandas ``frame``, or from an Arrow table (``arrow``) whose columns are all floats,
    integers or text (:func:`arrow_kinds` says which): then ``frame`` is built on first use.
    """

    def __init__(self, path: str, frame: "Optional[pd.DataFrame]" = None, kinds: Optional[Dict[str, str]] = None,
                 *, arrow=None):
        if frame is None and arrow is None:
            raise TypeError("Table needs a frame or an Arrow table")
        self.path = path
        self._frame = frame
        self._arrow = arrow
        self._building = threading.Lock()  # the drift check's threads may all ask for the frame at once
        self.kinds: Dict[str, str] = dict(kinds or {})
        # fixed here: the frame's conversion makes the Arrow table unusable while it runs
        self._shape = (int(arrow.num_rows), [str(c) for c in arrow.column_names]) if arrow is not None else None

    def __repr__(self) -> str:
        return f"Table({self.path!r}, {self.rows} rows, {len(self.kinds) or len(self.columns)} columns)"

    @property
    def frame(self) -> "pd.DataFrame":
        if self._frame is None:
            with self._building:
                if self._frame is None:
                    # the frame owns the values now (numpy views handed out keep their buffers)
                    self._frame, self._arrow = _arrow_to_frame(self._arrow), None
        return self._frame

    def _read(self, name: str, kinds: Tuple[str, ...], dictionary: bool = False):
        """A column's numpy views taken from Arrow (see :func:`_column_values`), or None when the
        table is a frame or the column is of another kind. Under the lock that builds the frame:
        its conversion releases Arrow's columns as it goes, never while a view is being taken
        (the views keep their buffers alive afterwards)."""
        with self._building:
            arrow = self._arrow
            if arrow is None or self.kinds.get(name) not in kinds:
                return None
            col = arrow.column(name)
            if not dictionary:
                return _column_values(col)
            if not col.num_chunks:
                return np.zeros(0, dtype=np.int32), None, []
            return (*_column_values(col, lambda chunk: chunk.indices), col.chunk(0).dictionary.to_pylist())

    @property
    def in_arrow(self) -> bool:
        """Whether the columns are still Arrow's (no pandas frame built yet)."""
        return self._arrow is not None

    @property
    def rows(self) -> int:
        return self._shape[0] if self._shape is not None else int(len(self._frame))

    @property
    def columns(self) -> List[str]:
        return list(self._shape[1]) if self._shape is not None else [str(c) for c in self._frame.columns]

    # -- numpy views of single columns, without pandas (None: ask ``frame``) --

    def numbers(self, name: str) -> Optional[np.ndarray]:
        """A ``float`` or ``int`` column as floats: float32 stays float32, integers (and float16)
        become float64, missing values NaN, exactly as ``frame[name]`` gives them. Read-only; None
        when the table is a frame."""
        got = self._read(name, ("float", "int"))
        if got is None:
            return None
        values, valid = got
        if values.dtype.kind in "iu" or values.dtype == np.float16:
            values = values.astype(np.float64)  # as pandas' column gives them to the tests
        if valid is not None:
            values = np.where(valid, values, np.nan).astype(values.dtype, copy=False)
        return values

    def integers(self, name: str) -> Optional[np.ndarray]:
        """An ``int`` column's values as stored (it has no missing values: those columns are ``float``)."""
        got = self._read(name, ("int",))
        return None if got is None else got[0]

    def dictionary(self, name: str) -> Optional[Tuple[np.ndarray, List[str]]]:
        """A text column as ``(codes, values)``: int32 codes into ``values`` (the column's
        dictionary, in the order pandas' categories have), -1 where missing."""
        got = self._read(name, ("string", "category"), dictionary=True)
        if got is None:
            return None
        codes, valid, values = got
        codes = codes.astype(np.int32)
        if valid is not None:
            codes[~valid] = -1
        return codes, values

    def distinct(self, name: str) -> Optional[Tuple[int, int]]:
        """(distinct values, values present) of a column, as ``frame[name].nunique()`` and
        ``.count()`` count them; None when the table is a frame."""
        kind = self.kinds.get(name)
        if kind in ("string", "category"):
            got = self.dictionary(name)
            if got is None:
                return None
            codes, values = got
            present = codes[codes >= 0]
            return int(np.count_nonzero(np.bincount(present, minlength=len(values)))), int(present.size)
        if kind == "int":
            values = self.integers(name)
            return None if values is None else (int(np.unique(values).size), int(values.size))
        if kind == "float":  # pandas counts NaN (and nulls) as missing
            values = self.numbers(name)
            if values is None:
                return None
            kept = values[~np.isnan(values)]
            return int(np.unique(kept).size), int(kept.size)
        return None


#: Arrow's primitive types by name, as numpy dtypes
_NUMPY_TYPES = {"halffloat": np.float16, "float": np.float32, "double": np.float64, "int8": np.int8,
                "int16": np.int16, "int32": np.int32, "int64": np.int64, "uint8": np.uint8, "uint16": np.uint16,
                "uint32": np.uint32, "uint64": np.uint64}


def _column_values(column, part=lambda chunk: chunk) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """A chunked primitive column (or each chunk's ``part``, a dictionary's indices) as one numpy
    array read from Arrow's buffers, and its validity (None: no nulls). Arrow's own ``to_numpy``
    imports pandas; this reads the same bytes (one chunk: without a copy)."""
    arrays, masks = [], []
    for chunk in column.chunks:
        arr = part(chunk)
        dtype = np.dtype(_NUMPY_TYPES[str(arr.type)])
        n, offset = len(arr), arr.offset
        bitmap, data = arr.buffers()[:2]
        arrays.append(np.frombuffer(data, dtype=dtype, count=n, offset=offset * dtype.itemsize) if n else
                      np.zeros(0, dtype=dtype))
        if arr.null_count:
            bits = np.unpackbits(np.frombuffer(bitmap, dtype=np.uint8), bitorder="little")
            masks.append(bits[offset:offset + n].astype(bool))
        else:
            masks.append(None)
    if not arrays:
        return np.zeros(0), None
    values = arrays[0] if len(arrays) == 1 else np.concatenate(arrays)
    if all(m is None for m in masks):
        return values, None
    valid = np.concatenate([np.ones(len(a), dtype=bool) if m is None else m for a, m in zip(arrays, masks)])
    return values, valid


def read_table(path: str, *, encoding: Optional[str] = None, role: str = "data") -> Table:
    """Read ``path`` (parquet file or directory of parquet files, CSV, JSON Lines).

    ``role`` (``reference`` / ``current``) only makes error messages say which input failed.
    """
    where = source_where(path, role)
    fmt, files = locate_source(path, where)
    arrow = None
    if fmt == "parquet":
        frame, kinds, arrow = _read_parquet_files(files, where)
    elif fmt in ("csv", "tsv"):
        frame, kinds = _read_csv(path, where, encoding, sep="\t" if fmt == "tsv" else ",")
    elif fmt == "jsonl":
        frame, kinds = _read_jsonl(path, where, encoding)
    else:
        raise MlmonError(
            "unknown file type",
            where,
            "use .parquet (or a directory of them), .csv, .tsv, .jsonl or .ndjson",
        )
    table = Table(path=path, frame=frame, kinds=kinds, arrow=arrow)
    if len(table.columns) == 0:
        raise MlmonError("no columns", where, "check the file's header")
    if table.rows == 0:
        raise MlmonError("zero rows", where, "point to a file with data rows")
    return table


def _check_duplicates(names: List[str], where: str) -> None:
    seen, dups = set(), []
    for n in names:
        if n in seen and n not in dups:
            dups.append(n)
        seen.add(n)
    if dups:
        raise MlmonError(
            f"duplicate column names: {', '.join(map(str, dups))}",
            where,
            "give every column a unique name",
        )


def source_where(path: str, role: str) -> str:
    """How error messages name an input: ``reference ref.parquet``, or the bare path."""
    return f"{role} {path}" if role != "data" else path


def locate_source(path: str, where: str) -> Tuple[Optional[str], List[str]]:
    """The format of the input at ``path`` and the files that hold it: ``("parquet", files)`` for
    a parquet file or a directory of them (hidden and ``_``-prefixed files left out), ``("csv" |
    "tsv" | "jsonl", [path])``, or ``(None, [path])`` for a file type no reader knows. Refuses,
    as one line, a path that does not exist, cannot be read, is empty, or is a directory without
    parquet files; every reader (whole tables, streams) checks its input here."""
    if not os.path.exists(path):
        raise MlmonError("file not found", where, "check the path")
    if os.path.isdir(path):
        files = sorted(
            os.path.join(root, f)
            for root, _dirs, names in os.walk(path)
            for f in names
            if f.lower().endswith(PARQUET_SUFFIXES) and not f.startswith((".", "_"))
        )
        if not files:
            raise MlmonError("directory holds no parquet files", where, "point to a directory of .parquet files")
        return "parquet", files
    if not os.access(path, os.R_OK):
        raise MlmonError("file is not readable", where, "check its permissions")
    if os.path.getsize(path) == 0:
        raise MlmonError("file is empty", where, "point to a file with a header and rows")
    lower = path.lower()
    if lower.endswith(PARQUET_SUFFIXES):
        return "parquet", [path]
    if lower.endswith(".tsv"):
        return "tsv", [path]
    if lower.endswith(CSV_SUFFIXES):
        return "csv", [path]
    if lower.endswith(JSONL_SUFFIXES):
        return "jsonl", [path]
    return None, [path]


def _read_parquet_files(files: List[str], where: str):
    import pyarrow as pa
    import pyarrow.parquet as pq

    tables, schemas = [], []
    for f in files:
        try:
            schema = pq.read_schema(f)
        except (pa.ArrowException, OSError) as exc:
            raise MlmonError(f"not a readable parquet file: {_short(exc)}", f, "check that the file is complete parquet") from exc
        _check_duplicates(list(schema.names), f)
        schemas.append(schema)
        strings = [fld.name for fld in schema if pa.types.is_string(fld.type) or pa.types.is_large_string(fld.type)]
        try:
            # ParquetFile, not pq.read_table: the latter goes through pyarrow.dataset, which imports pandas
            # memory-mapped: the file's pages are read where the page cache holds them, not copied
            # into fresh buffers first (a third of a million-row read went to the kernel doing that);
            # the values are decoded into Arrow's own memory, so the mapping ends with the read
            tables.append(pq.ParquetFile(f, read_dictionary=strings or None, memory_map=MEMORY_MAP).read())
        except (pa.ArrowException, OSError) as exc:
            raise MlmonError(f"corrupt parquet file: {_short(exc)}", f, "re-export the file") from exc
    first = tables[0]
    for f, t in zip(files[1:], tables[1:]):
        if t.schema.names != first.schema.names:
            raise MlmonError("parquet files in one directory have different columns", f, "keep one schema per directory")
    if len(tables) > 1:
        try:
            table = pa.concat_tables(tables, promote_options="permissive")
        except (pa.ArrowException, TypeError) as exc:
            raise MlmonError(f"parquet files do not share column types: {_short(exc)}", where, "keep one schema per directory") from exc
    else:
        table = first
    source_dict = set()
    file_schema = schemas[0]
    for fld in file_schema:
        if pa.types.is_dictionary(fld.type):
            source_dict.add(fld.name)
    kinds = arrow_kinds(table, file_schema, source_dict)
    if kinds is not None:
        if any(pa.types.is_dictionary(fld.type) for fld in table.schema):
            table = table.unify_dictionaries()  # every chunk of a column codes into one dictionary
        return None, kinds, table
    frame = _arrow_to_frame(table.unify_dictionaries() if len(tables) > 1 else table)
    kinds = {}
    for name in frame.columns:
        kinds[name] = _kind(frame[name])
        if kinds[name] == "category" and name not in source_dict:
            kinds[name] = "string"
    return frame, kinds, None


def arrow_kinds(table, file_schema, source_dict) -> Optional[Dict[str, str]]:
    """Each column's kind, as :func:`_kind` would find it in the pandas frame, when every column
    is a float, integer, text, bool, timestamp or all-missing column and pandas would give it back
    as such (no index columns, no nullable or other pandas-only types in the file's pandas
    metadata); None otherwise (the table becomes a pandas frame at once).

    An integer column with a missing value is ``float``, as pandas reads it. Only floats,
    integers and text are handed to numpy without pandas (:meth:`Table.numbers`,
    :meth:`Table.dictionary`); a bool or timestamp column is typed here and read from the frame
    when something asks for its values (a timestamp is not a drift feature)."""
    import pyarrow as pa

    try:
        meta = file_schema.pandas_metadata or {}
    except Exception:  # malformed metadata written by some other tool: pandas decides
        return None
    if any(not isinstance(i, dict) for i in meta.get("index_columns", [])):
        return None  # an index stored as a column: pandas gives it back as the index
    plain_numpy = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "uint16",
                   "uint32", "uint64", "object", "str", "string", "category", "bool")
    for c in meta.get("columns", []):
        numpy_type = c.get("numpy_type") if isinstance(c, dict) else None
        if numpy_type is not None and numpy_type not in plain_numpy and not str(numpy_type).startswith("datetime64"):
            return None  # nullable Int64, boolean, timedelta, ...
        if isinstance(c, dict) and c.get("name") is not None and not isinstance(c.get("name"), str):
            return None  # a column named by a number: pandas restores the number
    kinds: Dict[str, str] = {}
    for fld in table.schema:
        t = fld.type
        nulls = table.column(fld.name).null_count
        if pa.types.is_dictionary(t):
            if not (pa.types.is_string(t.value_type) or pa.types.is_large_string(t.value_type)):
                return None
            kinds[fld.name] = "category" if fld.name in source_dict else "string"
        elif pa.types.is_floating(t):
            kinds[fld.name] = "float"
        elif pa.types.is_integer(t):
            kinds[fld.name] = "float" if nulls else "int"
        elif pa.types.is_boolean(t):
            kinds[fld.name] = "empty" if nulls == table.num_rows else "bool"
        elif pa.types.is_timestamp(t):
            kinds[fld.name] = "datetime"
        elif pa.types.is_null(t):
            kinds[fld.name] = "empty"
        else:
            return None
    return kinds


def _arrow_to_frame(table) -> "pd.DataFrame":
    return table.to_pandas(split_blocks=True, self_destruct=True)


def _read_csv(path: str, where: str, encoding: Optional[str], sep: str):
    enc = encoding or "utf-8"
    try:
        with open(path, "r", encoding=enc, newline="") as fh:
            header = next(csv.reader(fh, delimiter=sep), None)
    except UnicodeDecodeError as exc:
        raise MlmonError(
            f"file is not valid {enc} (byte {exc.start})",
            where,
            "pass --encoding with the file's encoding, e.g. --encoding latin-1",
        ) from exc
    except LookupError as exc:
        raise MlmonError(f"unknown encoding {enc!r}", where, "pass a Python codec name such as utf-8 or latin-1") from exc
    if not header:
        raise MlmonError("file has no header row", where, "add a header row with column names")
    _check_duplicates(header, where)
    import pandas as pd

    try:
        frame = pd.read_csv(path, sep=sep, encoding=enc, low_memory=False)
    except UnicodeDecodeError as exc:
        raise MlmonError(
            f"file is not valid {enc}",
            where,
            "pass --encoding with the file's encoding, e.g. --encoding latin-1",
        ) from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise MlmonError(f"cannot parse CSV: {_short(exc)}", where, "check quoting and the number of fields per row") from exc
    return _strings_to_categories(frame)


def _read_jsonl(path: str, where: str, encoding: Optional[str]):
    enc = encoding or "utf-8"
    try:
        with open(path, "r", encoding=enc) as fh:
            text = fh.read()
    except UnicodeDecodeError as exc:
        raise MlmonError(f"file is not valid {enc}", where, "pass --encoding with the file's encoding") from exc
    if not text.strip():
        raise MlmonError("file is empty", where, "point to a file with one JSON object per line")
    import pandas as pd

    try:
        frame = pd.read_json(io.StringIO(text), lines=True)
    except ValueError as exc:
        raise MlmonError(f"not valid JSON Lines: {_short(exc)}", where, "write one JSON object per line") from exc
    return _strings_to_categories(frame)


def _strings_to_categories(frame: "pd.DataFrame"):
    kinds = {}
    for name in frame.columns:
        kind = _kind(frame[name])
        kinds[name] = kind
        if kind == "string":
            frame[name] = frame[name].astype("category")
    return frame, kinds


def _kind(series: "pd.Series") -> str:
    dtype = series.dtype
    name = dtype.name
    if name == "category":
        return "category"
    if name == "bool" or name == "boolean":
        return "bool"
    if name.startswith(("float", "Float")):
        return "float"
    if name.startswith(("int", "uint", "Int", "UInt")):
        return "int"
    if name.startswith("datetime") or name.startswith("timedelta"):
        return "datetime"
    if name in ("string", "str"):
        return "string"
    if name == "object":
        values = series.dropna()
        if len(values) == 0:
            return "empty"
        first, last = values.iloc[0], values.iloc[-1]
        if isinstance(first, str) and isinstance(last, str):
            if all(isinstance(v, str) for v in values.to_numpy()[:: max(1, len(values) // 1000)]):
                return "string"
        if isinstance(first, (bool, np.bool_)) and isinstance(last, (bool, np.bool_)):
            return "bool"
        return "other"
    return "other"


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:160] + ("..." if len(text) > 160 else "")
