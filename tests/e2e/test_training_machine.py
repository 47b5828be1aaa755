"""The training and teardown state machines run whole by moto's interpreter, real handlers in-process, the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from autopersonalize import emulator
from autopersonalize.local import offline_aws
from autopersonalize.local.stack import PARAMS_BY_HAND, OfflineStack, deploy_stack
from tests.e2e import workflow_support as ws

pytestmark = pytest.mark.slow
NDCG = "normalized_discounted_cumulative_gain_at_10"
# What one full run of ws.params() creates, counted with list_*: nothing more after a rerun, a resume or a second file.
ONE_FULL_RUN = {
    "datasetGroups": 1,
    "schemas": 2,
    "datasets": 2,
    "imports": 2,
    "solutions": 2,
    "solutionVersions": 2,
    "campaigns": 2,
    "filters": 1,
    "eventTrackers": 1,
    "metricAttributions": 0,  # the run has no experiments
}


@pytest.fixture
def stack() -> Iterator[OfflineStack]:
    with offline_aws():
        yield deploy_stack(parameters=PARAMS_BY_HAND)


def run(stack: OfflineStack, name: str, params: dict[str, Any]) -> dict[str, Any]:
    return stack.wait(stack.put_params(name, params), timeout=300)


def states_entered(execution_arn: str) -> list[str]:
    events = boto3.client("stepfunctions").get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def messages(stack: OfflineStack) -> list[str]:
    return [n["message"] for n in stack.notifications()]


def capture_events() -> str:
    """An SQS queue receiving every event with source autopersonalize (moto rules can target SQS)."""
    url = boto3.client("sqs").create_queue(QueueName="events")["QueueUrl"]
    arn = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events = boto3.client("events")
    events.put_rule(Name="all", EventPattern=json.dumps({"source": ["autopersonalize"]}))
    events.put_targets(Rule="all", Targets=[{"Id": "q", "Arn": arn}])
    return str(url)


def received(url: str) -> list[str]:
    sqs = boto3.client("sqs")
    types = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        types += [json.loads(m["Body"])["detail-type"] for m in batch]
        for m in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return types


def test_training_happy_path_two_solutions_two_campaigns(stack: OfflineStack) -> None:
    queue = capture_events()
    execution = run(stack, "demo", ws.params(ws.upload_data(stack.bucket)))
    assert execution["status"] == "SUCCEEDED", ws.failure(execution)
    output = execution["output"]
    assert output["outcome"] == "DEPLOYED"
    assert [(c["campaign"], c["action"]) for c in output["campaigns"]] == [
        ("personal", "created"),
        ("popular", "created"),
    ]
    assert {i["datasetType"]: (i["status"], i["rowsCounted"]) for i in output["imports"]} == {
        "Interactions": ("ACTIVE", 3000),
        "Items": ("ACTIVE", 120),
    }
    assert ws.counts() == ONE_FULL_RUN
    ssm = boto3.client("ssm")
    parameter = ssm.get_parameter(Name="/ap/demo/campaigns/personal")["Parameter"]["Value"]
    assert parameter == output["campaigns"][0]["campaignArn"]
    assert ssm.get_parameter(Name="/ap/demo/filters/no-purchased")["Parameter"]["Value"].endswith(
        "ap-demo-no-purchased"
    )
    [message] = messages(stack)
    assert message.startswith("autopersonalize: dataset group demo: DEPLOYED")
    assert "Interactions: started, ACTIVE, ~3000 rows counted in its files (an estimate)" in message
    solution = boto3.client("personalize").describe_solution(solutionArn=output["solutions"][0]["solutionArn"])
    assert solution["solution"]["performAutoTraining"] is False
    kinds = received(queue)
    for kind in ("Import Completed", "Training Completed", "Gate Decision", "Campaign Deployed", "Run Succeeded"):
        assert kind in kinds


def test_training_gate_rejection_leaves_the_campaign_alone_and_succeeds_rejected(stack: OfflineStack) -> None:
    gate = [{"solution": "personal", "minimums": {NDCG: 0.99}}]
    execution = run(stack, "demo", ws.params(ws.upload_data(stack.bucket), metricsGate=gate))
    assert execution["status"] == "SUCCEEDED", ws.failure(execution)
    output = execution["output"]
    assert output["outcome"] == "REJECTED"
    personal = next(s for s in output["solutions"] if s["solution"] == "personal")
    value = personal["metrics"][NDCG]
    assert personal["reasons"] == [f"{NDCG} {value:.3f} < minimum 0.990"]
    assert [(c["campaign"], c["action"]) for c in output["campaigns"]] == [
        ("personal", "skipped"),
        ("popular", "created"),
    ]
    assert ws.counts()["campaigns"] == 1
    [message] = messages(stack)
    assert message.startswith("autopersonalize: dataset group demo: REJECTED")
    assert f"gate REJECTED: {NDCG} {value:.3f} < minimum 0.990" in message
    with pytest.raises(ClientError, match="ParameterNotFound"):
        boto3.client("ssm").get_parameter(Name="/ap/demo/campaigns/personal")


def test_training_second_run_with_new_data_updates_the_campaign(stack: OfflineStack) -> None:
    first = run(stack, "demo", ws.params(ws.upload_data(stack.bucket, "r1", seed=1)))
    assert first["status"] == "SUCCEEDED", ws.failure(first)
    second = run(stack, "demo", ws.params(ws.upload_data(stack.bucket, "r2", seed=2)))
    assert second["status"] == "SUCCEEDED", ws.failure(second)
    campaigns = {c["campaign"]: c for c in second["output"]["campaigns"]}
    assert campaigns["personal"]["action"] == "updated"
    new_version = next(s for s in second["output"]["solutions"] if s["solution"] == "personal")["solutionVersionArn"]
    old_version = next(s for s in first["output"]["solutions"] if s["solution"] == "personal")["solutionVersionArn"]
    assert new_version != old_version
    described = boto3.client("personalize").describe_campaign(campaignArn=campaigns["personal"]["campaignArn"])
    deployed = described["campaign"].get("latestCampaignUpdate", {}).get("solutionVersionArn")
    assert (deployed or described["campaign"]["solutionVersionArn"]) == new_version
    assert ws.counts()["campaigns"] == 2
    assert ws.counts()["solutionVersions"] == 4
    assert ws.counts()["imports"] == 4


def test_training_import_failure_from_a_bad_csv_header_reports_personalizes_reason(stack: OfflineStack) -> None:
    bad = ws.interactions_csv(header="user_id,item_id,timestamp,event_type,event_value")
    execution = run(stack, "demo", ws.params(ws.upload_data(stack.bucket, interactions=bad)))
    assert execution["status"] == "FAILED"
    error, message = ws.failure(execution)
    assert error == "ResourceFailedError"
    assert "dataset-import-job/ap-demo-interactions-" in message
    assert "CREATE FAILED" in message
    [notice] = messages(stack)
    assert "Failed step: Check Import" in notice or "Failed step: Start Import" in notice
    assert "Error: ResourceFailedError" in notice
    assert ws.counts()["solutions"] == 0


def test_training_too_little_data_fails_before_any_resource_is_created(stack: OfflineStack) -> None:
    small = ws.interactions_csv(users=10, per_user=20)
    execution = run(stack, "demo", ws.params(ws.upload_data(stack.bucket, interactions=small)))
    assert execution["status"] == "FAILED"
    error, message = ws.failure(execution)
    assert error == "InsufficientDataError"
    assert "too little data to train: 200 interaction rows (Personalize needs at least 1000)" in message
    assert "10 users with 2 or more interactions (Personalize needs at least 25)" in message
    assert "Failed step: Load Params" in messages(stack)[0]
    assert ws.counts()["datasetGroups"] == 0


def test_training_limit_exceeded_storm_is_waited_out(stack: OfflineStack) -> None:
    faults = emulator.faults()
    faults.limit_exceeded("CreateSolutionVersion", times=3)
    faults.limit_exceeded("CreateCampaign", times=2)
    execution = run(stack, "demo", ws.params(ws.upload_data(stack.bucket)))
    assert execution["status"] == "SUCCEEDED", ws.failure(execution)
    entered = states_entered(execution["executionArn"])
    assert entered.count("Wait For Training") >= 3
    assert entered.count("Wait For Campaign") >= 2
    assert ws.counts()["solutionVersions"] == 2
    assert ws.counts()["campaigns"] == 2


def test_training_failure_then_resume_creates_no_duplicates(stack: OfflineStack) -> None:
    params = ws.params(ws.upload_data(stack.bucket))
    emulator.faults().fail_training("Insufficient memory to train (injected)", times=1)
    failed = run(stack, "demo", params)
    assert failed["status"] == "FAILED"
    assert "Insufficient memory to train (injected)" in ws.failure(failed)[1]
    assert "Failed step: Check Training" in messages(stack)[0]
    resumed = run(stack, "demo", params)
    assert resumed["status"] == "SUCCEEDED", ws.failure(resumed)
    assert [i["action"] for i in resumed["output"]["imports"]] == ["reused", "reused"]
    assert ws.counts() == {**ONE_FULL_RUN, "solutionVersions": 3}  # the failed training left one
    again = run(stack, "demo", params)
    assert [s["action"] for s in again["output"]["solutions"]] == ["reused", "reused"]
    assert ws.counts()["solutionVersions"] == 3


def test_training_two_params_files_for_one_dataset_group_run_one_at_a_time(stack: OfflineStack) -> None:
    params = ws.params(ws.upload_data(stack.bucket))
    first = stack.put_params("demo", params)
    second = stack.put_params("demo-again", params)
    results = [stack.wait(first, timeout=300), stack.wait(second, timeout=300)]
    assert [r["status"] for r in results] == ["SUCCEEDED", "SUCCEEDED"], [ws.failure(r) for r in results]
    waited = [states_entered(arn).count("Wait For Lock") for arn in (first, second)]
    assert max(waited) >= 1
    assert ws.counts() == ONE_FULL_RUN


def test_training_lock_held_too_long_fails_with_a_clear_message(stack: OfflineStack) -> None:
    boto3.client("dynamodb").put_item(
        TableName="ap-locks",
        Item={
            "datasetGroup": {"S": "demo"},
            "owner": {"S": "arn:other-run"},
            "acquiredAt": {"N": "1700000000"},
            "expiresAt": {"N": "9999999999"},
        },
    )
    polling = {"initialIntervalSeconds": 1, "maxIntervalSeconds": 1, "maxWaitSeconds": 2}
    execution = run(stack, "demo", ws.params(ws.upload_data(stack.bucket), polling=polling))
    assert execution["status"] == "FAILED"
    error, message = ws.failure(execution)
    assert error == "LockBusyError"
    assert message.startswith("dataset group demo is busy: arn:other-run has held its lock since 2023-11-14T22:13:20Z")
    assert ws.counts()["datasetGroups"] == 0
    item = boto3.client("dynamodb").get_item(TableName="ap-locks", Key={"datasetGroup": {"S": "demo"}})["Item"]
    assert item["owner"]["S"] == "arn:other-run"


def test_training_invalid_params_notifies_every_problem_and_creates_nothing(stack: OfflineStack) -> None:
    params = ws.params(ws.upload_data(stack.bucket))
    params["solutions"][0]["recipe"] = "aws-user-personalisation"
    params["campaigns"][0]["minProvisionedTPS"] = 0
    execution = run(stack, "demo", params)
    assert execution["status"] == "FAILED"
    assert ws.failure(execution)[0] == "InvalidParamsError"
    [notice] = messages(stack)
    assert "Failed step: Load Params" in notice
    assert "2 problem(s)" in notice
    assert "aws-user-personalisation" in notice
    assert "minProvisionedTPS" in notice
    assert ws.counts()["datasetGroups"] == 0
    assert boto3.client("dynamodb").scan(TableName="ap-locks")["Items"] == []


def test_teardown_after_a_full_run_leaves_nothing_and_can_run_again(stack: OfflineStack) -> None:
    trained = run(stack, "demo", ws.params(ws.upload_data(stack.bucket)))
    assert trained["status"] == "SUCCEEDED", ws.failure(trained)
    for _ in range(2):
        teardown = stack.wait(stack.start("TeardownStateMachine", {"datasetGroup": "demo"}), timeout=300)
        assert teardown["status"] == "SUCCEEDED", ws.failure(teardown)
        assert ws.counts() == dict.fromkeys(ws.counts(), 0)
        assert boto3.client("ssm").get_parameters_by_path(Path="/ap/demo", Recursive=True)["Parameters"] == []
    assert boto3.client("dynamodb").scan(TableName="ap-locks")["Items"] == []


def test_training_and_teardown_with_paced_statuses_loop_until_ready() -> None:
    with offline_aws(progression="paced"):
        stack = deploy_stack(parameters=PARAMS_BY_HAND)
        execution = run(stack, "demo", ws.params(ws.upload_data(stack.bucket)))
        assert execution["status"] == "SUCCEEDED", ws.failure(execution)
        entered = states_entered(execution["executionArn"])
        for loop in ("Wait For Dataset Group", "Wait For Import", "Wait For Training", "Wait For Campaign"):
            assert entered.count(loop) >= 2, loop
        teardown = stack.wait(stack.start("TeardownStateMachine", {"datasetGroup": "demo"}), timeout=300)
        assert teardown["status"] == "SUCCEEDED", ws.failure(teardown)
        assert ws.counts() == dict.fromkeys(ws.counts(), 0)
