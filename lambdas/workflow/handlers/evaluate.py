"""Evaluate: the metrics gate's decision on this run's version (data, not an error, when it rejects)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import evaluation, run_params
from workflow.steps import EvaluateStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = EvaluateStep.model_validate(event)
    snapshot = run_params.snapshot(step.run.snapshot, step.run.snapshot_etag)
    params = snapshot["params"]
    solution = run_params.entry(params, "solutions", step.solution)
    baselines = snapshot.get("export", {}).get("baselines")
    result = evaluation.evaluate(params, solution, str(step.solution_arn), step.version, baselines)
    logger.info("gate decision", extra={"solution": result["solution"], "gate": result["gate"]})
    return result
