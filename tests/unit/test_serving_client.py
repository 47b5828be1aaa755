"""The Python client: request shapes over real HTTP (a local server with a recording handler), errors, SigV4."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from autopersonalize.client import Answer, Item, Recommendations, RecommendationsError
from autopersonalize.serve import LocalServer, make_server

OK = {
    "campaign": "demo/up",
    "recommendationId": "R",
    "items": [{"itemId": "i1", "score": 0.5, "metadata": {"CATEGORY": "shoes"}}],
}


class Recorder:
    """A stand-in handler: keeps each event, answers with the next queued (status, body, headers)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.answers: list[tuple[int, Any, dict[str, str]]] = []

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        self.events.append(event)
        status, body, headers = self.answers.pop(0) if self.answers else (200, OK, {})
        text = body if isinstance(body, str) else json.dumps(body)
        return {"statusCode": status, "headers": {"Content-Type": "application/json", **headers}, "body": text}


@pytest.fixture
def server() -> Iterator[tuple[LocalServer, Recorder]]:
    recorder = Recorder()
    local = make_server(0, handler=recorder)
    thread = threading.Thread(target=local.serve_forever, daemon=True)
    thread.start()
    yield local, recorder
    local.shutdown()
    local.server_close()


def test_client_reads_where_a_batch_served_answer_came_from(server: tuple[LocalServer, Recorder]) -> None:
    local, recorder = server
    body = {**OK, "recommendationId": None, "source": "batch", "solutionVersionArn": "arn:v"}
    recorder.answers.append((200, body, {}))
    answer = Recommendations(local.url).recommendations("u1")
    assert (answer.source, answer.solution_version_arn, answer.recommendation_id) == ("batch", "arn:v", None)


def test_client_recommendations_sends_a_query_and_reads_the_answer(server: tuple[LocalServer, Recorder]) -> None:
    local, recorder = server
    answer = Recommendations(local.url).recommendations(
        "u 1", num_results=5, filter="category", filter_values={"CATEGORY": ["shoes"]}, metadata_columns=["CATEGORY"]
    )
    assert answer == Answer("demo/up", "R", [Item("i1", 0.5, {"CATEGORY": "shoes"})])
    event = recorder.events[0]
    assert (event["requestContext"]["http"]["method"], event["rawPath"]) == ("GET", "/recommendations")
    assert event["queryStringParameters"] == {
        "userId": "u 1",
        "numResults": "5",
        "filter": "category",
        "filterValues": '{"CATEGORY":["shoes"]}',
        "metadataColumns": "CATEGORY",
    }
    assert "authorization" not in event["headers"]


def test_client_related_items_of_a_named_campaign(server: tuple[LocalServer, Recorder]) -> None:
    local, recorder = server
    Recommendations(local.url + "/").related_items("i9", campaign="demo/similar-items")
    assert recorder.events[0]["rawPath"] == "/campaigns/demo/similar-items/related-items"
    assert recorder.events[0]["queryStringParameters"] == {"itemId": "i9"}


def test_client_rankings_posts_json(server: tuple[LocalServer, Recorder]) -> None:
    local, recorder = server
    Recommendations(local.url).rankings("u1", ["i2", "i1"], context={"DEVICE": "ios"})
    event = recorder.events[0]
    assert (event["requestContext"]["http"]["method"], event["rawPath"]) == ("POST", "/rankings")
    assert json.loads(event["body"]) == {"userId": "u1", "items": ["i2", "i1"], "context": {"DEVICE": "ios"}}


def test_client_raises_the_apis_error_with_status_and_message(server: tuple[LocalServer, Recorder]) -> None:
    local, recorder = server
    recorder.answers.append(
        (
            429,
            {"error": "Throttled", "message": "slow down", "requestId": "Q1", "retryAfterSeconds": 1},
            {"Retry-After": "1"},
        )
    )
    with pytest.raises(RecommendationsError) as caught:
        Recommendations(local.url).recommendations("u1")
    error = caught.value
    assert (error.status, error.error, error.message, error.request_id, error.retry_after) == (
        429,
        "Throttled",
        "slow down",
        "Q1",
        1.0,
    )
    assert str(error) == "429 Throttled: slow down (requestId Q1)"


def test_client_error_of_a_non_json_answer_keeps_the_text(server: tuple[LocalServer, Recorder]) -> None:
    local, recorder = server
    recorder.answers.append((403, "Forbidden by a proxy", {}))
    with pytest.raises(RecommendationsError) as caught:
        Recommendations(local.url).recommendations("u1")
    assert (caught.value.status, caught.value.message) == (403, "Forbidden by a proxy")


def test_client_unreachable_is_status_0() -> None:
    with pytest.raises(RecommendationsError) as caught:
        Recommendations("http://127.0.0.1:9", timeout=1).recommendations("u1")
    assert (caught.value.status, caught.value.error) == (0, "ConnectionError")
    assert caught.value.message.startswith("could not reach http://127.0.0.1:9: ")


def test_client_signs_execute_api_urls_with_sigv4() -> None:
    session = boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1")
    client = Recommendations("https://abc123.execute-api.eu-west-1.amazonaws.com/prod", session=session)
    request = client.prepare("GET", "demo/up", "recommendations", {"userId": "u1"})
    assert (
        request.url
        == "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/campaigns/demo/up/recommendations?userId=u1"
    )
    authorization = request.headers["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/eu-west-1/execute-api/aws4_request" in authorization
    assert "X-Amz-Date" in request.headers


def test_client_does_not_sign_other_urls() -> None:
    session = boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="us-east-1")
    request = Recommendations("https://api.example.com", session=session).prepare("GET", None, "recommendations", {})
    assert "Authorization" not in request.headers


def test_client_signs_a_custom_domain_when_asked() -> None:
    session = boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name="eu-central-1")
    client = Recommendations("https://api.example.com", session=session, sign=True)
    authorization = client.prepare("POST", None, "rankings", {"userId": "u1", "items": ["i1"]}).headers["Authorization"]
    assert "/eu-central-1/execute-api/aws4_request" in authorization
