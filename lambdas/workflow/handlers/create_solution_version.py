"""Create Solution Version: start training, or return the version this data and config already has."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import polling, run_params, training
from workflow.steps import VersionStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = VersionStep.model_validate(event)
    params = run_params.params_of(step.run)
    solution = run_params.entry(params, "solutions", step.solution)
    result = training.create_solution_version(params, solution, str(step.solution_arn), step.imports)
    logger.info("solution version", extra={"result": result})
    return polling.advance(result, None, params, f"training of {step.solution}")
