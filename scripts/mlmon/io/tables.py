"""Reading tables: parquet (file or directory), CSV and JSON Lines into pandas.

Text columns are read as pandas categoricals (parquet: Arrow dictionaries) because every
categorical drift test works on counts: this keeps a million-row string column at one int32
code per row instead of a million Python strings. :attr:`Table.kinds` remembers what each
column was in the file (``string`` vs a real ``category``), which column typing needs to
follow Evidently's rules.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np
import pandas as pd

from mlmon.errors import MlmonError

PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


@dataclass
class Table:
    """A table read from one source, with each column's kind as found in the file.

    ``kinds`` values: ``float``, ``int``, ``bool``, ``string``, ``category``, ``datetime``,
    ``other`` (mixed or nested objects).
    """

    path: str
    frame: pd.DataFrame
    kinds: Dict[str, str] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return int(len(self.frame))

    @property
    def columns(self) -> List[str]:
        return [str(c) for c in self.frame.columns]


def read_table(path: str, *, encoding: Optional[str] = None, role: str = "data") -> Table:
    """Read ``path`` (parquet file or directory of parquet files, CSV, JSON Lines).

    ``role`` (``reference`` / ``current``) only makes error messages say which input failed.
    """
    where = source_where(path, role)
    fmt, files = locate_source(path, where)
    if fmt == "parquet":
        frame, kinds = _read_parquet_files(files, where)
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
    if len(frame.columns) == 0:
        raise MlmonError("no columns", where, "check the file's header")
    if len(frame) == 0:
        raise MlmonError("zero rows", where, "point to a file with data rows")
    return Table(path=path, frame=frame, kinds=kinds)


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

    tables = []
    for f in files:
        try:
            schema = pq.read_schema(f)
        except (pa.ArrowException, OSError) as exc:
            raise MlmonError(f"not a readable parquet file: {_short(exc)}", f, "check that the file is complete parquet") from exc
        _check_duplicates(list(schema.names), f)
        strings = [fld.name for fld in schema if pa.types.is_string(fld.type) or pa.types.is_large_string(fld.type)]
        try:
            tables.append(pq.read_table(f, read_dictionary=strings or None))
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
        table = table.unify_dictionaries() if hasattr(table, "unify_dictionaries") else table
    else:
        table = first
    source_dict = set()
    file_schema = pq.read_schema(files[0])
    for fld in file_schema:
        if pa.types.is_dictionary(fld.type):
            source_dict.add(fld.name)
    frame = table.to_pandas(split_blocks=True, self_destruct=True)
    kinds = {}
    for name in frame.columns:
        kinds[name] = _kind(frame[name])
        if kinds[name] == "category" and name not in source_dict:
            kinds[name] = "string"
    return frame, kinds


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
    try:
        frame = pd.read_json(io.StringIO(text), lines=True)
    except ValueError as exc:
        raise MlmonError(f"not valid JSON Lines: {_short(exc)}", where, "write one JSON object per line") from exc
    return _strings_to_categories(frame)


def _strings_to_categories(frame: pd.DataFrame):
    kinds = {}
    for name in frame.columns:
        kind = _kind(frame[name])
        kinds[name] = kind
        if kind == "string":
            frame[name] = frame[name].astype("category")
    return frame, kinds


def _kind(series: pd.Series) -> str:
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
