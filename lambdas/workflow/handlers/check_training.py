"""Check Training: the solution version's status; ResourceFailedError carries Personalize's failureReason."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import polling, training
from workflow.steps import VersionStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = VersionStep.model_validate(event)
    result = training.check_training(
        step.params, step.solution, str(step.solution_arn), step.imports, step.solution_version_arn, step.previous
    )
    return polling.advance(result, step.poll, step.params, f"training of {step.solution['name']}")
