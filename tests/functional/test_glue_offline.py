"""Glue jobs run the way the offline stack runs them: StartJobRun and StartWorkflowRun execute the real scripts
in-process (autopersonalize.local's Glue patches), with Glue's `--key value` arguments and the workflow's run id."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from autopersonalize.local import offline_aws
from tests.functional.test_glue_export import BUCKET, SCHEMAS, put, rows_at
from tests.functional.test_glue_publish import DEMO_TEMPLATE, T0, get_json, interactions_csv


@pytest.fixture
def s3() -> Iterator[Any]:
    with offline_aws(progression="immediate"):
        client = boto3.client("s3")
        client.create_bucket(Bucket=BUCKET)
        _glue_role()
        yield client


def _glue_role() -> None:
    """The role the jobs run as (IAM is enforced offline): reads and writes the test bucket."""
    iam = boto3.client("iam")
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "glue.amazonaws.com"}, "Action": "sts:AssumeRole"}]
    }
    iam.create_role(RoleName="glue-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", **trust}))
    access = {"Effect": "Allow", "Action": "s3:*", "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"]}
    iam.put_role_policy(
        RoleName="glue-role",
        PolicyName="bucket",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [access]}),
    )


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
