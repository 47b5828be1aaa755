"""The export engines through the offline stack: template.yaml deployed with InteractionsEngine spark or auto, the Glue
workflow run as on AWS (each job as the stack's Glue role, IAM enforced), the Glue for Spark job on PySpark local[2]
(`--spark_io local:`, autopersonalize/local/patches.py). Each publishes the same interactions CSV parts, rejected rows
and manifest as the python-shell engine; with spark the workflow runs the Spark job in the Python shell job's place,
with auto the Python shell job measures the source and starts the Spark job above SparkAboveBytes. The Glue role may
start and watch only the Spark jobs of the datasets on auto.

Few rows (publish_params then refuses to train on them after writing the run's manifest.json: nothing trains)."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pandas as pd
import pytest
from botocore.exceptions import ClientError

from autopersonalize import pipeline
from autopersonalize.local import iam, offline_aws, patches
from autopersonalize.local.stack import OfflineStack, deploy_stack

ACCOUNT, REGION = "123456789012", "us-east-1"
MAPPING = "USER_ID=user_id,ITEM_ID=item_id,TIMESTAMP=ts,EVENT_TYPE=event"
TEMPLATE = {
    "datasetGroup": {"name": "engines"},
    "datasets": [{"datasetType": "Interactions", "schemaFile": "../schemas/interactions.avsc", "importMode": "FULL"}],
    "solutions": [{"name": "popularity", "recipe": "aws-popularity-count"}],
}
# Keys that differ by nature: when and where the run wrote, and which engine did it.
RUN_KEYS = ("createdAt", "runId", "location", "rejectedLocation", "engine")


def clicks() -> pd.DataFrame:
    """40 users x 20 events, two exact duplicates and three rows the conformance rules reject."""
    rows: list[tuple[str | None, str, int, str]] = [
        (f"u{u}", f"i{(u * 7 + k) % 50}", 1_700_000_000 + u * 20 + k, "click") for u in range(40) for k in range(20)
    ]
    rows += [rows[3], rows[40]]
    rows += [(None, "i1", 1_700_000_001, "click"), ("u1", "i1", -5, "click"), ("u2", "x" * 300, 1_700_000_002, "view")]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "ts", "event"])


def export(settings: dict[str, str]) -> tuple[OfflineStack, dict[str, Any], dict[str, Any]]:
    """The interactions through `run`'s path (deploy, lake, Glue workflow) with these stack parameters; the stack,
    the workflow run and what it published: header and sorted rows of the parts and of the rejects, and the dataset's
    entry of the run's manifest.json without RUN_KEYS."""
    sources = {"interactions": pipeline.Source(frame=clicks(), mapping=MAPPING)}
    stack, run = pipeline.export(sources, TEMPLATE, dataset_group="engines", settings=settings)
    assert not stack.executions("TrainingStateMachine")  # publish_params refused the few rows
    s3, prefix = boto3.client("s3"), f"exports/{run['WorkflowRunId']}"
    body = s3.get_object(Bucket=stack.bucket, Key=f"{prefix}/manifest.json")["Body"].read()
    entry = json.loads(body)["datasets"]["interactions"]
    listed = entry["batchUsers"]  # every user for batch jobs, in the run's folder: compared by the users it lists
    lines = s3.get_object(Bucket=stack.bucket, Key=f"{prefix}/batch-users/users.jsonl")["Body"].read().splitlines()
    assert listed["location"] == f"s3://{stack.bucket}/{prefix}/batch-users/users.jsonl"
    entry["batchUsers"] = {**listed, "location": sorted(json.loads(line)["userId"] for line in lines)}
    published = {
        "parts": rows_under(s3, stack.bucket, f"{prefix}/interactions/"),
        "rejected": rows_under(s3, stack.bucket, f"{prefix}/rejected/interactions/"),
        "manifest": {k: v for k, v in entry.items() if k not in RUN_KEYS},
    }
    return stack, run, published | {"engine": entry.get("engine", "python-shell")}


def rows_under(s3: Any, bucket: str, prefix: str) -> tuple[list[str], list[list[str]]]:
    """The header and every row of the CSV parts under a prefix (sorted: engines order rows differently)."""
    header: list[str] = []
    rows: list[list[str]] = []
    for obj in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []):
        text = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read().decode()
        header, *body = list(csv.reader(io.StringIO(text)))
        rows += body
    return header, sorted(rows)


def job_runs(stack: OfflineStack, logical_id: str) -> list[str]:
    glue = boto3.client("glue")
    return [r["JobRunState"] for r in glue.get_job_runs(JobName=stack.name(logical_id))["JobRuns"]]


@pytest.fixture(scope="module")
def python_shell() -> dict[str, Any]:
    """What the default engine publishes: the reference for the others."""
    with offline_aws():
        stack, _, published = export({})
        assert job_runs(stack, "ExportInteractionsJob") == ["SUCCEEDED"]
        assert "ExportInteractionsSparkJob" not in stack.resources  # python-shell: no Spark job exists
    assert published["engine"] == "python-shell" and published["manifest"]["rowsRejected"] == 3
    assert published["manifest"]["duplicatesRemoved"] == 2 and len(published["parts"][1]) == 800
    return published


def test_spark_engine_workflow_runs_the_spark_job_and_publishes_what_python_shell_does(
    python_shell: dict[str, Any],
) -> None:
    with offline_aws():
        stack, run, published = export({"InteractionsEngine": "spark"})

        assert job_runs(stack, "ExportInteractionsSparkJob") == ["SUCCEEDED"]  # in the Python shell job's place
        assert job_runs(stack, "ExportInteractionsJob") == []
    statistics = run["Statistics"]  # the same graph: cleanup, three exports, publish_params (which refused)
    assert (statistics["TotalActions"], statistics["SucceededActions"], statistics["FailedActions"]) == (5, 4, 1)
    assert published["engine"] == "spark"
    assert published == python_shell | {"engine": "spark"}


def test_auto_engine_hands_a_source_above_spark_above_bytes_to_the_spark_job(python_shell: dict[str, Any]) -> None:
    with offline_aws():
        stack, _, published = export({"InteractionsEngine": "auto", "SparkAboveBytes": "1000"})

        assert job_runs(stack, "ExportInteractionsJob") == ["SUCCEEDED"]  # the workflow's node, as with python-shell
        assert job_runs(stack, "ExportInteractionsSparkJob") == ["SUCCEEDED"]  # started by it, as the Glue role
    assert published == python_shell | {"engine": "spark"}


def test_auto_engine_keeps_a_source_below_spark_above_bytes_on_the_python_shell_job(
    python_shell: dict[str, Any],
) -> None:
    with offline_aws():
        stack, _, published = export({"InteractionsEngine": "auto"})  # the default: 20 GiB

        assert job_runs(stack, "ExportInteractionsJob") == ["SUCCEEDED"]
        assert job_runs(stack, "ExportInteractionsSparkJob") == []
    assert published == python_shell


# ---------- what the Glue role may start


@pytest.fixture
def auto_and_spark() -> Iterator[OfflineStack]:
    """Interactions on auto, items on spark: both have a Spark job; only the interactions export starts its own."""
    with offline_aws():
        yield deploy_stack(
            parameters={
                "InteractionsSource": "s3://lake-data/clicks/",
                "InteractionsEngine": "auto",
                "ItemsSource": "s3://lake-data/items/",
                "ItemsEngine": "spark",
                "UsersSource": "none",
            }
        )


def as_glue_role(stack: OfflineStack) -> Any:
    role = f"arn:aws:iam::{ACCOUNT}:role/{stack.name('GlueJobRole')}"
    _, session = iam.role_session(role, "glue-test", REGION, patches.SERVICE_MODELS)
    return session.client("glue", region_name=REGION)


def refused(call: Any, **kwargs: Any) -> str:
    """The AccessDenied message of a Glue call, the role session's name cut out (moto writes the refusal in XML)."""
    with pytest.raises(ClientError) as error:
        call(**kwargs)
    found = re.search(r"<Code>(\w+)</Code><Message>([^<]*)</Message>", error.value.response["Error"]["Message"])
    assert found, error.value.response
    return re.sub(r"assumed-role/([^/]+)/\S+", r"assumed-role/\1/<session>", f"{found[1]}: {found[2]}")


def test_glue_role_may_watch_the_spark_job_of_a_dataset_on_auto(auto_and_spark: OfflineStack) -> None:
    glue = as_glue_role(auto_and_spark)
    job = auto_and_spark.name("ExportInteractionsSparkJob")

    with pytest.raises(ClientError) as error:  # authorised: Glue looks the run up, and has none by that id
        glue.get_job_run(JobName=job, RunId="jr_0000")

    assert error.value.response["Error"]["Code"] == "EntityNotFoundException"


@pytest.mark.parametrize(
    "logical_id", ["ExportItemsSparkJob", "PublishParamsJob"], ids=["spark-job-of-a-dataset-on-spark", "another-job"]
)
def test_glue_role_may_not_start_any_other_job(auto_and_spark: OfflineStack, logical_id: str) -> None:
    glue = as_glue_role(auto_and_spark)
    job = auto_and_spark.name(logical_id)
    role = auto_and_spark.name("GlueJobRole")

    message = refused(glue.start_job_run, JobName=job)

    # moto's refusal names the action, not the resource; the same call on the interactions Spark job is allowed
    # (test_auto_engine_hands_a_source_above_spark_above_bytes_to_the_spark_job starts it as this role)
    assert message == (
        f"AccessDenied: User: arn:aws:sts::{ACCOUNT}:assumed-role/{role}/<session> is not authorized to perform: "
        "glue:StartJobRun"
    )
    assert job_runs(auto_and_spark, logical_id) == []
