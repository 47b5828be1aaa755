"""Check Solution: is the solution ACTIVE yet (ensuring again is idempotent)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import polling, training
from workflow.steps import SolutionStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = SolutionStep.model_validate(event)
    result = training.ensure_solution(step.params, step.dataset_group_arn, step.solution)
    logger.info("solution", extra={"result": result})
    return polling.advance(result, step.poll, step.params, f"solution {step.solution['name']}")
