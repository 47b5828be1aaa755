"""Deploy Campaign: create the campaign, or update it to the new version (with an experiment: deploy the challenger
beside it); skipped when the gate said no."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import experiments, polling, run_params
from workflow.steps import CampaignStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = CampaignStep.model_validate(event)
    params = run_params.params_of(step.run)
    campaign = run_params.entry(params, "campaigns", step.campaign)
    result = experiments.deploy(params, campaign, step.solutions, step.previous)
    logger.info("campaign", extra={"result": result})
    return polling.advance(result, step.poll, params, f"campaign {step.campaign}")
