"""Retraining schedules offline: a simulated week fires the schedule; each run retrains, gates, deploys or not."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from workflow import naming

from autopersonalize.local import offline_aws
from autopersonalize.local.scheduler_clock import SchedulerClock
from autopersonalize.local.stack import PARAMS_BY_HAND, OfflineStack, deploy_stack
from tests.e2e import workflow_support as ws

pytestmark = pytest.mark.slow
NDCG = "normalized_discounted_cumulative_gain_at_10"


@pytest.fixture
def stack() -> Iterator[OfflineStack]:
    with offline_aws():
        yield deploy_stack(parameters=PARAMS_BY_HAND)


def daily_params(locations: dict[str, str], gate: dict[str, float], **schedule: str) -> dict[str, Any]:
    """One fast solution on a schedule, its campaign, and its gate."""
    solution: dict[str, Any] = {"name": "popular", "recipe": "aws-popularity-count"}
    if schedule:
        solution["retrainSchedule"] = schedule
    return ws.params(
        locations,
        solutions=[solution],
        campaigns=[{"name": "popular", "solution": "popular", "minProvisionedTPS": 1}],
        metricsGate=[{"solution": "popular", "minimums": gate}],
        filters=[],
    )


def schedules(stack: OfflineStack) -> dict[str, dict[str, Any]]:
    scheduler = boto3.client("scheduler")
    group = stack.ref("RetrainScheduleGroup")
    names = [s["Name"] for s in scheduler.list_schedules(GroupName=group)["Schedules"]]
    return {name: scheduler.get_schedule(GroupName=group, Name=name) for name in names}


def served_version() -> str:
    personalize = boto3.client("personalize")
    [campaign] = personalize.list_campaigns()["campaigns"]
    return str(personalize.describe_campaign(campaignArn=campaign["campaignArn"])["campaign"]["solutionVersionArn"])


def states_entered(stack: OfflineStack, execution_arn: str) -> set[str]:
    return {
        e["stateEnteredEventDetails"]["name"] for e in stack.history(execution_arn) if "stateEnteredEventDetails" in e
    }


def test_retraining_schedule_fires_daily_and_deploys_only_what_passes_the_gate(stack: OfflineStack) -> None:
    # GIVEN a full run whose params retrain "popular" every day, with a gate it passes
    locations = ws.upload_data(stack.bucket)
    first = stack.wait(stack.put_params("demo", daily_params(locations, {"coverage": 0.0}, full="rate(1 day)")))
    assert first["output"]["outcome"] == "DEPLOYED", ws.failure(first)
    [(name, schedule)] = schedules(stack).items()
    assert (name, schedule["ScheduleExpression"]) == ("demo-popular-full", "rate(1 day)")
    assert schedule["Target"]["Arn"] == stack.ref("TrainingStateMachine")
    clock = SchedulerClock(stack)

    # WHEN three simulated days pass: three retrain-only runs, each deployed (the gate passes)
    passed = clock.advance(timedelta(days=3))
    # ... then the params ask for an NDCG popularity cannot reach (the full run is rejected, the schedule follows)
    second = stack.wait(stack.put_params("demo", daily_params(locations, {NDCG: 0.99}, full="rate(1 day)")))
    assert second["output"]["outcome"] == "REJECTED", ws.failure(second)
    kept = served_version()
    rejected = clock.advance(timedelta(days=4))

    # THEN a run per day, each training a new FULL version without importing, gated, deployed only when it passed
    assert [f.schedule for f in passed + rejected] == ["demo-popular-full"] * 7
    assert [(b.at - a.at).total_seconds() for a, b in itertools.pairwise(passed)] == [86400.0] * 2
    versions = set()
    for fired, outcome in zip(passed + rejected, ["DEPLOYED"] * 3 + ["REJECTED"] * 4, strict=True):
        execution = stack.wait(fired.execution_arn)
        output = execution["output"]
        assert (execution["status"], output["outcome"]) == ("SUCCEEDED", outcome), ws.failure(execution)
        [solution] = output["solutions"]
        assert (solution["trainingMode"], solution["action"]) == ("FULL", "started")
        assert solution["passed"] is (outcome == "DEPLOYED")
        assert output["imports"] == []
        entered = states_entered(stack, fired.execution_arn)
        assert "Evaluate" in entered and "Start Import" not in entered
        [campaign] = output["campaigns"]
        assert campaign["action"] == ("skipped" if outcome == "REJECTED" else "updated")
        versions.add(solution["solutionVersionArn"])
        if fired is passed[-1]:
            assert kept == solution["solutionVersionArn"]  # the last version that passed is still served
    assert len(versions) == 7
    assert served_version() == kept
    [schedule] = schedules(stack).values()
    retrain = json.loads(schedule["Target"]["Input"])["retrain"]
    run_id = naming.run_id(second["executionArn"].rsplit(":", 1)[1])
    assert retrain["snapshot"] == f"s3://{stack.bucket}/runs/demo/{run_id}/params.json"  # the second run's params


def test_retraining_schedule_removed_from_the_params_is_deleted_and_teardown_deletes_the_rest(
    stack: OfflineStack,
) -> None:
    locations = ws.upload_data(stack.bucket)
    scheduled = daily_params(locations, {"coverage": 0.0}, full="rate(7 days)")
    assert stack.wait(stack.put_params("demo", scheduled))["status"] == "SUCCEEDED"
    assert stack.wait(stack.put_params("other", {**scheduled, "datasetGroup": {"name": "other"}}))["status"] == (
        "SUCCEEDED"
    )
    assert sorted(schedules(stack)) == ["demo-popular-full", "other-popular-full"]

    unscheduled = stack.wait(stack.put_params("demo", daily_params(locations, {"coverage": 0.0})))
    assert unscheduled["output"]["schedules"] == [{"schedule": "demo-popular-full", "action": "deleted"}]
    assert sorted(schedules(stack)) == ["other-popular-full"]
    assert SchedulerClock(stack).advance(timedelta(days=6)) == []

    teardown = stack.wait(stack.start("TeardownStateMachine", {"datasetGroup": "other"}), timeout=300)
    assert teardown["status"] == "SUCCEEDED", ws.failure(teardown)
    assert schedules(stack) == {}


def test_retraining_schedule_update_mode_refreshes_with_the_events_recorded_since(stack: OfflineStack) -> None:
    # GIVEN a full retrain each day 4 hours from now and an UPDATE every 8 hours (its first one period after this run,
    # in real time: an hour picked so that no UPDATE falls right after the FULL, with nothing new to train on), and
    # events flowing in through the tracker
    full_hour = (datetime.now(UTC).hour + 4) % 24
    locations = ws.upload_data(stack.bucket)
    solution = {
        "name": "personal",
        "recipe": "aws-user-personalization",
        "retrainSchedule": {"full": f"cron(0 {full_hour} * * ? *)", "update": "rate(8 hours)"},
    }
    document = ws.params(
        locations,
        solutions=[solution],
        campaigns=[{"name": "personal", "solution": "personal", "minProvisionedTPS": 1}],
        metricsGate=[{"solution": "personal", "minimums": {"coverage": 0.0}}],
        filters=[],
    )
    assert stack.wait(stack.put_params("demo", document))["output"]["outcome"] == "DEPLOYED"
    assert sorted(schedules(stack)) == ["demo-personal-full", "demo-personal-update"]
    tracking_id = boto3.client("ssm").get_parameter(Name="/ap/demo/event-tracker")["Parameter"]["Value"]
    clock, fired = SchedulerClock(stack), []

    # WHEN a simulated day passes, an event recorded each hour
    for hour in range(24):
        event = {"eventType": "click", "itemId": f"books-{hour}", "sentAt": clock.now.timestamp()}
        boto3.client("personalize-events").put_events(
            trackingId=tracking_id, userId="u1", sessionId="s1", eventList=[event]
        )
        fired += clock.advance(timedelta(hours=1))

    # THEN one FULL run at its hour and three UPDATE runs, each gated (UPDATE on its FULL version's metrics), deployed
    assert sorted(f.schedule for f in fired) == ["demo-personal-full"] + ["demo-personal-update"] * 3
    assert [f.at.strftime("%H:%M") for f in fired if f.schedule == "demo-personal-full"] == [f"{full_hour:02d}:00"]
    for run in fired:
        output = stack.wait(run.execution_arn)["output"]
        assert output is not None and output["outcome"] == "DEPLOYED", run
        [trained] = output["solutions"]
        mode = run.schedule.rsplit("-", 1)[1].upper()
        assert (trained["trainingMode"], trained["passed"]) == (mode, True)
        if mode == "UPDATE":
            assert trained["notes"][0].startswith("UPDATE versions have no offline metrics; the gate read the FULL")
