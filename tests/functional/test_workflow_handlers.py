"""Each workflow handler against moto + the Personalize emulator: create, reuse, drift, failure, quota, skip."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from workflow.errors import (
    InsufficientDataError,
    InvalidParamsError,
    ResourceConflictError,
    ResourceFailedError,
)

from autopersonalize import emulator
from autopersonalize.local import offline_aws
from tests.e2e import workflow_support as ws

NDCG = "normalized_discounted_cumulative_gain_at_10"


@pytest.fixture
def account(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    with offline_aws():
        for key, value in ws.setup_account().items():
            monkeypatch.setenv(key, value)
        yield ws.ENV


def loaded(name: str = "exec-1", **overrides: Any) -> dict[str, Any]:
    return ws.load(ws.params(ws.upload_data("data"), **overrides), name=name)


def params_of(state: dict[str, Any]) -> dict[str, Any]:
    """The validated params Load Params kept in S3 for the run."""
    from workflow import run_params
    from workflow.steps import Run

    return run_params.params_of(Run.model_validate(state["run"]))


def group(state: dict[str, Any]) -> dict[str, Any]:
    """Run the dataset group and dataset steps; the state after them."""
    base = {"run": state["run"]}
    first = ws.call("Ensure Dataset Group", base)
    state["datasetGroup"] = first if first["ready"] else ws.call("Check Dataset Group", {**base, "poll": first["poll"]})
    assert state["datasetGroup"]["ready"]
    step = {**base, "datasetGroupArn": state["datasetGroup"]["arn"]}
    datasets = ws.call("Ensure Datasets", step)
    state["datasets"] = datasets if datasets["ready"] else ws.call("Check Datasets", {**step, "poll": datasets["poll"]})
    assert state["datasets"]["ready"]
    return state


def import_step(state: dict[str, Any], dataset: str) -> dict[str, Any]:
    return {
        "run": state["run"],
        "datasetGroupArn": state["datasetGroup"]["arn"],
        "dataset": dataset,
        "datasets": state["datasets"]["datasets"],
    }


def imported(state: dict[str, Any]) -> list[dict[str, Any]]:
    results = []
    for dataset in state["names"]["datasets"]:
        step = import_step(state, dataset)
        result = ws.call("Start Import", step)
        while not result["ready"]:
            result = ws.call(
                "Check Import", {**step, "jobArn": result["jobArn"], "poll": result["poll"], "previous": result}
            )
        results.append(result)
    return results


def trained(state: dict[str, Any], solution: str, imports: list[dict[str, Any]]) -> dict[str, Any]:
    step = {"run": state["run"], "datasetGroupArn": state["datasetGroup"]["arn"], "solution": solution}
    ensured = ws.call("Ensure Solution", step)
    while not ensured["ready"]:
        ensured = ws.call("Check Solution", {**step, "poll": ensured["poll"]})
    version_step = {**step, "imports": imports, "solutionArn": ensured["solutionArn"]}
    version = ws.call("Create Solution Version", version_step)
    while not version["ready"]:
        version = ws.call(
            "Check Training",
            {
                **version_step,
                "solutionVersionArn": version["solutionVersionArn"],
                "poll": version["poll"],
                "previous": version,
            },
        )
    return ws.call("Evaluate", {**step, "solutionArn": ensured["solutionArn"], "version": version})


def test_workflow_load_params_returns_run_names_and_lock_and_keeps_the_params_in_s3(account: dict[str, str]) -> None:
    state = loaded()
    assert set(state) == {"run", "names", "polling", "lock"}  # never the params document: the state stays small
    assert state["run"]["datasetGroup"] == "demo"
    assert state["run"]["runId"] == "exec-1"
    assert state["run"]["snapshot"] == "s3://data/runs/demo/exec-1/params.json"
    assert state["names"] == {
        "datasets": ["Interactions", "Items"],
        "solutions": ["personal", "popular"],
        "campaigns": ["personal", "popular"],
        "recommenders": [],
        "batchInferenceJobs": [],
        "batchSegmentJobs": [],
    }
    assert state["lock"] == {"acquired": False, "poll": {"attempt": 0, "waited": 0, "waitSeconds": 0}}
    params = params_of(state)
    assert params["datasets"][0]["schema"]["name"] == "Interactions"
    assert "schemaFile" not in params["datasets"][0]


def test_workflow_steps_read_the_params_load_params_kept_not_a_later_copy(account: dict[str, str]) -> None:
    from workflow import run_params

    state = loaded()
    boto3.client("s3").put_object(Bucket="data", Key="runs/demo/exec-1/params.json", Body=b'{"params": {}}')
    run_params._read.cache_clear()  # as a cold Lambda
    with pytest.raises(InvalidParamsError) as error:
        ws.call("Ensure Dataset Group", {"run": state["run"]})
    assert str(error.value) == (
        f"s3://data/runs/demo/exec-1/params.json: 1 problem(s):\n  - changed after Load Params wrote it "
        f"(ETag {state['run']['snapshotEtag']}); drop the params file again to start a new run"
    )


def test_workflow_load_params_lists_every_problem(account: dict[str, str]) -> None:
    doc = ws.params(ws.upload_data("data"))
    doc["solutions"][0]["recipe"] = "aws-nope"
    doc["polling"] = {"initialIntervalSeconds": 0}
    with pytest.raises(InvalidParamsError) as error:
        ws.load(doc)
    assert str(error.value).startswith("s3://data/params/demo.json: 2 problem(s):")
    assert "aws-nope" in str(error.value)
    assert "initialIntervalSeconds" in str(error.value)


def test_workflow_load_params_rejects_an_input_that_is_not_an_s3_event(account: dict[str, str]) -> None:
    with pytest.raises(InvalidParamsError) as error:
        ws.call("Load Params", {"event": {"hello": 1}, "executionId": "x", "executionName": "x"})
    assert 'execution input: 1 problem(s):\n  - expected the EventBridge "Object Created" event' in str(error.value)


def test_workflow_load_params_fails_on_an_empty_data_location(account: dict[str, str]) -> None:
    ws.upload_data("data")
    doc = ws.params({"Interactions": "s3://data/exports/none/interactions/"})
    with pytest.raises(InsufficientDataError) as error:
        ws.load(doc)
    assert str(error.value).startswith("s3://data/exports/none/interactions/: no data found there; run the export")


def test_workflow_acquire_lock_waits_for_another_owner_then_takes_a_free_or_expired_lock(
    account: dict[str, str],
) -> None:
    event = {"datasetGroup": "demo", "owner": "run-a", "polling": {}}
    assert ws.call("Acquire Lock", event)["acquired"] is True
    assert ws.call("Acquire Lock", event)["acquired"] is True  # the holder may take it again (retried task)
    busy = ws.call("Acquire Lock", {**event, "owner": "run-b"})
    assert busy["acquired"] is False
    assert busy["heldBy"] == "run-a"
    assert busy["poll"] == {"attempt": 1, "waited": 60, "waitSeconds": 1}
    boto3.client("dynamodb").update_item(
        TableName="ap-locks",
        Key={"datasetGroup": {"S": "demo"}},
        UpdateExpression="SET expiresAt = :past",
        ExpressionAttributeValues={":past": {"N": "1"}},
    )
    assert ws.call("Acquire Lock", {**event, "owner": "run-b", "poll": busy["poll"]})["acquired"] is True


def test_workflow_dataset_group_and_datasets_are_created_once(account: dict[str, str]) -> None:
    state = group(loaded())
    again = group(loaded())
    assert again["datasetGroup"]["arn"] == state["datasetGroup"]["arn"]
    assert again["datasets"]["datasets"] == state["datasets"]["datasets"]
    assert ws.counts()["datasets"] == 2
    assert ws.counts()["schemas"] == 2


def test_workflow_dataset_group_with_another_domain_is_a_conflict(account: dict[str, str]) -> None:
    boto3.client("personalize").create_dataset_group(name="ap-demo", domain="ECOMMERCE")
    with pytest.raises(ResourceConflictError) as error:
        group(loaded())
    assert str(error.value).startswith(
        "dataset group ap-demo exists with domain 'ECOMMERCE', but params datasetGroup.domain is None; "
        "Personalize cannot change it: run the teardown machine"
    )


def test_workflow_changed_schema_is_a_conflict_that_says_which_fields(account: dict[str, str]) -> None:
    group(loaded())
    doc = ws.params(ws.upload_data("data"))
    doc["datasets"][1].pop("schemaFile")
    doc["datasets"][1]["schema"] = {
        "type": "record",
        "name": "Items",
        "namespace": "com.amazonaws.personalize.schema",
        "fields": [{"name": "ITEM_ID", "type": "string"}, {"name": "CATEGORY", "type": "string", "categorical": True}],
        "version": "1.0",
    }
    with pytest.raises(ResourceConflictError) as error:
        group(ws.load(doc))
    assert str(error.value).startswith("schema ap-demo-items exists with fields ['ITEM_ID:\"string\"', 'CATEGORY:")
    assert "a dataset cannot change its schema" in str(error.value)


def test_workflow_import_is_reused_for_the_same_data_and_redone_for_new_data(account: dict[str, str]) -> None:
    state = group(loaded())
    first = imported(state)
    assert [i["action"] for i in first] == ["started", "started"]
    assert (first[0]["status"], first[0]["rowsCounted"]) == ("ACTIVE", 3000)
    assert [i["action"] for i in imported(state)] == ["reused", "reused"]
    boto3.client("s3").put_object(
        Bucket="data", Key="exports/r1/interactions/part-1.csv", Body=ws.interactions_csv(seed=9).encode()
    )
    assert [i["action"] for i in imported(state)] == ["started", "reused"]
    assert ws.counts()["imports"] == 3


def test_workflow_failed_import_raises_with_personalizes_reason(account: dict[str, str]) -> None:
    bad = ws.interactions_csv(header="user_id,item_id,timestamp,event_type,event_value")
    state = group(ws.load(ws.params(ws.upload_data("data", interactions=bad))))
    with pytest.raises(ResourceFailedError) as error:
        imported(state)
    assert error.value.status == "CREATE FAILED"
    assert "ap-demo-interactions-d" in error.value.arn
    assert error.value.failure_reason != "(Personalize gave no failureReason)"


def test_workflow_solution_sends_perform_auto_training_and_detects_recipe_drift(account: dict[str, str]) -> None:
    state = group(loaded())
    result = trained(state, "popular", imported(state))
    described = boto3.client("personalize").describe_solution(solutionArn=result["solutionArn"])["solution"]
    assert described["performAutoTraining"] is False
    solutions = [{"name": "popular", "recipe": "aws-trending-now"}]
    changed = loaded("exec-2", solutions=solutions, campaigns=[], metricsGate=[])
    with pytest.raises(ResourceConflictError) as error:
        ws.call(
            "Ensure Solution",
            {"run": changed["run"], "datasetGroupArn": state["datasetGroup"]["arn"], "solution": "popular"},
        )
    assert str(error.value).startswith(
        "solution ap-demo-popular exists with recipeArn "
        "'arn:aws:personalize:::recipe/aws-popularity-count', but the params ask for "
        "'arn:aws:personalize:::recipe/aws-trending-now'"
    )


def test_workflow_training_limit_exceeded_is_not_ready_then_retried_by_the_check(account: dict[str, str]) -> None:
    state = group(loaded())
    imports = imported(state)
    step = {"run": state["run"], "datasetGroupArn": state["datasetGroup"]["arn"], "solution": "popular"}
    solution_arn = ws.call("Ensure Solution", step)["solutionArn"]
    emulator.faults().limit_exceeded("CreateSolutionVersion", times=1)
    version_step = {**step, "imports": imports, "solutionArn": solution_arn}
    limited = ws.call("Create Solution Version", version_step)
    assert (limited["action"], limited["ready"], limited["solutionVersionArn"]) == ("limited", False, None)
    assert limited["poll"] == {"attempt": 1, "waited": 60, "waitSeconds": 0}
    retried = ws.call(
        "Check Training", {**version_step, "solutionVersionArn": None, "poll": limited["poll"], "previous": limited}
    )
    assert retried["action"] == "started"
    assert retried["solutionVersionArn"]


def test_workflow_failed_training_raises_and_the_retry_gets_a_new_name(account: dict[str, str]) -> None:
    state = group(loaded())
    imports = imported(state)
    emulator.faults().fail_training("Insufficient memory (injected)")
    with pytest.raises(ResourceFailedError) as error:
        trained(state, "popular", imports)
    assert error.value.failure_reason == "Insufficient memory (injected)"
    result = trained(state, "popular", imports)
    assert result["action"] == "started"
    assert trained(state, "popular", imports)["action"] == "reused"
    assert ws.counts()["solutionVersions"] == 2


def test_workflow_evaluate_rejects_with_numbers(account: dict[str, str]) -> None:
    state = group(loaded(metricsGate=[{"solution": "popular", "minimums": {NDCG: 0.99}}]))
    result = trained(state, "popular", imported(state))
    value = result["metrics"][NDCG]
    assert result["gate"]["passed"] is False
    assert result["gate"]["reasons"] == [f"{NDCG} {value:.3f} < minimum 0.990"]


def campaign_step(state: dict[str, Any], campaign: str, solutions: list[dict[str, Any]]) -> dict[str, Any]:
    return {"run": state["run"], "campaign": campaign, "solutions": solutions}


def deployed(state: dict[str, Any], campaign: str, solutions: list[dict[str, Any]]) -> dict[str, Any]:
    step = campaign_step(state, campaign, solutions)
    result = ws.call("Deploy Campaign", step)
    while not result["ready"]:
        result = ws.call("Check Campaign", {**step, "poll": result["poll"], "previous": result})
    return result


def test_workflow_campaign_is_created_then_updated_to_a_new_version_and_skipped_when_rejected(
    account: dict[str, str],
) -> None:
    state = group(loaded())
    campaign = "popular"
    first = trained(state, "popular", imported(state))
    assert deployed(state, campaign, [first])["action"] == "created"
    assert deployed(state, campaign, [first])["action"] == "unchanged"
    boto3.client("s3").put_object(
        Bucket="data", Key="exports/r1/interactions/part-1.csv", Body=ws.interactions_csv(seed=5).encode()
    )
    second = trained(state, "popular", imported(state))
    assert second["solutionVersionArn"] != first["solutionVersionArn"]
    updated = deployed(state, campaign, [second])
    assert (updated["action"], updated["solutionVersionArn"]) == ("updated", second["solutionVersionArn"])
    rejected = {**second, "gate": {"passed": False, "reasons": ["coverage 0.100 < minimum 0.500"]}}
    skipped = deployed(state, campaign, [rejected])
    assert (skipped["action"], skipped["reason"]) == ("skipped", "coverage 0.100 < minimum 0.500")
    assert ws.counts()["campaigns"] == 1


def test_workflow_campaign_sync_with_latest_deploys_latest_and_settles(account: dict[str, str]) -> None:
    synced = {"name": "popular", "solution": "popular", "campaignConfig": {"syncWithLatestSolutionVersion": True}}
    state = group(loaded(campaigns=[synced]))
    first = trained(state, "popular", imported(state))
    result = deployed(state, "popular", [first])
    assert result["solutionVersionArn"] == f"{first['solutionArn']}/$LATEST"
    assert deployed(state, "popular", [first])["action"] == "unchanged"


def test_workflow_filters_tracker_publish_and_notify(account: dict[str, str]) -> None:
    state = group(loaded())
    step = {"run": state["run"], "datasetGroupArn": state["datasetGroup"]["arn"]}
    serving = ws.call("Ensure Filters And Tracker", step)
    serving = ws.call("Check Filters And Tracker", {**step, "poll": serving["poll"]})
    assert serving["ready"]
    assert serving["eventTracker"]["trackingId"]
    published = ws.call("Publish", {"run": state["run"], "campaigns": [], "serving": serving})
    assert published["parameters"] == ["/ap/demo/filters/no-purchased", "/ap/demo/event-tracker"]
    tracking = boto3.client("ssm").get_parameter(Name="/ap/demo/event-tracker")["Parameter"]["Value"]
    assert tracking == serving["eventTracker"]["trackingId"]
    results: dict[str, Any] = {"imports": [], "solutions": [], "campaigns": [], "batch": []}
    summary = ws.call("Notify", {"run": state["run"], **results, "published": published})
    assert summary["outcome"] == "DEPLOYED"
    assert summary["parameters"] == published["parameters"]


def test_workflow_notify_failure_names_the_error_and_respects_on_failure(account: dict[str, str]) -> None:
    from moto.sns.models import sns_backends

    state = loaded()
    cause = json.dumps({"errorType": "ResourceFailedError", "errorMessage": "arn:x is CREATE FAILED: bad header"})
    result = ws.call(
        "Notify Failure",
        {
            "state": {**state, "error": {"Error": "ResourceFailedError", "Cause": cause}},
            "executionId": "arn:aws:states:us-east-1:123456789012:execution:ap-training:nope",
        },
    )
    assert result == {
        "outcome": "FAILED",
        "step": "unknown step",
        "error": "ResourceFailedError",
        "reason": "arn:x is CREATE FAILED: bad header",
    }
    topic = next(iter(sns_backends["123456789012"]["us-east-1"].topics.values()))
    assert "Reason: arn:x is CREATE FAILED: bad header" in topic.sent_notifications[-1][1]
    quiet = {**loaded("exec-2", notifications={"onFailure": False}), "error": {"Error": "X", "Cause": "y"}}
    sent = len(topic.sent_notifications)
    ws.call("Notify Failure", {"state": quiet, "executionId": "x"})
    assert len(topic.sent_notifications) == sent


def test_workflow_teardown_phases_delete_everything_and_are_idempotent(account: dict[str, str]) -> None:
    state = group(loaded())
    first = trained(state, "popular", imported(state))
    deployed(state, "popular", [first])
    step = {"run": state["run"], "datasetGroupArn": state["datasetGroup"]["arn"]}
    ws.call("Check Filters And Tracker", {**step, "poll": None})
    progress: dict[str, Any] = {}
    for phase in (
        "Delete Campaigns",
        "Delete Event Tracker",
        "Delete Filters",
        "Delete Solutions",
        "Delete Datasets",
        "Delete Dataset Group",
        "Delete Schemas",
        "Delete Parameters",
    ):
        progress = ws.tear_down(phase, "demo", progress)
    assert ws.counts() == dict.fromkeys(ws.counts(), 0)
    assert ws.call("Delete Dataset Group", {"datasetGroup": "demo", "progress": {}})["done"] is True


def test_workflow_update_training_starts_full_then_updates_and_the_gate_reads_the_full_version(
    account: dict[str, str],
) -> None:
    # UPDATE: aws-user-personalization (or legacy HRNN-Coldstart) only, not the params' aws-user-personalization-v2.
    solutions = [{"name": "personal", "recipe": "aws-user-personalization", "trainingMode": "UPDATE"}]
    state = group(loaded(solutions=solutions, campaigns=[], metricsGate=[]))
    first = trained(state, "personal", imported(state))
    assert first["trainingMode"] == "FULL"  # UPDATE needs an ACTIVE FULL version first
    boto3.client("s3").put_object(
        Bucket="data", Key="exports/r1/interactions/part-1.csv", Body=ws.interactions_csv(seed=3).encode()
    )
    second = trained(state, "personal", imported(state))
    assert second["trainingMode"] == "UPDATE"
    assert second["gate"]["notes"][0] == (
        f"UPDATE versions have no offline metrics; the gate read the FULL version {first['solutionVersionArn']}"
    )
    assert second["metrics"] == first["metrics"]


def test_workflow_batch_inference_runs_with_the_gated_version_and_is_reused(account: dict[str, str]) -> None:
    boto3.client("s3").put_object(Bucket="data", Key="batch/in.jsonl", Body=b'{"userId": "u1"}\n{"userId": "u2"}\n')
    job = {
        "name": "nightly",
        "solution": "popular",
        "jobInput": "s3://data/batch/in.jsonl",
        "jobOutput": "s3://data/batch/out/",
        "numResults": 5,
    }
    state = group(loaded(batchInferenceJobs=[job]))
    solution = trained(state, "popular", imported(state))
    step = {"run": state["run"], "job": "nightly", "solutions": [solution], "serving": {"filters": []}}
    result = ws.call("Start Batch Inference", step)
    while not result["ready"]:
        result = ws.call(
            "Check Batch Inference",
            {**step, "jobArn": result["batchInferenceJobArn"], "poll": result["poll"], "previous": result},
        )
    assert result["action"] == "started"
    assert boto3.client("s3").list_objects_v2(Bucket="data", Prefix="batch/out/")["KeyCount"] >= 1
    assert ws.call("Start Batch Inference", step)["action"] == "reused"
    rejected = {**solution, "gate": {"passed": False, "reasons": ["x"]}}
    skipped = ws.call("Start Batch Inference", {**step, "solutions": [rejected]})
    assert (skipped["action"], skipped["reason"]) == ("skipped", "solution popular did not pass its gate")


def test_workflow_batch_segment_runs_with_the_gated_version_and_is_reused(account: dict[str, str]) -> None:
    boto3.client("s3").put_object(
        Bucket="data", Key="batch/items.jsonl", Body=b'{"itemId": "books-1"}\n{"itemId": "music-2"}\n'
    )
    job = {
        "name": "fans",
        "solution": "affinity",
        "jobInput": "s3://data/batch/items.jsonl",
        "jobOutput": "s3://data/batch/segments/",
        "numResults": 7,
    }
    solutions = [{"name": "affinity", "recipe": "aws-item-affinity"}]
    state = group(loaded(solutions=solutions, metricsGate=[], campaigns=[], batchSegmentJobs=[job]))
    assert state["names"]["batchSegmentJobs"] == ["fans"]
    solution = trained(state, "affinity", imported(state))
    assert set(solution["metrics"]) == {"hits_at_1_percent", "recall_at_1_percent"} and solution["gate"]["passed"]
    step = {"run": state["run"], "job": "fans", "solutions": [solution], "serving": {"filters": []}}
    result = ws.call("Start Batch Segment", step)
    while not result["ready"]:
        result = ws.call(
            "Check Batch Segment",
            {**step, "jobArn": result["batchSegmentJobArn"], "poll": result["poll"], "previous": result},
        )
    assert (result["action"], result["output"]) == ("started", "s3://data/batch/segments/")
    version_id = solution["solutionVersionArn"].rsplit("/", 1)[-1]
    assert result["batchSegmentJobArn"].endswith(f":batch-segment-job/ap-demo-fans-{version_id}")
    body = boto3.client("s3").get_object(Bucket="data", Key="batch/segments/items.jsonl.out")["Body"].read()
    lines = [json.loads(line) for line in body.decode().splitlines()]
    assert [line["input"]["itemId"] for line in lines] == ["books-1", "music-2"]
    assert all(len(line["output"]["usersList"]) == 7 and line["error"] is None for line in lines)
    assert ws.call("Start Batch Segment", step)["action"] == "reused"
    rejected = {**solution, "gate": {"passed": False, "reasons": ["x"]}}
    skipped = ws.call("Start Batch Segment", {**step, "solutions": [rejected]})
    assert (skipped["action"], skipped["reason"]) == ("skipped", "solution affinity did not pass its gate")


def test_workflow_synced_campaign_reporting_the_resolved_version_is_not_updated_again() -> None:
    from workflow.campaigns import _differs

    solution_arn = "arn:aws:personalize:us-east-1:123456789012:solution/ap-demo-popular"
    found = {
        "solutionVersionArn": f"{solution_arn}/abc123",
        "minProvisionedTPS": 1,
        "campaignConfig": {"syncWithLatestSolutionVersion": True},
    }
    campaign = {"name": "popular", "minProvisionedTPS": 1, "campaignConfig": {"syncWithLatestSolutionVersion": True}}
    assert _differs(found, campaign, f"{solution_arn}/$LATEST") is False
    assert _differs({**found, "campaignConfig": {}}, campaign, f"{solution_arn}/$LATEST") is True
    assert _differs(found, {**campaign, "minProvisionedTPS": 2}, f"{solution_arn}/$LATEST") is True


def test_workflow_changed_filter_expression_is_a_conflict(account: dict[str, str]) -> None:
    state = group(loaded())
    step = {"run": state["run"], "datasetGroupArn": state["datasetGroup"]["arn"]}
    ws.call("Ensure Filters And Tracker", step)
    changed = [
        {"name": "no-purchased", "filterExpression": 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'}
    ]
    rerun = loaded("exec-2", filters=changed)
    with pytest.raises(ResourceConflictError) as error:
        ws.call("Check Filters And Tracker", {**step, "run": rerun["run"], "poll": None})
    assert str(error.value).startswith("filter ap-demo-no-purchased exists with expression ")
    assert str(error.value).endswith("filters cannot change: rename the filter in the params")


def _put_files(bucket: str, bodies: dict[str, str]) -> list[dict[str, Any]]:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=bucket)
    for key, body in bodies.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
    from workflow import data_check

    return data_check.objects(f"s3://{bucket}/in/")


def test_data_check_counts_rows_with_quoted_newlines_and_blank_lines(account: dict[str, str]) -> None:
    from workflow import data_check

    files = _put_files(
        "counted",
        {
            "in/a.csv": 'ITEM_ID,DESCRIPTION\ni1,"two\nlines"\n\ni2,plain\n',
            "in/b.csv": "ITEM_ID,DESCRIPTION\r\ni3,x\r\ni4,y\r\n",
        },
    )
    assert data_check.count_and_check("Items", "s3://counted/in/", files) == 4


def test_data_check_minimums_count_users_with_two_or_more_interactions(account: dict[str, str]) -> None:
    from workflow import data_check

    rows = [f"u{i % 30 if i < 48 else i},i{i},{i}" for i in range(1200)]  # 18 users twice, the rest once
    files = _put_files("few-repeats", {"in/i.csv": "USER_ID,ITEM_ID,TIMESTAMP\n" + "\n".join(rows) + "\n"})
    with pytest.raises(InsufficientDataError) as error:
        data_check.check_minimums("s3://few-repeats/in/", files)
    assert "too little data to train: 18 users with 2 or more interactions (Personalize needs at least 25)" in str(
        error.value
    )
    rows += [f"u{i},i,{i}" for i in range(100, 107)]  # 7 more repeat users: 25
    files = _put_files("enough", {"in/i.csv": "USER_ID,ITEM_ID,TIMESTAMP\n" + "\n".join(rows) + "\n"})
    assert data_check.count_and_check("Interactions", "s3://enough/in/", files) == 1207
