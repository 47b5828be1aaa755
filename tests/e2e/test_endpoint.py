"""`autopersonalize endpoint`: offline AWS as a local endpoint that plain boto3 (and so the AWS CLI) can use."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import boto3
import pytest
from botocore.config import Config


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "autopersonalize", "endpoint", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 120
        for line in process.stdout:  # the command says where it listens once the stack is deployed
            if "listening on" in line or time.monotonic() > deadline:
                break
        assert process.poll() is None, "the endpoint exited early"
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def _client(service: str, url: str) -> object:
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="any",
        aws_secret_access_key="any",
        config=Config(retries={"max_attempts": 1}),
    )


def test_endpoint_serves_the_deployed_stack(endpoint: str) -> None:
    machines = _client("stepfunctions", endpoint).list_state_machines()["stateMachines"]  # type: ignore[attr-defined]
    assert sorted(m["name"] for m in machines) == ["ap-teardown", "ap-training"]
    functions = _client("lambda", endpoint).list_functions()["Functions"]  # type: ignore[attr-defined]
    assert "ap-GetRecommendations" in {f["FunctionName"] for f in functions}


def test_endpoint_serves_the_personalize_emulator(endpoint: str) -> None:
    personalize = _client("personalize", endpoint)
    arn = personalize.create_dataset_group(name="ap-probe")["datasetGroupArn"]  # type: ignore[attr-defined]
    described = personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]  # type: ignore[attr-defined]
    assert described["name"] == "ap-probe"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a fresh process with throwaway credentials and nothing else from this environment."""
    env = {"AWS_ACCESS_KEY_ID": "any", "AWS_SECRET_ACCESS_KEY": "any", "AWS_DEFAULT_REGION": "us-east-1"}
    command = [sys.executable, "-m", "autopersonalize", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def test_teardown_command_runs_the_teardown_machine_against_the_endpoint(endpoint: str) -> None:
    result = _cli("teardown", "--dataset-group", "absent", "--endpoint-url", endpoint)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("teardown of absent SUCCEEDED")


def test_teardown_command_with_a_wrong_prefix_says_what_to_check(endpoint: str) -> None:
    result = _cli("teardown", "--dataset-group", "x", "--prefix", "zz", "--endpoint-url", endpoint)
    assert result.returncode == 2
    assert "no state machine zz-teardown here: is the stack deployed with Prefix=zz?" in result.stderr
