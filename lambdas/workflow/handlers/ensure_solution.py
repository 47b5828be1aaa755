"""Ensure Solution: create the solution when absent (performAutoTraining sent explicitly), or check it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import polling, run_params, training
from workflow.steps import SolutionStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = SolutionStep.model_validate(event)
    params = run_params.params_of(step.run)
    solution = run_params.entry(params, "solutions", step.solution)
    result = training.ensure_solution(params, step.dataset_group_arn, solution)
    logger.info("solution", extra={"result": result})
    return polling.advance(result, step.poll, params, f"solution {step.solution}")
