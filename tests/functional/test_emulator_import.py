"""Dataset import jobs: CSV checked against the schema, failure reasons naming file/row/column, FULL and INCREMENTAL."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from test_emulator_support import (
    BUCKET,
    INTERACTIONS_SCHEMA,
    ITEMS_SCHEMA,
    ROLE,
    interactions,
    items,
    put_csv,
)

from autopersonalize.emulator.datasets import Dataset
from autopersonalize.emulator.store import store_for
from autopersonalize.local import offline_aws
from tests.e2e.workflow_support import personalize_access


@pytest.fixture
def env() -> Iterator[dict[str, Any]]:
    with offline_aws("immediate"):
        pz, s3 = boto3.client("personalize"), boto3.client("s3")
        personalize_access(BUCKET)
        group = pz.create_dataset_group(name="dg")["datasetGroupArn"]
        made = {}
        for kind, schema in (("Interactions", INTERACTIONS_SCHEMA), ("Items", ITEMS_SCHEMA)):
            schema_arn = pz.create_schema(name=kind.lower(), schema=schema)["schemaArn"]
            made[kind] = pz.create_dataset(
                name=kind.lower(), schemaArn=schema_arn, datasetGroupArn=group, datasetType=kind
            )["datasetArn"]
        yield {"personalize": pz, "s3": s3, **made}


def run_import(env: dict[str, Any], kind: str, location: str, mode: str = "FULL", name: str = "job") -> dict[str, Any]:
    job = env["personalize"].create_dataset_import_job(
        jobName=name, datasetArn=env[kind], dataSource={"dataLocation": location}, roleArn=ROLE, importMode=mode
    )["datasetImportJobArn"]
    return dict(env["personalize"].describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"])


def bulk(kind_arn: str) -> Any:
    return store_for("123456789012", "us-east-1").get(Dataset, kind_arn).data


def csv_text(rows: list[str], header: str = "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE") -> str:
    return "\n".join([header, *rows]) + "\n"


GOOD_ROWS = [f"u{k % 30},i{k % 17},{1_700_000_000 + k},click,1.0" for k in range(1000)]


def test_emulator_import_reads_every_csv_under_a_prefix(env: dict[str, Any]) -> None:
    put_csv(env["s3"], "in/part-0.csv", csv_text(GOOD_ROWS[:600]))
    put_csv(env["s3"], "in/part-1.csv", csv_text(GOOD_ROWS[600:]))
    env["s3"].put_object(Bucket=BUCKET, Key="in/manifest.json", Body=b"{}")
    job = run_import(env, "Interactions", f"s3://{BUCKET}/in/")
    assert job["status"] == "ACTIVE" and job["importMode"] == "FULL"
    data = bulk(env["Interactions"])
    assert len(data) == 1000 and str(data["TIMESTAMP"].dtype) == "int64"


@pytest.mark.parametrize(
    ("rows", "header", "reason"),
    [
        (
            GOOD_ROWS,
            "ITEM_ID,USER_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE",
            "s3://emulator-data/in/bad.csv: the header "
            "['ITEM_ID', 'USER_ID', 'TIMESTAMP', 'EVENT_TYPE', 'EVENT_VALUE'] does not match the schema fields "
            "['USER_ID', 'ITEM_ID', 'TIMESTAMP', 'EVENT_TYPE', 'EVENT_VALUE'] "
            "(names and order must be equal).",
        ),
        (
            [*GOOD_ROWS[:4], "u1,i1,yesterday,click,1.0", *GOOD_ROWS[5:]],
            None,
            "s3://emulator-data/in/bad.csv: row 6, column TIMESTAMP: value 'yesterday' is not a long.",
        ),
        (
            [*GOOD_ROWS[:9], "u1,i1,1700000000,click,high", *GOOD_ROWS[10:]],
            None,
            "s3://emulator-data/in/bad.csv: row 11, column EVENT_VALUE: value 'high' is not a float.",
        ),
        (
            [*GOOD_ROWS[:2], ",i1,1700000000,click,1.0", *GOOD_ROWS[3:]],
            None,
            "s3://emulator-data/in/bad.csv: row 4, column USER_ID: value '' is empty but the field is not nullable.",
        ),
        (
            GOOD_ROWS[:999],
            None,
            "Import from s3://emulator-data/in/bad.csv has 999 interaction records; an interactions import needs at "
            "least 1000.",
        ),
    ],
    ids=["header-order", "long", "float", "not-nullable", "too-few"],
)
def test_emulator_import_fails_with_specific_reason(
    env: dict[str, Any], rows: list[str], header: Any, reason: str
) -> None:
    location = put_csv(env["s3"], "in/bad.csv", csv_text(rows, header) if header else csv_text(rows))
    job = run_import(env, "Interactions", location)
    assert (job["status"], job["failureReason"]) == ("CREATE FAILED", reason)


def test_emulator_import_fails_when_nothing_is_there(env: dict[str, Any]) -> None:
    job = run_import(env, "Interactions", f"s3://{BUCKET}/missing/")
    assert job["failureReason"] == f"Input data not found at s3://{BUCKET}/missing/: no CSV file there."


def test_emulator_import_checks_booleans_are_lowercase(env: dict[str, Any]) -> None:
    from autopersonalize.emulator import data
    from autopersonalize.emulator.lifecycle import WorkFailed

    fields = [data.Field("ITEM_ID", "string", False), data.Field("NEW", "boolean", False)]
    with pytest.raises(WorkFailed) as error:
        data.parse_csv("s3://b/items.csv", b"ITEM_ID,NEW\ni1,true\ni2,True\n", fields)
    assert (
        str(error.value)
        == "s3://b/items.csv: row 3, column NEW: value 'True' is not a boolean (true or false, lowercase)."
    )


def test_emulator_incremental_is_refused_before_full(env: dict[str, Any]) -> None:
    location = put_csv(env["s3"], "items/a.csv", items())
    with pytest.raises(ClientError) as error:
        run_import(env, "Items", location, mode="INCREMENTAL")
    assert error.value.response["Error"]["Code"] == "InvalidInputException"
    assert error.value.response["Error"]["Message"] == (
        f"Dataset {env['Items']} has no bulk data yet: the first import must use importMode FULL."
    )


def test_emulator_incremental_appends_and_replaces_by_id(env: dict[str, Any]) -> None:
    first = items(8)
    assert run_import(env, "Items", put_csv(env["s3"], "items/a.csv", first))["status"] == "ACTIVE"
    change = first.iloc[[0]].assign(PRICE=99.0)
    extra = first.iloc[[1]].assign(ITEM_ID="i100")
    import pandas as pd

    location = put_csv(env["s3"], "items/b.csv", pd.concat([change, extra]))
    assert run_import(env, "Items", location, mode="INCREMENTAL", name="job2")["status"] == "ACTIVE"
    data = bulk(env["Items"]).set_index("ITEM_ID")
    assert len(data) == 9 and data.loc["i0", "PRICE"] == 99.0 and "i100" in data.index
    assert (
        run_import(env, "Items", put_csv(env["s3"], "items/c.csv", first.iloc[:2]), name="job3")["status"] == "ACTIVE"
    )
    assert sorted(bulk(env["Items"])["ITEM_ID"]) == ["i0", "i1"]  # FULL replaces the bulk data


def test_emulator_import_nullable_fields_accept_empty_cells(env: dict[str, Any]) -> None:
    frame = interactions().head(1000).assign(EVENT_VALUE=None)
    assert run_import(env, "Interactions", put_csv(env["s3"], "in/nulls.csv", frame))["status"] == "ACTIVE"
    assert bulk(env["Interactions"])["EVENT_VALUE"].isna().all()
