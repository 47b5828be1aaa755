"""get_recommendations over real HTTP, after the whole pipeline ran offline (`autopersonalize serve`'s path).

The demo data goes through the Glue exports and the training state machine (plus a personalized-ranking solution and
campaign added to the demo params); the workflow publishes the campaign and filter ARNs in SSM; then `serve` answers
real HTTP requests: status codes, JSON shape, a filter's effect, a PutEvents that changes the next answer,
throttling, and the Python client.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests

from autopersonalize import emulator, pipeline
from autopersonalize.client import Recommendations, RecommendationsError
from autopersonalize.commands import demo_sources
from autopersonalize.local import offline_aws
from autopersonalize.local.stack import REPO, OfflineStack
from autopersonalize.serve import LocalServer, function_environment, make_server, serve

pytestmark = pytest.mark.slow
SEED, GROUP = 7, "demo"
SERVING_FUNCTION = "GetRecommendationsFunction"


def demo_params() -> dict[str, Any]:
    """params/demo.json plus a personalized-ranking solution and campaign, so POST /rankings has one to call."""
    params = json.loads((REPO / "params" / "demo.json").read_text())
    params["solutions"].append({"name": "ranking", "recipe": "aws-personalized-ranking-v2"})
    params["campaigns"].append({"name": "ranking", "solution": "ranking", "minProvisionedTPS": 1})
    return params


def serving_environment(stack: OfflineStack) -> dict[str, str]:
    """The serving function's environment from template.yaml; before the template has the function, the stack's
    PREFIX (Globals) and the demo's campaigns."""
    if SERVING_FUNCTION in stack.resources:
        return function_environment(stack.name(SERVING_FUNCTION))
    prefix = function_environment(stack.name("LoadParamsFunction"))["PREFIX"]
    return {"PREFIX": prefix, "DEFAULT_CAMPAIGN": f"{GROUP}/user-personalization"}


class Stack:
    def __init__(self, server: LocalServer, prefix: str, category: dict[str, str], users: list[str]) -> None:
        self.server, self.prefix, self.category, self.users = server, prefix, category, users
        self.url = server.url

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(self.url + path, params=params, timeout=30)


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    sources = demo_sources(SEED, n_users=2_000)  # ~40,000 events: plenty to serve, a fifth of the setup time
    items = sources["items"].frame
    category = dict(zip(items["product_id"], items["category"], strict=True))
    users = sorted(set(sources["interactions"].frame["customer_id"]))
    with offline_aws("immediate"):
        result = pipeline.run(sources, demo_params(), dataset_group=GROUP)
        assert result.execution["status"] == "SUCCEEDED", result.execution
        environ = {
            **serving_environment(result.stack),
            "DEFAULT_RELATED_ITEMS_CAMPAIGN": f"{GROUP}/similar-items",
            "DEFAULT_RANKING_CAMPAIGN": f"{GROUP}/ranking",
        }
        server = make_server(0, environ=environ)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield Stack(server, environ["PREFIX"], category, users)
        finally:
            server.shutdown()
            server.server_close()


def test_recommendations_over_http(stack: Stack) -> None:
    response = stack.get("/recommendations", userId=stack.users[1], numResults=5)
    assert (response.status_code, response.headers["Content-Type"]) == (200, "application/json")
    body = response.json()
    assert set(body) == {"campaign", "recommendationId", "items", "source"}
    assert (body["campaign"], body["source"]) == ("demo/user-personalization", "campaign")
    assert len(body["items"]) == 5
    assert all(set(item) == {"itemId", "score"} and item["itemId"] in stack.category for item in body["items"])


def test_category_filter_keeps_only_that_category(stack: Stack) -> None:
    user = stack.users[2]
    unfiltered = stack.get("/recommendations", userId=user, numResults=50).json()["items"]
    assert len({stack.category[i["itemId"]] for i in unfiltered}) > 1
    wanted = sorted(set(stack.category.values()))[0]
    response = stack.get(
        "/recommendations",
        userId=user,
        numResults=8,
        filter="category",
        filterValues=json.dumps({"CATEGORY": [wanted]}),
    )
    assert response.status_code == 200
    found = [i["itemId"] for i in response.json()["items"]]
    assert found and {stack.category[i] for i in found} == {wanted}


def test_put_events_changes_the_next_answer(stack: Stack) -> None:
    user = stack.users[3]

    def top() -> list[str]:
        answer = stack.get("/recommendations", userId=user, numResults=5, filter="exclude-purchased")
        assert answer.status_code == 200
        return [i["itemId"] for i in answer.json()["items"]]

    before = top()
    assert top() == before  # the same request gives the same answer until an event arrives
    tracking_id = boto3.client("ssm").get_parameter(Name=f"/{stack.prefix}/{GROUP}/event-tracker")["Parameter"]["Value"]
    boto3.client("personalize-events").put_events(
        trackingId=tracking_id,
        userId=user,
        sessionId=f"s-{user}",
        eventList=[{"eventType": "purchase", "itemId": before[0], "sentAt": time.time()}],
    )
    after = top()
    assert before[0] not in after  # just purchased: the exclude-purchased filter now drops it
    assert len(after) == 5


def test_related_items_and_rankings_over_http(stack: Stack) -> None:
    item = sorted(stack.category)[5]
    related = stack.get("/related-items", itemId=item, numResults=4)
    assert (related.status_code, related.json()["campaign"], len(related.json()["items"])) == (
        200,
        "demo/similar-items",
        4,
    )
    assert item not in [i["itemId"] for i in related.json()["items"]]
    candidates = sorted(stack.category)[:3]
    ranked = requests.post(stack.url + "/rankings", json={"userId": stack.users[4], "items": candidates}, timeout=30)
    assert (ranked.status_code, ranked.json()["campaign"]) == (200, "demo/ranking")
    assert sorted(i["itemId"] for i in ranked.json()["items"]) == candidates


def test_error_statuses_over_http(stack: Stack) -> None:
    bad = stack.get("/recommendations", numResults="lots")
    assert (bad.status_code, bad.json()["fields"]) == (400, ["numResults", "userId"])
    assert stack.get("/campaigns/demo/unknown/recommendations", userId="u1").status_code == 404
    assert stack.get("/recommendations", userId="u1", filter="unknown").status_code == 404
    wrong_kind = requests.post(
        stack.url + "/campaigns/demo/user-personalization/rankings",
        json={"userId": "u1", "items": ["p00001"]},
        timeout=30,
    )
    assert wrong_kind.status_code == 400
    assert "PERSONALIZED_RANKING" in wrong_kind.json()["message"]


def test_throttling_is_429_with_retry_after(stack: Stack) -> None:
    emulator.faults().throttle("GetRecommendations", times=2)  # the client makes 2 attempts (standard retry mode)
    response = stack.get("/recommendations", userId=stack.users[1])
    assert (response.status_code, response.headers["Retry-After"], response.json()["error"]) == (429, "1", "Throttled")


def test_python_client_against_the_local_server(stack: Stack) -> None:
    client = Recommendations(stack.url)
    wanted = sorted(set(stack.category.values()))[-1]
    answer = client.recommendations(
        stack.users[5], num_results=3, filter="category", filter_values={"CATEGORY": wanted}
    )
    assert len(answer.items) == 3 and {stack.category[i] for i in answer.item_ids} == {wanted}
    related = client.related_items(sorted(stack.category)[7], num_results=2, campaign="demo/similar-items")
    assert (related.campaign, len(related.items)) == ("demo/similar-items", 2)
    with pytest.raises(RecommendationsError) as caught:
        client.recommendations(stack.users[5], campaign="demo/missing")
    assert (caught.value.status, caught.value.error) == (404, "NotFound")
    assert caught.value.message.startswith(
        f"campaign demo/missing is not deployed (no SSM parameter /{stack.prefix}/demo/campaigns/missing)"
    )


def test_serve_announces_what_is_published_and_answers(stack: Stack) -> None:
    """The CLI's call: serve() with the function's environment; it lists the published campaigns and filters."""
    lines: list[str] = []
    ready: queue.Queue[LocalServer] = queue.Queue()
    environ = {"PREFIX": stack.prefix, "DEFAULT_CAMPAIGN": f"{GROUP}/similar-items"}
    thread = threading.Thread(
        target=serve,
        args=(0,),
        daemon=True,
        kwargs={"environ": environ, "quiet": True, "announce": lines.append, "on_ready": ready.put},
    )
    thread.start()
    server = ready.get(timeout=30)
    try:
        item = sorted(stack.category)[9]
        response = requests.get(server.url + "/related-items", params={"itemId": item, "numResults": 3}, timeout=30)
        assert (response.status_code, response.json()["campaign"]) == (200, "demo/similar-items")
    finally:
        server.shutdown()
        thread.join(timeout=30)
    assert lines[0] == f"get_recommendations on {server.url} (default campaign demo/similar-items); Ctrl-C stops it"
    assert lines[1] == "  campaigns: demo/ranking, demo/similar-items, demo/user-personalization"
    assert lines[2] == "  filters: demo/category, demo/exclude-purchased"
