"""Ensure Dataset Group: create the dataset group when absent, or check the existing one against the params."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import datasets, polling, run_params
from workflow.steps import RunStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = RunStep.model_validate(event)
    params = run_params.params_of(step.run)
    result = datasets.ensure_dataset_group(params)
    logger.info("dataset group", extra={"result": result})
    return polling.advance(result, step.poll, params, f"dataset group {step.run.dataset_group}")
