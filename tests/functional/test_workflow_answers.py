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
    solution = trained(state, "personal", imported(state))
    created = deployed(state, "personal", [solution])
    config = boto3.client("personalize").describe_campaign(campaignArn=created["campaignArn"])["campaign"]
    assert config["campaignConfig"]["itemExplorationConfig"] == {
        "explorationWeight": "0.5",
        "explorationItemAgeCutOff": "30",
    }
    assert deployed(state, "personal", [solution])["action"] == "unchanged"


def test_workflow_campaign_config_key_the_params_change_updates_the_campaign(
    account: dict[str, str],  # noqa: F811
) -> None:
    state = group(loaded(solutions=SOLUTIONS, campaigns=CAMPAIGNS))
    solution = trained(state, "personal", imported(state))
    assert deployed(state, "personal", [solution])["action"] == "created"
    changed = [{**CAMPAIGNS[0], "campaignConfig": {"itemExplorationConfig": {"explorationItemAgeCutOff": "7"}}}]
    rerun = group(loaded("exec-2", solutions=SOLUTIONS, campaigns=changed))  # the same params file, one key changed
    assert deployed(rerun, "personal", [solution])["action"] == "updated"
    assert deployed(rerun, "personal", [solution])["action"] == "unchanged"
