"""The emulator answers as Personalize answers (canonical values, documented defaults) and refuses what it refuses.

Each behaviour's evidence is in docs/emulator.md, section "Answers as Personalize answers".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from test_emulator_support import (  # noqa: F401
    INTERACTIONS_SCHEMA,
    ITEMS_SCHEMA,
    RECIPE,
    dataset_group,
    engine_ready,
    error_of,
    train,
)

from autopersonalize.local import offline_aws
from tests.e2e.workflow_support import kms_role

KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KMS_ROLE = "arn:aws:iam::123456789012:role/personalize-kms"


@pytest.fixture
def pz(engine_ready: Any) -> Iterator[Any]:  # noqa: F811
    with offline_aws("immediate"):
        yield boto3.client("personalize")


@pytest.fixture
def world(pz: Any) -> dict[str, Any]:
    return {"personalize": pz, **dataset_group(pz, boto3.client("s3"), with_metadata=False)}


def test_emulator_dataset_type_is_answered_upper_case_whatever_the_request_spelled(pz: Any) -> None:
    group = pz.create_dataset_group(name="cased")["datasetGroupArn"]
    spelled = {"interactions": INTERACTIONS_SCHEMA, "iTeMs": ITEMS_SCHEMA}
    arns = {}
    for kind, schema in spelled.items():
        schema_arn = pz.create_schema(name=f"cased-{kind.lower()}", schema=schema)["schemaArn"]
        arns[kind] = pz.create_dataset(
            name=f"cased-{kind.lower()}", schemaArn=schema_arn, datasetGroupArn=group, datasetType=kind
        )["datasetArn"]
    assert arns["interactions"].endswith(":dataset/cased/INTERACTIONS")
    assert pz.describe_dataset(datasetArn=arns["iTeMs"])["dataset"]["datasetType"] == "ITEMS"
    listed = pz.list_datasets(datasetGroupArn=group)["datasets"]
    assert sorted(d["datasetType"] for d in listed) == ["INTERACTIONS", "ITEMS"]


def test_emulator_solution_answers_documented_defaults(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    arn = pz.create_solution(name="defaults", datasetGroupArn=world["group"], recipeArn=RECIPE + "aws-sims")[
        "solutionArn"
    ]
    solution = pz.describe_solution(solutionArn=arn)["solution"]
    assert (solution["performHPO"], solution["performAutoML"], solution["performAutoTraining"]) == (False, False, True)
    assert solution["solutionConfig"] == {"autoTrainingConfig": {"schedulingExpression": "rate(7 days)"}}


def test_emulator_solution_without_auto_training_has_no_schedule(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    config = {"eventValueThreshold": "2"}
    arn = pz.create_solution(
        name="manual",
        datasetGroupArn=world["group"],
        recipeArn=RECIPE + "aws-sims",
        performAutoTraining=False,
        solutionConfig=config,
    )["solutionArn"]
    assert pz.describe_solution(solutionArn=arn)["solution"]["solutionConfig"] == config


def test_emulator_solution_keeps_the_schedule_it_was_given(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    config = {"autoTrainingConfig": {"schedulingExpression": "rate(3 days)"}}
    arn = pz.create_solution(
        name="auto", datasetGroupArn=world["group"], recipeArn=RECIPE + "aws-sims", solutionConfig=config
    )["solutionArn"]
    assert pz.describe_solution(solutionArn=arn)["solution"]["solutionConfig"] == config


def test_emulator_solution_version_answers_training_mode_type_and_solution_fields(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    version = train(pz, world["group"], "aws-sims", "fields")
    described = pz.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert (described["trainingMode"], described["trainingType"]) == ("FULL", "MANUAL")
    assert (described["recipeArn"], described["datasetGroupArn"]) == (RECIPE + "aws-sims", world["group"])
    assert described["performHPO"] is False
    summary = pz.list_solution_versions(solutionArn=version.rsplit("/", 1)[0])["solutionVersions"][0]
    assert (summary["trainingMode"], summary["trainingType"]) == ("FULL", "MANUAL")


def test_emulator_campaign_fills_user_personalization_exploration_defaults(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    version = train(pz, world["group"], "aws-user-personalization", "up")
    config = {"itemExplorationConfig": {"explorationWeight": "0.5"}}
    arn = pz.create_campaign(name="up", solutionVersionArn=version, campaignConfig=config)["campaignArn"]
    campaign = pz.describe_campaign(campaignArn=arn)["campaign"]
    assert campaign["minProvisionedTPS"] == 1
    assert campaign["campaignConfig"] == {
        "itemExplorationConfig": {"explorationWeight": "0.5", "explorationItemAgeCutOff": "30"},
        "syncWithLatestSolutionVersion": False,
    }


def test_emulator_campaign_of_other_recipes_gets_no_exploration_defaults(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    version = train(pz, world["group"], "aws-user-personalization-v2", "v2")
    arn = pz.create_campaign(name="v2", solutionVersionArn=version)["campaignArn"]
    assert pz.describe_campaign(campaignArn=arn)["campaign"]["campaignConfig"] == {
        "syncWithLatestSolutionVersion": False
    }


def test_emulator_campaign_update_answers_the_filled_config(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    version = train(pz, world["group"], "aws-user-personalization", "up")
    arn = pz.create_campaign(name="up", solutionVersionArn=version)["campaignArn"]
    pz.update_campaign(campaignArn=arn, minProvisionedTPS=2)
    latest = pz.describe_campaign(campaignArn=arn)["campaign"]["latestCampaignUpdate"]
    assert latest["campaignConfig"] == {
        "itemExplorationConfig": {"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"},
        "syncWithLatestSolutionVersion": False,
    }


def test_emulator_update_training_is_refused_for_user_personalization_v2(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    version = train(pz, world["group"], "aws-user-personalization-v2", "v2")
    with pytest.raises(ClientError) as error:
        pz.create_solution_version(solutionArn=version.rsplit("/", 1)[0], trainingMode="UPDATE")
    assert error_of(error) == (
        "InvalidInputException",
        "trainingMode UPDATE is only supported for User-Personalization (aws-user-personalization) and legacy "
        "HRNN-Coldstart (aws-hrnn-coldstart) solutions, not aws-user-personalization-v2; use FULL.",
    )


def test_emulator_hpo_objective_is_refused(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    config = {"hpoConfig": {"hpoObjective": {"type": "Maximize", "metricName": "precision_at_25"}}}
    with pytest.raises(ClientError) as error:
        pz.create_solution(
            name="hpo",
            datasetGroupArn=world["group"],
            recipeArn=RECIPE + "aws-user-personalization",
            performHPO=True,
            solutionConfig=config,
        )
    assert error_of(error) == (
        "InvalidInputException",
        "solutionConfig.hpoConfig.hpoObjective: Amazon Personalize doesn't support configuring the hpoObjective; "
        "remove it.",
    )


def test_emulator_kms_key_without_role_is_refused(pz: Any) -> None:
    with pytest.raises(ClientError) as error:
        pz.create_dataset_group(name="secret", kmsKeyArn=KMS_KEY)
    assert error_of(error) == (
        "InvalidInputException",
        "roleArn: required with kmsKeyArn; give an IAM role that has permissions to access the KMS key.",
    )


def test_emulator_role_without_kms_key_is_refused(pz: Any) -> None:
    with pytest.raises(ClientError) as error:
        pz.create_dataset_group(name="secret", roleArn=KMS_ROLE)
    assert error_of(error) == (
        "InvalidInputException",
        "roleArn: supplying an IAM role is only valid when also specifying kmsKeyArn.",
    )


def test_emulator_kms_key_with_role_is_accepted_and_described(pz: Any) -> None:
    kms_role(KMS_ROLE, KMS_KEY)
    arn = pz.create_dataset_group(name="secret", kmsKeyArn=KMS_KEY, roleArn=KMS_ROLE)["datasetGroupArn"]
    group = pz.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]
    assert (group["kmsKeyArn"], group["roleArn"]) == (KMS_KEY, KMS_ROLE)
