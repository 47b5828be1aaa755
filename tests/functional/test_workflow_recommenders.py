"""The recommender steps against moto + the Personalize emulator: created, gated and published; reused when nothing
changed; updated in place for serving settings; a new model trained beside the served one, whose rejection deletes
it and leaves the served recommender and its SSM parameter alone; teardown deletes them."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

import boto3

from tests.e2e import workflow_support as ws
from tests.functional.test_workflow_handlers import account, group, imported

__all__ = ["account"]
VOD = json.loads((ws.REPO / "params" / "vod.json").read_text())
POINTER = "/ap/vod/recommenders/{}"


def upload(bucket: str = "data") -> dict[str, str]:
    """Watch events of 120 users who each prefer one genre (3000 events), and the items with their genres."""
    rng = random.Random(5)
    genres = ("Comedy", "Drama", "Horror", "Action")
    lines = ["USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE"]
    for u in range(120):
        for n in range(25):
            genre = genres[u % 4] if rng.random() < 0.85 else rng.choice(genres)
            lines.append(f"u{u},{genre}-{rng.randrange(30)},{1_700_000_000 + u * 1000 + n * 60},Watch")
    items = ["ITEM_ID,GENRES,CREATION_TIMESTAMP"] + [f"{g}-{i},{g},1690000000" for g in genres for i in range(30)]
    s3 = boto3.client("s3")
    s3.put_object(Bucket=bucket, Key="exports/r1/interactions/part-0.csv", Body="\n".join(lines).encode() + b"\n")
    s3.put_object(Bucket=bucket, Key="exports/r1/items/part-0.csv", Body="\n".join(items).encode() + b"\n")
    return {"Interactions": f"s3://{bucket}/exports/r1/interactions/", "Items": f"s3://{bucket}/exports/r1/items/"}


def vod_params(recommenders: list[dict[str, Any]], gates: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    document = copy.deepcopy(VOD)
    locations = upload()
    for dataset in document["datasets"]:
        dataset["dataLocation"] = locations[dataset["datasetType"]]
    document["recommenders"] = recommenders
    document["metricsGate"] = gates or []
    return document


def run(document: dict[str, Any], name: str) -> dict[str, Any]:
    """One run's recommender steps, as the Recommenders Map runs them, then Publish: (state, results, published)."""
    state = group(ws.load(document, key="params/vod.json", name=name))
    imported(state)
    results = []
    for recommender in state["names"]["recommenders"]:
        step = {"run": state["run"], "datasetGroupArn": state["datasetGroup"]["arn"], "recommender": recommender}
        ensured = ws.call("Ensure Recommender", step)
        while not ensured["ready"]:
            ensured = ws.call("Check Recommender", {**step, "poll": ensured["poll"], "previous": ensured})
        results.append(
            ws.call("Evaluate Recommender", {"run": state["run"], "recommender": recommender, "result": ensured})
        )
    published = ws.call("Publish", {"run": state["run"], "campaigns": [], "serving": {}, "recommenders": results})
    return {"state": state, "results": {r["recommender"]: r for r in results}, "published": published}


def pointer(name: str) -> str:
    return str(boto3.client("ssm").get_parameter(Name=POINTER.format(name))["Parameter"]["Value"])


def status(arn: str) -> str | None:
    try:
        return str(boto3.client("personalize").describe_recommender(recommenderArn=arn)["recommender"]["status"])
    except boto3.client("personalize").exceptions.ResourceNotFoundException:
        return None


TOP_PICKS = {"name": "top-picks", "recipe": "aws-vod-top-picks"}


def test_a_recommender_is_created_gated_and_published_then_reused_unchanged(account: dict[str, str]) -> None:
    gate = [{"recommender": "top-picks", "minimums": {"normalized_discounted_cumulative_gain_at_10": 0.01}}]
    first = run(vod_params([TOP_PICKS], gate), "exec-1")
    created = first["results"]["top-picks"]
    assert created["action"] == "created" and created["gate"]["passed"] is True
    assert created["gate"]["checks"][0]["metric"] == "normalized_discounted_cumulative_gain_at_10"
    assert created["metrics"]["normalized_discounted_cumulative_gain_at_10"] > 0.01
    assert pointer("top-picks") == created["recommenderArn"]
    assert status(created["recommenderArn"]) == "ACTIVE"
    assert "/ap/vod/recommenders/top-picks" in first["published"]["parameters"]

    second = run(vod_params([TOP_PICKS], gate), "exec-2")
    reused = second["results"]["top-picks"]
    assert reused["action"] == "unchanged" and reused["recommenderArn"] == created["recommenderArn"]
    assert reused["gate"]["passed"] is True and "no new model" in reused["gate"]["notes"][0]
    assert "retiredRecommenders" not in second["published"]
    names = [r["name"] for r in boto3.client("personalize").list_recommenders()["recommenders"]]
    assert len(names) == 1


def test_serving_settings_are_updated_in_place_without_a_new_model(account: dict[str, str]) -> None:
    first = run(vod_params([TOP_PICKS]), "exec-1")["results"]["top-picks"]
    faster = {**TOP_PICKS, "recommenderConfig": {"minRecommendationRequestsPerSecond": 3}}
    second = run(vod_params([faster]), "exec-2")["results"]["top-picks"]
    assert second["action"] == "updated" and second["recommenderArn"] == first["recommenderArn"]
    found = boto3.client("personalize").describe_recommender(recommenderArn=first["recommenderArn"])["recommender"]
    assert found["recommenderConfig"]["minRecommendationRequestsPerSecond"] == 3
    assert pointer("top-picks") == first["recommenderArn"]


def test_a_rejected_new_model_is_deleted_and_the_served_recommender_stays(account: dict[str, str]) -> None:
    served = run(vod_params([TOP_PICKS]), "exec-1")["results"]["top-picks"]["recommenderArn"]
    retrained = {
        **TOP_PICKS,
        "recommenderConfig": {"trainingDataConfig": {"excludedDatasetColumns": {"Items": ["GENRES"]}}},
    }
    strict = [{"recommender": "top-picks", "minimums": {"normalized_discounted_cumulative_gain_at_10": 0.99}}]

    rejected = run(vod_params([retrained], strict), "exec-2")
    result = rejected["results"]["top-picks"]
    assert result["action"] == "rejected" and result["servedArn"] == served
    assert result["recommenderArn"] != served
    assert result["gate"]["passed"] is False
    assert result["gate"]["reasons"][0].startswith("normalized_discounted_cumulative_gain_at_10 ")
    assert result["gate"]["reasons"][0].endswith("< minimum 0.990")
    for _ in range(5):  # DELETE PENDING > DELETE IN_PROGRESS > gone
        if status(result["recommenderArn"]) is None:
            break
    assert status(result["recommenderArn"]) is None
    assert pointer("top-picks") == served and status(served) == "ACTIVE"
    assert "/ap/vod/recommenders/top-picks" not in rejected["published"]["parameters"]

    passed = run(vod_params([retrained]), "exec-3")
    replacement = passed["results"]["top-picks"]
    assert replacement["action"] == "candidate" and replacement["gate"]["passed"] is True
    assert pointer("top-picks") == replacement["recommenderArn"] != served
    assert passed["published"]["retiredRecommenders"] == [served]


def test_teardown_deletes_the_recommenders_with_the_campaigns(account: dict[str, str]) -> None:
    run(vod_params([TOP_PICKS, {"name": "popular", "recipe": "aws-vod-most-popular"}]), "exec-1")
    ws.tear_down("Delete Campaigns", "vod")
    assert boto3.client("personalize").list_recommenders()["recommenders"] == []


def test_a_stopped_recommender_is_started_again_not_replaced(account: dict[str, str]) -> None:
    served = run(vod_params([TOP_PICKS]), "exec-1")["results"]["top-picks"]["recommenderArn"]
    personalize = boto3.client("personalize")
    personalize.stop_recommender(recommenderArn=served)
    for _ in range(5):  # STOP PENDING > STOP IN_PROGRESS > INACTIVE
        if status(served) == "INACTIVE":
            break
    assert status(served) == "INACTIVE"

    again = run(vod_params([TOP_PICKS]), "exec-2")["results"]["top-picks"]
    assert again["action"] == "started" and again["recommenderArn"] == served
    assert status(served) == "ACTIVE" and pointer("top-picks") == served


def test_a_served_recommender_deleted_by_hand_is_made_again(account: dict[str, str]) -> None:
    served = run(vod_params([TOP_PICKS]), "exec-1")["results"]["top-picks"]["recommenderArn"]
    boto3.client("personalize").delete_recommender(recommenderArn=served)

    again = run(vod_params([TOP_PICKS]), "exec-2")["results"]["top-picks"]
    assert again["action"] == "created" and again["recommenderArn"] != served
    assert pointer("top-picks") == again["recommenderArn"] and status(again["recommenderArn"]) == "ACTIVE"
