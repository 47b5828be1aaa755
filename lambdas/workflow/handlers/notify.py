"""Notify: the run's one SNS message (DEPLOYED or REJECTED, metrics vs gate, ARNs, rows, durations)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import notify, run_params
from workflow.steps import NotifyStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = NotifyStep.model_validate(event)
    snapshot = run_params.snapshot(step.run.snapshot, step.run.snapshot_etag)
    result = notify.notify(
        step.model_dump(by_alias=True), snapshot["params"], snapshot["warnings"], snapshot.get("export")
    )
    logger.info("run succeeded", extra={"outcome": result["outcome"]})
    return result
