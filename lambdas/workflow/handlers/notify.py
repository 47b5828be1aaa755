"""Notify: the run's one SNS message (DEPLOYED or REJECTED, metrics vs gate, ARNs, rows, durations)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import notify
from workflow.steps import StateStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = StateStep.model_validate(event)
    result = notify.notify(step.state)
    logger.info("run succeeded", extra={"outcome": result["outcome"]})
    return result
