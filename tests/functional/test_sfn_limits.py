"""The offline interpreter enforces Step Functions' payload quota as AWS does (autopersonalize/local/sfn_limits.py).

Evidence: "Step Functions service quotas" (limits.html): at most 262,144 bytes as a UTF-8 encoded string for a task's
result, a state's input or output, an execution's input; "Handling errors in Step Functions workflows"
(concepts-error-handling.html): States.DataLimitExceeded, raised for a connector's output, a state's output and a
state's input after Parameters processing, is terminal and not caught by States.ALL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from autopersonalize.local import offline_aws
from autopersonalize.local.sfn_limits import MAX_PAYLOAD_BYTES, is_within_size_quota, payload_bytes

ALLOW_ALL = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["states.amazonaws.com", "lambda.amazonaws.com"]},
            "Action": "sts:AssumeRole",
        }
    ],
}
EMPTY_ZIP = b"PK\x05\x06" + b"\x00" * 18
EXCEEDED = "States.DataLimitExceeded"
RETRIER = [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2, "IntervalSeconds": 1}]
CATCH_ALL = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}]
CAUGHT = {"Type": "Pass", "End": True}


def sized(event: dict[str, Any], context: Any) -> str:
    """A Lambda handler whose result is a JSON string of exactly event["bytes"] bytes ("xxx...")."""
    return "x" * (int(event["bytes"]) - 2)


def filler(total: int, key: str = "s") -> str:
    """The value of {key: value} that makes the compact JSON object exactly `total` bytes."""
    return "x" * (total - len(json.dumps({key: ""}, separators=(",", ":"))))


@pytest.fixture
def machine() -> Iterator[Any]:
    """Run a definition offline and return the finished execution (describe_execution)."""
    with offline_aws():
        iam = boto3.client("iam")
        role = iam.create_role(RoleName="limits", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        iam.put_role_policy(RoleName="limits", PolicyName="all", PolicyDocument=json.dumps(ALLOW_ALL))
        function = boto3.client("lambda").create_function(
            FunctionName="sized",
            Runtime="python3.12",
            Role=role,
            Handler="tests.functional.test_sfn_limits.sized",
            Code={"ZipFile": EMPTY_ZIP},
        )["FunctionArn"]
        sfn = boto3.client("stepfunctions")

        def run(states: dict[str, Any], execution_input: dict[str, Any]) -> dict[str, Any]:
            text = json.dumps({"StartAt": next(iter(states)), "States": states}).replace("FUNCTION", function)
            arn = sfn.create_state_machine(name=f"m{time.monotonic_ns()}", definition=text, roleArn=role)
            compact = json.dumps(execution_input, separators=(",", ":"))  # StartExecution itself counts the text
            execution = sfn.start_execution(stateMachineArn=arn["stateMachineArn"], input=compact)
            for _ in range(600):
                described = sfn.describe_execution(executionArn=execution["executionArn"])
                if described["status"] != "RUNNING":
                    return dict(described)
                time.sleep(0.05)
            raise AssertionError("execution still running after 30 s")

        yield run


def test_sfn_limits_payload_is_compact_json_in_utf8_bytes() -> None:
    assert payload_bytes({"a": "é"}) == len('{"a":"é"}'.encode()) == 10
    assert payload_bytes("text") == 6  # a JSON string value counts with its quotes


def test_sfn_limits_quota_allows_262144_bytes_and_refuses_one_more() -> None:
    assert MAX_PAYLOAD_BYTES == 262_144
    assert is_within_size_quota({"s": filler(262_144)}) is True
    assert is_within_size_quota({"s": filler(262_145)}) is False


def test_sfn_limits_parameters_at_the_quota_pass(machine: Any) -> None:
    states = {"Copy": {"Type": "Pass", "Parameters": {"s.$": "$.s"}, "End": True}}
    execution = machine(states, {"s": filler(MAX_PAYLOAD_BYTES)})
    assert execution["status"] == "SUCCEEDED"


def test_sfn_limits_parameters_one_byte_over_fail_with_data_limit_exceeded(machine: Any) -> None:
    states = {"Copy": {"Type": "Pass", "Parameters": {"s.$": "$.s", "t": "x"}, "End": True}}
    execution = machine(states, {"s": filler(MAX_PAYLOAD_BYTES - len(',"t":"x"') + 1)})
    assert execution["status"] == "FAILED"
    assert execution["error"] == EXCEEDED
    assert execution["cause"] == (
        "The state/task 'Copy' provided parameters with a size exceeding the maximum number of bytes service limit."
    )


def test_sfn_limits_lambda_result_at_the_quota_passes_and_one_byte_more_fails(machine: Any) -> None:
    task = {"Type": "Task", "Resource": "FUNCTION", "ResultPath": None, "End": True}
    assert machine({"Call": task}, {"bytes": MAX_PAYLOAD_BYTES})["status"] == "SUCCEEDED"
    execution = machine({"Call": task}, {"bytes": MAX_PAYLOAD_BYTES + 1})
    assert execution["status"] == "FAILED"
    assert execution["error"] == EXCEEDED
    assert execution["cause"].endswith(
        ":function:sized' returned a result with a size exceeding the maximum number of bytes service limit."
    )


def test_sfn_limits_state_output_over_the_quota_fails(machine: Any) -> None:
    states = {"Grow": {"Type": "Pass", "Result": "x" * 20, "ResultPath": "$.more", "End": True}}
    execution = machine(states, {"s": filler(MAX_PAYLOAD_BYTES - 10)})
    assert execution["status"] == "FAILED"
    assert (execution["error"], execution["cause"]) == (
        EXCEEDED,
        "The state/task 'Grow' returned a result with a size exceeding the maximum number of bytes service limit.",
    )


def test_sfn_limits_data_limit_exceeded_is_neither_retried_nor_caught_by_states_all(machine: Any) -> None:
    task = {"Type": "Task", "Resource": "FUNCTION", "Retry": RETRIER, "Catch": CATCH_ALL, "End": True}
    execution = machine({"Call": task, "Caught": CAUGHT}, {"bytes": MAX_PAYLOAD_BYTES + 1})
    assert execution["status"] == "FAILED"
    assert execution["error"] == EXCEEDED
    history = boto3.client("stepfunctions").get_execution_history(executionArn=execution["executionArn"])["events"]
    assert [e["type"] for e in history].count("LambdaFunctionScheduled") == 1


def test_sfn_limits_map_item_selector_over_the_quota_fails_the_map_uncaught(machine: Any) -> None:
    states = {
        "Each": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemSelector": {"big.$": "$.big", "copy.$": "$.big", "item.$": "$$.Map.Item.Value"},
            "ItemProcessor": {"StartAt": "Noop", "States": {"Noop": {"Type": "Pass", "End": True}}},
            "Catch": CATCH_ALL,
            "End": True,
        },
        "Caught": CAUGHT,
    }
    # an input within the quota (StartExecution refuses more) that each item's selection doubles past it
    execution = machine(states, {"items": [1, 2], "big": filler(MAX_PAYLOAD_BYTES // 2 + 100, "big")})
    assert execution["status"] == "FAILED"
    assert execution["error"] == EXCEEDED
    assert "'Each' provided parameters with a size exceeding" in execution["cause"]


def test_sfn_limits_map_iteration_failing_with_data_limit_exceeded_fails_the_map_with_it(machine: Any) -> None:
    states = {
        "Each": {
            "Type": "Map",
            "ItemsPath": "$.items",
            "ItemSelector": {"bytes.$": "$$.Map.Item.Value"},
            "ItemProcessor": {
                "StartAt": "Call",
                "States": {"Call": {"Type": "Task", "Resource": "FUNCTION", "ResultPath": None, "End": True}},
            },
            "Catch": CATCH_ALL,
            "End": True,
        },
        "Caught": CAUGHT,
    }
    execution = machine(states, {"items": [10, MAX_PAYLOAD_BYTES + 1]})
    assert execution["status"] == "FAILED"
    assert execution["error"] == EXCEEDED


def test_sfn_limits_start_execution_refuses_an_input_over_the_quota(machine: Any) -> None:
    from botocore.exceptions import ClientError

    pass_state = {"P": {"Type": "Pass", "End": True}}
    assert machine(pass_state, {"s": filler(MAX_PAYLOAD_BYTES)})["status"] == "SUCCEEDED"
    with pytest.raises(ClientError) as error:
        machine(pass_state, {"s": filler(MAX_PAYLOAD_BYTES + 1)})
    assert error.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have "
        "length less than or equal to 262144",
    }
