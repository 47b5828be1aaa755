"""Load Params: read and validate the params file the S3 event names (InvalidParamsError lists every problem)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import source
from workflow.steps import LoadParamsStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = LoadParamsStep.model_validate(event)
    state, warnings = source.load_run(step.event, step.execution_id, step.execution_name)
    logger.info("params valid", extra={"run": state["run"], "warnings": warnings})
    return state
