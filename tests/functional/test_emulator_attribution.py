"""Metric attributions in the emulator, with plain boto3: the lifecycle, the guide's rules, update and delete."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from test_emulator_support import ROLE, dataset_group, engine_ready, error_of  # noqa: F401

from autopersonalize import emulator
from autopersonalize.local import offline_aws

CLICKS = {"eventType": "click", "expression": "SAMPLECOUNT()", "metricName": "CLICKS"}


def output(role: str = ROLE) -> dict[str, str]:
    return {"roleArn": role}


@pytest.fixture
def world(engine_ready: Any) -> Iterator[dict[str, Any]]:  # noqa: F811
    with offline_aws("immediate"):
        pz, s3 = boto3.client("personalize"), boto3.client("s3")
        yield {"personalize": pz, **dataset_group(pz, s3)}  # its role may PutMetricData (workflow_support)


def create(world: dict[str, Any], **overrides: Any) -> str:
    request = {
        "name": "ma",
        "datasetGroupArn": world["group"],
        "metrics": [CLICKS],
        "metricsOutputConfig": output(),
        **overrides,
    }
    return str(world["personalize"].create_metric_attribution(**request)["metricAttributionArn"])


def test_emulator_metric_attribution_is_created_described_listed(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    arn = create(world)
    described = pz.describe_metric_attribution(metricAttributionArn=arn)["metricAttribution"]
    assert arn.endswith(":metric-attribution/ma")
    assert (described["name"], described["status"], described["datasetGroupArn"]) == ("ma", "ACTIVE", world["group"])
    assert described["metricsOutputConfig"] == {"roleArn": ROLE}
    listed = pz.list_metric_attributions(datasetGroupArn=world["group"])["metricAttributions"]
    assert [(m["name"], m["metricAttributionArn"], m["status"]) for m in listed] == [("ma", arn, "ACTIVE")]
    assert pz.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"] == [CLICKS]


def test_emulator_metric_attribution_walks_the_create_chain_when_paced(world: dict[str, Any]) -> None:
    emulator.set_progression("paced")
    arn = create(world)
    pz = world["personalize"]
    seen = [pz.describe_metric_attribution(metricAttributionArn=arn)["metricAttribution"]["status"] for _ in range(4)]
    assert seen == ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE", "ACTIVE"]


def test_emulator_metric_attribution_one_per_dataset_group(world: dict[str, Any]) -> None:
    first = create(world)
    with pytest.raises(ClientError) as error:
        create(world, name="second")
    assert error_of(error) == (
        "ResourceAlreadyExistsException",
        f"Dataset group {world['group']} already has a metric attribution ({first}); only one is allowed per "
        "dataset group.",
    )


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            "COUNT()",
            "metrics: expression 'COUNT()' of metric 'M' is not one of SAMPLECOUNT() and "
            "SUM(DatasetType.COLUMN_NAME) with DatasetType Interactions or Items.",
        ),
        (
            "SUM(Users.AGE)",
            "metrics: expression 'SUM(Users.AGE)' of metric 'M' is not one of SAMPLECOUNT() and "
            "SUM(DatasetType.COLUMN_NAME) with DatasetType Interactions or Items.",
        ),
        (
            "SUM(Items.CATEGORY)",
            "metrics: SUM(Items.CATEGORY) needs a numeric column of the Items dataset; CATEGORY: string.",
        ),
        (
            "SUM(Interactions.NOPE)",
            "metrics: SUM(Interactions.NOPE) needs a numeric column of the Interactions dataset; NOPE: no such column.",
        ),
    ],
)
def test_emulator_metric_attribution_refuses_bad_expressions(
    world: dict[str, Any], expression: str, message: str
) -> None:
    with pytest.raises(ClientError) as error:
        create(world, metrics=[{"eventType": "click", "expression": expression, "metricName": "M"}])
    assert error_of(error) == ("InvalidInputException", message)


def test_emulator_metric_attribution_accepts_sum_of_numeric_columns(world: dict[str, Any]) -> None:
    metrics = [
        {"eventType": "purchase", "expression": "SUM(Items.PRICE)", "metricName": "REVENUE"},
        {"eventType": "click", "expression": "SUM(Interactions.EVENT_VALUE)", "metricName": "VALUE"},
    ]
    arn = create(world, metrics=metrics)
    assert world["personalize"].list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"] == metrics


def test_emulator_metric_attribution_refuses_repeated_metric_names(world: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as error:
        create(world, metrics=[CLICKS, {**CLICKS, "eventType": "purchase"}])
    assert error_of(error) == (
        "InvalidInputException",
        "metrics: metricName must be unique within a metric attribution; repeated: ['CLICKS'].",
    )


def test_emulator_metric_attribution_allows_at_most_ten_metrics(world: dict[str, Any]) -> None:
    with pytest.raises(ClientError) as error:
        create(world, metrics=[{**CLICKS, "metricName": f"M{i}"} for i in range(11)])
    assert error_of(error) == ("InvalidInputException", "metrics: allows at most 10 items, got 11.")
    arn = create(world, metrics=[{**CLICKS, "metricName": f"M{i}"} for i in range(10)])
    with pytest.raises(ClientError) as error:
        world["personalize"].update_metric_attribution(metricAttributionArn=arn, addMetrics=[CLICKS])
    assert error_of(error) == (
        "InvalidInputException",
        "metrics: a metric attribution can have at most 10 metrics; it would have 11.",
    )


def test_emulator_metric_attribution_needs_an_interactions_dataset(engine_ready: Any) -> None:  # noqa: F811
    with offline_aws("immediate"):
        pz = boto3.client("personalize")
        group = pz.create_dataset_group(name="empty")["datasetGroupArn"]
        with pytest.raises(ClientError) as error:
            create({"personalize": pz, "group": group})
        assert error_of(error) == (
            "InvalidInputException",
            f"Dataset group {group} has no Interactions dataset; a metric attribution reports on it.",
        )


def test_emulator_metric_attribution_fails_when_the_role_cannot_publish(world: dict[str, Any]) -> None:
    trust = {"Effect": "Allow", "Principal": {"Service": "personalize.amazonaws.com"}, "Action": "sts:AssumeRole"}
    document = json.dumps({"Version": "2012-10-17", "Statement": [trust]})
    quiet = boto3.client("iam").create_role(RoleName="quiet", AssumeRolePolicyDocument=document)["Role"]["Arn"]
    arn = create(world, metricsOutputConfig=output(quiet))
    described = world["personalize"].describe_metric_attribution(metricAttributionArn=arn)["metricAttribution"]
    assert described["status"] == "CREATE FAILED"
    assert described["failureReason"] == (
        f"Amazon Personalize cannot publish the metrics to CloudWatch: the role {quiet} does not allow "
        "cloudwatch:PutMetricData on *."
    )


def test_emulator_metric_attribution_update_adds_and_removes_metrics(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    arn = create(world)
    purchases = {"eventType": "purchase", "expression": "SAMPLECOUNT()", "metricName": "PURCHASES"}
    emulator.set_progression("paced")
    pz.update_metric_attribution(metricAttributionArn=arn, addMetrics=[purchases], removeMetrics=["CLICKS"])
    seen = [pz.describe_metric_attribution(metricAttributionArn=arn)["metricAttribution"]["status"] for _ in range(3)]
    assert seen == ["UPDATE PENDING", "UPDATE IN_PROGRESS", "ACTIVE"]
    assert pz.list_metric_attribution_metrics(metricAttributionArn=arn)["metrics"] == [purchases]


def test_emulator_metric_attribution_update_refuses_unknown_and_existing_names(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    arn = create(world)
    with pytest.raises(ClientError) as error:
        pz.update_metric_attribution(metricAttributionArn=arn, removeMetrics=["NOPE"])
    assert error_of(error) == (
        "InvalidInputException",
        f"removeMetrics: metric attribution {arn} has no metrics named ['NOPE'].",
    )
    with pytest.raises(ClientError) as error:
        pz.update_metric_attribution(metricAttributionArn=arn, addMetrics=[CLICKS])
    assert error_of(error) == (
        "ResourceAlreadyExistsException",
        f"addMetrics: metric attribution {arn} already has ['CLICKS'].",
    )


def test_emulator_metric_attribution_update_is_refused_while_one_runs(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    arn = create(world)
    emulator.set_progression("paced")
    pz.update_metric_attribution(metricAttributionArn=arn, removeMetrics=["CLICKS"])
    with pytest.raises(ClientError) as error:
        pz.update_metric_attribution(metricAttributionArn=arn, addMetrics=[CLICKS])
    assert error_of(error) == (
        "ResourceInUseException",
        f"Metric attribution {arn} is UPDATE PENDING; it can be updated only when ACTIVE.",
    )


def test_emulator_metric_attribution_delete_shows_delete_pending_then_gone(world: dict[str, Any]) -> None:
    pz = world["personalize"]
    arn = create(world)
    emulator.set_progression("paced")
    pz.delete_metric_attribution(metricAttributionArn=arn)
    assert pz.describe_metric_attribution(metricAttributionArn=arn)["metricAttribution"]["status"] == "DELETE PENDING"
    with pytest.raises(ClientError) as error:
        pz.describe_metric_attribution(metricAttributionArn=arn)
    assert error_of(error) == ("ResourceNotFoundException", f"Resource Arn {arn} does not exist.")
    assert pz.list_metric_attributions(datasetGroupArn=world["group"])["metricAttributions"] == []
