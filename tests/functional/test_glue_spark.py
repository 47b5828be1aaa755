"""The Spark export engine against the Python shell one: the same published CSVs (as rows), rejects and manifests.

One local[2] SparkSession serves the whole file (the JVM starts once); the jobs stage S3 through a local folder
(`--spark_io local:`), as offline PySpark has no S3 connector.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import awswrangler as wr
import boto3
import export_interactions
import export_items
import export_spark
import export_users
import pandas as pd
import pytest
import spark_export
from hostile_corpus import CASES
from job_io import ExportArgumentError
from moto import mock_aws

BUCKET = "autopersonalize-spark"
ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "schemas"
SHARED_OTTO = ROOT.parent / "shared" / "data" / "otto-sample" / "train.jsonl"
OTTO = SHARED_OTTO if SHARED_OTTO.exists() else ROOT / "tests" / "fixtures" / "otto" / "train.jsonl"
PYTHON_SHELL = {"interactions": export_interactions.main, "items": export_items.main, "users": export_users.main}
# Keys that differ by nature: when and where the run wrote, and which engine did it.
RUN_KEYS = ("createdAt", "runId", "location", "rejectedLocation", "engine")


@pytest.fixture(scope="module", autouse=True)
def spark() -> Iterator[Any]:
    yield spark_export.session()


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client


def put(s3: Any, key: str, body: bytes) -> str:
    s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    return f"s3://{BUCKET}/{key.rsplit('/', 1)[0]}/"


def published(s3: Any, prefix: str) -> tuple[list[str], list[list[str]]]:
    """The header and every row of the parts under a prefix (in row order: engines may order parts differently)."""
    listing = s3.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    header: list[str] = []
    rows: list[list[str]] = []
    for key in sorted(o["Key"] for o in listing):
        head, *body = list(csv.reader(io.StringIO(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode())))
        header = head
        rows += body
    return header, sorted(rows)


def manifest(s3: Any, run: str, dataset: str) -> dict[str, Any]:
    body = s3.get_object(Bucket=BUCKET, Key=f"exports/{run}/manifest/{dataset}.json")["Body"].read()
    part: dict[str, Any] = json.loads(body)
    if "batchUsers" in part:  # every user for batch jobs: the same users in both engines, each in its run's folder
        listed = part["batchUsers"]
        assert listed["location"] == f"s3://{BUCKET}/exports/{run}/batch-users/users.jsonl"
        lines = s3.get_object(Bucket=BUCKET, Key=f"exports/{run}/batch-users/users.jsonl")["Body"].read().splitlines()
        part["batchUsers"] = {**listed, "location": sorted(json.loads(line)["userId"] for line in lines)}
    return {k: v for k, v in part.items() if k not in RUN_KEYS}


def both(s3: Any, dataset: str, **args: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run both engines on the same arguments; assert the same parts and rejects; return both manifest parts."""
    base = {"bucket": BUCKET, "schema": str(SCHEMAS / f"{dataset}.avsc"), **args}
    PYTHON_SHELL[dataset](base | {"run_id": "shell"})
    export_spark.main(base | {"run_id": "spark", "dataset": dataset, "spark_io": spark_export.local_staging()})
    for prefix in (dataset, f"rejected/{dataset}"):
        assert published(s3, f"exports/spark/{prefix}/") == published(s3, f"exports/shell/{prefix}/"), prefix
    return manifest(s3, "shell", dataset), manifest(s3, "spark", dataset)


def test_spark_exports_the_otto_sample_as_the_python_shell_job_does(s3: Any) -> None:
    s3.upload_file(str(OTTO), BUCKET, "raw/otto/train.jsonl")

    shell, spark = both(
        s3,
        "interactions",
        source_type="s3_jsonl",
        source=f"s3://{BUCKET}/raw/otto/",
        explode="events",
        mapping="USER_ID=session,ITEM_ID=aid,TIMESTAMP=ts,EVENT_TYPE=type",
    )

    assert spark == shell
    assert spark["rowsWritten"] == 862 and spark["inflation"]["newestEvents"] > 0
    assert spark["batchUsers"]["users"] == len(spark["batchUsers"]["location"]) == spark["distinctUsers"]


def test_spark_rejects_dedupes_and_filters_by_the_watermark_as_the_python_shell_job_does(s3: Any) -> None:
    rows = [
        "u1,i1,1700000001,click,1.0",
        ",i2,1700000001,click,1.0",
        f"u3,{'x' * 257},1700000001,click,1.0",
        "u4,i4,yesterday,click,1.0",
        "u5,i5,,click,1.0",
        "u6,i6,1700000001,click,lots",
        "u7,i7,-5,click,1.0",
        "  ,i8,1700000001,click,",
        "u1,i1,1700000001000,click,1",  # the first row again, in milliseconds
        "u1,i2,2023-11-14T23:13:21.5+01:00,view,2.5",
        "u1,i2,1700000001,click,2.5",  # same second as the row above, another type
        "u2,i3,1699999999,click,",  # before the watermark
        'u2,"i,9",1700000002123456,click,1e3',
    ]
    source = put(s3, "raw/bad/a.csv", ("USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\n" + "\n".join(rows)).encode())

    shell, spark = both(
        s3, "interactions", source_type="s3_csv", source=source, since="1700000000", same_second_duplicates="collapse"
    )

    assert spark == shell
    collapsed = spark["sameSecondDuplicates"]["collapsed"]
    assert (spark["duplicatesRemoved"], spark["rowsBeforeSince"], collapsed) == (1, 1, 1)
    assert spark["rejectedByReason"]["USER_ID:whitespace_only"] == 1


def test_spark_conforms_items_with_lists_and_datetimes_as_the_python_shell_job_does(s3: Any) -> None:
    df = pd.DataFrame(
        {
            "ITEM_ID": ["i1", "i2", "i3", "i1"],
            "CATEGORY": [["shoes", "sale"], ["y" * 1001], ["a" * 600, "b" * 600], ["shoes", "sale"]],
            "PRICE": [1.0, 2.5, 3.0, 1.0],
            "CREATION_TIMESTAMP": pd.to_datetime(["2023-11-14T22:13:20Z"] * 4),
        }
    )
    wr.s3.to_parquet(df, f"s3://{BUCKET}/raw/items/items.parquet")

    shell, spark = both(s3, "items", source_type="s3_parquet", source=f"s3://{BUCKET}/raw/items/")

    assert spark == shell and spark["rowsRejected"] == 1 and spark["duplicatesRemoved"] == 1


def test_spark_fills_the_fill_constant_as_the_python_shell_job_does(s3: Any) -> None:
    source = put(s3, "raw/movies/a.csv", b"movieId,genres\n1,Comedy|Drama\n2,Horror\n")

    shell, spark = both(
        s3,
        "items",
        source_type="s3_csv",
        source=source,
        mapping="ITEM_ID=movieId,CATEGORY=genres",
        fill='{"CREATION_TIMESTAMP": 788918400}',
    )

    assert spark == shell and spark["rowsWritten"] == 2
    assert published(s3, "exports/spark/items/")[1] == [
        ["1", "Comedy|Drama", "", "788918400"],
        ["2", "Horror", "", "788918400"],
    ]


def test_spark_reads_the_hostile_files_as_the_python_shell_job_does(s3: Any) -> None:
    """Every readable file of the hostile corpus (tests/hostile_corpus.py), each under its own prefix."""
    cases = [c for c in CASES if not c.error]
    for case in cases:
        kind = "s3_jsonl" if ".jsonl" in case.name else "s3_csv"
        options = ",".join(f"{k}={v}" for k, v in case.options.items())
        source = put(s3, f"raw/hostile/{case.name}/{case.name}", case.body)
        shell, spark = both(
            s3,
            "interactions",
            source_type=kind,
            source=source,
            mapping=case.mapping,
            event_type="interaction",
            source_options=options,
        )
        assert spark == shell, case.name


def test_spark_refuses_athena_sources_naming_the_python_shell_engine(s3: Any) -> None:
    with pytest.raises(ExportArgumentError, match="runs on the python-shell engine"):
        export_spark.main(
            {
                "bucket": BUCKET,
                "run_id": "r",
                "dataset": "interactions",
                "schema": str(SCHEMAS / "interactions.avsc"),
                "source_type": "athena",
                "source": "SELECT 1",
            }
        )
