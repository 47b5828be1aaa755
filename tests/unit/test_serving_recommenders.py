"""get_recommendations serving a recommender by name: GetRecommendations with its recommenderArn, "source":
"recommender", the same routes as a campaign; rankings refused; a replaced recommender's pointer read again once."""

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

OLD = "arn:aws:personalize:us-east-1:123456789012:recommender/ap-vod-top-picks-r1"
NEW = "arn:aws:personalize:us-east-1:123456789012:recommender/ap-vod-top-picks-r2"
ITEMS = [{"itemId": "m1", "score": 0.5}]
ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "x",
    "AWS_SECRET_ACCESS_KEY": "x",
    "PREFIX": "ap",
    "POWERTOOLS_METRICS_DISABLED": "true",
    "PARAMETER_TTL_SECONDS": "300",
}


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        clients.reset()
        parameters.reset()
        boto3.client("ssm").put_parameter(Name="/ap/vod/recommenders/top-picks", Value=OLD, Type="String")
        with Stubber(clients.client("personalize-runtime")) as stub:
            yield stub
            stub.assert_no_pending_responses()
    clients.reset()
    parameters.reset()


def call(method: str, target: str, body: Any = None) -> tuple[int, dict[str, Any]]:
    raw = json.dumps(body).encode() if body is not None else b""
    response = get_recommendations.handler(http_event(method, target, {}, raw), LocalContext())
    return response["statusCode"], json.loads(response["body"])


def test_a_recommender_answers_by_name_with_its_arn(runtime: Stubber) -> None:
    runtime.add_response(
        "get_recommendations",
        {"itemList": ITEMS, "recommendationId": "RID"},
        {"recommenderArn": OLD, "userId": "u1", "numResults": 1},
    )
    status, body = call("GET", "/campaigns/vod/top-picks/recommendations?userId=u1&numResults=1")
    assert (status, body) == (
        200,
        {"campaign": "vod/top-picks", "recommendationId": "RID", "items": ITEMS, "source": "recommender"},
    )


def test_a_related_items_use_case_gets_the_item_and_the_user(runtime: Stubber) -> None:
    runtime.add_response(
        "get_recommendations",
        {"itemList": ITEMS, "recommendationId": "R2"},
        {"recommenderArn": OLD, "itemId": "m9", "userId": "u1"},
    )
    status, body = call("GET", "/campaigns/vod/top-picks/related-items?itemId=m9&userId=u1")
    assert status == 200 and body["source"] == "recommender"


def test_rankings_are_refused_for_a_recommender(runtime: Stubber) -> None:
    status, body = call("POST", "/campaigns/vod/top-picks/rankings", {"userId": "u1", "items": ["m1"]})
    assert status == 400
    assert "vod/top-picks is a recommender; recommenders answer /recommendations and /related-items only" in json.dumps(
        body
    )


def test_a_replaced_recommender_is_read_again_from_its_parameter_once(runtime: Stubber) -> None:
    runtime.add_response(
        "get_recommendations", {"itemList": [], "recommendationId": "R0"}, {"recommenderArn": OLD, "userId": "u1"}
    )
    assert call("GET", "/campaigns/vod/top-picks/recommendations?userId=u1")[0] == 200  # OLD is cached now
    boto3.client("ssm").put_parameter(Name="/ap/vod/recommenders/top-picks", Value=NEW, Type="String", Overwrite=True)
    runtime.add_client_error(
        "get_recommendations",
        "ResourceNotFoundException",
        "gone",
        expected_params={"recommenderArn": OLD, "userId": "u1"},
    )
    runtime.add_response(
        "get_recommendations", {"itemList": ITEMS, "recommendationId": "R1"}, {"recommenderArn": NEW, "userId": "u1"}
    )
    status, body = call("GET", "/campaigns/vod/top-picks/recommendations?userId=u1")
    assert status == 200 and body["items"] == ITEMS


def test_a_recommender_gone_without_a_replacement_is_a_404(runtime: Stubber) -> None:
    runtime.add_client_error(
        "get_recommendations",
        "ResourceNotFoundException",
        "gone",
        expected_params={"recommenderArn": OLD, "userId": "u1"},
    )
    status, body = call("GET", "/campaigns/vod/top-picks/recommendations?userId=u1")
    assert status == 404 and "Amazon Personalize does not have it" in body["message"]
