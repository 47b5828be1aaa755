"""Load Batch Output: one bounded step of loading a served job's output into DynamoDB, switching, then cleaning."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import batch_serving, run_params
from workflow.steps import LoadBatchStep

logger = Logger()
RESERVE_MS = 90_000  # another chunk only while this much of the function's timeout is left (a chunk takes ~10-20 s)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = LoadBatchStep.model_validate(event)
    params = run_params.params_of(step.run)
    job = run_params.entry(params, "batchInferenceJobs", step.job)
    version = step.previous["solutionVersionArn"]
    cursor = step.previous.get("load") or {"since": step.previous.get("createdAt")}
    cursor = batch_serving.load(params, job, version, cursor)
    while not cursor["done"] and context.get_remaining_time_in_millis() > RESERVE_MS:  # fewer states per user
        cursor = batch_serving.load(params, job, version, cursor)
    logger.info("batch output", extra={"job": step.job, "phase": cursor["phase"], "loaded": cursor["loaded"]})
    return {**step.previous, "load": cursor, "loaded": cursor["done"]}
