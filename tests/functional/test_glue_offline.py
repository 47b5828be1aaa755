"""Glue jobs run the way the offline stack runs them: StartJobRun and StartWorkflowRun execute the real scripts
in-process (autopersonalize.local's Glue patches), with Glue's `--key value` arguments and the workflow's run id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import export_interactions
import pytest

from autopersonalize.local import offline_aws
from autopersonalize.local.template import Template
from tests.functional.test_glue_export import BUCKET, SCHEMAS, put, rows_at
from tests.functional.test_glue_publish import (
    DEMO_TEMPLATE,
    T0,
    get_json,
    interactions_csv,
    row_metrics,
    shop_template,
)

ROLE = "arn:aws:iam::123456789012:role/glue-role"
GLUE_ROLE = Template.read(Path(__file__).resolve().parents[2] / "template.yaml").resources["GlueJobRole"]
# template.yaml's grant for publish_params' metrics, as written there
METRICS_GRANT = next(
    statement
    for policy in GLUE_ROLE["Properties"]["Policies"]
    for statement in policy["PolicyDocument"]["Statement"]
    if statement.get("Action") == "cloudwatch:PutMetricData"
)


@pytest.fixture
def s3() -> Iterator[Any]:
    with offline_aws(progression="immediate"):
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        _glue_role([METRICS_GRANT])
        yield client


def _glue_role(metrics: list[dict[str, Any]], name: str = "glue-role") -> None:
    """The role the jobs run as (IAM is enforced offline): reads and writes the test bucket, puts `metrics`."""
    iam = boto3.client("iam")
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", **trust}))
    access = {"Effect": "Allow", "Action": "s3:*", "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]}
    iam.put_role_policy(
        RoleName=name,
        PolicyName="bucket",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [access, *metrics]}),
    )


def _run_publish(role: str, template: str) -> dict[str, Any]:
    """publish_params as a Glue job run signed by `role`, after an interactions export of run-1 (1200 rows)."""
    s3 = boto3.client("s3")
    s3.put_object(Bucket=BUCKET, Key="raw/a.csv", Body=interactions_csv(60, 20, T0).encode())
    export_interactions.main(
        {
            "bucket": BUCKET,
            "run_id": "run-1",
            "schema": str(SCHEMAS / "interactions.avsc"),
            "source_type": "s3_csv",
            "source": f"s3://{BUCKET}/raw/a.csv",
        }
    )
    glue = boto3.client("glue")
    script = f"s3://{BUCKET}/glue/publish_params.py"
    glue.create_job(Name="publish", Role=role, Command={"Name": "pythonshell", "ScriptLocation": script})
    arguments = {"--bucket": BUCKET, "--run_id": "run-1", "--params_template": template}
    run_id = glue.start_job_run(JobName="publish", Arguments=arguments)["JobRunId"]
    return dict(glue.get_job_run(JobName="publish", RunId=run_id)["JobRun"])


def test_glue_job_run_executes_the_script_with_the_workflow_run_id(s3: Any) -> None:
    source = put(s3, "raw/users/u.csv", "id,seg\nu1,gold\n")
    glue = boto3.client("glue")
    glue.create_job(
        Name="export-users",
        Role="arn:aws:iam::123456789012:role/glue-role",
        Command={"Name": "pythonshell", "ScriptLocation": f"s3://{BUCKET}/glue_jobs/export_users.py"},
        DefaultArguments={
            "--bucket": BUCKET,
            "--schema": str(SCHEMAS / "users.avsc"),
            "--source_type": "s3_csv",
            "--source": source,
            "--mapping": "USER_ID=id,SEGMENT=seg",
        },
    )

    ok = glue.start_job_run(JobName="export-users", Arguments={"--WORKFLOW_RUN_ID": "wr_0001"})["JobRunId"]
    failed = glue.start_job_run(JobName="export-users", Arguments={"--mapping": "USER_ID=id"})["JobRunId"]

    assert glue.get_job_run(JobName="export-users", RunId=ok)["JobRun"]["JobRunState"] == "SUCCEEDED"
    assert rows_at(s3, "exports/wr_0001/users/part-00000.csv") == [
        ["USER_ID", "SEGMENT", "AGE_GROUP"],
        ["u1", "gold", ""],
    ]
    run = glue.get_job_run(JobName="export-users", RunId=failed)["JobRun"]
    assert run["JobRunState"] == "FAILED"
    assert "ExportArgumentError: the run id comes from --run_id or --WORKFLOW_RUN_ID" in run["ErrorMessage"]


def test_glue_workflow_run_shares_its_run_id_from_cleanup_to_publish(s3: Any) -> None:
    s3.put_object(Bucket=BUCKET, Key="raw/interactions/a.csv", Body=interactions_csv(60, 20, T0).encode())
    s3.put_object(Bucket=BUCKET, Key="raw/users/u.csv", Body=b"USER_ID,SEGMENT\nu1,gold\n")
    s3.put_object(Bucket=BUCKET, Key="raw/items/i.csv", Body=b"ITEM_ID,CATEGORY,CREATION_TIMESTAMP\ni1,a,1\n")
    glue = boto3.client("glue")
    for job in ("cleanup", "export_users", "export_items", "export_interactions", "publish_params"):
        dataset = job.removeprefix("export_")
        arguments = (
            {
                "--bucket": BUCKET,
                "--source_type": "s3_csv",
                "--source": f"s3://{BUCKET}/raw/{dataset}/",
                "--schema": str(SCHEMAS / f"{dataset}.avsc"),
            }
            if job.startswith("export_")
            else {"--bucket": BUCKET}
        )
        arguments |= {"--params_template": DEMO_TEMPLATE} if job == "publish_params" else {}
        glue.create_job(
            Name=job,
            Role="arn:aws:iam::123456789012:role/glue-role",
            DefaultArguments=arguments,
            Command={"Name": "pythonshell", "ScriptLocation": f"s3://{BUCKET}/glue/{job}.py"},
        )
    glue.create_workflow(Name="export")
    exports = ["export_users", "export_items", "export_interactions"]
    glue.create_trigger(Name="start", WorkflowName="export", Type="ON_DEMAND", Actions=[{"JobName": "cleanup"}])
    glue.create_trigger(
        Name="fan-out",
        WorkflowName="export",
        Type="CONDITIONAL",
        StartOnCreation=True,
        Predicate={
            "Logical": "AND",
            "Conditions": [{"LogicalOperator": "EQUALS", "JobName": "cleanup", "State": "SUCCEEDED"}],
        },
        Actions=[{"JobName": j} for j in exports],
    )
    glue.create_trigger(
        Name="publish",
        WorkflowName="export",
        Type="CONDITIONAL",
        StartOnCreation=True,
        Predicate={
            "Logical": "AND",
            "Conditions": [{"LogicalOperator": "EQUALS", "JobName": j, "State": "SUCCEEDED"} for j in exports],
        },
        Actions=[{"JobName": "publish_params"}],
    )

    run_id = glue.start_workflow_run(Name="export")["RunId"]

    run = glue.get_workflow_run(Name="export", RunId=run_id)["Run"]
    assert run["Statistics"]["SucceededActions"] == 5
    params = get_json(s3, "params/demo.json")
    assert {d["dataLocation"] for d in params["datasets"]} == {
        f"s3://{BUCKET}/exports/{run_id}/{name}/" for name in ("interactions", "items", "users")
    }


def test_glue_publish_params_puts_its_row_metrics_under_the_template_grant(s3: Any, tmp_path: Path) -> None:
    run = _run_publish(ROLE, shop_template(tmp_path))

    assert run["JobRunState"] == "SUCCEEDED", run
    assert row_metrics("shop") == {("interactions", "RowsExported"): 1200.0, ("interactions", "RowsRejected"): 0.0}


@pytest.mark.parametrize(
    "grant",
    [
        [],
        [{**METRICS_GRANT, "Condition": {"StringEquals": {"cloudwatch:namespace": "someone-else"}}}],
    ],
    ids=["no-grant", "other-namespace"],
)
def test_glue_publish_params_without_the_metrics_grant_fails_access_denied(
    s3: Any, tmp_path: Path, grant: list[dict[str, Any]]
) -> None:
    _glue_role(grant, name="no-metrics")

    run = _run_publish("arn:aws:iam::123456789012:role/no-metrics", shop_template(tmp_path))

    # moto answers CloudWatch's CBOR client with its XML error body (docs/emulator.md, "IAM offline")
    assert run["JobRunState"] == "FAILED"
    assert run["ErrorMessage"].startswith("ClientError: An error occurred (403) when calling the PutMetricData"), run
    assert "<Code>AccessDenied</Code>" in run["ErrorMessage"]
    assert "assumed-role/no-metrics/glue-publish is not authorized to perform" in run["ErrorMessage"]
    assert row_metrics("shop") == {}
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="params/")  # no training started
