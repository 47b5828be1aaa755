"""A large params file runs through the training machine offline, where Step Functions' 256 KB state limit is enforced
(autopersonalize/local/sfn_limits.py): the state carries the params' names and S3 reference, never the document."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from autopersonalize.local import offline_aws
from autopersonalize.local.sfn_limits import MAX_PAYLOAD_BYTES, payload_bytes
from autopersonalize.local.stack import PARAMS_BY_HAND, OfflineStack, deploy_stack
from tests.e2e import workflow_support as ws

pytestmark = pytest.mark.slow
REPO = Path(__file__).resolve().parents[2]
SOLUTIONS = 60
FILTERS = 10  # filters per dataset group (default quota); expressions up to 2,500 characters (botocore model)
AVRO_SCHEMA_MAX = 20_000  # CreateSchema's schema: at most 20,000 characters (botocore model, AvroSchema max)
TAGS_MAX = 200  # at most 200 tags per resource; keys up to 128 characters, values up to 256 (botocore model, Tags)


def documented(name: str) -> dict[str, Any]:
    """The repository's Avro schema with a long `doc` on every field, just under CreateSchema's 20,000 characters."""
    schema = json.loads((REPO / "schemas" / f"{name}.avsc").read_text())
    fields = schema["fields"]
    room = AVRO_SCHEMA_MAX - 200 - len(json.dumps(schema))
    for index, field in enumerate(fields):
        field["doc"] = f"{field['name']} ({index}): " + "documented at length. " * (room // len(fields) // 22)
    assert len(json.dumps(schema)) < AVRO_SCHEMA_MAX
    return dict(schema)


def long_filter(n: int) -> str:
    """A filter on the items' CATEGORY with a long list of excluded values, just under 2,500 characters."""
    values = ", ".join(f'"category-{n}-{v:04d}"' for v in range(2_400 // 20))
    return f"EXCLUDE ItemID WHERE Items.CATEGORY IN ({values})"


def large_params(bucket: str) -> dict[str, Any]:
    """Many solutions (each a Map iteration), large inline schemas, every tag Personalize allows."""
    document = ws.params(
        ws.upload_data(bucket),
        solutions=[{"name": f"popular-{n:02d}", "recipe": "aws-popularity-count"} for n in range(SOLUTIONS)],
        campaigns=[{"name": "popular", "solution": "popular-00", "minProvisionedTPS": 1}],
        metricsGate=[],
        tags=[
            {"tagKey": f"k{n:03d}".ljust(128, "k"), "tagValue": f"v{n:03d}".ljust(256, "v")} for n in range(TAGS_MAX)
        ],
        filters=[{"name": f"not-{n}", "filterExpression": long_filter(n)} for n in range(FILTERS)],
    )
    for dataset in document["datasets"]:
        dataset.pop("schemaFile")
        dataset["schema"] = documented(dataset["datasetType"].lower())
    return document


@pytest.fixture
def stack() -> Iterator[OfflineStack]:
    with offline_aws():
        yield deploy_stack(parameters=PARAMS_BY_HAND)


def history(execution_arn: str) -> list[dict[str, Any]]:
    pages = boto3.client("stepfunctions").get_paginator("get_execution_history").paginate(executionArn=execution_arn)
    return [event for page in pages for event in page["events"]]


def largest_state(events: list[dict[str, Any]]) -> tuple[int, str]:
    """(bytes, state name) of the largest state input or output."""
    return max(
        (payload_bytes(json.loads(details.get("input") or details.get("output") or "null")), details["name"])
        for event in events
        for key in ("stateEnteredEventDetails", "stateExitedEventDetails")
        if (details := event.get(key))
    )


def test_state_size_large_params_run_and_never_enter_the_state(stack: OfflineStack) -> None:
    document = large_params(stack.bucket)
    assert payload_bytes(document) > 140_000  # schemas, tags, filters and solutions: over half the state limit
    execution = stack.wait(stack.put_params("demo", document), timeout=900)
    assert execution["status"] == "SUCCEEDED", ws.failure(execution)
    assert len(execution["output"]["solutions"]) == SOLUTIONS
    events = history(execution["executionArn"])
    text = json.dumps(events, default=str)
    assert "documented at length" not in text  # no schema, tag or filter expression in any input, output or result
    assert document["tags"][0]["tagValue"] not in text
    assert "category-0-0001" not in text
    size, name = largest_state(events)
    assert size < MAX_PAYLOAD_BYTES // 2, f"{name}: {size} bytes"  # what grows is the results: ~2 KB per solution
