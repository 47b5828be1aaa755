"""Start Batch Segment: start a batch segment job with the version that passed the gate (reused on resume)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import batch, polling, run_params
from workflow.steps import BatchStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = BatchStep.model_validate(event)
    params = run_params.params_of(step.run)
    job = run_params.entry(params, "batchSegmentJobs", step.job)
    result = batch.start(batch.SEGMENT, params, job, step.solutions, step.serving)
    logger.info("batch segment", extra={"result": result})
    return polling.advance(result, None, params, f"batch segment job {step.job}")
