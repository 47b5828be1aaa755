"""Batch segment jobs with plain boto3 inside `offline_aws()`: USER_SEGMENTATION training, the output file, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from test_emulator_support import BUCKET, ROLE, dataset_group, engine_ready, error_of, train  # noqa: F401

from autopersonalize import emulator
from autopersonalize.local import offline_aws

GROUP_0 = {f"u{u}" for u in range(0, 60, 4)}  # test_emulator_support.interactions: u % 4 favours items i0-i9, books


@pytest.fixture
def world(engine_ready: Any) -> Iterator[dict[str, Any]]:  # noqa: F811
    with offline_aws("immediate"):
        pz, s3 = boto3.client("personalize"), boto3.client("s3")
        yield {"personalize": pz, "s3": s3, **dataset_group(pz, s3)}


def segment_job(pz: Any, version: str, name: str, key: str, **extra: Any) -> str:
    return str(
        pz.create_batch_segment_job(
            jobName=name,
            solutionVersionArn=version,
            roleArn=ROLE,
            jobInput={"s3DataSource": {"path": f"s3://{BUCKET}/{key}"}},
            jobOutput={"s3DataDestination": {"path": f"s3://{BUCKET}/batch/segments/{name}/"}},
            **extra,
        )["batchSegmentJobArn"]
    )


def output_lines(s3: Any, key: str) -> list[dict[str, Any]]:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines()]


def test_item_affinity_job_writes_a_segment_per_item_in_personalize_s_format(world: dict[str, Any]) -> None:
    pz, s3 = world["personalize"], world["s3"]
    version = train(pz, world["group"], "aws-item-affinity", "affinity")
    assert set(pz.get_solution_metrics(solutionVersionArn=version)["metrics"]) == {
        "hits_at_1_percent",
        "recall_at_1_percent",
    }
    s3.put_object(Bucket=BUCKET, Key="batch/in/items.json", Body=b'{"itemId": "i3"}\n\n{"itemId": "nope"}\n')
    job = segment_job(pz, version, "items-1", "batch/in/items.json", numResults=10)
    described = pz.describe_batch_segment_job(batchSegmentJobArn=job)["batchSegmentJob"]
    assert described["status"] == "ACTIVE" and described["numResults"] == 10 and described["jobName"] == "items-1"
    good, unknown = output_lines(s3, "batch/segments/items-1/items.json.out")
    assert good["input"] == {"itemId": "i3"} and good["error"] is None
    assert len(good["output"]["usersList"]) == 10  # mostly i3's taste group (a quarter of the users: 2.5 by chance)
    assert len(set(good["output"]["usersList"]) & GROUP_0) >= 8
    assert unknown == {
        "input": {"itemId": "nope"},
        "output": None,
        "error": "itemId 'nope' is not in the training data of this solution version; a segment can only be made "
        "for an item present when the version was trained.",
    }


def test_item_attribute_affinity_job_answers_queries_and_reports_bad_ones(world: dict[str, Any]) -> None:
    pz, s3 = world["personalize"], world["s3"]
    version = train(pz, world["group"], "aws-item-attribute-affinity", "attributes")
    lines = [
        {"itemAttributes": 'ITEMS.CATEGORY = "books"'},
        {"itemAttributes": 'ITEMS.CATEGORY = "books" AND ITEMS.PRICE = "7"'},
        {"itemAttributes": 'ITEMS.COLOUR = "red"'},
        {"itemId": "i1"},
    ]
    s3.put_object(Bucket=BUCKET, Key="batch/attr/q.json", Body="\n".join(map(json.dumps, lines)).encode())
    job = segment_job(pz, version, "attr-1", "batch/attr/")  # a prefix: every file under it
    assert pz.describe_batch_segment_job(batchSegmentJobArn=job)["batchSegmentJob"]["numResults"] == 25
    books, both, colour, wrong = output_lines(s3, "batch/segments/attr-1/q.json.out")
    assert len(books["output"]["usersList"]) == 25 and len(set(books["output"]["usersList"][:10]) & GROUP_0) >= 8
    assert both["error"] is None and len(both["output"]["usersList"]) == 25
    assert colour["output"] is None and colour["error"] == (
        "itemAttributes: ITEMS.COLOUR is not a field of the Items dataset; its fields: CATEGORY, PRICE."
    )
    assert wrong["error"] == (
        "itemAttributes: required in every input line of a aws-item-attribute-affinity job, as a string, e.g. "
        '{"itemAttributes": "ITEMS.GENRES = \\"Comedy\\""}.'
    )


def test_segment_job_lifecycle_and_listing_when_paced(world: dict[str, Any]) -> None:
    pz, s3 = world["personalize"], world["s3"]
    version = train(pz, world["group"], "aws-item-affinity", "affinity")
    s3.put_object(Bucket=BUCKET, Key="batch/in/one.json", Body=b'{"itemId": "i1"}\n')
    emulator.set_progression("paced")
    try:
        job = segment_job(pz, version, "paced-1", "batch/in/one.json")
        seen = [pz.describe_batch_segment_job(batchSegmentJobArn=job)["batchSegmentJob"]["status"] for _ in range(6)]
    finally:
        emulator.set_progression("immediate")
    assert seen[:2] == ["CREATE PENDING", "CREATE IN_PROGRESS"] and seen[-1] == "ACTIVE"
    listed = pz.list_batch_segment_jobs(solutionVersionArn=version)["batchSegmentJobs"]
    assert [(j["jobName"], j["status"], j["batchSegmentJobArn"]) for j in listed] == [("paced-1", "ACTIVE", job)]
    assert pz.list_batch_segment_jobs(solutionVersionArn=version + "x")["batchSegmentJobs"] == []


def test_segment_job_refuses_a_version_of_another_recipe_type_and_a_second_job_of_the_same_name(
    world: dict[str, Any],
) -> None:
    pz, s3 = world["personalize"], world["s3"]
    popular = train(pz, world["group"], "aws-popularity-count", "popular")
    s3.put_object(Bucket=BUCKET, Key="batch/in/one.json", Body=b'{"itemId": "i1"}\n')
    with pytest.raises(ClientError) as refused:
        segment_job(pz, popular, "wrong", "batch/in/one.json")
    assert error_of(refused) == (
        "InvalidInputException",
        f"solutionVersionArn: {popular} was trained with aws-popularity-count (USER_PERSONALIZATION); batch segment "
        "jobs need a USER_SEGMENTATION recipe (aws-item-affinity, aws-item-attribute-affinity). Use a batch "
        "inference job for item recommendations.",
    )
    version = train(pz, world["group"], "aws-item-affinity", "affinity")
    segment_job(pz, version, "once", "batch/in/one.json")
    with pytest.raises(ClientError) as again:
        segment_job(pz, version, "once", "batch/in/one.json")
    assert error_of(again)[0] == "ResourceAlreadyExistsException"
    with pytest.raises(ClientError) as missing:
        pz.describe_batch_segment_job(batchSegmentJobArn=version.rsplit(":", 1)[0] + ":batch-segment-job/none")
    assert error_of(missing)[0] == "ResourceNotFoundException"


def test_segment_job_fails_with_the_reason_when_the_input_is_over_the_recipe_s_limit(world: dict[str, Any]) -> None:
    pz, s3 = world["personalize"], world["s3"]
    version = train(pz, world["group"], "aws-item-attribute-affinity", "attributes")
    body = "\n".join(json.dumps({"itemAttributes": f'ITEMS.PRICE = "{5 + i}"'}) for i in range(11))
    s3.put_object(Bucket=BUCKET, Key="batch/many/q.json", Body=body.encode())
    job = segment_job(pz, version, "many", "batch/many/q.json")
    described = pz.describe_batch_segment_job(batchSegmentJobArn=job)["batchSegmentJob"]
    assert described["status"] == "CREATE FAILED"
    assert described["failureReason"] == (
        f"s3://{BUCKET}/batch/many/q.json: 11 lines; aws-item-attribute-affinity takes at most 10 queries per "
        "input file. Split it."
    )
