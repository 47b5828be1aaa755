"""Ensure Recommender: the served recommender reused, updated or started, or a new one created beside it."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import polling, recommenders, run_params
from workflow.steps import RecommenderStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = RecommenderStep.model_validate(event)
    params = run_params.params_of(step.run)
    block = run_params.entry(params, "recommenders", step.recommender)
    result = recommenders.ensure_recommender(
        params, step.dataset_group_arn, block, step.run.run_id, step.previous.get("action")
    )
    logger.info("recommender", extra={"result": result})
    return polling.advance(result, step.poll, params, f"recommender {step.recommender}")
