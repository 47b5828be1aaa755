"""Load Params refuses S3 locations the stack's roles cannot use, before anything is created (least privilege)."""

from __future__ import annotations

import boto3
import pytest
from test_workflow_handlers import account  # noqa: F401
from workflow.errors import InvalidParamsError

from tests.e2e import workflow_support as ws


def test_load_params_refuses_data_outside_the_stack_bucket(account: dict[str, str]) -> None:  # noqa: F811
    boto3.client("s3").create_bucket(Bucket="elsewhere")
    locations = {**ws.upload_data("data"), "Items": "s3://elsewhere/items/"}
    with pytest.raises(InvalidParamsError) as error:
        ws.load(ws.params(locations))
    assert error.value.problems == [
        "datasets[1].dataLocation: s3://elsewhere/items/ is outside s3://data/, the only place the stack lets the "
        "workflow and Personalize read: put it there"
    ]


def test_load_params_refuses_batch_output_outside_batch(account: dict[str, str]) -> None:  # noqa: F811
    job = {"name": "all", "solution": "personal", "jobInput": "s3://data/batch/in.jsonl", "jobOutput": "s3://data/out/"}
    with pytest.raises(InvalidParamsError) as error:
        ws.load(ws.params(ws.upload_data("data"), batchInferenceJobs=[job]))
    assert error.value.problems == [
        "batchInferenceJobs[0].jobOutput: s3://data/out/ is outside s3://data/batch/, the only place the stack lets "
        "Personalize write: put it there"
    ]


def test_load_params_refuses_a_batch_job_without_the_users_publish_params_fills_in(
    account: dict[str, str],  # noqa: F811
) -> None:
    job = {"name": "all", "solution": "personal", "jobOutput": "s3://data/batch/all/"}
    with pytest.raises(InvalidParamsError) as error:
        ws.load(ws.params(ws.upload_data("data"), batchInferenceJobs=[job]))
    assert error.value.problems == [
        "batchInferenceJobs[0].jobInput: missing; a job without one answers every user, whose list the Glue "
        "workflow's publish_params fills in (exports/<run-id>/batch-users/users.jsonl) when it publishes the params: "
        'params started otherwise must name the users file (JSON lines of {"userId": ...}) in jobInput'
    ]
