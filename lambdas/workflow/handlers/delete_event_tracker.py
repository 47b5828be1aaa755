"""Delete Event Tracker: delete the dataset group's event tracker and metric attribution; done once neither is left
(safe to re-run)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import teardown
from workflow.steps import TeardownStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = TeardownStep.model_validate(event)
    return teardown.run_phase("eventTracker", step.dataset_group, step.progress)
