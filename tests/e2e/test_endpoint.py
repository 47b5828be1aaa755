"""`autopersonalize endpoint`: offline AWS as a local endpoint that plain boto3 (and so the AWS CLI) can use."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

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


def _cli(*args: str, home: str) -> subprocess.CompletedProcess[str]:
    """The CLI in a fresh process with no AWS environment: no AWS_* variables, an empty HOME (no ~/.aws)."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": home}
    command = [sys.executable, "-m", "autopersonalize", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)


def test_teardown_command_without_aws_environment_deletes_the_dataset_group(endpoint: str, tmp_path: Path) -> None:
    personalize = _client("personalize", endpoint)
    personalize.create_dataset_group(name="ap-gone")  # type: ignore[attr-defined]
    result = _cli("teardown", "--dataset-group", "gone", "--endpoint-url", endpoint, home=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("teardown of gone SUCCEEDED")
    groups = personalize.list_dataset_groups()["datasetGroups"]  # type: ignore[attr-defined]
    assert "ap-gone" not in {g["name"] for g in groups}


def test_teardown_command_of_a_missing_dataset_group_says_nothing_is_there(endpoint: str, tmp_path: Path) -> None:
    result = _cli("teardown", "--dataset-group", "absent", "--endpoint-url", endpoint, home=str(tmp_path))
    assert result.returncode == 2
    assert result.stderr == (
        "error: dataset group absent does not exist here: nothing to tear down (no Personalize dataset group, "
        "schemas or SSM parameters of it for Prefix=ap in us-east-1); check --dataset-group and --prefix\n"
    )
    assert result.stdout == ""


def test_teardown_command_with_a_wrong_prefix_says_what_to_check(endpoint: str, tmp_path: Path) -> None:
    result = _cli("teardown", "--dataset-group", "x", "--prefix", "zz", "--endpoint-url", endpoint, home=str(tmp_path))
    assert result.returncode == 2
    assert "no state machine zz-teardown here: is the stack deployed with Prefix=zz?" in result.stderr
