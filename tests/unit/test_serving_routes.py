"""get_recommendations routes: each HTTP route and the direct invoke, with personalize-runtime answered by a Stubber."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws
from serving import clients, get_recommendations, parameters

from autopersonalize.serve import LocalContext, http_event

CAMPAIGN = "arn:aws:personalize:us-east-1:123456789012:campaign/ap-demo-user-personalization"
SIMS = "arn:aws:personalize:us-east-1:123456789012:campaign/ap-demo-similar-items"
FILTER = "arn:aws:personalize:us-east-1:123456789012:filter/ap-demo-category"
ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "x",
    "AWS_SECRET_ACCESS_KEY": "x",
    "PREFIX": "ap",
    "DEFAULT_CAMPAIGN": "demo/user-personalization",
    "POWERTOOLS_METRICS_DISABLED": "true",
}


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    """SSM (moto) holds two campaigns and a filter; the runtime answers what each test queues."""
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("DEFAULT_RELATED_ITEMS_CAMPAIGN", raising=False)
    with mock_aws():
        clients.reset()
        parameters.reset()
        ssm = boto3.client("ssm")
        ssm.put_parameter(Name="/ap/demo/campaigns/user-personalization", Value=CAMPAIGN, Type="String")
        ssm.put_parameter(Name="/ap/demo/campaigns/similar-items", Value=SIMS, Type="String")
        ssm.put_parameter(Name="/ap/demo/filters/category", Value=FILTER, Type="String")
        with Stubber(clients.client("personalize-runtime")) as stub:
            yield stub
            stub.assert_no_pending_responses()
    clients.reset()
    parameters.reset()


def call(method: str, target: str, body: Any = None) -> tuple[int, dict[str, Any], dict[str, Any]]:
    raw = json.dumps(body).encode() if body is not None else b""
    response = get_recommendations.handler(
        http_event(method, target, {"content-type": "application/json"}, raw), LocalContext()
    )
    return response["statusCode"], response["headers"], json.loads(response["body"])


ITEMS = [{"itemId": "i1", "score": 0.5}, {"itemId": "i2", "score": 0.25}]


def test_recommendations_use_the_default_campaign(runtime: Stubber) -> None:
    runtime.add_response(
        "get_recommendations",
        {"itemList": ITEMS, "recommendationId": "RID"},
        {"campaignArn": CAMPAIGN, "userId": "u1", "numResults": 2},
    )
    status, headers, body = call("GET", "/recommendations?userId=u1&numResults=2")
    assert (status, headers["Content-Type"]) == (200, "application/json")
    assert body == {
        "campaign": "demo/user-personalization",
        "recommendationId": "RID",
        "items": ITEMS,
        "source": "campaign",
    }


def test_recommendations_of_a_named_campaign(runtime: Stubber) -> None:
    runtime.add_response(
        "get_recommendations", {"itemList": ITEMS[:1], "recommendationId": "R2"}, {"campaignArn": SIMS, "userId": "u1"}
    )
    status, _, body = call("GET", "/campaigns/demo/similar-items/recommendations?userId=u1")
    assert (status, body["campaign"], body["items"]) == (200, "demo/similar-items", ITEMS[:1])


def test_recommendations_resolve_the_filter_by_name_and_format_its_values(runtime: Stubber) -> None:
    runtime.add_response(
        "get_recommendations",
        {"itemList": ITEMS, "recommendationId": "R"},
        {
            "campaignArn": CAMPAIGN,
            "userId": "u1",
            "filterArn": FILTER,
            "filterValues": {"CATEGORY": '"shoes","socks"'},
            "context": {"DEVICE": "ios"},
        },
    )
    query = 'userId=u1&filter=category&filterValues={"CATEGORY":["shoes","socks"]}&context={"DEVICE":"ios"}'
    status, _, _ = call("GET", "/recommendations?" + query.replace('"', "%22"))
    assert status == 200


def test_recommendations_enriched_with_item_metadata(runtime: Stubber) -> None:
    enriched = [{"itemId": "i1", "score": 0.5, "metadata": {"CATEGORY": "shoes"}, "reason": ["popular"]}]
    runtime.add_response(
        "get_recommendations",
        {"itemList": enriched, "recommendationId": "R"},
        {"campaignArn": CAMPAIGN, "userId": "u1", "metadataColumns": {"ITEMS": ["CATEGORY"]}},
    )
    _, _, body = call("GET", "/recommendations?userId=u1&metadataColumns=CATEGORY")
    assert body["items"] == enriched


def test_related_items_of_a_named_campaign(runtime: Stubber) -> None:
    runtime.add_response(
        "get_recommendations",
        {"itemList": ITEMS, "recommendationId": "R"},
        {"campaignArn": SIMS, "itemId": "i9", "numResults": 5},
    )
    status, _, body = call("GET", "/campaigns/demo/similar-items/related-items?itemId=i9&numResults=5")
    assert (status, body["items"]) == (200, ITEMS)


def test_related_items_default_campaign_has_its_own_variable(runtime: Stubber, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEFAULT_RELATED_ITEMS_CAMPAIGN", "demo/similar-items")
    runtime.add_response(
        "get_recommendations", {"itemList": [], "recommendationId": "R"}, {"campaignArn": SIMS, "itemId": "i9"}
    )
    status, _, body = call("GET", "/related-items?itemId=i9")
    assert (status, body["campaign"], body["items"]) == (200, "demo/similar-items", [])


def test_rankings_post_a_json_body(runtime: Stubber) -> None:
    ranked = [{"itemId": "i2", "score": 0.7}, {"itemId": "i1", "score": 0.3}]
    runtime.add_response(
        "get_personalized_ranking",
        {"personalizedRanking": ranked, "recommendationId": "R"},
        {"campaignArn": CAMPAIGN, "userId": "u1", "inputList": ["i1", "i2"]},
    )
    status, _, body = call("POST", "/rankings", {"userId": "u1", "items": ["i1", "i2"]})
    assert (status, body["items"]) == (200, ranked)


def test_rankings_under_a_named_campaign(runtime: Stubber) -> None:
    runtime.add_response(
        "get_personalized_ranking",
        {"personalizedRanking": [], "recommendationId": "R"},
        {
            "campaignArn": SIMS,
            "userId": "u1",
            "inputList": ["i1"],
            "filterArn": FILTER,
            "filterValues": {"CATEGORY": '"shoes"'},
        },
    )
    body = {"userId": "u1", "items": ["i1"], "filter": "category", "filterValues": {"CATEGORY": "shoes"}}
    assert call("POST", "/campaigns/demo/similar-items/rankings", body)[0] == 200


def test_direct_invoke_answers_with_status_and_body(runtime: Stubber) -> None:
    runtime.add_response(
        "get_recommendations",
        {"itemList": ITEMS, "recommendationId": "R"},
        {"campaignArn": SIMS, "userId": "u1", "numResults": 2},
    )
    event = {"action": "recommendations", "campaign": "demo/similar-items", "userId": "u1", "numResults": 2}
    answer = get_recommendations.handler(event, LocalContext())
    expected = {"campaign": "demo/similar-items", "recommendationId": "R", "items": ITEMS, "source": "campaign"}
    assert answer == {"statusCode": 200, **expected}


def test_direct_invoke_rankings_with_the_default_campaign(runtime: Stubber) -> None:
    runtime.add_response(
        "get_personalized_ranking",
        {"personalizedRanking": ITEMS, "recommendationId": "R"},
        {"campaignArn": CAMPAIGN, "userId": "u1", "inputList": ["i2", "i1"]},
    )
    answer = get_recommendations.handler({"action": "rankings", "userId": "u1", "items": ["i2", "i1"]}, LocalContext())
    assert (answer["statusCode"], answer["campaign"]) == (200, "demo/user-personalization")


def test_metrics_record_latency_and_outcome_per_route(
    runtime: Stubber, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    runtime.add_response(
        "get_recommendations", {"itemList": [], "recommendationId": "R"}, {"campaignArn": CAMPAIGN, "userId": "u1"}
    )
    call("GET", "/recommendations?userId=u1")
    call("GET", "/related-items")
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    requests = [m for m in emitted if "Requests" in m]
    assert [(m["route"], m["outcome"]) for m in requests] == [
        ("recommendations", "ok"),
        ("related-items", "bad_request"),
    ]
    assert all(m["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "autopersonalize" for m in requests)
    assert all(isinstance(m["Latency"][0], float) and m["Latency"][0] >= 0 for m in requests)
