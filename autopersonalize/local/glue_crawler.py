"""Glue crawlers offline: moto stores a crawler and marks a crawl RUNNING forever; this crawls at StartCrawler.

A crawl reads each S3 target as the crawler's role (s3:ListBucket, s3:GetObject; glue:GetTable, CreateTable,
UpdateTable in its database) and keeps one table per target, named after the target's last folder (with the
crawler's TablePrefix), as the built-in classifiers describe it (AWS Glue Developer Guide, "Adding classifiers to a
crawler", built-in classifiers table and "Built-in CSV classifier"):
- Parquet ("reads the schema at the end of the file"): the files' Arrow schemas as Hive types, in file order.
- CSV (delimiters comma, pipe, tab, semicolon, Ctrl-A; at least two columns and two rows): a first row is a header
  only when every value in it is a string, fits the column-name rules and some column's data parses as another type;
  otherwise columns are named col1, col2, ... Types: bigint, double, boolean, else string, from the sampled rows.
A table that differs from the catalog's is updated with UpdateBehavior UPDATE_IN_DATABASE (UpdateTable: a new table
version) and only logged with LOG; an unchanged one is left alone. Not emulated: partition folders (k=v/), other
formats, custom classifiers: the crawl then FAILS naming what it met. LastCrawl.Status is SUCCEEDED or FAILED with its
ErrorMessage, as GetCrawler's LastCrawlInfo reports (moto has COMPLETED, which AWS never answers).
"""

from __future__ import annotations

import csv
import fnmatch
import io
import logging
import re
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from botocore.exceptions import ClientError
from moto.core.utils import utcnow
from moto.glue import models as glue_models

from autopersonalize.local import iam

log = logging.getLogger(__name__)

CSV_DELIMITERS = (",", "|", "\t", ";", "\x01")
SAMPLE_ROWS = 1000
COLUMN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_ .-]{0,254}")  # what the catalog accepts as a column name
HIVE_FORMATS = {
    "parquet": (
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
        "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
        "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
    ),
    "csv": (
        "org.apache.hadoop.mapred.TextInputFormat",
        "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
    ),
}


class CrawlError(RuntimeError):
    """The offline crawler met data it does not classify: the crawl FAILS with this message."""


# ---------------------------------------------------------------- classifying


def hive_type(arrow: pa.DataType) -> str:
    """An Arrow type as the catalog names it (Athena's data types)."""
    if pa.types.is_boolean(arrow):
        return "boolean"
    if pa.types.is_integer(arrow):
        return {8: "tinyint", 16: "smallint", 32: "int"}.get(arrow.bit_width, "bigint")
    if pa.types.is_floating(arrow):
        return "float" if arrow.bit_width <= 32 else "double"
    if pa.types.is_decimal(arrow):
        return f"decimal({arrow.precision},{arrow.scale})"
    if pa.types.is_timestamp(arrow):
        return "timestamp"
    if pa.types.is_date(arrow):
        return "date"
    if pa.types.is_binary(arrow) or pa.types.is_large_binary(arrow):
        return "binary"
    if pa.types.is_list(arrow) or pa.types.is_large_list(arrow):
        return f"array<{hive_type(arrow.value_type)}>"
    if pa.types.is_struct(arrow):
        return "struct<" + ",".join(f"{f.name}:{hive_type(f.type)}" for f in arrow) + ">"
    return "string"


def parquet_columns(bodies: list[bytes]) -> list[dict[str, str]]:
    columns: dict[str, str] = {}
    for body in bodies:
        for f in pq.read_schema(io.BytesIO(body)):
            columns.setdefault(f.name.lower(), hive_type(f.type))
    return [{"Name": name, "Type": kind} for name, kind in columns.items()]


def _value_type(value: str) -> str:
    if re.fullmatch(r"[+-]?\d{1,18}", value):
        return "bigint"
    if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", value):
        return "double"
    if value.lower() in ("true", "false"):
        return "boolean"
    return "string"


def _column_type(values: list[str]) -> str:
    kinds = {_value_type(v) for v in values if v != ""}
    if not kinds:
        return "string"
    if kinds <= {"bigint"}:
        return "bigint"
    if kinds <= {"bigint", "double"}:
        return "double"
    return kinds.pop() if len(kinds) == 1 else "string"


def csv_table(head: str) -> tuple[list[dict[str, str]], dict[str, str]]:
    """(columns, SerDe parameters) of a CSV file's beginning, by the built-in CSV classifier's rules."""
    lines = head.splitlines()[: SAMPLE_ROWS + 1]
    for delimiter in CSV_DELIMITERS:
        rows = list(csv.reader(lines, delimiter=delimiter))
        if len(rows) >= 2 and len(rows[0]) >= 2 and all(len(r) == len(rows[0]) for r in rows if r):
            break
    else:
        raise CrawlError("not CSV to the built-in classifier: no delimiter gives two columns and two rows")
    rows = [r for r in rows if r]
    first, data = rows[0], rows[1:]
    types = [_column_type([r[i] for r in data]) for i in range(len(first))]
    header = (
        all(_value_type(v) == "string" and COLUMN_NAME.fullmatch(v) for v in first)
        and all(len(v) < 150 for v in first[:-1])
        and any(t != "string" for t in types)
    )
    if header:
        names = [v.lower() for v in first]
    else:
        names = [f"col{i + 1}" for i in range(len(first))]
        types = [_column_type([r[i] for r in rows]) for i in range(len(first))]
    parameters = {"field.delim": delimiter}
    if header:
        parameters["skip.header.line.count"] = "1"
    return [{"Name": n, "Type": t} for n, t in zip(names, types, strict=True)], parameters


# ---------------------------------------------------------------- crawling


def _excluded(relative: str, patterns: list[str]) -> bool:
    def matches(pattern: str) -> bool:
        return fnmatch.fnmatch(relative, pattern) or (
            pattern.startswith("**/") and fnmatch.fnmatch(relative, pattern[3:])
        )

    return relative.endswith("/") or any(matches(p) for p in patterns)


def table_input(s3: Any, path: str, exclusions: list[str], name: str) -> dict[str, Any]:
    """The table a crawl of `path` gives (TableInput of CreateTable / UpdateTable)."""
    bucket, _, prefix = path.removeprefix("s3://").partition("/")
    prefix = prefix if not prefix or prefix.endswith("/") else prefix + "/"
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        for o in page.get("Contents", [])
        if not _excluded(o["Key"][len(prefix) :], exclusions)
    ]
    if not keys:
        raise CrawlError(f"{path}: no data file under it")
    nested = sorted({k[len(prefix) :].split("/", 1)[0] for k in keys if "/" in k[len(prefix) :]})
    if nested:
        raise CrawlError(
            f"{path}: folders {nested[:3]} under it: the offline crawler reads files directly under the path"
        )
    bodies = [s3.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys]
    if all(body[:4] == b"PAR1" for body in bodies):
        classification, columns, serde = "parquet", parquet_columns(bodies), {"serialization.format": "1"}
    elif not any(body[:4] == b"PAR1" for body in bodies):
        classification = "csv"
        columns, serde = csv_table(bodies[0][: 1 << 20].decode("utf-8", errors="replace").lstrip("\ufeff"))
    else:
        raise CrawlError(f"{path}: parquet and other files mixed; one table needs one format")
    input_format, output_format, library = HIVE_FORMATS[classification]
    parameters = {"classification": classification, **serde}
    return {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "StorageDescriptor": {
            "Columns": columns,
            "Location": f"s3://{bucket}/{prefix}",
            "InputFormat": input_format,
            "OutputFormat": output_format,
            "SerdeInfo": {"SerializationLibrary": library, "Parameters": serde},
            "Parameters": parameters,
        },
    }


def _differs(found: dict[str, Any], wanted: dict[str, Any]) -> bool:
    descriptor = found.get("StorageDescriptor", {})
    return (
        descriptor.get("Columns") != wanted["StorageDescriptor"]["Columns"]
        or found.get("Parameters", {}).get("classification") != wanted["Parameters"]["classification"]
    )


def crawl(crawler: Any, glue: Any, s3: Any) -> None:
    """One crawl of every S3 target into the crawler's database, with clients signed as the crawler's role."""
    update = (crawler.schema_change_policy or {}).get("UpdateBehavior", "UPDATE_IN_DATABASE")
    for target in (crawler.targets or {}).get("S3Targets", []):
        path = target["Path"]
        name = (crawler.table_prefix or "") + path.rstrip("/").rsplit("/", 1)[-1].lower()
        wanted = table_input(s3, path, target.get("Exclusions") or [], name)
        try:
            found = glue.get_table(DatabaseName=crawler.database_name, Name=name)["Table"]
        except ClientError as exc:
            if exc.response["Error"]["Code"] != "EntityNotFoundException":
                raise
            glue.create_table(DatabaseName=crawler.database_name, TableInput=wanted)
            continue
        if not _differs(found, wanted):
            continue
        if update == "UPDATE_IN_DATABASE":
            glue.update_table(DatabaseName=crawler.database_name, TableInput=wanted)
        else:
            log.warning(f"crawler {crawler.name}: {crawler.database_name}.{name} changed; LOG policy: not updated")


def _start_crawler(self: Any) -> None:
    """StartCrawler: moto's crawl record, then the crawl at once, ending SUCCEEDED or FAILED."""
    from autopersonalize.local.patches import SERVICE_MODELS

    _original_start_crawler(self)
    run = self.crawls[-1]
    _, session = iam.role_session(self.role, f"crawler-{self.name}", self.backend.region_name, SERVICE_MODELS)
    try:
        crawl(self, session.client("glue"), session.client("s3"))
        run.status, run.error_message = "COMPLETED", None
    except (CrawlError, ClientError) as exc:
        run.status, run.error_message = "FAILED", str(exc)
    run.end_time = utcnow()


_original_start_crawler = glue_models.FakeCrawler.start_crawler
_original_crawler_as_dict = glue_models.FakeCrawler.as_dict


def _crawler_as_dict(self: Any) -> dict[str, Any]:
    data: dict[str, Any] = _original_crawler_as_dict(self)
    if self.crawls and "LastCrawl" in data:
        run = self.crawls[-1]
        data["LastCrawl"]["Status"] = {"COMPLETED": "SUCCEEDED", "STOPPED": "CANCELLED"}.get(run.status, run.status)
        if getattr(run, "error_message", None):
            data["LastCrawl"]["ErrorMessage"] = run.error_message
    return data


def last_state(crawler: Any) -> str:
    """The last crawl's state as a trigger condition's CrawlState names it (SUCCEEDED, FAILED, CANCELLED)."""
    return str(_crawler_as_dict(crawler).get("LastCrawl", {}).get("Status", "RUNNING"))


def install() -> None:
    glue_models.FakeCrawler.start_crawler = _start_crawler  # type: ignore[method-assign]
    glue_models.FakeCrawler.as_dict = _crawler_as_dict  # type: ignore[method-assign]
