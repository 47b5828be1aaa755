"""Experiments in the workflow's handlers against moto + the emulator: Deploy Campaign holds the champion and deploys
the challenger beside it, Publish writes the experiment's parameter per round and removes it with the experiment,
and a retrain-only run of one solution leaves the other variant alone."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from tests.e2e import workflow_support as ws
from tests.functional.test_workflow_handlers import account, deployed, group, imported, loaded, trained

__all__ = ["account"]
EXPERIMENT = {
    "name": "up",
    "campaign": "popular",
    "challenger": {"solution": "personal"},
    "conversionEventType": "click",
    "trafficShare": 0.3,
}
PARAMETER = "/ap/demo/experiments/popular"


@pytest.fixture
def stack(account: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """What the template adds for experiments: the table, and the function the check schedules invoke."""
    boto3.client("dynamodb").create_table(
        TableName="ap-experiments",
        AttributeDefinitions=[{"AttributeName": a, "AttributeType": "S"} for a in ("pk", "userId")],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "userId", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )
    monkeypatch.setenv("EXPERIMENTS_TABLE", "ap-experiments")
    monkeypatch.setenv(
        "CHECK_EXPERIMENT_FUNCTION_ARN", "arn:aws:lambda:us-east-1:123456789012:function:ap-CheckExperiment"
    )


def published(state: dict[str, Any], campaigns: list[dict[str, Any]]) -> dict[str, Any] | None:
    ws.call("Publish", {"run": state["run"], "campaigns": campaigns, "serving": {"filters": []}})
    try:
        return dict(json.loads(boto3.client("ssm").get_parameter(Name=PARAMETER)["Parameter"]["Value"]))
    except boto3.client("ssm").exceptions.ParameterNotFound:
        return None


def test_a_run_holds_the_champion_and_deploys_each_new_challenger_version_as_a_new_round(
    account: dict[str, str],
) -> None:
    state = group(loaded(experiments=[EXPERIMENT]))
    imports = imported(state)
    solutions = [trained(state, "popular", imports), trained(state, "personal", imports)]
    first = deployed(state, "popular", solutions)
    assert (first["action"], first["solutionVersionArn"]) == ("created", solutions[0]["solutionVersionArn"])
    challenger = first["experiment"]["challenger"]
    assert (challenger["campaign"], challenger["action"]) == ("popular-up", "created")
    assert challenger["solutionVersionArn"] == solutions[1]["solutionVersionArn"]
    document = published(state, [first])
    assert document is not None
    assert document["champion"] == {
        "campaignArn": first["campaignArn"],
        "solutionVersionArn": first["solutionVersionArn"],
    }
    assert document["challenger"]["campaignArn"] == challenger["campaignArn"]
    assert (document["trafficShare"], document["round"], document["earlierRounds"]) == (
        0.3,
        challenger["solutionVersionArn"].rsplit("/", 1)[-1],
        [],
    )

    boto3.client("s3").put_object(  # new data: the next run trains new versions of both
        Bucket="data", Key="exports/r1/interactions/part-1.csv", Body=ws.interactions_csv(seed=5).encode()
    )
    state = group(loaded(name="exec-2", experiments=[EXPERIMENT]))
    imports = imported(state)
    newer = [trained(state, "popular", imports), trained(state, "personal", imports)]
    second = deployed(state, "popular", newer)
    assert (second["action"], second["solutionVersionArn"]) == ("unchanged", first["solutionVersionArn"])  # held
    assert second["experiment"]["challenger"]["action"] == "updated"
    again = published(state, [second])
    assert again is not None
    assert again["challenger"]["solutionVersionArn"] == newer[1]["solutionVersionArn"]
    assert again["earlierRounds"] == [document["round"]]  # its counts stay findable for teardown
    assert ws.counts()["campaigns"] == 2


def test_a_run_without_the_challengers_solution_leaves_the_challenger_as_it_serves(account: dict[str, str]) -> None:
    state = group(loaded(experiments=[EXPERIMENT]))
    imports = imported(state)
    both = [trained(state, "popular", imports), trained(state, "personal", imports)]
    published(state, [deployed(state, "popular", both)])
    only_champion = deployed(state, "popular", both[:1])  # as a retrain-only run of "popular" has it
    assert only_champion["experiment"]["challenger"] == {
        "campaign": "popular-up",
        "campaignArn": None,
        "action": "skipped",
        "ready": True,
        "solutionVersionArn": None,
        "reason": "solution 'personal' was not trained in this run",
    }
    kept = published(state, [only_champion])
    assert kept is not None and kept["challenger"]["solutionVersionArn"] == both[1]["solutionVersionArn"]


def test_removing_the_experiment_from_the_params_stops_the_split(
    account: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "CHECK_EXPERIMENT_FUNCTION_ARN", "arn:aws:lambda:us-east-1:123456789012:function:ap-CheckExperiment"
    )
    state = group(loaded(experiments=[{**EXPERIMENT, "autoPromote": {"check": "rate(12 hours)"}}]))
    imports = imported(state)
    solutions = [trained(state, "popular", imports), trained(state, "personal", imports)]
    assert published(state, [deployed(state, "popular", solutions)]) is not None
    scheduler = boto3.client("scheduler")
    [schedule] = scheduler.list_schedules(GroupName="ap")["Schedules"]
    assert schedule["Name"] == "demo-popular-experiment"
    state = group(loaded(name="exec-2"))
    assert published(state, [deployed(state, "popular", solutions)]) is None
    assert scheduler.list_schedules(GroupName="ap")["Schedules"] == []


def test_teardown_deletes_the_check_schedule_the_challenger_and_the_experiment(stack: None) -> None:
    state = group(loaded(experiments=[{**EXPERIMENT, "autoPromote": {"check": "rate(12 hours)"}}]))
    imports = imported(state)
    solutions = [trained(state, "popular", imports), trained(state, "personal", imports)]
    assert published(state, [deployed(state, "popular", solutions)]) is not None
    for phase in ("Delete Campaigns", "Delete Parameters"):
        ws.tear_down(phase, "demo")
    assert boto3.client("scheduler").list_schedules(GroupName="ap")["Schedules"] == []
    assert ws.counts()["campaigns"] == 0  # the champion and the challenger
    assert boto3.client("ssm").get_parameters_by_path(Path="/ap/demo/", Recursive=True)["Parameters"] == []


def test_retrain_only_runs_keep_the_campaigns_whose_experiment_tries_the_solution() -> None:
    from workflow.retrain import RetrainEvent, narrowed

    params = ws.params({"Interactions": "s3://data/x/"}, experiments=[EXPERIMENT])
    event = {"datasetGroup": "demo", "solution": "personal", "trainingMode": "FULL", "snapshot": "s3://b/k"}
    found = narrowed(params, RetrainEvent.model_validate({**event, "snapshotEtag": "e"}), "run-1")
    assert [c["name"] for c in found["campaigns"]] == ["personal", "popular"]  # popular: its challenger is personal
    assert [s["name"] for s in found["solutions"]] == ["personal"]


def serving_ready(state: dict[str, Any]) -> dict[str, Any]:
    """Ensure Filters And Tracker, then its check until ready (immediate progression: one check)."""
    step = {"run": state["run"], "datasetGroupArn": state["datasetGroup"]["arn"]}
    serving = ws.call("Ensure Filters And Tracker", step)
    for _ in range(5):
        if serving["ready"]:
            return serving
        serving = ws.call("Check Filters And Tracker", {**step, "poll": serving["poll"]})
    raise AssertionError(f"not ready: {serving}")


def attribution_metrics(group_arn: str) -> list[dict[str, str]]:
    pz = boto3.client("personalize")
    found = pz.list_metric_attributions(datasetGroupArn=group_arn)["metricAttributions"]
    assert [a["name"] for a in found] == ["ap-demo-attribution"]
    return list(pz.list_metric_attribution_metrics(metricAttributionArn=found[0]["metricAttributionArn"])["metrics"])


def test_a_run_with_experiments_creates_the_metric_attribution_of_their_conversion_events(stack: None) -> None:
    state = group(loaded(experiments=[EXPERIMENT]))
    serving = serving_ready(state)
    assert serving["metricAttribution"]["metricAttributionArn"].endswith(":metric-attribution/ap-demo-attribution")
    assert attribution_metrics(state["datasetGroup"]["arn"]) == [
        {"eventType": "click", "expression": "SAMPLECOUNT()", "metricName": "click_COUNT"}
    ]
    described = boto3.client("personalize").describe_metric_attribution(
        metricAttributionArn=serving["metricAttribution"]["metricAttributionArn"]
    )["metricAttribution"]
    assert described["metricsOutputConfig"] == {"roleArn": ws.ROLE}  # the stack's Personalize role, no S3 output


def test_a_run_without_experiments_creates_no_metric_attribution(stack: None) -> None:
    state = group(loaded())
    serving = serving_ready(state)
    assert serving["metricAttribution"] is None
    assert ws.counts()["metricAttributions"] == 0


def test_a_changed_conversion_event_updates_the_metric_attribution(stack: None) -> None:
    state = group(loaded(experiments=[EXPERIMENT]))
    first = serving_ready(state)
    state = group(loaded(name="exec-2", experiments=[{**EXPERIMENT, "conversionEventType": "purchase"}]))
    second = serving_ready(state)
    assert second["metricAttribution"] == first["metricAttribution"]  # the same one, updated
    assert attribution_metrics(state["datasetGroup"]["arn"]) == [
        {"eventType": "purchase", "expression": "SAMPLECOUNT()", "metricName": "purchase_COUNT"}
    ]


def test_a_metric_attribution_of_another_name_is_a_conflict(stack: None) -> None:
    from workflow.errors import ResourceConflictError

    state = group(loaded(experiments=[EXPERIMENT]))
    metric = {"eventType": "view", "expression": "SAMPLECOUNT()", "metricName": "VIEWS"}
    other = boto3.client("personalize").create_metric_attribution(
        name="by-hand",
        datasetGroupArn=state["datasetGroup"]["arn"],
        metrics=[metric],
        metricsOutputConfig={"roleArn": ws.ROLE},
    )["metricAttributionArn"]
    with pytest.raises(ResourceConflictError) as error:
        serving_ready(state)
    assert str(error.value) == (
        f"dataset group demo already has metric attribution by-hand ({other}), and Personalize allows one per "
        "dataset group; the experiments need ap-demo-attribution: delete the other one (aws personalize "
        "delete-metric-attribution) or remove experiments from the params"
    )


def test_teardown_deletes_the_metric_attribution(stack: None) -> None:
    state = group(loaded(experiments=[EXPERIMENT]))
    serving_ready(state)
    assert ws.counts()["metricAttributions"] == 1
    ws.tear_down("Delete Event Tracker", "demo")
    assert ws.counts()["metricAttributions"] == 0
    assert ws.counts()["eventTrackers"] == 0
