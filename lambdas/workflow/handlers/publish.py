"""Publish: SSM parameters with the deployed campaigns' and filters' ARNs and the tracker's id; retraining schedules."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import publish
from workflow.steps import PublishStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = PublishStep.model_validate(event)
    result = publish.publish(step.run, step.campaigns, step.serving, step.recommenders)
    logger.info("published", extra={"result": result})
    return result
