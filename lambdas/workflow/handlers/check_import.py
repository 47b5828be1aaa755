"""Check Import: the import job's status; ResourceFailedError carries Personalize's failureReason."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import imports, polling, run_params
from workflow.steps import ImportStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = ImportStep.model_validate(event)
    params = run_params.params_of(step.run)
    dataset = run_params.entry(params, "datasets", step.dataset)
    arn = next(d["datasetArn"] for d in step.datasets if d["datasetType"] == step.dataset)
    result = imports.check_import(params, dataset, arn, step.job_arn, step.previous)
    return polling.advance(result, step.poll, params, f"{step.dataset} import {step.job_arn}")
