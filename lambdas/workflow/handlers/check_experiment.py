"""Check Experiment: an experiment's scheduled check (autoPromote): promote the challenger when it wins, end the
experiment when it loses or does no better once the test has its sample, else leave it running."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from workflow import experiment_verdict

logger = Logger()


class ExperimentRef(BaseModel):
    """The schedule's Input: which campaign's experiment to check."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    dataset_group: str = Field(alias="datasetGroup")
    campaign: str


class CheckStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    experiment: ExperimentRef


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = CheckStep.model_validate(event)
    result = experiment_verdict.scheduled_check(step.experiment.dataset_group, step.experiment.campaign)
    logger.info("experiment checked", extra={"result": result})
    return result
