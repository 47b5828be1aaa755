"""Acquire Lock: take the dataset group's lock, or say how long to wait before trying again."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import lock
from workflow.steps import LockStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = LockStep.model_validate(event)
    result = lock.acquire(step.dataset_group, step.owner, step.poll, step.polling)
    logger.info("lock", extra={"datasetGroup": step.dataset_group, "acquired": result["acquired"]})
    return result
