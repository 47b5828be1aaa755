"""Evaluate Recommender: the metrics gate on a new recommender's modelMetrics; a rejected one is deleted."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import recommenders, run_params
from workflow.steps import EvaluateRecommenderStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = EvaluateRecommenderStep.model_validate(event)
    snapshot = run_params.snapshot(step.run.snapshot, step.run.snapshot_etag)
    params = snapshot["params"]
    block = run_params.entry(params, "recommenders", step.recommender)
    baselines = snapshot.get("export", {}).get("baselines")
    result = recommenders.evaluate(params, block, step.result, baselines)
    logger.info("gate decision", extra={"recommender": result["recommender"], "gate": result["gate"]})
    return result
