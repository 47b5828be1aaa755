"""Check Batch Segment: the segment job's status; ResourceFailedError carries Personalize's failureReason."""

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
    action = str(step.previous.get("action", "started"))
    result = batch.check(batch.SEGMENT, params, job, step.solutions, step.serving, step.job_arn, action)
    return polling.advance(result, step.poll, params, f"batch segment job {step.job}")
