"""The hostile-file corpus (tests/hostile_corpus.py) through the Glue export job, as it reads a lake on AWS, and
through `run`'s path (the user's file uploaded as it is, the offline stack's Glue workflow): the same rows, nothing
silently changed."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import export_interactions
import pytest
from moto import mock_aws
from personalize_export import ExportSourceError

from tests.hostile_corpus import CASES, EVENT, EXPORT_HEADER, Case

BUCKET = "autopersonalize-test"
SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
KIND = {".csv": "s3_csv", ".tsv": "s3_csv", ".jsonl": "s3_jsonl"}


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client


def exported(s3: Any, bucket: str, prefix: str) -> list[list[str]]:
    """Every row of the CSV parts under prefix, after each part's header (which must be the schema's)."""
    rows: list[list[str]] = []
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))
    for key in keys:
        part = list(csv.reader(io.StringIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8"))))
        assert part[0] in (EXPORT_HEADER, [*EXPORT_HEADER, "REJECT_REASON"]), key
        rows += part[1:]
    return rows


def glue_export(s3: Any, case: Case) -> dict[str, Any]:
    """The case's file in a lake prefix, exported by the Glue job as the stack runs it (source options included)."""
    s3.put_object(Bucket=BUCKET, Key=f"lake/{case.name}", Body=case.body)
    options = ",".join(f"{k}={v}" for k, v in case.options.items())
    return export_interactions.main(
        {
            "bucket": BUCKET,
            "run_id": "run-1",
            "schema": str(SCHEMAS / "interactions.avsc"),
            "source_type": KIND[Path(case.name).suffix],
            "source": f"s3://{BUCKET}/lake/",
            "source_options": options,
            "mapping": case.mapping,
            "event_type": EVENT,
        }
    )


@pytest.mark.parametrize("case", [c for c in CASES if not c.error], ids=lambda c: c.id)
def test_glue_job_exports_the_hostile_file_unchanged(s3: Any, case: Case) -> None:
    glue_export(s3, case)

    assert exported(s3, BUCKET, "exports/run-1/interactions/") == case.rows
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key="exports/run-1/manifest/interactions.json")["Body"].read())
    assert manifest["rejectedByReason"] == case.rejected


@pytest.mark.parametrize("case", [c for c in CASES if c.error], ids=lambda c: c.id)
def test_glue_job_refuses_the_file_it_cannot_read_faithfully(s3: Any, case: Case) -> None:
    with pytest.raises(ExportSourceError, match=case.error):
        glue_export(s3, case)

    assert not s3.list_objects_v2(Bucket=BUCKET, Prefix="exports/run-1/manifest/").get("Contents")
