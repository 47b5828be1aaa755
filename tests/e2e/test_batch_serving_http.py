"""params/batch-serving.json offline end to end, as `autopersonalize serve --params params/batch-serving.json` runs it:
the demo data exported, user-personalization trained and gated, its batch inference job run over every user of the
interactions, the output loaded into the stack's DynamoDB table, and GET /recommendations answered from it over HTTP
("source": "batch"), while the similar-items campaign still answers /related-items ("source": "campaign")."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from autopersonalize import pipeline, report, run_params, userdata
from autopersonalize.commands import demo_sources
from autopersonalize.local import offline_aws
from autopersonalize.local.stack import REPO
from autopersonalize.serve import function_environment, make_server, published

pytestmark = pytest.mark.slow
PARAMS = REPO / "params" / "batch-serving.json"


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, Any]]:
    sources = demo_sources(7, n_users=300)
    users = sorted({str(u) for u in sources["interactions"].frame["customer_id"]})
    prepared = run_params.prepare(PARAMS, frozenset(userdata.DATASETS))  # the CLI's check of --params
    with offline_aws("immediate"):
        result = pipeline.run(sources, prepared.template, dataset_group=prepared.dataset_group)
        assert result.execution["status"] == "SUCCEEDED", result.execution
        document = report.collect(result)
        environ = function_environment(result.stack.name("GetRecommendationsFunction"))
        server = make_server(0, environ=environ)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield {
                "url": server.url,
                "users": users,
                "bucket": result.stack.bucket,
                "prefix": environ["PREFIX"],
                "table": environ["BATCH_SERVING_TABLE"],
                "report": document,
            }
        finally:
            server.shutdown()
            server.server_close()


def get(served: dict[str, Any], path: str, **params: Any) -> requests.Response:
    return requests.get(served["url"] + path, params=params, timeout=30)


def test_recommendations_come_from_dynamodb_as_the_batch_computed_them(served: dict[str, Any]) -> None:
    s3 = boto3.client("s3")
    out = s3.get_object(Bucket=served["bucket"], Key="batch/user-personalization/users.jsonl.out")["Body"].read()
    lines = [json.loads(line) for line in out.splitlines()]
    assert sorted(line["input"]["userId"] for line in lines) == served["users"]  # every user of the interactions
    user = served["users"][4]
    expected = next(line["output"] for line in lines if line["input"]["userId"] == user)
    response = get(served, "/recommendations", userId=user, numResults=5)  # the default campaign's name: batch
    assert response.status_code == 200
    body = response.json()
    assert (body["campaign"], body["source"]) == ("demo/user-personalization", "batch")
    assert body["solutionVersionArn"].startswith("arn:aws:personalize:")
    assert [i["itemId"] for i in body["items"]] == expected["recommendedItems"][:5]
    assert served["report"]["batchServing"] == [
        {
            "job": "user-personalization",
            "solutionVersionArn": body["solutionVersionArn"],
            "users": len(served["users"]),
            "failedLines": 0,
        }
    ]


def test_an_unknown_user_gets_the_batch_popularity_and_campaigns_still_answer(served: dict[str, Any]) -> None:
    fallback = get(served, "/recommendations", userId="not-a-user", numResults=3)
    assert fallback.status_code == 200
    assert fallback.json()["source"] == "batch" and len(fallback.json()["items"]) == 3
    item = fallback.json()["items"][0]["itemId"]
    related = get(served, "/campaigns/demo/similar-items/related-items", itemId=item, numResults=2)
    assert related.status_code == 200
    assert (related.json()["source"], len(related.json()["items"])) == ("campaign", 2)
    assert published(served["prefix"])["batch"] == ["demo/user-personalization"]


def test_a_read_time_filter_keeps_the_batch_items_of_the_asked_category(served: dict[str, Any]) -> None:
    all_items = get(served, "/recommendations", userId=served["users"][7], numResults=50).json()["items"]
    categories = {i["itemId"]: _category(served, i["itemId"]) for i in all_items}
    wanted = categories[all_items[-1]["itemId"]]  # a category the user's list has
    response = get(
        served,
        "/recommendations",
        userId=served["users"][7],
        numResults=50,
        filter="category",
        filterValues=json.dumps({"CATEGORY": [wanted]}),
    )
    assert response.status_code == 200, response.text
    assert [i["itemId"] for i in response.json()["items"]] == [
        i["itemId"] for i in all_items if categories[i["itemId"]] == wanted
    ]
    assert len(response.json()["items"]) < len(all_items)


def _category(served: dict[str, Any], item: str) -> str:
    """The item's CATEGORY as the Load Batch Output step stored it beside the batch (read back from DynamoDB)."""
    pointer = boto3.client("ssm").get_parameter(Name=f"/{served['prefix']}/demo/batch/user-personalization")
    pk = json.loads(pointer["Parameter"]["Value"])["partition"]
    key = {"pk": {"S": f"{pk}#items"}, "userId": {"S": item}}
    table = served["table"]
    return str(
        json.loads(boto3.client("dynamodb").get_item(TableName=table, Key=key)["Item"]["fields"]["S"])["CATEGORY"]
    )


def test_an_event_posted_since_the_batch_is_excluded_by_the_not_clicked_filter(served: dict[str, Any]) -> None:
    user = served["users"][11]
    listed = [i["itemId"] for i in get(served, "/recommendations", userId=user, numResults=50).json()["items"]]
    posted = requests.post(
        served["url"] + "/events", json={"userId": user, "itemId": listed[1], "eventType": "click"}, timeout=30
    )
    assert posted.status_code == 200, posted.text  # the serving function's role may keep it (offline IAM)
    assert posted.json()["kept"] is True
    response = get(served, "/recommendations", userId=user, numResults=50, filter="not-clicked")
    assert [i["itemId"] for i in response.json()["items"]] == [i for i in listed if i != listed[1]]
