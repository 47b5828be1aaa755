"""The whole Personalize flow with plain boto3 inside `offline_aws()`: import, train, serve, events, filters."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from test_emulator_support import BUCKET, ROLE, dataset_group, engine_ready, train  # noqa: F401

from autopersonalize.local import offline_aws


@pytest.fixture
def clients(engine_ready: Any) -> Iterator[dict[str, Any]]:  # noqa: F811
    with offline_aws("immediate"):
        yield {n: boto3.client(n) for n in ("personalize", "personalize-runtime", "personalize-events", "s3")}


@pytest.fixture
def world(clients: dict[str, Any]) -> dict[str, Any]:
    arns = dataset_group(clients["personalize"], clients["s3"])
    return {**clients, **arns}


def test_emulator_trains_every_recipe_and_reports_metrics(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    for recipe in (
        "aws-user-personalization",
        "aws-user-personalization-v2",
        "aws-popularity-count",
        "aws-similar-items",
        "aws-sims",
        "aws-personalized-ranking",
        "aws-personalized-ranking-v2",
    ):
        version = train(pz, world["group"], recipe, recipe)
        described = pz.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
        assert described["trainingMode"] == "FULL" and described["trainingHours"] >= 0
        metrics = pz.get_solution_metrics(solutionVersionArn=version)["metrics"]
        assert 0 <= metrics["coverage"] <= 1, recipe
        assert "normalized_discounted_cumulative_gain_at_10" in metrics, recipe


def test_emulator_serves_recommendations_and_put_events_change_them(world: dict[str, Any]) -> None:
    pz, rt, ev = world["personalize"], world["personalize-runtime"], world["personalize-events"]
    version = train(pz, world["group"], "aws-user-personalization", "up")
    campaign = pz.create_campaign(name="up", solutionVersionArn=version, minProvisionedTPS=1)["campaignArn"]
    assert pz.describe_campaign(campaignArn=campaign)["campaign"]["status"] == "ACTIVE"
    first = rt.get_recommendations(campaignArn=campaign, userId="u0", numResults=10)
    assert len(first["itemList"]) == 10 and first["recommendationId"]
    assert all(isinstance(i["score"], float) for i in first["itemList"])
    assert len(rt.get_recommendations(campaignArn=campaign, userId="u0")["itemList"]) == 25  # the default
    tracking = pz.create_event_tracker(name="events", datasetGroupArn=world["group"])["trackingId"]
    # u0 is in taste group 0 (items i0-i9); it now binges on group 3 items.
    events = [{"itemId": f"i{30 + k}", "eventType": "click", "sentAt": time.time() + k} for k in range(8)]
    ev.put_events(trackingId=tracking, userId="u0", sessionId="s-1", eventList=events)
    after = rt.get_recommendations(campaignArn=campaign, userId="u0", numResults=10)
    before_ids, after_ids = [i["itemId"] for i in first["itemList"]], [i["itemId"] for i in after["itemList"]]
    assert before_ids != after_ids
    assert sum(i.startswith("i3") for i in after_ids) > sum(i.startswith("i3") for i in before_ids)


def test_emulator_unknown_user_gets_popular_items(world: dict[str, Any]) -> None:
    pz, rt = world["personalize"], world["personalize-runtime"]
    campaign = pz.create_campaign(name="pop", solutionVersionArn=train(pz, world["group"], "aws-popularity-count", "p"))
    items = rt.get_recommendations(campaignArn=campaign["campaignArn"], userId="nobody", numResults=5)["itemList"]
    assert len(items) == 5


def test_emulator_related_items_and_ranking(world: dict[str, Any]) -> None:
    pz, rt = world["personalize"], world["personalize-runtime"]
    sims = pz.create_campaign(name="sims", solutionVersionArn=train(pz, world["group"], "aws-similar-items", "s"))
    related = rt.get_recommendations(campaignArn=sims["campaignArn"], itemId="i1", numResults=5)["itemList"]
    assert len(related) == 5 and "i1" not in [r["itemId"] for r in related]
    with pytest.raises(ClientError) as error:
        rt.get_recommendations(campaignArn=sims["campaignArn"], userId="u1")
    assert error.value.response["Error"]["Code"] == "InvalidInputException"
    assert "itemId: required" in error.value.response["Error"]["Message"]
    rank = pz.create_campaign(
        name="rank", solutionVersionArn=train(pz, world["group"], "aws-personalized-ranking", "r")
    )
    ranked = rt.get_personalized_ranking(campaignArn=rank["campaignArn"], userId="u0", inputList=["i35", "i2", "i20"])
    assert sorted(r["itemId"] for r in ranked["personalizedRanking"]) == ["i2", "i20", "i35"]


def test_emulator_filters_with_placeholders_and_interactions(world: dict[str, Any]) -> None:
    pz, rt = world["personalize"], world["personalize-runtime"]
    campaign = pz.create_campaign(
        name="up", solutionVersionArn=train(pz, world["group"], "aws-user-personalization", "u")
    )
    by_category = pz.create_filter(
        name="category",
        datasetGroupArn=world["group"],
        filterExpression="INCLUDE ItemID WHERE Items.CATEGORY IN ($CAT)",
    )["filterArn"]
    assert pz.describe_filter(filterArn=by_category)["filter"]["status"] == "ACTIVE"
    got = rt.get_recommendations(
        campaignArn=campaign["campaignArn"],
        userId="u0",
        numResults=20,
        filterArn=by_category,
        filterValues={"CAT": '"music"'},
    )["itemList"]
    assert got and {int(i["itemId"][1:]) // 10 for i in got} == {2}  # music = i20..i29
    with pytest.raises(ClientError) as error:
        rt.get_recommendations(campaignArn=campaign["campaignArn"], userId="u0", filterArn=by_category)
    assert error.value.response["Error"]["Code"] == "InvalidInputException"
    assert "$CAT" in error.value.response["Error"]["Message"]
    purchased = pz.create_filter(
        name="purchased",
        datasetGroupArn=world["group"],
        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")',
    )["filterArn"]
    bought = {"i" + str(x) for x in _purchases(world, "u0")}
    kept = rt.get_recommendations(campaignArn=campaign["campaignArn"], userId="u0", numResults=40, filterArn=purchased)
    assert bought and not bought & {i["itemId"] for i in kept["itemList"]}


def _purchases(world: dict[str, Any], user: str) -> set[int]:
    from test_emulator_support import interactions

    df = interactions()
    rows = df[(df["USER_ID"] == user) & (df["EVENT_TYPE"] == "purchase")]
    return {int(i[1:]) for i in rows["ITEM_ID"]}


def test_emulator_update_training_and_campaign_update(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    full = train(pz, world["group"], "aws-user-personalization", "up")
    solution = full.rsplit("/", 1)[0]
    update = pz.create_solution_version(solutionArn=solution, trainingMode="UPDATE")["solutionVersionArn"]
    failed = pz.describe_solution_version(solutionVersionArn=update)["solutionVersion"]
    assert failed["status"] == "CREATE FAILED"
    assert failed["failureReason"].startswith("There should be updates to at least one dataset")
    tracking = pz.create_event_tracker(name="t", datasetGroupArn=world["group"])["trackingId"]
    world["personalize-events"].put_events(
        trackingId=tracking, userId="u1", sessionId="s", eventList=[{"itemId": "i3", "eventType": "click", "sentAt": 1}]
    )
    update = pz.create_solution_version(solutionArn=solution, trainingMode="UPDATE")["solutionVersionArn"]
    assert pz.describe_solution_version(solutionVersionArn=update)["solutionVersion"]["status"] == "ACTIVE"
    assert pz.get_solution_metrics(solutionVersionArn=update)["metrics"] == {}
    campaign = pz.create_campaign(name="c", solutionVersionArn=full)["campaignArn"]
    pz.update_campaign(campaignArn=campaign, solutionVersionArn=update)
    described = pz.describe_campaign(campaignArn=campaign)["campaign"]
    assert described["latestCampaignUpdate"]["solutionVersionArn"] == update
    assert described["solutionVersionArn"] == update


def test_emulator_update_mode_refused_for_other_recipes(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    version = train(pz, world["group"], "aws-similar-items", "sims")
    with pytest.raises(ClientError) as error:
        pz.create_solution_version(solutionArn=version.rsplit("/", 1)[0], trainingMode="UPDATE")
    assert error.value.response["Error"]["Code"] == "InvalidInputException"
    assert "only supported for User-Personalization" in error.value.response["Error"]["Message"]


def test_emulator_training_fails_on_too_few_interactions_of_the_event_type(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    solution = pz.create_solution(
        name="buy",
        datasetGroupArn=world["group"],
        eventType="purchase",
        recipeArn="arn:aws:personalize:::recipe/aws-user-personalization",
    )["solutionArn"]
    version = pz.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    described = pz.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert described["status"] == "CREATE FAILED"
    assert "1000" in described["failureReason"]


def test_emulator_batch_inference_writes_out_file(world: dict[str, Any]) -> None:
    pz, s3 = world["personalize"], world["s3"]
    version = train(pz, world["group"], "aws-user-personalization", "up")
    s3.put_object(Bucket=BUCKET, Key="batch/in/users.json", Body=b'{"userId": "u0"}\n{"userId": "u1"}\n')
    job = pz.create_batch_inference_job(
        jobName="batch-1",
        solutionVersionArn=version,
        roleArn=ROLE,
        numResults=3,
        jobInput={"s3DataSource": {"path": f"s3://{BUCKET}/batch/in/users.json"}},
        jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/batch/out/"}},
    )["batchInferenceJobArn"]
    assert pz.describe_batch_inference_job(batchInferenceJobArn=job)["batchInferenceJob"]["status"] == "ACTIVE"
    body = s3.get_object(Bucket=BUCKET, Key="batch/out/users.json.out")["Body"].read().decode()
    lines = [json.loads(line) for line in body.splitlines()]
    assert [line["input"]["userId"] for line in lines] == ["u0", "u1"]
    assert all(len(line["output"]["recommendedItems"]) == 3 and line["error"] is None for line in lines)


def test_emulator_batch_inference_for_ranking_reports_bad_lines(world: dict[str, Any]) -> None:
    pz, s3 = world["personalize"], world["s3"]
    version = train(pz, world["group"], "aws-personalized-ranking", "rank")
    body = b'{"userId": "u0", "itemList": ["i1", "i30", "i2"]}\n{"itemList": ["i1"]}\n'
    s3.put_object(Bucket=BUCKET, Key="batch/rank/in.json", Body=body)
    job = pz.create_batch_inference_job(
        jobName="rank-1",
        solutionVersionArn=version,
        roleArn=ROLE,
        jobInput={"s3DataSource": {"path": f"s3://{BUCKET}/batch/rank/"}},
        jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/batch/rank-out"}},
    )["batchInferenceJobArn"]
    assert pz.describe_batch_inference_job(batchInferenceJobArn=job)["batchInferenceJob"]["status"] == "ACTIVE"
    out = s3.get_object(Bucket=BUCKET, Key="batch/rank-out/in.json.out")["Body"].read().decode()
    good, bad = (json.loads(line) for line in out.splitlines())
    assert sorted(good["output"]["recommendedItems"]) == ["i1", "i2", "i30"] and good["error"] is None
    assert bad["output"] is None
    assert bad["error"] == "userId: required in every input line of a PERSONALIZED_RANKING job."
