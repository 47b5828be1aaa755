"""PutDashboard offline refuses what CloudWatch refuses (moto 5.2.5 checks only that the body is JSON): a name outside
CloudWatch's characters, a body without its widgets array, a widget without a known type or its properties, and a
metric line whose fields before its options are not strings, with CloudWatch's InvalidParameterInput message."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

METRIC = {
    "type": "metric",
    "width": 12,
    "height": 6,
    "properties": {"region": "us-east-1", "metrics": [["AWS/Lambda", "Errors", "FunctionName", "f", {"stat": "Sum"}]]},
}


def put(body: Any, name: str = "ap-autopersonalize-us-east-1") -> dict[str, Any]:
    response: dict[str, Any] = boto3.client("cloudwatch").put_dashboard(
        DashboardName=name, DashboardBody=json.dumps(body)
    )
    return response


def refused(body: Any, name: str = "ap-autopersonalize-us-east-1") -> str:
    with pytest.raises(ClientError) as raised:
        put(body, name)
    assert raised.value.response["Error"]["Code"] == "InvalidParameterInput"
    return str(raised.value.response["Error"]["Message"])


@pytest.mark.usefixtures("aws")
def test_a_valid_dashboard_and_an_empty_one_are_put() -> None:
    expression = {
        "type": "metric",
        "properties": {"region": "us-east-1", "metrics": [[{"expression": "SEARCH('{A,B}', 'Sum', 60)", "id": "e"}]]},
    }
    text = {"type": "text", "properties": {"markdown": "hi"}}
    log = {"type": "log", "properties": {"region": "us-east-1", "query": "SOURCE 'g' | fields @timestamp"}}
    assert put({"widgets": [METRIC, expression, text, log]})["DashboardValidationMessages"] == []
    assert put({"widgets": []})["DashboardValidationMessages"] == []


@pytest.mark.usefixtures("aws")
def test_a_metric_line_with_its_dimensions_as_an_object_is_refused() -> None:
    wrong = {
        **METRIC,
        "properties": {
            "region": "us-east-1",
            "metrics": [["AWS/Lambda", "Errors", {"FunctionName": "f"}, {"stat": "Sum"}]],
        },
    }
    message = refused({"widgets": [{"type": "text", "properties": {"markdown": "x"}}, wrong]})
    assert message.startswith("The dashboard body is invalid, there are 1 validation errors:\n")
    assert json.loads(message.split(":\n", 1)[1]) == [
        {
            "dataPath": "/widgets/1/properties/metrics/0/2",
            "message": "Invalid metric field type, only 'String' type is allowed",
        }
    ]


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ({"start": "-P1D"}, "", "Should have required property 'widgets'"),
        ({"widgets": [{"properties": {}}]}, "/widgets/0", "Should have required property 'type'"),
        (
            {"widgets": [{"type": "graph", "properties": {}}]},
            "/widgets/0/type",
            "Should be equal to one of the allowed values",
        ),
        ({"widgets": [{"type": "text"}]}, "/widgets/0", "Should have required property 'properties'"),
        ({"widgets": [{**METRIC, "width": 25}]}, "/widgets/0/width", "Should be <= 24"),
        (
            {"widgets": [{"type": "metric", "properties": {"metrics": [["AWS/Lambda", "Errors"]]}}]},
            "/widgets/0/properties",
            "Should have required property 'region'",
        ),
        (
            {"widgets": [{"type": "log", "properties": {"region": "us-east-1"}}]},
            "/widgets/0/properties",
            "Should have required property 'query'",
        ),
        (
            {"widgets": [{"type": "text", "properties": {}}]},
            "/widgets/0/properties",
            "Should have required property 'markdown'",
        ),
    ],
)
def test_a_body_cloudwatch_refuses_is_refused(body: dict[str, Any], path: str, message: str) -> None:
    assert json.loads(refused(body).split(":\n", 1)[1]) == [{"dataPath": path, "message": message}]


@pytest.mark.usefixtures("aws")
def test_a_name_outside_cloudwatchs_characters_is_refused() -> None:
    message = refused({"widgets": []}, name="ap.autopersonalize")
    assert message == (
        "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, "
        "dash (-) and underscore (_).\n"
    )
