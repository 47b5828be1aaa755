"""Ensure Filters And Tracker: create the params' filters and event tracker when absent (both optional)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import polling, run_params, serving
from workflow.steps import GroupStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = GroupStep.model_validate(event)
    params = run_params.params_of(step.run)
    result = serving.ensure_filters_and_tracker(params, step.dataset_group_arn)
    logger.info("filters and event tracker", extra={"result": result})
    return polling.advance(result, step.poll, params, "the filters and event tracker")
