"""The hostile-file corpus (tests/hostile_corpus.py) through `run`'s path: the same rows as the Glue job writes
from the same file (tests/functional/test_hostile_files.py asserts those), nothing silently changed."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from autopersonalize import commands, pipeline, run_params, userdata
from autopersonalize.local import offline_aws
from tests.functional.test_hostile_files import exported
from tests.hostile_corpus import CASES, Case


def run_export(tmp_path: Path, case: Case) -> list[list[str]]:
    """The case's file through `run`'s path: inspected, planned with the default params, uploaded as it is and
    exported by the offline stack's Glue workflow; the rows the export wrote (publish_params then refuses to start
    training on so few rows, which is the workflow's business, not the export's)."""
    path = tmp_path / case.name
    path.write_bytes(case.body)
    inputs = userdata.open_inputs({"interactions": path}, map=case.mapping, **case.options)
    plan = userdata.plan(inputs, run_params.prepare(None, frozenset(inputs.files)), default_params=True)
    sources = commands.run_sources(plan)
    with offline_aws(progression="immediate"):
        stack, workflow_run = pipeline.export(
            sources, plan.template, dataset_group=plan.dataset_group, schemas=plan.schemas
        )
        assert not stack.executions("TrainingStateMachine")  # publish_params refused the few rows: nothing runs on
        return exported(boto3.client("s3"), stack.bucket, f"exports/{workflow_run['WorkflowRunId']}/interactions/")


@pytest.mark.parametrize("case", [c for c in CASES if not c.error], ids=lambda c: c.id)
def test_run_exports_the_hostile_file_as_the_glue_job_does(tmp_path: Path, case: Case) -> None:
    assert run_export(tmp_path, case) == case.rows
