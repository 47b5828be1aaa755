"""Check Datasets: are all datasets ACTIVE yet (ensuring again is idempotent)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import datasets, polling
from workflow.steps import GroupStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = GroupStep.model_validate(event)
    result = datasets.ensure_datasets(step.params, step.dataset_group_arn)
    logger.info("datasets", extra={"result": result})
    return polling.advance(result, step.poll, step.params, "the datasets")
