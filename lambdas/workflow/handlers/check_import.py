"""Check Import: the import job's status; ResourceFailedError carries Personalize's failureReason."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import imports, polling
from workflow.steps import ImportStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = ImportStep.model_validate(event)
    arn = next(d["datasetArn"] for d in step.datasets if d["datasetType"] == step.dataset["datasetType"])
    result = imports.check_import(step.params, step.dataset, arn, step.job_arn, step.previous)
    return polling.advance(result, step.poll, step.params, f"{step.dataset['datasetType']} import {step.job_arn}")
