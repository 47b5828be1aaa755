"""Notify Failure: the failing step, the error and Personalize's failureReason, to SNS and EventBridge."""

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
    result = notify.notify_failure(step.state, step.execution_id, notify.params_at_failure(step.state))
    logger.warning("run failed", extra={"result": result})
    return result
