"""Server mode: the emulator behind a ThreadedMotoServer, reached by plain boto3 clients with endpoint_url."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from moto.moto_api import state_manager
from moto.server import ThreadedMotoServer
from test_emulator_support import BUCKET, INTERACTIONS_SCHEMA, ROLE, engine_ready, interactions  # noqa: F401

from autopersonalize import emulator
from autopersonalize.emulator.lifecycle import MODEL_NAME

SIGNED = (
    "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/personalize/aws4_request, SignedHeaders=host, Signature=0"
)


@pytest.fixture
def server(engine_ready: Any) -> Iterator[str]:  # noqa: F811
    emulator.install()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    url = f"http://127.0.0.1:{port}"
    try:
        yield url
    finally:
        requests.post(f"{url}/moto-api/reset", timeout=10)
        moto.stop()
        state_manager.unset_transition(MODEL_NAME)


def client(url: str, service: str) -> Any:
    return boto3.client(
        service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing"
    )


def test_emulator_server_mode_create_describe_train_and_recommend(server: str) -> None:
    emulator.set_progression("paced")
    pz, s3 = client(server, "personalize"), client(server, "s3")
    group = pz.create_dataset_group(name="srv")["datasetGroupArn"]
    statuses = [pz.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] for _ in range(3)]
    assert statuses == ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"]
    emulator.set_progression("immediate")
    schema = pz.create_schema(name="srv", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    dataset = pz.create_dataset(name="srv", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="srv/i.csv", Body=interactions().to_csv(index=False).encode())
    pz.create_dataset_import_job(
        jobName="srv",
        datasetArn=dataset["datasetArn"],
        roleArn=ROLE,
        dataSource={"dataLocation": f"s3://{BUCKET}/srv/i.csv"},
    )
    solution = pz.create_solution(
        name="srv", datasetGroupArn=group, recipeArn="arn:aws:personalize:::recipe/aws-user-personalization"
    )["solutionArn"]
    version = pz.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    assert pz.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["status"] == "ACTIVE"
    campaign = pz.create_campaign(name="srv", solutionVersionArn=version)["campaignArn"]
    items = client(server, "personalize-runtime").get_recommendations(campaignArn=campaign, userId="u3", numResults=4)
    assert len(items["itemList"]) == 4
    tracking = pz.create_event_tracker(name="srv", datasetGroupArn=group)["trackingId"]
    client(server, "personalize-events").put_events(
        trackingId=tracking, userId="u3", sessionId="s", eventList=[{"itemId": "i1", "eventType": "click", "sentAt": 1}]
    )


def test_emulator_server_mode_validates_raw_requests(server: str) -> None:
    headers = {
        "X-Amz-Target": "AmazonPersonalize.CreateDatasetGroup",
        "Authorization": SIGNED,
        "Content-Type": "application/x-amz-json-1.1",
    }
    missing = requests.post(f"{server}/", headers=headers, data="{}", timeout=10)
    assert missing.status_code == 400
    assert missing.json() == {"__type": "InvalidInputException", "message": "request: missing required member 'name'."}
    wrong = requests.post(f"{server}/", headers=headers, data='{"name": 7}', timeout=10)
    assert wrong.json() == {"__type": "InvalidInputException", "message": "name: expected a string, got 7."}
