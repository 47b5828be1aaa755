"""`autopersonalize teardown`: run the stack's teardown state machine for one dataset group, on AWS or against
`autopersonalize endpoint`. boto3 only: it works without the offline extra, and reports mistakes before it starts."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from autopersonalize import paths
from autopersonalize.errors import PipelineError

if TYPE_CHECKING:
    import boto3

EXIT_OK, EXIT_FAILED = 0, 1
ENDPOINT_REGION = "us-east-1"  # what `autopersonalize endpoint` announces: "any credentials work; region us-east-1"
ENDPOINT_CREDENTIALS = {"aws_access_key_id": "offline", "aws_secret_access_key": "offline"}
DATASET_TYPES = ("Interactions", "Items", "Users")


def teardown(dataset_group: str, prefix: str, endpoint_url: str | None) -> int:
    """Start `<prefix>-teardown` for the dataset group, wait for it, and say what happened."""
    session = aws_session(endpoint_url)
    with aws_errors("teardown", "run", endpoint_url):
        machine = state_machine(session.client("stepfunctions", endpoint_url=endpoint_url), prefix, "teardown")
        if not _has_resources(session, prefix, dataset_group, endpoint_url):
            raise PipelineError(
                f"dataset group {dataset_group} does not exist here: nothing to tear down "
                f"(no Personalize dataset group, schemas or SSM parameters of it for Prefix={prefix} in "
                f"{session.region_name}); check --dataset-group and --prefix"
            )
        described = _run(session, machine, dataset_group, endpoint_url)
    if described["status"] != "SUCCEEDED":
        print(f"teardown {described['status']}: {described.get('error')}: {described.get('cause')}", file=sys.stderr)
        return EXIT_FAILED
    print(f"teardown of {dataset_group} SUCCEEDED: {described.get('output', '')}")
    return EXIT_OK


@contextlib.contextmanager
def aws_errors(command: str, doing: str, endpoint_url: str | None) -> Iterator[None]:
    """What boto3 raises in the body becomes one PipelineError line that says what to check: "<command> could not
    <doing>: ..." (no credentials, an endpoint not reached, what AWS answered)."""
    from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError

    try:
        yield
    except NoCredentialsError:
        raise PipelineError(
            "no AWS credentials found: configure them (aws configure, AWS_PROFILE), "
            "or give --endpoint-url for `autopersonalize endpoint`"
        ) from None
    except EndpointConnectionError as error:
        hint = "is `autopersonalize endpoint` running there?" if endpoint_url else "check the network and the region"
        raise PipelineError(f"{command} could not reach {error.kwargs.get('endpoint_url')}: {hint}") from None
    except (BotoCoreError, ClientError) as error:
        raise PipelineError(f"{command} could not {doing}: {error}") from error


def aws_session(endpoint_url: str | None, region: str | None = None) -> boto3.session.Session:
    """The caller's AWS session (in `region` when given). For an offline endpoint, the region and credentials it
    accepts where none are set (it takes any); against AWS, no region is a mistake this names."""
    import boto3

    session = boto3.session.Session(region_name=region)
    if endpoint_url is not None:
        credentials = {} if session.get_credentials() is not None else ENDPOINT_CREDENTIALS
        return boto3.session.Session(region_name=session.region_name or ENDPOINT_REGION, **credentials)
    if session.region_name is None:
        raise PipelineError(
            "no AWS region set: set AWS_DEFAULT_REGION (or the profile's region) to the stack's region, "
            "or give --endpoint-url for `autopersonalize endpoint`"
        )
    return session


def state_machine(sfn: Any, prefix: str, machine: str) -> str:
    """The ARN of the stack's `<prefix>-<machine>` state machine ("training", "teardown"); PipelineError if absent."""
    name = f"{prefix}-{machine}"
    for page in sfn.get_paginator("list_state_machines").paginate():
        for found in page["stateMachines"]:
            if found["name"] == name:
                return str(found["stateMachineArn"])
    raise PipelineError(f"no state machine {name} here: is the stack deployed with Prefix={prefix}? (in this region)")


def _has_resources(session: boto3.session.Session, prefix: str, group: str, endpoint_url: str | None) -> bool:
    """The dataset group, or what a teardown stopped half-way left of it (its schemas, its SSM parameters)."""
    paths.import_lambdas()
    from workflow import naming

    personalize = session.client("personalize", endpoint_url=endpoint_url)
    name = naming.dataset_group(prefix, group)
    for page in personalize.get_paginator("list_dataset_groups").paginate():
        if any(found["name"] == name for found in page["datasetGroups"]):
            return True
    schemas = {naming.schema(prefix, group, dataset_type) for dataset_type in DATASET_TYPES}
    for page in personalize.get_paginator("list_schemas").paginate():
        if any(found["name"] in schemas for found in page["schemas"]):
            return True
    ssm = session.client("ssm", endpoint_url=endpoint_url)
    folder = naming.campaign_parameter(prefix, group, "x").rsplit("/campaigns/", 1)[0]
    return bool(ssm.get_parameters_by_path(Path=folder, Recursive=True, MaxResults=1)["Parameters"])


def _run(session: boto3.session.Session, machine: str, group: str, endpoint_url: str | None) -> dict[str, Any]:
    sfn = session.client("stepfunctions", endpoint_url=endpoint_url)
    arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"datasetGroup": group}))["executionArn"]
    print(f"teardown of {group} started: {arn}", file=sys.stderr)
    while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
        time.sleep(2 if endpoint_url is None else 0.2)
    return dict(described)
