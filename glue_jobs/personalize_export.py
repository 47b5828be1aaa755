"""Shared code of the Glue export jobs: the mapping, sources, Avro conformance, CSV parts, manifest and watermark.

Arguments, S3 JSON and clients come from job_io (boto3 only), which cleanup and publish_params use without this
module's wheels (awswrangler, pandas, numpy, pyarrow)."""

from __future__ import annotations

import codecs
import gc
import gzip
import io
import itertools
import json
import os
import tempfile
import zlib
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

try:
    import awswrangler as wr
except ModuleNotFoundError:  # Glue for Spark has none: its engine (spark_export.py) uses the rules, not readers
    wr = None  # type: ignore[assignment]
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import source_schema
from db_source import DB_SOURCE_TYPES, read_database
from digests import MIX, HashCounter, _text_digests, arrow_text, column_digests
from inflation import EventLog, SameSecond, SameSecondError, baselines, measure
from job_io import (
    UTC_ZONE,
    ExportArgumentError,
    detect_delimiter,
    export_mode,
    get_json,
    int_arg,
    log,
    put_json,
    read_text,
    require,
    run_id_of,
    s3_client,
    source_options,
    split_s3,
    state_key,
)

DEFAULT_CHUNK_ROWS = 500_000
MAX_ID_CHARS = 256  # Personalize: USER_ID / ITEM_ID are at most 256 characters
# 2262-04-11T23:47:16Z, the end of pandas' nanosecond range: pandas 2 (Glue) cannot parse a later ISO time, pandas 3
# can; a later "timestamp" is a unit or data error anyway, and with one bound both engines reject the same rows.
MAX_SECONDS = 9_223_372_036
MAX_CATEGORICAL_CHARS = 1000  # Personalize: each categorical value (between `|`) is at most 1000 characters
SOURCE_TYPES = ("s3_parquet", "s3_csv", "s3_jsonl", "catalog", "athena", *DB_SOURCE_TYPES)
ID_FIELDS = ("USER_ID", "ITEM_ID")


class ExportSourceError(ValueError):
    """The source does not fit the schema (a required column is missing, a format is unsupported)."""


# ---------------------------------------------------------------- the --mapping argument


def parse_mapping(text: str) -> dict[str, str]:
    """`USER_ID=customer_id,ITEM_ID=sku` -> {"USER_ID": "customer_id", ...} (schema field -> source column)."""
    mapping: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        target, eq, source = pair.partition("=")
        if not eq or not target.strip() or not source.strip():
            raise ExportArgumentError(f"--mapping entry {pair!r} is not FIELD=column (e.g. USER_ID=customer_id)")
        mapping[target.strip()] = source.strip()
    return mapping


# ---------------------------------------------------------------- schema


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # string | long | int | float | double | boolean
    nullable: bool
    categorical: bool

    @property
    def is_timestamp(self) -> bool:
        return self.type in ("long", "int") and self.name.endswith("TIMESTAMP")


def load_schema(location: str) -> tuple[dict[str, Any], list[Field]]:
    """The Avro schema at `location` (S3 URI or path), and its fields in order."""
    try:
        schema = json.loads(read_text(location))
    except json.JSONDecodeError as exc:
        raise ExportArgumentError(f"--schema {location}: not valid JSON ({exc})") from None
    fields = []
    for f in schema.get("fields", []):
        types = f["type"] if isinstance(f["type"], list) else [f["type"]]
        base = [t for t in types if t != "null"]
        if len(base) != 1 or base[0] not in ("string", "long", "int", "float", "double", "boolean"):
            raise ExportArgumentError(f"--schema {location}: field {f.get('name')} has unsupported type {f['type']}")
        fields.append(Field(f["name"], base[0], "null" in types, bool(f.get("categorical"))))
    if not fields:
        raise ExportArgumentError(f"--schema {location}: no fields (expected an Avro record with 'fields')")
    return schema, fields


# ---------------------------------------------------------------- sources


def iter_source(args: dict[str, str], chunk_rows: int, since: int | None = None) -> Iterator[pd.DataFrame]:
    """Source chunks of about `chunk_rows` rows, as named by --source_type and --source. CSV and JSON lines values
    arrive as text, exactly as written (007 stays 007, a huge number stays whole), so one set of rules converts them;
    database rows arrive as that same text (db_source), with the watermark `since` pushed into their query."""
    kind = args.get("source_type", "s3_parquet")
    source = require(args, "source", "an S3 prefix (s3_*), db.table (catalog), a SQL query (athena) or a table")
    if kind == "s3_parquet":
        yield from wr.s3.read_parquet(source, chunked=chunk_rows, dataset=True)
    elif kind == "s3_csv":
        options = source_options(args)
        paths = _objects(source)
        delimiter = options["delimiter"]
        if delimiter == "auto":
            delimiter = detect_delimiter(_first_line(paths[0], options["encoding"]))
        reads = _read_csv(paths, chunk_rows, names=None, skip=0, delimiter=delimiter, encoding=options["encoding"])
        yield from _rechunk(_decoded(reads, source, options["encoding"]), chunk_rows)
    elif kind == "s3_jsonl":
        options = source_options(args)
        yield from _read_json_lines(_objects(source), chunk_rows, options["encoding"], options.get("explode", ""))
    elif kind == "catalog":
        yield from _read_catalog(source, chunk_rows)
    elif kind in DB_SOURCE_TYPES:
        timestamp_column = parse_mapping(args.get("mapping", "")).get("TIMESTAMP", "TIMESTAMP")
        yield from read_database(kind, args, chunk_rows, since, timestamp_column)
    elif kind == "athena":
        yield from wr.athena.read_sql_query(
            source,
            database=args.get("athena_database") or "default",
            ctas_approach=False,
            chunksize=chunk_rows,
            workgroup=args.get("athena_workgroup") or "primary",
            s3_output=athena_output(args),
        )
    else:
        raise ExportArgumentError(f"--source_type {kind!r} is not one of {', '.join(SOURCE_TYPES)}")


def athena_output(args: dict[str, str]) -> str:
    """Where Athena writes the query's results: --athena_output, else athena-results/ in the data bucket (a workgroup
    that enforces its own location wins over both). Without one, awswrangler would create the bucket
    aws-athena-query-results-<account>-<region>, which the job's role may not create."""
    bucket = require(args, "bucket", "the data bucket (Athena query results go under athena-results/ in it)")
    return args.get("athena_output") or f"s3://{bucket}/athena-results/"


def _objects(source: str) -> list[str]:
    """The data objects of an S3 file source (one object, or every object under a prefix), in name order; names that
    start with _ or . (_SUCCESS, .crc: what Spark and Hive leave beside their parts) are not data."""
    paths = sorted(
        p for p in wr.s3.list_objects(source) if not p.rsplit("/", 1)[-1].startswith(("_", ".")) and not p.endswith("/")
    )
    if not paths:
        raise ExportSourceError(f"--source {source}: no objects there (an S3 prefix of CSV or JSON lines files)")
    return paths


def _first_line(path: str, encoding: str) -> str:
    """The first line of an object, for delimiter detection (reads 64 KiB at most)."""
    bucket, key = split_s3(path)
    head: bytes = s3_client().get_object(Bucket=bucket, Key=key, Range="bytes=0-65535")["Body"].read()
    if key.endswith(".gz"):
        head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 65536)
    return head.decode(encoding, errors="replace").splitlines()[0] if head else ""


def _read_csv(
    paths: str | list[str],
    chunk_rows: int,
    names: list[str] | None,
    skip: int,
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
) -> Iterator[pd.DataFrame]:
    """CSV read as text (IDs like 007 stay intact); only empty cells are missing."""
    return wr.s3.read_csv(
        paths,
        chunksize=chunk_rows,
        dtype=str,
        keep_default_na=False,
        na_values=[""],
        names=names,
        skiprows=skip or None,
        header=None if names else "infer",
        sep=delimiter,
        encoding=encoding,
    )


def _read_catalog(table: str, chunk_rows: int) -> Iterator[pd.DataFrame]:
    database, dot, name = table.partition(".")
    if not dot:
        raise ExportArgumentError(f"--source {table!r}: a catalog source is database.table")
    params = wr.catalog.get_table_parameters(database=database, table=name)
    kind = params.get("classification", "parquet").lower()
    if kind == "parquet":
        yield from wr.s3.read_parquet_table(table=name, database=database, chunked=chunk_rows)
    elif kind == "csv":
        names = list(wr.catalog.get_table_types(database=database, table=name) or {})
        location = wr.catalog.get_table_location(database=database, table=name)
        skip = int(params.get("skip.header.line.count", "0"))
        yield from _rechunk(_read_csv(location, chunk_rows, names=names, skip=skip), chunk_rows)
    else:
        raise ExportSourceError(
            f"catalog table {table} has classification {kind!r}: only parquet and csv "
            "tables are read directly; use --source_type athena with a SELECT for the others"
        )


def _decoded(frames: Iterator[pd.DataFrame], source: str, encoding: str) -> Iterator[pd.DataFrame]:
    """The CSV chunks, with a file the reader cannot decode or split reported as the source's problem."""
    try:
        yield from frames
    except UnicodeDecodeError as exc:
        raise ExportSourceError(
            f"{source}: not {_shown(encoding)} text (byte 0x{exc.object[exc.start]:02x} cannot be decoded): save it as "
            "UTF-8 or give its encoding (encoding=latin-1, cp1252, utf-16...)"
        ) from None
    except pd.errors.ParserError as exc:
        raise ExportSourceError(f"{source}: not a CSV file of the delimiter it was read with ({exc})") from None


JSON_BATCH = 10_000  # lines parsed in one json call: a per-line call costs more than the parse itself


def _shown(encoding: str) -> str:
    """The encoding as the user named it (utf-8-sig is how the job reads UTF-8 with or without a byte order mark)."""
    return "utf-8" if encoding == "utf-8-sig" else encoding


def _read_json_lines(paths: list[str], chunk_rows: int, encoding: str, explode: str) -> Iterator[pd.DataFrame]:
    """JSON lines objects as chunks of text columns: numbers keep their exact text (parse_int=str), nested objects
    become `outer.inner` columns, and with `explode` each element of that list is one row."""
    decoder = json.JSONDecoder(parse_int=str, parse_float=str)
    frames: list[pd.DataFrame] = []  # one per batch: a chunk's worth of dicts alive at once makes the collector crawl
    size = 0
    for path in paths:
        bucket, key = split_s3(path)
        body = s3_client().get_object(Bucket=bucket, Key=key)["Body"]
        numbered = enumerate(_lines(gzip.GzipFile(fileobj=body) if key.endswith(".gz") else body), start=1)
        while batch := [(n, raw) for n, raw in itertools.islice(numbered, JSON_BATCH) if raw.strip()] or _more(
            numbered
        ):
            records = _json_records(decoder, batch, path, encoding)
            if explode:
                rows = [row for number, record in records for row in _exploded(record, explode, path, number)]
            else:
                rows = [record for _, record in records]
            frames.append(pd.DataFrame(rows, dtype=object))  # keys missing from a record are missing values
            size += len(rows)
            if size >= chunk_rows:
                yield pd.concat(frames, ignore_index=True)
                frames, size = [], 0
    if size:
        yield pd.concat(frames, ignore_index=True)


def _json_records(
    decoder: json.JSONDecoder, batch: list[tuple[int, bytes]], path: str, encoding: str
) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) of a batch of non-blank lines, parsed in one call; a batch that does not parse is parsed
    line by line, for the message to name the line."""
    joined = b",".join(raw for _, raw in batch)
    if batch and batch[0][0] == 1 and encoding == "utf-8-sig":
        joined = joined.removeprefix(codecs.BOM_UTF8)
    try:
        records = decoder.decode(f"[{joined.decode('utf-8' if encoding == 'utf-8-sig' else encoding)}]")
    except (UnicodeDecodeError, json.JSONDecodeError):
        records = [_json_record(decoder, raw, path, number, encoding) for number, raw in batch]
    for (number, _), record in zip(batch, records):
        if not isinstance(record, dict):
            found = type(record).__name__
            raise ExportSourceError(f"{path} line {number}: a JSON lines record is an object, found {found}")
    if joined.count(b"{") != len(records):  # some value holds an object (or a brace): flatten where needed
        records = [_flat(r) if any(isinstance(v, dict) for v in r.values()) else r for r in records]
    return [(number, record) for (number, _), record in zip(batch, records)]


def _lines(body: Any) -> Iterator[bytes]:
    """The lines of a binary stream, read 1 MiB at a time (a trailing \\r stays: JSON reads it as whitespace)."""
    pending = b""
    while block := body.read(1 << 20):
        lines = (pending + block).split(b"\n")
        pending = lines.pop()
        yield from lines
    if pending:
        yield pending


def _more(numbered: Iterator[tuple[int, bytes]]) -> list[tuple[int, bytes]]:
    """After a batch of blank lines only: the next non-blank line, or [] at the end of the file."""
    return next(([(n, raw)] for n, raw in numbered if raw.strip()), [])


def _json_record(decoder: json.JSONDecoder, raw: bytes, path: str, number: int, encoding: str) -> Any:
    try:
        text = raw.decode(encoding if number == 1 or encoding != "utf-8-sig" else "utf-8")
    except UnicodeDecodeError as exc:
        raise ExportSourceError(
            f"{path} line {number}: not {_shown(encoding)} text (byte 0x{exc.object[exc.start]:02x}): save it as UTF-8 "
            "or give its encoding (encoding=latin-1, cp1252...)"
        ) from None
    try:
        return decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise ExportSourceError(f"{path} line {number}: not JSON ({exc.msg} at column {exc.colno})") from None


def _flat(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as `outer.inner` keys (as pandas.json_normalize names them); lists stay lists."""
    flat: dict[str, Any] = {}
    for name, value in record.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def _exploded(record: dict[str, Any], column: str, path: str, number: int) -> Iterator[dict[str, Any]]:
    """One row per element of the list `column`: a dict element's keys become columns (named `column.key` when the
    outer record has the same name), any other element is the value of `column`."""
    if column not in record:
        raise ExportSourceError(
            f"{path} line {number}: no list {column!r} to explode (keys: {', '.join(record)}); check explode="
        )
    elements = record[column]
    outer = {name: value for name, value in record.items() if name != column}
    for element in elements if isinstance(elements, list) else [elements]:
        if isinstance(element, dict):
            yield {**outer, **{(f"{column}.{k}" if k in outer else k): v for k, v in _flat(element).items()}}
        elif element is not None:
            yield {**outer, column: element}


def _rechunk(frames: Iterator[pd.DataFrame], chunk_rows: int) -> Iterator[pd.DataFrame]:
    buffer: list[pd.DataFrame] = []
    size = 0
    for df in frames:
        buffer.append(df)
        size += len(df)
        if size >= chunk_rows:
            merged = pd.concat(buffer, ignore_index=True)
            for start in range(0, len(merged) - chunk_rows + 1, chunk_rows):
                yield merged.iloc[start : start + chunk_rows]
            rest = merged.iloc[len(merged) - len(merged) % chunk_rows :]
            buffer, size = ([rest], len(rest)) if len(rest) else ([], 0)
    if size:
        yield pd.concat(buffer, ignore_index=True)


# ---------------------------------------------------------------- mapping


FILL_EXAMPLE = '{"CREATION_TIMESTAMP": 788918400}'


def fill_constants(args: dict[str, str]) -> dict[str, Any]:
    """Schema field -> the constant every row gets: --fill, a JSON object (the params' datasets[].fill, e.g.
    {"CREATION_TIMESTAMP": 788918400}), and --event_type for EVENT_TYPE (the stack parameter InteractionsEventType, the
    deployed workflow's event type when the mapping has none; --fill's EVENT_TYPE wins)."""
    text = args.get("fill") or ""
    allowed = f"allowed: a JSON object of field to constant, e.g. {FILL_EXAMPLE}"
    try:
        constants = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError as exc:
        raise ExportArgumentError(f"--fill {text}: not JSON ({exc}); {allowed}") from None
    if not isinstance(constants, dict) or not all(isinstance(v, (str, int, float)) for v in constants.values()):
        raise ExportArgumentError(f"--fill {text}: {allowed} (a string, number or boolean)")
    if args.get("event_type"):
        constants.setdefault("EVENT_TYPE", args["event_type"])
    return constants


def field_columns(fields: list[Field], args: dict[str, str]) -> dict[str, str | None]:
    """Schema field -> the source column it reads, by --mapping and the derivations (a field not mapped reads the
    column of its own name); None for a field --fill or --event_type gives a constant (the mapping wins)."""
    mapping = parse_mapping(args.get("mapping", ""))
    for key, target in (("event_type_column", "EVENT_TYPE"), ("event_value_column", "EVENT_VALUE")):
        if args.get(key):
            mapping[target] = args[key]
    constants = fill_constants(args)
    return {
        f.name: None if f.name in constants and f.name not in mapping else mapping.get(f.name, f.name) for f in fields
    }


def source_columns(fields: list[Field], args: dict[str, str]) -> list[str]:
    """The source columns the mapping reads, each once."""
    return list(dict.fromkeys(c for c in field_columns(fields, args).values() if c is not None))


def map_columns(df: pd.DataFrame, fields: list[Field], args: dict[str, str]) -> pd.DataFrame:
    """The source chunk with one column per schema field (raw values), by --mapping and the derivations."""
    columns = field_columns(fields, args)
    constants = fill_constants(args)
    out: dict[str, Any] = {}
    for f in fields:
        if (column := columns[f.name]) is None:
            value = constants[f.name]
            out[f.name] = pd.Series(value, index=df.index, dtype="str" if isinstance(value, str) else None)
        elif column in df.columns:
            out[f.name] = df[column]
        elif not f.nullable:
            raise ExportSourceError(
                f"schema field {f.name} is required but the source has no column {column!r} "
                f"(source columns: {', '.join(map(str, df.columns))}); add {f.name}=<column> to --mapping"
            )
        else:
            out[f.name] = pd.Series(None, index=df.index, dtype="object")
    return pd.DataFrame(out, index=df.index)


def check_mapping(fields: list[Field], args: dict[str, str]) -> None:
    """Fail before reading when --mapping or --fill names a field the schema does not have, or both name one."""
    names = {f.name for f in fields}
    mapping = parse_mapping(args.get("mapping", ""))
    constants = fill_constants(args)  # refuses a --fill that is not an object of constants
    filled = json.loads(args["fill"]) if (args.get("fill") or "").strip() else {}
    for option, named in (("--mapping", mapping), ("--fill", filled)):
        unknown = sorted(set(named) - names)
        if unknown:
            raise ExportArgumentError(
                f"{option} names {', '.join(unknown)}, not in the schema (fields: {', '.join(f.name for f in fields)})"
            )
    for name in sorted(set(filled) & set(mapping)):
        raise ExportArgumentError(
            f"--fill gives {name} the constant {json.dumps(constants[name])} and --mapping maps it to the column "
            f"{mapping[name]!r}; keep one"
        )


# ---------------------------------------------------------------- conformance


def _is_text(s: pd.Series) -> bool:
    return s.dtype != object and pd.api.types.is_string_dtype(s.dtype)


def _byte_lengths(s: pd.Series) -> np.ndarray:
    """UTF-8 bytes per text value, 0 when missing (from Arrow's offsets: no pass over the characters)."""
    return np.asarray(pc.binary_length(arrow_text(s)).fill_null(0).to_numpy(zero_copy_only=False))


def _char_lengths(s: pd.Series, limit: int) -> np.ndarray:
    """Characters per text value (0 when missing), exact wherever it matters for `> limit`: a character takes at least
    one byte, so characters are only counted when some value has more than `limit` bytes."""
    lengths = _byte_lengths(s)
    return s.str.len().to_numpy(dtype="float64", na_value=0) if lengths.max(initial=0) > limit else lengths


def _missing(s: pd.Series) -> np.ndarray:
    """Null or empty (for text: null or ""; other values are never blank)."""
    if _is_text(s):
        return _byte_lengths(s) == 0
    mask = s.isna().to_numpy(dtype=bool)
    if s.dtype == object:
        mask = mask | (s.astype("str").str.strip() == "").to_numpy(dtype=bool, na_value=True)
    return mask


def _whitespace_only(s: pd.Series) -> np.ndarray:
    """Text values made of whitespace alone (spaces, tabs, no-break spaces...), not empty ones."""
    return np.asarray(pc.utf8_is_space(arrow_text(s)).fill_null(False).to_numpy(zero_copy_only=False))


def _as_text(s: pd.Series) -> pd.Series:
    """Strings; list values (multi-valued categoricals) joined with `|`."""
    if _is_text(s):
        return s
    if s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):  # a C scan
        s = s.map(lambda v: "|".join(map(str, v)) if isinstance(v, (list, tuple, np.ndarray)) else v)
    if pd.api.types.is_float_dtype(s.dtype) and s.dropna().mod(1).eq(0).all():
        s = s.astype("Int64")
    return s.astype("string")  # missing stays missing (pandas 2 would turn None into "None" with astype(str))


def _epoch_seconds(s: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Unix seconds from datetimes, ISO strings, or numbers in s / ms / us / ns (by magnitude); and a bad mask."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        values = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is None else s.dt.tz_convert(None)
        secs = pd.Series(values.astype("datetime64[s]").astype("int64"), index=s.index).astype("Int64")
        return secs.where(s.notna()), np.zeros(len(s), bool)
    numbers = pd.to_numeric(s, errors="coerce") if not pd.api.types.is_numeric_dtype(s.dtype) else s
    numbers = numbers.astype("float64") if not pd.api.types.is_integer_dtype(numbers.dtype) else numbers
    secs = _scale_to_seconds(numbers)
    needs_parse = secs.isna().to_numpy() & s.notna().to_numpy()
    if needs_parse.any():
        text = s[needs_parse].astype("str")
        zoned = text.str.contains(r"(?:Z|[+-]\d\d(?::?\d\d)?)$", regex=True)
        for group in (zoned, ~zoned):  # apart: pandas 2 reads a naive time in the offset of the values before it
            if group.any():
                parsed = pd.to_datetime(text[group], errors="coerce", utc=True, format="ISO8601")
                ok = parsed.notna()
                ticks = parsed[ok].astype("int64")  # in the parse's own unit (pandas 3 picks it per value range)
                secs.loc[ticks.index] = (ticks // _TICKS_PER_SECOND[parsed.dt.unit]).astype("Int64")
    bad = secs.isna().to_numpy() & ~_missing(s)
    bad |= ((secs < 0) | (secs > MAX_SECONDS)).to_numpy(dtype=bool, na_value=False)
    return secs.where(~pd.Series(bad, index=s.index)), bad


_TICKS_PER_SECOND = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}


def _scale_to_seconds(numbers: pd.Series) -> pd.Series:
    """Seconds from numbers in s / ms / us / ns, told apart by magnitude (seconds stay below 1e11 until year 5138)."""
    floats = numbers.to_numpy(dtype="float64", na_value=np.nan)
    magnitude = np.abs(floats)
    divisor = np.select([magnitude < 1e11, magnitude < 1e14, magnitude < 1e17], [1, 10**3, 10**6], 10**9)
    if pd.api.types.is_integer_dtype(numbers.dtype):  # exact integer division: no float rounding at ns scale
        return (numbers.astype("Int64") // divisor).astype("Int64")
    seconds = pd.Series(np.floor(floats / divisor), index=numbers.index)
    return seconds.where(np.isfinite(seconds) & (np.abs(seconds) <= MAX_SECONDS)).astype("Int64")


def _conform_field(f: Field, s: pd.Series) -> tuple[pd.Series, np.ndarray, str]:
    """(conformed values, bad mask, rule name) for one field; missing values are handled by the caller."""
    if f.is_timestamp:
        values, bad = _epoch_seconds(s)
        return values, bad, "not_a_timestamp"
    if f.type in ("long", "int"):
        numbers = pd.to_numeric(s, errors="coerce").astype("float64")
        limit = 2**31 if f.type == "int" else 2**63
        bad = ~_missing(s) & ~(numbers.mod(1).eq(0) & numbers.abs().lt(limit)).to_numpy(dtype=bool, na_value=False)
        return numbers.where(~pd.Series(bad, index=s.index)).astype("Int64"), bad, "not_an_integer"
    if f.type in ("float", "double"):
        numbers = pd.to_numeric(s, errors="coerce").astype("float64")
        bad = ~_missing(s) & ~np.isfinite(numbers.to_numpy(dtype="float64", na_value=np.nan))
        return numbers.where(~pd.Series(bad, index=s.index)), bad, "not_a_number"
    if f.type == "boolean":
        words = (
            s.astype("str")
            .str.strip()
            .str.lower()
            .map({"true": "true", "false": "false", "1": "true", "0": "false", "1.0": "true", "0.0": "false"})
        )
        bad = ~_missing(s) & words.isna().to_numpy()
        return words.astype("str"), bad, "not_a_boolean"
    text = s  # already text: conform() applies _as_text to string fields
    lengths = _char_lengths(text, MAX_ID_CHARS if f.name in ID_FIELDS else MAX_CATEGORICAL_CHARS)
    if f.name in ID_FIELDS:
        return text, lengths > MAX_ID_CHARS, f"longer_than_{MAX_ID_CHARS}_chars"
    if f.categorical and (lengths > MAX_CATEGORICAL_CHARS).any():
        longest = text.str.split("|").map(lambda parts: max(map(len, parts)) if isinstance(parts, list) else 0)
        return text, (longest > MAX_CATEGORICAL_CHARS).to_numpy(), f"categorical_value_over_{MAX_CATEGORICAL_CHARS}"
    return text, np.zeros(len(s), bool), ""


def conform(raw: pd.DataFrame, fields: list[Field]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows conformed to the schema, rejected raw rows with REJECT_REASON `FIELD:rule` for the first broken field)."""
    reasons = [""]  # code 0: no problem
    code = np.zeros(len(raw), np.int32)
    out: dict[str, pd.Series] = {}
    for f in fields:
        s = raw[f.name].reset_index(drop=True)
        s = _as_text(s) if f.type == "string" else s
        missing = _missing(s)
        values, bad, rule = _conform_field(f, s)
        if not f.nullable and missing.any():
            reasons.append(f"{f.name}:missing_required_value")
            code[missing & (code == 0)] = len(reasons) - 1
        if f.name in ID_FIELDS and (blank := _whitespace_only(s)).any():  # " " is not an ID anyone meant
            reasons.append(f"{f.name}:whitespace_only")
            code[blank & (code == 0)] = len(reasons) - 1
        broken = np.asarray(bad, dtype=bool) & ~missing
        if broken.any():
            reasons.append(f"{f.name}:{rule}")
            code[broken & (code == 0)] = len(reasons) - 1
        out[f.name] = (
            values.where(~pd.Series(missing, index=values.index), None) if f.nullable and missing.any() else values
        )
    rejected = code > 0
    if not rejected.any():
        return pd.DataFrame(out), raw.iloc[:0].astype("string").assign(REJECT_REASON="")
    good = pd.DataFrame(out)[~rejected].reset_index(drop=True)
    why = np.asarray(reasons, dtype=object)[code[rejected]]
    # "string", not "str": pandas 2 writes a missing value as "nan" with astype(str)
    bad_rows = raw.reset_index(drop=True)[rejected].astype("string").assign(REJECT_REASON=why)
    return good, bad_rows


# ---------------------------------------------------------------- statistics


@dataclass
class ExportStats:
    rows_read: int = 0
    rows_before_since: int = 0
    rows_written: int = 0
    duplicates: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    ts_min: int | None = None
    ts_max: int | None = None
    rows: HashCounter = field(default_factory=lambda: HashCounter(with_counts=False))
    users: HashCounter = field(default_factory=lambda: HashCounter(with_counts=True))
    items: HashCounter = field(default_factory=lambda: HashCounter(with_counts=True))  # counts: the popularity
    across_chunks: bool = True  # --dedupe global (8 bytes per distinct row) or chunk (flat memory)
    # interactions only: every written event for the inflation measures and baselines, and the same-second policy
    events: EventLog | None = None
    same_second: SameSecond = field(default_factory=SameSecond)
    seconds: HashCounter = field(default_factory=lambda: HashCounter(with_counts=False))  # collapse, refuse
    typed: HashCounter = field(default_factory=lambda: HashCounter(with_counts=False))  # refuse
    collapsed: int = 0
    other_type: int = 0  # refuse: same-second events of another type, counted exactly
    source: dict[str, Any] = field(default_factory=dict)  # sourceSchema and schemaChange (source_schema.check)

    def absorb(self, good: pd.DataFrame) -> np.ndarray:
        """Count the chunk's users, items and time range; return the mask of rows to write: never seen before in
        this export (exact duplicates are False, counted in `duplicates`: within the chunk, and across chunks unless
        --dedupe chunk), and, when collapsing, the first event of each (user, item, second) (counted in `collapsed`:
        the preferred event type first within a chunk; across chunks the first one written stays)."""
        digests = np.zeros(len(good), np.uint64)
        ids: dict[str, np.ndarray] = {}
        for name in good.columns:
            column = column_digests(good[name])
            ids[name] = column
            digests *= MIX
            digests ^= column
        fresh = self.rows.add(digests) if self.across_chunks else ~pd.Series(digests).duplicated().to_numpy()
        self.duplicates += int(len(good) - fresh.sum())
        if self.events is not None and {"USER_ID", "ITEM_ID", "TIMESTAMP"} <= set(ids):
            fresh = self._same_second(good, ids, fresh)
            types = ids.get("EVENT_TYPE", np.zeros(len(good), np.uint64))
            stamps = good["TIMESTAMP"].to_numpy(dtype="int64", na_value=0)
            self.events.add(ids["USER_ID"][fresh], ids["ITEM_ID"][fresh], types[fresh], stamps[fresh])
        for name, counter in (("USER_ID", self.users), ("ITEM_ID", self.items)):
            if name in ids:
                counter.count(ids[name][fresh & good[name].notna().to_numpy()])
        self._observe_time(good, fresh)
        return fresh

    def _same_second(self, good: pd.DataFrame, ids: dict[str, np.ndarray], fresh: np.ndarray) -> np.ndarray:
        """Collapse: the rows to keep (8 bytes per distinct second of a (user, item)); refuse: count the same-second
        events of another type exactly (16 bytes per row); keep: nothing here (the inflation measure estimates)."""
        if self.same_second.policy == "keep":
            return fresh
        key = (ids["USER_ID"] * MIX ^ ids["ITEM_ID"]) * MIX ^ ids["TIMESTAMP"]
        rows = np.flatnonzero(fresh)
        if self.same_second.policy == "refuse":
            typed = key * MIX ^ ids.get("EVENT_TYPE", np.zeros(len(good), np.uint64))
            self.other_type += int((~self.seconds.add(key[rows]) & self.typed.add(typed[rows])).sum())
            return fresh
        if self.same_second.prefer and "EVENT_TYPE" in good:  # the preferred type first, then file order
            other = (good["EVENT_TYPE"].to_numpy()[rows] != self.same_second.prefer).astype(np.int8)
            rows = rows[np.argsort(other, kind="stable")]
        kept = np.zeros(len(good), bool)
        kept[rows[self.seconds.add(key[rows])]] = True
        self.collapsed += int(fresh.sum() - kept.sum())
        return kept

    def _observe_time(self, good: pd.DataFrame, fresh: np.ndarray) -> None:
        name = "TIMESTAMP" if "TIMESTAMP" in good else "CREATION_TIMESTAMP" if "CREATION_TIMESTAMP" in good else ""
        stamps = good[name].to_numpy(dtype="float64", na_value=np.nan)[fresh] if name else np.empty(0)
        stamps = stamps[~np.isnan(stamps)]
        if len(stamps):
            lo, hi = int(stamps.min()), int(stamps.max())
            self.ts_min = lo if self.ts_min is None else min(self.ts_min, lo)
            self.ts_max = hi if self.ts_max is None else max(self.ts_max, hi)


# ---------------------------------------------------------------- CSV parts


class PartWriter:
    """Writes numbered CSV parts under s3://bucket/prefix/ with an exact header line (no quoting of names).

    Serialising and uploading a part runs on one background thread while the caller prepares the next chunk; at most
    one part is in flight (write() waits for the previous one first), so memory stays at about two chunks.
    """

    def __init__(self, bucket: str, prefix: str, columns: list[str]) -> None:
        self.bucket, self.prefix, self.columns = bucket, prefix, columns
        self.keys: list[str] = []
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._pending: Future[None] | None = None
        self._client = s3_client()  # the process's one client (boto3 clients are thread-safe)

    def write(self, df: pd.DataFrame) -> None:
        if not len(df):
            return
        self._wait()
        key = f"{self.prefix}/part-{len(self.keys):05d}.csv"
        self.keys.append(key)
        self._pending = self._pool.submit(self._upload, key, df)  # the caller does not modify df afterwards

    def close(self) -> None:
        """Wait for the last upload (re-raising its error) and stop the thread."""
        try:
            self._wait()
        finally:
            self._pool.shutdown()

    def _wait(self) -> None:
        if self._pending is not None:
            pending, self._pending = self._pending, None
            pending.result()

    def _upload(self, key: str, df: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(df, columns=self.columns, preserve_index=False)  # no pandas copy to reorder
        buffer = io.BytesIO()
        for quoting in ("none", "needed"):  # unquoted unless some value holds a comma, quote or line break
            buffer = io.BytesIO()
            buffer.write((",".join(self.columns) + "\n").encode())
            try:
                pacsv.write_csv(table, buffer, pacsv.WriteOptions(include_header=False, quoting_style=quoting))
                break
            except pa.ArrowInvalid:
                continue
        self._client.put_object(Bucket=self.bucket, Key=key, Body=buffer.getvalue(), ContentType="text/csv")


# ---------------------------------------------------------------- the export


def dedupe_mode(args: dict[str, str]) -> str:
    mode = args.get("dedupe") or "global"
    if mode not in ("global", "chunk"):
        raise ExportArgumentError(f"--dedupe {mode!r} is not global (whole export, 8 bytes per row) or chunk")
    return mode


def parse_since(text: str) -> int:
    """--since as Unix seconds: ISO 8601, or epoch seconds / ms / us / ns."""
    secs, bad = _epoch_seconds(pd.Series([text.strip()], dtype="str"))
    if bad[0] or pd.isna(secs.iloc[0]):
        raise ExportArgumentError(f"--since {text!r} is neither ISO 8601 (2024-05-01T00:00:00Z) nor epoch seconds/ms")
    return int(secs.iloc[0])


def resolve_since(args: dict[str, str], bucket: str, fields: list[Field]) -> tuple[int | None, str]:
    """The timestamp watermark (rows must be newer) and where it came from: --since, the S3 state, or none."""
    has_ts = any(f.name == "TIMESTAMP" for f in fields)
    if args.get("since"):
        if not has_ts:
            raise ExportArgumentError("--since filters on TIMESTAMP, which this schema does not have")
        return parse_since(args["since"]), "--since"
    if export_mode(args) == "incremental" and has_ts:
        group = require(args, "dataset_group", "incremental mode reads exports/_state/<dataset_group>.json")
        state = get_json(bucket, state_key(group)) or {}
        if state.get("watermark") is not None:
            return int(state["watermark"]), f"s3://{bucket}/{state_key(group)}"
    return None, "none"


def _iso(secs: int | None) -> str | None:
    return None if secs is None else datetime.fromtimestamp(secs, UTC_ZONE).isoformat().replace("+00:00", "Z")


OPTIONAL_DATASETS = ("users", "items")  # interactions are always exported


class Opening(NamedTuple):
    """What both engines' exports start from: the bucket, the run id, the Avro schema and its fields."""

    bucket: str
    run_id: str
    schema: dict[str, Any]
    fields: list[Field]


def open_export(dataset: str, args: dict[str, str]) -> Opening | dict[str, Any]:
    """The export's bucket, run id and schema (the mapping checked against it); for a dataset the stack does not
    export (its Source parameter is empty), the summary that says it was skipped: no part, so publish_params knows."""
    bucket = require(args, "bucket", "the S3 bucket that receives exports/<run-id>/ (bucket name, no s3://)")
    run_id = run_id_of(args)
    if dataset in OPTIONAL_DATASETS and not args.get("source", "").strip():
        log.info(f"export_{dataset}: skipped, no --source: this stack exports no {dataset}")
        return {"dataset": dataset, "runId": run_id, "skipped": True}
    schema, fields = load_schema(require(args, "schema", f"the Avro schema, e.g. s3://{bucket}/schemas/{dataset}.avsc"))
    check_mapping(fields, args)
    return Opening(bucket, run_id, schema, fields)


def close_export(
    dataset: str,
    bucket: str,
    part: dict[str, Any],
    stats: ExportStats,
    since: int | None,
    since_from: str,
    args: dict[str, str],
) -> dict[str, Any]:
    """Complete the manifest part (watermark, the interactions' inflation and baselines, every user's list for batch
    serving), write it, and return the export's summary."""
    part["since"] = {"value": since, "iso": _iso(since), "from": since_from}
    if stats.events is not None:
        part.update(_trust(stats, stats.events))
        for warning in part["inflation"]["warnings"]:
            log.warning(f"export_{dataset}: {warning}")
    if dataset == "interactions" and any(f["name"] == "USER_ID" for f in part["schema"]["fields"]):
        part["batchUsers"] = write_batch_users(bucket, part, args, since)
    put_json(bucket, f"exports/{part['runId']}/manifest/{dataset}.json", part)
    return {
        key: part[key]
        for key in ("dataset", "runId", "location", "rowsRead", "rowsWritten", "rowsRejected", "duplicatesRemoved")
    }


def run_export(dataset: str, args: dict[str, str]) -> dict[str, Any]:
    """Stream the source into exports/<run-id>/<dataset>/part-*.csv and write the manifest part; return its summary."""
    opening = open_export(dataset, args)
    if not isinstance(opening, Opening):
        return opening
    bucket, run_id, schema, fields = opening
    chunk_rows = int_arg(args, "chunk_rows", DEFAULT_CHUNK_ROWS)
    stats = ExportStats(across_chunks=dedupe_mode(args) == "global")
    if dataset == "interactions":
        stats.events, stats.same_second = EventLog(), same_second_policy(args)
    since, since_from = resolve_since(args, bucket, fields)
    chunks = iter_source(args, chunk_rows, since)
    first = next(chunks, None)  # the source's columns, compared with the last published run's before any row
    mapped = source_columns(fields, args)
    columns = None if first is None else source_schema.frame_columns(first)
    stats.source = source_schema.check(
        dataset, args, bucket, run_id, mapped, source_schema.describe(args, columns, mapped)
    )
    names = [f.name for f in fields]
    base = f"exports/{run_id}"
    writer = PartWriter(bucket, f"{base}/{dataset}", names)
    rejects = PartWriter(bucket, f"{base}/rejected/{dataset}", [*names, "REJECT_REASON"])
    frozen_by_caller = gc.get_freeze_count() > 0  # offline, the CLI freezes the heap for the whole pipeline run
    gc.freeze()  # see _stream
    try:
        stream = itertools.chain([] if first is None else [first], chunks)
        _stream(stream, fields, args, since, stats, writer, rejects)
    finally:
        if not frozen_by_caller:  # else the caller's unfreeze releases what we froze too
            gc.unfreeze()
        writer.close()
        rejects.close()
    part = _manifest_part(dataset, run_id, bucket, schema, args, stats, writer, rejects)
    return close_export(dataset, bucket, part, stats, since, since_from, args)


def same_second_policy(args: dict[str, str]) -> SameSecond:
    try:
        return SameSecond.parse(args.get("same_second_duplicates", ""))
    except ValueError as exc:
        raise ExportArgumentError(str(exc)) from None


def _trust(stats: ExportStats, events: EventLog) -> dict[str, Any]:
    """The inflation measures, the same-second policy's effect and the baselines, for the manifest; refuses the
    export when the policy is refuse and there are same-second events of another type."""
    inflation = measure(events)
    found = stats.other_type
    if found:
        raise SameSecondError(
            f"{found} interactions ({100 * found / max(1, stats.rows_written):.1f}%) repeat a (user, item) in "
            "the same second under another event type, and same-second duplicates are refused: collapse them "
            "(collapse, or collapse:<event type> to keep that type) or keep them (keep); stack parameter "
            "InteractionsSameSecondDuplicates, job argument --same_second_duplicates"
        )
    return {
        "sameSecondDuplicates": {
            "policy": stats.same_second.policy,
            "prefer": stats.same_second.prefer or None,
            "collapsed": stats.collapsed,
        },
        "inflation": inflation,
        "baselines": {
            "estimate": "Personalize's split definition on a 10% sample of users; its own test users are a "
            "random sample we cannot see",
            **baselines(events, np.concatenate(stats.items.keys), np.concatenate(stats.items.counts or [])),
        },
    }


def _stream(
    chunks: Iterator[pd.DataFrame],
    fields: list[Field],
    args: dict[str, str],
    since: int | None,
    stats: ExportStats,
    writer: PartWriter,
    rejects: PartWriter,
) -> None:
    """Map, conform, filter by the watermark, dedupe, count and write each chunk as it arrives.

    The caller freezes the heap that exists before (modules, botocore models: 100 k+ objects) out of the cyclic
    garbage collector: pandas' per-chunk objects trigger full collections, and each one scanned all of it (60-85 ms,
    about 6% of a 1 M-row export). Frozen objects are still freed by reference counting, and the collector gets them
    back when the stream ends."""
    for chunk in chunks:
        stats.rows_read += len(chunk)
        good, bad = conform(map_columns(chunk, fields, args), fields)
        if since is not None:
            newer = good["TIMESTAMP"].gt(since).to_numpy(dtype=bool, na_value=False)
            stats.rows_before_since += int((~newer).sum())
            good = good if newer.all() else good[newer]
        fresh = stats.absorb(good)
        good = good if fresh.all() else good[fresh]
        stats.rejected.update(bad["REJECT_REASON"].value_counts().to_dict())
        stats.rows_written += len(good)
        writer.write(good)
        rejects.write(bad)


def _manifest_part(
    dataset: str,
    run_id: str,
    bucket: str,
    schema: dict[str, Any],
    args: dict[str, str],
    stats: ExportStats,
    writer: PartWriter,
    rejects: PartWriter,
) -> dict[str, Any]:
    names = {f["name"] for f in schema["fields"]}
    part: dict[str, Any] = {
        "dataset": dataset,
        "runId": run_id,
        "createdAt": _iso(int(datetime.now(UTC_ZONE).timestamp())),
        "mode": export_mode(args),
        "source": {"type": args.get("source_type", "s3_parquet"), "source": args.get("source")},
        "location": f"s3://{bucket}/exports/{run_id}/{dataset}/",
        "parts": len(writer.keys),
        "rowsRead": stats.rows_read,
        "rowsBeforeSince": stats.rows_before_since,
        "rowsWritten": stats.rows_written,
        "rowsRejected": sum(stats.rejected.values()),
        "rejectedByReason": dict(sorted(stats.rejected.items())),
        "rejectedLocation": f"s3://{bucket}/exports/{run_id}/rejected/{dataset}/" if rejects.keys else None,
        "duplicatesRemoved": stats.duplicates,
        "dedupe": "global" if stats.across_chunks else "chunk",
        "timeRange": None
        if stats.ts_min is None
        else {"min": stats.ts_min, "max": stats.ts_max, "minIso": _iso(stats.ts_min), "maxIso": _iso(stats.ts_max)},
        "schema": schema,
    }
    if "USER_ID" in names:
        part["distinctUsers"] = stats.users.distinct()
    if "ITEM_ID" in names:
        part["distinctItems"] = stats.items.distinct()
    if {"USER_ID", "ITEM_ID"} <= names:
        part["usersWithAtLeast2Interactions"] = stats.users.at_least(2)
    part.update(stats.source)
    return part


# ---------------------------------------------------------------- every user, for batch-served jobs

BATCH_USERS = "batch-users/users.jsonl"  # under exports/<run-id>/
USERS_PER_BATCH = 100_000  # lines of the previous list parsed at once


def write_batch_users(bucket: str, part: dict[str, Any], args: dict[str, str], since: int | None) -> dict[str, Any]:
    """Every user of the interactions Personalize holds once this run is imported, as JSON lines {"userId": "..."}
    (the USER_PERSONALIZATION batch input, developer guide "Preparing input data for batch recommendations") in one
    object, exports/<run-id>/batch-users/users.jsonl; publish_params gives it to each batch inference job without a
    jobInput. Both engines call this after their parts are written, so the list is read back from the parts (the
    USER_ID column, conformed) by one piece of code: distinct by a 64-bit digest (8 bytes per user), streamed to a
    local file and uploaded once.

    An export holding only rows newer than a watermark (incremental) starts from the list of the last published run
    (`batchUsers` in the state file, kept by cleanup with that run): every earlier user, then this run's new ones.
    Without that list (state written before lists existed) the list has only this run's users: `complete` false,
    and publish_params refuses to give it to a job."""
    run_id, key = part["runId"], f"exports/{part['runId']}/{BATCH_USERS}"
    previous = None
    if since is not None and args.get("dataset_group"):
        previous = (get_json(bucket, state_key(args["dataset_group"])) or {}).get("batchUsers")
    client, seen = s3_client(), HashCounter(with_counts=False)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "users.jsonl")
        with open(path, "wb") as out:
            carried = _carry_users(client, previous, seen, out) if previous else 0
            users = carried
            pages = client.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=f"exports/{run_id}/interactions/"
            )
            for key_found in sorted(o["Key"] for page in pages for o in page.get("Contents", [])):
                if key_found.endswith(".csv"):
                    for values in _part_users(client, bucket, key_found):
                        users += _write_new_users(values, seen, out)
        client.upload_file(path, bucket, key, ExtraArgs={"ContentType": "application/jsonl"})
    complete = since is None or previous is not None
    log.info(f"export_interactions: {users} users for batch jobs ({carried} from {previous}) at s3://{bucket}/{key}")
    return {"location": f"s3://{bucket}/{key}", "users": users, "carried": carried, "carriedFrom": previous,
            "complete": complete}  # fmt: skip


def _carry_users(client: Any, location: str, seen: HashCounter, out: Any) -> int:
    """The previous list's users, into `seen` and `out`; ExportSourceError when the list is gone."""
    list_bucket, list_key = split_s3(location)
    try:
        body = client.get_object(Bucket=list_bucket, Key=list_key)["Body"]
    except client.exceptions.NoSuchKey:
        raise ExportSourceError(
            f"{location}: the users list of the last published run (batchUsers in the state file) is gone, so this "
            "incremental export cannot list every user for batch jobs; run the workflow once with --mode full"
        ) from None
    count, batch = 0, []
    for line in body.iter_lines(chunk_size=1 << 20):
        if line.strip():
            batch.append(json.loads(line)["userId"])
        if len(batch) >= USERS_PER_BATCH:
            count, batch = count + _write_new_users(pa.array(batch, pa.string()), seen, out), []
    return count + _write_new_users(pa.array(batch, pa.string()), seen, out)


def _part_users(client: Any, bucket: str, key: str) -> Iterator[pa.Array]:
    """The USER_ID values of one exported CSV part, as text (an ID like 007 stays 007), a block at a time."""
    body = client.get_object(Bucket=bucket, Key=key)["Body"]
    reader = pacsv.open_csv(
        body,
        read_options=pacsv.ReadOptions(block_size=1 << 24),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),  # the parts quote values holding line breaks
        convert_options=pacsv.ConvertOptions(include_columns=["USER_ID"], column_types={"USER_ID": pa.string()}),
    )
    for batch in reader:
        yield batch.column(0)


def _write_new_users(values: pa.Array, seen: HashCounter, out: Any) -> int:
    """Write the users of `values` not seen before as JSON lines; return how many."""
    if not len(values):
        return 0
    new = values.filter(pa.array(seen.add(_text_digests(values))))
    out.write("".join(json.dumps({"userId": user}) + "\n" for user in new.to_pylist()).encode())
    return len(new)
