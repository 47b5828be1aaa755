"""Batch serving against moto + the emulator: a served job's output loaded into DynamoDB in chunks, switched to
atomically, the old version's items deleted, and get_recommendations answering from it ("source": "batch")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from tests.e2e import workflow_support as ws
from tests.functional.test_workflow_handlers import account, group, imported, loaded, trained

__all__ = ["account"]
TABLE = "ap-batch-serving"
USERS = ["u1", "u2", "u3", "u5", "u8", "u13"]


@pytest.fixture
def served(account: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The template's BatchServingTable, and a chunk small enough that one output takes several calls."""
    boto3.client("dynamodb").create_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "userId")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "userId", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv("BATCH_SERVING_TABLE", TABLE)
    monkeypatch.setenv("LOAD_CHUNK_BYTES", "300")
    boto3.client("s3").put_object(
        Bucket="data", Key="batch/users.jsonl", Body="".join(f'{{"userId": "{u}"}}\n' for u in USERS).encode()
    )
    yield


def job(fallback: str = "popularity") -> dict[str, Any]:
    return {
        "name": "nightly",
        "solution": "personal",
        "jobInput": "s3://data/batch/users.jsonl",
        "jobOutput": "s3://data/batch/nightly/",
        "numResults": 5,
        "serving": {"fallback": fallback},
    }


def batch_served(state: dict[str, Any], solution: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Run the job and the Load Batch Output loop as the ASL does; (the last result, Load Batch Output calls)."""
    step = {"run": state["run"], "job": "nightly", "solutions": [solution], "serving": {"filters": []}}
    result = ws.call("Start Batch Inference", step)
    while not result["ready"]:
        result = ws.call(
            "Check Batch Inference",
            {**step, "jobArn": result["batchInferenceJobArn"], "poll": result["poll"], "previous": result},
        )
    calls = 0
    while not result["loaded"]:
        result = ws.call("Load Batch Output", {"run": state["run"], "job": "nightly", "previous": result})
        calls += 1
    return result, calls


def ask(user: str, **extra: Any) -> dict[str, Any]:
    from serving import clients, get_recommendations, parameters

    parameters.reset()
    clients.reset()
    event = {"action": "recommendations", "campaign": "demo/nightly", "userId": user, **extra}
    return get_recommendations.direct(event, "req")


def partition_size(pk: str) -> int:
    found = boto3.client("dynamodb").query(
        TableName=TABLE, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": pk}}
    )
    return int(found["Count"])


def test_batch_serving_loads_in_chunks_and_answers_each_user_from_dynamodb(served: None) -> None:
    stale = b'{"input": {"userId": "ghost"}, "output": {"recommendedItems": ["x"], "scores": [1.0]}, "error": null}\n'
    boto3.client("s3").put_object(Bucket="data", Key="batch/nightly/old-users.jsonl.out", Body=stale)
    state = group(loaded(batchInferenceJobs=[job()], campaigns=[]))
    solution = trained(state, "personal", imported(state))
    result, calls = batch_served(state, solution)
    assert calls > 1 and result["load"]["loaded"] == len(USERS) and result["load"]["failed"] == 0  # not ghost
    out = boto3.client("s3").get_object(Bucket="data", Key="batch/nightly/users.jsonl.out")["Body"].read()
    lines = {json.loads(line)["input"]["userId"]: json.loads(line)["output"] for line in out.splitlines()}
    answer = ask("u3", numResults=3)
    assert answer["statusCode"] == 200 and answer["source"] == "batch"
    assert answer["solutionVersionArn"] == solution["solutionVersionArn"]
    assert [i["itemId"] for i in answer["items"]] == lines["u3"]["recommendedItems"][:3]
    assert [i["score"] for i in answer["items"]] == lines["u3"]["scores"][:3]


def test_batch_serving_unknown_user_gets_the_batch_popularity_or_the_error_the_params_chose(served: None) -> None:
    state = group(loaded(batchInferenceJobs=[job()], campaigns=[]))
    solution = trained(state, "personal", imported(state))
    batch_served(state, solution)
    out = boto3.client("s3").get_object(Bucket="data", Key="batch/nightly/users.jsonl.out")["Body"].read()
    counts: dict[str, int] = {}
    for line in out.splitlines():
        for item in json.loads(line)["output"]["recommendedItems"]:
            counts[item] = counts.get(item, 0) + 1
    answer = ask("nobody")
    assert (answer["statusCode"], answer["source"]) == (200, "batch")
    shown = [(counts[i["itemId"]], i["itemId"]) for i in answer["items"]]
    assert shown == sorted(shown, key=lambda pair: (-pair[0], pair[1]))[:5] and len(shown) == 5
    assert shown[0][0] == max(counts.values())

    state = group(loaded(name="exec-2", batchInferenceJobs=[job("error")], campaigns=[]))
    batch_served(state, trained(state, "personal", imported(state)))
    missing = ask("nobody")
    assert (missing["statusCode"], missing["error"]) == (404, "NotFound")
    assert missing["message"] == (
        "user 'nobody' is not in the batch demo/nightly serves (its fallback is 'error'); add the user to the batch"
        " job's input, or set serving.fallback to 'popularity'"
    )


def test_batch_serving_switches_to_a_new_version_and_deletes_the_old_ones_items(served: None) -> None:
    state = group(loaded(batchInferenceJobs=[job()], campaigns=[]))
    first = trained(state, "personal", imported(state))
    batch_served(state, first)
    old = f"nightly#{first['solutionVersionArn'].rsplit('/', 1)[-1]}"
    assert partition_size(old) == len(USERS) and partition_size(f"{old}#popular") == 1
    boto3.client("s3").put_object(  # new data: the next training makes a new version
        Bucket="data", Key="exports/r1/interactions/part-1.csv", Body=ws.interactions_csv(seed=5).encode()
    )
    second = trained(state, "personal", imported(state))
    assert second["solutionVersionArn"] != first["solutionVersionArn"]
    result, _ = batch_served(state, second)
    assert (result["load"]["phase"], result["load"]["stale"]) == ("clean", None)
    assert partition_size(old) == 0 and partition_size(f"{old}#popular") == 0
    assert ask("u1")["solutionVersionArn"] == second["solutionVersionArn"]


def test_batch_serving_refuses_what_a_precomputed_batch_cannot_apply(served: None) -> None:
    state = group(loaded(batchInferenceJobs=[job()], campaigns=[]))
    batch_served(state, trained(state, "personal", imported(state)))
    refused = ask("u1", filter="no-purchased")
    assert (refused["statusCode"], refused["fields"]) == (400, ["filter"])
    assert refused["message"] == (
        "filter: 'no-purchased' is not applied to demo/nightly, which is served from a batch; the read-time filters"
        " of its job (serving.filters) are: none"
    )
    context = ask("u1", context={"DEVICE": "phone"})
    assert context["message"] == (
        "context: not applied to demo/nightly, which is served from a batch computed ahead of time"
    )
    related = get_related()
    assert related["statusCode"] == 400
    assert related["message"] == (
        "action: demo/nightly is served from a batch of recommendations per user: only /recommendations answers"
    )


ITEM_FILTERS = [
    {"name": "no-books", "filterExpression": 'EXCLUDE ItemID WHERE Items.CATEGORY IN ("books")'},
    {"name": "category", "filterExpression": "INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY)"},
    {
        "name": "cheap-or-music",
        "filterExpression": 'INCLUDE ItemID WHERE Items.PRICE < 4 OR Items.CATEGORY = "music" AND Items.PRICE >= 9',
    },
    {"name": "not-category", "filterExpression": "EXCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY)"},
]


def test_batch_serving_applies_item_metadata_filters_when_a_list_is_read(
    served: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workflow import batch_serving

    monkeypatch.setenv("LOAD_CHUNK_BYTES", "3000")  # a line of 40 items is longer than the other tests' chunk
    monkeypatch.setattr(batch_serving, "ITEMS_PER_CALL", 50)  # the catalogue (120 items) takes three calls
    names = [f["name"] for f in ITEM_FILTERS]
    served_job = {**job(), "numResults": 40, "serving": {"filters": names}}
    state = group(loaded(batchInferenceJobs=[served_job], campaigns=[], filters=ITEM_FILTERS))
    solution = trained(state, "personal", imported(state))
    batch_served(state, solution)
    out = boto3.client("s3").get_object(Bucket="data", Key="batch/nightly/users.jsonl.out")["Body"].read()
    lists = {json.loads(line)["input"]["userId"]: json.loads(line)["output"] for line in out.splitlines()}
    catalogue = {row.split(",")[0]: row.split(",") for row in ws.items_csv().splitlines()[1:]}

    def expected(user: str, keep: Any) -> list[str]:
        return [i for i in lists[user]["recommendedItems"] if keep(catalogue[i][1], float(catalogue[i][2]))][:40]

    def shown(user: str, **extra: Any) -> list[str]:
        answer = ask(user, numResults=40, **extra)
        assert answer["statusCode"] == 200, answer
        return [i["itemId"] for i in answer["items"]]

    assert shown("u1", filter="no-books") == expected("u1", lambda c, _: c != "books")
    assert shown("u2", filter="category", filterValues={"CATEGORY": '"games","music"'}) == expected(
        "u2", lambda c, _: c in ("games", "music")
    )
    assert shown("u3", filter="cheap-or-music") == expected("u3", lambda c, p: p < 4 or (c == "music" and p >= 9))
    assert shown("u5", filter="not-category") == expected("u5", lambda c, _: True)  # EXCLUDE without its value
    assert 0 < len(shown("u1", filter="no-books")) < len(lists["u1"]["recommendedItems"])
    include = ask("u1", filter="category")
    assert (include["statusCode"], include["message"]) == (
        400,
        "filterValues: the filter's INCLUDE uses $CATEGORY: give it a value (filterValues)",
    )
    pk = f"nightly#{solution['solutionVersionArn'].rsplit('/', 1)[-1]}"
    assert partition_size(f"{pk}#items") == len(catalogue) and partition_size(f"{pk}#filters") == 1
    ws.call("Delete Parameters", {"datasetGroup": "demo", "progress": {}})
    assert partition_size(f"{pk}#items") == 0 and partition_size(f"{pk}#filters") == 0


def post_event(user: str, item: str, event_type: str, sent_at: float | None = None) -> dict[str, Any]:
    from serving import get_recommendations

    from autopersonalize.serve import LocalContext, http_event

    body = {"userId": user, "itemId": item, "eventType": event_type}
    if sent_at is not None:
        body["sentAt"] = sent_at
    event = http_event("POST", "/campaigns/demo/nightly/events", {}, json.dumps(body).encode())
    answer = get_recommendations.handler(event, LocalContext())
    assert answer["statusCode"] == 200, answer
    return dict(json.loads(answer["body"]))


def test_batch_serving_excludes_the_items_of_events_sent_since_the_batch(
    served: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOAD_CHUNK_BYTES", "3000")  # a line of 10 items is longer than the other tests' chunk
    clicked = {"name": "clicked", "filterExpression": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'}
    served_job = {**job(), "numResults": 10, "serving": {"filters": ["clicked"]}}
    state = group(loaded(batchInferenceJobs=[served_job], campaigns=[], filters=[clicked]))
    solution = trained(state, "personal", imported(state))
    batch_served(state, solution)
    listed = [i["itemId"] for i in ask("u2", numResults=10)["items"]]
    assert post_event("u2", listed[0], "click")["kept"] is True
    assert post_event("u2", listed[1], "purchase")["kept"] is True  # another type: not excluded
    assert post_event("u2", listed[2], "click", sent_at=1_000_000.0)["kept"] is True  # before the batch: the job's
    assert post_event("u3", listed[3], "click")["kept"] is True  # another user's click
    shown = [i["itemId"] for i in ask("u2", numResults=10, filter="clicked")["items"]]
    assert shown == [i for i in listed if i != listed[0]]
    assert [i["itemId"] for i in ask("u2", numResults=10)["items"]] == listed  # no filter asked: the batch as is
    ws.call("Delete Parameters", {"datasetGroup": "demo", "progress": {}})
    assert partition_size("demo/nightly#events") == 0


def get_related() -> dict[str, Any]:
    from serving import get_recommendations

    event = {"action": "related-items", "campaign": "demo/nightly", "itemId": "books-1"}
    return get_recommendations.direct(event, "req")


def test_batch_serving_teardown_deletes_the_items_then_the_pointer(served: None) -> None:
    state = group(loaded(batchInferenceJobs=[job()], campaigns=[]))
    solution = trained(state, "personal", imported(state))
    batch_served(state, solution)
    pk = f"nightly#{solution['solutionVersionArn'].rsplit('/', 1)[-1]}"
    assert partition_size(pk) == len(USERS)
    progress = ws.call("Delete Parameters", {"datasetGroup": "demo", "progress": {}})
    assert progress["done"] and progress["remaining"] == []
    assert partition_size(pk) == 0 and partition_size(f"{pk}#popular") == 0
    assert boto3.client("ssm").get_parameters_by_path(Path="/ap/demo", Recursive=True)["Parameters"] == []
    assert ask("u1")["statusCode"] == 404


def test_batch_serving_deletes_the_old_version_only_after_readers_caches_expire(
    served: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from workflow import batch_serving

    state = group(loaded(batchInferenceJobs=[job()], campaigns=[]))
    first = trained(state, "personal", imported(state))
    batch_served(state, first)
    old = f"nightly#{first['solutionVersionArn'].rsplit('/', 1)[-1]}"
    boto3.client("s3").put_object(
        Bucket="data", Key="exports/r1/interactions/part-1.csv", Body=ws.interactions_csv(seed=5).encode()
    )
    second = trained(state, "personal", imported(state))
    slept: list[tuple[float, int]] = []
    monkeypatch.setenv("WAIT_SCALE", "1")  # as on AWS
    monkeypatch.setattr(batch_serving.time, "sleep", lambda seconds: slept.append((seconds, partition_size(old))))
    batch_served(state, second)
    assert len(slept) == 1
    seconds, items_left = slept[0]
    assert 0 < seconds <= batch_serving.GRACE_SECONDS and items_left == len(USERS)  # waited before deleting any
    assert partition_size(old) == 0
