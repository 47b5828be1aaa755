"""Start Batch Inference: start a batch job with the version that passed the gate (reused on resume)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import batch, polling
from workflow.steps import BatchStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = BatchStep.model_validate(event)
    result = batch.start_batch_inference(step.params, step.job, step.solutions, step.serving)
    logger.info("batch inference", extra={"result": result})
    return polling.advance(result, None, step.params, f"batch inference job {step.job['name']}")
