"""Check Campaign: is the campaign (and its latestCampaignUpdate) ACTIVE yet."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from workflow import campaigns, polling
from workflow.steps import CampaignStep

logger = Logger()


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = CampaignStep.model_validate(event)
    result = campaigns.deploy_campaign(step.params, step.campaign, step.solutions, step.previous.get("action"))
    logger.info("campaign", extra={"result": result})
    return polling.advance(result, step.poll, step.params, f"campaign {step.campaign['name']}")
