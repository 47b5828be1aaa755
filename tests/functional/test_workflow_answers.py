"""The workflow against Personalize's answers: upper-case dataset types (R2), campaign configs with defaults (R6)."""

from __future__ import annotations

import boto3
from test_workflow_handlers import account, deployed, group, imported, loaded, trained  # noqa: F401

from tests.e2e import workflow_support as ws

SOLUTIONS = [{"name": "personal", "recipe": "aws-user-personalization"}]
EXPLORE = {"itemExplorationConfig": {"explorationWeight": 0.5}}
CAMPAIGNS = [{"name": "personal", "solution": "personal", "campaignConfig": EXPLORE}]


def test_workflow_datasets_are_found_again_by_the_upper_case_type_personalize_answers(
    account: dict[str, str],  # noqa: F811
) -> None:
    state = group(loaded())
    listed = boto3.client("personalize").list_datasets(datasetGroupArn=state["datasetGroup"]["arn"])["datasets"]
    assert sorted(d["datasetType"] for d in listed) == ["INTERACTIONS", "ITEMS"]
    again = group(loaded())
    assert again["datasets"]["datasets"] == state["datasets"]["datasets"]
    assert ws.counts()["datasets"] == 2


def test_workflow_campaign_with_unchanged_params_is_not_updated_when_personalize_fills_defaults(
    account: dict[str, str],  # noqa: F811
) -> None:
    state = group(loaded(solutions=SOLUTIONS, campaigns=CAMPAIGNS))
    campaign = state["params"]["campaigns"][0]
    solution = trained(state, state["params"]["solutions"][0], imported(state))
    created = deployed(state, campaign, [solution])
    config = boto3.client("personalize").describe_campaign(campaignArn=created["campaignArn"])["campaign"]
    assert config["campaignConfig"]["itemExplorationConfig"] == {
        "explorationWeight": "0.5",
        "explorationItemAgeCutOff": "30",
    }
    assert deployed(state, campaign, [solution])["action"] == "unchanged"


def test_workflow_campaign_config_key_the_params_change_updates_the_campaign(
    account: dict[str, str],  # noqa: F811
) -> None:
    state = group(loaded(solutions=SOLUTIONS, campaigns=CAMPAIGNS))
    campaign = state["params"]["campaigns"][0]
    solution = trained(state, state["params"]["solutions"][0], imported(state))
    assert deployed(state, campaign, [solution])["action"] == "created"
    changed = {**campaign, "campaignConfig": {"itemExplorationConfig": {"explorationItemAgeCutOff": "7"}}}
    assert deployed(state, changed, [solution])["action"] == "updated"
    assert deployed(state, changed, [solution])["action"] == "unchanged"
