"""Solution and campaign settings Personalize honours change what the emulator trains and serves (plain boto3).

Each test compares a setting with its absence on the same data; if the emulator ignored the setting, both sides would
be identical (training is deterministic), so each test fails when its setting is ignored.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pandas as pd
import pytest
from test_emulator_support import (  # noqa: F401
    BUCKET,
    INTERACTIONS_SCHEMA,
    ITEMS_SCHEMA,
    ROLE,
    dataset_group,
    engine_ready,
    interactions,
    items,
    put_csv,
    train,
)

from autopersonalize.local import offline_aws
from tests.e2e.workflow_support import personalize_access

LATEST = 1_700_000_000 + 59 * 1000 + 23 * 10  # the newest interaction of test_emulator_support.interactions()
DAY = 86_400


@pytest.fixture
def pz(engine_ready: Any) -> Iterator[Any]:  # noqa: F811
    with offline_aws("immediate"):
        yield boto3.client("personalize")


def _group_with(pz: Any, name: str, rows: pd.DataFrame) -> str:
    """A dataset group with the shared interactions and the given Items dataset (bucket and role made once)."""
    if not boto3.client("s3").list_buckets()["Buckets"]:
        personalize_access(BUCKET)
    group = pz.create_dataset_group(name=name)["datasetGroupArn"]
    s3 = boto3.client("s3")
    for kind, schema, frame in (("Interactions", INTERACTIONS_SCHEMA, interactions()), ("Items", ITEMS_SCHEMA, rows)):
        schema_arn = pz.create_schema(name=f"{name}-{kind}", schema=schema)["schemaArn"]
        dataset = pz.create_dataset(
            name=f"{name}-{kind}", schemaArn=schema_arn, datasetGroupArn=group, datasetType=kind
        )
        key = f"{name}/{kind}.csv"
        s3.put_object(Bucket=BUCKET, Key=key, Body=frame.to_csv(index=False).encode())
        job = pz.create_dataset_import_job(
            jobName=f"{name}-{kind}",
            datasetArn=dataset["datasetArn"],
            dataSource={"dataLocation": f"s3://{BUCKET}/{key}"},
            roleArn=ROLE,
        )["datasetImportJobArn"]
        assert pz.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"]["status"] == "ACTIVE"
    return str(group)


def _with_cold_items(created: int) -> pd.DataFrame:
    """The shared 40 items plus i40-i44: books (like i0-i9) that nobody has interacted with, created at `created`."""
    cold = pd.DataFrame(
        {
            "ITEM_ID": [f"i{i}" for i in range(40, 45)],
            "CATEGORY": ["books"] * 5,
            "PRICE": [9.0] * 5,
            "CREATION_TIMESTAMP": [created] * 5,
        }
    )
    return pd.concat([items(), cold], ignore_index=True)


def _metrics(pz: Any, group: str, name: str, **solution: Any) -> dict[str, float]:
    version = train(pz, group, "aws-user-personalization", name, **solution)
    return dict(pz.get_solution_metrics(solutionVersionArn=version)["metrics"])


def test_event_type_trains_on_that_event_type_only(pz: Any) -> None:
    arns = dataset_group(pz, boto3.client("s3"))
    every_event = _metrics(pz, arns["group"], "all")
    clicks = _metrics(pz, arns["group"], "clicks", eventType="click")
    assert clicks != every_event  # 80 % of the events are clicks, the rest purchases
    described = pz.describe_solution(solutionArn=arns["group"].replace("dataset-group/dg", "solution/clicks"))
    assert described["solution"]["eventType"] == "click"


def test_event_value_threshold_trains_on_values_at_or_above_it(pz: Any) -> None:
    arns = dataset_group(pz, boto3.client("s3"))
    every_event = _metrics(pz, arns["group"], "all")
    high = _metrics(pz, arns["group"], "high", solutionConfig={"eventValueThreshold": "2"})
    assert high != every_event


def test_event_value_threshold_above_every_value_leaves_too_little_to_train(pz: Any) -> None:
    arns = dataset_group(pz, boto3.client("s3"))
    solution = pz.create_solution(
        name="none-left",
        datasetGroupArn=arns["group"],
        recipeArn="arn:aws:personalize:::recipe/aws-user-personalization",
        performAutoTraining=False,
        solutionConfig={"eventValueThreshold": "6"},
    )["solutionArn"]
    version = pz.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    described = pz.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert described["status"] == "CREATE FAILED"
    assert "found 0 after filtering (eventValueThreshold=6.0)" in described["failureReason"]


def test_similar_items_uses_item_metadata_for_items_without_interactions(pz: Any) -> None:
    group = _group_with(pz, "meta", _with_cold_items(1_600_000_000))
    campaign = pz.create_campaign(
        name="similar", solutionVersionArn=train(pz, group, "aws-similar-items", "similar"), minProvisionedTPS=1
    )["campaignArn"]
    related = boto3.client("personalize-runtime").get_recommendations(campaignArn=campaign, itemId="i40", numResults=5)
    ids = [int(r["itemId"][1:]) for r in related["itemList"]]
    assert all(i < 10 or 40 <= i < 45 for i in ids), ids  # books only: the CATEGORY of i40


def _recommended(campaign_config: dict[str, Any] | None, created: int, pz: Any, name: str) -> list[str]:
    group = _group_with(pz, name, _with_cold_items(created))
    version = train(pz, group, "aws-user-personalization", name)
    extra = {"campaignConfig": campaign_config} if campaign_config is not None else {}
    campaign = pz.create_campaign(name=name, solutionVersionArn=version, minProvisionedTPS=1, **extra)["campaignArn"]
    answer = boto3.client("personalize-runtime").get_recommendations(campaignArn=campaign, userId="u0", numResults=10)
    return [r["itemId"] for r in answer["itemList"]]


COLD = {f"i{i}" for i in range(40, 45)}


def test_exploration_weight_brings_young_items_without_interactions_into_recommendations(pz: Any) -> None:
    young = LATEST - 2 * DAY
    none = _recommended({"itemExplorationConfig": {"explorationWeight": "0"}}, young, pz, "w0")
    some = _recommended({"itemExplorationConfig": {"explorationWeight": "0.5"}}, young, pz, "w5")
    default = _recommended(None, young, pz, "wdefault")  # 0.3 when the campaign leaves it out
    assert not COLD & set(none)
    assert set(some) >= COLD
    assert COLD & set(default)


def test_exploration_item_age_cut_off_keeps_older_items_out(pz: Any) -> None:
    ten_days_old = LATEST - 10 * DAY
    within = _recommended({"itemExplorationConfig": {"explorationWeight": "0.5"}}, ten_days_old, pz, "age30")
    cut = {"itemExplorationConfig": {"explorationWeight": "0.5", "explorationItemAgeCutOff": "7"}}
    beyond = _recommended(cut, ten_days_old, pz, "age7")
    assert set(within) >= COLD
    assert not COLD & set(beyond)
