"""Reading tables in bounded batches: parquet (file or directory) and CSV, larger than memory.

:func:`open_stream` looks at the source once (parquet footers, or one typing pass over a CSV)
and fixes every column's type for the whole source; :meth:`TableStream.batches` then yields
pandas frames of at most ``batch_rows`` rows, each typed the same way, so a consumer that
profiles batch by batch and merges the profiles sees one consistent table. Memory is bounded by
the batch (and one parquet row group), not by the source.

Column types follow :func:`mlmon.io.tables.read_table`, so a streamed source and the same source
read whole give the same frames and the same :attr:`TableStream.kinds`:

- text columns become pandas categoricals (per batch; the categories are the batch's values),
  kind ``string``, or ``category`` when the parquet file stores a dictionary;
- an integer column with a missing value anywhere in the source is float64 in every batch (as
  pandas reads it whole), kind ``float``; without one it stays int64, kind ``int``;
- columns that differ between the files of a directory are promoted the way
  ``pyarrow.concat_tables(promote_options="permissive")`` promotes them (int + float -> float).

Parquet files are cut into *pieces* (a file's row groups) so that a distributed engine can hand
pieces to workers: :meth:`TableStream.pieces` and :meth:`TableStream.batches` with ``pieces=``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import pandas as pd

from mlmon.errors import OPTIONS, MlmonError, option
from mlmon.io import DEFAULT_BATCH_ROWS
from mlmon.io.tables import _check_duplicates, _short, locate_source, source_where

# Row groups per piece handed to one task of a distributed engine.
PIECE_ROW_GROUPS = 4


@dataclass(frozen=True)
class Piece:
    """Part of a parquet source: some row groups of one file (all of them when ``row_groups`` is None)."""

    file: str
    row_groups: Optional[Tuple[int, ...]] = None
    rows: int = 0


@dataclass
class TableStream:
    """A table read in batches; ``kinds`` as :class:`mlmon.io.tables.Table` has them.

    ``rows`` is known before reading for parquet (from the footers) and after the typing pass
    for CSV.
    """

    path: str
    format: str  # "parquet" | "csv"
    columns: List[str]
    kinds: Dict[str, str]
    rows: int
    batch_rows: int = DEFAULT_BATCH_ROWS
    files: List[str] = field(default_factory=list)
    # parquet: rows of each row group of each file (from the footers, read once)
    row_groups: List[Tuple[int, ...]] = field(default_factory=list)
    # parquet: the Arrow schema every batch is cast to; csv: pyarrow ConvertOptions column types
    arrow_schema: object = None
    dictionary_columns: Tuple[str, ...] = ()
    # pandas nullable dtypes the files were written with (``Int64``...), restored per batch
    extension_dtypes: Dict[str, str] = field(default_factory=dict)
    encoding: str = "utf-8"
    delimiter: str = ","
    role: str = "data"

    def pieces(self, row_groups_per_piece: int = PIECE_ROW_GROUPS) -> List[Piece]:
        """The parquet source cut into pieces of at most ``row_groups_per_piece`` row groups.

        A CSV source is one piece (it cannot be split without reading it).
        """
        if self.format != "parquet":
            return [Piece(self.path, None, self.rows)]
        out: List[Piece] = []
        for f, group_rows in zip(self.files, self.row_groups):
            for start in range(0, len(group_rows), row_groups_per_piece):
                chunk = tuple(range(start, min(start + row_groups_per_piece, len(group_rows))))
                rows = sum(group_rows[g] for g in chunk)
                if rows:
                    out.append(Piece(f, chunk, rows))
        return out

    def batches(self, pieces: Optional[Sequence[Piece]] = None) -> Iterator[pd.DataFrame]:
        """Frames of at most ``batch_rows`` rows, typed the same way, in file order."""
        if self.format == "csv":
            yield from self._csv_batches()
            return
        for piece in (self.pieces() if pieces is None else pieces):
            yield from self._parquet_batches(piece)

    # -- parquet -------------------------------------------------------------------------
    def _parquet_batches(self, piece: Piece) -> Iterator[pd.DataFrame]:
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(piece.file, read_dictionary=list(self.dictionary_columns) or None)
            reader = pf.iter_batches(batch_size=self.batch_rows, row_groups=piece.row_groups,
                                     columns=self.columns, use_threads=True)
            for batch in reader:
                yield _to_frame(_cast(batch, self.arrow_schema, piece.file), self.kinds, self.extension_dtypes)
        except (pa.ArrowException, OSError) as exc:
            raise MlmonError(f"corrupt parquet file: {_short(exc)}", piece.file, "re-export the file") from exc

    # -- csv -----------------------------------------------------------------------------
    def _csv_batches(self) -> Iterator[pd.DataFrame]:
        import pyarrow as pa

        reader = _csv_reader(self, self.arrow_schema)
        try:
            for batch in reader:
                yield _to_frame(batch, self.kinds)
        except pa.ArrowInvalid as exc:
            raise MlmonError(f"cannot parse CSV: {_short(exc)}", source_where(self.path, self.role),
                             "check quoting and the number of fields per row") from exc


def open_stream(path: str, *, batch_rows: int = DEFAULT_BATCH_ROWS, encoding: Optional[str] = None,
                role: str = "data") -> TableStream:
    """Look at ``path`` (parquet file or directory of parquet files, CSV/TSV) and type its columns.

    Raises :class:`MlmonError` for everything :func:`mlmon.io.tables.read_table` refuses.
    """
    where = source_where(path, role)
    if batch_rows < 1:
        raise MlmonError(f"{option('batch_rows')} must be at least 1, got {batch_rows}", OPTIONS,
                         "pass a positive row count such as 1000000")
    fmt, files = locate_source(path, where)
    if fmt == "parquet":
        return _open_parquet(path, files, batch_rows, role)
    if fmt in ("csv", "tsv"):
        return _open_csv(path, batch_rows, encoding or "utf-8", "\t" if fmt == "tsv" else ",", role)
    raise MlmonError("unknown file type for streaming", where,
                     "use .parquet (or a directory of them), .csv or .tsv; convert JSON Lines to parquet")


def _open_parquet(path: str, files: List[str], batch_rows: int, role: str) -> TableStream:
    import pyarrow as pa
    import pyarrow.parquet as pq

    where = source_where(path, role)
    schemas, metas = [], []
    for f in files:
        try:
            pf = pq.ParquetFile(f)
        except (pa.ArrowException, OSError) as exc:
            raise MlmonError(f"not a readable parquet file: {_short(exc)}", f, "check that the file is complete parquet") from exc
        schemas.append(pf.schema_arrow)
        metas.append(pf.metadata)
    names = list(schemas[0].names)
    _check_duplicates(names, files[0])
    for f, s in zip(files[1:], schemas[1:]):
        if list(s.names) != names:
            raise MlmonError("parquet files in one directory have different columns", f, "keep one schema per directory")
    try:
        unified = pa.unify_schemas(schemas, promote_options="permissive") if len(schemas) > 1 else schemas[0]
    except (pa.ArrowException, TypeError) as exc:
        raise MlmonError(f"parquet files do not share column types: {_short(exc)}", where, "keep one schema per directory") from exc
    rows = sum(m.num_rows for m in metas)
    if not names:
        raise MlmonError("no columns", where, "check the file's header")
    if rows == 0:
        raise MlmonError("zero rows", where, "point to a file with data rows")

    stored_dictionary = {fld.name for fld in schemas[0] if pa.types.is_dictionary(fld.type)}
    extension = _pandas_extension_dtypes(schemas[0])
    fields, kinds, dictionary_columns = [], {}, []
    for i, fld in enumerate(unified):
        t = fld.type
        if pa.types.is_dictionary(t):
            t = t.value_type
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            dictionary_columns.append(fld.name)
            fields.append(pa.field(fld.name, pa.dictionary(pa.int32(), pa.string())))
            kinds[fld.name] = "category" if fld.name in stored_dictionary else "string"
            continue
        if pa.types.is_dictionary(fld.type):  # a dictionary of numbers: pandas makes it a categorical
            fields.append(fld)
            kinds[fld.name] = "category"
            continue
        if pa.types.is_integer(t) and fld.name not in extension and _has_nulls(files, metas, i, fld.name):
            fields.append(pa.field(fld.name, pa.float64()))
            kinds[fld.name] = "float"
            continue
        fields.append(pa.field(fld.name, t))
        kinds[fld.name] = _arrow_kind(t)
    return TableStream(path=path, format="parquet", columns=names, kinds=kinds, rows=rows, batch_rows=batch_rows,
                       files=files, row_groups=[tuple(m.row_group(g).num_rows for g in range(m.num_row_groups)) for m in metas],
                       arrow_schema=pa.schema(fields), dictionary_columns=tuple(dictionary_columns),
                       extension_dtypes={n: d for n, d in extension.items() if n in kinds and kinds[n] != "string"}, role=role)


_NULLABLE = ("Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32", "Float64", "boolean")


def _pandas_extension_dtypes(schema) -> Dict[str, str]:
    """Columns pandas wrote as nullable dtypes: reading the file whole gives them back, so must each batch."""
    try:
        meta = schema.pandas_metadata or {}
    except Exception:  # malformed metadata written by some other tool
        return {}
    return {c["name"]: c["numpy_type"] for c in meta.get("columns", [])
            if isinstance(c, dict) and c.get("numpy_type") in _NULLABLE and c.get("name") is not None}


def _has_nulls(files, metas, index: int, name: str) -> bool:
    """Whether the column holds a null anywhere: from the footers' statistics, else by reading it."""
    import pyarrow.parquet as pq

    for f, meta in zip(files, metas):
        for g in range(meta.num_row_groups):
            stats = meta.row_group(g).column(index).statistics
            if stats is None or not stats.has_null_count:
                col = pq.ParquetFile(f).read_row_group(g, columns=[name]).column(0)
                if col.null_count:
                    return True
            elif stats.null_count:
                return True
    return False


def _arrow_kind(t) -> str:
    import pyarrow as pa

    if pa.types.is_boolean(t):
        return "bool"
    if pa.types.is_floating(t):
        return "float"
    if pa.types.is_integer(t):
        return "int"
    if pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_duration(t):
        return "datetime"
    if pa.types.is_null(t):
        return "empty"
    return "other"


def _cast(batch, schema, where):
    if batch.schema.equals(schema):
        return batch
    import pyarrow as pa

    arrays = []
    for col, fld in zip(batch.columns, schema):
        if col.type.equals(fld.type):
            arrays.append(col)
        elif pa.types.is_dictionary(fld.type) and not pa.types.is_dictionary(col.type):
            arrays.append(col.cast(fld.type.value_type).dictionary_encode())
        elif pa.types.is_dictionary(fld.type) and pa.types.is_dictionary(col.type):
            arrays.append(col.cast(fld.type))
        else:
            arrays.append(col.cast(fld.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)


def _to_frame(batch, kinds: Dict[str, str], extension: Optional[Dict[str, str]] = None) -> pd.DataFrame:
    frame = batch.to_pandas(split_blocks=True)
    for name, dtype in (extension or {}).items():
        frame[name] = frame[name].astype(dtype)
    for name, kind in kinds.items():
        # an all-missing text batch comes back as object; keep the column a categorical
        if kind in ("string", "category") and frame[name].dtype.name != "category":
            frame[name] = frame[name].astype("category")
    return frame


# -- CSV -----------------------------------------------------------------------------------

def _open_csv(path: str, batch_rows: int, encoding: str, delimiter: str, role: str) -> TableStream:
    """One typing pass over the whole file (every column read as text), as pandas types a whole file.

    A column is int when every value parses as an integer and none is missing, float when every
    value parses as a number, bool when every value is true/false, else text.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    where = source_where(path, role)
    try:
        with open(path, "r", encoding=encoding, newline="") as fh:
            header = next(csv.reader(fh, delimiter=delimiter), None)
    except UnicodeDecodeError as exc:
        raise MlmonError(f"file is not valid {encoding} (byte {exc.start})", where,
                         "pass --encoding with the file's encoding, e.g. --encoding latin-1") from exc
    except LookupError as exc:
        raise MlmonError(f"unknown encoding {encoding!r}", where, "pass a Python codec name such as utf-8 or latin-1") from exc
    if not header:
        raise MlmonError("file has no header row", where, "add a header row with column names")
    _check_duplicates(header, where)
    stream = TableStream(path=path, format="csv", columns=list(header), kinds={}, rows=0, batch_rows=batch_rows,
                         files=[path], encoding=encoding, delimiter=delimiter, role=role)
    text = {name: pa.string() for name in header}
    # the candidates each column can still be: narrowed batch by batch
    possible = {name: {"int", "float", "bool"} for name in header}
    has_null = {name: False for name in header}
    all_null = {name: True for name in header}
    rows = 0
    try:
        for batch in _csv_reader(stream, text):
            rows += batch.num_rows
            for name, col in zip(batch.schema.names, batch.columns):
                if col.null_count:
                    has_null[name] = True
                if col.null_count < len(col):
                    all_null[name] = False
                for kind in list(possible[name]):
                    if not _parses(col, kind, pc, pa):
                        possible[name].discard(kind)
    except pa.ArrowInvalid as exc:
        raise MlmonError(f"cannot parse CSV: {_short(exc)}", where, "check quoting and the number of fields per row") from exc
    except UnicodeDecodeError as exc:
        raise MlmonError(f"file is not valid {encoding}", where, "pass --encoding with the file's encoding, e.g. --encoding latin-1") from exc
    if rows == 0:
        raise MlmonError("zero rows", where, "point to a file with data rows")
    types, kinds = {}, {}
    for name in header:
        can = possible[name]
        if all_null[name]:  # pandas reads an all-empty column as float NaN
            types[name], kinds[name] = pa.float64(), "float"
        elif "int" in can and not has_null[name]:
            types[name], kinds[name] = pa.int64(), "int"
        elif "int" in can or "float" in can:
            types[name], kinds[name] = pa.float64(), "float"
        elif "bool" in can and not has_null[name]:
            types[name], kinds[name] = pa.bool_(), "bool"
        else:
            types[name], kinds[name] = pa.dictionary(pa.int32(), pa.string()), "string"
    stream.kinds, stream.rows, stream.arrow_schema = kinds, rows, types
    return stream


def _parses(col, kind: str, pc, pa) -> bool:
    values = col.drop_null() if col.null_count else col
    if len(values) == 0:
        return True
    try:
        if kind == "bool":
            lowered = pc.utf8_lower(values)
            return bool(pc.all(pc.is_in(lowered, value_set=pa.array(["true", "false"]))).as_py())
        if kind == "int":
            # pandas reads "1.0" as float; only plain integers are int
            if not bool(pc.all(pc.match_substring_regex(values, r"^\s*[+-]?\d+\s*$")).as_py()):
                return False
            values.cast(pa.int64())
            return True
        values.cast(pa.float64())
        return True
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False


def _csv_reader(stream: TableStream, column_types):
    import pyarrow as pa
    import pyarrow.csv as pacsv

    # block size bounds the rows per batch: about 64 bytes per field is a generous row estimate
    block = max(1 << 16, min(1 << 28, stream.batch_rows * max(1, len(stream.columns)) * 16))
    types = dict(column_types)
    string_columns = [n for n, t in types.items() if pa.types.is_dictionary(t)]
    for n in string_columns:
        types[n] = pa.string()
    try:
        reader = pacsv.open_csv(
            stream.path,
            read_options=pacsv.ReadOptions(encoding=stream.encoding, block_size=block),
            parse_options=pacsv.ParseOptions(delimiter=stream.delimiter),
            convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=True,
                                                 true_values=["True", "true", "TRUE"],
                                                 false_values=["False", "false", "FALSE"]),
        )
    except pa.ArrowInvalid as exc:
        raise MlmonError(f"cannot parse CSV: {_short(exc)}", source_where(stream.path, stream.role),
                         "check quoting and the number of fields per row") from exc
    for batch in reader:
        for start in range(0, batch.num_rows, stream.batch_rows):
            part = batch.slice(start, stream.batch_rows)
            if string_columns:
                arrays = [c.dictionary_encode() if n in string_columns else c for n, c in zip(part.schema.names, part.columns)]
                part = pa.RecordBatch.from_arrays(arrays, names=part.schema.names)
            yield part
