"""Ensure Datasets: create the schemas and datasets that are absent; a schema that changed is a conflict."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import datasets, polling, run_params
from workflow.steps import GroupStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = GroupStep.model_validate(event)
    params = run_params.params_of(step.run)
    result = datasets.ensure_datasets(params, step.dataset_group_arn)
    logger.info("datasets", extra={"result": result})
    return polling.advance(result, step.poll, params, "the datasets")
