"""get_recommendations error answers: 400 names the field, 404, 429 + Retry-After, 502 + request id, never a trace."""

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
NEWER = "arn:aws:personalize:us-east-1:123456789012:campaign/ap-demo-user-personalization-v2"
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
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    for key in ("PARAMETER_TTL_SECONDS", "DEFAULT_RELATED_ITEMS_CAMPAIGN", "DEFAULT_RANKING_CAMPAIGN"):
        monkeypatch.delenv(key, raising=False)
    with mock_aws():
        clients.reset()
        parameters.reset()
        boto3.client("ssm").put_parameter(Name="/ap/demo/campaigns/user-personalization", Value=CAMPAIGN, Type="String")
        with Stubber(clients.client("personalize-runtime")) as stub:
            yield stub
            stub.assert_no_pending_responses()
    clients.reset()
    parameters.reset()


def call(method: str, target: str, body: bytes = b"") -> tuple[int, dict[str, Any], dict[str, Any]]:
    event = http_event(method, target, {}, body)
    response = get_recommendations.handler(event, LocalContext())
    answer = json.loads(response["body"])
    assert "Traceback" not in response["body"]
    assert answer.get("requestId") in (None, event["requestContext"]["requestId"])
    return response["statusCode"], response["headers"], answer


def test_missing_user_id_is_400_naming_the_field(runtime: Stubber) -> None:
    status, _, body = call("GET", "/recommendations?numResults=3")
    assert (status, body["error"], body["fields"], body["message"]) == (
        400,
        "BadRequest",
        ["userId"],
        "userId: required",
    )


def test_rankings_body_that_is_not_json_is_400(runtime: Stubber) -> None:
    status, _, body = call("POST", "/rankings", b"{userId: u1}")
    assert (status, body["fields"]) == (400, ["body"])
    assert body["message"] == "body: is not JSON (Expecting property name enclosed in double quotes at character 1)"


def test_rankings_body_that_is_a_list_is_400(runtime: Stubber) -> None:
    status, _, body = call("POST", "/rankings", b'["i1"]')
    assert (status, body["message"]) == (400, 'body: expected a JSON object such as {"userId": "u1", "items": ["i1"]}')


def test_bad_campaign_in_the_path_is_400(runtime: Stubber) -> None:
    status, _, body = call("GET", "/campaigns/demo/bad%20name/recommendations?userId=u1")
    assert (status, body["fields"]) == (400, ["path"])
    assert body["message"].startswith("path: expected <datasetGroup>/<campaign>: expected a campaign name")


def test_unknown_campaign_is_404(runtime: Stubber) -> None:
    status, _, body = call("GET", "/campaigns/demo/nope/recommendations?userId=u1")
    assert (status, body["error"]) == (404, "NotFound")
    assert body["message"] == (
        "campaign demo/nope is not deployed (no SSM parameter /ap/demo/campaigns/nope); "
        "check the name against params.campaigns (or batchInferenceJobs with serving, or recommenders), "
        "or run the workflow to deploy it"
    )


def test_unknown_filter_is_404(runtime: Stubber) -> None:
    status, _, body = call("GET", "/recommendations?userId=u1&filter=nope")
    assert status == 404
    assert body["message"] == (
        "filter 'nope' of dataset group 'demo' does not exist (no SSM parameter /ap/demo/filters/nope); "
        "check the name against params.filters"
    )


def test_unknown_route_is_404_listing_the_routes(runtime: Stubber) -> None:
    status, _, body = call("GET", "/rankings")
    assert status == 404
    assert body["message"].startswith("no route GET /rankings; the routes are GET /recommendations, GET /related-items")


def test_no_default_campaign_is_404_saying_what_to_set(runtime: Stubber, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEFAULT_CAMPAIGN")
    status, _, body = call("GET", "/related-items?itemId=i1")
    assert status == 404
    assert body["message"] == (
        "no default campaign for related-items: call /campaigns/<datasetGroup>/<campaign>/related-items, "
        "or set DEFAULT_RELATED_ITEMS_CAMPAIGN or DEFAULT_CAMPAIGN on the function"
    )


@pytest.mark.parametrize("code", ["ThrottlingException", "LimitExceededException", "TooManyRequestsException"])
def test_personalize_throttling_is_429_with_retry_after(runtime: Stubber, code: str) -> None:
    runtime.add_client_error("get_recommendations", code, "Rate exceeded", 400)
    status, headers, body = call("GET", "/recommendations?userId=u1")
    assert (status, headers["Retry-After"], body["error"], body["retryAfterSeconds"]) == (429, "1", "Throttled", 1)
    assert body["message"] == "Amazon Personalize is throttling requests; retry after 1 second(s)"


def test_other_personalize_errors_are_502_with_a_request_id_and_no_details(runtime: Stubber) -> None:
    runtime.add_client_error("get_recommendations", "AccessDeniedException", "User arn:aws:iam::1:role/x is not", 403)
    status, _, body = call("GET", "/recommendations?userId=u1")
    assert (status, body["error"]) == (502, "UpstreamError")
    assert body["requestId"]
    assert body["message"] == (
        "Amazon Personalize failed (AccessDeniedException); retry later, and if it persists give the requestId "
        "to the service's operators"
    )


def test_personalize_invalid_input_is_400_with_its_message(runtime: Stubber) -> None:
    runtime.add_client_error("get_recommendations", "InvalidInputException", "Filter values required for $CAT", 400)
    status, _, body = call("GET", "/recommendations?userId=u1")
    assert (status, body["fields"]) == (400, ["request"])
    assert body["message"] == "request: Amazon Personalize rejected it: Filter values required for $CAT"


def test_campaign_gone_from_personalize_is_404_and_ssm_is_read_again(runtime: Stubber) -> None:
    runtime.add_client_error("get_recommendations", "ResourceNotFoundException", "campaign not found", 404)
    status, _, body = call("GET", "/recommendations?userId=u1")
    assert status == 404
    assert body["message"].startswith("campaign demo/user-personalization or its filter is published in SSM but")
    boto3.client("ssm").put_parameter(Name="/ap/demo/campaigns/user-personalization", Value=NEWER, Overwrite=True)
    runtime.add_response("get_recommendations", {"itemList": []}, {"campaignArn": NEWER, "userId": "u1"})
    assert call("GET", "/recommendations?userId=u1")[0] == 200


def test_a_newly_deployed_campaign_is_served_after_the_ttl(runtime: Stubber, monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1000.0]
    monkeypatch.setattr(parameters.time, "monotonic", lambda: now[0])
    parameters.reset()
    runtime.add_response("get_recommendations", {"itemList": []}, {"campaignArn": CAMPAIGN, "userId": "u1"})
    runtime.add_response("get_recommendations", {"itemList": []}, {"campaignArn": CAMPAIGN, "userId": "u1"})
    runtime.add_response("get_recommendations", {"itemList": []}, {"campaignArn": NEWER, "userId": "u1"})
    assert call("GET", "/recommendations?userId=u1")[0] == 200
    boto3.client("ssm").put_parameter(Name="/ap/demo/campaigns/user-personalization", Value=NEWER, Overwrite=True)
    now[0] += 29
    assert call("GET", "/recommendations?userId=u1")[0] == 200  # still the cached ARN
    now[0] += 1
    assert call("GET", "/recommendations?userId=u1")[0] == 200  # the Stubber checks it is the new one


def test_missing_prefix_is_a_500_configuration_error(runtime: Stubber, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFIX")
    status, _, body = call("GET", "/recommendations?userId=u1")
    assert (status, body["error"]) == (500, "ConfigurationError")
    assert body["message"] == "environment variable PREFIX is not set (the stack prefix of the SSM names)"


def test_direct_invoke_errors_carry_status_and_message(runtime: Stubber) -> None:
    context = LocalContext()
    answer = get_recommendations.handler({"action": "recommend", "userId": "u1"}, context)
    assert answer == {
        "statusCode": 400,
        "error": "BadRequest",
        "message": "action: expected one of recommendations, related-items, rankings, found 'recommend'",
        "requestId": context.aws_request_id,
        "fields": ["action"],
    }


def test_direct_invoke_throttling_says_when_to_retry(runtime: Stubber) -> None:
    runtime.add_client_error("get_personalized_ranking", "ThrottlingException", "slow down", 400)
    answer = get_recommendations.handler({"action": "rankings", "userId": "u1", "items": ["i1"]}, LocalContext())
    assert (answer["statusCode"], answer["retryAfterSeconds"]) == (429, 1)


def test_direct_invoke_of_a_non_object_is_400(runtime: Stubber) -> None:
    answer = get_recommendations.handler(["recommendations"], LocalContext())
    assert (answer["statusCode"], answer["message"]) == (400, "event: expected a JSON object, found list")
