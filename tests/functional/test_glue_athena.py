"""Athena sources (issue 12, R5): the query results go under the data bucket, in the stack's workgroup, and the Glue
role may run them there; without a location awswrangler would create aws-athena-query-results-<account>-<region>."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import export_interactions
import pytest
from moto import mock_aws

from autopersonalize.local import offline_aws
from autopersonalize.local.stack import REPO, deploy_stack
from tests.functional.test_glue_export import queue_athena_result

BUCKET = "autopersonalize-test"
SQL = "SELECT customer_id, sku, ts FROM lake.clicks"
ROWS = [["customer_id", "sku", "ts"], ["u1", "i1", "1700000000"], ["u2", "i2", "1700000060"]]


def executions() -> list[dict[str, Any]]:
    athena = boto3.client("athena")
    return [
        athena.get_query_execution(QueryExecutionId=q)["QueryExecution"]
        for q in athena.list_query_executions()["QueryExecutionIds"]
    ]


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        yield client


def test_export_athena_without_an_output_location_puts_results_under_the_data_bucket(s3: Any) -> None:
    queue_athena_result(ROWS)
    export_interactions.main(
        {
            "bucket": BUCKET,
            "run_id": "run-1",
            "schema": str(REPO / "schemas" / "interactions.avsc"),
            "source_type": "athena",
            "source": SQL,
            "event_type": "click",
            "mapping": "USER_ID=customer_id,ITEM_ID=sku,TIMESTAMP=ts",
        }
    )
    [query] = executions()
    assert query["ResultConfiguration"]["OutputLocation"].startswith(f"s3://{BUCKET}/athena-results/")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == [BUCKET]  # no aws-athena-query-results-* bucket


def test_stack_athena_export_runs_in_the_stacks_workgroup_as_the_glue_role() -> None:
    parameters = {
        "InteractionsSource": SQL,
        "InteractionsSourceType": "athena",
        "InteractionsMapping": "USER_ID=customer_id,ITEM_ID=sku,TIMESTAMP=ts",
        "InteractionsEventType": "click",
        "ItemsSource": "none",
        "UsersSource": "none",
    }
    with offline_aws():
        stack = deploy_stack(parameters=parameters)
        schema = (REPO / "schemas" / "interactions.avsc").read_bytes()
        boto3.client("s3").put_object(Bucket=stack.bucket, Key="schemas/interactions.avsc", Body=schema)
        queue_athena_result(ROWS)
        glue = boto3.client("glue")
        job = stack.name("ExportInteractionsJob")
        run_id = glue.start_job_run(JobName=job, Arguments={"--run_id": "run-1"})["JobRunId"]
        run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
        [query] = executions()
    assert (run["JobRunState"], run.get("ErrorMessage")) == ("SUCCEEDED", None)
    assert query["WorkGroup"] == stack.name("ExportWorkGroup")
    assert query["ResultConfiguration"]["OutputLocation"].startswith(f"s3://{stack.bucket}/athena-results/")
