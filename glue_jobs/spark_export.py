"""The exports' Spark engine (Glue for Spark 5.0: Spark 3.5, Python 3.11): the Python shell job's contract on Spark.

Same sources (S3 parquet / CSV / JSON lines, catalog tables), mapping, conformance rules, rejected rows and reasons,
exact duplicates removed across the whole export, watermark, part files and manifest part. One definition of the rules:
each Spark task maps and conforms its batch with personalize_export's own `map_columns` and `conform` (pandas on Arrow
batches), and the statistics reuse its manifest, inflation and baseline code. Spark does what needs the whole data
set: duplicates, same-second collapse, counts, and the part files. Plain PySpark: no `awsglue` import.

Where Spark must differ from the Python shell job (tests/functional/test_glue_spark.py holds both to the same output):
- row order in the parts (Personalize does not care); parts hold about --chunk_rows rows each;
- duplicates are exact on the values (no 64-bit digest, so no collision) and always across the whole export;
- `collapse:<type>` prefers that type across the whole export (the Python shell job prefers it within a chunk);
- CSV objects are read whole by one task each (quoted line breaks), JSON lines must be UTF-8.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import source_schema
from digests import HashCounter, column_digests
from inflation import EXACT_ROWS, EventLog
from job_io import (
    ExportArgumentError,
    detect_delimiter,
    int_arg,
    log,
    require,
    run_id_of,
    s3_client,
    source_options,
    split_s3,
)
from personalize_export import (
    DEFAULT_CHUNK_ROWS,
    ExportSourceError,
    ExportStats,
    Field,
    Opening,
    _exploded,
    _flat,
    _manifest_part,
    close_export,
    conform,
    dedupe_mode,
    map_columns,
    open_export,
    resolve_since,
    same_second_policy,
    source_columns,
)
from pyspark.sql import DataFrame, SparkSession, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

SPARK_SOURCE_TYPES = ("s3_parquet", "s3_csv", "s3_jsonl", "catalog")
ORDER = ("_file", "_block", "_row", "_pos")  # the source order: object, split, row in the split, list position
# what the tasks import (on Glue: --extra-py-files)
JOB_MODULES = ("personalize_export", "digests", "inflation", "db_source", "source_schema", "job_io", "spark_export")
BATCH_ROWS = 100_000  # rows per Arrow batch a task conforms at once
_SHIPPED: set[int] = set()  # the local SparkContexts the job modules were added to


# ---------------------------------------------------------------- the session


def session() -> SparkSession:
    """Glue's session (spark-submit started this process), or a local[2] one for tests, the bench and the CLI."""
    builder = SparkSession.builder.appName("autopersonalize-export")
    local = "PYSPARK_GATEWAY_PORT" not in os.environ and SparkSession.getActiveSession() is None
    if local:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the tasks run the same Python and packages
        builder = builder.master(os.environ.get("SPARK_MASTER", "local[2]")).config("spark.ui.enabled", "false")
        builder = builder.config("spark.sql.shuffle.partitions", "4").config("spark.driver.memory", "2g")
    spark = builder.getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", "UTC")  # naive times are UTC, as in the Python shell job
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", str(BATCH_ROWS))
    spark.sparkContext._jsc.hadoopConfiguration().set("mapreduce.fileoutputcommitter.marksuccessfuljobs", "false")
    if str(spark.sparkContext.master).startswith("local") and id(spark.sparkContext) not in _SHIPPED:
        _SHIPPED.add(id(spark.sparkContext))  # on Glue, --extra-py-files ships these modules
        for name in JOB_MODULES:
            spark.sparkContext.addPyFile(str(Path(__file__).with_name(f"{name}.py")))
    return spark


# ---------------------------------------------------------------- where Spark reads and writes


class Storage:
    """S3 as Spark sees it. `--spark_io s3` (Glue): Spark reads and writes s3:// itself. `--spark_io local:<dir>`
    (PySpark without an S3 connector, e.g. the offline stack): the job copies the source objects into <dir> and the
    parts out of it with boto3, as the job's role; Spark only sees local files."""

    def __init__(self, args: dict[str, str], run_id: str) -> None:
        mode = args.get("spark_io") or "s3"
        if mode != "s3" and not mode.startswith("local:"):
            raise ExportArgumentError(f"--spark_io {mode!r} is not s3 or local:<directory>")
        self.local = Path(mode.removeprefix("local:")) / run_id if mode != "s3" else None

    def objects(self, source: str) -> list[str]:
        """The data objects under a source (S3 prefix or local path), in name order; names starting _ or . are not
        data (_SUCCESS, .crc), as in the Python shell job. Returned as paths Spark can read."""
        if not source.startswith("s3://"):
            root = Path(source)
            files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
            found = [str(p) for p in files if not p.name.startswith(("_", "."))]
        else:
            bucket, prefix = split_s3(source)
            pages = s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            keys = sorted(o["Key"] for page in pages for o in page.get("Contents", []))
            keys = [k for k in keys if not k.endswith("/") and not k.rsplit("/", 1)[-1].startswith(("_", "."))]
            found = [self._readable(bucket, key) for key in keys]
        if not found:
            raise ExportSourceError(f"--source {source}: no objects there (an S3 prefix or a folder of data files)")
        return found

    def base(self, source: str) -> str:
        """The folder partition discovery starts from (`k=v/` folders under it become columns)."""
        if not source.startswith("s3://") or self.local is None:
            return source if source.endswith("/") or not source.startswith("s3://") else source.rsplit("/", 1)[0]
        bucket, prefix = split_s3(source)
        return str(self.local / "in" / bucket / prefix.rsplit("/", 1)[0])

    def _readable(self, bucket: str, key: str) -> str:
        if self.local is None:
            return f"s3://{bucket}/{key}"
        target = self.local / "in" / bucket / key
        target.parent.mkdir(parents=True, exist_ok=True)
        s3_client().download_file(bucket, key, str(target))
        return str(target)

    def scratch(self, bucket: str, key: str) -> str:
        """Where Spark writes a temporary output that publish() then names like the Python shell job's parts."""
        return f"s3://{bucket}/{key}" if self.local is None else str(self.local / "out" / key)

    def publish(self, scratch: str, bucket: str, prefix: str) -> list[str]:
        """Spark's part files under `scratch` with data rows, as s3://bucket/prefix/part-00000.csv ...; returns the keys
        and removes the scratch output."""
        keys: list[str] = []
        client = s3_client()
        if self.local is None:
            src_bucket, src_prefix = split_s3(scratch)
            pages = client.get_paginator("list_objects_v2").paginate(Bucket=src_bucket, Prefix=src_prefix + "/")
            objects = sorted((o["Key"], o["Size"]) for page in pages for o in page.get("Contents", []))
            for key, size in objects:
                if key.rsplit("/", 1)[-1].startswith("part-") and _has_rows(client, src_bucket, key, size):
                    keys.append(f"{prefix}/part-{len(keys):05d}.csv")
                    client.copy_object(Bucket=bucket, Key=keys[-1], CopySource={"Bucket": src_bucket, "Key": key})
                client.delete_object(Bucket=src_bucket, Key=key)
            return keys
        for path in sorted(Path(scratch).glob("part-*")):
            with path.open("rb") as body:
                if body.readline() and body.readline():  # the header, then at least one row
                    keys.append(f"{prefix}/part-{len(keys):05d}.csv")
                    client.upload_file(str(path), bucket, keys[-1], ExtraArgs={"ContentType": "text/csv"})
        shutil.rmtree(scratch, ignore_errors=True)
        return keys

    def close(self) -> None:
        if self.local is not None:
            shutil.rmtree(self.local, ignore_errors=True)


def _has_rows(client: Any, bucket: str, key: str, size: int) -> bool:
    """A part with a row after its header line (Spark writes a header-only file for an empty output)."""
    if not size:
        return False
    head: bytes = client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{min(size, 1 << 16) - 1}")["Body"].read()
    return bool(head.partition(b"\n")[2])


# ---------------------------------------------------------------- sources


def read_source(spark: SparkSession, args: dict[str, str], storage: Storage, needed: list[str]) -> DataFrame:
    """The source as a DataFrame of its columns (text, or parquet's types) plus the ORDER columns."""
    kind = args.get("source_type", "s3_parquet")
    source = require(args, "source", "an S3 prefix (s3_*) or db.table (catalog)")
    if kind == "athena":
        raise ExportArgumentError(
            "--source_type athena runs on the python-shell engine: Athena already runs the query distributed and "
            "the job streams its result; set the dataset's engine to python-shell (or auto)"
        )
    if kind not in SPARK_SOURCE_TYPES:
        raise ExportArgumentError(f"--source_type {kind!r} is not one of {', '.join(SPARK_SOURCE_TYPES)}")
    if kind == "catalog":
        return _read_catalog(spark, source, storage)
    paths = storage.objects(source)
    if kind == "s3_parquet":
        return _ordered(spark.read.option("basePath", storage.base(source)).parquet(*paths))
    options = source_options(args)
    if kind == "s3_csv":
        delimiter = options["delimiter"]
        if delimiter == "auto":
            delimiter = detect_delimiter(_first_line(paths[0], options["encoding"]))
        return _ordered(_csv_reader(spark, delimiter, options["encoding"]).csv(paths))
    if options["encoding"] != "utf-8-sig":
        raise ExportArgumentError(
            f"encoding {options['encoding']!r}: the spark engine reads JSON lines as UTF-8 only; convert the files "
            "or export this dataset with the python-shell engine"
        )
    return _json_lines(spark, paths, options.get("explode", ""), needed)


def _csv_reader(spark: SparkSession, delimiter: str, encoding: str) -> Any:
    """Text as written: every column a string, only empty cells missing, "" doubles a quote (RFC 4180)."""
    return (
        spark.read.option("header", True)
        .option("sep", delimiter)
        .option("encoding", "UTF-8" if encoding == "utf-8-sig" else encoding)
        .option("multiLine", True)  # a quoted value may hold a line break, as pandas reads it
        .option("escape", '"')
        .option("inferSchema", False)
        .option("mode", "FAILFAST")
    )


def _first_line(path: str, encoding: str) -> str:
    if path.startswith("s3://"):
        bucket, key = split_s3(path)
        head: bytes = s3_client().get_object(Bucket=bucket, Key=key, Range="bytes=0-65535")["Body"].read()
    else:
        with open(path, "rb") as body:
            head = body.read(65536)
    return head.decode(encoding, errors="replace").lstrip("\ufeff").splitlines()[0] if head else ""


def _ordered(df: DataFrame) -> DataFrame:
    """The source order: Spark reads each split in order, so (object, split start, id within the task) is file order."""
    return (
        df.withColumn("_file", F.input_file_name())
        .withColumn("_block", F.input_file_block_start())
        .withColumn("_row", F.monotonically_increasing_id())
        .withColumn("_pos", F.lit(0))
    )


def _read_catalog(spark: SparkSession, table: str, storage: Storage) -> DataFrame:
    from job_io import client

    database, dot, name = table.partition(".")
    if not dot:
        raise ExportArgumentError(f"--source {table!r}: a catalog source is database.table")
    found = client("glue").get_table(DatabaseName=database, Name=name)["Table"]
    params, descriptor = found.get("Parameters", {}), found["StorageDescriptor"]
    location = descriptor["Location"].rstrip("/") + "/"
    kind = params.get("classification", "parquet").lower()
    if kind == "parquet":
        return _ordered(spark.read.option("basePath", storage.base(location)).parquet(*storage.objects(location)))
    if kind != "csv":
        raise ExportSourceError(
            f"catalog table {table} has classification {kind!r}: only parquet and csv tables are read directly"
        )
    names = [c["Name"] for c in descriptor.get("Columns", [])]
    skip = int(params.get("skip.header.line.count", "0"))
    frame = _csv_reader(spark, ",", "utf-8").option("header", skip > 0).csv(storage.objects(location))
    return _ordered(frame.toDF(*names[: len(frame.columns)]))


def _json_lines(spark: SparkSession, paths: list[str], explode: str, needed: list[str]) -> DataFrame:
    """Lines parsed with the Python shell job's rules (numbers keep their text, nested objects become `a.b` columns,
    `explode` gives one row per list element); only the columns the mapping needs are kept."""
    lines = _ordered(spark.read.text(paths))
    schema = T.StructType(
        [T.StructField(f"c{i}", T.StringType()) for i in range(len(needed))]
        + [T.StructField(o, T.LongType() if o != "_file" else T.StringType()) for o in ORDER]
    )

    def parse(batches: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        decoder = json.JSONDecoder(parse_int=str, parse_float=str)
        for batch in batches:
            rows: list[list[Any]] = []
            for line, file, block, row in zip(batch["value"], batch["_file"], batch["_block"], batch["_row"]):
                if line is None or not line.strip():
                    continue
                record = _json_record(decoder, line.lstrip("\ufeff"), file)
                if explode and explode not in record:
                    raise ExportSourceError(f"{file}: no list {explode!r} to explode in the line {line[:80]!r}")
                records = _exploded(record, explode, file, 0) if explode else [record]
                for pos, flat in enumerate(records):
                    rows.append([_text(flat.get(name)) for name in needed] + [file, block, row, pos])
            yield pd.DataFrame(rows, columns=[*(f"c{i}" for i in range(len(needed))), *ORDER])

    return lines.mapInPandas(parse, schema).toDF(*needed, *ORDER)


def _json_record(decoder: json.JSONDecoder, line: str, file: str) -> dict[str, Any]:
    try:
        record = decoder.decode(line)
    except json.JSONDecodeError as exc:
        raise ExportSourceError(f"{file}: a line is not JSON ({exc.msg}): {line[:80]!r}") from None
    if not isinstance(record, dict):
        raise ExportSourceError(f"{file}: a JSON lines record is an object, found {type(record).__name__}")
    return _flat(record) if any(isinstance(v, dict) for v in record.values()) else record


def _text(value: Any) -> str | None:
    """A JSON value as the text the Python shell job's rules see (lists of a categorical joined with |)."""
    if value is None:
        return None
    if isinstance(value, list):
        return "|".join(map(str, value))
    return str(value)


# ---------------------------------------------------------------- conformance, by the shared rules


def _out_type(f: Field) -> T.DataType:
    return T.LongType() if f.type in ("long", "int") else T.StringType()  # numbers as the Python shell job writes them


def conformed(df: DataFrame, fields: list[Field], args: dict[str, str], interactions: bool) -> DataFrame:
    """Each batch mapped and conformed by personalize_export's map_columns and conform: per row the conformed values
    (v0...), the raw text (r0...) and REJECT_REASON (null when conformed); for interactions the user, item and
    event-type digests and the user's sample depth (for the inflation measures)."""
    names = [c for c in df.columns if c not in ORDER]
    # Spark hands UTC instants to pandas without their zone; pandas' parquet reader keeps it (a rejected row's raw text)
    zoned = [f.name for f in df.schema.fields if isinstance(f.dataType, T.TimestampType)]
    safe = df.toDF(*(f"s{i}" for i in range(len(names))), *ORDER)
    n = len(fields)
    schema = T.StructType(
        [T.StructField(f"v{i}", _out_type(f)) for i, f in enumerate(fields)]
        + [T.StructField(f"r{i}", T.StringType()) for i in range(n)]
        + [T.StructField("REJECT_REASON", T.StringType())]
        + [T.StructField(d, T.LongType()) for d in ("du", "di", "dt", "depth") if interactions]
        + [T.StructField(o, T.LongType() if o != "_file" else T.StringType()) for o in ORDER]
    )

    def apply(batches: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            raw = batch.iloc[:, : len(names)].set_axis(names, axis=1)
            for name in zoned:
                raw[name] = raw[name].dt.tz_localize("UTC")
            good, bad = conform(map_columns(raw, fields, args), fields)
            yield _batch_rows(batch, good, bad, fields, interactions)

    return safe.mapInPandas(apply, schema)


def _batch_rows(
    batch: pd.DataFrame, good: pd.DataFrame, bad: pd.DataFrame, fields: list[Field], interactions: bool
) -> pd.DataFrame:
    """conform()'s two frames as one, in the batch's order: its rejected frame keeps the batch positions."""
    rejected = np.zeros(len(batch), bool)
    rejected[bad.index.to_numpy()] = True
    out: dict[str, Any] = {}
    for i, f in enumerate(fields):
        values = pd.Series(None, index=range(len(batch)), dtype="object")
        values[~rejected] = _written(f, good[f.name]).to_numpy(dtype=object)
        out[f"v{i}"] = values
        text = pd.Series(None, index=range(len(batch)), dtype="object")
        text[rejected] = bad[f.name].astype("object").where(bad[f.name].notna(), None).to_numpy()
        out[f"r{i}"] = text
    reason = pd.Series(None, index=range(len(batch)), dtype="object")
    reason[rejected] = bad["REJECT_REASON"].to_numpy(dtype=object)
    out["REJECT_REASON"] = reason
    if interactions:
        out.update(_digests(good, rejected))
    frame = pd.DataFrame(out)
    for o in ORDER:
        frame[o] = batch[o].to_numpy()
    return frame


def _written(f: Field, values: pd.Series) -> pd.Series:
    """The value as the CSV part holds it: integers as numbers, floats as pyarrow's CSV writer prints them."""
    if f.type in ("float", "double"):
        text = pc.cast(pa.array(values.astype("float64"), from_pandas=True), pa.string())
        return pd.Series(text.to_pylist(), index=values.index, dtype="object")
    if f.type in ("long", "int"):
        return values.astype("Int64").astype("object").where(values.notna(), None)
    return values.astype("object").where(values.notna(), None)


def _digests(good: pd.DataFrame, rejected: np.ndarray) -> dict[str, np.ndarray]:
    """The digests the Python shell job logs per event (digests.column_digests), and the user's sample depth: the
    largest level k of inflation.sampled(user, k) that holds (-1: not in the 10 % sample)."""
    out = {}
    for key, name in (("du", "USER_ID"), ("di", "ITEM_ID"), ("dt", "EVENT_TYPE")):
        column = np.zeros(len(rejected), np.int64)
        if name in good:
            column[~rejected] = column_digests(good[name]).view(np.int64)
        out[key] = column
    users = out["du"].view(np.uint64)
    tenth = ((users >> np.uint64(32)) % np.uint64(10)) == 0
    rest = users >> np.uint64(8)
    depth = np.zeros(len(users), np.int64)
    for level in range(1, 57):  # trailing zero bits of user >> 8
        depth[(rest & np.uint64((1 << level) - 1)) == 0] = level
    out["depth"] = np.where(tenth, depth, -1)
    return out


# ---------------------------------------------------------------- the export


def run_spark_export(dataset: str, args: dict[str, str]) -> dict[str, Any]:
    """The Spark engine's export_<dataset>: the parts, rejects and manifest part of personalize_export.run_export."""
    opening = open_export(dataset, args)
    if not isinstance(opening, Opening):
        return opening
    bucket, run_id, schema, fields = opening
    if dedupe_mode(args) == "chunk":
        log.info(f"export_{dataset}: --dedupe chunk: the spark engine removes duplicates across the whole export")
    stats = ExportStats()
    interactions = dataset == "interactions" and {"USER_ID", "ITEM_ID", "TIMESTAMP"} <= {f.name for f in fields}
    if dataset == "interactions":
        stats.same_second = same_second_policy(args)
    since, since_from = resolve_since(args, bucket, fields)
    storage = Storage(args, run_id)
    spark = session()
    try:
        written, rejected_keys, counts = _export(spark, storage, dataset, args, fields, since, stats, interactions)
    finally:
        storage.close()
    part = _manifest_part(dataset, run_id, bucket, schema, args, stats, _keys(written), _keys(rejected_keys))
    part.update(counts)  # counted by Spark, not in the stats' digest counters
    part["engine"] = "spark"
    return close_export(dataset, bucket, part, stats, since, since_from, args)


def _keys(keys: list[str]) -> Any:
    """What _manifest_part reads of a PartWriter: the keys written."""
    return SimpleNamespace(keys=keys)


def _export(
    spark: SparkSession,
    storage: Storage,
    dataset: str,
    args: dict[str, str],
    fields: list[Field],
    since: int | None,
    stats: ExportStats,
    interactions: bool,
) -> tuple[list[str], list[str], dict[str, int]]:
    bucket, run_id = args["bucket"], run_id_of(args)
    chunk_rows = int_arg(args, "chunk_rows", DEFAULT_CHUNK_ROWS)
    mapped = source_columns(fields, args)
    read = read_source(spark, args, storage, mapped)
    present = _present(read, args)
    types = {c.name: source_schema.catalog_type(c.dataType.simpleString()) for c in read.schema}
    columns = [{"name": c, "type": types[c]} for c in present]
    stats.source = source_schema.check(  # before a row is conformed, as the Python shell job does
        dataset, args, bucket, run_id, mapped, source_schema.describe(args, columns, mapped)
    )
    source = _mapped_columns(read, present, fields, args)
    rows = conformed(source, fields, args, interactions).persist()
    n = len(fields)
    names = [f.name for f in fields]
    totals = rows.agg(F.count(F.lit(1)).alias("read"), F.count("REJECT_REASON").alias("rejected")).first()
    stats.rows_read = int(totals["read"]) if totals else 0
    stats.rejected = Counter(
        {r["REJECT_REASON"]: int(r["count"]) for r in rows.groupBy("REJECT_REASON").count().collect() if r[0]}
    )
    good = rows.where(F.col("REJECT_REASON").isNull()).drop("REJECT_REASON", *(f"r{i}" for i in range(n)))
    if since is not None:
        newer = good.where(F.col(f"v{names.index('TIMESTAMP')}") > since)
        stats.rows_before_since = stats.rows_read - sum(stats.rejected.values()) - newer.count()
        good = newer
    values = [f"v{i}" for i in range(n)]
    fresh = good.groupBy(*values).agg(F.min(F.struct(*ORDER, *_extra(interactions))).alias("first"))
    distinct = fresh.select(*values, "first.*").persist()
    stats.duplicates = good.count() - distinct.count()
    kept = _same_second(distinct, fields, stats) if interactions else distinct
    kept = kept.persist()
    stats.rows_written = kept.count()
    counts = _statistics(kept, fields, stats, interactions)
    scratch = f"exports/{run_id}/_spark/{dataset}"
    parts = max(1, -(-stats.rows_written // chunk_rows))
    _write_csv(kept.select(*(F.col(v).alias(nm) for v, nm in zip(values, names))), parts, storage, bucket, scratch)
    written = storage.publish(storage.scratch(bucket, scratch), bucket, f"exports/{run_id}/{dataset}")
    bad = rows.where(F.col("REJECT_REASON").isNotNull())
    raw = [F.col(f"r{i}").alias(nm) for i, nm in enumerate(names)]
    rejected = f"{scratch}-rejected"
    rejected_parts = max(1, -(-sum(stats.rejected.values()) // chunk_rows))
    _write_csv(bad.select(*raw, "REJECT_REASON"), rejected_parts, storage, bucket, rejected)
    rejected_keys = storage.publish(storage.scratch(bucket, rejected), bucket, f"exports/{run_id}/rejected/{dataset}")
    rows.unpersist()
    distinct.unpersist()
    kept.unpersist()
    return written, rejected_keys, counts


def _present(source: DataFrame, args: dict[str, str]) -> list[str]:
    """The source's columns; for JSON lines, the keys at least one record has (a key no record has is no column)."""
    present = [c for c in source.columns if c not in ORDER]
    if args.get("source_type") == "s3_jsonl":
        source.persist()
        filled = source.agg(*(F.count(F.col(f"`{c}`")).alias(f"n{i}") for i, c in enumerate(present))).first()
        present = [c for i, c in enumerate(present) if filled and filled[f"n{i}"]]
    return present


def _mapped_columns(source: DataFrame, present: list[str], fields: list[Field], args: dict[str, str]) -> DataFrame:
    """Only the columns the mapping reads; a required field without its column fails as in the Python shell job
    (map_columns' own check on the source's columns)."""
    map_columns(pd.DataFrame(columns=present), fields, args)
    keep = [c for c in source_columns(fields, args) if c in present]
    return source.select(*(F.col(f"`{c}`") for c in keep), *ORDER)


def _extra(interactions: bool) -> list[str]:
    return ["du", "di", "dt", "depth"] if interactions else []


def _write_csv(df: DataFrame, parts: int, storage: Storage, bucket: str, key: str) -> None:
    """Header line of the schema's names, missing values empty, quotes only where a value needs them ("" inside)."""
    (
        df.repartition(parts)
        .write.mode("overwrite")
        .option("header", True)
        .option("escape", '"')
        .option("nullValue", "")
        .option("emptyValue", "")
        .option("lineSep", "\n")
        .option("ignoreLeadingWhiteSpace", False)  # an ID with spaces around it is kept as written
        .option("ignoreTrailingWhiteSpace", False)
        .csv(storage.scratch(bucket, key))
    )


def _same_second(df: DataFrame, fields: list[Field], stats: ExportStats) -> DataFrame:
    """The same-second policy on distinct rows: collapse keeps one event per (user, item, second): the preferred
    type, else the first in source order; refuse counts the events of another type in such groups."""
    names = [f.name for f in fields]
    user, item, second = (f"v{names.index(n)}" for n in ("USER_ID", "ITEM_ID", "TIMESTAMP"))
    kind = f"v{names.index('EVENT_TYPE')}" if "EVENT_TYPE" in names else None
    policy = stats.same_second
    if policy.policy == "keep":
        return df
    if policy.policy == "refuse":
        types = df.groupBy(user, item, second, *([kind] if kind else [])).count()
        stats.other_type = types.count() - types.select(user, item, second).distinct().count()
        return df
    preferred = F.lit(0) if not (policy.prefer and kind) else F.when(F.col(kind) == policy.prefer, 0).otherwise(1)
    window = Window.partitionBy(user, item, second).orderBy(preferred, *ORDER)
    ranked = df.withColumn("_rank", F.row_number().over(window))
    kept = ranked.where(F.col("_rank") == 1).drop("_rank")
    stats.collapsed = df.count() - kept.count()
    return kept


def _statistics(df: DataFrame, fields: list[Field], stats: ExportStats, interactions: bool) -> dict[str, int]:
    """Time range, distinct users and items, users with >= 2 interactions, and for interactions the event log
    (exact up to EXACT_ROWS events, else the same digest-picked sample of users) and the items' popularity."""
    names = [f.name for f in fields]
    stamp = "TIMESTAMP" if "TIMESTAMP" in names else "CREATION_TIMESTAMP" if "CREATION_TIMESTAMP" in names else ""
    counts: dict[str, int] = {}
    if stamp:
        span = df.agg(F.min(f"v{names.index(stamp)}"), F.max(f"v{names.index(stamp)}")).first()
        if span and span[0] is not None:
            stats.ts_min, stats.ts_max = int(span[0]), int(span[1])
    if "USER_ID" in names:
        per_user = df.where(F.col(f"v{names.index('USER_ID')}").isNotNull()).groupBy(f"v{names.index('USER_ID')}")
        row = per_user.count().agg(F.count(F.lit(1)), F.sum((F.col("count") >= 2).cast("long"))).first()
        counts["distinctUsers"] = int(row[0]) if row else 0
        if "ITEM_ID" in names:
            counts["usersWithAtLeast2Interactions"] = int(row[1] or 0) if row else 0
    if "ITEM_ID" in names:
        item = f"v{names.index('ITEM_ID')}"
        counts["distinctItems"] = df.where(F.col(item).isNotNull()).select(item).distinct().count()
    if interactions:
        stats.events = _event_log(df, names, stats.rows_written)
        popularity = cast(pd.DataFrame, df.groupBy("di").count().toPandas())
        stats.items = HashCounter(with_counts=True)
        stats.items.add(popularity["di"].to_numpy(np.int64).view(np.uint64), popularity["count"].to_numpy(np.uint32))
    return counts


def _event_log(df: DataFrame, names: list[str], total: int) -> EventLog:
    """inflation.EventLog as the Python shell job ends it: every event up to EXACT_ROWS, else those of the users of
    sampled(user, level) for the smallest level that keeps at most EXACT_ROWS, in source order."""
    level = -1
    if total > EXACT_ROWS:
        by_depth: dict[int, int] = {int(r[0]): int(r[1]) for r in df.groupBy("depth").count().collect()}
        level = 0
        while sum(c for d, c in by_depth.items() if d >= level) > EXACT_ROWS:
            level += 1
    chosen = df if level < 0 else df.where(F.col("depth") >= level)
    stamp = f"v{names.index('TIMESTAMP')}"
    ordered = chosen.orderBy(*ORDER).select("du", "di", "dt", F.coalesce(F.col(stamp), F.lit(0)).alias("ts"))
    events = cast(pd.DataFrame, ordered.toPandas())
    log_ = EventLog(rows=total, level=level)
    if len(events):
        users, items, types = (events[c].to_numpy(np.int64).view(np.uint64) for c in ("du", "di", "dt"))
        log_._append(users, items, types, events["ts"].to_numpy(np.int64))
    return log_


def local_staging() -> str:
    """A `--spark_io local:<dir>` value for PySpark without an S3 connector (offline stack, bench)."""
    return "local:" + tempfile.mkdtemp(prefix="spark-export-")
